//! The request being judged: who, what action, on which resource, with which
//! condition keys (IAM User Guide, "Policy evaluation logic": the request context).

use std::collections::BTreeMap;

/// Condition keys s3dest sets, spelled as AWS documents them (IAM User Guide, "AWS
/// global condition context keys"; Service Authorization Reference, Amazon S3 and AWS
/// STS). Keys compare case-insensitively.
pub mod keys {
    pub const SECURE_TRANSPORT: &str = "aws:SecureTransport";
    pub const PRINCIPAL_ARN: &str = "aws:PrincipalArn";
    pub const PRINCIPAL_ACCOUNT: &str = "aws:PrincipalAccount";
    pub const PRINCIPAL_ORG_ID: &str = "aws:PrincipalOrgID";
    pub const PRINCIPAL_TYPE: &str = "aws:PrincipalType";
    pub const PRINCIPAL_SERVICE_NAME: &str = "aws:PrincipalServiceName";
    pub const EXTERNAL_ID: &str = "sts:ExternalId";
    pub const SERVER_SIDE_ENCRYPTION: &str = "s3:x-amz-server-side-encryption";
    pub const SSE_KMS_KEY_ID: &str = "s3:x-amz-server-side-encryption-aws-kms-key-id";
    pub const ACL: &str = "s3:x-amz-acl";
    pub const PREFIX: &str = "s3:prefix";
    pub const SOURCE_IP: &str = "aws:SourceIp";
    pub const SOURCE_VPCE: &str = "aws:SourceVpce";
    pub const SOURCE_VPC: &str = "aws:SourceVpc";
    pub const SOURCE_ACCOUNT: &str = "aws:SourceAccount";
}

/// What s3dest knows of one condition key in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// The key is in the request with these values (one for single-valued keys).
    Known(Vec<String>),
    /// The key is not in the request (`sts:ExternalId` when none was passed).
    Absent,
    /// s3dest cannot know (the `aws:SourceIp` of a vendor's request).
    Unknown,
}

impl ContextValue {
    pub fn known(value: impl Into<String>) -> Self {
        ContextValue::Known(vec![value.into()])
    }

    /// `Known` for `Some`, `Absent` for `None`.
    pub fn from_option(value: Option<&str>) -> Self {
        value.map_or(ContextValue::Absent, ContextValue::known)
    }

    /// An empty set of values is no value: the key is absent.
    fn normalized(self) -> Self {
        match self {
            ContextValue::Known(values) if values.is_empty() => ContextValue::Absent,
            other => other,
        }
    }
}

