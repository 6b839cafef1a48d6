//! The policy diff, as tables: two documents → what a reader is told changed.

use serde_json::{Value, json};

use super::PolicyDiff;
use crate::PolicyDocument;

fn doc(value: Value) -> PolicyDocument {
    PolicyDocument::from_value(&value).unwrap_or_else(|e| panic!("{e}\nin {value}"))
}

/// The diff in a few words per line, to compare with a table's expectation.
fn described(diff: &PolicyDiff) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some((old, new)) = &diff.version {
        lines.push(format!("version {old} -> {new}"));
    }
    for s in &diff.added {
        lines.push(format!("+ {}", s.to_value()));
    }
    for s in &diff.removed {
        lines.push(format!("- {}", s.to_value()));
    }
    for c in &diff.changed {
        let mut parts = Vec::new();
        if let Some((old, new)) = c.effect {
            parts.push(format!("effect {old} -> {new}"));
        }
        let lists = [
            ("action", &c.actions),
            ("not_action", &c.not_actions),
            ("resource", &c.resources),
            ("not_resource", &c.not_resources),
        ];
        for (what, delta) in lists {
            parts.extend(delta.added.iter().map(|v| format!("+{what} {v}")));
            parts.extend(delta.removed.iter().map(|v| format!("-{what} {v}")));
        }
        for (what, delta) in [
            ("principal", &c.principals),
            ("not_principal", &c.not_principals),
        ] {
            let shown = |p: &super::PrincipalValue| format!("{}:{}", p.kind, p.value);
            parts.extend(delta.added.iter().map(|p| format!("+{what} {}", shown(p))));
            parts.extend(
                delta
                    .removed
                    .iter()
                    .map(|p| format!("-{what} {}", shown(p))),
            );
        }
        for k in &c.conditions {
            parts.push(format!(
                "condition {} {} {:?} -> {:?}",
                k.operator, k.key, k.before, k.after
            ));
        }
        lines.push(format!(
            "~ {}: {}",
            c.sid().unwrap_or("-"),
            parts.join(", ")
        ));
    }
    lines
}

const BUCKET: &str = "arn:aws:s3:::acme";
const OBJECTS: &str = "arn:aws:s3:::acme/pendo/*";

fn grant() -> Value {
    json!({"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": OBJECTS})
}

fn listing() -> Value {
    json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET})
}

