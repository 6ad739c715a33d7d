//! What a plot returns: the [`Png`] image, or a [`PlotError`].

use std::fmt;
use std::io;
use std::path::Path;

use crate::Error;

/// A drawn plot: the bytes of a complete PNG file (8-bit RGB).
///
/// Save it with [`save`](Self::save) (atomic: a crash never leaves a half-written file), or
/// take the bytes ([`as_bytes`](Self::as_bytes), [`into_bytes`](Self::into_bytes)) to
/// write them with a program's other outputs, send them, or embed them.
///
/// ```
/// let png = constnet::plot::loss_curve(&[1.0, 0.5, 0.25])?;
/// assert!(png.as_bytes().starts_with(b"\x89PNG\r\n\x1a\n"));
/// # Ok::<(), constnet::plot::PlotError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Png(Vec<u8>);

impl Png {
    /// The PNG file's bytes.
    ///
    /// ```
    /// let png = constnet::plot::loss_curve(&[1.0, 0.5])?;
    /// assert_eq!(&png.as_bytes()[1..4], b"PNG");
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The PNG file's bytes, owned.
    ///
    /// ```
    /// let png = constnet::plot::loss_curve(&[1.0, 0.5])?;
    /// let len = png.as_bytes().len();
    /// assert_eq!(png.into_bytes().len(), len);
    /// # Ok::<(), constnet::plot::PlotError>(())
    /// ```
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Writes the image to `path`, which must end in `.png` (in any case: `.PNG` too).
    ///
    /// The write is atomic ([`write_bytes_atomic`](crate::fsutil::write_bytes_atomic)):
    /// the bytes go to a temporary file next to `path`, which is synced and renamed over
    /// it, so `path` holds either its old contents or the whole new image, never part of
    /// one. The directory must exist.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("constnet-doc-save-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let png = constnet::plot::loss_curve(&[1.0, 0.4, 0.1])?;
    /// png.save(dir.join("loss.png"))?;
    /// assert!(png.save(dir.join("loss.jpg")).is_err());
    /// assert!(!dir.join("loss.jpg").exists());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`: of kind [`InvalidInput`](io::ErrorKind::InvalidInput)
    /// if its file name does not end in `.png` (nothing is written then), or the error of
    /// the write (e.g. [`NotFound`](io::ErrorKind::NotFound) for a missing directory; no
    /// temporary file is left behind).
    pub fn save(&self, path: impl AsRef<Path>) -> crate::Result<()> {
        let path = path.as_ref();
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("png") => {
                crate::fsutil::write_bytes_atomic(path, &self.0)
            }
            _ => Err(Error::Io {
                path: path.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a plot is a PNG image: the file name must end in .png",
                ),
            }),
        }
    }
}

impl AsRef<[u8]> for Png {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The size, not the bytes.
impl fmt::Debug for Png {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Png({} bytes)", self.0.len())
    }
}

/// Why a plot could not be drawn.
///
/// ```
/// use constnet::{Error, plot::{loss_curve, PlotError}};
/// let err = loss_curve(&[1.0, f64::NAN]).unwrap_err();
/// assert!(matches!(err, PlotError::Data(Error::NonFinite { what: "losses", index: 1 })));
/// assert_eq!(err.to_string(), "cannot plot: losses holds a NaN or infinite value at index 1");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PlotError {
    /// The values given cannot be drawn (empty, NaN or infinite, of mismatched lengths, a
    /// best epoch past the history…): the core [`Error`] names them.
    Data(Error),
    /// The drawing library or the PNG encoder failed (this should not happen with valid
    /// data: a bug or an exhausted resource).
    Draw(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Data(e) => write!(f, "cannot plot: {e}"),
            PlotError::Draw(msg) => write!(f, "drawing the plot failed: {msg}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Data(e) => Some(e),
            PlotError::Draw(_) => None,
        }
    }
}

impl From<Error> for PlotError {
    /// [`PlotError::Data`].
    fn from(e: Error) -> Self {
        PlotError::Data(e)
    }
}

/// A drawing failure, on one line (plotters' messages may span several).
pub(super) fn draw_err(e: impl fmt::Display) -> PlotError {
    let msg = e.to_string();
    PlotError::Draw(msg.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Encodes `rgb` (`width × height × 3` bytes, rows top to bottom) as a PNG: 8-bit RGB,
/// adaptive filtering, default compression. Deterministic: same pixels, same bytes.
pub(super) fn encode(rgb: &[u8], (width, height): (u32, u32)) -> Result<Png, PlotError> {
    let mut out = Vec::with_capacity(rgb.len() / 16);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(draw_err)?;
    writer.write_image_data(rgb).map_err(draw_err)?;
    writer.finish().map_err(draw_err)?;
    Ok(Png(out))
}
