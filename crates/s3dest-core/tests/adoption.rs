//! `adopt: true` on setups made by hand from each vendor's guide, with the guide's
//! literal policies (`tests/guides/`, placeholders filled in): the guide's grant (an
//! inline policy, or Pendo's and Cloudflare's bucket statement) is taken over by
//! s3dest's own in one change, the plan after apply is empty, and what is not the
//! guide's grant (a foreign role, a foreign statement, a policy granting more) stays as
//! it was.

use std::collections::BTreeMap;

use s3dest_core::access::Reach;
use s3dest_core::findings::FindingKind;
use s3dest_core::model::{
    AccessKey, BucketEncryption, BucketInfo, FolderInfo, ObjectLock, Observed, ObservedBucket,
    ObservedRole, ObservedUser, Owner,
};
use s3dest_core::plan::{Action, Plan, diff};
use s3dest_core::sid::statement_sid;
use s3dest_core::{presets, render};
use s3dest_policy::{PolicyDocument, Statement};
use s3dest_testkit::{simulate, spec};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "acme-exports";
const FOREIGN_ROLE: &str = "analytics-etl";
const FOREIGN_SID: &str = "AnalyticsRead";

fn yaml(destination: &str) -> String {
    format!("version: 1\nname: acme\nbuckets:\n  {BUCKET}: {{}}\ndestinations:\n{destination}")
}

fn plan(yaml: &str, world: &Observed) -> Plan {
    diff(&presets::expand(&spec(yaml), ACCOUNT), world)
}

/// A guide's snippet with its placeholders filled in.
fn guide(text: &str, replacements: &[(&str, &str)]) -> PolicyDocument {
    let text = replacements
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to));
    PolicyDocument::parse(&text).unwrap()
}

fn trust(principal: &str, external_id: Option<&str>) -> PolicyDocument {
    s3dest_testkit::trust_policy(principal, external_id)
}