fn trust(principal: &str, external_id: Option<&str>) -> Value {
    let mut s =
        json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"});
    if let Some(id) = external_id {
        s["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [s]})
}

fn policy(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn diffs_read_as_what_changed_in_meaning() {
    let everything = json!({"Effect": "Allow", "Action": "s3:*", "Resource": OBJECTS});
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        (
            "reordered, strings for lists, an account ID for its root: no change",
            json!({"Version": "2012-10-17", "Statement": [
                grant(), listing(),
                {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": OBJECTS},
            ]}),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": ["s3:getobject"], "Resource": [OBJECTS]},
                {"Resource": [BUCKET], "Action": ["s3:ListBucket"], "Effect": "Allow"},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:PutObject"], "Resource": OBJECTS},
            ]}),
            vec![],
        ),
        (
            "an added s3:* statement is one added statement",
            policy(vec![listing(), grant()]),
            policy(vec![listing(), everything.clone(), grant()]),
            vec![
                r#"+ {"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::acme/pendo/*"]}"#,
            ],
        ),
        (
            "an added s3:* statement with a Sid, before the others",
            policy(vec![grant()]),
            policy(vec![
                json!({"Sid": "DenyLock", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::acme/.lock"}),
                grant(),
            ]),
            vec![
                r#"+ {"Sid":"DenyLock","Effect":"Deny","Action":["s3:*"],"Resource":["arn:aws:s3:::acme/.lock"]}"#,
            ],
        ),
        (
            "a grant widened to s3:* is one statement changed",
            policy(vec![listing(), grant()]),
            policy(vec![listing(), everything.clone()]),
            vec!["~ -: +action s3:*, -action s3:GetObject, -action s3:PutObject"],
        ),
        (
            "a statement for other resources is removed and another added, not edited",
            policy(vec![grant()]),
            policy(vec![
                json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
            ]),
            vec![
                r#"+ {"Effect":"Allow","Action":["s3:*"],"Resource":["*"]}"#,
                r#"- {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::acme/pendo/*"]}"#,
            ],
        ),
        (
            "a resource added to a statement",
            policy(vec![grant()]),
            policy(vec![
                json!({"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": [OBJECTS, BUCKET]}),
            ]),
            vec!["~ -: +resource arn:aws:s3:::acme"],
        ),
        (
            "statements paired by Sid, whatever they became",
            policy(vec![
                json!({"Sid": "S3destPendo", "Effect": "Allow", "Action": "s3:PutObject", "Resource": OBJECTS}),
            ]),
            policy(vec![
                json!({"Sid": "S3destPendo", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}),
            ]),
            vec![
                "~ S3destPendo: effect Allow -> Deny, +resource *, -resource arn:aws:s3:::acme/pendo/*",
            ],
        ),
        (
            "only the Sid changed: no change",
            policy(vec![
                json!({"Sid": "Old", "Effect": "Allow", "Action": "s3:PutObject", "Resource": OBJECTS}),
            ]),
            policy(vec![
                json!({"Sid": "New", "Effect": "Allow", "Action": "s3:PutObject", "Resource": OBJECTS}),
            ]),
            vec![],
        ),
        (
            "the external ID changed",
            trust("arn:aws:iam::777788889999:role/archiver", Some("arch-1")),
            trust("arn:aws:iam::777788889999:role/archiver", Some("arch-2")),
            vec![r#"~ -: condition StringEquals sts:ExternalId ["arch-1"] -> ["arch-2"]"#],
        ),
        (
            "the external ID dropped",
            trust("arn:aws:iam::444455556666:role/uploader", Some("legacy-1")),
            trust("arn:aws:iam::444455556666:role/uploader", None),
            vec![r#"~ -: condition StringEquals sts:ExternalId ["legacy-1"] -> []"#],
        ),
        (
            "a principal AWS rewrote to its unique ID is a principal removed and one added",
            trust("AROAEXAMPLEUNIQUEID1", Some("ext")),
            trust("987654321098", Some("ext")),
            vec![
                "~ -: +principal AWS:arn:aws:iam::987654321098:root, -principal AWS:AROAEXAMPLEUNIQUEID1",
            ],
        ),
        (
            "anyone, however it is written",
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS}]}),
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": OBJECTS}]}),
            vec![],
        ),
        (
            "anyone trusted instead of an account",
            trust("111122223333", None),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}),
            vec!["~ -: +principal AWS:*, -principal AWS:arn:aws:iam::111122223333:root"],
        ),
        (
            "the version",
            json!({"Statement": [grant()]}),
            policy(vec![grant()]),
            vec!["version 2008-10-17 -> 2012-10-17"],
        ),
        (
            "the most alike statements are the ones paired",
            policy(vec![
                json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": [OBJECTS, BUCKET]}),
                json!({"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": [OBJECTS]}),
            ]),
            policy(vec![
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [OBJECTS, BUCKET]}),
                json!({"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], "Resource": [OBJECTS]}),
            ]),
            vec!["~ -: +action s3:DeleteObject", "~ -: +action s3:ListBucket"],
        ),
        (
            "Sids swapped between two statements: no change",
            policy(vec![
                json!({"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
                json!({"Sid": "B", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}),
            ]),
            policy(vec![
                json!({"Sid": "B", "Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
                json!({"Sid": "A", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}),
            ]),
            vec![],
        ),
        (
            "a statement that moved keeps its grant; the Sid it left is a new statement",
            policy(vec![
                json!({"Sid": "Ours", "Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
            ]),
            policy(vec![
                json!({"Sid": "Ours", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}),
                json!({"Sid": "Moved", "Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
            ]),
            vec![
                r#"+ {"Sid":"Ours","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::acme"]}"#,
            ],
        ),
    ];
    for (name, before, after, expected) in cases {
        let diff = PolicyDiff::between(&doc(before.clone()), &doc(after.clone()));
        assert_eq!(described(&diff), expected, "{name}");
        assert_eq!(diff.is_empty(), expected.is_empty(), "{name}");
        // Backwards, what was added is removed.
        let back = PolicyDiff::between(&doc(after), &doc(before));
        assert_eq!(back.added.len(), diff.removed.len(), "{name}");
        assert_eq!(back.removed.len(), diff.added.len(), "{name}");
        assert_eq!(back.changed.len(), diff.changed.len(), "{name}");
    }
}

#[test]
fn an_external_id_change_is_found_by_its_key_whatever_its_case() {
    let before = trust("arn:aws:iam::1:role/x", Some("a"));
    let mut after = trust("arn:aws:iam::1:role/x", None);
    after["Statement"][0]["Condition"] = json!({"StringEquals": {"sts:externalid": "b"}});
    let diff = PolicyDiff::between(&doc(before), &doc(after));
    let [change] = diff.changed.as_slice() else {
        panic!("{diff:?}")
    };
    // Two condition keys as written (IAM's own spelling is kept), both external IDs.
    assert_eq!(change.conditions.len(), 2);
    assert!(change.conditions.iter().all(|c| c.is_external_id()));
    assert_eq!(
        change.external_id().map(|c| c.before.clone()),
        Some(vec!["a".to_owned()])
    );
}

#[test]
fn changed_statements_follow_the_new_document() {
    let before = policy(vec![
        json!({"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
        json!({"Sid": "B", "Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET}),
    ]);
    let after = policy(vec![
        json!({"Sid": "B", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}),
        json!({"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": OBJECTS}),
    ]);
    let diff = PolicyDiff::between(&doc(before), &doc(after));
    // Canonical order: by Sid.
    let sids: Vec<_> = diff.changed.iter().map(|c| c.sid()).collect();
    assert_eq!(sids, [Some("A"), Some("B")]);
}
