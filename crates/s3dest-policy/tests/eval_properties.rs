//! Property tests of the evaluator's guarantees, over random policies and requests
//! drawn from small pools (so that statements often apply, might apply, or conflict):
//!
//! - **Deny monotonicity**: adding a `Deny` statement to any policy never raises the
//!   decision in the order `Denied` < `Unknown` < `Allowed` — it never turns `Denied`
//!   or `Unknown` into `Allowed`, nor `Denied` into anything else.
//! - **Allow monotonicity**: adding an `Allow` statement never lowers it — never
//!   `Allowed` into `Unknown` or `Denied`, nor `Unknown` into `Denied`.
//! - **Unknown is honest**: when the decision is `Allowed` or `Denied` while some
//!   condition keys (or the session name) are unknown, every way of knowing them gives
//!   the same decision.
//! - **Order does not matter**: reversing the statements changes no decision.
//! - **Verdicts explain themselves**: an `Unknown` names a statement and why; an
//!   explicit deny names its statement.

use proptest::prelude::*;
use s3dest_policy::{
    Context, ContextValue, Decision, Labeled, Outcome, PolicyDocument, Request, RequestPrincipal,
    Verdict, evaluate_assume_role, evaluate_cross_account, evaluate_same_account, evaluate_trust,
};
use serde_json::{Value, json};

const CUSTOMER: &str = "111122223333";
const VENDOR: &str = "444455556666";
const BUCKET: &str = "arn:aws:s3:::b";
const VENDOR_ROLE: &str = "arn:aws:iam::444455556666:role/vendor-writer";
const CUSTOMER_ROLE: &str = "arn:aws:iam::111122223333:role/s3dest";

