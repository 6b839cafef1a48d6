//! Raw spec -> checked [`Spec`]: every semantic rule, every problem collected, none fatal.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, SourceText, Span};
use s3dest_vendors::{
    Description, ExternalId, Folder, Identity, PrincipalKinds, ScopeRule, Trust, TrustVariant,
};

use crate::model::{
    AssumeRole, Auth, BucketSpec, Destination, Principal, Scope, Spec, SpecFile, Vendor,
    data_folder, effective_role_name,
};
use crate::names::{
    MAX_DESTINATION_NAME, MAX_TAGS, OWN_TAGS, PrincipalForm, ROLE_NAME_PREFIX, check_bucket_name,
    check_destination_name, check_external_id, check_role_name, check_spec_file_path,
    check_spec_name, check_tag_key, check_tag_value, is_valid_action, is_valid_region,
    normalize_folder, principal_form, reserved_tag_prefix, role_arn_account,
};
use crate::raw::{
    Entries, Maybe, Paths, RawAssumeRole, RawBucket, RawDestination, RawSpec, first_node_offset,
    span_of,
};
use crate::recover::{Owner, Unreadable};
use crate::suggest::did_you_mean;

const EXTERNAL_ID_HELP: &str =
    "an external ID has 2-1224 characters: letters, digits and `_ + = , . @ : / -`";

/// Checks `raw`; the spec is `Some` only when no error was found, and the advice only
/// then. What `unreadable` names is not reported missing.
pub(crate) fn validate(
    raw: RawSpec,
    text: &str,
    source: &SourceText<'_>,
    unreadable: &Unreadable,
) -> (Option<Spec>, Vec<Diagnostic>, Vec<Diagnostic>) {
    let mut checker = Checker {
        source,
        diags: Vec::new(),
        unreadable,
    };
    let name_span = raw.name.as_ref().map(|n| checker.span(n));
    let spec = checker.spec(raw, text);
    let spec = if checker.error_count() == 0 {
        spec
    } else {
        None
    };
    let advice = match (&spec, name_span) {
        (Some(spec), Some(span)) if spec.account.is_none() => vec![unpinned(spec, span)],
        _ => Vec::new(),
    };
    (spec, checker.diags, advice)
}

/// The advice for a spec without `account:`, at its name.
fn unpinned(spec: &Spec, name: Span) -> Diagnostic {
    let why = match &spec.assume_role {
        Some(role) => format!(
            "spec `{}` is not pinned to an account: nothing stops the role `{}` from being in \
             another account than the one this spec is for",
            spec.name, role.arn
        ),
        None => format!(
            "spec `{}` is not pinned to an account: `plan` and `apply` work in whatever \
             account the credentials are of",
            spec.name
        ),
    };
    Diagnostic::warning(name, why).with_help(
        "add `account: \"123456789012\"` (the account this spec is for, quoted): every \
         command then refuses credentials of another account before reading anything",
    )
}

struct Checker<'s, 't> {
    source: &'s SourceText<'t>,
    diags: Vec<Diagnostic>,
    /// Fields written but unreadable, reported already: not reported missing too.
    unreadable: &'s Unreadable,
}

/// What the cross-destination checks need to know of one destination, even a broken one.
struct Facts {
    name: String,
    vendor: Option<(Vendor, Span)>,
    /// The bucket and the span of its name in the destination.
    bucket: Option<(String, Span)>,
    /// The folder the vendor writes under (see [`data_folder`]), its span (the
    /// destination's key when defaulted), and what to say when it was defaulted.
    folder: Option<(String, Span, Option<String>)>,
    /// Effective role name, the span to blame for it, and where the name comes from.
    role: Option<(String, Span, RoleSource)>,
}

/// Where a destination's effective role name comes from, to say what to change on a clash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleSource {
    /// The destination's own `role_name`.
    Explicit,
    /// The default `s3dest-<destination>`.
    Default,
    /// A name the vendor requires, which `role_name` cannot change.
    Fixed(Vendor),
    /// A role of the customer's that s3dest only adds a policy to: several destinations
    /// may share it.
    Existing,
}

