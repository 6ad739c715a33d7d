//! constnet's benchmarks live beside this file (`cargo bench -p constnet-benches`); this
//! library is empty, the package's required target.
