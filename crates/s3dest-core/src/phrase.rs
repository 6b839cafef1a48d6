//! Phrases shared by the messages of plans, findings and imported specs.

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Each item in backquotes, as [`and_list`] joins them: `` `a` and `b` ``.
pub fn code_list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    and_list(items.into_iter().map(|i| format!("`{i}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(Vec::<String>::new()), "");
        assert_eq!(code_list(["a"]), "`a`");
        assert_eq!(code_list(["a", "b"]), "`a` and `b`");
        assert_eq!(and_list(["a", "b", "c"].map(String::from)), "a, b and c");
    }
}
