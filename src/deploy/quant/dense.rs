//! [`QDense`]: the int8 fully connected layer.

use super::{LOGIT_FRACTION_BITS, QLogits, QNet};

/// An int8 fully connected layer with `IN` inputs and `OUT` outputs, activation fused.
///
/// For each output `c`, with `x` the int8 input:
///
/// ```text
/// acc  = bias[c] + Σ_j w[c][j] · x[j]                      (int32)
/// y[c] = clamp(((acc · mult[c] + 2^(shift[c]−1)) >> shift[c]) + zero, min, 127)   (64-bit product)
/// ```
///
/// `w` is row-major (`OUT` rows of `IN`, PyTorch's order), so each output's dot product
/// reads consecutive bytes. `mult[c] · 2^−shift[c]` is the real rescaling
/// `s_in · s_w[c] / s_out`; `min` is `zero` after a fused ReLU, −128 otherwise. The
/// quantizer ([`quantize`](super::quantize)) guarantees the int32 sum cannot overflow;
/// for hand-built layers it wraps, as the device's arithmetic would.
///
/// ```
/// use constnet::quant::{QDense, QNet};
/// // Two outputs of 2 inputs; the second is ReLU-clamped at its zero point 0.
/// let layer = QDense::<2, 2> {
///     w: [[1, 2], [-1, -1]],
///     bias: [0, 0],
///     mult: [1 << 30; 2], // × 2³⁰ · 2⁻³⁰ = × 1
///     shift: [30; 2],
///     zero: 0,
///     min: 0,
/// };
/// assert_eq!(layer.run(&[3, 4]), [11, 0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct QDense<const IN: usize, const OUT: usize> {
    /// Weights, `OUT` rows of `IN` int8 values, symmetric (zero point 0).
    pub w: [[i8; IN]; OUT],
    /// Bias per output at scale `s_in · s_w[c]`, the input zero point's term folded in.
    pub bias: [i32; OUT],
    /// Fixed-point multiplier per output, in `[2³⁰, 2³¹)` (or 0).
    pub mult: [i32; OUT],
    /// Right shift per output, 1…62 (other values are clamped into that range).
    pub shift: [u8; OUT],
    /// The output's zero point.
    pub zero: i8,
    /// The lowest output: `zero` after a fused ReLU, −128 otherwise.
    pub min: i8,
}

impl<const IN: usize, const OUT: usize> QNet for QDense<IN, OUT> {
    type Input = [i8; IN];
    type Output = [i8; OUT];

    fn run(&self, x: &[i8; IN]) -> [i8; OUT] {
        let mut y = [0i8; OUT];
        for (c, out) in y.iter_mut().enumerate() {
            let acc = dot(&self.w[c], x).wrapping_add(self.bias[c]);
            *out = requantize(acc, self.mult[c], self.shift[c], self.zero, self.min);
        }
        y
    }
}

impl<const IN: usize, const OUT: usize> QLogits<OUT> for QDense<IN, OUT> {
    fn logits(&self, x: &[i8; IN]) -> [i32; OUT] {
        let mut y = [0i32; OUT];
        for (c, out) in y.iter_mut().enumerate() {
            let acc = dot(&self.w[c], x).wrapping_add(self.bias[c]);
            *out = requantize_fine(acc, self.mult[c], self.shift[c], self.zero, self.min);
        }
        y
    }
}

/// `Σ w[j] · x[j]` in int32 (each product fits in 15 bits; the quantizer bounds the sum).
#[inline]
fn dot<const N: usize>(w: &[i8; N], x: &[i8; N]) -> i32 {
    w.iter().zip(x).fold(0i32, |acc, (&w, &x)| {
        acc.wrapping_add(i32::from(w) * i32::from(x))
    })
}

/// Rescales an int32 accumulator to int8: `acc · mult · 2^−shift`, rounded half up, plus
/// the zero point, clamped to `min…127`.
#[inline]
pub(super) fn requantize(acc: i32, mult: i32, shift: u8, zero: i8, min: i8) -> i8 {
    let shift = u32::from(shift).clamp(1, 62);
    let scaled = (i64::from(acc) * i64::from(mult) + (1i64 << (shift - 1))) >> shift;
    // |acc · mult| < 2⁶², so `scaled` fits in 61 bits: clamp before narrowing.
    let y = scaled.clamp(-512, 512) as i32 + i32::from(zero);
    y.clamp(i32::from(min), 127) as i8
}

