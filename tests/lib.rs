//! constnet's integration tests live in `it/` (`cargo test -p constnet-tests`); this
//! library is empty, the package's required target.
