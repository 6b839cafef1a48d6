//! Property tests: formatting never changes policy equality, a grant change always does.
//!
//! Documents are generated as a model (sets of indexes into fixed pools, so that two
//! models are equal exactly when they grant the same), then rendered to JSON in a
//! random style chosen by a seed: statement and list order, duplicates, strings for
//! one-element lists, account IDs or root ARNs, action case, Sids, pretty or compact
//! JSON, percent-encoding.

use std::collections::BTreeSet;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::sample::Index;
use s3dest_policy::{PolicyDiff, PolicyDocument};
use serde_json::{Value, json};

const ACTIONS: [&str; 9] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "sts:AssumeRole",
    "s3:Get*",
    "kms:Decrypt",
    "ec2:DescribeInstances",
];
const RESOURCES: [&str; 5] = [
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/exports/*",
    "arn:aws:s3:::other/*",
    "*",
];
/// Accounts render as the bare ID or the root ARN; the others as they are.
const PRINCIPALS: [Principal; 5] = [
    Principal::Account("111122223333"),
    Principal::Account("444455556666"),
    Principal::Other("arn:aws:iam::111122223333:role/vendor"),
    Principal::Other("arn:aws:iam::758936404074:role/rundeck-worker"),
    Principal::Other("AROA3XFRBF535EXAMPLE1"),
];

#[derive(Debug, Clone, Copy)]
enum Principal {
    Account(&'static str),
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    None,
    Any,
    Aws(BTreeSet<usize>),
}

/// A statement's grant; `sid` only says whether it has one.
#[derive(Debug, Clone)]
struct Stmt {
    sid: bool,
    allow: bool,
    who: Who,
    actions: BTreeSet<usize>,
    resources: BTreeSet<usize>,
    external_id: Option<String>,
}

impl Stmt {
    fn same_grant(&self, other: &Stmt) -> bool {
        (
            self.allow,
            &self.who,
            &self.actions,
            &self.resources,
            &self.external_id,
        ) == (
            other.allow,
            &other.who,
            &other.actions,
            &other.resources,
            &other.external_id,
        )
    }
}

fn stmt() -> impl Strategy<Value = Stmt> {
    let who = prop_oneof![
        Just(Who::None),
        Just(Who::Any),
        prop::collection::btree_set(0..PRINCIPALS.len(), 1..=3).prop_map(Who::Aws),
    ];
    (
        any::<bool>(),
        any::<bool>(),
        who,
        prop::collection::btree_set(0..ACTIONS.len(), 1..=5),
        prop::collection::btree_set(0..RESOURCES.len(), 0..=4),
        prop::option::of("[A-Za-z0-9+=,.@:/-]{2,12}"),
    )
        .prop_map(|(sid, allow, who, actions, resources, external_id)| Stmt {
            sid,
            allow,
            who,
            actions,
            resources,
            external_id,
        })
}

fn doc() -> impl Strategy<Value = Vec<Stmt>> {
    prop::collection::vec(stmt(), 1..=4)
}

/// splitmix64: the rendering style, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sids {
    /// `S<position in the model>`: the same in every rendering.
    Model,
    /// Different names, and some statements lose theirs.
    Changed,
}

/// A list in a random spelling: shuffled, maybe with a duplicate, a lone element
/// maybe as a plain string.
fn list(rng: &mut Rng, mut items: Vec<String>) -> Value {
    rng.shuffle(&mut items);
    if !items.is_empty() && rng.below(4) == 0 {
        let dup = items[rng.below(items.len())].clone();
        items.push(dup);
    }
    if items.len() == 1 && rng.coin() {
        Value::String(items.remove(0))
    } else {
        Value::Array(items.into_iter().map(Value::String).collect())
    }
}

fn respell_action(rng: &mut Rng, action: &str) -> String {
    match rng.below(4) {
        0 => action.to_lowercase(),
        1 => action.to_uppercase(),
        _ => action.to_owned(),
    }
}

fn render_value(model: &[Stmt], seed: u64, sids: Sids) -> Value {
    let mut rng = Rng(seed);
    let mut statements: Vec<Value> = model
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut out = serde_json::Map::new();
            let sid = match sids {
                Sids::Model => s.sid.then(|| format!("S{i}")),
                Sids::Changed => rng.coin().then(|| format!("Other{i}")),
            };
            if let Some(sid) = sid {
                out.insert("Sid".into(), json!(sid));
            }
            out.insert(
                "Effect".into(),
                json!(if s.allow { "Allow" } else { "Deny" }),
            );
            match &s.who {
                Who::None => {}
                Who::Any => {
                    let any = match rng.below(3) {
                        0 => json!("*"),
                        1 => json!({"AWS": "*"}),
                        _ => json!({"AWS": ["*"]}),
                    };
                    out.insert("Principal".into(), any);
                }
                Who::Aws(set) => {
                    let values = set
                        .iter()
                        .map(|&p| match PRINCIPALS[p] {
                            Principal::Account(id) if rng.coin() => id.to_owned(),
                            Principal::Account(id) => format!("arn:aws:iam::{id}:root"),
                            Principal::Other(arn) => arn.to_owned(),
                        })
                        .collect();
                    out.insert("Principal".into(), json!({"AWS": list(&mut rng, values)}));
                }
            }
            let actions = s
                .actions
                .iter()
                .map(|&a| respell_action(&mut rng, ACTIONS[a]))
                .collect();
            out.insert("Action".into(), list(&mut rng, actions));
            if !s.resources.is_empty() {
                let resources = s
                    .resources
                    .iter()
                    .map(|&r| RESOURCES[r].to_owned())
                    .collect();
                out.insert("Resource".into(), list(&mut rng, resources));
            }
            if let Some(id) = &s.external_id {
                let values = list(&mut rng, vec![id.clone()]);
                out.insert(
                    "Condition".into(),
                    json!({"StringEquals": {"sts:ExternalId": values}}),
                );
            }
            // Key order in the text does not matter either.
            let mut entries: Vec<(String, Value)> = out.into_iter().collect();
            rng.shuffle(&mut entries);
            Value::Object(entries.into_iter().collect())
        })
        .collect();
    rng.shuffle(&mut statements);
    let statement = if statements.len() == 1 && rng.coin() {
        statements.remove(0)
    } else {
        Value::Array(statements)
    };
    json!({"Version": "2012-10-17", "Statement": statement})
}

/// JSON text, compact or pretty, and maybe percent-encoded as IAM returns it.
fn render(model: &[Stmt], seed: u64, sids: Sids) -> String {
    let value = render_value(model, seed, sids);
    let mut rng = Rng(seed ^ 0x5555);
    let text = if rng.coin() {
        serde_json::to_string_pretty(&value).unwrap()
    } else {
        value.to_string()
    };
    if rng.coin() { url_encode(&text) } else { text }
}

fn url_encode(text: &str) -> String {
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(text, SET).to_string()
}

fn parse(text: &str) -> PolicyDocument {
    PolicyDocument::parse_aws(text).unwrap_or_else(|e| panic!("{e}\nin {text}"))
}

/// The check behind every property: equality, that it is symmetric, and that the
/// diff of the two documents is empty exactly when they are equal.
fn eq(a: &PolicyDocument, b: &PolicyDocument) -> bool {
    let result = a.equivalent(b);
    assert_eq!(result, b.equivalent(a), "equality must be symmetric");
    for (x, y) in [(a, b), (b, a)] {
        let diff = PolicyDiff::between(x, y);
        assert_eq!(diff.is_empty(), result, "{diff:?}");
    }
    result
}

/// The four kinds of change to one statement's grant.
#[derive(Debug, Clone, Copy)]
enum Change {
    AddAction,
    RemoveResource,
    FlipEffect,
    ExternalId,
}

/// Applies `change` to statement `i` and every statement with the same grant (so that
/// the old grant is gone from the document); `None` when it does not apply.
fn mutate(model: &[Stmt], change: Change, i: usize, pick: Index) -> Option<Vec<Stmt>> {
    let target = &model[i];
    let new = {
        let mut s = target.clone();
        match change {
            Change::AddAction => {
                let absent: Vec<usize> = (0..ACTIONS.len())
                    .filter(|a| !s.actions.contains(a))
                    .collect();
                s.actions.insert(*pick.get(&absent));
            }
            Change::RemoveResource => {
                if s.resources.len() < 2 {
                    return None;
                }
                let present: Vec<usize> = s.resources.iter().copied().collect();
                s.resources.remove(pick.get(&present));
            }
            Change::FlipEffect => s.allow = !s.allow,
            Change::ExternalId => {
                s.external_id = Some(match &s.external_id {
                    Some(id) => format!("{id}0"),
                    None => "added-external-id".to_owned(),
                });
            }
        }
        s
    };
    Some(
        model
            .iter()
            .map(|s| {
                if s.same_grant(target) {
                    Stmt {
                        sid: s.sid,
                        ..new.clone()
                    }
                } else {
                    s.clone()
                }
            })
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn formatting_never_changes_equality(model in doc(), s1: u64, s2: u64) {
        let a = parse(&render(&model, s1, Sids::Model));
        let b = parse(&render(&model, s2, Sids::Model));
        prop_assert!(eq(&a, &b));
        prop_assert_eq!(a.to_canonical_pretty(), b.to_canonical_pretty());

        // Other Sids, or none.
        let c = parse(&render(&model, s2, Sids::Changed));
        prop_assert!(eq(&a, &c));

        // Percent-encoding on top of any rendering.
        let d = parse(&url_encode(&render_value(&model, s2, Sids::Model).to_string()));
        prop_assert!(eq(&a, &d));

        // to_value / from_value, and the canonical form, keep the grant and the text.
        let back = PolicyDocument::from_value(&a.to_value()).unwrap();
        prop_assert!(eq(&a, &back));
        prop_assert_eq!(back.to_canonical_pretty(), a.to_canonical_pretty());
        let canonical = a.canonical();
        prop_assert!(eq(&a, &canonical));
        prop_assert_eq!(canonical.to_canonical_pretty(), a.to_canonical_pretty());
        let reparsed = PolicyDocument::parse(&a.to_canonical_pretty()).unwrap();
        prop_assert!(eq(&a, &reparsed));
    }

    #[test]
    fn a_grant_change_always_breaks_equality(
        model in doc(),
        change in prop_oneof![
            Just(Change::AddAction),
            Just(Change::RemoveResource),
            Just(Change::FlipEffect),
            Just(Change::ExternalId),
        ],
        which: Index,
        pick: Index,
        s1: u64,
        s2: u64,
    ) {
        let i = match change {
            // Pick among the statements the change applies to.
            Change::RemoveResource => {
                let candidates: Vec<usize> =
                    (0..model.len()).filter(|&i| model[i].resources.len() >= 2).collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                *which.get(&candidates)
            }
            _ => which.index(model.len()),
        };
        let changed = mutate(&model, change, i, pick).expect("the change applies");
        let a = parse(&render(&model, s1, Sids::Model));
        let b = parse(&render(&changed, s2, Sids::Model));
        prop_assert!(!eq(&a, &b), "{:?} of statement {} went unnoticed", change, i);
        let c = parse(&render(&changed, s2, Sids::Changed));
        prop_assert!(!eq(&a, &c));
        prop_assert_ne!(a.to_canonical_pretty(), b.to_canonical_pretty());
    }
}
