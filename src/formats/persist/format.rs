//! The byte layout of format version 1 (described in the [parent module](super)):
//! writing it into a buffer and reading it back, without allocating.

use super::FormatError;
use super::crc32::crc32;
use crate::{Params, Real};

/// The first 8 bytes of every model file.
pub(crate) const MAGIC: [u8; 8] = *b"constnet";
/// The format version of a file without metadata (what [`write`] writes).
pub(crate) const VERSION: u32 = 1;
/// The format version of a file with a metadata block (see `persist::encode_with`).
pub(crate) const VERSION_META: u32 = 2;
/// The most metadata bytes a file may hold: far more than names and settings need.
pub(crate) const MAX_META: usize = 1 << 20;
/// Magic, version, scalar tag, tensor count.
const FIXED_HEADER: usize = 8 + 4 + 4 + 4;
/// The trailing CRC-32.
const CHECKSUM: usize = 4;

type R<T> = core::result::Result<T, FormatError>;

/// `T::NAME`, NUL-padded to 4 bytes.
fn tag<T: Real>() -> [u8; 4] {
    let mut tag = [0; 4];
    let name = T::NAME.as_bytes();
    let n = name.len().min(4);
    tag[..n].copy_from_slice(&name[..n]);
    tag
}

/// What the byte layout needs of a network type, as values: its tensor count and shapes.
/// The reading and writing code takes this, not the type, so it is compiled once per
/// scalar type rather than once per network (a tool built for many widths links one copy).
#[derive(Clone, Copy)]
struct Shapes {
    tensors: usize,
    shape: fn(usize) -> (usize, usize),
}

impl Shapes {
    fn of<T: Real, N: Params<T>>() -> Shapes {
        Shapes {
            tensors: N::TENSORS,
            shape: N::shape,
        }
    }

    /// Length in bytes of the network encoded with scalar `T` (saturating: never panics).
    fn encoded_len<T: Real>(self) -> usize {
        let values = (0..self.tensors).fold(0usize, |acc, i| {
            let (r, c) = (self.shape)(i);
            acc.saturating_add(r.saturating_mul(c))
        });
        FIXED_HEADER
            .saturating_add(self.tensors.saturating_mul(8))
            .saturating_add(values.saturating_mul(T::BYTES))
            .saturating_add(CHECKSUM)
    }

    /// Checks that tensor `tensor` holds as many values as its shape says.
    fn check_len(self, tensor: usize, found: usize) -> R<()> {
        let (rows, cols) = (self.shape)(tensor);
        let expected = rows.saturating_mul(cols);
        if found == expected {
            Ok(())
        } else {
            Err(FormatError::TensorLength {
                tensor,
                expected,
                found,
            })
        }
    }
}

/// A network's tensors behind a trait object, for the code compiled once per scalar type.
trait Tensors<T> {
    fn get(&self, i: usize) -> &[T];
    fn get_mut(&mut self, i: usize) -> &mut [T];
}

impl<T: Real, N: Params<T>> Tensors<T> for N {
    fn get(&self, i: usize) -> &[T] {
        self.tensor(i)
    }
    fn get_mut(&mut self, i: usize) -> &mut [T] {
        self.tensor_mut(i)
    }
}

/// Length in bytes of network `N` encoded with scalar `T` (saturating: never panics).
pub(crate) fn encoded_len<T: Real, N: Params<T>>() -> usize {
    Shapes::of::<T, N>().encoded_len::<T>()
}

/// The IEEE-754 bits of `v` in the low `T::BYTES` bytes (exact: `f32 → f64 → f32` is lossless).
pub(crate) fn bits<T: Real>(v: T) -> u64 {
    if T::BYTES == 4 {
        u64::from((v.as_f64() as f32).to_bits())
    } else {
        v.as_f64().to_bits()
    }
}

/// The value with IEEE-754 bits `bits` (of width `T::BYTES`), and whether it is finite.
fn from_bits<T: Real>(bits: u64) -> (T, bool) {
    if T::BYTES == 4 {
        let v = f32::from_bits(bits as u32);
        (T::cast(f64::from(v)), v.is_finite())
    } else {
        let v = f64::from_bits(bits);
        (T::cast(v), v.is_finite())
    }
}

fn to_u32(value: usize) -> R<u32> {
    u32::try_from(value).map_err(|_| FormatError::TooLarge { value })
}

/// Writes `net` into the front of `buf`; returns the number of bytes written.
pub(crate) fn write<T: Real, N: Params<T>>(net: &N, buf: &mut [u8]) -> R<usize> {
    write_dyn(Shapes::of::<T, N>(), net, buf)
}

/// [`write`], compiled once per scalar type.
fn write_dyn<T: Real>(shapes: Shapes, net: &dyn Tensors<T>, buf: &mut [u8]) -> R<usize> {
    let needed = shapes.encoded_len::<T>();
    if buf.len() < needed {
        return Err(FormatError::BufferTooSmall {
            needed,
            found: buf.len(),
        });
    }
    let mut w = Writer { buf, pos: 0 };
    w.put(&MAGIC)?;
    w.put(&VERSION.to_le_bytes())?;
    w.put(&tag::<T>())?;
    w.put(&to_u32(shapes.tensors)?.to_le_bytes())?;
    for i in 0..shapes.tensors {
        let (rows, cols) = (shapes.shape)(i);
        w.put(&to_u32(rows)?.to_le_bytes())?;
        w.put(&to_u32(cols)?.to_le_bytes())?;
    }
    for i in 0..shapes.tensors {
        let values = net.get(i);
        shapes.check_len(i, values.len())?;
        for (index, &v) in values.iter().enumerate() {
            if !v.finite() {
                return Err(FormatError::NonFinite { tensor: i, index });
            }
            w.put(&bits(v).to_le_bytes()[..T::BYTES])?;
        }
    }
    let crc = crc32(&w.buf[..w.pos]);
    w.put(&crc.to_le_bytes())?;
    Ok(w.pos)
}

