//! `s3dest outputs`: per destination, exactly what to enter in the vendor's UI,
//! labelled the way that vendor's guide labels it.

use std::collections::BTreeMap;

use s3dest_spec::vendors::{Folder, Identity, OutputValue};
use s3dest_spec::{Auth, Vendor};
use serde_json::{Value, json};

use crate::model::{Desired, DesiredDestination, Observed, ObservedBucket};
use crate::presets::key_policy_note;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationOutputs {
    pub destination: String,
    pub vendor: Vendor,
    pub auth: Auth,
    pub role_arn: Option<String>,
    /// Access-key destinations: where the key is, and its id. Never the secret itself.
    pub access_key: Option<AccessKeyOutputs>,
    pub bucket: String,
    pub region: Option<String>,
    pub folder: Option<String>,
    pub s3_uri: String,
    /// What to type into the vendor's form, in the form's order and with its labels.
    pub fields: Vec<(String, String)>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyOutputs {
    pub user_arn: String,
    pub secret_name: String,
    pub secret_arn: Option<String>,
    pub access_key_id: Option<String>,
}

/// The region of each bucket: as AWS reported it, or the one it will be created in.
fn regions(desired: &Desired, observed: &Observed) -> BTreeMap<String, String> {
    observed
        .buckets
        .iter()
        .filter_map(|(name, b)| match b {
            ObservedBucket::Present(info) => Some((name.clone(), info.region.clone())),
            ObservedBucket::Missing => desired
                .buckets
                .get(name)?
                .region
                .clone()
                .map(|r| (name.clone(), r)),
        })
        .collect()
}

/// The prefix the customer enters for a vendor that writes beneath a subfolder of it
/// (Segment: `BUCKET/PREFIX`, data under `PREFIX/segment-logs/`).
fn prefix(d: &DesiredDestination) -> Option<&str> {
    let Folder::Prefix { subfolder } = d.vendor.description().folder else {
        return d.folder.as_deref();
    };
    d.folder
        .as_deref()?
        .strip_suffix(subfolder)?
        .strip_suffix('/')
}

pub fn outputs(desired: &Desired, observed: &Observed) -> Vec<DestinationOutputs> {
    let regions = regions(desired, observed);
    desired
        .destinations
        .values()
        .map(|d| {
            // The role's real ARN when it exists (an adopted role keeps its own path).
            let role_arn = d.role.as_ref().map(|r| match observed.roles.get(&r.name) {
                Some(have) => have.arn.clone(),
                None => r.arn(&desired.account_id),
            });
            let access_key = d.user.as_ref().map(|u| {
                let secret = observed.secrets.get(&u.secret_name).filter(|s| !s.pending_deletion);
                AccessKeyOutputs {
                    user_arn: u.arn(&desired.account_id),
                    secret_name: u.secret_name.clone(),
                    secret_arn: secret.map(|s| s.arn.clone()),
                    access_key_id: secret.and_then(|s| s.access_key_id()).map(str::to_owned),
                }
            });
            let region = regions.get(&d.bucket).cloned();
            let s3_uri = match &d.folder {
                Some(folder) => format!("s3://{}/{folder}/", d.bucket),
                None => format!("s3://{}/", d.bucket),
            };
            let role = role_arn.clone().unwrap_or_default();
            let value = |v: OutputValue| -> String {
                let folder = d.folder.as_deref().unwrap_or("");
                match v {
                    OutputValue::RoleArn => role.clone(),
                    OutputValue::RoleName => d.existing_role.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
                    OutputValue::AccountId => desired.account_id.clone(),
                    OutputValue::BucketName => d.bucket.clone(),
                    OutputValue::BucketAndPrefix => match prefix(d) {
                        Some(prefix) => format!("{}/{prefix}", d.bucket),
                        None => d.bucket.clone(),
                    },
                    OutputValue::Folder => folder.to_owned(),
                    OutputValue::FolderPath => format!("/{folder}"),
                    OutputValue::S3Uri => s3_uri.clone(),
                    OutputValue::S3UriWithRegion => format!(
                        "s3://{}/{folder}?region={}",
                        d.bucket,
                        region.as_deref().unwrap_or("")
                    ),
                    OutputValue::Region => region.clone().unwrap_or_default(),
                }
            };
            let outputs = &d.vendor.description().outputs;
            // The access-key method: the key instead of the role, wherever the form asks for it.
            let mut fields: Vec<(String, String)> = outputs
                .fields
                .iter()
                .filter(|f| access_key.is_none() || f.value != OutputValue::RoleArn)
                .map(|f| (f.label.to_owned(), value(f.value)))
                .collect();
            let written = d.folder.as_deref().unwrap_or("");
            let role_notes = if d.role.is_some() { outputs.role_notes } else { &[] };
            let mut notes: Vec<String> = outputs
                .notes
                .iter()
                .chain(role_notes)
                .map(|n| n.replace("{folder}", written))
                .collect();
            if let Some(ObservedBucket::Present(bucket)) = observed.buckets.get(&d.bucket) {
                notes.extend(key_policy_note(d, bucket, observed, &desired.account_id));
            }
            if let Some(key) = &access_key {
                let id = key.access_key_id.as_deref().unwrap_or("(not created yet: run s3dest apply)");
                let secret = format!("(in Secrets Manager secret `{}`, field secret_access_key)", key.secret_name);
                let key_fields = [("Access Key ID", id.to_owned()), ("Secret Access Key", secret)];
                fields.splice(0..0, key_fields.map(|(label, value)| (label.to_owned(), value)));
                notes.push(format!(
                    "read the secret with: aws secretsmanager get-secret-value --secret-id {} --query SecretString --output text",
                    key.secret_name
                ));
            }
            DestinationOutputs {
                destination: d.name.clone(),
                vendor: d.vendor,
                auth: d.auth,
                role_arn,
                access_key,
                bucket: d.bucket.clone(),
                region,
                folder: d.folder.clone(),
                s3_uri,
                fields,
                notes,
            }
        })
        .collect()
}

pub fn to_json(spec: &str, outputs: &[DestinationOutputs]) -> Value {
    let destinations: serde_json::Map<String, Value> = outputs
        .iter()
        .map(|o| {
            let fields: Vec<Value> = o
                .fields
                .iter()
                .map(|(l, v)| json!({"label": l, "value": v}))
                .collect();
            let value = json!({
                "vendor": o.vendor.as_str(),
                "auth": o.auth.as_str(),
                "role_arn": o.role_arn,
                "access_key": o.access_key.as_ref().map(|k| json!({
                    "user_arn": k.user_arn,
                    "access_key_id": k.access_key_id,
                    "secret_name": k.secret_name,
                    "secret_arn": k.secret_arn,
                })),
                "bucket": o.bucket,
                "region": o.region,
                "folder": o.folder,
                "s3_uri": o.s3_uri,
                "vendor_ui": fields,
                "notes": o.notes,
            });
            (o.destination.clone(), value)
        })
        .collect();
    json!({"spec": spec, "destinations": destinations})
}

/// How the vendor gets its access, for the text's headings: the spec's `auth`, or what
/// stands in for it for a vendor with no role of s3dest's.
fn method(o: &DestinationOutputs) -> &'static str {
    match (&o.vendor.description().identity, o.auth) {
        (_, Auth::AccessKey) => Auth::AccessKey.as_str(),
        (Identity::None, _) => "bucket policy",
        (Identity::ExistingRole { .. }, _) => "existing role",
        (Identity::OwnRole { .. }, auth) => auth.as_str(),
    }
}

