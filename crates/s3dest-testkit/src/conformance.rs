//! The conformance suite of the `Cloud` trait: one set of cases, each generic over the
//! cloud under test and a [`Scene`], for every implementation to pass (its contract is
//! the doc comment of `s3dest_aws::Cloud`).
//!
//! Each case sets the scene, reads, plans with the real planner (`plan::diff` over
//! `presets::expand` of a parsed spec) where it can, applies, reads again, and asserts
//! what the contract promises. A case returns an [`Outcome`]: what it saw, normalized
//! so that two runs of the same case on the same kind of cloud give the same one (no
//! key ids, no timestamps, no call counts).
//!
//! A case returns `Err` only for an error of the cloud it could not expect (with
//! injected faults, a request that failed after its retries). It never returns `Err`
//! for a wrong answer: a wrong read, a wrong report, or a write that is not what it
//! should be panics. So a runner without faults requires `Ok`; a runner with faults
//! accepts `Err`, and otherwise requires exactly the outcome of the fault-free run.
//!
//! [`for_each_case!`](crate::for_each_case) lists the cases, for runners to generate one
//! test per case.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::Mutex;

use serde_json::Value;

use s3dest_aws::{ApplyEvent, ApplyReport, Cloud, CloudError, IamSnapshot};
use s3dest_core::model::{
    BucketEncryption, BucketRead, Desired, FolderInfo, IdentityNames, KmsAlgorithm, KmsKey,
    KmsKeyId, ObjectLock, Observed, ObservedBucket, Owner, ReadRequest, RoleDef, TAG_DESTINATION,
    TAG_SPEC,
};
use s3dest_core::plan::{Action, Address, Change, Op, Part, Plan};
use s3dest_core::{plan, presets, sid};
use s3dest_policy::{PolicyDocument, Statement};

use crate::Scene;
use crate::spec;

/// The account of moto, and of [`crate::MemoryCloud`] by default.
pub const ACCOUNT: &str = "123456789012";

/// Every case of the suite, by name: `for_each_case!(my_macro)` expands to
/// `my_macro!(case_a, case_b, …)`.
#[macro_export]
macro_rules! for_each_case {
    ($runner:ident) => {
        $runner!(
            a_missing_bucket_reads_missing,
            an_applied_plan_reads_back,
            applying_again_converges,
            reads_return_only_what_was_asked_and_is_owned,
            apply_keeps_foreign_statements,
            deleting_a_statement_removes_only_ours,
            a_folder_with_other_objects_is_kept,
            an_access_key_user_has_one_key_named_by_its_secret,
            a_plan_with_errors_is_refused,
            buckets_read_their_encryption_and_object_lock,
        );
    };
}

/// What a case saw, normalized: one line per fact, in the order seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome(pub Vec<String>);

impl Outcome {
    fn note(&mut self, what: &str, value: impl Debug) {
        self.0.push(format!("{what}: {value:?}"));
    }
}

/// The spec of most cases: a bucket s3dest creates, one that exists already (`shared`,
/// set by the case), a role with an inline policy (custom) and Pendo's role with a
/// bucket-policy statement in `shared`.
const ROLES: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: { create: true }
  shared: {}
destinations:
  pendo: { vendor: pendo-data-sync, bucket: shared, folder: pendo, principal: "arn:aws:iam::999999999999:user/pendo-sync", external_id: ext-pendo }
  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: "arn:aws:iam::111122223333:role/exporter", external_id: xyz-123, actions: [s3:PutObject, s3:GetObject] }
"#;

/// [`ROLES`] without Pendo: its role, statement (and folder, if empty) are pruned.
const ROLES_WITHOUT_PENDO: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: { create: true }
  shared: {}
destinations:
  partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: "arn:aws:iam::111122223333:role/exporter", external_id: xyz-123, actions: [s3:PutObject, s3:GetObject] }
"#;

/// [`ROLES`] without the custom destination.
const ROLES_WITHOUT_PARTNER: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: { create: true }
  shared: {}
destinations:
  pendo: { vendor: pendo-data-sync, bucket: shared, folder: pendo, principal: "arn:aws:iam::999999999999:user/pendo-sync", external_id: ext-pendo }
"#;

const ACCESS_KEY: &str = r#"
version: 1
name: acme
buckets:
  acme-exports: { create: true }
destinations:
  walkme-import: { vendor: walkme, auth: access-key, bucket: acme-exports, folder: walkme/import }
"#;

/// Someone else's statement, in a spelling s3dest would never write.
const FOREIGN: &str = r#"{"Sid":"HandWritten","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/reports/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"true"}}}"#;

/// `shared`'s policy before s3dest: an `Id`, the foreign statement, one without a Sid,
/// and one of another spec (a Sid s3dest generated, not for this spec).
fn shared_policy() -> String {
    let other_spec = sid::statement_sid("other", "pendo");
    format!(
        r#"{{"Version":"2012-10-17","Id":"Theirs","Statement":[{FOREIGN},{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::777788889999:root"]}},"Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::shared"}},{{"Sid":"{other_spec}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::999999999999:root"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/other/*"}}]}}"#
    )
}

