//! Each preset against its vendor guide: the guide's snippet (copied verbatim into
//! `tests/guides/`) with placeholders filled and the documented fixes applied must
//! be the same policy as the generated one.

use s3dest_policy::{PolicyDocument, Statement};
use s3dest_spec::Spec;

use super::expand;
use crate::model::{Concern, DesiredDestination, LOCK_GUARD_SID, LOCK_KEY};
use crate::sid::statement_sid;

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "acme-exports";

fn spec(destination_yaml: &str) -> Spec {
    let text = format!(
        "version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n  dest:\n{destination_yaml}"
    );
    match s3dest_spec::parse("test.yaml", &text) {
        Ok(checked) => checked.spec,
        Err(diags) => panic!(
            "{}",
            s3dest_spec::render_diagnostics("test.yaml", &text, &diags, false)
        ),
    }
}

fn expand_one(destination_yaml: &str) -> DesiredDestination {
    let desired = expand(&spec(destination_yaml), ACCOUNT);
    desired.destinations["dest"].clone()
}

fn guide(text: &str, replacements: &[(&str, &str)]) -> PolicyDocument {
    let text = replacements
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to));
    PolicyDocument::parse(&text).unwrap()
}

/// The generated policy, less the lock guard that every grant covering the lock key
/// carries (tested on its own below): what the guides' snippets describe.
fn assert_same(generated: &PolicyDocument, expected: &PolicyDocument) {
    let mut generated = generated.clone();
    generated
        .statements
        .retain(|s| s.sid.as_deref() != Some(LOCK_GUARD_SID));
    assert!(
        generated.equivalent(expected),
        "generated:\n{}\nguide:\n{}",
        generated.to_canonical_pretty(),
        expected.to_canonical_pretty()
    );
}

fn trust(principal: &str, external_id: Option<&str>) -> PolicyDocument {
    let mut s = Statement::allow()
        .with_principal_aws([principal])
        .with_actions(["sts:AssumeRole"]);
    if let Some(id) = external_id {
        s = s.with_condition("StringEquals", "sts:ExternalId", [id]);
    }
    PolicyDocument::new(vec![s])
}

#[test]
fn pendo_matches_guide() {
    let d = expand_one(
        "    vendor: pendo-data-sync\n    bucket: acme-exports\n    folder: pendo\n    principal: arn:aws:iam::999999999999:user/pendo-sync\n    external_id: ext-1\n",
    );
    let role = d.role.as_ref().unwrap();
    assert_eq!(
        (role.name.as_str(), role.path.as_str()),
        ("pendo_datasync", "/")
    );
    assert_same(
        &role.trust,
        &trust("arn:aws:iam::999999999999:user/pendo-sync", Some("ext-1")),
    );
    // Pendo's guide: the permissions list stays empty. It holds only the lock guard, a
    // Deny that grants nothing.
    let inline = d.inline_policy.as_ref().unwrap();
    assert_eq!(
        inline
            .statements
            .iter()
            .map(|s| s.sid.as_deref())
            .collect::<Vec<_>>(),
        [Some(LOCK_GUARD_SID)]
    );
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/pendo_datasync");
    let expected = guide(
        include_str!("../../tests/guides/pendo-bucket-policy.json"),
        &[
            ("ROLE_ARN", &role_arn),
            ("BUCKET_ARN", "arn:aws:s3:::acme-exports"),
        ],
    );
    let statement = d.bucket_statement.clone().unwrap();
    assert_eq!(
        statement.sid.as_deref(),
        Some(statement_sid("acme", "dest").as_str())
    );
    assert_same(&PolicyDocument::new(vec![statement]), &expected);
}

