//! An in-memory AWS: applies a plan's operations to an `Observed`, the way the AWS
//! edge applies them to AWS. Pure tests use it to prove that a plan converges (its
//! apply followed by a new plan is empty) without a server.

use s3dest_core::model::{
    AccessKey, BucketEncryption, BucketInfo, ObjectLock, Observed, ObservedBucket, ObservedRole,
    ObservedSecret, ObservedUser, Owner, TAG_ACCESS_KEY_ID, role_arn,
};
use s3dest_core::plan::{Op, Phase, Plan};

/// Applies every operation of `plan`, in phase order, to `world`.
pub fn apply(plan: &Plan, world: &mut Observed) {
    let mut ops: Vec<(Phase, &Op)> = plan
        .changes
        .iter()
        .flat_map(|c| c.op_phases().into_iter().zip(&c.ops))
        .collect();
    // Stable sort: operations of one change keep their order within a phase.
    ops.sort_by_key(|(phase, _)| *phase);
    for (_, op) in ops {
        apply_op(op, world);
    }
}

fn bucket<'w>(world: &'w mut Observed, name: &str) -> &'w mut BucketInfo {
    match world.buckets.get_mut(name) {
        Some(ObservedBucket::Present(info)) => info,
        _ => panic!("operation on missing bucket `{name}`"),
    }
}