/// `read_iam`, checking that it counted its calls.
async fn read_iam(cloud: &impl Cloud, names: &IdentityNames) -> Result<IamSnapshot, CloudError> {
    let before = cloud.calls();
    let snapshot = cloud.read_iam(names).await?;
    assert!(cloud.calls() > before, "read_iam counted no call");
    assert_eq!(snapshot.account_id, ACCOUNT);
    Ok(snapshot)
}

/// `read_buckets`, checking that it counted its calls and answered exactly the
/// buckets and folders asked for, settings only when asked.
async fn read_buckets(
    cloud: &impl Cloud,
    request: &ReadRequest,
) -> Result<BTreeMap<String, ObservedBucket>, CloudError> {
    let before = cloud.calls();
    let buckets = cloud.read_buckets(request).await?;
    assert!(
        request.buckets.is_empty() || cloud.calls() > before,
        "read_buckets counted no call"
    );
    assert_eq!(
        buckets.keys().collect::<Vec<_>>(),
        request.buckets.keys().collect::<Vec<_>>(),
        "read_buckets answers every bucket asked for, and only those"
    );
    for (name, read) in &request.buckets {
        let ObservedBucket::Present(info) = &buckets[name] else {
            continue;
        };
        let asked: BTreeSet<&String> = read.folders.iter().chain(&read.prune_folders).collect();
        assert_eq!(
            info.folders.keys().collect::<BTreeSet<_>>(),
            asked,
            "bucket `{name}`: exactly the folders asked for"
        );
        for (folder, found) in &info.folders {
            assert_eq!(
                found.has_other_objects.is_some(),
                read.prune_folders.contains(folder),
                "bucket `{name}`, folder `{folder}`: its other objects are looked for only when prune may delete it"
            );
        }
        assert_eq!(
            info.public_access_blocked.is_some(),
            read.settings,
            "bucket `{name}`: settings are read when asked for, only then"
        );
        assert_eq!(
            info.encryption.is_some(),
            read.encryption,
            "bucket `{name}`: its encryption is read when asked for, only then"
        );
        assert_eq!(
            info.object_lock.is_some(),
            read.object_lock,
            "bucket `{name}`: its Object Lock is read when asked for, only then"
        );
    }
    Ok(buckets)
}

/// What AWS holds for a spec, read the way the CLI reads it: IAM and the secrets, then
/// the buckets the plan needs.
async fn observe(cloud: &impl Cloud, yaml: &str) -> Result<(Desired, Observed), CloudError> {
    let spec = spec(yaml);
    let names = s3dest_core::wanted_identities(&spec);
    let iam = read_iam(cloud, &names).await?;
    let before = cloud.calls();
    let secrets = cloud.read_secrets(&spec.name).await?;
    assert!(cloud.calls() > before, "read_secrets counted no call");
    let prefix = format!("s3dest/{}/", spec.name);
    assert!(
        secrets.keys().all(|name| name.starts_with(&prefix)),
        "read_secrets returns only the spec's secrets: {:?}",
        secrets.keys()
    );
    let desired = presets::expand(&spec, &iam.account_id);
    let owned = |tags: &&BTreeMap<String, String>| tags.get(TAG_SPEC) == Some(&spec.name);
    let tags = iam
        .roles
        .values()
        .map(|r| &r.tags)
        .chain(iam.users.values().map(|u| &u.tags));
    let request = s3dest_core::read_request(&desired, tags.filter(owned));
    let buckets = read_buckets(cloud, &request).await?;
    let observed = Observed {
        account_id: iam.account_id,
        roles: iam.roles,
        users: iam.users,
        secrets,
        buckets,
        read_at: jiff::Timestamp::now(),
    };
    Ok((desired, observed))
}

/// Reads and plans; the plan must be free of errors.
async fn plan_for(cloud: &impl Cloud, yaml: &str) -> Result<(Desired, Observed, Plan), CloudError> {
    let (desired, observed) = observe(cloud, yaml).await?;
    let plan = plan::diff(&desired, &observed);
    assert!(plan.errors.is_empty(), "{:#?}", plan.errors);
    Ok((desired, observed, plan))
}

/// Reads and plans: AWS must match the spec.
async fn converged(cloud: &impl Cloud, yaml: &str) -> Result<Observed, CloudError> {
    let (_, observed, plan) = plan_for(cloud, yaml).await?;
    assert!(plan.is_empty(), "not converged: {:#?}", plan.changes);
    Ok(observed)
}

