//! Braze Currents: events streamed into the bucket; the folder defaults to `currents`
//! (Braze's default), and Object Lock buckets are refused. See `braze.rs` for what the three Braze exports share.

use crate::braze;
use crate::description::*;

pub(crate) static DESCRIPTION: Description = braze::export(
    "braze-currents",
    "Braze Currents",
    Folder::Default("currents"),
    braze::CURRENTS_GRANTS,
    Some("Braze Currents does not support buckets with Object Lock (its current docs)"),
);