impl Checker<'_, '_> {
    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn push(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    /// Reports `owner`'s `field` missing, unless it is written but unreadable.
    fn missing(&mut self, owner: Owner, field: &str, diag: Diagnostic) {
        if !self.unreadable.has(&owner, field) {
            self.push(diag);
        }
    }

    /// Reports a destination's `field` missing, unless it is written but unreadable.
    fn missing_in(&mut self, destination: &str, field: &str, diag: Diagnostic) {
        self.missing(Owner::Destination(destination.to_owned()), field, diag);
    }

    /// Reports a destination empty, unless what it has is unreadable.
    fn empty(&mut self, destination: &str, diag: Diagnostic) {
        if !self
            .unreadable
            .any(&Owner::Destination(destination.to_owned()))
        {
            self.push(diag);
        }
    }

    fn span<T>(&self, spanned: &Spanned<T>) -> Span {
        span_of(spanned.referenced, self.source)
    }

    /// True when the value at `span` was written in quotes.
    fn is_quoted(&self, span: Span) -> bool {
        self.source.slice(span).starts_with(['"', '\''])
    }

    fn spec(&mut self, raw: RawSpec, text: &str) -> Option<Spec> {
        // Missing top-level fields point at the first key of the document.
        let start = first_node_offset(text);
        let first_key_len = text[start..]
            .find([':', '\n'])
            .unwrap_or(text.len() - start);
        let doc = self.source.span(start, first_key_len);

        match &raw.version {
            None => self.missing(
                Owner::TopLevel,
                "version",
                Diagnostic::error(doc, "missing field `version`")
                    .with_help("a spec starts with `version: 1`"),
            ),
            Some(version) => {
                let span = self.span(version);
                if self.is_quoted(span) {
                    self.push(
                        Diagnostic::error(span, "`version` must be the integer 1, not a string")
                            .with_help("write `version: 1` without quotes"),
                    );
                } else if version.value != "1" {
                    self.push(
                        Diagnostic::error(
                            span,
                            format!("unsupported spec version `{}`", version.value),
                        )
                        .with_help("this s3dest reads specs of `version: 1`"),
                    );
                }
            }
        }

        let name = match &raw.name {
            None => {
                self.missing(
                    Owner::TopLevel,
                    "name",
                    Diagnostic::error(doc, "missing field `name`").with_help(
                        "`name` identifies the spec: s3dest tags everything it owns with \
                         `s3dest:spec: <name>`",
                    ),
                );
                None
            }
            Some(name) => {
                if let Err(reason) = check_spec_name(&name.value) {
                    self.push(
                        Diagnostic::error(
                            self.span(name),
                            format!("invalid spec name `{}`: {reason}", name.value),
                        )
                        .with_help(
                            "a spec name has 1-64 characters: letters, digits, `.`, `_` and `-`, \
                             starting with a letter or digit",
                        ),
                    );
                }
                Some(name.value.clone())
            }
        };

        let region = raw.region.as_ref().map(|r| self.region(r));
        let account = raw.account.as_ref().and_then(|a| self.account(a));
        let assume_role = self.assume_role(&raw, account.as_deref());
        let moved_from = raw
            .moved_from
            .as_ref()
            .map(|paths| self.moved_from(paths))
            .unwrap_or_default();

        let buckets = match raw.buckets {
            Maybe::Missing => {
                self.missing(
                    Owner::TopLevel,
                    "buckets",
                    Diagnostic::error(doc, "missing field `buckets`").with_help(
                        "declare the buckets the destinations write into, or write `buckets: {}`",
                    ),
                );
                Entries(Vec::new())
            }
            Maybe::Null => Entries(Vec::new()),
            Maybe::Value(entries) => entries,
        };
        let mut declared: Vec<String> = buckets.0.iter().map(|(k, _)| k.value.clone()).collect();
        declared.extend(self.unreadable.buckets().map(str::to_owned));
        let buckets = self.buckets(buckets);

        let destinations = match raw.destinations {
            Maybe::Missing => {
                self.missing(
                    Owner::TopLevel,
                    "destinations",
                    Diagnostic::error(doc, "missing field `destinations`")
                        .with_help("declare the export destinations, or write `destinations: {}`"),
                );
                Entries(Vec::new())
            }
            Maybe::Null => Entries(Vec::new()),
            Maybe::Value(entries) => entries,
        };
        let mut facts = Vec::new();
        let mut checked = BTreeMap::new();
        for (key, value) in destinations.0 {
            let (destination, fact) = self.destination(&key, value, &declared);
            facts.push(fact);
            if let Some(destination) = destination {
                checked.insert(destination.name.clone(), destination);
            }
        }
        let spec_region = region.clone().flatten();
        self.across_destinations(&facts, &buckets, spec_region.as_deref());

        Some(Spec {
            name: name?,
            account,
            assume_role,
            moved_from,
            file: None,
            region: region.flatten(),
            buckets,
            destinations: checked,
        })
    }

    fn account(&mut self, account: &Spanned<String>) -> Option<String> {
        let id = &account.value;
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            return Some(id.clone());
        }
        self.push(
            Diagnostic::error(self.span(account), format!("invalid account `{id}`"))
                .with_help("an AWS account ID: 12 digits, quoted (`account: \"123456789012\"`)"),
        );
        None
    }

    /// `assume_role:` with its external ID, written in the mapping or next to it; its
    /// account must be the pinned one.
    fn assume_role(&mut self, raw: &RawSpec, pinned: Option<&str>) -> Option<AssumeRole> {
        let Some(written) = &raw.assume_role else {
            if let Some(external_id) = &raw.external_id {
                self.push(
                    Diagnostic::error(
                        self.span(external_id),
                        "a top-level `external_id` goes with `assume_role`, which is missing",
                    )
                    .with_help(
                        "a destination's external ID goes under the destination; at the top \
                         level it is the one s3dest assumes `assume_role` with",
                    ),
                );
            }
            return None;
        };
        let span = self.span(written);
        let (arn, arn_span, inner_id) = match &written.value {
            RawAssumeRole::Arn(arn) => (arn.clone(), span, None),
            RawAssumeRole::Mapping(mapping) => match &mapping.arn {
                Some(arn) => (
                    arn.value.clone(),
                    self.span(arn),
                    mapping.external_id.as_ref(),
                ),
                None => {
                    self.missing(
                        Owner::AssumeRole,
                        "arn",
                        Diagnostic::error(span, "`assume_role` has no `arn`")
                            .with_help("write `arn: arn:aws:iam::ACCOUNT:role/NAME`"),
                    );
                    return None;
                }
            },
        };
        let external_id = match (inner_id, &raw.external_id) {
            (Some(inner), Some(outer)) => {
                self.push(
                    Diagnostic::error(self.span(outer), "`external_id` is given twice")
                        .with_label("here, and also inside `assume_role`")
                        .with_help("keep one of them"),
                );
                Some(inner)
            }
            (inner, outer) => inner.or(outer.as_ref()),
        };
        let external_id = external_id.and_then(|e| self.checked_external_id(e));
        let account = match role_arn_account(&arn) {
            Ok(account) => account,
            Err(reason) => {
                self.push(
                    Diagnostic::error(arn_span, format!("invalid role ARN `{arn}`: {reason}"))
                        .with_help(
                            "`assume_role` is an IAM role's ARN: `arn:aws:iam::ACCOUNT:role/NAME`",
                        ),
                );
                return None;
            }
        };
        if let Some(pinned) = pinned.filter(|p| *p != account) {
            self.push(
                Diagnostic::error(
                    arn_span,
                    format!("`assume_role` is a role of account {account}, and the spec is pinned to account {pinned}"),
                )
                .with_help("the role must be in the account of `account:`: one of them is wrong"),
            );
            return None;
        }
        Some(AssumeRole {
            arn,
            account,
            external_id,
        })
    }