/// Applies, recording every event; checks the report against the events and the plan.
async fn apply(cloud: &impl Cloud, plan: &Plan) -> Result<(ApplyReport, Vec<String>), CloudError> {
    let before = cloud.calls();
    let events = Mutex::new(Vec::new());
    let record = |event: ApplyEvent<'_>| {
        let line = match event {
            ApplyEvent::Started(c) => format!("started {}", c.address),
            ApplyEvent::Done(c) => format!("done {}", c.address),
            ApplyEvent::Failed(c, _) => format!("failed {}", c.address),
            ApplyEvent::Warning(message) => format!("warning {message}"),
        };
        events.lock().unwrap().push(line);
    };
    let report = cloud.apply(plan, &record).await?;
    let events = events.into_inner().unwrap();
    let grew = cloud.calls() - before;
    assert!(
        report.calls <= grew,
        "the report counts {} calls, calls() grew by {grew}",
        report.calls
    );
    if plan.changes.iter().any(|c| !c.ops.is_empty()) {
        assert!(
            report.calls > 0,
            "an apply that sent something counted nothing"
        );
    }
    // Every change is reported once, in plan order.
    let mut reported: Vec<String> = report
        .applied
        .iter()
        .chain(report.failed.iter().map(|(a, _)| a))
        .chain(&report.skipped)
        .map(ToString::to_string)
        .collect();
    reported.sort();
    let mut planned: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    planned.sort();
    assert_eq!(reported, planned, "{report:#?}");
    // Each finished change was started first; each failed one likewise.
    for change in &plan.changes {
        let position = |line: String| events.iter().position(|e| *e == line);
        let count = |prefix: &str| {
            events
                .iter()
                .filter(|e| **e == format!("{prefix} {}", change.address))
                .count()
        };
        let started = position(format!("started {}", change.address));
        let applied = report.applied.contains(&change.address);
        let failed = report.failed.iter().any(|(a, _)| *a == change.address);
        assert_eq!(count("done"), usize::from(applied), "{events:#?}");
        assert_eq!(count("failed"), usize::from(failed), "{events:#?}");
        assert!(count("started") <= 1, "{events:#?}");
        for end in ["done", "failed"] {
            if let Some(at) = position(format!("{end} {}", change.address)) {
                assert!(started.is_some_and(|s| s < at), "{events:#?}");
            }
        }
    }
    if !report.failed.is_empty() {
        // Apply stops after the phase of the first failure: nothing of a later phase ran.
        let first_failure = plan
            .changes
            .iter()
            .filter(|c| report.failed.iter().any(|(a, _)| *a == c.address))
            .flat_map(|c| c.op_phases())
            .min()
            .expect("a failed change has operations");
        for change in &plan.changes {
            if change.op_phases().iter().all(|p| *p > first_failure) {
                assert!(
                    report.skipped.contains(&change.address),
                    "{} ran after a failed phase: {report:#?}",
                    change.address
                );
                assert!(
                    !events
                        .iter()
                        .any(|e| e.ends_with(&format!(" {}", change.address))),
                    "{events:#?}"
                );
            }
        }
    }
    Ok((report, events))
}

/// Applies a plan that must succeed: a failure is the cloud's error, for the runner.
async fn apply_all(cloud: &impl Cloud, plan: &Plan) -> Result<ApplyReport, CloudError> {
    let (report, _) = apply(cloud, plan).await?;
    if let Some((_, error)) = report.failed.first() {
        return Err(error.clone());
    }
    assert!(report.is_success(), "{report:#?}");
    Ok(report)
}

fn change(address: Address, action: Action, ops: Vec<Op>) -> Change {
    Change {
        address,
        action,
        before: None,
        after: None,
        reason: "conformance".to_owned(),
        ops,
    }
}

fn edge_plan(changes: Vec<Change>) -> Plan {
    Plan {
        spec: "acme".to_owned(),
        account_id: ACCOUNT.to_owned(),
        changes,
        warnings: vec![],
        notes: vec![],
        errors: vec![],
        findings: vec![],
        access: vec![],
    }
}

fn present<'o>(observed: &'o Observed, bucket: &str) -> &'o s3dest_core::model::BucketInfo {
    match observed.buckets.get(bucket) {
        Some(ObservedBucket::Present(info)) => info,
        other => panic!("bucket `{bucket}` is not there: {other:?}"),
    }
}

fn ops(plan: &Plan) -> impl Iterator<Item = &Op> {
    plan.changes.iter().flat_map(|c| &c.ops)
}

fn addresses(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect()
}

