//! Firmware export: a trained network as Rust source, for a `#![no_std]` crate to
//! `include!`.
//!
//! [`encode`] writes two items: `pub type Model` (the network's exact type) and
//! `pub const MODEL: Model` (its trained value), built as a constant expression with
//! [`chain!`](macro@crate::chain) and [`Dense::from_rows`] (row-major, as PyTorch orders weights),
//! so the weights live in the binary's read-only data and the firmware needs no
//! allocator, no file system and no parsing. Every value is written as its exact bits
//! (`f32::from_bits(0x3f800000)`), so the firmware computes bit-for-bit what the trained
//! network computes on the same target. Paths go through `constnet::` (and its re-exported
//! `constnet::nalgebra`), so the firmware crate depends on constnet alone (with
//! `default-features = false`).
//!
//! ```
//! use constnet::{export, net, Dense, Init, InitScheme, Relu};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let model: net![Dense<1, 2>, Relu, Dense<2, 1>] =
//!     Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(0), InitScheme::He);
//! let src = export::encode(&model);
//! assert!(src.contains(
//!     "pub type Model = constnet::net![constnet::Dense<1, 2, f32>, constnet::Relu, \
//!      constnet::Dense<2, 1, f32>];"
//! ));
//! assert!(src.contains("pub const MODEL: Model = constnet::chain![\n    constnet::Dense::from_rows("));
//! ```
//!
//! In the firmware crate (see `firmware/` in the repository):
//!
//! ```text
//! #![no_std]
//! include!("model.rs"); // written by export::save
//!
//! static NET: Model = MODEL; // one copy, in flash
//!
//! pub fn predict(x: f32) -> f32 {
//!     use constnet::Forward;
//!     NET.forward(&constnet::nalgebra::SVector::from([x]))[0]
//! }
//! ```
//!
//! Layers describe themselves through [`ExportRs`], implemented for [`Dense`], every
//! [`Activation`] and [`Chain`]. A layer of your own gets it from
//! [`params!`](crate::params) (a struct literal of its fields, under its
//! `core::any::type_name`), or implements it in a few lines with the public
//! [`write_scalar`] and [`write_matrix`] helpers (see [`ExportRs`]).

use core::fmt::{self, Write};

use crate::layer::{Layer, Net, OutOf};
use crate::persist::bits;
use crate::{Activation, Chain, Dense, Real};

/// A layer or network that can write itself as Rust source: its type, and its value as a
/// constant expression.
///
/// ```
/// use constnet::{export::ExportRs, Dense, Relu};
/// let mut ty = String::new();
/// <Dense<2, 3, f64> as ExportRs<f64>>::write_type(&mut ty)?;
/// assert_eq!(ty, "constnet::Dense<2, 3, f64>");
/// let mut value = String::new();
/// ExportRs::<f32>::write_value(&Relu, &mut value, 0)?;
/// assert_eq!(value, "constnet::Relu");
/// # Ok::<(), core::fmt::Error>(())
/// ```
///
/// A layer of your own writes its type path (one the firmware crate can name, e.g. from a
/// crate both share) and its value:
///
/// ```
/// use constnet::export::{ExportRs, write_scalar};
/// use core::fmt::{self, Write};
///
/// /// `y = s·x` with one learnable factor.
/// struct Gain { s: f32 }
///
/// impl ExportRs<f32> for Gain {
///     fn write_type(f: &mut dyn Write) -> fmt::Result {
///         f.write_str("my_layers::Gain")
///     }
///     fn write_value(&self, f: &mut dyn Write, _indent: usize) -> fmt::Result {
///         f.write_str("my_layers::Gain { s: ")?;
///         write_scalar(f, self.s)?;
///         f.write_str(" }")
///     }
/// }
/// let mut src = String::new();
/// Gain { s: 1.0 }.write_value(&mut src, 0)?;
/// assert_eq!(src, "my_layers::Gain { s: f32::from_bits(0x3f800000) }");
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub trait ExportRs<T: Real> {
    /// Writes the type, with paths starting at `constnet::`.
    fn write_type(f: &mut dyn Write) -> fmt::Result;
    /// Writes the value as a constant expression. Continuation lines are indented by
    /// `indent` levels (4 spaces each); the first line is not indented.
    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result;

    /// Writes the type as the items of a `net![…]` list: itself, unless it is a
    /// [`Chain`] (which lists its parts). Leave the default.
    fn write_type_items(f: &mut dyn Write) -> fmt::Result {
        Self::write_type(f)
    }

    /// Writes the value as the items of a `chain![…]` list, one per line at `indent`:
    /// itself, unless it is a [`Chain`]. Leave the default.
    fn write_value_items(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        pad(f, indent)?;
        self.write_value(f, indent)?;
        f.write_str(",\n")
    }
}

