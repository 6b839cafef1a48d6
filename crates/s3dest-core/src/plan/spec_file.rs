//! The spec file each resource was made from (`s3dest:file`). Ownership is by the spec's
//! name, so a second spec file with the same `name` would take the first one's resources
//! for its own and delete the destinations it does not have: its plan is refused. A file
//! moved on purpose says so (`moved_from`), and its plan records the new file.
//!
//! Like the trust's and the policy's records, the tag is written with the resource's next
//! write and is never a change of its own (a resource made by an earlier release has none,
//! and is no conflict), but after a declared move: then it is rewritten at once, so that
//! `moved_from` can go after one apply.

use std::collections::BTreeMap;

use s3dest_spec::SpecFile;

use super::{Action, Address, Op, Part, Planner, Resource};
use crate::model::{TAG_DESTINATION, TAG_FILE};

/// What a resource of this spec records of the spec file that made it, against the one
/// being planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileRecord<'t> {
    /// No file is known for this plan (a spec that is not a file): left as it is.
    Unknown,
    /// It names this file.
    Current,
    /// It names none (made by an earlier release): written with its next write.
    Missing,
    /// It names one of `moved_from`: rewritten, as a change of its own.
    Moved(&'t str),
    /// It names another spec file: the plan is refused ([`Planner::file_conflicts`]).
    Other(&'t str),
}

impl FileRecord<'_> {
    /// Whether a write of the resource's tags writes this file's record with them.
    fn rides_with_writes(self) -> bool {
        matches!(
            self,
            FileRecord::Current | FileRecord::Missing | FileRecord::Moved(_)
        )
    }
}