/// The roles, their inline policies and the folders of `desired`, as `observed` has
/// them: everything the spec wants, equivalent, owned by it.
fn assert_matches(desired: &Desired, observed: &Observed, outcome: &mut Outcome) {
    for dest in desired.destinations.values() {
        let owner = Owner::Spec {
            spec: desired.spec.clone(),
            destination: Some(dest.name.clone()),
        };
        if let Some(want) = &dest.role {
            let have = observed
                .roles
                .get(&want.name)
                .unwrap_or_else(|| panic!("role `{}` was not read back", want.name));
            assert_eq!(have.path, want.path);
            assert_eq!(have.arn, want.arn(ACCOUNT));
            assert!(
                have.trust.equivalent(&want.trust),
                "{:#?} vs {:#?}",
                have.trust,
                want.trust
            );
            assert_eq!(have.tags, want.tags, "role `{}`", want.name);
            assert_eq!(have.owner(), owner);
            let inline: Vec<&String> = have.inline_policies.keys().collect();
            match &dest.inline_policy {
                Some(policy) => {
                    assert_eq!(inline, ["s3dest"]);
                    assert!(have.inline_policies["s3dest"].equivalent(policy));
                }
                None => assert!(inline.is_empty(), "{inline:?}"),
            }
            outcome.note(
                &format!("role {}", want.name),
                (
                    &have.path,
                    &have.arn,
                    have.trust.canonical().to_json(),
                    &have.tags,
                    have.inline_policies
                        .iter()
                        .map(|(k, v)| (k.clone(), v.canonical().to_json()))
                        .collect::<Vec<_>>(),
                ),
            );
        }
        let bucket = present(observed, &dest.bucket);
        let folder = dest
            .folder
            .as_deref()
            .expect("the cases' vendors take a folder");
        assert_eq!(
            bucket.folders[folder].marker,
            Some(owner.clone()),
            "folder marker of `{}`",
            dest.name
        );
        outcome.note(
            &format!("folder {}", dest.name),
            (&dest.bucket, &bucket.folders[folder]),
        );
        if let Some(want) = &dest.bucket_statement {
            let sid = want.sid.as_deref().expect("statements carry their Sid");
            let policy = bucket.policy.as_ref().expect("the bucket has a policy");
            let have = policy
                .statement_by_sid(sid)
                .unwrap_or_else(|| panic!("statement `{sid}` is not in `{}`", dest.bucket));
            assert!(have.equivalent(want), "{have:#?} vs {want:#?}");
            outcome.note(
                &format!("statement {}", dest.name),
                have.canonical().to_value(),
            );
        }
    }
}

/// A bucket that does not exist reads `Missing`, whatever else is asked of it; one
/// that exists reads with exactly what was asked.
pub async fn a_missing_bucket_reads_missing(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("present", "us-east-1").await;
    let asked = |folders: &[&str], prune: &[&str], settings, expected: Option<&str>| BucketRead {
        settings,
        folders: folders.iter().map(|f| (*f).to_owned()).collect(),
        prune_folders: prune.iter().map(|f| (*f).to_owned()).collect(),
        lock: false,
        expected_region: expected.map(str::to_owned),
        encryption: settings,
        object_lock: settings,
    };
    let request = ReadRequest {
        spec: "acme".to_owned(),
        role_names: BTreeSet::new(),
        buckets: BTreeMap::from([
            ("absent".to_owned(), BucketRead::default()),
            (
                "absent-too".to_owned(),
                asked(&["a"], &["b"], true, Some("us-east-1")),
            ),
            ("present".to_owned(), asked(&["a"], &["b"], false, None)),
        ]),
    };
    let buckets = read_buckets(cloud, &request).await?;
    assert_eq!(buckets["absent"], ObservedBucket::Missing);
    assert_eq!(buckets["absent-too"], ObservedBucket::Missing);
    let ObservedBucket::Present(info) = &buckets["present"] else {
        panic!("bucket `present` exists: {:?}", buckets["present"]);
    };
    assert_eq!(info.region, "us-east-1");
    assert_eq!(info.policy, None);
    assert_eq!(info.lock, None);
    assert_eq!(
        info.folders["a"],
        FolderInfo {
            marker: None,
            has_other_objects: None
        }
    );
    assert_eq!(
        info.folders["b"],
        FolderInfo {
            marker: None,
            has_other_objects: Some(false)
        }
    );
    outcome.note("buckets", &buckets);
    Ok(outcome)
}

/// A plan creating a bucket, two roles with trust and tags, an inline policy, a
/// bucket statement and two folders, applied, reads back equal to what the spec wants.
pub async fn an_applied_plan_reads_back(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    let (desired, _, plan) = plan_for(cloud, ROLES).await?;
    let kinds: BTreeSet<&str> = ops(&plan)
        .map(|op| match op {
            Op::CreateBucket { .. } => "CreateBucket",
            Op::CreateRole { .. } => "CreateRole",
            Op::PutRolePolicy { .. } => "PutRolePolicy",
            Op::PutStatement { .. } => "PutStatement",
            Op::CreateFolder { .. } => "CreateFolder",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "CreateBucket",
            "CreateRole",
            "PutRolePolicy",
            "PutStatement",
            "CreateFolder"
        ]),
        "{:#?}",
        addresses(&plan)
    );
    outcome.note("plan", addresses(&plan));
    let report = apply_all(cloud, &plan).await?;
    assert_eq!(report.applied.len(), plan.changes.len());
    let observed = converged(cloud, ROLES).await?;
    assert_matches(&desired, &observed, &mut outcome);
    let created = present(&observed, "acme-exports");
    assert_eq!(created.region, "us-east-1");
    assert_eq!(created.public_access_blocked, Some(true));
    outcome.note("acme-exports policy", &created.policy);
    Ok(outcome)
}