/// The condition keys of a request. Keys are case-insensitive, as IAM treats them.
///
/// A key that was never set is [`ContextValue::Unknown`] in a [`Context::new`] context,
/// so that a condition on a key nobody thought of never decides silently; in a
/// [`Context::exhaustive`] one it is absent. The principal keys (`aws:PrincipalArn`,
/// `aws:PrincipalAccount`, `aws:PrincipalOrgID` when known, `aws:PrincipalType`,
/// `aws:PrincipalServiceName`) come from the [`RequestPrincipal`] unless set here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    entries: BTreeMap<String, ContextValue>,
    unlisted: ContextValue,
}

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl Context {
    /// No key set; keys never set are unknown.
    pub fn new() -> Self {
        Context {
            entries: BTreeMap::new(),
            unlisted: ContextValue::Unknown,
        }
    }

    /// No key set; keys never set are absent from the request (the context describes
    /// the whole request).
    pub fn exhaustive() -> Self {
        Context {
            entries: BTreeMap::new(),
            unlisted: ContextValue::Absent,
        }
    }

    /// Sets a key (an empty `Known` list is `Absent`).
    pub fn set(&mut self, key: &str, value: ContextValue) {
        self.entries
            .insert(key.to_ascii_lowercase(), value.normalized());
    }

    pub fn with(mut self, key: &str, value: ContextValue) -> Self {
        self.set(key, value);
        self
    }

    pub fn with_known(
        self,
        key: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.with(
            key,
            ContextValue::Known(values.into_iter().map(Into::into).collect()),
        )
    }

    pub fn with_absent(self, key: &str) -> Self {
        self.with(key, ContextValue::Absent)
    }

    pub fn with_unknown(self, key: &str) -> Self {
        self.with(key, ContextValue::Unknown)
    }

    /// The value set for `key`, if it was set.
    pub fn explicit(&self, key: &str) -> Option<&ContextValue> {
        self.entries.get(&key.to_ascii_lowercase())
    }

    /// The value of `key`: as set, or the default for keys never set.
    pub fn get(&self, key: &str) -> &ContextValue {
        self.explicit(key).unwrap_or(&self.unlisted)
    }

    /// The keys set, lower-cased, with their values.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// `aws:SecureTransport`: whether the request came over TLS.
    pub fn with_secure_transport(self, tls: bool) -> Self {
        self.with(keys::SECURE_TRANSPORT, ContextValue::known(tls.to_string()))
    }

    /// `sts:ExternalId`: absent when the caller passed none.
    pub fn with_external_id(self, id: Option<&str>) -> Self {
        self.with(keys::EXTERNAL_ID, ContextValue::from_option(id))
    }

    /// `s3:x-amz-server-side-encryption` (`AES256`, `aws:kms`, `aws:kms:dsse`): absent
    /// when the request has no such header.
    pub fn with_server_side_encryption(self, sse: Option<&str>) -> Self {
        self.with(keys::SERVER_SIDE_ENCRYPTION, ContextValue::from_option(sse))
    }

    /// `s3:x-amz-server-side-encryption-aws-kms-key-id`.
    pub fn with_sse_kms_key_id(self, key: Option<&str>) -> Self {
        self.with(keys::SSE_KMS_KEY_ID, ContextValue::from_option(key))
    }

    /// `s3:x-amz-acl` (a canned ACL such as `bucket-owner-full-control`).
    pub fn with_acl(self, acl: Option<&str>) -> Self {
        self.with(keys::ACL, ContextValue::from_option(acl))
    }

    /// `s3:prefix` of a `ListBucket` request.
    pub fn with_prefix(self, prefix: Option<&str>) -> Self {
        self.with(keys::PREFIX, ContextValue::from_option(prefix))
    }

    /// `aws:SourceIp` (absent for requests through a VPC endpoint).
    pub fn with_source_ip(self, ip: Option<&str>) -> Self {
        self.with(keys::SOURCE_IP, ContextValue::from_option(ip))
    }

    /// `aws:SourceVpce` (absent unless the request came through a VPC endpoint).
    pub fn with_source_vpce(self, vpce: Option<&str>) -> Self {
        self.with(keys::SOURCE_VPCE, ContextValue::from_option(vpce))
    }

    /// `aws:SourceVpc`.
    pub fn with_source_vpc(self, vpc: Option<&str>) -> Self {
        self.with(keys::SOURCE_VPC, ContextValue::from_option(vpc))
    }

    /// `aws:SourceAccount` (present when a service acts on behalf of a resource).
    pub fn with_source_account(self, account: Option<&str>) -> Self {
        self.with(keys::SOURCE_ACCOUNT, ContextValue::from_option(account))
    }

    /// `aws:PrincipalOrgID`, overriding the principal's (absent: not in an organization).
    pub fn with_principal_org_id(self, org: Option<&str>) -> Self {
        self.with(keys::PRINCIPAL_ORG_ID, ContextValue::from_option(org))
    }
}

/// What kind of principal makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user.
    User,
    /// A session of an IAM role (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`),
    /// the principal a role is when it makes a request. `None`: the session name is
    /// unknown (policies naming a session then only might apply).
    Role { session_name: Option<String> },
    /// An AWS service principal (`logs.amazonaws.com`).
    Service,
    /// A web identity or SAML caller (`AssumeRoleWithWebIdentity`/`WithSAML`).
    Federated,
    /// An unauthenticated request.
    Anonymous,
}

/// The principal that makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    pub kind: PrincipalKind,
    /// As `aws:PrincipalArn` has it: the user's ARN, the root ARN, and for a role
    /// session the role's ARN with its path (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
    /// For a service its name, for a federated caller its provider, for an anonymous
    /// request empty.
    pub arn: String,
    /// The principal's account; `None` for services, federated and anonymous callers.
    pub account: Option<String>,
    /// The principal's organization, when known. `None` leaves `aws:PrincipalOrgID` to
    /// the [`Context`] (unknown unless set there; absent with
    /// [`Context::with_principal_org_id`]`(None)` for an account in no organization).
    pub org_id: Option<String>,
}

impl RequestPrincipal {
    /// The root user of `account`.
    pub fn root(account: &str) -> Self {
        Self::aws(PrincipalKind::Root, crate::account_root_arn(account))
    }

    /// An IAM user; the account is read from the ARN.
    pub fn user(arn: impl Into<String>) -> Self {
        Self::aws(PrincipalKind::User, arn.into())
    }

