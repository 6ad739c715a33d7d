//! Float dtypes to `f64`, exactly: every `F16`, `BF16` and `F32` value is an `f64` value, so
//! the only rounding on import is the final `f64 → f32` of an `F64` file into an `f32`
//! network (Rust's `as`: to nearest, ties to even).

use ::safetensors::Dtype;

/// Decodes one little-endian element (exactly as many bytes as the dtype's size).
pub(crate) type Decode = fn(&[u8]) -> f64;

/// Bytes per element and a decoder to `f64`, for the dtypes constnet reads.
pub(crate) fn decoder(dtype: Dtype) -> Option<(usize, Decode)> {
    Some(match dtype {
        Dtype::F32 => (4, |b| {
            f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }),
        Dtype::F64 => (8, |b| {
            f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }),
        Dtype::F16 => (2, |b| f16_to_f64(u16::from_le_bytes([b[0], b[1]]))),
        // bfloat16 is the top half of an f32.
        Dtype::BF16 => (2, |b| {
            f64::from(f32::from_bits(
                u32::from(u16::from_le_bytes([b[0], b[1]])) << 16,
            ))
        }),
        _ => return None,
    })
}

/// IEEE 754 binary16 to `f64` (exact; NaN payloads are not kept).
pub(crate) fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    sign * match exp {
        0 => frac * pow2(-24), // subnormal: frac · 2^-10 · 2^-14
        0x1f if frac == 0.0 => f64::INFINITY,
        0x1f => f64::NAN,
        _ => (1024.0 + frac) * pow2(exp - 25), // (1 + frac/2^10) · 2^(exp-15)
    }
}

/// `2^e` for the small exponents above (exact).
fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_corner_values() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x7bff), 65504.0); // largest finite
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f64(0x0400), 2f64.powi(-14)); // smallest normal
        assert_eq!(f16_to_f64(0x3555), 0.333_251_953_125);
        assert_eq!(f16_to_f64(0x8000).to_bits(), (-0.0f64).to_bits());
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn bf16_is_the_top_half_of_f32() {
        let (size, dec) = decoder(Dtype::BF16).unwrap();
        assert_eq!(size, 2);
        assert_eq!(dec(&0x3f80u16.to_le_bytes()), 1.0);
        assert_eq!(dec(&0xc049u16.to_le_bytes()), -3.140625);
    }
}