/// Every write is safe to run twice: the same plan applied again succeeds and changes
/// nothing (`CreateRole` of a role this spec just made included); but `CreateRole` of
/// a role someone else made fails.
pub async fn applying_again_converges(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    let (_, _, plan) = plan_for(cloud, ROLES).await?;
    apply_all(cloud, &plan).await?;
    let (_, first) = observe(cloud, ROLES).await?;
    let shared_text = scene.bucket_policy("shared").await;
    let report = apply_all(cloud, &plan).await?;
    assert_eq!(report.applied.len(), plan.changes.len());
    let (_, second) = observe(cloud, ROLES).await?;
    assert_eq!(second.roles, first.roles);
    assert_eq!(second.users, first.users);
    assert_eq!(second.buckets, first.buckets);
    assert_eq!(scene.bucket_policy("shared").await, shared_text);
    converged(cloud, ROLES).await?;
    outcome.note("roles", second.roles.keys().collect::<Vec<_>>());

    scene.create_role("taken", "/s3dest/", &[]).await;
    let role = RoleDef {
        name: "taken".to_owned(),
        path: "/s3dest/".to_owned(),
        trust: PolicyDocument::new(vec![
            Statement::allow()
                .with_principal_aws(["arn:aws:iam::111122223333:root"])
                .with_actions(["sts:AssumeRole"]),
        ]),
        tags: BTreeMap::from([
            (TAG_SPEC.to_owned(), "acme".to_owned()),
            (TAG_DESTINATION.to_owned(), "taken".to_owned()),
        ]),
    };
    let create = edge_plan(vec![change(
        Address::part("taken", Part::Role),
        Action::Create,
        vec![Op::CreateRole { role }],
    )]);
    let (report, _) = apply(cloud, &create).await?;
    let [(address, error)] = report.failed.as_slice() else {
        panic!("CreateRole took over someone else's role: {report:#?}");
    };
    assert_eq!(address, "destination.taken.role");
    if !error.is_code("EntityAlreadyExists") {
        return Err(error.clone());
    }
    let names = IdentityNames {
        spec: "acme".to_owned(),
        roles: BTreeSet::from(["taken".to_owned()]),
        users: BTreeSet::new(),
    };
    let taken = read_iam(cloud, &names).await?;
    assert_eq!(
        taken.roles["taken"].owner(),
        Owner::Unowned,
        "the role is left as it was"
    );
    outcome.note(
        "taken",
        (address.to_string(), error.is_code("EntityAlreadyExists")),
    );
    Ok(outcome)
}

/// Reads return what was asked and what the spec owns, nothing else: another spec's
/// role, someone else's role, a role tagged for the spec outside s3dest's path stay out
/// of `read_iam` (unless named), and apply leaves them alone.
pub async fn reads_return_only_what_was_asked_and_is_owned(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    scene.create_bucket("unrelated", "us-east-1").await;
    scene
        .create_role("someone-elses", "/", &[("team", "data")])
        .await;
    scene
        .create_role(
            "s3dest-theirs",
            "/s3dest/",
            &[(TAG_SPEC, "other"), (TAG_DESTINATION, "x")],
        )
        .await;
    scene
        .create_role("tagged-elsewhere", "/", &[(TAG_SPEC, "acme")])
        .await;
    scene
        .create_role(
            "s3dest-leftover",
            "/s3dest/",
            &[(TAG_SPEC, "acme"), (TAG_DESTINATION, "leftover")],
        )
        .await;
    let (desired, observed, plan) = plan_for(cloud, ROLES).await?;
    assert_eq!(
        observed.roles.keys().collect::<Vec<_>>(),
        ["s3dest-leftover"],
        "only the spec's own role is read"
    );
    assert!(observed.users.is_empty(), "{:?}", observed.users);
    assert_eq!(
        observed.buckets.keys().collect::<Vec<_>>(),
        ["acme-exports", "shared"]
    );
    assert!(
        plan.changes
            .iter()
            .any(|c| c.action == Action::Delete && c.address.to_string().contains("leftover")),
        "{:#?}",
        addresses(&plan)
    );
    outcome.note("plan", addresses(&plan));
    apply_all(cloud, &plan).await?;
    let observed = converged(cloud, ROLES).await?;
    let wanted: BTreeSet<&String> = desired
        .destinations
        .values()
        .filter_map(|d| d.role.as_ref().map(|r| &r.name))
        .collect();
    assert_eq!(
        observed.roles.keys().collect::<BTreeSet<_>>(),
        wanted,
        "after apply: the spec's roles, no one else's"
    );
    // Named, they are read whoever owns them; apply changed none of them.
    let names = IdentityNames {
        spec: "acme".to_owned(),
        roles: [
            "someone-elses",
            "s3dest-theirs",
            "tagged-elsewhere",
            "absent",
        ]
        .map(str::to_owned)
        .into(),
        users: BTreeSet::new(),
    };
    let named = read_iam(cloud, &names).await?;
    let mut expected: BTreeSet<&str> = wanted.iter().map(|n| n.as_str()).collect();
    expected.extend(["s3dest-theirs", "someone-elses", "tagged-elsewhere"]);
    assert_eq!(
        named
            .roles
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        expected,
        "the named roles, and the spec's own"
    );
    assert_eq!(named.roles["someone-elses"].owner(), Owner::Unowned);
    assert_eq!(
        named.roles["s3dest-theirs"].owner(),
        Owner::Spec {
            spec: "other".to_owned(),
            destination: Some("x".to_owned())
        }
    );
    assert!(
        named
            .roles
            .values()
            .filter(|r| !wanted.contains(&r.name))
            .all(|r| r.inline_policies.is_empty())
    );
    let mut seen: Vec<String> = named
        .roles
        .values()
        .filter(|r| !wanted.contains(&r.name))
        .map(|r| format!("{} {} {:?}", r.name, r.path, r.tags))
        .collect();
    seen.sort();
    outcome.note("named", seen);
    Ok(outcome)
}

