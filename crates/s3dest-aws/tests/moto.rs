//! The AWS edge against moto server: what it reads, how many calls that takes, and
//! what apply leaves behind (including someone else's bucket-policy statements).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;

use s3dest_aws::{ApplyEvent, ApplyReport, Aws, Cloud, CloudError, IamRead, LOCK_KEY, ReadConfig};
use s3dest_core::model::{
    BucketEncryption, BucketRead, FolderInfo, IdentityNames, KmsAlgorithm, KmsKey, KmsKeyId,
    META_DESTINATION, META_SPEC, ObjectLock, ObservedBucket, Owner, ReadRequest, RoleDef,
    TAG_DESTINATION, TAG_SPEC,
};
use s3dest_core::plan::{Action, Address, Change, Notice, Op, Part, Plan};
use s3dest_moto::{MotoGuard, moto};
use s3dest_policy::{PolicyDocument, Statement};

/// moto's account.
const ACCOUNT: &str = "123456789012";

/// Someone else's statement, in a spelling s3dest would never write: it must come back
/// exactly like this.
const FOREIGN: &str = r#"{"Sid":"HandWritten","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/reports/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/share":"true"}}}"#;

/// Plain SDK clients to set the scene with, outside of what is being tested.
struct Fixture {
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
    s3_west: aws_sdk_s3::Client,
}

async fn fixture(moto: &MotoGuard) -> Fixture {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "fixture",
        ))
        .load()
        .await;
    let s3 = |region: &'static str| {
        let conf = aws_sdk_s3::config::Builder::from(&config)
            .region(Region::new(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    Fixture {
        iam: aws_sdk_iam::Client::new(&config),
        s3: s3("us-east-1"),
        s3_west: s3("eu-west-1"),
    }
}

async fn cloud(moto: &MotoGuard) -> Aws {
    Aws::from_endpoint(moto.endpoint(), "us-east-1")
        .await
        .unwrap()
}

fn trust(principal: &str) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow()
            .with_principal_aws([principal])
            .with_actions(["sts:AssumeRole"])
            .with_condition("StringEquals", "sts:ExternalId", ["ext-1"]),
    ])
}

fn write_policy(bucket: &str, folder: &str) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow()
            .with_actions(["s3:PutObject", "s3:GetObject"])
            .with_resources([format!("arn:aws:s3:::{bucket}/{folder}/*")]),
    ])
}

impl Fixture {
    async fn role(&self, name: &str, path: &str, tags: &[(&str, &str)]) {
        let tags = tags
            .iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(*k)
                    .value(*v)
                    .build()
                    .unwrap()
            })
            .collect();
        self.iam
            .create_role()
            .role_name(name)
            .path(path)
            .assume_role_policy_document(trust("arn:aws:iam::111122223333:root").to_json())
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap();
    }

    async fn bucket(&self, name: &str, west: bool) {
        let mut create = self.s3_client(west).create_bucket().bucket(name);
        if west {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                    .build(),
            );
        }
        create.send().await.unwrap();
    }

    fn s3_client(&self, west: bool) -> &aws_sdk_s3::Client {
        if west { &self.s3_west } else { &self.s3 }
    }

    async fn object(&self, bucket: &str, key: &str, meta: &[(&str, &str)]) {
        let mut put = self
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from_static(b""));
        for (k, v) in meta {
            put = put.metadata(*k, *v);
        }
        put.send().await.unwrap();
    }

    async fn exists(&self, bucket: &str, key: &str) -> bool {
        self.s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .is_ok()
    }

    async fn bucket_policy(&self, bucket: &str) -> Option<Value> {
        let out = self
            .s3
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .ok()?;
        Some(serde_json::from_str(out.policy().unwrap()).unwrap())
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) {
        self.s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .unwrap();
    }
}

fn change(address: Address, action: Action, ops: Vec<Op>) -> Change {
    Change {
        address,
        action,
        before: None,
        after: None,
        reason: "test".to_owned(),
        ops,
    }
}

