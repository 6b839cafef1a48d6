//! What a policy grants on S3, per bucket, as the guides write it: bucket actions on
//! `arn:aws:s3:::BUCKET` (or the trailing-slash `BUCKET/`), object actions on
//! `BUCKET/*`, `BUCKET*` (a guide's mistake: every bucket whose name starts so) or
//! `BUCKET/FOLDER/*`.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{Effect, Statement};

/// What one identity (or one principal of a bucket policy) is granted in one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketGrant {
    /// Every S3 action granted, as written.
    pub actions: BTreeSet<String>,
    /// The folders object grants cover; `None` for the whole bucket.
    pub folders: BTreeSet<Option<String>>,
    /// An object grant written `BUCKET*`.
    pub prefix_mistake: bool,
    /// A statement of the grant has a condition, a `Not…` element or a `Deny`: not the
    /// guide's shape.
    pub irregular: bool,
}

/// The S3 grants of these statements, by bucket. Statements on `*` or on other
/// services, and Denies, are not grants of a bucket (a Deny marks every bucket it
/// names irregular).
pub fn bucket_grants<'s>(
    statements: impl IntoIterator<Item = &'s Statement>,
) -> BTreeMap<String, BucketGrant> {
    let mut grants: BTreeMap<String, BucketGrant> = BTreeMap::new();
    for statement in statements {
        let s3_actions: Vec<&String> = statement
            .action
            .iter()
            .flatten()
            .filter(|a| a.to_ascii_lowercase().starts_with("s3:"))
            .collect();
        let irregular = statement.effect == Effect::Deny
            || !statement.condition.is_empty()
            || statement.not_action.is_some()
            || statement.not_resource.is_some()
            || statement.not_principal.is_some();
        for resource in statement.resource.iter().flatten() {
            let Some((bucket, folder, mistake)) = parse_resource(resource) else {
                continue;
            };
            let grant = grants.entry(bucket).or_default();
            grant.irregular |= irregular;
            if statement.effect == Effect::Deny {
                continue;
            }
            grant
                .actions
                .extend(s3_actions.iter().map(|a| (*a).clone()));
            if let Some(folder) = folder {
                grant.folders.insert(folder);
            }
            grant.prefix_mistake |= mistake;
        }
    }
    grants.retain(|_, g| !g.actions.is_empty());
    grants
}

/// `(bucket, Some(folder of an object grant), written BUCKET*)` of an S3 ARN; the inner
/// `Option` of the folder is `None` for the whole bucket; the outer `None` for a bucket
/// resource. `None` for a resource that names no one bucket.
#[allow(clippy::type_complexity)]
fn parse_resource(resource: &str) -> Option<(String, Option<Option<String>>, bool)> {
    let rest = resource.strip_prefix("arn:aws:s3:::")?;
    if let Some(name) = rest.strip_suffix('*').filter(|n| !n.contains('/')) {
        // `BUCKET*`: as the guide meant it, the bucket's objects (and the bucket).
        return valid_bucket(name).then(|| (name.to_owned(), Some(None), true));
    }
    match rest.split_once('/') {
        None => valid_bucket(rest).then(|| (rest.to_owned(), None, false)),
        Some((name, "")) => valid_bucket(name).then(|| (name.to_owned(), None, false)),
        Some((name, "*")) => valid_bucket(name).then(|| (name.to_owned(), Some(None), false)),
        Some((name, path)) => {
            let folder = path.strip_suffix("/*")?;
            let plain = !folder.is_empty() && !folder.contains(['*', '?', '$']);
            (valid_bucket(name) && plain)
                .then(|| (name.to_owned(), Some(Some(folder.to_owned())), false))
        }
    }
}

/// A name that can be a bucket's (no wildcard or variable in it).
fn valid_bucket(name: &str) -> bool {
    name.len() >= 3 && !name.contains(['*', '?', '$', '{'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3dest_policy::PolicyDocument;

    fn grants(json: &str) -> BTreeMap<String, BucketGrant> {
        let doc = PolicyDocument::parse(json).expect("a policy");
        bucket_grants(&doc.statements)
    }

    #[test]
    fn the_guides_resources_name_their_bucket_and_folder() {
        let found = grants(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme/"},
              {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::acme/walkme/*"},
              {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::braze*"},
              {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
              {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "arn:aws:sqs:us-east-1:1:q"}]}"#,
        );
        let acme = &found["acme"];
        assert_eq!(
            acme.actions,
            BTreeSet::from(["s3:ListBucket".to_owned(), "s3:PutObject".to_owned()])
        );
        assert_eq!(acme.folders, BTreeSet::from([Some("walkme".to_owned())]));
        assert!(!acme.prefix_mistake && !acme.irregular);
        let braze = &found["braze"];
        assert_eq!(braze.folders, BTreeSet::from([None]));
        assert!(braze.prefix_mistake);
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_condition_or_a_deny_is_not_the_guides_shape() {
        let found = grants(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme/*",
               "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}"#,
        );
        assert!(found["acme"].irregular);
    }
}
