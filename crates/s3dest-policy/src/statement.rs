//! One policy statement: its fields, builders, canonical form and JSON shape.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::action::canonical_action;
use crate::normalize_aws_principal;

/// Whether a statement allows or denies what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    /// The JSON spelling, `Allow` or `Deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `Principal` (or `NotPrincipal`) of a statement.
#[derive(Debug, Clone)]
pub enum Principal {
    /// `"*"`, which AWS treats like `{"AWS": "*"}`.
    Any,
    /// Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) to values.
    Map(BTreeMap<String, Vec<String>>),
}

impl Principal {
    /// The principal types AWS accepts as keys of a principal object.
    pub const TYPES: [&'static str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

    /// Sorted, deduplicated values; account IDs as root ARNs; `{"AWS": "*"}` as `Any`.
    ///
    /// An `AROA…` unique ID is left alone: it is what AWS shows once the role it stood
    /// for was deleted, and a new role with the same ARN is a different principal.
    pub fn canonical(&self) -> Principal {
        match self {
            Principal::Any => Principal::Any,
            Principal::Map(map) => {
                let map: BTreeMap<String, Vec<String>> = map
                    .iter()
                    .map(|(kind, values)| {
                        let values = if kind == "AWS" {
                            sorted(values.iter().map(|v| normalize_aws_principal(v)))
                        } else {
                            sorted(values.iter().cloned())
                        };
                        (kind.clone(), values)
                    })
                    .collect();
                let is_any = map.len() == 1 && map.get("AWS").is_some_and(|v| v == &["*"]);
                if is_any {
                    Principal::Any
                } else {
                    Principal::Map(map)
                }
            }
        }
    }

    /// The same principals, whatever the spelling.
    pub fn equivalent(&self, other: &Self) -> bool {
        self.canonical().to_value() == other.canonical().to_value()
    }

    /// `"*"` or an object whose values are always arrays.
    pub fn to_value(&self) -> Value {
        match self {
            Principal::Any => Value::String("*".to_owned()),
            Principal::Map(map) => Value::Object(
                map.iter()
                    .map(|(kind, values)| (kind.clone(), strings_value(values)))
                    .collect(),
            ),
        }
    }
}

/// One statement of a policy document.
///
/// Lists are kept as written (order, duplicates, spelling) so that a document reads
/// back as it was given; [`Statement::canonical`] normalizes them.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub not_principal: Option<Principal>,
    pub action: Option<Vec<String>>,
    pub not_action: Option<Vec<String>>,
    pub resource: Option<Vec<String>>,
    pub not_resource: Option<Vec<String>>,
    /// Operator (`StringEquals`) to condition key (`sts:ExternalId`) to values.
    /// Booleans and numbers are kept as their JSON text (`false`, `10`).
    pub condition: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Statement {
    fn new(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            principal: None,
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: BTreeMap::new(),
        }
    }

    /// An empty `Allow` statement, to be filled with the `with_*` builders.
    pub fn allow() -> Self {
        Self::new(Effect::Allow)
    }

    /// An empty `Deny` statement, to be filled with the `with_*` builders.
    pub fn deny() -> Self {
        Self::new(Effect::Deny)
    }

    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Adds `AWS` principals (ARNs or account IDs).
    pub fn with_principal_aws(self, arns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.with_principals("AWS", arns)
    }

    /// Adds `Service` principals (`logs.amazonaws.com`).
    pub fn with_principal_service(
        self,
        services: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.with_principals("Service", services)
    }

    /// Adds principals of type `kind` (`AWS`, `Service`, `Federated`, `CanonicalUser`).
    /// Replaces a `"*"` principal.
    pub fn with_principals(
        mut self,
        kind: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let mut map = match self.principal.take() {
            Some(Principal::Map(map)) => map,
            Some(Principal::Any) | None => BTreeMap::new(),
        };
        map.entry(kind.to_owned())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self.principal = Some(Principal::Map(map));
        self
    }

    /// Sets the principal to `"*"` (everyone; conditions usually narrow it).
    pub fn with_principal_any(mut self) -> Self {
        self.principal = Some(Principal::Any);
        self
    }

    /// Adds actions.
    pub fn with_actions(mut self, a: impl IntoIterator<Item = impl Into<String>>) -> Self {
        extend(&mut self.action, a);
        self
    }

    /// Adds resources.
    pub fn with_resources(mut self, r: impl IntoIterator<Item = impl Into<String>>) -> Self {
        extend(&mut self.resource, r);
        self
    }