    /// The earlier files of the spec: paths as s3dest records them (or a recorded digest).
    fn moved_from(&mut self, paths: &Spanned<Paths>) -> Vec<SpecFile> {
        let listed: Vec<(&str, Span)> = match &paths.value {
            Paths::One(path) => vec![(path.as_str(), self.span(paths))],
            Paths::Many(many) => many
                .iter()
                .map(|p| (p.value.as_str(), self.span(p)))
                .collect(),
        };
        let mut files = Vec::new();
        for (path, span) in listed {
            match check_spec_file_path(path) {
                Ok(()) => files.push(SpecFile::from_path(path)),
                Err(reason) => self.push(
                    Diagnostic::error(
                        span,
                        format!("invalid `moved_from` path `{path}`: {reason}"),
                    )
                    .with_help(
                        "the spec file's earlier path as s3dest recorded it (the error that \
                             names it shows it): relative to the root of its git work tree, such \
                             as `team-a/s3dest.yaml`, or absolute when it was in none",
                    ),
                ),
            }
        }
        files
    }

    /// An external ID as written, when it is a valid one.
    fn checked_external_id(&mut self, id: &Spanned<String>) -> Option<String> {
        match check_external_id(&id.value) {
            Ok(()) => Some(id.value.clone()),
            Err(reason) => {
                self.push(
                    Diagnostic::error(
                        self.span(id),
                        format!("invalid external ID `{}`: {reason}", id.value),
                    )
                    .with_help(EXTERNAL_ID_HELP),
                );
                None
            }
        }
    }

    fn region(&mut self, region: &Spanned<String>) -> Option<String> {
        if is_valid_region(&region.value) {
            return Some(region.value.clone());
        }
        self.push(
            Diagnostic::error(
                self.span(region),
                format!("invalid region `{}`", region.value),
            )
            .with_help("an AWS region code, such as `us-east-1` or `eu-west-1`"),
        );
        None
    }

    fn buckets(&mut self, raw: Entries<Option<RawBucket>>) -> BTreeMap<String, BucketSpec> {
        let mut buckets = BTreeMap::new();
        for (key, value) in raw.0 {
            let span = self.span(&key);
            if let Err(reason) = check_bucket_name(&key.value) {
                self.push(
                    Diagnostic::error(
                        span,
                        format!("invalid bucket name `{}`: {reason}", key.value),
                    )
                    .with_help(
                        "bucket names have 3-63 characters: lowercase letters, digits, `.` \
                             and `-`, starting and ending with a letter or digit",
                    ),
                );
            }
            let value = value.unwrap_or(RawBucket {
                create: None,
                region: None,
            });
            let region = value.region.as_ref().and_then(|r| self.region(r));
            buckets.insert(
                key.value.clone(),
                BucketSpec {
                    name: key.value,
                    create: value.create.unwrap_or(false),
                    region,
                    span,
                },
            );
        }
        buckets
    }

