//! The one integration-test crate: each module tests one area of constnet.

mod scratch; // helper: unique temp directories

mod csv;
mod data;
mod metrics;
mod synthetic;