    /// Adds condition values, e.g. `("StringEquals", "sts:ExternalId", [id])`.
    pub fn with_condition(
        mut self,
        op: &str,
        key: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.condition
            .entry(op.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }

    /// The normalized statement: principals as in [`Principal::canonical`], actions in
    /// their canonical spelling, every list sorted and deduplicated, empty condition
    /// operators dropped. The Sid is kept.
    pub fn canonical(&self) -> Statement {
        let actions = |list: &Option<Vec<String>>| {
            list.as_ref()
                .map(|l| sorted(l.iter().map(|a| canonical_action(a))))
        };
        let plain = |list: &Option<Vec<String>>| list.as_ref().map(|l| sorted(l.iter().cloned()));
        Statement {
            sid: self.sid.clone(),
            effect: self.effect,
            principal: self.principal.as_ref().map(Principal::canonical),
            not_principal: self.not_principal.as_ref().map(Principal::canonical),
            action: actions(&self.action),
            not_action: actions(&self.not_action),
            resource: plain(&self.resource),
            not_resource: plain(&self.not_resource),
            condition: self
                .condition
                .iter()
                .filter(|(_, keys)| !keys.is_empty())
                .map(|(op, keys)| {
                    let keys = keys
                        .iter()
                        .map(|(key, values)| (key.clone(), sorted(values.iter().cloned())))
                        .collect();
                    (op.clone(), keys)
                })
                .collect(),
        }
    }

    /// What the statement grants, as text: the canonical JSON without the Sid.
    /// Two statements are equivalent exactly when their grant keys are equal.
    pub fn grant_key(&self) -> String {
        let mut canonical = self.canonical();
        canonical.sid = None;
        canonical.to_value().to_string()
    }

    /// Whether both statements grant the same thing; the Sid is ignored.
    pub fn equivalent(&self, other: &Self) -> bool {
        self.grant_key() == other.grant_key()
    }

    /// The `AWS` principals the statement names, in its `Principal` and `NotPrincipal`.
    pub fn aws_principals(&self) -> impl Iterator<Item = &str> {
        [&self.principal, &self.not_principal]
            .into_iter()
            .flatten()
            .filter_map(|p| match p {
                Principal::Map(map) => map.get("AWS"),
                Principal::Any => None,
            })
            .flatten()
            .map(String::as_str)
    }

    /// The first `AWS` principal that is an IAM unique id (`AROA…` of a role, `AIDA…`
    /// of a user): what AWS shows where a policy named an identity deleted since. AWS
    /// refuses any policy written with one.
    pub fn unique_id_principal(&self) -> Option<&str> {
        const PREFIXES: [&str; 2] = ["AROA", "AIDA"];
        self.aws_principals().find(|value| {
            PREFIXES.iter().any(|prefix| value.starts_with(prefix))
                && value.len() >= 16
                && value.chars().all(|c| c.is_ascii_alphanumeric())
        })
    }

    /// AWS-shaped JSON with keys in the order AWS documents them; lists always as
    /// arrays; absent fields (and an empty `Condition`) left out.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        if let Some(sid) = &self.sid {
            out.insert("Sid".to_owned(), Value::String(sid.clone()));
        }
        out.insert(
            "Effect".to_owned(),
            Value::String(self.effect.as_str().to_owned()),
        );
        if let Some(p) = &self.principal {
            out.insert("Principal".to_owned(), p.to_value());
        }
        if let Some(p) = &self.not_principal {
            out.insert("NotPrincipal".to_owned(), p.to_value());
        }
        let lists = [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ];
        for (key, list) in lists {
            if let Some(list) = list {
                out.insert(key.to_owned(), strings_value(list));
            }
        }
        if !self.condition.is_empty() {
            let condition = self
                .condition
                .iter()
                .map(|(op, keys)| {
                    let keys = keys
                        .iter()
                        .map(|(key, values)| (key.clone(), strings_value(values)))
                        .collect();
                    (op.clone(), Value::Object(keys))
                })
                .collect();
            out.insert("Condition".to_owned(), Value::Object(condition));
        }
        Value::Object(out)
    }

    /// Reads one statement (an object as found in a policy's `Statement` list).
    pub fn from_value(v: &Value) -> Result<Self, crate::PolicyError> {
        crate::parse::statement(v, None)
    }
}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        self.equivalent(other)
    }
}

impl Eq for Statement {}

fn extend(list: &mut Option<Vec<String>>, items: impl IntoIterator<Item = impl Into<String>>) {
    list.get_or_insert_with(Vec::new)
        .extend(items.into_iter().map(Into::into));
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

fn strings_value(values: &[String]) -> Value {
    Value::Array(values.iter().cloned().map(Value::String).collect())
}