fn foreign_statement() -> Statement {
    Statement::from_value(&json!({
        "Sid": FOREIGN_SID,
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:role/analytics"},
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/reports/*"),
    }))
    .unwrap()
}

/// A role made by hand (or by a vendor's template) at `/`, without s3dest's tags.
fn hand_role(
    name: &str,
    trust: PolicyDocument,
    policies: &[(&str, PolicyDocument)],
) -> ObservedRole {
    s3dest_testkit::hand_role(ACCOUNT, name, trust, policies)
}

/// An account holding the bucket (SSE-S3, no Object Lock) with a statement of someone
/// else's, a role of someone else's, and the folders made in the console (markers
/// without s3dest's metadata).
fn world(folders: &[&str]) -> Observed {
    let mut world = Observed {
        account_id: ACCOUNT.into(),
        read_at: "2025-06-01T00:00:00Z".parse().unwrap(),
        ..Observed::default()
    };
    let folders = folders
        .iter()
        .map(|f| {
            let info = FolderInfo {
                marker: Some(Owner::Unowned),
                has_other_objects: None,
            };
            ((*f).to_owned(), info)
        })
        .collect();
    let info = BucketInfo {
        region: "us-east-1".into(),
        policy: Some(PolicyDocument::new(vec![foreign_statement()])),
        encryption: Some(BucketEncryption::SseS3),
        object_lock: Some(ObjectLock::Disabled),
        folders,
        ..BucketInfo::default()
    };
    world
        .buckets
        .insert(BUCKET.into(), ObservedBucket::Present(info));
    let analytics = PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:GetObject"])
            .with_resources([format!("arn:aws:s3:::{BUCKET}/reports/*")]),
    ]);
    let foreign = hand_role(
        FOREIGN_ROLE,
        trust("arn:aws:iam::444455556666:root", None),
        &[("read-reports", analytics)],
    );
    world.roles.insert(FOREIGN_ROLE.into(), foreign);
    world
}

fn bucket_policy(world: &Observed) -> &PolicyDocument {
    match &world.buckets[BUCKET] {
        ObservedBucket::Present(info) => info.policy.as_ref().unwrap(),
        ObservedBucket::Missing => panic!("no bucket"),
    }
}

fn bucket_policy_mut(world: &mut Observed) -> &mut PolicyDocument {
    match world.buckets.get_mut(BUCKET) {
        Some(ObservedBucket::Present(info)) => info.policy.as_mut().unwrap(),
        _ => panic!("no bucket"),
    }
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

/// The grants that widen (a trust rewritten widens on its own, and is no takeover's).
fn widens(plan: &Plan) -> Vec<String> {
    plan.findings
        .iter()
        .filter(|f| f.kind == FindingKind::AccessWidens && f.address != "destination.d.role")
        .map(|f| format!("{}: {}", f.address, f.message))
        .collect()
}

/// Plans `yaml` against `world` (no errors), applies it, and checks that the next plan
/// is empty and that the foreign role and statement are exactly as they were.
fn converge(yaml: &str, world: &mut Observed) -> Plan {
    let foreign_role = world.roles[FOREIGN_ROLE].clone();
    let first = plan(yaml, world);
    assert!(
        !first.has_errors(),
        "{:?} {:?}",
        first.errors,
        first.findings
    );
    simulate::apply(&first, world);
    let second = plan(yaml, world);
    assert!(second.is_empty(), "not converged: {:#?}", second.changes);
    assert_eq!(world.roles[FOREIGN_ROLE], foreign_role);
    let foreign = bucket_policy(world).statement_by_sid(FOREIGN_SID).unwrap();
    assert_eq!(foreign.to_value(), foreign_statement().to_value());
    first
}

/// One vendor's setup made by hand from its guide.
struct Case {
    name: &'static str,
    /// The destination `d` of the spec, which adopts it.
    destination: String,
    /// Folders made in the console.
    folders: &'static [&'static str],
    setup: fn(&mut Observed),
    /// The role or user that holds the grant and is left with only s3dest's policy
    /// (and, for Datadog's integration role, its own).
    identity: Option<&'static str>,
    changes: &'static [(&'static str, Action)],
}

fn cases() -> Vec<Case> {
    let common = |vendor: &str, rest: &str| {
        format!("  d:\n    vendor: {vendor}\n    bucket: {BUCKET}\n    adopt: true\n{rest}")
    };
    vec![
        Case {
            name: "pendo_data_sync",
            destination: common(
                "pendo-data-sync",
                "    folder: pendo\n    principal: arn:aws:iam::999999999999:user/pendo-sync\n    external_id: ext-pendo\n",
            ),
            folders: &["pendo"],
            setup: |w| {
                let trust = trust(
                    "arn:aws:iam::999999999999:user/pendo-sync",
                    Some("ext-pendo"),
                );
                w.roles.insert(
                    "pendo_datasync".into(),
                    hand_role("pendo_datasync", trust, &[]),
                );
                let statement = guide(
                    include_str!("guides/pendo-bucket-policy.json"),
                    &[
                        (
                            "ROLE_ARN",
                            &format!("arn:aws:iam::{ACCOUNT}:role/pendo_datasync"),
                        ),
                        ("BUCKET_ARN", &format!("arn:aws:s3:::{BUCKET}")),
                    ],
                );
                bucket_policy_mut(w).statements.extend(statement.statements);
            },
            identity: Some("pendo_datasync"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Create),
                ("bucket.acme-exports.statement.d", Action::Replace),
            ],
        },
        Case {
            name: "braze_currents",
            destination: common(
                "braze-currents",
                "    role_name: BrazeCurrentsRole\n    principal: \"987654321098\"\n    external_id: braze-ext\n",
            ),
            folders: &["currents"],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/braze-currents-role.json"),
                    &[("INSERTBUCKETNAME", BUCKET)],
                );
                let trust = trust("arn:aws:iam::987654321098:root", Some("braze-ext"));
                let role = hand_role("BrazeCurrentsRole", trust, &[("BrazeCurrents", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("BrazeCurrentsRole"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "braze_data_export",
            destination: common(
                "braze-data-export",
                "    folder: braze\n    role_name: BrazeExportRole\n    principal: arn:aws:iam::987654321098:root\n    external_id: braze-ext\n",
            ),
            folders: &["braze"],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/braze-export-role.json"),
                    &[("INSERTBUCKETNAME", BUCKET)],
                );
                let trust = trust("arn:aws:iam::987654321098:root", Some("braze-ext"));
                let role = hand_role("BrazeExportRole", trust, &[("BrazeDataExport", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("BrazeExportRole"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "braze_security_events",
            destination: common(
                "braze-security-events",
                "    folder: security\n    role_name: BrazeSecurityEvents\n    principal: \"987654321098\"\n    external_id: braze-ext\n",
            ),
            folders: &["security"],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/braze-security-role.json"),
                    &[("INSERTBUCKETNAME", BUCKET)],
                );
                let trust = trust("arn:aws:iam::987654321098:root", Some("braze-ext"));
                let role = hand_role("BrazeSecurityEvents", trust, &[("S3Access", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("BrazeSecurityEvents"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "walkme",
            destination: common(
                "walkme",
                "    folder: walkme\n    role_name: walkme-insights\n",
            ),
            folders: &["walkme"],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/walkme-policy.json"),
                    &[("<bucket-name>", BUCKET)],
                );
                // The earlier guide's four roles: the trust is rewritten, with its reason.
                let trust = guide(include_str!("guides/walkme-trust.json"), &[]);
                let role = hand_role("walkme-insights", trust, &[("WalkMeS3", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("walkme-insights"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "segment",
            destination: common(
                "segment",
                "    folder: raw\n    role_name: segment-s3\n    external_id: ws-42\n",
            ),
            folders: &["raw/segment-logs"],
            setup: |w| {
                // Segment's bucket field `BUCKET/PREFIX`: the guide's policy with it typed in.
                let policy = guide(
                    include_str!("guides/segment-policy.json"),
                    &[("<YOUR_BUCKET_NAME>", &format!("{BUCKET}/raw"))],
                );
                let trust = guide(
                    include_str!("guides/segment-trust.json"),
                    &[("<YOUR_WORKSPACE_ID>", "ws-42")],
                );
                let role = hand_role("segment-s3", trust, &[("SegmentS3", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("segment-s3"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "mixpanel",
            destination: common(
                "mixpanel",
                "    role_name: mixpanel-export\n    external_id: tok-1\n",
            ),
            folders: &[],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/mixpanel-policy.json"),
                    &[("<BUCKET_NAME>", BUCKET)],
                );
                let trust = guide(
                    include_str!("guides/mixpanel-trust.json"),
                    &[("<MIXPANEL_PROJECT_TOKEN>", "tok-1")],
                );
                let role = hand_role("mixpanel-export", trust, &[("MixpanelS3Access", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("mixpanel-export"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
        Case {
            name: "cloudflare_logpush",
            destination: common("cloudflare-logpush", "    folder: logs/http\n"),
            folders: &[],
            setup: |w| {
                let policy = guide(
                    include_str!("guides/cloudflare-bucket-policy.json"),
                    &[("burritobot/logs", &format!("{BUCKET}/logs/http"))],
                );
                bucket_policy_mut(w).statements.extend(policy.statements);
            },
            identity: None,
            changes: &[("bucket.acme-exports.statement.d", Action::Replace)],
        },
        Case {
            name: "datadog_log_archives",
            destination: common("datadog-log-archives", "    folder: datadog/archives\n"),
            folders: &[],
            setup: |w| {
                let text = include_str!("guides/datadog-policy.json");
                let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
                // The guide's sample names two buckets: the first is this one.
                for statement in value["Statement"].as_array_mut().unwrap() {
                    let resources = statement["Resource"].as_array_mut().unwrap();
                    resources.retain(|r| !r.as_str().unwrap().contains("_2"));
                }
                let policy = guide(
                    &value.to_string(),
                    &[
                        (
                            "<MY_BUCKET_NAME_1_/_MY_OPTIONAL_BUCKET_PATH_1>",
                            &format!("{BUCKET}/datadog/archives"),
                        ),
                        ("<MY_BUCKET_NAME_1>", BUCKET),
                    ],
                );
                // The integration's own policy, which has nothing to do with the bucket.
                let integration = PolicyDocument::new(vec![
                    Statement::allow()
                        .with_actions(["cloudwatch:Get*", "cloudwatch:List*", "tag:GetResources"])
                        .with_resources(["*"]),
                ]);
                let trust = trust("arn:aws:iam::464622532012:root", Some("dd-ext"));
                let role = hand_role(
                    "DatadogIntegrationRole",
                    trust,
                    &[
                        ("DatadogIntegrationPolicy", integration),
                        ("DatadogLogArchives", policy),
                    ],
                );
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("DatadogIntegrationRole"),
            changes: &[("destination.d.role_policy", Action::Replace)],
        },
        Case {
            name: "custom",
            destination: common(
                "custom",
                "    folder: partner\n    role_name: partner-exporter\n    principal: arn:aws:iam::111122223333:role/exporter\n    external_id: xyz-123\n    actions: [s3:PutObject, s3:GetObject]\n",
            ),
            folders: &["partner"],
            setup: |w| {
                let policy = PolicyDocument::new(vec![
                    Statement::allow()
                        .with_actions(["s3:PutObject", "s3:GetObject"])
                        .with_resources([format!("arn:aws:s3:::{BUCKET}/partner/*")]),
                ]);
                let trust = trust("arn:aws:iam::111122223333:role/exporter", Some("xyz-123"));
                let role = hand_role("partner-exporter", trust, &[("PartnerUpload", policy)]);
                w.roles.insert(role.name.clone(), role);
            },
            identity: Some("partner-exporter"),
            changes: &[
                ("destination.d.role", Action::Update),
                ("destination.d.role_policy", Action::Replace),
            ],
        },
    ]
}

#[test]
fn every_vendors_setup_from_the_guide_is_taken_over_and_converges() {
    for case in cases() {
        let yaml = yaml(&case.destination);
        let mut w = world(case.folders);
        (case.setup)(&mut w);
        let hand_made: Vec<String> = case
            .identity
            .map(|r| w.roles[r].inline_policies.keys().cloned().collect())
            .unwrap_or_default();
        let first = converge(&yaml, &mut w);
        let expected: Vec<(String, Action)> = case
            .changes
            .iter()
            .map(|(a, action)| ((*a).to_owned(), *action))
            .collect();
        assert_eq!(actions(&first), expected, "{}", case.name);
        let takeover = first
            .changes
            .iter()
            .find(|c| c.action == Action::Replace)
            .unwrap();
        assert!(
            takeover.reason.starts_with("adopting: "),
            "{}",
            takeover.reason
        );
        insta::assert_snapshot!(case.name, render::text(&first, false));
        // Left with s3dest's policy (and the integration's own, on Datadog's role).
        if let Some(role) = case.identity {
            let left: Vec<&String> = w.roles[role].inline_policies.keys().collect();
            let ours = match case.name {
                "datadog_log_archives" => vec![
                    "DatadogIntegrationPolicy".to_owned(),
                    statement_sid("acme", "d"),
                ],
                _ => vec!["s3dest".to_owned()],
            };
            assert_eq!(
                left,
                ours.iter().collect::<Vec<_>>(),
                "{}: {hand_made:?}",
                case.name
            );
            let owner = w.roles[role].owner();
            if case.name != "datadog_log_archives" {
                assert!(owner.is_spec("acme"), "{}: {owner:?}", case.name);
            }
        }
        // The bucket policy: the foreign statement and s3dest's, if the vendor's grant lives there.
        let sids: Vec<Option<&str>> = bucket_policy(&w)
            .statements
            .iter()
            .map(|s| s.sid.as_deref())
            .collect();
        let ours = statement_sid("acme", "d");
        let expected_sids = match case.name {
            "pendo_data_sync" | "cloudflare_logpush" => {
                vec![Some(FOREIGN_SID), Some(ours.as_str())]
            }
            _ => vec![Some(FOREIGN_SID)],
        };
        assert_eq!(sids, expected_sids, "{}", case.name);
    }
}

/// What s3dest grants beyond the hand-made policy is access that widens, and is said;
/// what it narrows is not.
#[test]
fn a_takeover_widens_access_only_where_the_preset_grants_more() {
    for case in cases() {
        let mut w = world(case.folders);
        (case.setup)(&mut w);
        let p = plan(&yaml(&case.destination), &w);
        let found = widens(&p);
        match case.name {
            // The guide's `BUCKET/` for s3:ListBucket matched nothing: now WalkMe can list.
            "walkme" => assert_eq!(
                found,
                [
                    "destination.d.role_policy: inline policy widens: adds resource `arn:aws:s3:::acme-exports`"
                ],
                "{}",
                case.name
            ),
            _ => assert_eq!(found, Vec::<String>::new(), "{}", case.name),
        }
    }
    // A hand-made policy without s3:GetBucketLocation: the preset adds it, and says so.
    let case = cases()
        .into_iter()
        .find(|c| c.name == "braze_currents")
        .unwrap();
    let mut w = world(case.folders);
    (case.setup)(&mut w);
    let role = w.roles.get_mut("BrazeCurrentsRole").unwrap();
    let policy = role.inline_policies.get_mut("BrazeCurrents").unwrap();
    policy.statements[0].action = Some(vec!["s3:ListBucket".into()]);
    let first = converge(&yaml(&case.destination), &mut w);
    let takeover = &first.changes[1];
    assert_eq!(
        takeover.reason,
        "adopting: inline policy `BrazeCurrents` grants what the guide's policy grants; s3dest's policy `s3dest` replaces it (`s3:GetBucketLocation` is added)"
    );
    assert_eq!(
        widens(&first),
        ["destination.d.role_policy: inline policy widens: adds action `s3:GetBucketLocation`"]
    );
}

/// Braze's access-key guide grants `BUCKET*` (every bucket named like it): taken over,
/// and narrowed; the user's key stays the one pasted into Braze until it is rotated.
#[test]
fn the_access_key_guides_bucket_prefix_is_taken_over_and_narrowed() {
    let yaml = yaml(
        "  d:\n    vendor: braze-data-export\n    auth: access-key\n    bucket: acme-exports\n    folder: braze\n    adopt: true\n",
    );
    let mut w = world(&["braze"]);
    let policy = guide(
        include_str!("guides/braze-export-access-key.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    let user = ObservedUser {
        name: "s3dest-d".into(),
        path: "/".into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/s3dest-d"),
        tags: BTreeMap::new(),
        inline_policies: BTreeMap::from([("BrazeExport".to_owned(), policy)]),
        managed_policy_arns: Vec::new(),
        access_keys: vec![AccessKey {
            id: "AKIAHANDMADE00000001".into(),
            active: true,
            created: "2025-05-01T00:00:00Z".parse().unwrap(),
            last_used: None,
        }],
    };
    w.users.insert(user.name.clone(), user);
    let first = converge(&yaml, &mut w);
    let takeover = first
        .changes
        .iter()
        .find(|c| c.address == "destination.d.user_policy")
        .unwrap();
    assert_eq!(takeover.action, Action::Replace);
    assert_eq!(
        takeover.reason,
        "adopting: inline policy `BrazeExport` grants what the guide's policy grants; s3dest's policy `s3dest` replaces it (`arn:aws:s3:::acme-exports*` becomes `arn:aws:s3:::acme-exports/*`, which matches no other bucket; `arn:aws:s3:::acme-exports/`, which matches nothing, becomes `arn:aws:s3:::acme-exports/*`)"
    );
    assert_eq!(widens(&first), Vec::<String>::new());
    insta::assert_snapshot!("braze_data_export_access_key", render::text(&first, false));
    let left: Vec<&String> = w.users["s3dest-d"].inline_policies.keys().collect();
    assert_eq!(left, ["s3dest"]);
}

/// A hand-made policy that grants anything beyond the guide's grant stays, and the
/// warning says it was not taken over and why; s3dest's policy is added next to it.
#[test]
fn a_policy_granting_more_than_the_guide_is_not_taken_over() {
    let extra = [
        (
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-other/*"}),
            "it grants on `arn:aws:s3:::acme-other/*`, which is not an ARN the guide writes for bucket `acme-exports` and folder `currents`",
        ),
        (
            json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
            "it grants `kms:Decrypt`, which the guide does not grant the vendor",
        ),
        (
            json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::acme-exports/*"}),
            "it has a `Deny` statement",
        ),
        (
            json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-exports/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}),
            "it has a condition",
        ),
    ];
    let case = cases()
        .into_iter()
        .find(|c| c.name == "braze_currents")
        .unwrap();
    let yaml = yaml(&case.destination);
    for (statement, why) in extra {
        let mut w = world(case.folders);
        (case.setup)(&mut w);
        let role = w.roles.get_mut("BrazeCurrentsRole").unwrap();
        let policy = role.inline_policies.get_mut("BrazeCurrents").unwrap();
        policy
            .statements
            .push(Statement::from_value(&statement).unwrap());
        let kept = policy.clone();
        let first = converge(&yaml, &mut w);
        assert_eq!(
            actions(&first),
            [
                ("destination.d.role".to_owned(), Action::Update),
                ("destination.d.role_policy".to_owned(), Action::Create),
            ]
        );
        let warning = format!(
            "role `BrazeCurrentsRole` has an inline policy `BrazeCurrents` that s3dest does not manage; `adopt: true` does not take it over, as it is not the guide's grant for this destination ({why}); it is left alone"
        );
        assert!(
            first.warnings.iter().any(|n| n.message == warning),
            "{:#?}",
            first.warnings
        );
        assert_eq!(
            w.roles["BrazeCurrentsRole"].inline_policies["BrazeCurrents"],
            kept
        );
    }
}

/// Without `adopt: true` nothing of this changes: Cloudflare's and Datadog's grants
/// are added next to the hand-made ones, and a policy added by hand to a role s3dest
/// already owns stays, with the warning of old.
#[test]
fn nothing_is_taken_over_without_adopt() {
    for name in ["cloudflare_logpush", "datadog_log_archives"] {
        let case = cases().into_iter().find(|c| c.name == name).unwrap();
        let yaml = yaml(&case.destination.replace("    adopt: true\n", ""));
        let mut w = world(case.folders);
        (case.setup)(&mut w);
        let before = w.clone();
        let first = converge(&yaml, &mut w);
        assert!(
            first.changes.iter().all(|c| c.action == Action::Create),
            "{name}: {:#?}",
            actions(&first)
        );
        assert!(first.changes.iter().all(|c| !c.reason.contains("adopting")));
        match name {
            "cloudflare_logpush" => {
                let hand = &bucket_policy(&before).statements[1];
                let still = bucket_policy(&w)
                    .statement_by_sid("Stmt1506627150918")
                    .unwrap();
                assert_eq!(still.to_value(), hand.to_value());
            }
            _ => assert_eq!(
                w.roles["DatadogIntegrationRole"].inline_policies["DatadogLogArchives"],
                before.roles["DatadogIntegrationRole"].inline_policies["DatadogLogArchives"]
            ),
        }
    }
    // A role of this spec's, given the guide's policy by hand later.
    let case = cases()
        .into_iter()
        .find(|c| c.name == "braze_currents")
        .unwrap();
    let adopting = yaml(&case.destination);
    let plain = adopting.replace("    adopt: true\n", "");
    let mut w = world(case.folders);
    (case.setup)(&mut w);
    converge(&adopting, &mut w);
    let policy = guide(
        include_str!("guides/braze-currents-role.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    let role = w.roles.get_mut("BrazeCurrentsRole").unwrap();
    role.inline_policies.insert("BrazeCurrents".into(), policy);
    let p = plan(&plain, &w);
    assert!(p.is_empty(), "{:#?}", p.changes);
    assert_eq!(
        p.warnings
            .iter()
            .map(|n| n.message.as_str())
            .collect::<Vec<_>>(),
        [
            "role `BrazeCurrentsRole` has an inline policy `BrazeCurrents` that s3dest does not manage; it is left alone"
        ]
    );
    // With `adopt: true` it goes, and s3dest's policy, already in place, is not written again.
    let p = plan(&adopting, &w);
    assert_eq!(
        actions(&p),
        [("destination.d.role_policy".to_owned(), Action::Replace)]
    );
    assert_eq!(
        p.changes[0].ops,
        [s3dest_core::plan::Op::DeleteRolePolicy {
            role: "BrazeCurrentsRole".into(),
            name: "BrazeCurrents".into()
        }]
    );
    converge(&adopting, &mut w);
}

/// Pendo's guide statement without its Sid cannot be deleted by Sid: it stays, and the
/// warning says to remove it by hand. One granting more than the guide's stays too.
#[test]
fn a_bucket_statement_without_a_sid_or_granting_more_stays() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "pendo_data_sync")
        .unwrap();
    let yaml = yaml(&case.destination);
    let ours = statement_sid("acme", "d");

    let mut w = world(case.folders);
    (case.setup)(&mut w);
    bucket_policy_mut(&mut w).statements[1].sid = None;
    let first = converge(&yaml, &mut w);
    let statement = first
        .changes
        .iter()
        .find(|c| c.address == "bucket.acme-exports.statement.d")
        .unwrap();
    assert_eq!(statement.action, Action::Create);
    let warnings: Vec<&str> = first.warnings.iter().map(|n| n.message.as_str()).collect();
    assert!(
        warnings.contains(&format!("statement 2 (no Sid) of bucket `acme-exports`'s policy grants role `pendo_datasync` what the guide's statement grants, as s3dest's statement `{ours}` does; s3dest deletes statements only by their Sid, so remove it by hand").as_str()),
        "{warnings:#?}"
    );
    assert_eq!(bucket_policy(&w).statements.len(), 3);

    let mut w = world(case.folders);
    (case.setup)(&mut w);
    let guide_statement = &mut bucket_policy_mut(&mut w).statements[1];
    guide_statement
        .action
        .as_mut()
        .unwrap()
        .push("s3:GetObject".into());
    let kept = guide_statement.clone();
    let first = converge(&yaml, &mut w);
    let warnings: Vec<&str> = first.warnings.iter().map(|n| n.message.as_str()).collect();
    assert!(
        warnings.contains(&"statement `Statement1` of bucket `acme-exports`'s policy also grants role `pendo_datasync`; `adopt: true` does not take it over, as it is not the guide's grant for this destination (it grants `s3:GetObject`, which the guide does not grant the vendor); it is left alone"),
        "{warnings:#?}"
    );
    let still = bucket_policy(&w).statement_by_sid("Statement1").unwrap();
    assert_eq!(still.to_value(), kept.to_value());
}

/// The planned access evaluation knows what a takeover deletes: Braze's `BUCKET*`
/// reached every bucket named like it, and once taken over it reaches none.
#[test]
fn the_planned_access_leaves_out_what_the_takeover_deletes() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "braze_currents")
        .unwrap();
    let mut w = world(case.folders);
    (case.setup)(&mut w);
    let role = w.roles.get_mut("BrazeCurrentsRole").unwrap();
    let policy = role.inline_policies.get_mut("BrazeCurrents").unwrap();
    policy.statements[1].resource = Some(vec![format!("arn:aws:s3:::{BUCKET}*")]);
    let adopting = plan(&yaml(&case.destination), &w);
    assert!(
        adopting
            .changes
            .iter()
            .any(|c| c.reason.contains("which matches no other bucket")),
        "{:#?}",
        adopting.changes
    );
    let reaches_other_bucket = |p: &Plan| {
        p.access[0]
            .requests
            .iter()
            .any(|r| r.reach == Reach::PrefixBucket && r.verdict.is_allowed())
    };
    assert!(!reaches_other_bucket(&adopting));
    // Not adopted (a role of this spec's that someone gave the policy): it stays, and
    // the vendor still reaches the bucket named like it.
    converge(&yaml(&case.destination), &mut w);
    let role = w.roles.get_mut("BrazeCurrentsRole").unwrap();
    let mut wide = guide(
        include_str!("guides/braze-currents-role.json"),
        &[("INSERTBUCKETNAME", BUCKET)],
    );
    wide.statements[1].resource = Some(vec![format!("arn:aws:s3:::{BUCKET}*")]);
    role.inline_policies.insert("BrazeCurrents".into(), wide);
    let plain = plan(
        &yaml(&case.destination.replace("    adopt: true\n", "")),
        &w,
    );
    assert!(
        reaches_other_bucket(&plain),
        "{:#?}",
        plain.access[0].requests
    );
}

/// Datadog's guide samples two buckets: a policy granting both is not this
/// destination's grant alone, and stays, with a warning; the integration's own policy,
/// which does not name the bucket, gets none.
#[test]
fn datadogs_policy_for_two_buckets_stays_on_the_integration_role() {
    let case = cases()
        .into_iter()
        .find(|c| c.name == "datadog_log_archives")
        .unwrap();
    let mut w = world(case.folders);
    (case.setup)(&mut w);
    let both = guide(
        include_str!("guides/datadog-policy.json"),
        &[
            (
                "<MY_BUCKET_NAME_1_/_MY_OPTIONAL_BUCKET_PATH_1>",
                &format!("{BUCKET}/datadog/archives"),
            ),
            ("<MY_BUCKET_NAME_1>", BUCKET),
            (
                "<MY_BUCKET_NAME_2_/_MY_OPTIONAL_BUCKET_PATH_2>",
                "acme-archive-2/dd",
            ),
            ("<MY_BUCKET_NAME_2>", "acme-archive-2"),
        ],
    );
    let role = w.roles.get_mut("DatadogIntegrationRole").unwrap();
    role.inline_policies
        .insert("DatadogLogArchives".into(), both);
    let first = converge(&yaml(&case.destination), &mut w);
    assert_eq!(
        actions(&first),
        [("destination.d.role_policy".to_owned(), Action::Create)]
    );
    let warnings: Vec<&str> = first.warnings.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "role `DatadogIntegrationRole` has an inline policy `DatadogLogArchives` that s3dest does not manage; `adopt: true` does not take it over, as it is not the guide's grant for this destination (it grants on `arn:aws:s3:::acme-archive-2/dd/*`, which is not an ARN the guide writes for bucket `acme-exports` and folder `datadog/archives`); it is left alone"
        ]
    );
    assert!(
        w.roles["DatadogIntegrationRole"]
            .inline_policies
            .contains_key("DatadogLogArchives")
    );
}