fn plan(spec: &str, changes: Vec<Change>) -> Plan {
    Plan {
        spec: spec.to_owned(),
        account_id: ACCOUNT.to_owned(),
        changes,
        warnings: vec![],
        notes: vec![],
        errors: vec![],
        findings: vec![],
        access: vec![],
    }
}

fn role_def(name: &str) -> RoleDef {
    RoleDef {
        name: name.to_owned(),
        path: "/s3dest/".to_owned(),
        trust: trust("arn:aws:iam::111122223333:root"),
        tags: BTreeMap::from([
            (TAG_SPEC.to_owned(), "acme".to_owned()),
            (TAG_DESTINATION.to_owned(), "d".to_owned()),
        ]),
    }
}

fn statement(sid: &str, principal: &str, bucket: &str) -> Statement {
    Statement::allow()
        .with_sid(sid)
        .with_principal_aws([principal])
        .with_actions(["s3:PutObject"])
        .with_resources([format!("arn:aws:s3:::{bucket}/d/*")])
}

/// Applies and records every event as `"<kind> <address>"`.
async fn apply(cloud: &Aws, plan: &Plan) -> (ApplyReport, Vec<String>) {
    let events = Mutex::new(Vec::new());
    let record = |event: ApplyEvent<'_>| {
        let line = match event {
            ApplyEvent::Started(c) => format!("started {}", c.address),
            ApplyEvent::Done(c) => format!("done {}", c.address),
            ApplyEvent::Failed(c, e) => format!("failed {}: {e}", c.address),
            ApplyEvent::Warning(message) => format!("warning {message}"),
        };
        events.lock().unwrap().push(line);
    };
    let report = cloud.apply(plan, &record).await.unwrap();
    (report, events.into_inner().unwrap())
}

#[tokio::test]
async fn read_iam_finds_this_specs_roles_and_named_roles_only() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.role(
        "tagged",
        "/s3dest/",
        &[(TAG_SPEC, "acme"), (TAG_DESTINATION, "pendo")],
    )
    .await;
    fx.role("tagged-by-other-spec", "/s3dest/", &[(TAG_SPEC, "other")])
        .await;
    fx.role("named", "/", &[("team", "data")]).await;
    fx.role("unrelated", "/", &[]).await;
    // Tagged by someone outside s3dest's path: a tag alone does not make it ours.
    fx.role("tagged-elsewhere", "/", &[(TAG_SPEC, "acme")])
        .await;
    fx.iam
        .put_role_policy()
        .role_name("tagged")
        .policy_name("s3dest")
        .policy_document(write_policy("b", "pendo").to_json())
        .send()
        .await
        .unwrap();
    let managed = fx
        .iam
        .create_policy()
        .policy_name("extra")
        .policy_document(write_policy("b", "x").to_json())
        .send()
        .await
        .unwrap();
    let managed_arn = managed.policy().unwrap().arn().unwrap().to_owned();
    fx.iam
        .attach_role_policy()
        .role_name("named")
        .policy_arn(&managed_arn)
        .send()
        .await
        .unwrap();

    let names = names(BTreeSet::from(["named".to_owned(), "absent".to_owned()]));
    // Both ways of reading find the same, at their own cost.
    let bulk = cloud(&moto).await.with_read_config(ReadConfig {
        iam: IamRead::Bulk,
        ..ReadConfig::default()
    });
    let in_bulk = bulk.read_iam(&names).await.unwrap();
    // GetCallerIdentity + one page of GetAccountAuthorizationDetails per kind.
    assert_eq!(bulk.calls(), 3);
    let cloud = cloud(&moto).await;
    let snapshot = cloud.read_iam(&names).await.unwrap();
    assert_eq!(snapshot, in_bulk);

    assert_eq!(snapshot.account_id, ACCOUNT);
    assert_eq!(
        snapshot.roles.keys().collect::<Vec<_>>(),
        ["named", "tagged"]
    );
    let tagged = &snapshot.roles["tagged"];
    assert_eq!(tagged.path, "/s3dest/");
    assert_eq!(
        tagged.arn,
        format!("arn:aws:iam::{ACCOUNT}:role/s3dest/tagged")
    );
    assert!(tagged.trust.equivalent(&trust("111122223333")));
    assert_eq!(
        tagged.owner(),
        Owner::Spec {
            spec: "acme".to_owned(),
            destination: Some("pendo".to_owned())
        }
    );
    assert_eq!(
        tagged.inline_policies.keys().collect::<Vec<_>>(),
        ["s3dest"]
    );
    assert!(tagged.inline_policies["s3dest"].equivalent(&write_policy("b", "pendo")));
    let named = &snapshot.roles["named"];
    assert_eq!(named.owner(), Owner::Unowned);
    assert_eq!(
        named.tags,
        BTreeMap::from([("team".to_owned(), "data".to_owned())])
    );
    assert_eq!(named.managed_policy_arns, [managed_arn]);
    // A small spec is read targeted: GetCallerIdentity, ListRoles and ListUsers under
    // /s3dest/; GetRole of the 2 named roles and Pendo's fixed name; for `named`,
    // ListRolePolicies and ListAttachedRolePolicies; ListRoleTags of the 2 other roles
    // under /s3dest/, and for `tagged` (this spec's) its 3 reads.
    assert_eq!(cloud.calls(), 1 + 2 + 3 + 2 + 2 + 3);
}