pub fn to_text(outputs: &[DestinationOutputs]) -> String {
    let mut out = String::new();
    for o in outputs {
        out.push_str(&format!(
            "{} ({}, {}):\n",
            o.destination,
            o.vendor.as_str(),
            method(o)
        ));
        let width = o.fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, value) in &o.fields {
            out.push_str(&format!("  {label:<width$}  {value}\n"));
        }
        for note in &o.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BucketInfo, ObservedRole};
    use crate::presets;
    use s3dest_policy::PolicyDocument;

    /// Datadog's form: its account, the role by name, bucket, path, and the key-policy
    /// statement the bucket's customer managed key needs.
    #[test]
    fn datadog_outputs_name_the_existing_role_and_the_key_policy_it_needs() {
        let yaml = "version: 1\nname: acme\nbuckets:\n  acme-logs: {}\ndestinations:\n  \
                    archive:\n    vendor: datadog-log-archives\n    bucket: acme-logs\n    \
                    folder: datadog/archives\n  \
                    renamed:\n    vendor: datadog-log-archives\n    bucket: acme-logs\n    \
                    folder: datadog/other\n    role_name: DatadogAWSIntegrationRole\n";
        let spec = s3dest_spec::parse("s3dest.yaml", yaml).unwrap().spec;
        let desired = presets::expand(&spec, "123456789012");
        let mut observed = Observed::default();
        observed.buckets.insert(
            "acme-logs".into(),
            ObservedBucket::Present(BucketInfo {
                region: "eu-west-1".into(),
                encryption: Some(crate::model::BucketEncryption::from_aws(
                    "aws:kms",
                    Some("1234abcd-12ab-34cd-56ef-1234567890ab"),
                )),
                ..BucketInfo::default()
            }),
        );
        // The renamed role was read, at a path of its own: the key policy names its ARN.
        let name = "DatadogAWSIntegrationRole";
        observed.roles.insert(
            name.into(),
            ObservedRole {
                name: name.into(),
                path: "/integrations/".into(),
                arn: format!("arn:aws:iam::123456789012:role/integrations/{name}"),
                trust: PolicyDocument::new(Vec::new()),
                tags: BTreeMap::new(),
                inline_policies: BTreeMap::new(),
                managed_policy_arns: Vec::new(),
            },
        );
        let list = outputs(&desired, &observed);
        assert!(list.iter().all(|o| o.role_arn.is_none()), "{list:#?}");
        insta::assert_snapshot!(to_text(&list));
    }
}