pub fn apply_op(op: &Op, world: &mut Observed) {
    match op {
        Op::CreateBucket { bucket, region } => {
            let info = BucketInfo {
                region: region.clone(),
                public_access_blocked: Some(true),
                // What the edge's CreateBucket puts (PutBucketEncryption AES256).
                encryption: Some(BucketEncryption::SseS3),
                object_lock: Some(ObjectLock::Disabled),
                ..BucketInfo::default()
            };
            world
                .buckets
                .insert(bucket.clone(), ObservedBucket::Present(info));
        }
        Op::CreateRole { role } => {
            let observed = ObservedRole {
                name: role.name.clone(),
                path: role.path.clone(),
                arn: role_arn(&world.account_id, &role.path, &role.name),
                trust: role.trust.clone(),
                tags: role.tags.clone(),
                inline_policies: Default::default(),
                managed_policy_arns: Vec::new(),
            };
            assert!(
                world.roles.insert(role.name.clone(), observed).is_none(),
                "role {} exists",
                role.name
            );
        }
        Op::DeleteRole { name, .. } => {
            world.roles.remove(name).expect("deleting a missing role");
        }
        Op::UpdateTrust { role, trust } => {
            world.roles.get_mut(role).expect("role").trust = trust.clone()
        }
        Op::TagRole { role, tags } => world
            .roles
            .get_mut(role)
            .expect("role")
            .tags
            .extend(tags.clone()),
        Op::UntagRole { role, keys } => {
            let role = world.roles.get_mut(role).expect("role");
            for key in keys {
                role.tags.remove(key);
            }
        }
        Op::PutRolePolicy { role, name, policy } => {
            world
                .roles
                .get_mut(role)
                .expect("role")
                .inline_policies
                .insert(name.clone(), policy.clone());
        }
        Op::DeleteRolePolicy { role, name } => {
            world
                .roles
                .get_mut(role)
                .expect("role")
                .inline_policies
                .remove(name);
        }
        Op::PutStatement {
            bucket: name,
            statement,
        } => {
            let info = bucket(world, name);
            let mut policy = info
                .policy
                .take()
                .unwrap_or_else(|| s3dest_policy::PolicyDocument::new(Vec::new()));
            policy.statements.retain(|s| s.sid != statement.sid);
            policy.statements.push(statement.clone());
            info.policy = Some(policy);
        }
        Op::DeleteStatement { bucket: name, sid } => {
            let info = bucket(world, name);
            if let Some(policy) = &mut info.policy {
                policy.statements.retain(|s| s.sid.as_deref() != Some(sid));
                if policy.statements.is_empty() {
                    info.policy = None;
                }
            }
        }
        Op::CreateFolder {
            bucket: name,
            key,
            spec,
            destination,
        } => {
            let folder = key.trim_end_matches('/').to_owned();
            let owner = Owner::Spec {
                spec: spec.clone(),
                destination: Some(destination.clone()),
            };
            let entry = bucket(world, name).folders.entry(folder).or_default();
            entry.marker.get_or_insert(owner);
            entry.has_other_objects.get_or_insert(false);
        }
        Op::DeleteFolder { bucket: name, key } => {
            let folder = key.trim_end_matches('/');
            let info = bucket(world, name);
            let entry = info.folders.entry(folder.to_owned()).or_default();
            assert_eq!(
                entry.has_other_objects,
                Some(false),
                "deleting a non-empty folder"
            );
            entry.marker = None;
        }
        Op::CreateUser { user } => {
            let observed = ObservedUser {
                name: user.name.clone(),
                path: user.path.clone(),
                arn: user.arn(&world.account_id),
                tags: user.tags.clone(),
                inline_policies: Default::default(),
                managed_policy_arns: Vec::new(),
                access_keys: Vec::new(),
            };
            assert!(
                world.users.insert(user.name.clone(), observed).is_none(),
                "user {} exists",
                user.name
            );
        }
        Op::DeleteUser { name, .. } => {
            world.users.remove(name).expect("deleting a missing user");
        }
        Op::TagUser { user, tags } => world
            .users
            .get_mut(user)
            .expect("user")
            .tags
            .extend(tags.clone()),
        Op::UntagUser { user, keys } => {
            let user = world.users.get_mut(user).expect("user");
            for key in keys {
                user.tags.remove(key);
            }
        }
        Op::PutUserPolicy { user, name, policy } => {
            world
                .users
                .get_mut(user)
                .expect("user")
                .inline_policies
                .insert(name.clone(), policy.clone());
        }
        Op::DeleteUserPolicy { user, name } => {
            world
                .users
                .get_mut(user)
                .expect("user")
                .inline_policies
                .remove(name);
        }
        Op::CreateAccessKey { user, secret } => {
            let now = world.read_at;
            let keys = &mut world.users.get_mut(user).expect("user").access_keys;
            assert!(keys.len() < 2, "IAM allows two access keys per user");
            let id = format!(
                "AKIASIMULATED{:07}",
                now.as_second() % 10_000_000 + keys.len() as i64
            );
            keys.push(AccessKey {
                id: id.clone(),
                active: true,
                created: now,
                last_used: None,
            });
            let mut tags = secret.tags.clone();
            tags.insert(TAG_ACCESS_KEY_ID.to_owned(), id.clone());
            let arn = format!(
                "arn:aws:secretsmanager:us-east-1:{}:secret:{}",
                world.account_id, secret.name
            );
            let stored = ObservedSecret {
                name: secret.name.clone(),
                arn,
                tags,
                pending_deletion: false,
                current_version: Some(s3dest_core::model::secret_version_id(
                    &id,
                    "0000000000000000",
                )),
            };
            world.secrets.insert(secret.name.clone(), stored);
        }
        Op::SetAccessKeyStatus {
            user,
            key_id,
            active,
        } => {
            let keys = &mut world.users.get_mut(user).expect("user").access_keys;
            keys.iter_mut()
                .find(|k| &k.id == key_id)
                .expect("key")
                .active = *active;
        }
        Op::DeleteAccessKey { user, key_id } => {
            world
                .users
                .get_mut(user)
                .expect("user")
                .access_keys
                .retain(|k| &k.id != key_id);
        }
        Op::TagSecret { name, tags } => world
            .secrets
            .get_mut(name)
            .expect("secret")
            .tags
            .extend(tags.clone()),
        Op::DeleteSecret { name, .. } => {
            world
                .secrets
                .get_mut(name)
                .expect("secret")
                .pending_deletion = true
        }
    }
}
