//! Unit tests of what the public API cannot reach: how backend failures read.

use super::*;

#[test]
fn a_failed_save_names_the_file_and_reads_as_a_sentence() {
    let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
    let e = DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(
        BitMapBackendError::IOError(io),
    ));
    let msg = backend_err(Path::new("out/loss.png"), e).to_string();
    assert_eq!(msg, "plot failed: out/loss.png: No space left on device");
}