impl<'a> Planner<'a> {
    /// What `tags`, a resource's as read, record of the spec file.
    pub(super) fn file_record<'t>(&self, tags: &'t BTreeMap<String, String>) -> FileRecord<'t> {
        let Some(ours) = &self.desired.file else {
            return FileRecord::Unknown;
        };
        let Some(recorded) = tags.get(TAG_FILE) else {
            return FileRecord::Missing;
        };
        let recorded_file = SpecFile::from_tag(recorded);
        if recorded_file == *ours {
            FileRecord::Current
        } else if self.desired.moved_from.contains(&recorded_file) {
            FileRecord::Moved(recorded)
        } else {
            FileRecord::Other(recorded)
        }
    }

    /// Makes the file's record in `want` (an identity's tags as the spec has them) what
    /// the identity is to have, `have` being its tags as read: this file when it moved
    /// here, or when its tags are written anyway; else the record it has, so that the
    /// record alone is never a change. Returns the file it moved from, when it did.
    pub(super) fn settle_file_record<'t>(
        &self,
        want: &mut BTreeMap<String, String>,
        have: &'t BTreeMap<String, String>,
        written: impl FnOnce(&BTreeMap<String, String>) -> bool,
    ) -> Option<&'t str> {
        let record = self.file_record(have);
        match have.get(TAG_FILE) {
            Some(recorded) => want.insert(TAG_FILE.to_owned(), recorded.clone()),
            None => want.remove(TAG_FILE),
        };
        let rewrite = match record {
            FileRecord::Moved(_) => true,
            FileRecord::Current | FileRecord::Missing => written(want),
            FileRecord::Unknown | FileRecord::Other(_) => false,
        };
        if let (true, Some(ours)) = (rewrite, &self.desired.file) {
            want.insert(TAG_FILE.to_owned(), ours.as_str().to_owned());
        }
        match record {
            FileRecord::Moved(from) => Some(from),
            _ => None,
        }
    }

    /// The file's record, to write with other tags of a resource whose tags are `have`
    /// (the inline policy's record, a secret's tags); `None` when it must not be.
    pub(super) fn file_tag_with_write(
        &self,
        have: Option<&BTreeMap<String, String>>,
    ) -> Option<(String, String)> {
        let ours = self.desired.file.as_ref()?;
        let rides = have.is_none_or(|tags| self.file_record(tags).rides_with_writes());
        rides.then(|| (TAG_FILE.to_owned(), ours.as_str().to_owned()))
    }

    /// A secret whose record names a file this spec moved from: rewritten on its own
    /// (a new key rewrites every tag of the secret anyway).
    pub(super) fn retag_moved_secret(
        &mut self,
        address: Address,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) {
        let (FileRecord::Moved(from), Some(ours)) = (self.file_record(tags), &self.desired.file)
        else {
            return;
        };
        let view = |file: &str| Resource::SecretFileTag {
            secret: name.to_owned(),
            file: file.to_owned(),
        };
        let op = Op::TagSecret {
            name: name.to_owned(),
            tags: BTreeMap::from([(TAG_FILE.to_owned(), ours.as_str().to_owned())]),
        };
        let reason = moved_reason(from);
        self.change(
            address,
            Action::Update,
            Some(view(from)),
            Some(view(ours.as_str())),
            reason,
            vec![op],
        );
    }

    /// Refuses the plan when a resource of this spec was made from another spec file:
    /// one error per such file, at the first of its resources, naming what records it.
    pub(super) fn file_conflicts(&mut self) {
        let Some(ours) = self.desired.file.clone() else {
            return;
        };
        let spec = self.desired.spec.clone();
        let observed = self.observed;
        let place = |tags: &BTreeMap<String, String>, name: &str, part: Part| {
            let dest = tags.get(TAG_DESTINATION).map_or(name, String::as_str);
            Address::part(dest, part)
        };
        let roles = observed
            .roles
            .values()
            .filter(|r| r.owner().is_spec(&spec))
            .map(|r| {
                (
                    &r.tags,
                    place(&r.tags, &r.name, Part::Role),
                    format!("role `{}`", r.name),
                )
            });
        let users = observed
            .users
            .values()
            .filter(|u| u.owner().is_spec(&spec))
            .map(|u| {
                (
                    &u.tags,
                    place(&u.tags, &u.name, Part::User),
                    format!("user `{}`", u.name),
                )
            });
        // A secret scheduled for deletion is no destination of anyone's any more.
        let secrets = observed
            .secrets
            .values()
            .filter(|s| s.owner().is_spec(&spec) && !s.pending_deletion)
            .map(|s| {
                let what = format!("secret `{}`", s.name);
                (&s.tags, place(&s.tags, &s.name, Part::Secret), what)
            });
        let mut others: BTreeMap<&str, Vec<(Address, String)>> = BTreeMap::new();
        for (tags, address, what) in roles.chain(users).chain(secrets) {
            if let FileRecord::Other(file) = self.file_record(tags) {
                others.entry(file).or_default().push((address, what));
            }
        }
        for (other, found) in others {
            let other = SpecFile::from_tag(other);
            let Some(address) = found.first().map(|(address, _)| address.clone()) else {
                continue;
            };
            let what = crate::phrase::and_list(found.into_iter().map(|(_, what)| what));
            let message = format!(
                "spec `{spec}` in account {account} was applied from another spec file, {other_shown} \
                 (the `s3dest:file` tag of its {what}), and this spec is {ours_shown}: two specs \
                 with one name would delete each other's destinations, so this plan is not applied. \
                 Give one of them another `name:`; or, if {other_shown} was moved or renamed to this \
                 file on purpose, add `moved_from: [\"{other}\"]` to this spec",
                account = self.desired.account_id,
                other_shown = other.shown(),
                ours_shown = ours.shown(),
            );
            self.error(address, message);
        }
    }
}

/// The reason of a change that records the file a spec moved to.
pub(super) fn moved_reason(from: &str) -> String {
    format!(
        "the spec file moved from {}: its `s3dest:file` tag is updated, after which \
         `moved_from` can be removed",
        SpecFile::from_tag(from).shown()
    )
}