    fn destination(
        &mut self,
        key: &Spanned<String>,
        raw: Option<RawDestination>,
        declared_buckets: &[String],
    ) -> (Option<Destination>, Facts) {
        let errors_before = self.error_count();
        let name = key.value.clone();
        let key_span = self.span(key);
        let mut facts = Facts {
            name: name.clone(),
            vendor: None,
            bucket: None,
            folder: None,
            role: None,
        };

        if let Err(reason) = check_destination_name(&name) {
            self.push(
                Diagnostic::error(
                    key_span,
                    format!("invalid destination name `{name}`: {reason}"),
                )
                .with_help(format!(
                    "a destination name is at most {MAX_DESTINATION_NAME} characters of \
                         lowercase letters, digits, `-` and `_`, starting with a letter or digit: \
                         its role is named `{ROLE_NAME_PREFIX}<destination>` and IAM role names \
                         have at most 64 characters; the name also appears in tags, secret names \
                         and plan addresses"
                )),
            );
        }

        let Some(raw) = raw else {
            self.empty(
                &name,
                Diagnostic::error(key_span, format!("destination `{name}` is empty")).with_help(
                    "a destination needs at least `vendor`, `bucket` and (for most vendors) \
                     `folder`",
                ),
            );
            return (None, facts);
        };

        // vendor
        let vendor = match &raw.vendor {
            None => {
                self.missing_in(
                    &name,
                    "vendor",
                    Diagnostic::error(key_span, format!("destination `{name}` has no `vendor`"))
                        .with_help(format!("set `vendor:` to one of: {}", vendor_list())),
                );
                None
            }
            Some(v) => {
                let span = self.span(v);
                match Vendor::parse(&v.value) {
                    Some(vendor) => {
                        facts.vendor = Some((vendor, span));
                        Some(vendor)
                    }
                    None => {
                        let help = match did_you_mean(&v.value, Vendor::all().map(Vendor::as_str)) {
                            Some(s) => format!("did you mean `{s}`? vendors: {}", vendor_list()),
                            None => format!("vendors: {}", vendor_list()),
                        };
                        self.push(
                            Diagnostic::error(span, format!("unknown vendor `{}`", v.value))
                                .with_label("unknown vendor")
                                .with_help(help),
                        );
                        None
                    }
                }
            }
        };

        // auth; `None` when unknown, to skip the checks that depend on it.
        let auth = match &raw.auth {
            None => Some(Auth::Role),
            Some(a) => {
                let auth = Auth::parse(&a.value);
                if auth.is_none() {
                    let hint = did_you_mean(&a.value, ["role", "access-key"])
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.push(
                        Diagnostic::error(self.span(a), format!("unknown auth `{}`", a.value))
                            .with_help(format!(
                                "{hint}`auth` is `role` (the vendor assumes an IAM role; the \
                                 default) or `access-key` (an IAM user with an access key)"
                            )),
                    );
                }
                if let (Some(Auth::AccessKey), Some(vendor)) = (auth, vendor)
                    && !vendor.offers_access_key()
                {
                    self.push(
                        Diagnostic::error(
                            self.span(a),
                            format!("{vendor} does not offer `auth: access-key`"),
                        )
                        .with_help(format!(
                            "the guide for {} documents {}: remove `auth`",
                            vendor.description().title,
                            method_phrase(vendor.description())
                        )),
                    );
                }
                auth
            }
        };

        // scope
        let scope = raw.scope.as_ref().and_then(|x| {
            let scope = Scope::parse(&x.value);
            if scope.is_none() {
                self.push(
                    Diagnostic::error(self.span(x), format!("unknown scope `{}`", x.value)).with_help(
                        "`scope` is `bucket` (object grants on every object of the bucket, as the \
                         vendors' guides write them) or `folder` (only under the destination's folder)",
                    ),
                );
            }
            if let (Some(_), Some(vendor)) = (scope, vendor)
                && let ScopeRule::Fixed { reason, .. } = vendor.description().scope
            {
                self.push(
                    Diagnostic::error(self.span(x), format!("{vendor} destinations take no `scope`"))
                        .with_help(format!("{reason}: remove `scope`")),
                );
            }
            scope
        });
        let trust = self.trust_variant(vendor, auth, raw.trust.as_ref());

        // bucket
        let bucket = match &raw.bucket {
            None => {
                let help = if declared_buckets.is_empty() {
                    "declare the bucket under `buckets:` and name it here".to_owned()
                } else {
                    format!("declared buckets: {}", quoted_list(declared_buckets))
                };
                self.missing_in(
                    &name,
                    "bucket",
                    Diagnostic::error(key_span, format!("destination `{name}` has no `bucket`"))
                        .with_help(help),
                );
                None
            }
            Some(b) => {
                let buckets_unreadable = self.unreadable.has(&Owner::TopLevel, "buckets");
                if !declared_buckets.contains(&b.value) && !buckets_unreadable {
                    let help = if declared_buckets.is_empty() {
                        "no buckets are declared: add it under `buckets:` (with `create: true` if \
                         s3dest should create it)"
                            .to_owned()
                    } else {
                        let hint =
                            did_you_mean(&b.value, declared_buckets.iter().map(String::as_str))
                                .map(|s| format!("did you mean `{s}`? "))
                                .unwrap_or_default();
                        format!(
                            "{hint}declared buckets: {}; a destination's bucket must be declared \
                             under `buckets:`",
                            quoted_list(declared_buckets)
                        )
                    };
                    self.push(
                        Diagnostic::error(self.span(b), format!("unknown bucket `{}`", b.value))
                            .with_label("not declared under `buckets`")
                            .with_help(help),
                    );
                }
                facts.bucket = Some((b.value.clone(), self.span(b)));
                Some(b.value.clone())
            }
        };

        // folder
        let folder = self.folder(&name, key_span, vendor, raw.folder.as_ref());
        if let (Some(vendor), Ok(folder)) = (vendor, &folder)
            && let Some(data) = data_folder(vendor, folder.as_deref())
        {
            let (span, defaulted) = match (&raw.folder, &vendor.description().folder) {
                (Some(f), _) => (self.span(f), None),
                (None, Folder::Default(f)) => (
                    key_span,
                    Some(format!("{vendor} writes to `{f}` by default")),
                ),
                (None, _) => (
                    key_span,
                    Some(format!("{vendor} writes to `{data}` without a `folder`")),
                ),
            };
            facts.folder = Some((data, span, defaulted));
        }
        let folder = folder.ok();

        let principal = self.principal(&name, key_span, vendor, auth, raw.principal.as_ref());
        let external_id = self.external_id(&name, key_span, vendor, auth, raw.external_id.as_ref());
        let actions = self.actions(&name, key_span, vendor, raw.actions.as_ref());

        // role_name
        let role_name = match &raw.role_name {
            None => None,
            Some(r) => {
                let span = self.span(r);
                if auth == Some(Auth::AccessKey) {
                    self.push(
                        Diagnostic::error(
                            span,
                            "`role_name` cannot be used with `auth: access-key`",
                        )
                        .with_help(
                            "an access-key destination gets an IAM user, not a role: remove \
                                 `role_name` or use `auth: role`",
                        ),
                    );
                } else if let Some((vendor, fixed)) =
                    vendor.and_then(|v| v.fixed_role().map(|f| (v, f)))
                {
                    self.push(
                        Diagnostic::error(
                            span,
                            format!("{vendor} destinations take no `role_name`"),
                        )
                        .with_help(format!(
                            "{}: the role is always `{}`; remove `role_name`",
                            fixed.reason, fixed.name
                        )),
                    );
                } else if let Some(vendor) =
                    vendor.filter(|v| matches!(v.description().identity, Identity::None))
                {
                    self.push(
                        Diagnostic::error(
                            span,
                            format!("{vendor} destinations take no `role_name`"),
                        )
                        .with_help(format!(
                            "{vendor} needs no role ({}): remove `role_name`",
                            method_phrase(vendor.description())
                        )),
                    );
                } else if let Err(reason) = check_role_name(&r.value) {
                    self.push(
                        Diagnostic::error(
                            span,
                            format!("invalid role name `{}`: {reason}", r.value),
                        )
                        .with_help(
                            "an IAM role name has 1-64 characters: letters, digits and \
                                 `_ + = , . @ -`",
                        ),
                    );
                }
                Some((r.value.clone(), span))
            }
        };
        if let (Some(vendor), Some(auth)) = (vendor, auth) {
            let explicit = role_name.as_ref().map(|(r, _)| r.as_str());
            if let Some(role) = effective_role_name(&name, vendor, auth, explicit) {
                let existing =
                    matches!(vendor.description().identity, Identity::ExistingRole { .. });
                let (span, source) = match (&role_name, vendor.fixed_role()) {
                    (_, Some(_)) => (key_span, RoleSource::Fixed(vendor)),
                    _ if existing => (key_span, RoleSource::Existing),
                    (Some((_, span)), _) => (*span, RoleSource::Explicit),
                    (None, _) => (key_span, RoleSource::Default),
                };
                facts.role = Some((role, span, source));
            }
        }

        let key_max_age_days = self.key_days(
            raw.key_max_age_days.as_ref(),
            "key_max_age_days",
            "the number of days after which s3dest rotates the access key",
            auth,
        );
        let key_grace_days = self.key_days(
            raw.key_grace_days.as_ref(),
            "key_grace_days",
            "during a rotation, the days after which the old key is deactivated even if \
             the vendor has not used the new key yet",
            auth,
        );

        let tags = self.tags(raw.tags.as_ref());

        let destination =
            if self.error_count() > errors_before {
                None
            } else {
                // All `None`s below were reported as errors, so these are present.
                vendor.zip(auth).zip(bucket).zip(folder).map(
                    |(((vendor, auth), bucket), folder)| Destination {
                        name: name.clone(),
                        vendor,
                        auth,
                        bucket,
                        folder,
                        principal,
                        external_id,
                        trust,
                        actions,
                        role_name: role_name.map(|(r, _)| r),
                        tags,
                        adopt: raw.adopt.unwrap_or(false),
                        scope,
                        key_max_age_days,
                        key_grace_days,
                        span: key_span,
                    },
                )
            };
        (destination, facts)
    }