#[test]
fn braze_currents_matches_guide() {
    let d = expand_one(
        "    vendor: braze-currents\n    bucket: acme-exports\n    principal: \"987654321098\"\n    external_id: braze-ext\n",
    );
    assert_eq!(d.folder.as_deref(), Some("currents"));
    let role = d.role.as_ref().unwrap();
    assert_eq!(
        (role.name.as_str(), role.path.as_str()),
        ("s3dest-dest", "/s3dest/")
    );
    assert_same(
        &role.trust,
        &trust("arn:aws:iam::987654321098:root", Some("braze-ext")),
    );
    let expected = guide(
        include_str!("../../tests/guides/braze-currents-role.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    assert_same(d.inline_policy.as_ref().unwrap(), &expected);
    assert_eq!(d.bucket_statement, None);
}

#[test]
fn braze_data_export_matches_role_guide_and_fixes_the_access_key_guide() {
    let d = expand_one(
        "    vendor: braze-data-export\n    bucket: acme-exports\n    folder: braze\n    principal: arn:aws:iam::987654321098:root\n    external_id: braze-ext\n",
    );
    let generated = d.inline_policy.as_ref().unwrap();
    let role_guide = guide(
        include_str!("../../tests/guides/braze-export-role.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    assert_same(generated, &role_guide);
    // The access-key guide's `BUCKET*` also matches other buckets: it is not reproduced…
    let key_guide_text = include_str!("../../tests/guides/braze-export-access-key.json");
    let as_written = guide(key_guide_text, &[("INSERTBUCKETNAME", BUCKET)]);
    assert!(!generated.equivalent(&as_written));
    // …and with the documented fix (BUCKET* and BUCKET/ become BUCKET/*) it is the same.
    let fixed = key_guide_text
        .replace("\"arn:aws:s3:::INSERTBUCKETNAME*\", \"arn:aws:s3:::INSERTBUCKETNAME/\", \"arn:aws:s3:::INSERTBUCKETNAME\"", "\"arn:aws:s3:::INSERTBUCKETNAME/*\"");
    assert_same(generated, &guide(&fixed, &[("INSERTBUCKETNAME", BUCKET)]));
}

#[test]
fn braze_security_events_matches_guide() {
    let d = expand_one(
        "    vendor: braze-security-events\n    bucket: acme-exports\n    folder: security\n    principal: \"987654321098\"\n    external_id: braze-ext\n",
    );
    let expected = guide(
        include_str!("../../tests/guides/braze-security-role.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    assert_same(d.inline_policy.as_ref().unwrap(), &expected);
}

#[test]
fn walkme_matches_guide_with_list_bucket_on_the_bucket_arn() {
    let d = expand_one("    vendor: walkme\n    bucket: acme-exports\n    folder: walkme\n");
    let role = d.role.as_ref().unwrap();
    // The current guide's two roles (its sample, made valid JSON).
    assert_same(
        &role.trust,
        &guide(
            include_str!("../../tests/guides/walkme-trust-current.json"),
            &[],
        ),
    );
    let policy_text = include_str!("../../tests/guides/walkme-policy.json");
    let as_written = guide(policy_text, &[("<bucket-name>", BUCKET)]);
    let generated = d.inline_policy.as_ref().unwrap();
    assert!(
        !generated.equivalent(&as_written),
        "the guide's `BUCKET/` for ListBucket matches nothing"
    );
    let fixed = policy_text.replace(
        "arn:aws:s3:::<bucket-name>/\"",
        "arn:aws:s3:::<bucket-name>\"",
    );
    assert_same(generated, &guide(&fixed, &[("<bucket-name>", BUCKET)]));
    assert!(
        d.warnings
            .iter()
            .any(|(c, w)| *c == Concern::MissingExternalId && w.contains("external ID")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn walkme_trusts_one_data_centre_or_the_earlier_guides_roles_when_asked() {
    let trust_of = |variant: &str| {
        let d = expand_one(&format!(
            "    vendor: walkme\n    bucket: acme-exports\n    folder: walkme\n    trust: {variant}\n"
        ));
        d.role.unwrap().trust
    };
    let current = guide(
        include_str!("../../tests/guides/walkme-trust-current.json"),
        &[],
    );
    let only = |keep: &str| {
        let text = include_str!("../../tests/guides/walkme-trust-current.json");
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("walkme-s3-integrations") || l.contains(keep))
            .collect();
        guide(&lines.join("\n").replace("prod\",", "prod\""), &[])
    };
    assert_same(&trust_of("us-and-eu"), &current);
    assert_same(&trust_of("us"), &only("integrations-prod\""));
    assert_same(&trust_of("eu"), &only("eu-prod"));
    assert_same(
        &trust_of("legacy"),
        &guide(include_str!("../../tests/guides/walkme-trust.json"), &[]),
    );
}

#[test]
fn custom_scopes_object_actions_to_the_folder() {
    let d = expand_one(
        "    vendor: custom\n    bucket: acme-exports\n    folder: partner/in\n    principal: arn:aws:iam::111122223333:role/exporter\n    external_id: xyz-123\n    actions: [s3:PutObject, s3:GetObject, s3:ListBucket]\n",
    );
    let expected = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:ListBucket"])
            .with_resources(["arn:aws:s3:::acme-exports"]),
        Statement::allow()
            .with_actions(["s3:PutObject", "s3:GetObject"])
            .with_resources(["arn:aws:s3:::acme-exports/partner/in/*"]),
    ]);
    assert_same(d.inline_policy.as_ref().unwrap(), &expected);
    let role = d.role.as_ref().unwrap();
    assert_same(
        &role.trust,
        &trust("arn:aws:iam::111122223333:role/exporter", Some("xyz-123")),
    );
    assert!(d.warnings.is_empty());
}

#[test]
fn custom_wildcards_stay_on_the_folders_objects_and_warn() {
    let d = expand_one(
        "    vendor: custom\n    bucket: acme-exports\n    folder: p\n    principal: \"111122223333\"\n    actions: [\"s3:*\", \"s3:Put*\", s3:ListBucket]\n",
    );
    // Never `s3:Put*` on the bucket: that would include s3:PutBucketPolicy.
    let expected = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:ListBucket"])
            .with_resources(["arn:aws:s3:::acme-exports"]),
        Statement::allow()
            .with_actions(["s3:*", "s3:Put*"])
            .with_resources(["arn:aws:s3:::acme-exports/p/*"]),
    ]);
    assert_same(d.inline_policy.as_ref().unwrap(), &expected);
    assert_same(
        &d.role.as_ref().unwrap().trust,
        &trust("111122223333", None),
    );
    assert!(
        d.warnings
            .iter()
            .any(|(c, w)| *c == Concern::MissingExternalId && w.contains("external_id"))
    );
    assert!(
        d.warnings.iter().any(|(_, w)| w.contains(
            "`s3:*`, `s3:Put*` granted on objects (`arn:aws:s3:::acme-exports/p/*`) only"
        )),
        "{:?}",
        d.warnings
    );
}

#[test]
fn roles_carry_ownership_tags_and_user_tags() {
    let d = expand_one(
        "    vendor: walkme\n    bucket: acme-exports\n    folder: w/x\n    role_name: walkme-exporter\n    tags: {team: data}\n",
    );
    let policy = d
        .inline_policy
        .as_ref()
        .map(|p| p.digest())
        .unwrap_or_default();
    let role = d.role.unwrap();
    assert_eq!(role.name, "walkme-exporter");
    let tags: Vec<(&str, &str)> = role
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        [
            ("s3dest:bucket", "acme-exports"),
            ("s3dest:destination", "dest"),
            ("s3dest:folder", "w/x"),
            ("s3dest:policy", policy.as_str()),
            ("s3dest:spec", "acme"),
            ("s3dest:trust", role.trust.digest().as_str()),
            ("team", "data")
        ]
    );
}

#[test]
fn scope_folder_narrows_object_grants_and_scope_bucket_widens_custom() {
    let pendo = expand_one(
        "    vendor: pendo-data-sync\n    bucket: acme-exports\n    folder: pendo\n    principal: arn:aws:iam::999999999999:user/p\n    external_id: ext-1\n    scope: folder\n",
    );
    let statement = pendo.bucket_statement.unwrap();
    assert_eq!(
        statement.resource,
        Some(vec![
            "arn:aws:s3:::acme-exports/pendo/*".to_owned(),
            "arn:aws:s3:::acme-exports".to_owned()
        ])
    );
    let braze = expand_one(
        "    vendor: braze-currents\n    bucket: acme-exports\n    principal: \"987654321098\"\n    external_id: ext-1\n    scope: folder\n",
    );
    let expected = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:ListBucket", "s3:GetBucketLocation"])
            .with_resources(["arn:aws:s3:::acme-exports"]),
        Statement::allow()
            .with_actions(["s3:PutObject", "s3:GetObject"])
            .with_resources(["arn:aws:s3:::acme-exports/currents/*"]),
    ]);
    assert_same(braze.inline_policy.as_ref().unwrap(), &expected);
    let custom = expand_one(
        "    vendor: custom\n    bucket: acme-exports\n    folder: p\n    principal: \"111122223333\"\n    external_id: ext-1\n    actions: [s3:PutObject]\n    scope: bucket\n",
    );
    let expected = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:PutObject"])
            .with_resources(["arn:aws:s3:::acme-exports/*"]),
    ]);
    assert_same(custom.inline_policy.as_ref().unwrap(), &expected);
}