/// Apply changes only the statements whose Sid the plan names: the policy's `Id`, a
/// foreign statement, one without a Sid and another spec's are kept exactly.
pub async fn apply_keeps_foreign_statements(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    scene.put_bucket_policy("shared", &shared_policy()).await;
    let stored = scene.bucket_policy("shared").await.expect("a policy");
    let (desired, observed, plan) = plan_for(cloud, ROLES).await?;
    // The read has every statement; the planner leaves the others alone.
    let read = present(&observed, "shared")
        .policy
        .clone()
        .expect("the policy is read");
    assert_eq!(read.statements.len(), 3);
    assert!(
        read.statement_by_sid("HandWritten")
            .unwrap()
            .equivalent(&Statement::from_value(&serde_json::from_str(FOREIGN).unwrap()).unwrap())
    );
    apply_all(cloud, &plan).await?;
    let after = scene.bucket_policy("shared").await.expect("a policy");
    assert_eq!(after["Id"], stored["Id"]);
    assert_eq!(after["Version"], stored["Version"]);
    let before: &Vec<Value> = stored["Statement"].as_array().unwrap();
    let now: &Vec<Value> = after["Statement"].as_array().unwrap();
    assert_eq!(now.len(), before.len() + 1, "{after:#}");
    assert_eq!(&now[..before.len()], &before[..], "kept exactly, in place");
    let ours = desired.destinations["pendo"]
        .bucket_statement
        .as_ref()
        .unwrap();
    let written = Statement::from_value(&now[before.len()]).unwrap();
    assert!(written.equivalent(ours), "{written:#?}");
    let observed = converged(cloud, ROLES).await?;
    assert_matches(&desired, &observed, &mut outcome);
    outcome.note("policy", &after);
    Ok(outcome)
}

/// Deleting a statement removes only ours: the policy comes back exactly as it was
/// before s3dest; a policy that held only ours is deleted; deleting again is a no-op.
pub async fn deleting_a_statement_removes_only_ours(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    scene.put_bucket_policy("shared", &shared_policy()).await;
    let stored = scene.bucket_policy("shared").await.expect("a policy");
    let (desired, _, plan) = plan_for(cloud, ROLES).await?;
    apply_all(cloud, &plan).await?;
    let (_, _, prune) = plan_for(cloud, ROLES_WITHOUT_PENDO).await?;
    let deletes: Vec<&Op> = ops(&prune)
        .filter(|op| matches!(op, Op::DeleteStatement { .. }))
        .collect();
    let sid = desired.destinations["pendo"]
        .bucket_statement
        .as_ref()
        .and_then(|s| s.sid.clone())
        .unwrap();
    assert_eq!(
        deletes,
        [&Op::DeleteStatement {
            bucket: "shared".to_owned(),
            sid: sid.clone()
        }],
        "{:#?}",
        addresses(&prune)
    );
    outcome.note("prune", addresses(&prune));
    apply_all(cloud, &prune).await?;
    assert_eq!(
        scene.bucket_policy("shared").await,
        Some(stored.clone()),
        "the policy is as it was before s3dest"
    );
    converged(cloud, ROLES_WITHOUT_PENDO).await?;

    // A statement alone in its policy: its delete deletes the policy; again, a no-op.
    let put = edge_plan(vec![change(
        Address::statement("acme-exports", "pendo"),
        Action::Create,
        vec![Op::PutStatement {
            bucket: "acme-exports".to_owned(),
            statement: Statement::allow()
                .with_sid(&sid)
                .with_principal_aws(["arn:aws:iam::999999999999:root"])
                .with_actions(["s3:PutObject"])
                .with_resources(["arn:aws:s3:::acme-exports/pendo/*"]),
        }],
    )]);
    apply_all(cloud, &put).await?;
    assert!(scene.bucket_policy("acme-exports").await.is_some());
    let delete = edge_plan(vec![change(
        Address::statement("acme-exports", "pendo"),
        Action::Delete,
        vec![Op::DeleteStatement {
            bucket: "acme-exports".to_owned(),
            sid,
        }],
    )]);
    apply_all(cloud, &delete).await?;
    assert_eq!(scene.bucket_policy("acme-exports").await, None);
    apply_all(cloud, &delete).await?;
    assert_eq!(scene.bucket_policy("acme-exports").await, None);
    assert_eq!(scene.bucket_policy("shared").await, Some(stored));
    Ok(outcome)
}

