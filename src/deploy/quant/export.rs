//! A quantized network as `no_std` Rust source (see [`crate::export`] for the `f32` form).

use core::fmt::{self, Write};

use super::{QChain, QDense, QEdge, QModel, QNet};

/// A quantized layer or network that can write itself as Rust source.
///
/// ```
/// use constnet::quant::{QDense, QExportRs};
/// let mut ty = String::new();
/// <QDense<2, 3> as QExportRs>::write_type(&mut ty)?;
/// assert_eq!(ty, "constnet::quant::QDense<2, 3>");
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub trait QExportRs {
    /// Writes the type, with paths starting at `constnet::`.
    fn write_type(f: &mut dyn Write) -> fmt::Result;
    /// Writes the value as a constant expression; continuation lines are indented by
    /// `indent` levels of 4 spaces.
    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result;
}

fn pad(f: &mut dyn Write, indent: usize) -> fmt::Result {
    (0..indent).try_for_each(|_| f.write_str("    "))
}

/// Writes `[a, b, …]`: on one line up to 16 values, else 16 values a line.
fn write_list<V: fmt::Display>(f: &mut dyn Write, values: &[V], indent: usize) -> fmt::Result {
    f.write_str("[")?;
    if values.len() <= 16 {
        for (i, v) in values.iter().enumerate() {
            write!(f, "{}{v}", if i == 0 { "" } else { ", " })?;
        }
        return f.write_str("]");
    }
    for (i, v) in values.iter().enumerate() {
        if i % 16 == 0 {
            f.write_str("\n")?;
            pad(f, indent + 1)?;
        } else {
            f.write_str(" ")?;
        }
        write!(f, "{v},")?;
    }
    f.write_str("\n")?;
    pad(f, indent)?;
    f.write_str("]")
}

impl<const IN: usize, const OUT: usize> QExportRs for QDense<IN, OUT> {
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        write!(f, "constnet::quant::QDense<{IN}, {OUT}>")
    }

    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        f.write_str("constnet::quant::QDense {\n")?;
        pad(f, indent + 1)?;
        f.write_str("w: [")?;
        for row in &self.w {
            f.write_str("\n")?;
            pad(f, indent + 2)?;
            write_list(f, row, indent + 2)?;
            f.write_str(",")?;
        }
        f.write_str("\n")?;
        pad(f, indent + 1)?;
        f.write_str("],\n")?;
        for (name, list) in [("bias", &self.bias[..]), ("mult", &self.mult[..])] {
            pad(f, indent + 1)?;
            write!(f, "{name}: ")?;
            write_list(f, list, indent + 1)?;
            f.write_str(",\n")?;
        }
        pad(f, indent + 1)?;
        f.write_str("shift: ")?;
        write_list(f, &self.shift, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent + 1)?;
        writeln!(f, "zero: {},", self.zero)?;
        pad(f, indent + 1)?;
        writeln!(f, "min: {},", self.min)?;
        pad(f, indent)?;
        f.write_str("}")
    }
}

impl<A, B> QExportRs for QChain<A, B>
where
    A: QNet + QExportRs,
    B: QNet<Input = A::Output> + QExportRs,
{
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        f.write_str("constnet::quant::QChain<")?;
        A::write_type(f)?;
        f.write_str(", ")?;
        B::write_type(f)?;
        f.write_str(">")
    }

    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        f.write_str("constnet::quant::QChain {\n")?;
        pad(f, indent + 1)?;
        f.write_str("first: ")?;
        self.first.write_value(f, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent + 1)?;
        f.write_str("second: ")?;
        self.second.write_value(f, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent)?;
        f.write_str("}")
    }
}

/// `constnet::quant::QEdge { scale: [bits…], offset: [bits…], zero }`.
fn write_edge<const N: usize>(f: &mut dyn Write, e: &QEdge<N>, indent: usize) -> fmt::Result {
    f.write_str("constnet::quant::QEdge {\n")?;
    for (name, values) in [("scale", &e.scale), ("offset", &e.offset)] {
        pad(f, indent + 1)?;
        write!(f, "{name}: ")?;
        crate::export::write_array(f, values, indent + 1)?;
        f.write_str(",\n")?;
    }
    pad(f, indent + 1)?;
    writeln!(f, "zero: {},", e.zero)?;
    pad(f, indent)?;
    f.write_str("}")
}

