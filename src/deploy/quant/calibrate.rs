//! Post-training quantization: calibrate activation ranges on data, then quantize each
//! layer (see the [scheme](super)).

use alloc::vec::Vec;

use nalgebra::{Const, Dyn, OMatrix};

use super::{QChain, QDense, QEdge, QModel, QNet, QParams};
use crate::{
    Chain, Dense, Error, Forward, Identity, Layer, Net, Network, OutOf, Relu, Result, Scaled,
    Standardize,
};

/// An `f32` network that post-training quantization can turn into a [`QNet`]:
/// [`Dense`] layers, each optionally followed by [`Relu`] (fused into it) or
/// [`Identity`], joined by [`Chain`]. Sigmoid and tanh have no int8 form here, so a
/// network with them does not implement this trait.
///
/// ```
/// use constnet::quant::{Quantize, QParams};
/// use constnet::{Dense, nalgebra::SMatrix, nalgebra::SVector};
/// let layer = Dense::<1, 1>::new(SMatrix::from([[2.0]]), SVector::from([0.0]));
/// let input = QParams { scale: 1.0 / 64.0, zero: 0 };
/// let (q, out, y) = layer.quantize_layers(input, &[1.0, -1.0])?;
/// assert_eq!(q.w, [[127]]); // symmetric per output channel: max |w| ↦ 127
/// assert_eq!(y, vec![2.0, -2.0]); // the f32 activations, for the next layer's calibration
/// assert!((out.scale - 4.0 / 255.0).abs() < 1e-6);
/// # Ok::<(), constnet::Error>(())
/// ```
pub trait Quantize {
    /// The quantized network's type.
    type Q: QNet;

    /// Quantizes this part given its input's quantization and calibration inputs
    /// (`f32`, one sample after another). Returns the quantized part, its output's
    /// quantization and the calibration data's `f32` activations at its output.
    ///
    /// # Errors
    /// As [`quantize`].
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)>;
}

/// Quantizes `net`, calibrating every activation's range on `calib` (one sample per
/// column, typically the training inputs).
///
/// ```
/// use constnet::quant::{self, QNet};
/// use constnet::{net, Dense, Relu, nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector}};
/// let net: net![Dense<1, 2>, Relu, Dense<2, 1>] = constnet::Chain::new(
///     constnet::Chain::new(Dense::new(SMatrix::from([[1.0, -1.0]]), SVector::zeros()), Relu),
///     Dense::new(SMatrix::from([[1.0], [1.0]]), SVector::zeros()),
/// ); // |x|
/// let calib = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[-2.0, -1.0, 0.0, 1.0, 2.0]);
/// let q = quant::quantize(&net, &calib)?;
/// assert!((q.predict(&[-1.5])[0] - 1.5).abs() < 0.02);
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// [`Error::EmptyData`] without calibration samples; [`Error::NonFinite`] if a
/// calibration value, a parameter or an activation is NaN or infinite;
/// [`Error::InvalidParameter`] if a layer is too wide for its int32 sum or a bias does not
/// fit in int32 at its scale.
pub fn quantize<N, const IN: usize, const OUT: usize>(
    net: &N,
    calib: &OMatrix<f32, Const<IN>, Dyn>,
) -> Result<QModel<N::Q, IN, OUT>>
where
    N: Quantize,
    N::Q: QNet<Input = [i8; IN], Output = [i8; OUT]>,
{
    if calib.ncols() == 0 {
        return Err(Error::EmptyData);
    }
    let x = calib.as_slice();
    let input = params_for(x, "calibration inputs")?;
    let (net, output, _) = net.quantize_layers(input, x)?;
    Ok(QModel {
        net,
        input: QEdge::uniform(input),
        output: QEdge::uniform(output),
    })
}