/// Writes `indent` levels of indentation (4 spaces each), for multi-line values.
///
/// # Errors
/// Only what `f` returns.
pub fn pad(f: &mut dyn Write, indent: usize) -> fmt::Result {
    (0..indent).try_for_each(|_| f.write_str("    "))
}

/// How many values go on one line of a column.
const PER_LINE: usize = 4;

/// Writes a column-major matrix with `rows` rows as `SMatrix::from_array_storage(...)`:
/// `ArrayStorage` holds columns, `[[T; R]; C]`.
///
/// ```
/// let mut s = String::new();
/// constnet::export::write_matrix(&mut s, &[1.0f32, 2.0], 2, 0)?;
/// assert!(s.starts_with("constnet::nalgebra::SMatrix::from_array_storage"));
/// # Ok::<(), core::fmt::Error>(())
/// ```
///
/// # Errors
/// Only what `f` returns.
pub fn write_matrix<T: Real>(
    f: &mut dyn Write,
    values: &[T],
    rows: usize,
    indent: usize,
) -> fmt::Result {
    f.write_str(
        "constnet::nalgebra::SMatrix::from_array_storage(constnet::nalgebra::ArrayStorage([\n",
    )?;
    for column in values.chunks(rows.max(1)) {
        pad(f, indent + 1)?;
        write_array(f, column, indent + 1)?;
        f.write_str(",\n")?;
    }
    pad(f, indent)?;
    f.write_str("]))")
}

/// `f32::from_bits(0x3f800000)`: exact, and usable in a `const`.
///
/// ```
/// let mut s = String::new();
/// constnet::export::write_scalar(&mut s, 1.0f32)?;
/// assert_eq!(s, "f32::from_bits(0x3f800000)");
/// # Ok::<(), core::fmt::Error>(())
/// ```
///
/// # Errors
/// Only what `f` returns.
pub fn write_scalar<T: Real>(f: &mut dyn Write, v: T) -> fmt::Result {
    let width = 2 + 2 * T::BYTES;
    write!(f, "{}::from_bits({:#0width$x})", T::NAME, bits(v))
}

impl<const IN: usize, const OUT: usize, T: Real> ExportRs<T> for Dense<IN, OUT, T> {
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        write!(f, "constnet::Dense<{IN}, {OUT}, {}>", T::NAME)
    }

    /// `constnet::Dense::from_rows([row, …], [bias])`: rows of `W` as PyTorch orders them.
    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        f.write_str("constnet::Dense::from_rows(\n")?;
        pad(f, indent + 1)?;
        f.write_str("[\n")?;
        for o in 0..OUT {
            let row: [T; IN] = core::array::from_fn(|i| self.w[(o, i)]);
            pad(f, indent + 2)?;
            write_array(f, &row, indent + 2)?;
            f.write_str(",\n")?;
        }
        pad(f, indent + 1)?;
        f.write_str("],\n")?;
        pad(f, indent + 1)?;
        write_array(f, self.b.as_slice(), indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent)?;
        f.write_char(')')
    }
}

/// `[v, v, …]`: on one line if it fits [`PER_LINE`] values, else [`PER_LINE`] values a line
/// at `indent + 1`.
pub(crate) fn write_array<T: Real>(f: &mut dyn Write, values: &[T], indent: usize) -> fmt::Result {
    if values.len() <= PER_LINE {
        f.write_char('[')?;
        for (i, &v) in values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_scalar(f, v)?;
        }
        return f.write_char(']');
    }
    f.write_str("[\n")?;
    for line in values.chunks(PER_LINE) {
        pad(f, indent + 1)?;
        for (i, &v) in line.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write_scalar(f, v)?;
            f.write_char(',')?;
        }
        f.write_char('\n')?;
    }
    pad(f, indent)?;
    f.write_char(']')
}

/// Every [`Activation`]: the path and value it writes ([`Activation::write_type`],
/// [`Activation::write_value`], on one line).
impl<T: Real, A: Activation> ExportRs<T> for A {
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        <A as Activation>::write_type(f)
    }

    fn write_value(&self, f: &mut dyn Write, _: usize) -> fmt::Result {
        <A as Activation>::write_value(self, f)
    }
}