const ACTIONS: [&str; 7] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "s3:Put*",
    "*",
    "sts:AssumeRole",
    "s3:ListBucket",
];
const RESOURCES: [&str; 5] = [
    BUCKET,
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/exports/*",
    "arn:aws:s3:::other/*",
    "*",
];
const REQUEST_ACTIONS: [&str; 4] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "sts:AssumeRole",
];
const REQUEST_RESOURCES: [&str; 3] = [BUCKET, "arn:aws:s3:::b/exports/x", "arn:aws:s3:::other/y"];

fn who(i: usize) -> Value {
    match i {
        0 => json!("*"),
        1 => json!({"AWS": VENDOR}),
        2 => json!({"AWS": VENDOR_ROLE}),
        3 => json!({"AWS": "arn:aws:sts::444455556666:assumed-role/vendor-writer/export"}),
        4 => json!({"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}),
        5 => json!({"AWS": "arn:aws:iam::111122223333:role/ci"}),
        6 => json!({"AWS": "arn:aws:iam::111122223333:user/alice"}),
        7 => json!({"Service": "logs.amazonaws.com"}),
        8 => json!({"AWS": ["arn:aws:iam::999999999999:root", VENDOR_ROLE]}),
        _ => json!({"AWS": [VENDOR_ROLE, format!("arn:aws:iam::{VENDOR}:root"),
                            "arn:aws:sts::444455556666:assumed-role/vendor-writer/export"]}),
    }
}
const WHO: usize = 10;

/// The condition keys requests carry, with the values they can take.
const KEYS: [(&str, &[&[&str]]); 8] = [
    ("aws:SecureTransport", &[&["true"], &["false"]]),
    (
        "s3:x-amz-server-side-encryption",
        &[&["aws:kms"], &["AES256"]],
    ),
    ("sts:ExternalId", &[&["ext-1"], &["ext-2"]]),
    (
        "aws:SourceIp",
        &[&["192.0.2.5"], &["198.51.100.7"], &["2001:db8::1"]],
    ),
    ("aws:SourceVpce", &[&["vpce-1"], &["vpce-2"]]),
    ("aws:PrincipalOrgID", &[&["o-1"], &["o-2"]]),
    (
        "s3:x-amz-acl",
        &[&["bucket-owner-full-control"], &["private"]],
    ),
    ("aws:TagKeys", &[&["a"], &["a", "b"], &["b"]]),
];

const CONDITIONS: [(&str, &str, &str); 15] = [
    ("Bool", "aws:SecureTransport", "false"),
    (
        "StringNotEquals",
        "s3:x-amz-server-side-encryption",
        "aws:kms",
    ),
    ("StringEquals", "sts:ExternalId", "ext-1"),
    ("NotIpAddress", "aws:SourceIp", "192.0.2.0/24"),
    ("StringNotEquals", "aws:SourceVpce", "vpce-1"),
    ("StringEquals", "aws:PrincipalOrgID", "o-1"),
    ("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control"),
    ("Null", "s3:x-amz-server-side-encryption", "true"),
    ("StringEqualsIfExists", "sts:ExternalId", "ext-2"),
    ("ForAllValues:StringLike", "aws:TagKeys", "a"),
    ("ForAnyValue:StringEquals", "aws:TagKeys", "b"),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32"),
    ("BinaryEquals", "aws:SecureTransport", "dHJ1ZQ=="),
    ("StringLike", "sts:ExternalId", "ext-*"),
    ("StringEquals", "aws:TagKeys", "a"),
];

fn principal(i: usize) -> RequestPrincipal {
    match i {
        0 => RequestPrincipal::role_session(VENDOR_ROLE, Some("export")),
        1 => RequestPrincipal::role_session(VENDOR_ROLE, Some("other")),
        2 => RequestPrincipal::role_session(VENDOR_ROLE, None),
        3 => RequestPrincipal::root(VENDOR),
        4 => RequestPrincipal::user("arn:aws:iam::444455556666:user/bob"),
        5 => RequestPrincipal::role_session("arn:aws:iam::111122223333:role/ci", Some("s")),
        6 => RequestPrincipal::user("arn:aws:iam::111122223333:user/alice"),
        7 => RequestPrincipal::root(CUSTOMER),
        8 => RequestPrincipal::anonymous(),
        _ => RequestPrincipal::service("logs.amazonaws.com"),
    }
}
const PRINCIPALS: usize = 10;

#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    who: usize,
    not_principal: bool,
    actions: Vec<usize>,
    not_action: bool,
    resources: Vec<usize>,
    not_resource: bool,
    conditions: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Identity,
    Resource,
    Trust,
}

impl Stmt {
    fn render(&self, kind: Kind) -> Value {
        let mut s = json!({"Effect": if self.allow { "Allow" } else { "Deny" }});
        let pick = |pool: &[&str], ix: &[usize]| {
            Value::from(ix.iter().map(|&i| pool[i]).collect::<Vec<_>>())
        };
        s[if self.not_action {
            "NotAction"
        } else {
            "Action"
        }] = pick(&ACTIONS, &self.actions);
        if kind != Kind::Trust {
            s[if self.not_resource {
                "NotResource"
            } else {
                "Resource"
            }] = pick(&RESOURCES, &self.resources);
        }
        if kind != Kind::Identity {
            s[if self.not_principal {
                "NotPrincipal"
            } else {
                "Principal"
            }] = who(self.who);
        }
        if !self.conditions.is_empty() {
            let mut condition = json!({});
            for &c in &self.conditions {
                let (op, key, value) = CONDITIONS[c];
                condition[op][key] = json!(value);
            }
            s["Condition"] = condition;
        }
        s
    }
}

fn render(statements: &[Stmt], kind: Kind) -> PolicyDocument {
    let statements: Vec<Value> = statements.iter().map(|s| s.render(kind)).collect();
    PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements}))
        .expect("generated policies parse")
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        0..WHO,
        prop::bool::weighted(0.15),
        prop::collection::vec(0..ACTIONS.len(), 1..=2),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..RESOURCES.len(), 1..=2),
        prop::bool::weighted(0.15),
        prop::collection::vec(0..CONDITIONS.len(), 0..=2),
    )
        .prop_map(
            |(
                allow,
                who,
                not_principal,
                actions,
                not_action,
                resources,
                not_resource,
                conditions,
            )| Stmt {
                allow,
                who,
                not_principal,
                actions,
                not_action,
                resources,
                not_resource,
                conditions,
            },
        )
}

/// What is known of one condition key: unknown, absent, or one of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fact {
    Unknown,
    Absent,
    Value(usize),
}

fn fact(key: usize) -> impl Strategy<Value = Fact> {
    prop_oneof![
        Just(Fact::Unknown),
        Just(Fact::Absent),
        (0..KEYS[key].1.len()).prop_map(Fact::Value)
    ]
}

#[derive(Debug, Clone)]
struct Scenario {
    resource: Vec<Stmt>,
    identity: Vec<Vec<Stmt>>,
    principal: usize,
    action: usize,
    resource_arn: usize,
    facts: Vec<Fact>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let facts: Vec<_> = (0..KEYS.len()).map(fact).collect();
    (
        prop::collection::vec(stmt(), 0..=4),
        prop::collection::vec(prop::collection::vec(stmt(), 0..=3), 1..=2),
        0..PRINCIPALS,
        0..REQUEST_ACTIONS.len(),
        0..REQUEST_RESOURCES.len(),
        facts,
    )
        .prop_map(
            |(resource, identity, principal, action, resource_arn, facts)| Scenario {
                resource,
                identity,
                principal,
                action,
                resource_arn,
                facts,
            },
        )
}

impl Scenario {
    fn context(&self) -> Context {
        let mut context = Context::new();
        for (i, fact) in self.facts.iter().enumerate() {
            let (key, values) = KEYS[i];
            match fact {
                Fact::Unknown => {}
                Fact::Absent => context.set(key, ContextValue::Absent),
                Fact::Value(v) => context.set(
                    key,
                    ContextValue::Known(values[*v].iter().map(|s| (*s).to_owned()).collect()),
                ),
            }
        }
        context
    }

    fn request(&self, resource: &str) -> Request {
        Request::new(
            principal(self.principal),
            REQUEST_ACTIONS[self.action],
            resource,
        )
        .with_context(self.context())
    }

    fn external_id(&self) -> Option<&'static str> {
        match self.facts[2] {
            Fact::Value(v) => Some(KEYS[2].1[v][0]),
            Fact::Unknown | Fact::Absent => None,
        }
    }

    /// Every evaluation of the scenario, labeled.
    fn verdicts(&self) -> Vec<(&'static str, Verdict)> {
        let bucket = render(&self.resource, Kind::Resource);
        let trust = render(&self.resource, Kind::Trust);
        let identity: Vec<PolicyDocument> = self
            .identity
            .iter()
            .map(|p| render(p, Kind::Identity))
            .collect();
        let labeled: Vec<Labeled<&PolicyDocument>> = identity
            .iter()
            .enumerate()
            .map(|(i, p)| Labeled::new(format!("identity {i}"), p))
            .collect();
        let request = self.request(REQUEST_RESOURCES[self.resource_arn]);
        let assume = self.request(CUSTOMER_ROLE);
        let bucket_policy = || Some(Labeled::new("bucket policy", &bucket));
        let trust_policy = || Labeled::new("trust policy", &trust);
        let mut out = vec![
            (
                "same account",
                evaluate_same_account(&request, &labeled, bucket_policy()),
            ),
            (
                "cross account, identity unknown",
                evaluate_cross_account(&request, None, bucket_policy()),
            ),
            (
                "cross account, identity known",
                evaluate_cross_account(&request, Some(&labeled), bucket_policy()),
            ),
            (
                "trust, identity unknown",
                evaluate_trust(trust_policy(), &assume, None),
            ),
            (
                "trust, identity known",
                evaluate_trust(trust_policy(), &assume, Some(&labeled)),
            ),
        ];
        // evaluate_assume_role takes the external ID only as known or absent.
        if self.facts[2] != Fact::Unknown {
            out.push((
                "assume role",
                evaluate_assume_role(&trust, principal(self.principal), self.external_id()),
            ));
        }
        out
    }

    /// The scenario with `extra` added to policy `target` (0: the resource/trust
    /// policy, 1…: an identity policy) at `position`.
    fn with_statement(&self, extra: &Stmt, target: usize, position: usize) -> Scenario {
        let mut next = self.clone();
        let list = match target % (1 + next.identity.len()) {
            0 => &mut next.resource,
            t => &mut next.identity[t - 1],
        };
        let at = position % (list.len() + 1);
        list.insert(at, extra.clone());
        next
    }
}

fn decisions(verdicts: &[(&'static str, Verdict)]) -> Vec<(&'static str, Decision)> {
    verdicts.iter().map(|(n, v)| (*n, v.decision)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_deny_never_raises_the_decision(
        s in scenario(), extra in stmt(), target: usize, position: usize,
    ) {
        let extra = Stmt { allow: false, ..extra };
        let before = decisions(&s.verdicts());
        let after = decisions(&s.with_statement(&extra, target, position).verdicts());
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            prop_assert!(a.rank() <= b.rank(), "{name}: {b} became {a}");
        }
    }

    #[test]
    fn adding_an_allow_never_lowers_the_decision(
        s in scenario(), extra in stmt(), target: usize, position: usize,
    ) {
        let extra = Stmt { allow: true, ..extra };
        let before = decisions(&s.verdicts());
        let after = decisions(&s.with_statement(&extra, target, position).verdicts());
        for ((name, b), (_, a)) in before.iter().zip(&after) {
            prop_assert!(a.rank() >= b.rank(), "{name}: {b} became {a}");
        }
    }

    #[test]
    fn a_definite_decision_survives_learning_the_unknowns(s in scenario()) {
        let before = decisions(&s.verdicts());
        // Every way of knowing one unknown key at a time, and the session name.
        let mut refinements: Vec<Scenario> = vec![];
        let request = s.request(BUCKET);
        for (i, (key, _)) in KEYS.iter().enumerate() {
            // Only what the evaluator saw as unknown (the principal decides some keys).
            if request.value(key) != ContextValue::Unknown {
                continue;
            }
            let options = std::iter::once(Fact::Absent).chain((0..KEYS[i].1.len()).map(Fact::Value));
            for option in options {
                let mut known = s.clone();
                known.facts[i] = option;
                refinements.push(known);
            }
        }
        if s.principal == 2 {
            for named in [0, 1] {
                refinements.push(Scenario { principal: named, ..s.clone() });
            }
        }
        for refined in &refinements {
            let after = decisions(&refined.verdicts());
            for (name, b) in &before {
                if *b == Decision::Unknown {
                    continue;
                }
                // "assume role" only exists when the external ID is not unknown.
                if let Some((_, a)) = after.iter().find(|(n, _)| n == name) {
                    prop_assert_eq!(a, b, "{}: {:?} -> {:?}", name, s.facts, refined.facts);
                }
            }
        }
    }

    #[test]
    fn statement_order_does_not_matter(s in scenario()) {
        let mut reversed = s.clone();
        reversed.resource.reverse();
        for policy in &mut reversed.identity {
            policy.reverse();
        }
        prop_assert_eq!(decisions(&s.verdicts()), decisions(&reversed.verdicts()));
    }

    #[test]
    fn verdicts_explain_themselves(s in scenario()) {
        for (name, v) in s.verdicts() {
            match v.decision {
                Decision::Unknown => prop_assert!(
                    v.decided_by.iter().any(|r| matches!(r.outcome, Outcome::MightDeny | Outcome::MightAllow) && !r.uncertain.is_empty()),
                    "{}: {}", name, v
                ),
                Decision::Allowed => prop_assert!(
                    v.decided_by.iter().all(|r| r.outcome == Outcome::Allow),
                    "{}: {}", name, v
                ),
                Decision::Denied => prop_assert!(
                    v.decided_by.iter().all(|r| r.outcome == Outcome::ExplicitDeny)
                        || v.decided_by.iter().all(|r| r.outcome == Outcome::ImplicitDeny),
                    "{}: {}", name, v
                ),
            }
            let explicit = v.decided_by.iter().filter(|r| r.outcome == Outcome::ExplicitDeny);
            prop_assert!(explicit.clone().all(|r| r.statement.is_some() && r.uncertain.is_empty()), "{}: {}", name, v);
        }
    }
}