/// Quantizes a [`Scaled`] model whole: its network is calibrated on `calib` (raw inputs,
/// one sample per column) standardized by the model's input scaler, and both scalers fold
/// into the int8 model's edges (see [`QEdge`]), so it takes raw inputs and gives raw
/// outputs like the model.
///
/// ```
/// use constnet::quant;
/// use constnet::{net, Dense, Init, InitScheme, Relu, Scaled};
/// use constnet::nalgebra::{Const, Dyn, OMatrix, SVector};
/// use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
/// use constnet::Forward;
///
/// let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(200, |_, j| 1000.0 + 20.0 * j as f32);
/// let y = x.map(|v| 3.0 * v - 500.0);
/// let inner: net![Dense<1, 8>, Relu, Dense<8, 1>] =
///     Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(2), InitScheme::He);
/// let model = Scaled::from_data(inner, &x, &y)?;
/// let q = quant::quantize_scaled(&model, &x)?;
/// let raw = 3000.0f32;
/// let (exact, approx) = (model.forward(&SVector::from([raw]))[0], q.predict(&[raw])[0]);
/// assert!((exact - approx).abs() <= 0.02 * exact.abs().max(1.0), "{exact} vs {approx}");
/// # Ok::<(), constnet::Error>(())
/// ```
///
/// # Errors
/// As [`quantize`]; [`Error::NonFinite`] if a folded scale or offset is not finite (a
/// scaler and an activation range so far apart that their product overflows `f32`).
pub fn quantize_scaled<M, const IN: usize, const OUT: usize>(
    model: &Scaled<M, IN, OUT, f32>,
    calib: &OMatrix<f32, Const<IN>, Dyn>,
) -> Result<QModel<M::Q, IN, OUT>>
where
    M: Network<IN, OUT, f32> + Quantize,
    M::Q: QNet<Input = [i8; IN], Output = [i8; OUT]>,
    Standardize<IN, f32>: Forward<f32, Const<IN>, Dyn>,
{
    let standardized =
        <Standardize<IN, f32> as Forward<f32, Const<IN>, Dyn>>::forward(&model.input, calib);
    let standardized = OMatrix::<f32, Const<IN>, Dyn>::from_column_slice(standardized.as_slice());
    let q = quantize(&model.net, &standardized)?;
    let (mean_in, std_in) = (model.input.mean.as_slice(), model.input.std.as_slice());
    let (mean_out, std_out) = (model.output.mean.as_slice(), model.output.std.as_slice());
    let input = QEdge {
        scale: core::array::from_fn(|i| q.input.scale[i] * std_in[i]),
        offset: core::array::from_fn(|i| mean_in[i]),
        zero: q.input.zero,
    };
    let output = QEdge {
        scale: core::array::from_fn(|j| q.output.scale[j] * std_out[j]),
        offset: core::array::from_fn(|j| mean_out[j]),
        zero: q.output.zero,
    };
    // Scales must be finite and non-zero (an edge divides by the input's); offsets (means,
    // 0 for an identity scaler) only finite.
    let scales = input.scale.iter().chain(&output.scale).map(|&v| (v, true));
    let offsets = input
        .offset
        .iter()
        .chain(&output.offset)
        .map(|&v| (v, false));
    let mut values = scales.chain(offsets);
    if let Some(index) = values.position(|(v, scale)| !v.is_finite() || (scale && v == 0.0)) {
        return Err(Error::NonFinite {
            what: "int8 edge scales and offsets (the scalers folded into the quantization)",
            index,
        });
    }
    Ok(QModel {
        net: q.net,
        input,
        output,
    })
}

/// Scale and zero point covering `values`' min…max widened to hold 0, over 255 steps.
fn params_for(values: &[f32], what: &'static str) -> Result<QParams> {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for (index, &v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite { what, index });
        }
        lo = lo.min(f64::from(v));
        hi = hi.max(f64::from(v));
    }
    if hi == lo {
        // All zeros: any scale represents them; 1 keeps every later ratio finite.
        return Ok(QParams {
            scale: 1.0,
            zero: 0,
        });
    }
    let scale = (hi - lo) / 255.0;
    let zero = round(-128.0 - lo / scale).clamp(-128.0, 127.0);
    Ok(QParams {
        scale: scale as f32,
        zero: zero as i8,
    })
}

