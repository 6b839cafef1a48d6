//! IAM's wildcards in resource ARNs and condition values: `*` matches any run of
//! characters (`/` included), `?` any one character; everything else literally, case
//! included (IAM User Guide, "IAM JSON policy elements: Resource").

/// Whether `value` matches `pattern`.
pub fn wildcard_matches(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    // Iterative glob matching with one backtrack point: linear in practice, never
    // exponential (a pattern of many `*` cannot blow up).
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == v[vi] => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    pi = sp + 1;
                    vi = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_matches;

    #[test]
    fn wildcards_match_as_iam_documents_them() {
        let lock = "arn:aws:s3:::b/.s3dest-bucket-policy.lock";
        for (pattern, value, expected) in [
            ("arn:aws:s3:::b/*", lock, true),
            ("arn:aws:s3:::b*", lock, true),
            ("arn:aws:s3:::*", lock, true),
            ("*", lock, true),
            ("arn:aws:s3:::b/pendo/*", lock, false),
            ("arn:aws:s3:::b", lock, false),
            ("arn:aws:s3:::b/", lock, false),
            ("arn:aws:s3:::b/?s3dest*", lock, true),
            ("arn:aws:s3:::B/*", lock, false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("", "", true),
            ("*", "", true),
            ("?", "", false),
        ] {
            assert_eq!(
                wildcard_matches(pattern, value),
                expected,
                "{pattern} vs {value}"
            );
        }
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(50);
        let value = "a".repeat(49);
        assert!(!wildcard_matches(&pattern, &value));
    }
}