    /// A day count that only access-key destinations take (1..=3650).
    fn key_days(
        &mut self,
        raw: Option<&Spanned<u32>>,
        field: &str,
        meaning: &str,
        auth: Option<Auth>,
    ) -> Option<u32> {
        let k = raw?;
        let span = self.span(k);
        if auth == Some(Auth::Role) {
            self.push(
                Diagnostic::error(span, format!("`{field}` needs `auth: access-key`"))
                    .with_help(format!("{meaning}; a role has no key")),
            );
        } else if !(1..=3650).contains(&k.value) {
            self.push(
                Diagnostic::error(
                    span,
                    format!("`{field}` must be from 1 to 3650, not `{}`", k.value),
                )
                .with_help(meaning.to_owned()),
            );
        }
        Some(k.value)
    }

    fn principal(
        &mut self,
        name: &str,
        key_span: Span,
        vendor: Option<Vendor>,
        auth: Option<Auth>,
        given: Option<&Spanned<String>>,
    ) -> Option<Principal> {
        // An unknown auth was reported; what depends on it is not checked.
        let auth = auth?;
        if auth == Auth::AccessKey {
            if let Some(p) = given {
                self.push(
                    Diagnostic::warning(
                        self.span(p),
                        "`principal` is not used with `auth: access-key`",
                    )
                    .with_help(
                        "with an access key the vendor signs in as an IAM user that s3dest \
                             creates: remove `principal`, or use `auth: role`",
                    ),
                );
            }
            return None;
        }
        // An unknown vendor was reported: the principal's form is still checked.
        let (accepts, help) = match vendor.map(|v| (v, &v.description().trust)) {
            None => (ANY_PRINCIPAL, ANY_PRINCIPAL_HELP),
            Some((_, Trust::Customer { accepts, help, .. })) => (*accepts, *help),
            Some((vendor, _)) => {
                if let Some(p) = given {
                    self.push(
                        Diagnostic::error(
                            self.span(p),
                            format!("{vendor} destinations take no `principal`"),
                        )
                        .with_help(format!(
                            "{}: remove `principal`",
                            fixed_principal_reason(vendor)
                        )),
                    );
                }
                return None;
            }
        };
        let Some(p) = given else {
            if vendor.is_some() {
                self.missing_in(
                    name,
                    "principal",
                    Diagnostic::error(key_span, format!("destination `{name}` has no `principal`"))
                        .with_help(help),
                );
            }
            return None;
        };

        let span = self.span(p);
        let value = p.value.as_str();
        let form = match principal_form(value) {
            Ok(form) => form,
            Err(reason) => {
                let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
                let (message, help) = if digits {
                    let mut help = "an AWS account ID has exactly 12 digits".to_owned();
                    if !self.is_quoted(span) && value.len() < 12 {
                        help.push_str(
                            "; if it starts with 0, the zeros were lost where this number was \
                             written without quotes: write all 12 digits in quotes, such as \
                             `principal: \"012345678901\"`",
                        );
                    }
                    (format!("invalid account ID `{value}`: {reason}"), help)
                } else {
                    (
                        format!("invalid principal `{value}`: {reason}"),
                        help.to_owned(),
                    )
                };
                self.push(Diagnostic::error(span, message).with_help(help));
                return None;
            }
        };

        let vendor_name = vendor.map_or("this vendor", Vendor::as_str);
        let trusted = match vendor.map(|v| &v.description().trust) {
            Some(Trust::Customer { who, .. }) => who,
            _ => "the vendor's AWS account",
        };
        match form {
            PrincipalForm::Account(_) | PrincipalForm::Root { .. } if !accepts.account => {
                self.push(
                    Diagnostic::error(
                        span,
                        format!("{vendor_name} needs an IAM user or role ARN, not `{value}`"),
                    )
                    .with_help(help),
                );
                None
            }
            PrincipalForm::UserOrRole if !accepts.user_or_role => {
                self.push(
                    Diagnostic::error(
                        span,
                        format!("{vendor_name} trusts {trusted}, not the ARN `{value}`"),
                    )
                    .with_help(help),
                );
                None
            }
            PrincipalForm::Account(account) => {
                if !self.is_quoted(span) && account.starts_with('0') {
                    self.push(
                        Diagnostic::warning(
                            span,
                            format!("account ID `{account}` is written as a YAML number"),
                        )
                        .with_help(format!(
                            "s3dest keeps the digits as written, but other YAML tools read a \
                             number and drop the leading zeros: write `principal: \"{account}\"`"
                        )),
                    );
                }
                Some(Principal::Account(account))
            }
            PrincipalForm::Root { partition, account } if partition == "aws" => {
                Some(Principal::Account(account))
            }
            PrincipalForm::Root { .. } | PrincipalForm::UserOrRole => {
                Some(Principal::Arn(value.to_owned()))
            }
        }
    }

