//! Braze dashboard data export (CSV and API exports, message archiving): the Currents
//! grant plus `s3:DeleteObject`. See `braze.rs` for what the three Braze exports share.

use crate::braze;
use crate::description::*;

pub(crate) static DESCRIPTION: Description = braze::export(
    "braze-data-export",
    "Braze dashboard data export",
    Folder::Required,
    braze::EXPORT_GRANTS,
    None,
);
