//! `s3dest outputs`: per destination, exactly what to enter in the vendor's UI,
//! labelled the way that vendor's guide labels it.

use std::collections::BTreeMap;

use s3dest_spec::{Auth, Vendor};
use serde_json::{Value, json};

use crate::model::Desired;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationOutputs {
    pub destination: String,
    pub vendor: Vendor,
    pub auth: Auth,
    pub role_arn: Option<String>,
    pub bucket: String,
    pub region: Option<String>,
    pub folder: String,
    pub s3_uri: String,
    /// What to type into the vendor's form, in the form's order and with its labels.
    pub fields: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// `regions` maps bucket names to the region AWS reported (or the one they will be created in).
pub fn outputs(desired: &Desired, regions: &BTreeMap<String, String>) -> Vec<DestinationOutputs> {
    desired
        .destinations
        .values()
        .map(|d| {
            let role_arn = d.role.as_ref().map(|r| r.arn(&desired.account_id));
            let region = regions.get(&d.bucket).cloned();
            let s3_uri = format!("s3://{}/{}/", d.bucket, d.folder);
            let role = role_arn.clone().unwrap_or_default();
            let field = |label: &str, value: &str| (label.to_owned(), value.to_owned());
            let (fields, notes) = match d.vendor {
                Vendor::PendoDataSync => (
                    vec![field("S3 URI", &s3_uri), field("Role ARN", &role)],
                    vec![
                        "Then choose \"Validate Destination\" in Pendo, then \"Create Destination\".".to_owned(),
                        "Pendo Feedback data is not exported; Data Sync must be enabled by Pendo and set up by a Pendo subscription admin.".to_owned(),
                    ],
                ),
                Vendor::BrazeCurrents | Vendor::BrazeDataExport | Vendor::BrazeSecurityEvents => (
                    vec![field("AWS Role ARN", &role), field("AWS S3 Bucket Name", &d.bucket), field("Folder Path", &d.folder)],
                    vec!["\"Invalid S3 credentials\" right after setup: IAM is eventually consistent; retry in a minute.".to_owned()],
                ),
                Vendor::Walkme => (
                    vec![
                        field("Role ARN", &role),
                        field("Bucket name", &d.bucket),
                        field("Region", region.as_deref().unwrap_or("")),
                        field("Bucket path", &format!("/{}", d.folder)),
                    ],
                    vec![],
                ),
                Vendor::Custom => (
                    vec![field("Role ARN", &role), field("Bucket", &d.bucket), field("S3 URI", &s3_uri), field("Region", region.as_deref().unwrap_or(""))],
                    vec![],
                ),
            };
            DestinationOutputs {
                destination: d.name.clone(),
                vendor: d.vendor,
                auth: d.auth,
                role_arn,
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

pub fn to_text(outputs: &[DestinationOutputs]) -> String {
    let mut out = String::new();
    for o in outputs {
        out.push_str(&format!(
            "{} ({}, {}):\n",
            o.destination,
            o.vendor.as_str(),
            o.auth.as_str()
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
