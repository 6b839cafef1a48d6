//! Braze security-event export: a daily CSV of the last 24 hours of security events
//! (00:00 UTC), with the data export's grant. See `braze.rs` for what the three Braze exports share.

use crate::braze;
use crate::description::*;

pub(crate) static DESCRIPTION: Description = braze::export(
    "braze-security-events",
    "Braze security-event export",
    Folder::Required,
    braze::EXPORT_GRANTS,
    None,
);