/// The real multiplier `m` as `(mult, shift)` with `m ≈ mult · 2^−shift`,
/// `mult ∈ [2³⁰, 2³¹)`, shift ≤ 62 (a multiplier too small for that becomes 0).
fn multiplier(m: f64) -> (i32, u8) {
    if !(m.is_finite() && m >= f64::MIN_POSITIVE) {
        return (0, 31); // 0, negative, NaN or subnormal: nothing survives the shift anyway
    }
    // m = f · 2^e with f ∈ [0.5, 1), read from the bits (no libm needed without std).
    let bits = m.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let f = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    let mut mult = round(f * 2_147_483_648.0) as i64;
    if mult == 1 << 31 {
        mult /= 2;
        e += 1;
    }
    match 31 - e {
        shift @ 1..=62 => (mult as i32, shift as u8),
        ..=0 => (i32::MAX, 1), // m ≥ 2³⁰: saturates every int8 output anyway
        _ => (0, 31),          // m < 2⁻³²: rounds every accumulator in range to 0
    }
}

/// Rounds half away from zero (`f64::round` is not in `core`).
fn round(v: f64) -> f64 {
    if !(v.is_finite() && v > -4.5e15 && v < 4.5e15) {
        return v; // already an integer (or NaN / infinite)
    }
    let t = v as i64 as f64;
    let frac = v - t; // exact
    t + f64::from(u8::from(frac >= 0.5)) - f64::from(u8::from(frac <= -0.5))
}

/// One dense layer (with its ReLU if `relu`): quantized weights, biases and requantization
/// from `input` and the calibrated output range.
fn quantize_dense<const I: usize, const O: usize>(
    layer: &Dense<I, O, f32>,
    relu: bool,
    input: QParams,
    x: &[f32],
) -> Result<(QDense<I, O>, QParams, Vec<f32>)> {
    // The f32 activations of the calibration data at this layer's output.
    let mut y = Vec::with_capacity(x.len() / I * O);
    for sample in x.chunks_exact(I) {
        for c in 0..O {
            let mut acc = layer.b[c];
            for (j, &v) in sample.iter().enumerate() {
                acc += layer.w[(c, j)] * v;
            }
            y.push(if relu { acc.max(0.0) } else { acc });
        }
    }
    let output = params_for(&y, "calibrated activations")?;

    // The worst int32 sum: every product at 127 · 255 (input minus zero point), plus the bias.
    let bound = (I as f64) * 127.0 * 255.0;
    let mut q = QDense {
        w: [[0; I]; O],
        bias: [0; O],
        mult: [0; O],
        shift: [31; O],
        zero: output.zero,
        min: if relu { output.zero } else { -128 },
    };
    for c in 0..O {
        let mut max = 0.0f64;
        for j in 0..I {
            let w = f64::from(layer.w[(c, j)]);
            if !w.is_finite() {
                return Err(Error::NonFinite {
                    what: "network weights (row-major index)",
                    index: c * I + j,
                });
            }
            max = max.max(w.abs());
        }
        let s_w = if max > 0.0 { max / 127.0 } else { 1.0 };
        let mut sum = 0i64;
        for j in 0..I {
            let w = round(f64::from(layer.w[(c, j)]) / s_w).clamp(-127.0, 127.0) as i8;
            q.w[c][j] = w;
            sum += i64::from(w);
        }
        let s_acc = f64::from(input.scale) * s_w;
        let b = f64::from(layer.b[c]);
        if !b.is_finite() {
            return Err(Error::NonFinite {
                what: "network biases",
                index: c,
            });
        }
        let bias = round(b / s_acc) - f64::from(input.zero) * sum as f64;
        if bound >= f64::from(i32::MAX) {
            // 127 · 255 per input: beyond ~66 000 inputs the products alone can overflow.
            return Err(Error::InvalidParameter {
                name: "network",
                reason: "a layer has too many inputs for an int32 sum (at most 66 311)",
            });
        }
        if bias.abs() + bound >= f64::from(i32::MAX) {
            // The bias in units of s_acc = (input step) · (weight step): a calibration
            // range far narrower than the bias implies, or a bias large next to its row's
            // weights, puts it beyond int32.
            return Err(Error::InvalidParameter {
                name: "calibration",
                reason: "a layer's bias does not fit its int32 sum at the scale the calibration \
                         data gives the layer's inputs: calibrate on data spanning the inputs' \
                         real range (e.g. the training set), or a bias is too large for its \
                         row's weights",
            });
        }
        q.bias[c] = bias as i32;
        (q.mult[c], q.shift[c]) = multiplier(s_acc / f64::from(output.scale));
    }
    Ok((q, output, y))
}