    /// A session of the role `role_arn` (with its path); the account is read from the ARN.
    pub fn role_session(role_arn: impl Into<String>, session_name: Option<&str>) -> Self {
        Self::aws(
            PrincipalKind::Role {
                session_name: session_name.map(str::to_owned),
            },
            role_arn.into(),
        )
    }

    /// An AWS service principal.
    pub fn service(name: impl Into<String>) -> Self {
        RequestPrincipal {
            kind: PrincipalKind::Service,
            arn: name.into(),
            account: None,
            org_id: None,
        }
    }

    /// A caller through a web identity or SAML provider.
    pub fn federated(provider: impl Into<String>) -> Self {
        RequestPrincipal {
            kind: PrincipalKind::Federated,
            arn: provider.into(),
            account: None,
            org_id: None,
        }
    }

    /// An unauthenticated request.
    pub fn anonymous() -> Self {
        RequestPrincipal {
            kind: PrincipalKind::Anonymous,
            arn: String::new(),
            account: None,
            org_id: None,
        }
    }

    pub fn with_org_id(mut self, org: impl Into<String>) -> Self {
        self.org_id = Some(org.into());
        self
    }

    fn aws(kind: PrincipalKind, arn: String) -> Self {
        let account = super::arn::Arn::parse(&arn)
            .map(|a| a.account.to_owned())
            .filter(|a| !a.is_empty());
        RequestPrincipal {
            kind,
            arn,
            account,
            org_id: None,
        }
    }

    /// Whether this is an IAM identity of an account (root, user, role session).
    pub fn is_aws_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::Root | PrincipalKind::User | PrincipalKind::Role { .. }
        )
    }

    /// The session ARN of a role session whose name is known.
    pub fn session_arn(&self) -> Option<String> {
        let PrincipalKind::Role {
            session_name: Some(session),
        } = &self.kind
        else {
            return None;
        };
        let role = super::arn::RoleArn::parse(&self.arn)?;
        Some(format!(
            "arn:{}:sts::{}:assumed-role/{}/{session}",
            role.partition, role.account, role.name
        ))
    }

    /// The value of a principal condition key, when the principal determines it
    /// (IAM User Guide, "AWS global condition context keys": anonymous requests carry
    /// no principal keys; `aws:PrincipalServiceName` is there only for services).
    fn key_value(&self, key: &str) -> Option<ContextValue> {
        let aws = self.is_aws_identity();
        let anonymous = self.kind == PrincipalKind::Anonymous;
        let absent_if = |yes: bool| yes.then_some(ContextValue::Absent);
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is(keys::PRINCIPAL_ARN) {
            if aws {
                return Some(ContextValue::known(&self.arn));
            }
            return absent_if(anonymous);
        }
        if is(keys::PRINCIPAL_ACCOUNT) {
            if let (true, Some(account)) = (aws, &self.account) {
                return Some(ContextValue::known(account));
            }
            return absent_if(anonymous);
        }
        if is(keys::PRINCIPAL_ORG_ID) {
            if let Some(org) = &self.org_id {
                return Some(ContextValue::known(org));
            }
            return absent_if(anonymous);
        }
        if is(keys::PRINCIPAL_TYPE) {
            let kind = match self.kind {
                PrincipalKind::Root => "Account",
                PrincipalKind::User => "User",
                PrincipalKind::Role { .. } => "AssumedRole",
                PrincipalKind::Anonymous => "Anonymous",
                PrincipalKind::Service | PrincipalKind::Federated => return None,
            };
            return Some(ContextValue::known(kind));
        }
        if is(keys::PRINCIPAL_SERVICE_NAME) {
            if self.kind == PrincipalKind::Service {
                return Some(ContextValue::known(&self.arn));
            }
            return absent_if(aws || anonymous);
        }
        None
    }
}

/// A request: `principal` wants to do `action` (`s3:PutObject`) on `resource` (an ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub principal: RequestPrincipal,
    pub action: String,
    pub resource: String,
    pub context: Context,
}

impl Request {
    /// A request with an empty [`Context::new`] context (every other key unknown).
    pub fn new(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Request {
            principal,
            action: action.into(),
            resource: resource.into(),
            context: Context::new(),
        }
    }

    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The value of a condition key: as set in the context, else as the principal
    /// determines it, else the context's default.
    pub fn value(&self, key: &str) -> ContextValue {
        if let Some(value) = self.context.explicit(key) {
            return value.clone();
        }
        self.principal
            .key_value(key)
            .unwrap_or_else(|| self.context.get(key).clone())
    }
}
