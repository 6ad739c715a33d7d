//! The one integration-test crate: each module tests one area of constnet.

mod export;
mod metrics;
mod optim;
mod persist;
