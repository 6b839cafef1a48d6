//! Statement ids that mark which bucket-policy statements s3dest owns.
//!
//! A Sid is `S3dest` + 8 hex digits of a hash of the spec name + the destination
//! name with `-` written `D` and `_` written `U` (destination names are lower-case,
//! so upper-case letters are free to act as escapes). It is alphanumeric as S3
//! requires, deterministic, readable, and reversible: prune can name the destination
//! of a statement whose destination has left the spec.

const PREFIX: &str = "S3dest";

/// FNV-1a, 32 bits: stable across versions and platforms, unlike `DefaultHasher`.
fn spec_hash(spec: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in spec.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The Sid of `destination`'s statement in a bucket policy, for spec `spec`.
pub fn statement_sid(spec: &str, destination: &str) -> String {
    let encoded: String = destination
        .chars()
        .map(|c| match c {
            '-' => 'D',
            '_' => 'U',
            c => c,
        })
        .collect();
    format!("{PREFIX}{}{encoded}", spec_hash(spec))
}

/// The destination a Sid belongs to, if spec `spec` generated it.
pub fn owned_destination(spec: &str, sid: &str) -> Option<String> {
    decode(sid.strip_prefix(PREFIX)?.strip_prefix(&spec_hash(spec))?)
}

/// Whether a spec of s3dest generated this Sid, this one or another: such a statement
/// (or Datadog's policy named by it) is never someone else's to take over.
pub fn is_s3dest(sid: &str) -> bool {
    let Some((hash, rest)) = sid.strip_prefix(PREFIX).and_then(|r| r.split_at_checked(8)) else {
        return false;
    };
    hash.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && decode(rest).is_some()
}

/// The destination name encoded after the spec's hash.
fn decode(rest: &str) -> Option<String> {
    if rest.is_empty() {
        return None;
    }
    let mut name = String::with_capacity(rest.len());
    for c in rest.chars() {
        name.push(match c {
            'D' => '-',
            'U' => '_',
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => c,
            _ => return None,
        });
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3dest_sid_of_any_spec_is_told_from_others() {
        assert!(is_s3dest(&statement_sid("other", "pendo")));
        for other in [
            None,
            Some("Statement1"),
            Some("S3dest"),
            Some("S3dest1234abcd"),
            Some("S3destéé"),
            Some("S3dest1234ABCDx"),
        ] {
            assert!(!other.is_some_and(is_s3dest), "{other:?}");
        }
    }

    #[test]
    fn sid_is_alphanumeric_and_round_trips() {
        for dest in ["pendo", "braze-currents", "a_b-c9", "x"] {
            let sid = statement_sid("acme-exports", dest);
            assert!(sid.chars().all(|c| c.is_ascii_alphanumeric()), "{sid}");
            assert_eq!(
                owned_destination("acme-exports", &sid).as_deref(),
                Some(dest)
            );
        }
    }

    #[test]
    fn another_specs_sid_is_not_ours() {
        let sid = statement_sid("team-a", "pendo");
        assert_eq!(owned_destination("team-b", &sid), None);
        assert_eq!(owned_destination("team-a", "Statement1"), None);
        assert_eq!(owned_destination("team-a", "S3dest"), None);
        // Still s3dest's, of another spec: never foreign.
        assert!(is_s3dest(&sid));
        for foreign in [
            "Statement1",
            "S3dest",
            "S3destc45a498d",
            "S3destZZZZZZZZpendo",
            "Stmt1506627150918",
        ] {
            assert!(!is_s3dest(foreign), "{foreign}");
        }
    }

    #[test]
    fn sid_is_stable() {
        // Changing this breaks ownership of every statement already in AWS.
        assert_eq!(
            statement_sid("acme-exports", "braze-currents"),
            "S3destc45a498dbrazeDcurrents"
        );
    }
}
