//! Integration tests, all in one test crate so the library is linked once.

mod compile_fail;
