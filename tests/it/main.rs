//! The one integration-test crate: each module tests one area of constnet.

#[cfg(feature = "std")]
mod scratch; // helper: unique temp directories

#[cfg(feature = "std")]
mod csv;
#[cfg(feature = "std")]
mod data;
mod metrics;
#[cfg(feature = "plot")]
mod plot;
#[cfg(feature = "std")]
mod synthetic;