    fn external_id(
        &mut self,
        name: &str,
        key_span: Span,
        vendor: Option<Vendor>,
        auth: Option<Auth>,
        given: Option<&Spanned<String>>,
    ) -> Option<String> {
        // An unknown auth was reported; what depends on it is not checked.
        let auth = auth?;
        if auth == Auth::AccessKey {
            if let Some(e) = given {
                self.push(
                    Diagnostic::warning(
                        self.span(e),
                        "`external_id` is not used with `auth: access-key`",
                    )
                    .with_help(
                        "an external ID is a condition on assuming a role: remove `external_id`, \
                         or use `auth: role`",
                    ),
                );
            }
            return None;
        }
        let rule = vendor.map(|v| (v, &v.description().external_id));
        match (rule, given) {
            (
                Some((
                    vendor,
                    ExternalId::Impossible { reason, .. } | ExternalId::NotUsed { reason },
                )),
                Some(e),
            ) => {
                self.push(
                    Diagnostic::error(
                        self.span(e),
                        format!("{vendor} destinations take no `external_id`"),
                    )
                    .with_help(format!("{reason}: remove `external_id`")),
                );
                None
            }
            (Some((_, ExternalId::Impossible { .. } | ExternalId::NotUsed { .. })), None) => None,
            (Some((_, ExternalId::Optional { .. })), None) => {
                self.push(
                    Diagnostic::warning(
                        key_span,
                        format!("destination `{name}` has no `external_id`"),
                    )
                    .with_help(
                        "without an external ID, anyone who can get the vendor's account to \
                         assume a role by its ARN can have it write into this bucket (the \
                         confused-deputy problem): set the external ID the vendor gives you",
                    ),
                );
                None
            }
            (Some((_, ExternalId::Required { help })), None) => {
                self.missing_in(
                    name,
                    "external_id",
                    Diagnostic::error(
                        key_span,
                        format!("destination `{name}` has no `external_id`"),
                    )
                    .with_help(*help),
                );
                None
            }
            (None, None) => None,
            (_, Some(e)) => self.checked_external_id(e),
        }
    }

    fn actions(
        &mut self,
        name: &str,
        key_span: Span,
        vendor: Option<Vendor>,
        given: Option<&Spanned<Vec<Spanned<String>>>>,
    ) -> Vec<String> {
        let from_spec = vendor.map(|v| v.description().grants.from_spec);
        match (from_spec, given) {
            (Some(true), None) => {
                self.missing_in(
                    name,
                    "actions",
                    Diagnostic::error(key_span, format!("destination `{name}` has no `actions`"))
                        .with_help(
                            "a custom destination lists the S3 actions the vendor needs, such as \
                             `actions: [s3:PutObject]`",
                        ),
                );
                Vec::new()
            }
            (Some(false), Some(list)) => {
                let vendor = vendor.map_or("this", Vendor::as_str);
                self.push(
                    Diagnostic::error(self.span(list), "`actions` is only for `vendor: custom`")
                        .with_help(format!(
                            "the {vendor} preset grants what the vendor's guide asks for: remove \
                             `actions`, or use `vendor: custom` to choose them"
                        )),
                );
                Vec::new()
            }
            (_, None) => Vec::new(),
            (_, Some(list)) => {
                if list.value.is_empty() {
                    self.push(
                        Diagnostic::error(self.span(list), "`actions` is empty").with_help(
                            "list the S3 actions the vendor needs, such as `[s3:PutObject]`",
                        ),
                    );
                }
                let mut actions: Vec<String> = Vec::new();
                for item in &list.value {
                    let span = self.span(item);
                    let action = &item.value;
                    if !is_valid_action(action) {
                        let fixed = format!("s3:{action}");
                        let help = if is_valid_action(&fixed) {
                            format!("did you mean `{fixed}`?")
                        } else {
                            "an S3 action, such as `s3:PutObject` or `s3:Get*`".to_owned()
                        };
                        self.push(
                            Diagnostic::error(span, format!("invalid action `{action}`"))
                                .with_help(help),
                        );
                    } else if actions.contains(action) {
                        self.push(
                            Diagnostic::warning(span, format!("action `{action}` is listed twice"))
                                .with_help("remove the repeated action"),
                        );
                    } else {
                        actions.push(action.clone());
                    }
                }
                actions
            }
        }
    }