impl<const I: usize, const O: usize> Quantize for Dense<I, O, f32> {
    type Q = QDense<I, O>;
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)> {
        quantize_dense(self, false, input, x)
    }
}

impl<const I: usize, const O: usize> Quantize for Chain<Dense<I, O, f32>, Relu> {
    type Q = QDense<I, O>;
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)> {
        quantize_dense(&self.first, true, input, x)
    }
}

impl<A, const I: usize, const O: usize> Quantize for Chain<Chain<A, Dense<I, O, f32>>, Relu>
where
    A: Net + Quantize,
    A::Q: QNet<Output = [i8; I]>,
    Dense<I, O, f32>: Layer<OutOf<A>, A::Scalar>,
{
    type Q = QChain<A::Q, QDense<I, O>>;
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)> {
        let (first, mid, x) = self.first.first.quantize_layers(input, x)?;
        let (second, out, y) = quantize_dense(&self.first.second, true, mid, &x)?;
        Ok((QChain { first, second }, out, y))
    }
}

impl<A, const I: usize, const O: usize> Quantize for Chain<A, Dense<I, O, f32>>
where
    A: Net + Quantize,
    A::Q: QNet<Output = [i8; I]>,
    Dense<I, O, f32>: Layer<OutOf<A>, A::Scalar>,
{
    type Q = QChain<A::Q, QDense<I, O>>;
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)> {
        let (first, mid, x) = self.first.quantize_layers(input, x)?;
        let (second, out, y) = quantize_dense(&self.second, false, mid, &x)?;
        Ok((QChain { first, second }, out, y))
    }
}

impl<A> Quantize for Chain<A, Identity>
where
    A: Net + Quantize,
    Identity: Layer<OutOf<A>, A::Scalar>,
{
    type Q = A::Q;
    fn quantize_layers(&self, input: QParams, x: &[f32]) -> Result<(Self::Q, QParams, Vec<f32>)> {
        self.first.quantize_layers(input, x)
    }
}

#[cfg(test)]
mod tests {
    use super::multiplier;

    #[test]
    fn multiplier_represents_the_real_value() {
        for m in [1e-9, 0.0007, 0.25, 0.3, 0.5, 0.999_999_9, 1.0, 3.7, 1000.0] {
            let (mult, shift) = multiplier(m);
            assert!((1 << 30..=i32::MAX).contains(&mult), "{m}: {mult}");
            let back = f64::from(mult) / 2f64.powi(i32::from(shift));
            assert!((back / m - 1.0).abs() < 1e-9, "{m}: {back}");
        }
        assert_eq!(multiplier(0.0), (0, 31));
        assert_eq!(multiplier(1e-30), (0, 31));
    }

    #[test]
    fn round_is_half_away_from_zero() {
        use super::round;
        for (v, r) in [
            (0.5, 1.0),
            (-0.5, -1.0),
            (0.49999, 0.0),
            (2.5, 3.0),
            (-2.6, -3.0),
        ] {
            assert_eq!(round(v), r, "{v}");
            assert_eq!(round(v), f64::round(v), "{v}");
        }
        assert_eq!(round(1e300), 1e300);
    }
}