/// No principal holding a preset's grants can plant, read or delete the bucket-policy
/// lock: every identity whose grant (inline, or its bucket statement) reaches the lock
/// key carries an explicit Deny of everything on it, which wins over any Allow; and a
/// grant scoped to a folder does not reach it at all.
#[test]
fn no_preset_grant_reaches_the_lock() {
    use s3dest_policy::{Effect, wildcard_matches};
    let lock = format!("arn:aws:s3:::{BUCKET}/{LOCK_KEY}");
    let vendors = [
        "vendor: pendo-data-sync\n    principal: arn:aws:iam::999999999999:user/p\n    external_id: e1",
        "vendor: braze-currents\n    principal: \"987654321098\"\n    external_id: e2",
        "vendor: braze-data-export\n    principal: \"987654321098\"\n    external_id: e3",
        "vendor: braze-security-events\n    principal: \"987654321098\"\n    external_id: e4",
        "vendor: walkme",
        "vendor: custom\n    principal: \"111122223333\"\n    external_id: e5\n    actions: [\"s3:*\"]",
    ];
    for vendor in vendors {
        for extra in [
            "",
            "    auth: access-key\n",
            "    scope: folder\n",
            "    scope: bucket\n",
        ] {
            let yaml = format!("    {vendor}\n    bucket: {BUCKET}\n    folder: f\n{extra}");
            let d = expand_one(&yaml);
            let allows = |s: &Statement| {
                s.effect == Effect::Allow
                    && s.resource
                        .iter()
                        .flatten()
                        .any(|r| wildcard_matches(r, &lock))
            };
            let statements: Vec<&Statement> = d
                .inline_policy
                .iter()
                .flat_map(|p| &p.statements)
                .chain(&d.bucket_statement)
                .collect();
            let reached = statements.iter().any(|s| allows(s));
            let denied = statements.iter().any(|s| {
                s.effect == Effect::Deny
                    && s.action.as_deref() == Some(&["s3:*".to_owned()][..])
                    && s.resource.as_deref() == Some(std::slice::from_ref(&lock))
            });
            assert!(
                !reached || denied,
                "{yaml}: the grant reaches the lock unguarded"
            );
            assert!(
                reached || !denied,
                "{yaml}: a guard where nothing reaches the lock"
            );
        }
    }
}

