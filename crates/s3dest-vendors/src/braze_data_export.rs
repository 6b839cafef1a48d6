//! Braze dashboard data export to S3: a role that Braze's AWS account assumes with Braze's external ID, and
//! an inline policy (see `braze.rs` for what the Braze exports share).

use crate::braze;
use crate::description::*;

pub(crate) static DESCRIPTION: Description = Description {
    name: "braze-data-export",
    title: "Braze dashboard data export",
    source: braze::SOURCE,
    identity: Identity::OwnRole { fixed: None },
    trust: braze::TRUST,
    external_id: braze::EXTERNAL_ID,
    folder: Folder::Required,
    grants: braze::EXPORT_GRANTS,
    placement: Placement::IdentityPolicy,
    scope: ScopeRule::Choice {
        default: Scope::Bucket,
    },
    encryption: braze::ENCRYPTION,
    preflight: Preflight {
        object_lock_unsupported: None,
        regions: Regions::Any,
    },
    access_key: braze::ACCESS_KEY,
    outputs: braze::OUTPUTS,
};