/// A matrix or vector: `SMatrix::from_array_storage(…)`, every value as its bits, so a
/// struct of them (see [`params!`](crate::params)) exports as a struct literal.
impl<T: Real, const R: usize, const C: usize> ExportRs<T> for nalgebra::SMatrix<T, R, C> {
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        write!(f, "constnet::nalgebra::SMatrix<{}, {R}, {C}>", T::NAME)
    }

    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        write_matrix(f, self.as_slice(), R, indent)
    }
}

/// `constnet::net![…]` and `constnet::chain![…]`: a network as its list of layers.
impl<A, B> ExportRs<A::Scalar> for Chain<A, B>
where
    A: Net + ExportRs<A::Scalar>,
    B: Layer<OutOf<A>, A::Scalar> + ExportRs<A::Scalar>,
{
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        f.write_str("constnet::net![")?;
        Self::write_type_items(f)?;
        f.write_char(']')
    }

    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        f.write_str("constnet::chain![\n")?;
        self.write_value_items(f, indent + 1)?;
        pad(f, indent)?;
        f.write_char(']')
    }

    // Only `first` is flattened: `net!`/`chain!` nest to the left, so a chain in `second`
    // stays one item (its own `net![…]`).
    fn write_type_items(f: &mut dyn Write) -> fmt::Result {
        A::write_type_items(f)?;
        f.write_str(", ")?;
        B::write_type(f)
    }

    fn write_value_items(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        self.first.write_value_items(f, indent)?;
        pad(f, indent)?;
        self.second.write_value(f, indent)?;
        f.write_str(",\n")
    }
}

/// Writes the whole generated file (header comment, `Model`, `MODEL`) to `f`, without
/// allocating: an exporter can stream it out of a device.
///
/// ```
/// use constnet::{export, Dense, Identity, Net};
/// let net = Dense::<1, 1>::from_slices(&[1.0], &[-0.5])?.then(Identity);
/// let mut src = String::new();
/// export::encode_into(&net, &mut src).unwrap();
/// assert!(src.contains("f32::from_bits(0x3f800000)")); // 1.0
/// assert!(src.contains("f32::from_bits(0xbf000000)")); // -0.5
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// Only what `f` returns.
pub fn encode_into<T: Real, N: ExportRs<T>>(net: &N, f: &mut dyn Write) -> fmt::Result {
    f.write_str(
        "// Generated by `constnet::export`: a trained network as Rust source, every value\n\
         // written as its exact bits. Do not edit; export the network again instead.\n\
         \n\
         /// The network's type.\n\
         pub type Model = ",
    )?;
    N::write_type(f)?;
    f.write_str(
        ";\n\
         \n\
         /// The trained network, built at compile time.\n\
         pub const MODEL: Model = ",
    )?;
    net.write_value(f, 0)?;
    f.write_str(";\n")
}

/// The generated file as a string (needs the `alloc` feature); see the [module docs](self).
#[cfg(feature = "alloc")]
pub fn encode<T: Real, N: ExportRs<T>>(net: &N) -> alloc::string::String {
    let mut src = alloc::string::String::new();
    // Writing to a String never fails.
    let _ = encode_into(net, &mut src);
    src
}

/// Writes the generated file to `path` atomically (temporary file, fsync, rename; needs
/// `std`).
///
/// ```
/// use constnet::{export, Dense};
/// let path = std::env::temp_dir().join(format!("constnet-doc-model-{}.rs", std::process::id()));
/// export::save(&Dense::<2, 1>::zeros(), &path)?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), export::encode(&Dense::<2, 1>::zeros()));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::NonFinite`](crate::Error::NonFinite) if a parameter is NaN or infinite (as
/// [`persist::save`](crate::persist::save), it refuses to ship a broken network);
/// [`Error::Io`](crate::Error::Io) naming the path if it cannot be written. On error `path`
/// is left as it was.
#[cfg(feature = "std")]
pub fn save<T: Real, N: ExportRs<T> + crate::Params<T>>(
    net: &N,
    path: impl AsRef<std::path::Path>,
) -> crate::Result<()> {
    if let Some(index) = (0..N::TENSORS).position(|i| net.tensor(i).iter().any(|v| !v.finite())) {
        return Err(crate::Error::NonFinite {
            what: "network parameters (tensor)",
            index,
        });
    }
    crate::fsutil::write_bytes_atomic(path.as_ref(), encode(net).as_bytes())
}