/// A folder marker with other objects in its folder is never deleted: the planner does
/// not plan it, and the edge refuses the operation (its phase fails, the later phases
/// are skipped).
pub async fn a_folder_with_other_objects_is_kept(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    let (desired, _, plan) = plan_for(cloud, ROLES).await?;
    apply_all(cloud, &plan).await?;
    scene
        .put_object("acme-exports", "partner/export.csv", b"id,value\n1,2\n")
        .await;
    let role = desired.destinations["partner"].role.clone().unwrap();

    // The operation itself, with a change of a later phase after it.
    let direct = edge_plan(vec![
        change(
            Address::part("partner", Part::Folder),
            Action::Delete,
            vec![Op::DeleteFolder {
                bucket: "acme-exports".to_owned(),
                key: "partner/".to_owned(),
            }],
        ),
        change(
            Address::part("partner", Part::Role),
            Action::Delete,
            vec![Op::DeleteRole {
                name: role.name.clone(),
                inline_policies: vec!["s3dest".to_owned()],
                managed_policies: vec![],
            }],
        ),
    ]);
    let (report, _) = apply(cloud, &direct).await?;
    let [(address, error)] = report.failed.as_slice() else {
        panic!("the marker of a folder with other objects was deleted: {report:#?}");
    };
    assert_eq!(address, "destination.partner.folder");
    if !matches!(error, CloudError::Conflict { .. }) {
        return Err(error.clone());
    }
    assert_eq!(report.skipped, ["destination.partner.role"]);
    assert!(scene.object_exists("acme-exports", "partner/").await);
    let shown = |list: &[Address]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
    outcome.note(
        "direct",
        (
            shown(&report.applied),
            address.to_string(),
            shown(&report.skipped),
        ),
    );
    // Nothing was deleted: AWS still matches the spec.
    converged(cloud, ROLES).await?;

    // The planner: the destination leaves the spec; its role goes, its folder stays.
    let (_, observed, prune) = plan_for(cloud, ROLES_WITHOUT_PARTNER).await?;
    assert_eq!(
        present(&observed, "acme-exports").folders["partner"].has_other_objects,
        Some(true)
    );
    assert!(
        !ops(&prune).any(|op| matches!(op, Op::DeleteFolder { .. })),
        "{:#?}",
        addresses(&prune)
    );
    assert!(
        ops(&prune).any(|op| matches!(op, Op::DeleteRole { name, .. } if *name == role.name)),
        "{:#?}",
        addresses(&prune)
    );
    outcome.note("prune", addresses(&prune));
    apply_all(cloud, &prune).await?;
    assert!(scene.object_exists("acme-exports", "partner/").await);
    assert!(
        scene
            .object_exists("acme-exports", "partner/export.csv")
            .await
    );
    converged(cloud, ROLES_WITHOUT_PARTNER).await?;
    Ok(outcome)
}

/// An access-key destination: after apply its user has exactly one key, and the
/// secret read names it; no read returns the secret's value.
pub async fn an_access_key_user_has_one_key_named_by_its_secret(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    let (desired, _, plan) = plan_for(cloud, ACCESS_KEY).await?;
    let dest = &desired.destinations["walkme-import"];
    let user = dest
        .user
        .clone()
        .expect("an access-key destination has a user");
    assert!(
        ops(&plan).any(|op| matches!(op, Op::CreateAccessKey { .. })),
        "{:#?}",
        addresses(&plan)
    );
    outcome.note("plan", addresses(&plan));
    apply_all(cloud, &plan).await?;
    let observed = converged(cloud, ACCESS_KEY).await?;
    let have = observed
        .users
        .get(&user.name)
        .unwrap_or_else(|| panic!("user `{}` was not read back", user.name));
    assert_eq!(have.path, user.path);
    assert_eq!(have.arn, user.arn(ACCOUNT));
    assert_eq!(have.tags, user.tags);
    let [key] = have.access_keys.as_slice() else {
        panic!("exactly one key: {:#?}", have.access_keys);
    };
    assert!(key.active);
    assert_eq!(
        scene.access_key_ids(&user.name).await,
        std::slice::from_ref(&key.id)
    );
    assert_eq!(
        observed.secrets.keys().collect::<Vec<_>>(),
        [&user.secret_name]
    );
    let secret = &observed.secrets[&user.secret_name];
    assert_eq!(secret.access_key_id(), Some(key.id.as_str()));
    assert!(!secret.pending_deletion);
    assert!(secret.owner().is_spec("acme"));
    // The value is stored, and it is nowhere in what the reads returned.
    let value = scene
        .secret_value(&user.secret_name)
        .await
        .expect("the key is stored");
    let value: Value = serde_json::from_str(&value).expect("the secret is JSON");
    assert_eq!(value["access_key_id"], key.id.as_str());
    let secret_part = value["secret_access_key"]
        .as_str()
        .expect("the secret access key is stored");
    assert!(!secret_part.is_empty());
    let everything_read = format!("{observed:?}");
    assert!(
        !everything_read.contains(secret_part),
        "a read returned the secret's value"
    );
    outcome.note(
        "user",
        (
            &have.name,
            &have.tags,
            have.access_keys.len(),
            &secret.name,
            &secret.tags.keys().collect::<Vec<_>>(),
        ),
    );
    Ok(outcome)
}