/// What a policy allows, one `(effect, principal, action, resource, condition)` per pair
/// of its statements' actions and resources: two policies that allow the same pairs
/// grant the same, however their statements are cut (Sids take no part).
fn pairs(doc: &PolicyDocument) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for s in &doc.canonical().statements {
        if s.sid.as_deref() == Some(LOCK_GUARD_SID) {
            continue;
        }
        let principal = s.principal.as_ref().map(|p| p.to_value().to_string());
        let condition = serde_json::to_string(&s.condition).unwrap();
        for action in s.action.iter().flatten() {
            for resource in s.resource.iter().flatten() {
                out.insert(format!(
                    "{} {principal:?} {action} {resource} {condition}",
                    s.effect.as_str()
                ));
            }
        }
    }
    out
}

/// The guide's policy with only its first bucket (Datadog's sample names two).
fn first_bucket_only(text: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    for statement in value["Statement"].as_array_mut().unwrap() {
        let resources = statement["Resource"].as_array_mut().unwrap();
        resources.retain(|r| !r.as_str().unwrap().contains("_2"));
    }
    value.to_string()
}

fn sids(doc: &PolicyDocument) -> Vec<Option<&str>> {
    doc.statements.iter().map(|s| s.sid.as_deref()).collect()
}

#[test]
fn segment_matches_guide_without_a_folder() {
    let d = expand_one("    vendor: segment\n    bucket: acme-exports\n    external_id: ws-42\n");
    assert_eq!(d.folder.as_deref(), Some("segment-logs"));
    let role = d.role.as_ref().unwrap();
    assert_eq!(
        (role.name.as_str(), role.path.as_str()),
        ("s3dest-dest", "/s3dest/")
    );
    assert_same(
        &role.trust,
        &guide(
            include_str!("../../tests/guides/segment-trust.json"),
            &[("<YOUR_WORKSPACE_ID>", "ws-42")],
        ),
    );
    let policy = d.inline_policy.as_ref().unwrap();
    assert_same(
        policy,
        &guide(
            include_str!("../../tests/guides/segment-policy.json"),
            &[("<YOUR_BUCKET_NAME>", BUCKET)],
        ),
    );
    // The guide's Sid is kept, and the grant, under `segment-logs/`, does not reach the
    // lock key: no guard.
    assert_eq!(sids(policy), [Some("PutObjectsInBucket")]);
    assert_eq!(d.bucket_statement, None);
    assert_eq!(d.existing_role, None);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn segment_with_a_folder_grants_under_the_prefix_as_segment_writes_there() {
    // Segment's bucket field `BUCKET/PREFIX` writes under `PREFIX/segment-logs/`: the
    // guide's policy with `<YOUR_BUCKET_NAME>` read as what is typed into that field.
    let d = expand_one(
        "    vendor: segment\n    bucket: acme-exports\n    folder: raw/segment\n    external_id: ws-42\n",
    );
    assert_eq!(d.folder.as_deref(), Some("raw/segment/segment-logs"));
    assert_same(
        d.inline_policy.as_ref().unwrap(),
        &guide(
            include_str!("../../tests/guides/segment-policy.json"),
            &[("<YOUR_BUCKET_NAME>", "acme-exports/raw/segment")],
        ),
    );
    assert_eq!(
        d.role
            .unwrap()
            .tags
            .get("s3dest:folder")
            .map(String::as_str),
        Some("raw/segment/segment-logs")
    );
    // An empty prefix is no prefix.
    let empty = expand_one(
        "    vendor: segment\n    bucket: acme-exports\n    folder: \"/\"\n    external_id: ws-42\n",
    );
    assert_eq!(empty.folder.as_deref(), Some("segment-logs"));
}

#[test]
fn mixpanel_allows_what_the_guides_one_statement_allows() {
    let d = expand_one("    vendor: mixpanel\n    bucket: acme-exports\n    external_id: tok-1\n");
    assert_eq!(d.folder, None, "Mixpanel names no folder: no marker");
    let role = d.role.as_ref().unwrap();
    assert_same(
        &role.trust,
        &guide(
            include_str!("../../tests/guides/mixpanel-trust.json"),
            &[("<MIXPANEL_PROJECT_TOKEN>", "tok-1")],
        ),
    );
    let policy = d.inline_policy.as_ref().unwrap();
    let expected = guide(
        include_str!("../../tests/guides/mixpanel-policy.json"),
        &[("<BUCKET_NAME>", BUCKET)],
    );
    // Not the guide's text: its one statement is split, bucket actions on the bucket and
    // object actions on its objects…
    assert!(!policy.equivalent(&expected));
    let expected_split = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:ListBucket"])
            .with_resources(["arn:aws:s3:::acme-exports"]),
        Statement::allow()
            .with_actions(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"])
            .with_resources(["arn:aws:s3:::acme-exports/*"]),
    ]);
    assert_same(policy, &expected_split);
    // …which allows the same: every (action, resource) pair of the guide's statement that
    // can match a request. The pairs left out name an action with a resource of the other
    // kind (ListBucket on objects, object actions on the bucket ARN), which match no
    // request.
    let left_out: Vec<String> = pairs(&expected)
        .difference(&pairs(policy))
        .cloned()
        .collect();
    assert_eq!(
        left_out,
        [
            "Allow None s3:DeleteObject arn:aws:s3:::acme-exports {}",
            "Allow None s3:GetObject arn:aws:s3:::acme-exports {}",
            "Allow None s3:ListBucket arn:aws:s3:::acme-exports/* {}",
            "Allow None s3:PutObject arn:aws:s3:::acme-exports {}",
        ]
    );
    assert!(pairs(policy).is_subset(&pairs(&expected)));
    // `BUCKET/*` reaches the lock key: the role carries the guard.
    assert_eq!(sids(policy).last(), Some(&Some(LOCK_GUARD_SID)));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn cloudflare_is_one_owned_bucket_statement_for_cloudflares_user() {
    let d = expand_one(
        "    vendor: cloudflare-logpush\n    bucket: acme-exports\n    folder: logs/http\n",
    );
    assert_eq!(d.role, None);
    assert_eq!(d.user, None);
    assert_eq!(d.existing_role, None);
    // No identity of the customer's to put a guard on (and the grant, under the path,
    // does not reach the lock key): no inline policy at all.
    assert_eq!(d.inline_policy, None);
    assert_eq!(d.folder.as_deref(), Some("logs/http"));
    let statement = d.bucket_statement.clone().unwrap();
    // s3dest's own Sid (the guide's `Stmt1506627150918` is an example), which is how
    // s3dest knows the statement is its.
    assert_eq!(
        statement.sid.as_deref(),
        Some(statement_sid("acme", "dest").as_str())
    );
    assert_eq!(
        statement.aws_principals().collect::<Vec<_>>(),
        ["arn:aws:iam::391854517948:user/cloudflare-logpush"]
    );
    let expected = guide(
        include_str!("../../tests/guides/cloudflare-bucket-policy.json"),
        &[("burritobot/logs", "acme-exports/logs/http")],
    );
    assert_same(&PolicyDocument::new(vec![statement]), &expected);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn datadog_adds_the_guides_policy_to_the_existing_integration_role() {
    let d = expand_one(
        "    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: datadog/archives\n",
    );
    // No role of s3dest's: the integration role, by its default name, with one inline
    // policy named by the destination's statement id.
    assert_eq!(d.role, None);
    assert_eq!(d.user, None);
    assert_eq!(d.bucket_statement, None);
    let existing = d.existing_role.as_ref().unwrap();
    assert_eq!(existing.name, "DatadogIntegrationRole");
    assert_eq!(existing.policy_name, statement_sid("acme", "dest"));
    let policy = d.inline_policy.as_ref().unwrap();
    let text = include_str!("../../tests/guides/datadog-policy.json");
    let expected = guide(
        &first_bucket_only(text),
        &[
            (
                "<MY_BUCKET_NAME_1_/_MY_OPTIONAL_BUCKET_PATH_1>",
                "acme-exports/datadog/archives",
            ),
            ("<MY_BUCKET_NAME_1>", BUCKET),
        ],
    );
    assert_same(policy, &expected);
    // The guide's Sids, and no guard: the grant is under the archive's path.
    assert_eq!(
        sids(policy),
        [
            Some("DatadogRehydrateLogArchivesListBucket"),
            Some("DatadogUploadAndRehydrateLogArchives")
        ]
    );
    assert_eq!(
        policy.to_canonical_pretty(),
        expected.to_canonical_pretty(),
        "the same statements under the same Sids"
    );
    // The role's trust is Datadog's integration's: nothing to warn about here.
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    let named = expand_one(
        "    vendor: datadog-log-archives\n    bucket: acme-exports\n    folder: dd\n    role_name: DatadogAWSIntegrationRole\n",
    );
    let existing = named.existing_role.unwrap();
    assert_eq!(existing.name, "DatadogAWSIntegrationRole");
    assert_eq!(existing.policy_name, statement_sid("acme", "dest"));
    assert_eq!(named.role, None);
}

/// The four vendors above and the lock: a grant on `BUCKET/*` (Mixpanel's) carries the
/// guard; a grant under a folder (Segment, Datadog) does not reach the key; Cloudflare's
/// statement names Cloudflare's user, who cannot be given a Deny, and is under its path.
#[test]
fn the_new_vendors_grants_reach_the_lock_only_guarded() {
    use s3dest_policy::{Effect, wildcard_matches};
    let lock = format!("arn:aws:s3:::{BUCKET}/{LOCK_KEY}");
    let cases = [
        ("vendor: segment\n    external_id: ws-1", false),
        (
            "vendor: segment\n    external_id: ws-1\n    folder: p",
            false,
        ),
        ("vendor: mixpanel\n    external_id: tok-1", true),
        ("vendor: cloudflare-logpush\n    folder: logs", false),
        ("vendor: datadog-log-archives\n    folder: dd", false),
    ];
    for (vendor, guarded) in cases {
        let yaml = format!("    {vendor}\n    bucket: {BUCKET}\n");
        let d = expand_one(&yaml);
        let statements: Vec<&Statement> = d
            .inline_policy
            .iter()
            .flat_map(|p| &p.statements)
            .chain(&d.bucket_statement)
            .collect();
        let reached = statements.iter().any(|s| {
            s.effect == Effect::Allow
                && s.resource
                    .iter()
                    .flatten()
                    .any(|r| wildcard_matches(r, &lock))
        });
        let denied = statements.iter().any(|s| {
            s.effect == Effect::Deny && s.resource.as_deref() == Some(std::slice::from_ref(&lock))
        });
        assert_eq!((reached, denied), (guarded, guarded), "{yaml}");
    }
}