#[tokio::test]
async fn read_buckets_reports_what_was_asked_with_a_fixed_number_of_calls() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.bucket("east", false).await;
    fx.bucket("west", true).await;
    fx.bucket("plain", false).await;
    let policy =
        format!(r#"{{"Version":"2012-10-17","Statement":[{FOREIGN}]}}"#).replace("shared", "east");
    fx.put_bucket_policy("east", &policy).await;
    fx.object(
        "east",
        "ours/",
        &[(META_SPEC, "acme"), (META_DESTINATION, "d")],
    )
    .await;
    fx.object("east", "theirs/", &[]).await;
    fx.object(
        "east",
        "full/",
        &[(META_SPEC, "acme"), (META_DESTINATION, "old")],
    )
    .await;
    fx.object("east", "full/data.csv", &[]).await;
    fx.object(
        "east",
        "empty/",
        &[(META_SPEC, "acme"), (META_DESTINATION, "gone")],
    )
    .await;
    fx.object("east", "emptyish-sibling.csv", &[]).await;
    fx.s3_west
        .put_public_access_block()
        .bucket("west")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sse = aws_sdk_s3::types::ServerSideEncryptionByDefault::builder()
        .sse_algorithm(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .build()
        .unwrap();
    fx.s3_west
        .put_bucket_encryption()
        .bucket("west")
        .server_side_encryption_configuration(
            aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .rules(
                    aws_sdk_s3::types::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(sse)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let request = ReadRequest {
        spec: "acme".to_owned(),
        role_names: BTreeSet::new(),
        buckets: BTreeMap::from([
            (
                "east".to_owned(),
                BucketRead {
                    settings: false,
                    folders: set(&["ours", "theirs", "absent", "full", "empty"]),
                    prune_folders: set(&["full", "empty"]),
                    lock: false,
                    expected_region: None,
                    encryption: true,
                    object_lock: false,
                },
            ),
            (
                "west".to_owned(),
                BucketRead {
                    settings: true,
                    folders: set(&["x"]),
                    prune_folders: set(&[]),
                    lock: false,
                    expected_region: None,
                    encryption: true,
                    object_lock: true,
                },
            ),
            (
                "plain".to_owned(),
                BucketRead {
                    settings: true,
                    folders: set(&[]),
                    prune_folders: set(&[]),
                    lock: false,
                    expected_region: None,
                    encryption: false,
                    object_lock: true,
                },
            ),
            (
                "missing".to_owned(),
                BucketRead {
                    settings: true,
                    folders: set(&["y"]),
                    prune_folders: set(&[]),
                    lock: false,
                    expected_region: None,
                    encryption: true,
                    object_lock: true,
                },
            ),
        ]),
    };
    let cloud = cloud(&moto).await;
    moto.start_recording();
    let buckets = cloud.read_buckets(&request).await.unwrap();
    moto.stop_recording();

    assert_eq!(buckets["missing"], ObservedBucket::Missing);
    let ObservedBucket::Present(east) = &buckets["east"] else {
        panic!("east is missing")
    };
    assert_eq!(east.region, "us-east-1");
    assert!(
        east.policy
            .as_ref()
            .unwrap()
            .equivalent(&PolicyDocument::parse(&policy).unwrap())
    );
    assert_eq!(east.public_access_blocked, None);
    // moto has no configuration where AWS would answer SSE-S3.
    assert_eq!(east.encryption, Some(BucketEncryption::None));
    assert_eq!(east.object_lock, None, "not asked");
    let owned = |destination: &str| {
        Some(Owner::Spec {
            spec: "acme".to_owned(),
            destination: Some(destination.to_owned()),
        })
    };
    let folder = |marker, has_other_objects| FolderInfo {
        marker,
        has_other_objects,
    };
    assert_eq!(
        east.folders,
        BTreeMap::from([
            ("absent".to_owned(), folder(None, None)),
            ("empty".to_owned(), folder(owned("gone"), Some(false))),
            ("full".to_owned(), folder(owned("old"), Some(true))),
            ("ours".to_owned(), folder(owned("d"), None)),
            ("theirs".to_owned(), folder(Some(Owner::Unowned), None)),
        ])
    );
    let ObservedBucket::Present(west) = &buckets["west"] else {
        panic!("west is missing")
    };
    assert_eq!(west.region, "eu-west-1");
    assert_eq!(west.policy, None);
    assert_eq!(west.public_access_blocked, Some(true));
    assert_eq!(west.encryption, Some(BucketEncryption::SseS3));
    assert_eq!(west.object_lock, Some(ObjectLock::Disabled));
    assert_eq!(
        west.folders,
        BTreeMap::from([("x".to_owned(), folder(None, None))])
    );
    let ObservedBucket::Present(plain) = &buckets["plain"] else {
        panic!("plain is missing")
    };
    assert_eq!(plain.public_access_blocked, Some(false));
    assert_eq!(plain.encryption, None, "not asked");
    assert_eq!(plain.object_lock, Some(ObjectLock::Disabled));
    assert!(plain.folders.is_empty());

    // east: location, policy, encryption, 5 markers, 2 listings; west: location, policy,
    // public access block, encryption, object lock, 1 marker; plain: location, policy,
    // public access block, object lock; missing: location.
    let expected = 10 + 6 + 4 + 1;
    assert_eq!(cloud.calls(), expected);
    let recorded = moto.recorded_calls();
    assert_eq!(
        recorded.len() as u64,
        expected,
        "moto saw other requests than counted"
    );
    assert!(
        recorded
            .iter()
            .all(|r| !r["url"].as_str().unwrap().contains("list-type=2")
                || r["url"].as_str().unwrap().contains("max-keys=2")),
        "every listing is bounded"
    );
}

#[tokio::test]
async fn apply_after_a_read_sends_the_encryption_it_found_without_asking_again() {
    let moto = moto();
    let fx = fixture(&moto).await;
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    fx.bucket("sealed", false).await;
    let by_default = aws_sdk_s3::types::ServerSideEncryptionByDefault::builder()
        .sse_algorithm(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
        .kms_master_key_id(key)
        .build()
        .unwrap();
    fx.s3
        .put_bucket_encryption()
        .bucket("sealed")
        .server_side_encryption_configuration(
            aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .rules(
                    aws_sdk_s3::types::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let request = ReadRequest {
        spec: "acme".to_owned(),
        buckets: BTreeMap::from([(
            "sealed".to_owned(),
            BucketRead {
                encryption: true,
                ..BucketRead::default()
            },
        )]),
        ..ReadRequest::default()
    };
    let marker = |folder: &str| {
        plan(
            "acme",
            vec![change(
                Address::part(folder, Part::Folder),
                Action::Create,
                vec![Op::CreateFolder {
                    bucket: "sealed".to_owned(),
                    key: format!("{folder}/"),
                    spec: "acme".to_owned(),
                    destination: folder.to_owned(),
                }],
            )],
        )
    };
    let asked_encryption = |calls: &[Value]| {
        calls
            .iter()
            .filter(|c| c["url"].as_str().unwrap().contains("encryption"))
            .count()
    };

    let reader = cloud(&moto).await;
    let buckets = reader.read_buckets(&request).await.unwrap();
    let ObservedBucket::Present(sealed) = &buckets["sealed"] else {
        panic!("sealed is missing")
    };
    assert_eq!(
        sealed.encryption,
        Some(BucketEncryption::Kms {
            algorithm: KmsAlgorithm::SseKms,
            key: KmsKey::Customer(KmsKeyId::new(key)),
        })
    );
    moto.start_recording();
    let (report, _) = apply(&reader, &marker("d")).await;
    moto.stop_recording();
    assert!(report.is_success(), "{report:#?}");
    let calls = moto.recorded_calls();
    assert_eq!(asked_encryption(&calls), 0, "the read's answer is used");
    let put = calls
        .iter()
        .find(|c| c["method"] == "PUT" && c["url"].as_str().unwrap().contains("/d/"))
        .expect("the marker was put");
    let header = |name: &str| {
        put["headers"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    assert_eq!(
        header("x-amz-server-side-encryption").as_deref(),
        Some("aws:kms")
    );
    assert_eq!(
        header("x-amz-server-side-encryption-aws-kms-key-id").as_deref(),
        Some(key)
    );

    // Without a read first, apply asks once itself.
    let fresh = cloud(&moto).await;
    moto.start_recording();
    let (report, _) = apply(&fresh, &marker("e")).await;
    moto.stop_recording();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(asked_encryption(&moto.recorded_calls()), 1);
}

#[tokio::test]
async fn apply_creates_then_deletes_and_keeps_foreign_statements() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.bucket("shared", false).await;
    let original = format!(r#"{{"Version":"2012-10-17","Id":"Theirs","Statement":[{FOREIGN}]}}"#);
    fx.put_bucket_policy("shared", &original).await;
    let original_stored = fx.bucket_policy("shared").await.unwrap();
    let cloud = cloud(&moto).await;

    let role = role_def("s3dest-d");
    let role_arn = role.arn(ACCOUNT);
    let ours = statement("S3destAcmeD", &role_arn, "shared");
    let in_new = statement("S3destAcmeD", &role_arn, "acme-new");
    let create = plan(
        "acme",
        vec![
            change(
                Address::bucket("acme-new"),
                Action::Create,
                vec![Op::CreateBucket {
                    bucket: "acme-new".to_owned(),
                    region: "eu-west-1".to_owned(),
                }],
            ),
            change(
                Address::part("d", Part::Role),
                Action::Create,
                vec![Op::CreateRole { role: role.clone() }],
            ),
            change(
                Address::part("d", Part::RolePolicy),
                Action::Create,
                vec![Op::PutRolePolicy {
                    role: role.name.clone(),
                    name: "s3dest".to_owned(),
                    policy: write_policy("shared", "d"),
                }],
            ),
            change(
                Address::statement("shared", "d"),
                Action::Create,
                vec![Op::PutStatement {
                    bucket: "shared".to_owned(),
                    statement: ours.clone(),
                }],
            ),
            change(
                Address::statement("acme-new", "d"),
                Action::Create,
                vec![Op::PutStatement {
                    bucket: "acme-new".to_owned(),
                    statement: in_new.clone(),
                }],
            ),
            change(
                Address::part("d", Part::Folder),
                Action::Create,
                vec![Op::CreateFolder {
                    bucket: "acme-new".to_owned(),
                    key: "d/".to_owned(),
                    spec: "acme".to_owned(),
                    destination: "d".to_owned(),
                }],
            ),
        ],
    );
    let (report, events) = apply(&cloud, &create).await;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.applied.len(), 6);
    for change in &create.changes {
        let started = events
            .iter()
            .position(|e| *e == format!("started {}", change.address))
            .unwrap();
        let done = events
            .iter()
            .position(|e| *e == format!("done {}", change.address))
            .unwrap();
        assert!(started < done, "{events:#?}");
    }
    assert_eq!(events.len(), 12, "{events:#?}");

    // What AWS holds now, read by the same code a plan uses.
    let snapshot = cloud.read_iam(&names(BTreeSet::new())).await.unwrap();
    let observed = &snapshot.roles["s3dest-d"];
    assert_eq!(observed.arn, role_arn);
    assert!(observed.trust.equivalent(&role.trust));
    assert_eq!(observed.tags, role.tags);
    assert!(observed.inline_policies["s3dest"].equivalent(&write_policy("shared", "d")));
    let request = ReadRequest {
        buckets: BTreeMap::from([
            ("shared".to_owned(), BucketRead::default()),
            (
                "acme-new".to_owned(),
                BucketRead {
                    settings: true,
                    folders: BTreeSet::from(["d".to_owned()]),
                    prune_folders: BTreeSet::new(),
                    lock: false,
                    expected_region: None,
                    encryption: true,
                    object_lock: true,
                },
            ),
        ]),
        ..ReadRequest::default()
    };
    let buckets = cloud.read_buckets(&request).await.unwrap();
    let ObservedBucket::Present(new) = &buckets["acme-new"] else {
        panic!("acme-new was not created")
    };
    assert_eq!(new.region, "eu-west-1");
    assert_eq!(new.public_access_blocked, Some(true));
    assert_eq!(
        new.encryption,
        Some(BucketEncryption::SseS3),
        "as CreateBucket puts it"
    );
    assert_eq!(new.object_lock, Some(ObjectLock::Disabled));
    assert_eq!(
        new.folders["d"].marker,
        Some(Owner::Spec {
            spec: "acme".to_owned(),
            destination: Some("d".to_owned())
        })
    );
    assert!(
        new.policy
            .as_ref()
            .unwrap()
            .statement_by_sid("S3destAcmeD")
            .unwrap()
            .equivalent(&in_new)
    );
    // The foreign statement, the policy's Id and Version are exactly as they were.
    let shared = fx.bucket_policy("shared").await.unwrap();
    assert_eq!(shared["Id"], "Theirs");
    assert_eq!(shared["Statement"][0], original_stored["Statement"][0]);
    assert_eq!(shared["Statement"][1], ours.to_value());
    assert!(!fx.exists("shared", LOCK_KEY).await, "the lock is released");

    // Applying the same plan again converges: the statement and marker are left alone.
    let again = plan("acme", create.changes[3..].to_vec());
    let (report, _) = apply(&cloud, &again).await;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(fx.bucket_policy("shared").await.unwrap(), shared);

    let delete = plan(
        "acme",
        vec![
            change(
                Address::statement("shared", "d"),
                Action::Delete,
                vec![Op::DeleteStatement {
                    bucket: "shared".to_owned(),
                    sid: "S3destAcmeD".to_owned(),
                }],
            ),
            change(
                Address::statement("acme-new", "d"),
                Action::Delete,
                vec![Op::DeleteStatement {
                    bucket: "acme-new".to_owned(),
                    sid: "S3destAcmeD".to_owned(),
                }],
            ),
            change(
                Address::part("d", Part::Folder),
                Action::Delete,
                vec![Op::DeleteFolder {
                    bucket: "acme-new".to_owned(),
                    key: "d/".to_owned(),
                }],
            ),
            change(
                Address::part("d", Part::RolePolicy),
                Action::Delete,
                vec![Op::DeleteRolePolicy {
                    role: role.name.clone(),
                    name: "s3dest".to_owned(),
                }],
            ),
            change(
                Address::part("d", Part::Role),
                Action::Delete,
                vec![Op::DeleteRole {
                    name: role.name.clone(),
                    inline_policies: vec![],
                    managed_policies: vec![],
                }],
            ),
        ],
    );
    let (report, _) = apply(&cloud, &delete).await;
    assert!(report.is_success(), "{report:#?}");
    assert!(
        cloud
            .read_iam(&names(BTreeSet::from([role.name.clone()])))
            .await
            .unwrap()
            .roles
            .is_empty()
    );
    assert_eq!(fx.bucket_policy("shared").await.unwrap(), original_stored);
    assert_eq!(
        fx.bucket_policy("acme-new").await,
        None,
        "only our statement was there: the policy is deleted"
    );
    assert!(!fx.exists("acme-new", "d/").await);

    // An interrupted delete, run again, finds everything gone and succeeds.
    let (report, _) = apply(&cloud, &delete).await;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(fx.bucket_policy("shared").await.unwrap(), original_stored);
}

#[tokio::test]
async fn delete_folder_refuses_a_folder_that_is_not_empty() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.bucket("bkt", false).await;
    fx.object("bkt", "d/", &[(META_SPEC, "acme"), (META_DESTINATION, "d")])
        .await;
    fx.object("bkt", "d/export.csv", &[]).await;
    let cloud = cloud(&moto).await;
    let delete = plan(
        "acme",
        vec![
            change(
                Address::part("d", Part::Folder),
                Action::Delete,
                vec![Op::DeleteFolder {
                    bucket: "bkt".to_owned(),
                    key: "d/".to_owned(),
                }],
            ),
            change(
                Address::part("d", Part::Role),
                Action::Delete,
                vec![Op::DeleteRole {
                    name: "r".to_owned(),
                    inline_policies: vec![],
                    managed_policies: vec![],
                }],
            ),
        ],
    );
    let (report, events) = apply(&cloud, &delete).await;
    assert_eq!(report.failed.len(), 1, "{report:#?}");
    let (address, error) = &report.failed[0];
    assert_eq!(address, "destination.d.folder");
    assert!(matches!(error, CloudError::Conflict { .. }), "{error}");
    assert!(error.to_string().contains("not empty"), "{error}");
    assert_eq!(
        report.skipped,
        ["destination.d.role"],
        "apply stops after the failed phase"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("failed destination.d.folder")),
        "{events:#?}"
    );
    assert!(
        !events.iter().any(|e| e.contains("destination.d.role")),
        "{events:#?}"
    );
    assert!(fx.exists("bkt", "d/").await);
}

#[tokio::test]
async fn a_failed_phase_reports_every_failure_and_stops() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.role("taken", "/s3dest/", &[]).await;
    let cloud = cloud(&moto).await;
    let p = plan(
        "acme",
        vec![
            change(
                Address::part("a", Part::Role),
                Action::Create,
                vec![Op::CreateRole {
                    role: role_def("taken"),
                }],
            ),
            change(
                Address::part("b", Part::Role),
                Action::Create,
                vec![Op::CreateRole {
                    role: role_def("fresh"),
                }],
            ),
            change(
                Address::part("b", Part::RolePolicy),
                Action::Create,
                vec![Op::PutRolePolicy {
                    role: "fresh".to_owned(),
                    name: "s3dest".to_owned(),
                    policy: write_policy("b", "x"),
                }],
            ),
        ],
    );
    let (report, _) = apply(&cloud, &p).await;
    assert_eq!(report.applied, ["destination.b.role"]);
    assert_eq!(report.failed.len(), 1);
    let error = report.failed[0].1.to_string();
    assert!(
        error.starts_with("CreateRole on role `taken` failed: EntityAlreadyExists"),
        "{error}"
    );
    assert_eq!(report.skipped, ["destination.b.role_policy"]);
}

#[tokio::test]
async fn a_plan_with_errors_is_refused_without_a_call() {
    let moto = moto();
    let cloud = cloud(&moto).await;
    let mut p = plan(
        "acme",
        vec![change(
            Address::part("a", Part::Role),
            Action::Create,
            vec![Op::CreateRole {
                role: role_def("a"),
            }],
        )],
    );
    p.errors
        .push(Notice::new(Address::part("a", Part::Role), "conflict"));
    let result = cloud.apply(&p, &|_| {}).await;
    assert!(matches!(
        result,
        Err(CloudError::PlanHasErrors { count: 1 })
    ));
    assert_eq!(cloud.calls(), 0);
}

#[tokio::test]
async fn concurrent_applies_do_not_lose_statements() {
    let moto = moto();
    let fx = fixture(&moto).await;
    fx.bucket("shared", false).await;
    fx.put_bucket_policy(
        "shared",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{FOREIGN}]}}"#),
    )
    .await;
    let spec_plan = |spec: &str, n: usize| {
        let changes = (0..n)
            .map(|i| {
                let sid = format!("S3dest{spec}{i}");
                let s = statement(
                    &sid,
                    &format!("arn:aws:iam::111122223333:role/{spec}{i}"),
                    "shared",
                );
                change(
                    Address::statement("shared", format!("{spec}{i}")),
                    Action::Create,
                    vec![Op::PutStatement {
                        bucket: "shared".to_owned(),
                        statement: s,
                    }],
                )
            })
            .collect();
        plan(spec, changes)
    };
    let (a, b) = (cloud(&moto).await, cloud(&moto).await);
    for round in 0..3 {
        let (plan_a, plan_b) = (
            spec_plan(&format!("A{round}x"), 1),
            spec_plan(&format!("B{round}x"), 1),
        );
        let ((report_a, _), (report_b, _)) = tokio::join!(apply(&a, &plan_a), apply(&b, &plan_b));
        assert!(
            report_a.is_success() && report_b.is_success(),
            "{report_a:#?} {report_b:#?}"
        );
    }
    let policy = fx.bucket_policy("shared").await.unwrap();
    let sids: BTreeSet<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<String> = (0..3)
        .flat_map(|r| [format!("S3destA{r}x0"), format!("S3destB{r}x0")])
        .chain(["HandWritten".to_owned()])
        .collect();
    assert_eq!(sids, expected.iter().map(String::as_str).collect());
    assert_eq!(
        policy["Statement"][0],
        serde_json::from_str::<Value>(FOREIGN).unwrap()
    );
}

/// The figure DESIGN asks for: a read for a no-op plan of 200 destinations over 20
/// buckets (one role and one folder each) costs at most 1.5 calls per destination.
#[tokio::test]
async fn reading_200_destinations_costs_under_one_and_a_half_calls_each() {
    let moto = moto();
    let fx = fixture(&moto).await;
    let mut request = ReadRequest {
        spec: "acme".to_owned(),
        ..ReadRequest::default()
    };
    let mut creates = Vec::new();
    for b in 0..20 {
        let bucket = format!("bucket-{b:02}");
        fx.bucket(&bucket, b % 2 == 1).await;
        let read = request.buckets.entry(bucket.clone()).or_default();
        // As a plan asks: every bucket a destination uses reads its encryption.
        read.encryption = true;
        for d in 0..10 {
            let dest = format!("d{b:02}{d}");
            read.folders.insert(dest.clone());
            request.role_names.insert(format!("s3dest-{dest}"));
            creates.push((bucket.clone(), dest));
        }
    }
    for (bucket, dest) in &creates {
        fx.role(
            &format!("s3dest-{dest}"),
            "/s3dest/",
            &[(TAG_SPEC, "acme"), (TAG_DESTINATION, dest)],
        )
        .await;
        fx.s3
            .put_object()
            .bucket(bucket)
            .key(format!("{dest}/"))
            .metadata(META_SPEC, "acme")
            .metadata(META_DESTINATION, dest)
            .body(ByteStream::from_static(b""))
            .send()
            .await
            .unwrap();
    }

    let cloud = cloud(&moto).await;
    let snapshot = cloud
        .read_iam(&names(request.role_names.clone()))
        .await
        .unwrap();
    let buckets = cloud.read_buckets(&request).await.unwrap();
    assert_eq!(snapshot.roles.len(), 200);
    let markers = buckets
        .values()
        .map(|b| match b {
            ObservedBucket::Present(info) => {
                info.folders.values().filter(|f| f.marker.is_some()).count()
            }
            ObservedBucket::Missing => 0,
        })
        .sum::<usize>();
    assert_eq!(markers, 200);
    // 4 for IAM (GetCallerIdentity, GetAccountSummary, one page of roles in bulk,
    // ListUsers under /s3dest/), 3 per bucket (location, policy, encryption), 1 per
    // folder.
    assert_eq!(cloud.calls(), 4 + 20 * 3 + 200);
    assert!(cloud.calls() as f64 / 200.0 <= 1.5);
}

/// Identity names for spec `acme` wanting these roles and no users.
fn names(roles: BTreeSet<String>) -> IdentityNames {
    IdentityNames {
        spec: "acme".to_owned(),
        roles,
        users: BTreeSet::new(),
    }
}