/// A plan with errors (here: a role of the spec's name that the spec does not own) is
/// refused before any call.
pub async fn a_plan_with_errors_is_refused(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    scene.create_bucket("shared", "us-east-1").await;
    let parsed = spec(ROLES);
    let partner = presets::role_name(&parsed.destinations["partner"]).unwrap();
    scene.create_role(&partner, "/s3dest/", &[]).await;
    let (desired, observed) = observe(cloud, ROLES).await?;
    let plan = plan::diff(&desired, &observed);
    assert!(
        plan.errors
            .iter()
            .any(|e| e.address == "destination.partner.role"),
        "{:#?}",
        plan.errors
    );
    let before = cloud.calls();
    let events = Mutex::new(0);
    let result = cloud.apply(&plan, &|_| *events.lock().unwrap() += 1).await;
    let Err(CloudError::PlanHasErrors { count }) = result else {
        panic!("a plan with errors was applied: {result:?}");
    };
    assert_eq!(count, plan.errors.len());
    assert_eq!(cloud.calls(), before, "not one call");
    assert_eq!(*events.lock().unwrap(), 0);
    let (_, again) = observe(cloud, ROLES).await?;
    assert_eq!(again.roles, observed.roles);
    assert_eq!(again.buckets, observed.buckets);
    outcome.note("refused", count);
    Ok(outcome)
}

/// A customer managed key of the account, by ARN.
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// Another one, by its bare key id.
const KEY_ID: &str = "0987dcba-09fe-87dc-65ba-ab0987654321";

/// Each bucket reads its default encryption as S3 reports it (a customer key by ARN or
/// by bare id, SSE-S3) and whether Object Lock is on, each only when asked for.
pub async fn buckets_read_their_encryption_and_object_lock(
    cloud: &impl Cloud,
    scene: &impl Scene,
) -> Result<Outcome, CloudError> {
    let mut outcome = Outcome::default();
    let kms = |algorithm, id: &str| BucketEncryption::Kms {
        algorithm,
        key: KmsKey::Customer(KmsKeyId::new(id)),
    };
    scene.create_bucket("sealed", "us-east-1").await;
    let sealed = kms(KmsAlgorithm::SseKms, KEY_ARN);
    scene.put_bucket_encryption("sealed", &sealed).await;
    scene.create_bucket("dual", "us-east-1").await;
    let dual = kms(KmsAlgorithm::DsseKms, KEY_ID);
    scene.put_bucket_encryption("dual", &dual).await;
    scene.create_bucket("plain", "us-east-1").await;
    scene
        .put_bucket_encryption("plain", &BucketEncryption::SseS3)
        .await;
    scene
        .create_bucket_with_object_lock("locked", "us-east-1")
        .await;
    scene.create_bucket("unasked", "us-east-1").await;
    let asked = |encryption, object_lock| BucketRead {
        encryption,
        object_lock,
        ..BucketRead::default()
    };
    let request = ReadRequest {
        spec: "acme".to_owned(),
        role_names: BTreeSet::new(),
        buckets: BTreeMap::from([
            ("sealed".to_owned(), asked(true, true)),
            ("dual".to_owned(), asked(true, false)),
            ("plain".to_owned(), asked(true, false)),
            ("locked".to_owned(), asked(true, true)),
            ("absent".to_owned(), asked(true, true)),
            ("unasked".to_owned(), asked(false, false)),
        ]),
    };
    let buckets = read_buckets(cloud, &request).await?;
    let info = |name: &str| match &buckets[name] {
        ObservedBucket::Present(info) => info,
        ObservedBucket::Missing => panic!("bucket `{name}` exists"),
    };
    assert_eq!(info("sealed").encryption.as_ref(), Some(&sealed));
    assert_eq!(info("sealed").object_lock, Some(ObjectLock::Disabled));
    let key = |name: &str| {
        let encryption = info(name).encryption.as_ref();
        encryption
            .and_then(BucketEncryption::customer_key)
            .and_then(|k| k.key_arn(&info(name).region, ACCOUNT))
    };
    assert_eq!(key("sealed").as_deref(), Some(KEY_ARN));
    assert_eq!(info("dual").encryption.as_ref(), Some(&dual));
    assert_eq!(
        key("dual"),
        Some(format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}")),
        "a bare key id is the bucket's account's and region's"
    );
    assert_eq!(info("plain").encryption, Some(BucketEncryption::SseS3));
    // Nothing set: AWS (and the fidelity layer) answer SSE-S3, moto no configuration.
    assert!(
        matches!(
            info("locked").encryption,
            Some(BucketEncryption::SseS3 | BucketEncryption::None)
        ),
        "{:?}",
        info("locked").encryption
    );
    assert_eq!(info("locked").object_lock, Some(ObjectLock::Enabled));
    assert_eq!(buckets["absent"], ObservedBucket::Missing);
    assert_eq!(info("unasked").encryption, None);
    assert_eq!(info("unasked").object_lock, None);
    for (name, bucket) in &buckets {
        if let ObservedBucket::Present(info) = bucket {
            outcome.note(name, (&info.encryption, info.object_lock));
        }
    }
    Ok(outcome)
}
