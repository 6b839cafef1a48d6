//! What an evaluation answers: the decision, the statements that made it, and what
//! else must hold that the evaluated policies cannot show.

use std::fmt;

/// A policy with the label a verdict names it by (`"bucket policy"`,
/// `"inline policy s3dest"`, `"trust policy"`).
#[derive(Debug, Clone)]
pub struct Labeled<T> {
    pub label: String,
    pub policy: T,
}

impl<T> Labeled<T> {
    pub fn new(label: impl Into<String>, policy: T) -> Self {
        Labeled {
            label: label.into(),
            policy,
        }
    }
}

/// The answer to "is this request allowed?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed by the policies evaluated (read it with the verdict's [`Note`]s).
    Allowed,
    /// Denied: explicitly by a `Deny` statement, or implicitly because nothing allows it.
    Denied,
    /// It depends on something s3dest cannot know (a condition key's value, an operator
    /// it does not implement); the verdict's statements say what.
    Unknown,
}

impl Decision {
    /// `Denied` < `Unknown` < `Allowed`: the order in which the monotonicity guarantees
    /// are stated (adding a `Deny` never raises the rank, adding an `Allow` never lowers it).
    pub fn rank(self) -> u8 {
        match self {
            Decision::Denied => 0,
            Decision::Unknown => 1,
            Decision::Allowed => 2,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Unknown => "unknown",
        })
    }
}

/// Which statement of a policy: its Sid, or its 1-based position when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatementId {
    Sid(String),
    Index(usize),
}

impl fmt::Display for StatementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementId::Sid(sid) => write!(f, "sid `{sid}`"),
            StatementId::Index(i) => write!(f, "statement {i}"),
        }
    }
}

/// What a statement (or a whole policy) did to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A `Deny` statement that applies.
    ExplicitDeny,
    /// An `Allow` statement that applies.
    Allow,
    /// A `Deny` statement that might apply.
    MightDeny,
    /// An `Allow` statement that might apply.
    MightAllow,
    /// No statement of the policy allows the request (the reference names no statement).
    ImplicitDeny,
}

/// A statement that decided a verdict (or a policy none of whose statements allows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The caller's label for the policy.
    pub policy: String,
    /// `None` with [`Outcome::ImplicitDeny`]: no statement of the policy allows it.
    pub statement: Option<StatementId>,
    pub outcome: Outcome,
    /// Why it only might apply (with `MightDeny` and `MightAllow`).
    pub uncertain: Vec<Uncertainty>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.outcome {
            Outcome::ExplicitDeny => "denies it",
            Outcome::Allow => "allows it",
            Outcome::MightDeny => "might deny it",
            Outcome::MightAllow => "might allow it",
            Outcome::ImplicitDeny => "has no statement that allows it",
        };
        match &self.statement {
            Some(id) => write!(f, "{}, {id}, {what}", self.policy)?,
            None => write!(f, "{} {what}", self.policy)?,
        }
        for (i, why) in self.uncertain.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{why}")?;
        }
        Ok(())
    }
}

/// Why a statement only might apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Uncertainty {
    /// The request's value for this condition key is unknown (e.g. `aws:SourceIp` of a
    /// vendor's request).
    UnknownKey { key: String },
    /// A condition operator s3dest does not implement (`BinaryEquals`, a misspelling).
    UnsupportedOperator { operator: String },
    /// A policy variable (`${aws:username}`), which s3dest does not substitute.
    PolicyVariable { text: String },
    /// A policy value the operator cannot read (a number, date, CIDR, boolean, ARN
    /// pattern), or a request value it cannot read.
    UnreadableValue { operator: String, value: String },
    /// Several request values for a key that the operator has without `ForAnyValue:` or
    /// `ForAllValues:`.
    MultipleValuesWithoutSetOperator { key: String },
    /// The policy names a role session and the request's session name is unknown.
    UnknownSessionName { principal: String },
    /// `NotPrincipal` lists the principal but not every identity AWS may evaluate it as
    /// (its account, its role): AWS "might" then deny (IAM User Guide, "AWS JSON policy
    /// elements: NotPrincipal").
    NotPrincipalIncomplete { missing: String },
    /// A principal value s3dest cannot compare (a `CanonicalUser`, a partial wildcard,
    /// which IAM does not accept).
    UnsupportedPrincipal { kind: String, value: String },
    /// A statement this kind of policy cannot have (a `Principal` in an identity policy,
    /// no `Resource`).
    MalformedStatement { reason: &'static str },
}