/// [`requantize`] without the rounding to an integer step and without the ceiling at 127:
/// `acc · mult · 2^−shift` in units of 2^−[`LOGIT_FRACTION_BITS`] of a step (rounded half
/// up at that resolution, the product bounded to ±2³⁰), plus the zero point, floored at
/// `min` (a fused ReLU's 0; −128 otherwise), all scaled by 2^`LOGIT_FRACTION_BITS`.
#[inline]
pub(super) fn requantize_fine(acc: i32, mult: i32, shift: u8, zero: i8, min: i8) -> i32 {
    const F: u32 = LOGIT_FRACTION_BITS;
    const BOUND: i64 = 1 << 30;
    let shift = u32::from(shift).clamp(1, 62);
    // |acc · mult| < 2⁶².
    let p = i64::from(acc) * i64::from(mult);
    let scaled = if shift > F {
        let s = shift - F;
        (p + (1i64 << (s - 1))) >> s
    } else {
        // A multiplier ≥ 2¹⁴ (no calibrated layer has one): bounded first, so the left
        // shift (at most F) cannot overflow.
        p.clamp(-BOUND, BOUND) << (F - shift)
    };
    let y = scaled.clamp(-BOUND, BOUND) + (i64::from(zero) << F);
    // |y| ≤ 2³⁰ + 2²³ fits in i32.
    y.max(i64::from(min) << F) as i32
}

#[cfg(test)]
mod tests {
    use super::{requantize, requantize_fine};

    #[test]
    fn requantize_rounds_half_up_and_clamps() {
        // × 1/2
        let half = |acc| requantize(acc, 1 << 30, 31, 0, -128);
        assert_eq!([half(3), half(-3), half(5), half(-5)], [2, -1, 3, -2]);
        assert_eq!(half(1000), 127);
        assert_eq!(half(-1000), -128);
        assert_eq!(requantize(-1000, 1 << 30, 31, 5, 5), 5); // ReLU floor
        assert_eq!(requantize(i32::MAX, i32::MAX, 0, 0, -128), 127); // shift clamped to 1
    }

    #[test]
    fn fine_requantization_keeps_what_int8_rounds_away() {
        let one = 1 << 16;
        // × 1/2: 3 → 1.5 (int8: 2), −3 → −1.5 (int8: −1); no ceiling at 127.
        let half = |acc| requantize_fine(acc, 1 << 30, 31, 0, -128);
        assert_eq!(
            [half(3), half(-3), half(1000)],
            [3 * one / 2, -3 * one / 2, 500 * one]
        );
        // Two accumulators that int8 ties (both round to 2) stay apart.
        assert_eq!(
            [
                requantize(3, 1 << 30, 31, 0, -128),
                requantize(4, 1 << 30, 31, 0, -128)
            ],
            [2, 2]
        );
        assert!(half(3) < half(4));
        // Zero point added, floor at `min` (a ReLU's zero point), the product bounded.
        assert_eq!(requantize_fine(-1000, 1 << 30, 31, 5, 5), 5 * one);
        assert_eq!(requantize_fine(10, 1 << 30, 31, 5, 5), 10 * one);
        assert_eq!(requantize_fine(i32::MAX, i32::MAX, 1, 0, -128), 1 << 30);
        assert_eq!(
            requantize_fine(-1_000_000_000, 1 << 30, 31, 0, -128),
            -128 * one
        );
        // Within half an int8 step of `requantize` wherever that is not clamped.
        for acc in (-70_000..70_000).step_by(37) {
            for (mult, shift) in [(1 << 30, 40), (1_500_000_000, 38), (2_000_000_000, 45)] {
                let q = i32::from(requantize(acc, mult, shift, -3, -128));
                let f = requantize_fine(acc, mult, shift, -3, -128);
                if q > -128 && q < 127 {
                    assert!(
                        (f - q * one).abs() <= one / 2,
                        "{acc} {mult} {shift}: {f} vs {q}"
                    );
                }
            }
        }
    }
}
