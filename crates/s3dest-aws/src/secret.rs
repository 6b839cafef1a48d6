//! A secret value (an access key's secret) that cannot be printed, logged or
//! serialized by accident: `Debug` and `Display` print `[redacted]`, there is no
//! `Serialize`, and the value is reachable only through [`Secret::expose`].

use std::fmt;

pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that needs it: the request storing it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn a_secret_never_formats_its_value() {
        let s = Secret::new("not-a-real-secret-value".to_owned());
        assert_eq!(
            format!("{s} {s:?} {s:#?}"),
            "[redacted] [redacted] [redacted]"
        );
        assert!(!format!("{:?}", Some(&s)).contains("real"));
        assert_eq!(s.expose(), "not-a-real-secret-value");
    }
}
