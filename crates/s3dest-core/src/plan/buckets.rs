//! Buckets, the destinations' statements in bucket policies, and folder markers;
//! and the size limits AWS puts on policies.

use std::collections::{BTreeMap, BTreeSet};

use s3dest_policy::{PolicyDocument, Statement};

use super::{Action, Address, Notice, Op, Part, Planner, Resource};
use crate::model::{
    DesiredBucket, DesiredDestination, LockVerdict, ObservedBucket, TAG_BUCKET, TAG_DESTINATION,
    TAG_FOLDER,
};

impl<'a> Planner<'a> {
    pub(super) fn bucket(&mut self, bucket: &DesiredBucket) {
        let address = Address::bucket(&bucket.name);
        match self.observed.buckets.get(&bucket.name) {
            Some(ObservedBucket::Present(info)) => {
                if let Some(region) = bucket.region.as_ref().filter(|_| bucket.region_declared)
                    && &info.region != region
                {
                    self.error(
                        address.clone(),
                        format!("bucket `{}` is in region `{}`, but the spec says `{region}`", bucket.name, info.region),
                    );
                }
                if bucket.create && info.public_access_blocked == Some(false) {
                    self.concern_warning(address, crate::model::Concern::PublicAccess, "public access is not fully blocked on this bucket (s3dest did not create it and leaves its settings alone)".to_owned());
                }
            }
            Some(ObservedBucket::Missing) | None if bucket.create => {
                let region = bucket.region.clone().unwrap_or_else(|| crate::presets::DEFAULT_REGION.to_owned());
                let after = Resource::Bucket { name: bucket.name.clone(), region: region.clone() };
                self.change(address, Action::Create, None, Some(after), "bucket does not exist and the spec sets `create: true`", vec![Op::CreateBucket { bucket: bucket.name.clone(), region }]);
            }
            Some(ObservedBucket::Missing) | None => self.error(
                address,
                format!("bucket `{}` does not exist; create it, or set `create: true` on it in the spec", bucket.name),
            ),
        }
    }

    /// AWS's size limits, checked here so that a plan that cannot be applied says so
    /// instead of failing half-way: an inline policy (10,240 characters per role or
    /// user, whitespace not counted) and a bucket policy after our edits (20 KB).
    pub(super) fn check_limits(&mut self) {
        const INLINE_LIMIT: usize = 10_240;
        const BUCKET_POLICY_LIMIT: usize = 20 * 1024;
        let mut errors = Vec::new();
        for dest in self.desired.destinations.values() {
            if let Some(policy) = &dest.inline_policy {
                let size = policy.to_json().len();
                if size > INLINE_LIMIT {
                    errors.push((Address::destination(&dest.name), format!("its inline policy would be {size} characters; IAM allows {INLINE_LIMIT} per role or user")));
                }
            }
        }
        let mut edits: BTreeMap<&str, (Vec<&Statement>, Vec<&str>)> = BTreeMap::new();
        for op in self.changes.iter().flat_map(|c| &c.ops) {
            match op {
                Op::PutStatement { bucket, statement } => {
                    edits.entry(bucket).or_default().0.push(statement)
                }
                Op::DeleteStatement { bucket, sid } => edits.entry(bucket).or_default().1.push(sid),
                _ => {}
            }
        }
        for (bucket, (puts, deletes)) in edits {
            let mut policy = self
                .bucket_info(bucket)
                .and_then(|b| b.policy.clone())
                .unwrap_or_else(|| PolicyDocument::new(Vec::new()));
            policy.statements.retain(|s| {
                let sid = s.sid.as_deref();
                !puts.iter().any(|p| p.sid.as_deref() == sid)
                    && !deletes.iter().any(|d| sid == Some(*d))
            });
            policy.statements.extend(puts.into_iter().cloned());
            let size = policy.to_json().len();
            if size > BUCKET_POLICY_LIMIT {
                errors.push((
                    Address::bucket(bucket),
                    format!(
                        "its bucket policy would be {size} bytes; S3 allows {BUCKET_POLICY_LIMIT}"
                    ),
                ));
            }
        }
        for (address, message) in errors {
            self.error(address, message);
        }
    }