    fn tags(
        &mut self,
        given: Option<&Spanned<Entries<Option<Spanned<String>>>>>,
    ) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let Some(given) = given else {
            return tags;
        };
        if given.value.0.len() > MAX_TAGS {
            self.push(
                Diagnostic::error(
                    self.span(given),
                    format!("too many tags: {}, at most {MAX_TAGS}", given.value.0.len()),
                )
                .with_help(format!(
                    "IAM allows 50 tags on a role or user, and s3dest sets seven of its own \
                     ({OWN_TAGS})"
                )),
            );
        }
        for (key, value) in &given.value.0 {
            let key_span = self.span(key);
            if let Some(prefix) = reserved_tag_prefix(&key.value) {
                self.push(
                    Diagnostic::error(key_span, format!("tag key `{}` is reserved", key.value))
                        .with_help(format!(
                            "keys starting with `{prefix}` are reserved: s3dest sets its \
                             `s3dest:` tags itself, and AWS reserves `aws:`"
                        )),
                );
            } else if let Err(reason) = check_tag_key(&key.value) {
                self.push(
                    Diagnostic::error(
                        key_span,
                        format!("invalid tag key `{}`: {reason}", key.value),
                    )
                    .with_help(TAG_HELP),
                );
            }
            let value = match value {
                None => String::new(),
                Some(v) => {
                    if let Err(reason) = check_tag_value(&v.value) {
                        self.push(
                            Diagnostic::error(
                                self.span(v),
                                format!("invalid tag value `{}`: {reason}", v.value),
                            )
                            .with_help(TAG_HELP),
                        );
                    }
                    v.value.clone()
                }
            };
            tags.insert(key.value.clone(), value);
        }
        tags
    }

    /// Rules across destinations, reported on the later destination, in file order.
    fn across_destinations(
        &mut self,
        facts: &[Facts],
        buckets: &BTreeMap<String, BucketSpec>,
        spec_region: Option<&str>,
    ) {
        let mut folders: HashMap<(&str, &str), &str> = HashMap::new();
        // The first destination of each vendor whose role name is fixed.
        let mut fixed: HashMap<Vendor, &str> = HashMap::new();
        let mut roles: HashMap<String, (&str, RoleSource)> = HashMap::new();
        // Each bucket's destinations so far, and whether its vendor is granted all of it.
        let mut on_bucket: HashMap<&str, Vec<(&str, Option<Vendor>)>> = HashMap::new();
        for fact in facts {
            if let (Some((vendor, _)), Some((bucket, span))) = (fact.vendor, &fact.bucket) {
                self.bucket_region(vendor, &buckets.get(bucket).cloned(), spec_region, *span);
            }
            if let Some((bucket, span)) = &fact.bucket {
                let vendor = fact.vendor.map(|(v, _)| v);
                let others = on_bucket.entry(bucket).or_default();
                self.whole_bucket_shared(bucket, *span, &fact.name, vendor, others);
                others.push((&fact.name, vendor));
            }
            if let (Some((bucket, _)), Some((folder, span, defaulted))) =
                (&fact.bucket, &fact.folder)
            {
                match folders.get(&(bucket.as_str(), folder.as_str())) {
                    Some(first) => {
                        let mut help = "each destination needs a folder of its own: vendors \
                                        overwrite, and some delete, what is in theirs"
                            .to_owned();
                        if defaulted.is_some() {
                            help.push_str(&format!("; set `folder` on `{}`", fact.name));
                        }
                        let mut diag = Diagnostic::error(
                            *span,
                            format!(
                                "folder `{folder}` of bucket `{bucket}` is already used by \
                                 destination `{first}`"
                            ),
                        )
                        .with_help(help);
                        if let Some(label) = defaulted {
                            diag = diag.with_label(label.clone());
                        }
                        self.push(diag);
                    }
                    None => {
                        folders.insert((bucket, folder), &fact.name);
                    }
                }
            }

            let fixed_role = fact
                .vendor
                .and_then(|(v, span)| v.fixed_role().map(|f| (v, f, span)));
            if let Some((vendor, role, span)) = fixed_role {
                match fixed.get(&vendor) {
                    Some(first) => self.push(
                        Diagnostic::error(
                            span,
                            format!(
                                "only one {vendor} destination is allowed, and `{first}` is \
                                 already one"
                            ),
                        )
                        .with_help(format!(
                            "{}, so an AWS account holds only one such role: export into one \
                             destination",
                            role.reason
                        )),
                    ),
                    None => {
                        fixed.insert(vendor, &fact.name);
                    }
                }
            }

            if let Some((role, span, source)) = &fact.role {
                match roles.get(&role.to_lowercase()) {
                    // Two destinations of a fixed-name vendor were reported above; an
                    // existing role takes one policy per destination.
                    Some((_, RoleSource::Fixed(a))) if *source == RoleSource::Fixed(*a) => {}
                    Some((_, RoleSource::Existing)) if *source == RoleSource::Existing => {}
                    Some((first, first_source)) => {
                        let name = &fact.name;
                        let fix = match (source, first_source) {
                            (RoleSource::Explicit | RoleSource::Existing, _) => {
                                format!("set the `role_name` of `{name}` to another name")
                            }
                            (RoleSource::Default, _) => format!(
                                "`{name}` gets the default name `{role}`: set `role_name` on \
                                 `{name}` or on `{first}` to another name"
                            ),
                            (RoleSource::Fixed(vendor), _) => format!(
                                "{vendor} requires the name `{role}`: set the `role_name` of \
                                 `{first}` to another name"
                            ),
                        };
                        self.push(
                            Diagnostic::error(
                                *span,
                                format!(
                                    "role name `{role}` is already used by destination `{first}`"
                                ),
                            )
                            .with_help(format!(
                                "IAM role names are unique in an account, whatever their case: \
                                 {fix}"
                            )),
                        );
                    }
                    None => {
                        roles.insert(role.to_lowercase(), (&fact.name, *source));
                    }
                }
            }
        }
    }

    /// A vendor whose grant covers the whole bucket (it takes no folder: Mixpanel) on a
    /// bucket another destination uses: it may read, overwrite or delete what the other
    /// vendor writes. A warning on the later of the two.
    fn whole_bucket_shared(
        &mut self,
        bucket: &str,
        span: Span,
        name: &str,
        vendor: Option<Vendor>,
        others: &[(&str, Option<Vendor>)],
    ) {
        let whole = |v: Option<Vendor>| {
            v.filter(|v| matches!(v.description().folder, Folder::Unknown { .. }))
        };
        let found = match whole(vendor) {
            Some(v) => others.first().map(|(other, _)| (v, name, *other)),
            None => others
                .iter()
                .find_map(|(other, v)| whole(*v).map(|v| (v, *other, name))),
        };
        let Some((vendor, granted, other)) = found else {
            return;
        };
        let actions = vendor.description().grants.object_actions.join(", ");
        self.push(
            Diagnostic::warning(
                span,
                format!(
                    "destination `{granted}` ({vendor}) is granted every object of bucket \
                     `{bucket}`, which destination `{other}` also writes to"
                ),
            )
            .with_help(format!(
                "{vendor} takes no folder, so its role is allowed {actions} anywhere in the \
                 bucket, the other destination's objects included: give {vendor} a bucket of \
                 its own"
            )),
        );
    }

    /// A vendor that supports only some regions, on a bucket whose region the spec declares
    /// (or creates it in): refused here, before any AWS call. An undeclared region is not
    /// known offline.
    fn bucket_region(
        &mut self,
        vendor: Vendor,
        bucket: &Option<BucketSpec>,
        spec_region: Option<&str>,
        span: Span,
    ) {
        let Some(bucket) = bucket else { return };
        let region = bucket
            .region
            .as_deref()
            .or(if bucket.create { spec_region } else { None });
        let Some(region) = region else { return };
        let regions = &vendor.description().preflight.regions;
        if !regions.allows(region) {
            self.push(
                Diagnostic::error(
                    span,
                    format!("{vendor} does not support buckets in `{region}`"),
                )
                .with_label(format!("bucket `{}` is in `{region}`", bucket.name))
                .with_help(format!(
                    "{} {}: use a bucket in another region",
                    vendor.description().title,
                    regions.phrase()
                )),
            );
        }
    }

    /// `folder`: `Ok(None)` when the vendor takes none or the prefix is empty; `Err` when it
    /// was reported.
    fn folder(
        &mut self,
        name: &str,
        key_span: Span,
        vendor: Option<Vendor>,
        given: Option<&Spanned<String>>,
    ) -> Result<Option<String>, ()> {
        let rule = vendor.map(|v| (v, &v.description().folder));
        let Some(f) = given else {
            return match rule {
                Some((_, Folder::Default(f))) => Ok(Some((*f).to_owned())),
                Some((_, Folder::Prefix { .. } | Folder::Unknown { .. })) => Ok(None),
                Some((vendor, Folder::Required)) => {
                    self.missing_in(
                        name,
                        "folder",
                        Diagnostic::error(
                            key_span,
                            format!("destination `{name}` has no `folder`"),
                        )
                        .with_help(format!(
                            "`folder` is the path in the bucket that {vendor} writes under, \
                                 such as `folder: {name}`"
                        )),
                    );
                    Err(())
                }
                None => Err(()),
            };
        };
        let span = self.span(f);
        if let Some((vendor, Folder::Unknown { reason })) = rule {
            self.push(
                Diagnostic::error(span, format!("{vendor} destinations take no `folder`"))
                    .with_help(format!("{reason}: remove `folder`")),
            );
            return Err(());
        }
        if f.value.trim_matches('/').is_empty() && matches!(rule, Some((_, Folder::Prefix { .. })))
        {
            return Ok(None);
        }
        match normalize_folder(&f.value) {
            Ok(folder) => Ok(Some(folder)),
            Err(reason) => {
                self.push(
                    Diagnostic::error(span, format!("invalid folder `{}`: {reason}", f.value))
                        .with_help(
                            "a folder is a path inside the bucket, such as \
                             `exports/pendo`: segments of ASCII letters, digits, spaces and \
                             `_ . -` separated by `/`, no empty, `.` or `..` segment, at most \
                             256 characters (s3dest records the folder in an IAM tag, and \
                             tag values allow no more)",
                        ),
                );
                Err(())
            }
        }
    }

    /// `trust`: one of the vendor's variants of fixed principals.
    fn trust_variant(
        &mut self,
        vendor: Option<Vendor>,
        auth: Option<Auth>,
        given: Option<&Spanned<String>>,
    ) -> Option<&'static TrustVariant> {
        let given = given?;
        let vendor = vendor?;
        let span = self.span(given);
        let variants = vendor.trust_variants();
        if variants.len() < 2 {
            let several: Vec<&str> = Vendor::all()
                .filter(|v| v.trust_variants().len() > 1)
                .map(Vendor::as_str)
                .collect();
            let why = match &vendor.description().trust {
                Trust::Customer { .. } => format!(
                    "{} trusts the `principal` you give",
                    vendor.description().title
                ),
                _ => fixed_principal_reason(vendor),
            };
            self.push(
                Diagnostic::error(span, format!("{vendor} destinations take no `trust`"))
                    .with_help(format!(
                        "`trust` picks one of a vendor's documented sets of principals, for \
                         vendors that have several ({}); {why}: remove `trust`",
                        several.join(", ")
                    )),
            );
            return None;
        }
        if auth == Some(Auth::AccessKey) {
            self.push(
                Diagnostic::warning(span, "`trust` is not used with `auth: access-key`").with_help(
                    "with an access key the vendor signs in as an IAM user that s3dest \
                         creates, and no role is trusted: remove `trust`, or use `auth: role`",
                ),
            );
        }
        let names = || {
            variants
                .iter()
                .map(|v| format!("`{}`", v.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match vendor.trust_variant(&given.value) {
            Some(variant) => Some(variant),
            None => {
                let hint = did_you_mean(&given.value, variants.iter().map(|v| v.name))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                self.push(
                    Diagnostic::error(span, format!("unknown {vendor} trust `{}`", given.value))
                        .with_help(format!("{hint}{vendor}'s trust is one of: {}", names())),
                );
                None
            }
        }
    }
}

/// What an unknown vendor's principal is checked against.
const ANY_PRINCIPAL: PrincipalKinds = PrincipalKinds {
    account: true,
    user_or_role: true,
};
const ANY_PRINCIPAL_HELP: &str = "an AWS account ID (`\"123456789012\"`), its \
    `arn:aws:iam::123456789012:root` ARN, or an IAM user or role ARN such as \
    `arn:aws:iam::123456789012:role/exporter`";

/// Why a vendor's spec gives no principal.
fn fixed_principal_reason(vendor: Vendor) -> String {
    let d = vendor.description();
    match (&d.identity, vendor.default_trust_variant()) {
        (Identity::None, Some(v)) => format!(
            "{} writes as {}, which s3dest names in the bucket-policy statement",
            d.title, v.summary
        ),
        (_, Some(v)) => format!(
            "{} assumes the role from {}, which s3dest puts in the trust policy",
            d.title, v.summary
        ),
        _ => format!(
            "{} uses your existing role, whose trust s3dest leaves as it is",
            d.title
        ),
    }
}

/// How a vendor gets its access, for messages.
fn method_phrase(d: &Description) -> &'static str {
    match d.identity {
        Identity::OwnRole { .. } => "only the role method",
        Identity::ExistingRole { .. } => "only a policy added to your existing role",
        Identity::None => "only a bucket-policy statement for its own principal",
    }
}

const TAG_HELP: &str = "tag keys have 1-128 characters and values 0-256: letters, digits, \
                        spaces and `_ . : / = + - @`";

fn vendor_list() -> String {
    Vendor::all()
        .map(Vendor::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted_list(items: &[String]) -> String {
    let set: BTreeSet<&String> = items.iter().collect();
    set.into_iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
