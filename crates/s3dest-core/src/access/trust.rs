//! Who a role's trust policy names: the principals its statements let assume the
//! role, and the external IDs their conditions name.

use std::collections::BTreeSet;

use s3dest_policy::{
    Effect, PolicyDocument, eval::keys, normalize_aws_principal, wildcard_matches,
};

/// The `AWS` principals and external IDs of a trust's `Allow` statements for
/// `sts:AssumeRole` (an action pattern such as `sts:*` included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trusted {
    /// Normalized (`123456789012` is its root ARN).
    pub principals: BTreeSet<String>,
    /// Under any operator, in the order written, each once.
    pub external_ids: Vec<String>,
}

impl Trusted {
    pub(crate) fn of(trust: &PolicyDocument) -> Trusted {
        let assume = trust.statements.iter().filter(|s| {
            s.effect == Effect::Allow
                && s.action
                    .iter()
                    .flatten()
                    .any(|a| wildcard_matches(&a.to_ascii_lowercase(), "sts:assumerole"))
        });
        let mut trusted = Trusted::default();
        for statement in assume {
            trusted
                .principals
                .extend(statement.aws_principals().map(normalize_aws_principal));
            let ids = statement
                .condition
                .values()
                .flat_map(|keyed| keyed.iter())
                .filter(|(key, _)| key.eq_ignore_ascii_case(keys::EXTERNAL_ID))
                .flat_map(|(_, values)| values);
            for id in ids {
                if !trusted.external_ids.contains(id) {
                    trusted.external_ids.push(id.clone());
                }
            }
        }
        trusted
    }

    /// The account of each principal.
    pub(crate) fn accounts(&self) -> BTreeSet<&str> {
        self.principals
            .iter()
            .filter_map(|p| p.strip_prefix("arn:aws:iam::"))
            .filter_map(|rest| rest.split(':').next())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statements_that_let_assume_the_role_count() {
        let trust = PolicyDocument::parse(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "987654321098"}, "Action": "sts:AssumeRole",
               "Condition": {"StringEquals": {"sts:ExternalId": ["b", "a", "b"]}}},
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/x"}, "Action": "sts:*"},
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:TagSession"},
              {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::777788889999:root"}, "Action": "sts:AssumeRole"}]}"#,
        )
        .expect("a trust");
        let trusted = Trusted::of(&trust);
        assert_eq!(
            trusted.principals,
            BTreeSet::from([
                "arn:aws:iam::111122223333:role/x".to_owned(),
                "arn:aws:iam::987654321098:root".to_owned()
            ])
        );
        assert_eq!(trusted.external_ids, ["b", "a"]);
        assert_eq!(
            trusted.accounts(),
            BTreeSet::from(["111122223333", "987654321098"])
        );
    }
}