    /// What stands in the way of the bucket-policy writes the plan makes, said before
    /// apply meets it: a foreign statement naming a unique id (AWS refuses any policy
    /// that does, so no edit of that policy can succeed), and a bucket-policy lock found
    /// in the bucket (held by an apply now, or left by one that died).
    pub(super) fn check_policy_writes(&mut self) {
        let edited: BTreeSet<&str> = self
            .changes
            .iter()
            .flat_map(|c| &c.ops)
            .filter_map(|op| match op {
                Op::PutStatement { bucket, .. } | Op::DeleteStatement { bucket, .. } => {
                    Some(bucket.as_str())
                }
                _ => None,
            })
            .collect();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut notes = Vec::new();
        for (bucket, observed) in &self.observed.buckets {
            let ObservedBucket::Present(info) = observed else {
                continue;
            };
            let address = Address::bucket(bucket);
            let edits = edited.contains(bucket.as_str());
            // Only a policy the plan writes is refused; ours are rewritten with ARNs anyway.
            let statements = info
                .policy
                .iter()
                .filter(|_| edits)
                .flat_map(|p| p.statements.iter().enumerate());
            for (i, statement) in statements {
                let ours = statement
                    .sid
                    .as_deref()
                    .is_some_and(|sid| crate::sid::owned_destination(self.spec(), sid).is_some());
                let Some(id) = statement.unique_id_principal().filter(|_| !ours) else {
                    continue;
                };
                let which = match &statement.sid {
                    Some(sid) => format!("statement `{sid}`"),
                    None => format!("statement {} (no Sid)", i + 1),
                };
                errors.push((address.clone(), format!(
                    "{which} of this bucket's policy, which s3dest does not own, names `{id}`: the unique id AWS \
                     puts in place of a role or user that was deleted. AWS refuses every bucket policy that \
                     contains one, so s3dest cannot change this policy. Remove that principal (it grants \
                     nothing any more) or the statement by hand, then plan again"
                )));
            }
            let Some(lock) = &info.lock else { continue };
            match &lock.verdict {
                LockVerdict::Live => notes.push((address, format!(
                    "an apply is editing this bucket's policy right now (lock {}); the next apply waits for it",
                    lock.holder
                ))),
                LockVerdict::OwnerGone { reason } => warnings.push((address, format!(
                    "a bucket-policy lock was left behind ({}): {reason}; the next apply takes it over",
                    lock.holder
                ))),
                LockVerdict::Stale { reason } => {
                    let next = match edits {
                        true => "apply refuses to edit this policy until it is run with `--break-lock` (when no other apply is running against this bucket)",
                        false => "an apply that edits this policy will refuse until it is run with `--break-lock`",
                    };
                    warnings.push((address, format!(
                        "a stale bucket-policy lock was left behind ({}; {reason}): {next}",
                        lock.holder
                    )));
                }
            }
        }
        for (address, message) in errors {
            self.error(address, message);
        }
        for (address, message) in warnings {
            self.warn(address, message);
        }
        for (address, message) in notes {
            self.notes.push(Notice::new(address, message));
        }
    }

    pub(super) fn statement(&mut self, dest: &DesiredDestination) {
        let Some(want) = &dest.bucket_statement else {
            return;
        };
        let sid = want.sid.clone().unwrap_or_default();
        let address = Address::statement(&dest.bucket, &dest.name);
        let have = self
            .bucket_info(&dest.bucket)
            .and_then(|b| b.policy.as_ref())
            .and_then(|p| p.statement_by_sid(&sid))
            .cloned();
        let view = |s: &Statement| Resource::BucketStatement {
            bucket: dest.bucket.clone(),
            sid: sid.clone(),
            statement: s.clone(),
        };
        let op = Op::PutStatement {
            bucket: dest.bucket.clone(),
            statement: want.clone(),
        };
        let observed: &'a crate::model::Observed = self.observed;
        let policy = match observed.buckets.get(&dest.bucket) {
            Some(ObservedBucket::Present(info)) => info.policy.as_ref(),
            _ => None,
        };
        if let Some(adoption) = crate::adoption::bucket_statements(dest, self.desired, policy) {
            self.adoption_warnings(dest, &sid, &adoption);
            if !adoption.taken.is_empty() {
                // One change, so that one policy write deletes theirs and puts ours.
                let mut ops: Vec<Op> = adoption
                    .taken
                    .iter()
                    .map(|(taken, _)| Op::DeleteStatement {
                        bucket: dest.bucket.clone(),
                        sid: (*taken).to_owned(),
                    })
                    .collect();
                if have.as_ref().is_none_or(|h| !h.equivalent(want)) {
                    ops.push(op);
                }
                let sids: Vec<&str> = adoption.taken.iter().map(|(sid, _)| *sid).collect();
                let statements: Vec<&Statement> = adoption.taken.iter().map(|(_, s)| *s).collect();
                let fixes = crate::adoption::fixes(dest, &statements, &[want]);
                let (noun, verb, they) = match sids.len() {
                    1 => ("statement", "grants", "it is"),
                    _ => ("statements", "grant", "they are"),
                };
                let mut reason = format!(
                    "adopting: {noun} {} {verb} {} what the guide's statement grants; {they} replaced by s3dest's statement `{sid}`",
                    crate::phrase::code_list(&sids),
                    crate::adoption::grantee(dest),
                );
                if !fixes.is_empty() {
                    reason += &format!(" ({})", fixes.join("; "));
                }
                // Shown as the first: a bucket statement is one statement.
                let (first_sid, first) = adoption.taken[0];
                let before = Resource::BucketStatement {
                    bucket: dest.bucket.clone(),
                    sid: first_sid.to_owned(),
                    statement: first.clone(),
                };
                let after = Some(view(want));
                return self.change(address, Action::Replace, Some(before), after, reason, ops);
            }
        }
        match have {
            None => self.change(
                address,
                Action::Create,
                None,
                Some(view(want)),
                "statement is missing from the bucket policy",
                vec![op],
            ),
            Some(have) if !have.equivalent(want) => self.change(
                address,
                Action::Update,
                Some(view(&have)),
                Some(view(want)),
                "statement differs",
                vec![op],
            ),
            Some(_) => {}
        }
    }

