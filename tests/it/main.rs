//! Integration tests.
mod optim;