impl fmt::Display for Uncertainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uncertainty::UnknownKey { key } => write!(f, "the value of `{key}` is unknown"),
            Uncertainty::UnsupportedOperator { operator } => {
                write!(
                    f,
                    "condition operator `{operator}` is not evaluated by s3dest"
                )
            }
            Uncertainty::PolicyVariable { text } => {
                write!(
                    f,
                    "`{text}` has a policy variable, not substituted by s3dest"
                )
            }
            Uncertainty::UnreadableValue { operator, value } => {
                write!(f, "`{operator}` cannot read `{value}`")
            }
            Uncertainty::MultipleValuesWithoutSetOperator { key } => write!(
                f,
                "`{key}` has several values and the operator no `ForAnyValue:`/`ForAllValues:`"
            ),
            Uncertainty::UnknownSessionName { principal } => {
                write!(
                    f,
                    "the session name is unknown and the policy names `{principal}`"
                )
            }
            Uncertainty::NotPrincipalIncomplete { missing } => {
                write!(f, "`NotPrincipal` does not list `{missing}`")
            }
            Uncertainty::UnsupportedPrincipal { kind, value } => {
                write!(f, "principal `{kind}: {value}` cannot be compared")
            }
            Uncertainty::MalformedStatement { reason } => write!(f, "malformed: {reason}"),
        }
    }
}

/// What else must hold, beyond the policies evaluated, or how the decision came about
/// without a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Note {
    /// The principal's own account must also allow the request (its identity policies,
    /// which were not evaluated): the decision is the resource account's only.
    PrincipalAccountMustAllow { account: Option<String> },
    /// The account's root user may do what no policy denies (IAM User Guide,
    /// "Determining whether a request is allowed or denied within an account").
    RootUser,
    /// The root user cannot call `AssumeRole` ("Roles may not be assumed by root
    /// accounts", AWS STS API Reference, "AssumeRole").
    RootCannotAssumeRole,
    /// There is no resource-based policy, and a cross-account request needs one to allow it.
    NoResourcePolicy,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::PrincipalAccountMustAllow {
                account: Some(account),
            } => write!(
                f,
                "account {account} must also allow it in the principal's own policies"
            ),
            Note::PrincipalAccountMustAllow { account: None } => {
                f.write_str("the principal's own account must also allow it")
            }
            Note::RootUser => f.write_str("the root user may do what no policy denies"),
            Note::RootCannotAssumeRole => f.write_str("the root user cannot assume a role"),
            Note::NoResourcePolicy => f.write_str("there is no resource-based policy"),
        }
    }
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// For `Denied`: the explicit denies, or the policies none of whose statements
    /// allows it. For `Allowed`: the allows. For `Unknown`: the statements that might
    /// deny or might allow it, and the allows that hold.
    pub decided_by: Vec<StatementRef>,
    pub notes: Vec<Note>,
}

impl Verdict {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allowed
    }

    pub fn is_denied(&self) -> bool {
        self.decision == Decision::Denied
    }

    /// Whether a `Deny` statement applies (not merely nothing allowing it).
    pub fn is_explicitly_denied(&self) -> bool {
        self.is_denied()
            && self
                .decided_by
                .iter()
                .any(|r| r.outcome == Outcome::ExplicitDeny)
    }

    /// The statements with this outcome.
    pub fn with_outcome(&self, outcome: Outcome) -> impl Iterator<Item = &StatementRef> {
        self.decided_by.iter().filter(move |r| r.outcome == outcome)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.decision)?;
        for r in &self.decided_by {
            write!(f, "\n  {r}")?;
        }
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}
