//! The ARN shapes principals come in (IAM User Guide, "IAM identifiers").

use crate::is_account_id;

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, split at its first five colons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub(crate) fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// An IAM role ARN, `arn:P:iam::ACCOUNT:role/PATH/NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoleArn<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub name: &'a str,
}

impl<'a> RoleArn<'a> {
    pub(crate) fn parse(s: &'a str) -> Option<Self> {
        let arn = Arn::parse(s)?;
        let path_and_name = arn.resource.strip_prefix("role/")?;
        let name = path_and_name.rsplit('/').next()?;
        (arn.service == "iam" && !name.is_empty()).then_some(RoleArn {
            partition: arn.partition,
            account: arn.account,
            name,
        })
    }
}

/// An assumed-role session ARN, `arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionArn<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub role_name: &'a str,
    pub session: &'a str,
}

impl<'a> SessionArn<'a> {
    pub(crate) fn parse(s: &'a str) -> Option<Self> {
        let arn = Arn::parse(s)?;
        let rest = arn.resource.strip_prefix("assumed-role/")?;
        let (role_name, session) = rest.split_once('/')?;
        (arn.service == "sts").then_some(SessionArn {
            partition: arn.partition,
            account: arn.account,
            role_name,
            session,
        })
    }

    /// Whether this names a session of `role`.
    pub(crate) fn of_role(&self, role: &RoleArn<'_>) -> bool {
        self.partition == role.partition
            && self.account == role.account
            && self.role_name == role.name
    }
}

/// The account an `AWS` principal value names as a whole: a bare account ID or
/// `arn:P:iam::ACCOUNT:root`.
pub(crate) fn account_principal(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let arn = Arn::parse(value)?;
    (arn.service == "iam" && arn.resource == "root" && is_account_id(arn.account))
        .then_some(arn.account)
}

/// An IAM unique ID (`AROA…` of a role, `AIDA…` of a user, …): AWS shows one in place of
/// the ARN of a principal deleted since (IAM User Guide, "AWS JSON policy elements:
/// Principal"), so it names no principal that exists.
pub(crate) fn is_unique_id(value: &str) -> bool {
    const PREFIXES: [&str; 4] = ["AROA", "AIDA", "AGPA", "ANPA"];
    PREFIXES.iter().any(|p| value.starts_with(p))
        && value.len() >= 16
        && value.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let role = RoleArn::parse("arn:aws:iam::111122223333:role/path/to/Vendor").unwrap();
        assert_eq!((role.account, role.name), ("111122223333", "Vendor"));
        let session =
            SessionArn::parse("arn:aws:sts::111122223333:assumed-role/Vendor/s1").unwrap();
        assert!(session.of_role(&role));
        assert_eq!(session.session, "s1");
        assert!(RoleArn::parse("arn:aws:iam::111122223333:user/u").is_none());
        assert_eq!(account_principal("111122223333"), Some("111122223333"));
        assert_eq!(
            account_principal("arn:aws:iam::111122223333:root"),
            Some("111122223333")
        );
        assert_eq!(
            account_principal("arn:aws:iam::111122223333:user/root"),
            None
        );
        assert!(is_unique_id("AROA3XFRBF535EXAMPLE1"));
        assert!(!is_unique_id("arn:aws:iam::1:role/AROA"));
    }
}