    /// What `adopt: true` leaves in the bucket policy that grants the destination's
    /// principal: the guide's grant without a Sid, and statements granting more.
    fn adoption_warnings(
        &mut self,
        dest: &DesiredDestination,
        sid: &str,
        adoption: &crate::adoption::StatementAdoption<'_>,
    ) {
        let address = Address::statement(&dest.bucket, &dest.name);
        let grantee = crate::adoption::grantee(dest);
        for position in &adoption.without_sid {
            self.warn(address.clone(), format!(
                "statement {position} (no Sid) of bucket `{}`'s policy grants {grantee} what the guide's statement grants, as s3dest's statement `{sid}` does; s3dest deletes statements only by their Sid, so remove it by hand",
                dest.bucket
            ));
        }
        for (which, why) in &adoption.kept {
            self.warn(address.clone(), format!(
                "{which} of bucket `{}`'s policy also grants {grantee}; `adopt: true` does not take it over, as it is not the guide's grant for this destination ({why}); it is left alone",
                dest.bucket
            ));
        }
    }

    pub(super) fn folder(&mut self, dest: &DesiredDestination) {
        let Some(want) = dest.marker_key().and(dest.folder.clone()) else {
            return;
        };
        let address = Address::part(&dest.name, Part::Folder);
        let view = |bucket: &str, folder: &str| Resource::Folder {
            bucket: bucket.to_owned(),
            key: format!("{folder}/"),
        };
        let exists = self
            .bucket_info(&dest.bucket)
            .and_then(|b| b.folders.get(&want))
            .is_some_and(|f| f.marker.is_some());
        // The folder this destination had before, if it moved (known from its identity's tags).
        let old = self
            .owned_identity_tags()
            .filter(|tags| tags.get(TAG_DESTINATION) == Some(&dest.name))
            .find_map(|tags| {
                let (bucket, folder) = (tags.get(TAG_BUCKET)?, tags.get(TAG_FOLDER)?);
                (bucket != &dest.bucket || folder != &want)
                    .then(|| (bucket.clone(), folder.clone()))
            });
        let delete_old = old
            .as_ref()
            .and_then(|(bucket, folder)| self.prunable_folder(bucket, folder, &dest.name));
        if exists {
            if let (Some((bucket, folder)), Some(op)) = (&old, delete_old) {
                self.change(
                    address,
                    Action::Delete,
                    Some(view(bucket, folder)),
                    None,
                    "the destination moved to another folder; the old one is empty",
                    vec![op],
                );
            }
            return;
        }
        let create = Op::CreateFolder {
            bucket: dest.bucket.clone(),
            key: format!("{want}/"),
            spec: self.spec().to_owned(),
            destination: dest.name.clone(),
        };
        let after = Some(view(&dest.bucket, &want));
        match (&old, delete_old) {
            (Some((bucket, folder)), Some(op)) => self.change(
                address,
                Action::Replace,
                Some(view(bucket, folder)),
                after,
                "the destination moved to another folder; the old one is empty",
                vec![create, op],
            ),
            _ => self.change(
                address,
                Action::Create,
                None,
                after,
                "folder marker is missing",
                vec![create],
            ),
        }
    }

    /// The operation deleting `folder`'s marker, if this spec created it and nothing else is in the folder.
    pub(super) fn prunable_folder(&mut self, bucket: &str, folder: &str, dest: &str) -> Option<Op> {
        let info = self.bucket_info(bucket)?.folders.get(folder)?.clone();
        let marker = info.marker?;
        let still_used = self
            .desired
            .destinations
            .values()
            .any(|d| d.bucket == bucket && d.folder.as_deref() == Some(folder));
        if !marker.is_spec(self.spec()) || still_used {
            return None;
        }
        if info.has_other_objects != Some(false) {
            self.warn(
                Address::part(dest, Part::Folder),
                format!("folder `s3://{bucket}/{folder}/` is kept: it is not empty"),
            );
            return None;
        }
        Some(Op::DeleteFolder {
            bucket: bucket.to_owned(),
            key: format!("{folder}/"),
        })
    }
}
