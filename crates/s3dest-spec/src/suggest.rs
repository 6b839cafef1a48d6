//! "Did you mean ...?" suggestions for misspelt names.

/// The candidate closest to `input`, if one is close enough to be a likely typo, or if
/// `input` is a distinctive part of it (`pendo` for `pendo-data-sync`).
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = levenshtein(&input_lower, &candidate.to_lowercase());
        let close = distance <= (candidate.chars().count() / 3).max(2);
        let input_len = input_lower.chars().count();
        let part = input_len >= 4 && candidate.contains(input_lower.as_str());
        let prefix = input_lower
            .chars()
            .zip(candidate.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let extended = prefix >= 4 && prefix + 1 >= input_len;
        if (close || part || extended) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const VENDORS: [&str; 3] = ["pendo-data-sync", "braze-currents", "walkme"];

    #[test]
    fn suggests_typos_and_parts() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(did_you_mean("pendoo", VENDORS), Some("pendo-data-sync"));
        assert_eq!(did_you_mean("walkmi", VENDORS), Some("walkme"));
        assert_eq!(
            did_you_mean("braze-curents", VENDORS),
            Some("braze-currents")
        );
        assert_eq!(did_you_mean("Walkme", VENDORS), Some("walkme"));
        assert_eq!(did_you_mean("salesforce", VENDORS), None);
    }
}
