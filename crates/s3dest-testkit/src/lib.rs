//! Tests only (`publish = false`): what the tests of several crates share to stand in
//! for AWS, and to check that whatever stands in for it behaves like it.
//!
//! - [`simulate`]: applies a plan's operations to an `Observed`, the way the AWS edge
//!   applies them to AWS (the pure planner's convergence tests).
//! - [`MemoryCloud`]: an in-memory account behind the `s3dest_aws::Cloud` trait, over
//!   [`simulate`], honouring the trait's contract; it is also its own [`Scene`].
//! - [`conformance`]: one suite of async test cases, generic over the `Cloud` under
//!   test and a [`Scene`] that sets up what the trait cannot create; run against
//!   `MemoryCloud`, against `Aws` on moto, and against `Aws` on moto through the
//!   fidelity proxy (with and without faults) by this crate's `tests/conformance.rs`.
//! - [`SdkScene`]: a [`Scene`] over plain AWS SDK clients, for moto.

pub mod conformance;
mod memory;
mod scene;
pub mod simulate;

pub use memory::MemoryCloud;
pub use scene::{Scene, SdkScene};
