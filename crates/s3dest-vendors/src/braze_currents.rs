//! Braze Currents to S3: a role that Braze's AWS account assumes with Braze's external ID, and
//! an inline policy (see `braze.rs` for what the Braze exports share).

use crate::braze;
use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "braze-currents",
    title: "Braze Currents",
    source: braze::SOURCE,
    identity: Identity::OwnRole { fixed: None },
    trust: braze::TRUST,
    external_id: braze::EXTERNAL_ID,
    folder: Folder::Default("currents"),
    grants: braze::CURRENTS_GRANTS,
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Choice {
        default: Scope::Bucket,
    },
    encryption: braze::ENCRYPTION,
    preflight: Preflight {
        object_lock_unsupported: Some(
            "Braze Currents does not support buckets with Object Lock (its current docs)",
        ),
        regions: Regions::Any,
    },
    access_key: braze::ACCESS_KEY,
    outputs: braze::OUTPUTS,
};