/// Writes a quantized model as Rust source: `pub type QModel` and `pub const QMODEL`, every
/// integer as is and the edges' scales and offsets as exact `f32` bits.
///
/// ```
/// use constnet::quant::{QDense, QEdge, QModel, QParams, export::encode_into};
/// let net = QDense::<1, 1> { w: [[3]], bias: [-2], mult: [1 << 30], shift: [31], zero: 0, min: -128 };
/// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 1.0, zero: 1 }) };
/// let mut src = String::new();
/// encode_into(&m, &mut src)?;
/// assert!(src.contains("pub type QModel = constnet::quant::QModel<constnet::quant::QDense<1, 1>, 1, 1>;"));
/// assert!(src.contains("scale: [f32::from_bits(0x3f000000)],"));
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn encode_into<N, const IN: usize, const OUT: usize>(
    model: &QModel<N, IN, OUT>,
    f: &mut dyn Write,
) -> fmt::Result
where
    N: QNet<Input = [i8; IN], Output = [i8; OUT]> + QExportRs,
{
    f.write_str(
        "// Generated by `constnet::quant`: an int8 network as Rust source. Do not edit;\n\
         // quantize and export the network again instead.\n\
         \n\
         /// The quantized network's type.\n\
         pub type QModel = constnet::quant::QModel<",
    )?;
    N::write_type(f)?;
    write!(
        f,
        ", {IN}, {OUT}>;\n\
         \n\
         /// The quantized network, built at compile time.\n\
         pub const QMODEL: QModel = constnet::quant::QModel {{\n    net: "
    )?;
    model.net.write_value(f, 1)?;
    f.write_str(",\n    input: ")?;
    write_edge(f, &model.input, 1)?;
    f.write_str(",\n    output: ")?;
    write_edge(f, &model.output, 1)?;
    f.write_str(",\n};\n")
}

/// The generated file as a string (needs `alloc`); see [`encode_into`].
///
/// ```
/// use constnet::quant::{export::encode, QDense, QEdge, QModel, QParams};
/// let net = QDense::<1, 1> { w: [[3]], bias: [-2], mult: [1 << 30], shift: [31], zero: 0, min: -128 };
/// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 1.0, zero: 1 }) };
/// assert!(encode(&m).ends_with("};\n"));
/// ```
#[cfg(feature = "alloc")]
pub fn encode<N, const IN: usize, const OUT: usize>(
    model: &QModel<N, IN, OUT>,
) -> alloc::string::String
where
    N: QNet<Input = [i8; IN], Output = [i8; OUT]> + QExportRs,
{
    let mut src = alloc::string::String::new();
    // Writing to a String never fails.
    let _ = encode_into(model, &mut src);
    src
}

/// Writes [`encode`]'s text to `path` atomically (temporary file, fsync, rename).
///
/// ```
/// use constnet::quant::{export::{encode, save}, QDense, QEdge, QModel, QParams};
/// let net = QDense::<1, 1> { w: [[3]], bias: [-2], mult: [1 << 30], shift: [31], zero: 0, min: -128 };
/// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 1.0, zero: 1 }) };
/// let path = std::env::temp_dir().join(format!("constnet-doc-qmodel-{}.rs", std::process::id()));
/// save(&m, &path)?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), encode(&m));
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) naming the path if it cannot be written; `path` is then
/// left as it was.
#[cfg(feature = "std")]
pub fn save<N, const IN: usize, const OUT: usize>(
    model: &QModel<N, IN, OUT>,
    path: impl AsRef<std::path::Path>,
) -> crate::Result<()>
where
    N: QNet<Input = [i8; IN], Output = [i8; OUT]> + QExportRs,
{
    crate::fsutil::write_bytes_atomic(path.as_ref(), encode(model).as_bytes())
}