/// Reads a network of type `N` from exactly `bytes`; returns it and the file's metadata
/// block (empty for version 1).
///
/// Checks, in order: magic, version, scalar type, tensor count, shapes (so bytes made for
/// another network name the difference), length, checksum, then every value's finiteness.
pub(crate) fn read<T: Real, N: Params<T>>(bytes: &[u8]) -> R<(N, &[u8])> {
    let mut net = N::zeros();
    let meta = read_dyn(Shapes::of::<T, N>(), &mut net, bytes)?;
    Ok((net, meta))
}

/// [`read`] into `net`'s tensors, compiled once per scalar type.
fn read_dyn<'b, T: Real>(shapes: Shapes, net: &mut dyn Tensors<T>, bytes: &'b [u8]) -> R<&'b [u8]> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    let expected = shapes.encoded_len::<T>();
    let head = &bytes[..bytes.len().min(MAGIC.len())];
    if head != &MAGIC[..head.len()] {
        return Err(FormatError::BadMagic);
    }
    let mut r = Reader {
        bytes,
        pos: 0,
        expected,
    };
    r.take(MAGIC.len())?;
    let version = r.u32()?;
    if version != VERSION && version != VERSION_META {
        return Err(FormatError::UnsupportedVersion {
            found: version,
            supported: VERSION_META,
        });
    }
    let found: [u8; 4] = r.array()?;
    if found != tag::<T>() {
        return Err(FormatError::ScalarType {
            expected: T::NAME,
            found,
        });
    }
    let count = r.u32()?;
    if u64::from(count) != shapes.tensors as u64 {
        return Err(FormatError::TensorCount {
            expected: shapes.tensors,
            found: count,
        });
    }
    for tensor in 0..shapes.tensors {
        let found = (r.u32()?, r.u32()?);
        let expected = (shapes.shape)(tensor);
        if (u64::from(found.0), u64::from(found.1)) != (expected.0 as u64, expected.1 as u64) {
            return Err(FormatError::Shape {
                tensor,
                expected,
                found,
            });
        }
    }
    // Version 2: a metadata block (its length, then the block) between values and checksum.
    let values_end = expected - CHECKSUM;
    let meta_len = if version == VERSION_META {
        let field = bytes
            .get(values_end..values_end + 4)
            .ok_or(FormatError::Truncated {
                expected: expected + 4,
                found: bytes.len(),
            })?;
        let m = u32::from_le_bytes([field[0], field[1], field[2], field[3]]) as usize;
        if m > MAX_META {
            return Err(FormatError::MetadataTooLarge {
                bytes: m,
                max: MAX_META,
            });
        }
        4 + m
    } else {
        0
    };
    let expected = expected + meta_len;
    r.expected = expected;
    if bytes.len() > expected {
        return Err(FormatError::TrailingBytes {
            expected,
            found: bytes.len(),
        });
    }
    if bytes.len() < expected {
        return Err(FormatError::Truncated {
            expected,
            found: bytes.len(),
        });
    }
    // Now `bytes.len() == expected`, which is at least FIXED_HEADER + CHECKSUM.
    let body = &bytes[..expected - CHECKSUM];
    let stored = Reader {
        bytes,
        pos: body.len(),
        expected,
    }
    .u32()?;
    let computed = crc32(body);
    if stored != computed {
        return Err(FormatError::Checksum { stored, computed });
    }
    for tensor in 0..shapes.tensors {
        let values = net.get_mut(tensor);
        shapes.check_len(tensor, values.len())?;
        for (index, v) in values.iter_mut().enumerate() {
            let mut le = [0u8; 8];
            le[..T::BYTES].copy_from_slice(r.take(T::BYTES)?);
            let (value, finite) = from_bits::<T>(u64::from_le_bytes(le));
            if !finite {
                return Err(FormatError::NonFinite { tensor, index });
            }
            *v = value;
        }
    }
    Ok(&bytes[values_end + meta_len.min(4)..values_end + meta_len])
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> R<()> {
        let end = self.pos.saturating_add(bytes.len());
        let found = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(FormatError::BufferTooSmall { needed: end, found })?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The full length the model needs, for [`FormatError::Truncated`].
    expected: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        let bytes = self
            .bytes
            .get(self.pos..end)
            .ok_or(FormatError::Truncated {
                expected: self.expected,
                found: self.bytes.len(),
            })?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const K: usize>(&mut self) -> R<[u8; K]> {
        let mut out = [0; K];
        out.copy_from_slice(self.take(K)?);
        Ok(out)
    }

    fn u32(&mut self) -> R<u32> {
        self.array().map(u32::from_le_bytes)
    }
}
