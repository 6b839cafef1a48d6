//! Folder cases: `tests/cases/<name>/{spec.yaml, observed.json}` → snapshots of the
//! plan as text, JSON and markdown, stored beside the case. Read every snapshot diff.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use s3dest_core::model::{
    AccessKey, BucketEncryption, BucketInfo, FolderInfo, ObjectLock, Observed, ObservedBucket,
    ObservedRole, ObservedSecret, ObservedUser, Owner, role_arn,
};
use s3dest_core::{plan, presets, render};
use s3dest_policy::PolicyDocument;

fn strings(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn owner(v: &Value) -> Option<Owner> {
    match v.as_str()? {
        "unowned" => Some(Owner::Unowned),
        s => {
            let (spec, dest) = s.split_once('/').expect("marker owner is spec/destination");
            Some(Owner::Spec {
                spec: spec.into(),
                destination: Some(dest.into()),
            })
        }
    }
}

/// A bucket's `"encryption"`: AWS's `SSEAlgorithm` (with `"kms_key"`), `"none"` or
/// `"unknown"`; absent, not read.
fn encryption(b: &Value) -> Option<BucketEncryption> {
    Some(match b["encryption"].as_str()? {
        "none" => BucketEncryption::None,
        "unknown" => BucketEncryption::Unknown,
        algorithm => BucketEncryption::from_aws(algorithm, b["kms_key"].as_str()),
    })
}

/// The observed.json format: see `tests/cases/README.md`.
fn observed(v: &Value) -> Observed {
    let account_id = v["account_id"].as_str().unwrap().to_owned();
    let mut roles = BTreeMap::new();
    for (name, r) in v["roles"].as_object().into_iter().flatten() {
        let path = r["path"].as_str().unwrap_or("/s3dest/").to_owned();
        let inline = r["inline_policies"].as_object().into_iter().flatten();
        roles.insert(
            name.clone(),
            ObservedRole {
                name: name.clone(),
                arn: role_arn(&account_id, &path, name),
                path,
                trust: PolicyDocument::from_value(&r["trust"]).unwrap(),
                tags: strings(&r["tags"]),
                inline_policies: inline
                    .map(|(k, d)| (k.clone(), PolicyDocument::from_value(d).unwrap()))
                    .collect(),
                managed_policy_arns: Vec::new(),
            },
        );
    }
    let mut buckets = BTreeMap::new();
    for (name, b) in v["buckets"].as_object().into_iter().flatten() {
        let bucket = if b.is_null() {
            ObservedBucket::Missing
        } else {
            let folders = b["folders"].as_object().into_iter().flatten();
            ObservedBucket::Present(BucketInfo {
                region: b["region"].as_str().unwrap_or("us-east-1").to_owned(),
                policy: (!b["policy"].is_null())
                    .then(|| PolicyDocument::from_value(&b["policy"]).unwrap()),
                public_access_blocked: b["public_access_blocked"].as_bool(),
                folders: folders
                    .map(|(f, s)| {
                        (
                            f.clone(),
                            FolderInfo {
                                marker: owner(&s["marker"]),
                                has_other_objects: s["has_other_objects"].as_bool(),
                            },
                        )
                    })
                    .collect(),
                lock: None,
                encryption: encryption(b),
                object_lock: match &b["object_lock"] {
                    Value::Bool(true) => Some(ObjectLock::Enabled),
                    Value::Bool(false) => Some(ObjectLock::Disabled),
                    Value::String(s) if s == "unknown" => Some(ObjectLock::Unknown),
                    _ => None,
                },
            })
        };
        buckets.insert(name.clone(), bucket);
    }
    let time = |v: &Value| v.as_str().map(|t| t.parse::<jiff::Timestamp>().unwrap());
    let mut users = BTreeMap::new();
    for (name, u) in v["users"].as_object().into_iter().flatten() {
        let inline = u["inline_policies"].as_object().into_iter().flatten();
        let keys = u["access_keys"].as_array().into_iter().flatten();
        let user = ObservedUser {
            name: name.clone(),
            path: "/s3dest/".into(),
            arn: format!("arn:aws:iam::{account_id}:user/s3dest/{name}"),
            tags: strings(&u["tags"]),
            inline_policies: inline
                .map(|(k, d)| (k.clone(), PolicyDocument::from_value(d).unwrap()))
                .collect(),
            managed_policy_arns: Vec::new(),
            access_keys: keys
                .map(|k| AccessKey {
                    id: k["id"].as_str().unwrap().into(),
                    active: k["active"].as_bool().unwrap(),
                    created: time(&k["created"]).unwrap(),
                    last_used: time(&k["last_used"]),
                })
                .collect(),
        };
        users.insert(name.clone(), user);
    }
    let secrets = v["secrets"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let secret = ObservedSecret {
                name: name.clone(),
                arn: format!("arn:aws:secretsmanager:us-east-1:{account_id}:secret:{name}-AbCdEf"),
                tags: strings(&s["tags"]),
                pending_deletion: s["pending_deletion"].as_bool().unwrap_or(false),
                current_version: s["current_version"].as_str().map(str::to_owned),
            };
            (name.clone(), secret)
        })
        .collect();
    Observed {
        account_id,
        roles,
        users,
        secrets,
        buckets,
        read_at: time(&v["read_at"]).unwrap_or_default(),
    }
}

fn check(dir: &Path) {
    let spec_text = std::fs::read_to_string(dir.join("spec.yaml")).unwrap();
    let spec = s3dest_spec::parse("spec.yaml", &spec_text)
        .unwrap_or_else(|d| {
            panic!(
                "{}",
                s3dest_spec::render_diagnostics("spec.yaml", &spec_text, &d, false)
            )
        })
        .spec;
    let observed_json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("observed.json")).unwrap()).unwrap();
    let observed = observed(&observed_json);
    let plan = plan::diff(&presets::expand(&spec, &observed.account_id), &observed);
    insta::with_settings!({snapshot_path => dir, prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("plan.txt", render::text(&plan, false));
        insta::assert_snapshot!("plan.json", serde_json::to_string_pretty(&render::json(&plan)).unwrap());
        insta::assert_snapshot!("plan.md", render::markdown(&plan));
    });
}

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 4,
        "expected the folder cases in {}",
        root.display()
    );
    for dir in dirs {
        check(&dir);
    }
}
