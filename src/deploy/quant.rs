//! int8 inference for microcontrollers without a floating-point unit.
//!
//! A trained `f32` network becomes a [`QModel`]: typed int8 layers ([`QDense<IN, OUT>`]
//! joined by [`QChain`], whose widths the compiler still checks), with
//! integer-only arithmetic inside. Floats appear only at the two edges, and only if you use
//! them: [`QModel::quantize_input`] (one subtraction and division per input) and
//! [`QModel::dequantize_output`] (one multiplication and addition per output).
//! [`QModel::run`] takes and returns int8 and never touches a float; [`QModel::class`] is
//! a classifier's answer, integers only (an argmax over the last layer's outputs kept at
//! 2⁻¹⁶ of an int8 step, [`QLogits`], so rounding to int8 creates no ties). A [`Scaled`](crate::Scaled) model quantizes whole
//! ([`quantize_scaled`]): its scalers fold into the edges, so the int8 model takes and
//! gives raw units.
//!
//! ```
//! use constnet::quant::{self, QNet};
//! use constnet::{net, Dense, Init, InitScheme, Relu, nalgebra::{Const, Dyn, OMatrix}};
//! use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let net: net![Dense<1, 8>, Relu, Dense<8, 1>] =
//!     Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(1), InitScheme::He);
//! // Calibration data: the inputs the network will see (e.g. the training set's).
//! let calib = OMatrix::<f32, Const<1>, Dyn>::from_fn(100, |_, j| j as f32 / 25.0 - 2.0);
//! let q = quant::quantize(&net, &calib)?;
//! let exact = net.forward(&constnet::nalgebra::SVector::from([0.5]))[0];
//! let approx = q.predict(&[0.5])[0];
//! assert!((exact - approx).abs() < 0.05, "{exact} vs {approx}");
//! # use constnet::Forward;
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! ## The scheme, and how it compares with TensorFlow Lite's int8
//!
//! | | constnet | TFLite int8 (its quantization spec) |
//! |---|---|---|
//! | weights | int8 in −127…127, symmetric (zero point 0), one scale per output channel: `max |w| / 127` | the same |
//! | biases | int32, scale `s_in · s_w[c]`, zero point 0; the input zero point's term `−z_in · Σ w_q` is folded in once, at quantization | int32 at the same scale; the reference kernels add the input offset to every input inside the dot product, at run time |
//! | activations | int8 in −128…127, asymmetric: scale and zero point from the min / max (widened to hold 0) over calibration data run through the `f32` network | the same (min / max over a representative data set) |
//! | accumulation | int32 | int32 |
//! | requantization | `M = s_in · s_w[c] / s_out` as a 31-bit multiplier `m ∈ [2³⁰, 2³¹)` and a right shift; one 64-bit product, **one** rounding (half up) | the same multiplier; a saturating rounding doubling high multiply, then a rounding shift (two roundings) |
//! | ReLU | fused: the output's clamp starts at the zero point (real 0) | the same (fused activation ranges) |
//! | sigmoid / tanh | not supported (a network with them does not quantize: a compile error) | fixed-point kernels with fixed output scales |
//! | classification | [`QModel::class`]: integer argmax over the last layer's outputs at 2⁻¹⁶ of a step ([`QLogits`]), before rounding and saturation to int8 | left to the application, which reads the int8 output tensor |
//! | edges | input `q = round((x − o) / s) + z` (half away from zero, clamped), output `(q − z) · s + o`, in `f32`, per value (`o` = 0 and one `s` without scaling) | `round(x / s) + z` and `(q − z) · s`, done by the application |
//!
//! Single rounding is both simpler and, by a hair, more accurate than TFLite's two; the
//! results therefore differ from TFLite's in the last bit now and then, never in scheme.
//! Every integer operation gives the same result on every target, so the host and a
//! Cortex-M0 agree bit for bit; the two float edges are single IEEE operations, which
//! soft-float and hardware give alike.
//!
//! [`export::encode`] writes a quantized network as `no_std` Rust source, like
//! [`crate::export::encode`] does for `f32` (and [`export::save`] to a file).

#[cfg(feature = "alloc")]
mod calibrate;
mod dense;
pub mod export;

#[cfg(feature = "alloc")]
pub use calibrate::{Quantize, quantize, quantize_scaled};
pub use dense::QDense;
pub use export::QExportRs;

/// An int8 tensor's scale and zero point: `real = (q − zero) · scale`.
///
/// ```
/// let p = constnet::quant::QParams { scale: 0.5, zero: -128 };
/// assert_eq!(p.quantize(1.0), -126);
/// assert_eq!(p.dequantize(-126), 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QParams {
    /// The real value of one step.
    pub scale: f32,
    /// The int8 value that stands for real 0.
    pub zero: i8,
}

impl QParams {
    /// `round(x / scale) + zero`, rounded half away from zero and clamped to −128…127
    /// (NaN gives `zero`).
    ///
    /// ```
    /// let p = constnet::quant::QParams { scale: 0.25, zero: 0 };
    /// assert_eq!((p.quantize(0.125), p.quantize(-0.125), p.quantize(1e9)), (1, -1, 127));
    /// ```
    pub fn quantize(&self, x: f32) -> i8 {
        // Clamped first so the integer conversion cannot saturate; the rounding works on
        // the exact fraction `v − trunc(v)` (exact for |v| < 2²³), with no `f32::round`
        // (not in `core`).
        let v = (x / self.scale).clamp(-512.0, 512.0);
        let t = v as i32; // NaN → 0
        let frac = v - t as f32;
        let r = t + i32::from(frac >= 0.5) - i32::from(frac <= -0.5);
        (r + i32::from(self.zero)).clamp(-128, 127) as i8
    }

    /// `(q − zero) · scale`.
    ///
    /// ```
    /// let p = constnet::quant::QParams { scale: 0.25, zero: 4 };
    /// assert_eq!(p.dequantize(8), 1.0);
    /// ```
    pub fn dequantize(&self, q: i8) -> f32 {
        (i32::from(q) - i32::from(self.zero)) as f32 * self.scale
    }
}

/// A quantized layer or network: int8 in, int8 out, integer arithmetic only.
///
/// `Input` and `Output` are `[i8; N]` arrays, so [`QChain`] joins only parts whose widths
/// match: a mismatch is a type error where the chain is written.
pub trait QNet {
    /// `[i8; IN]`.
    type Input;
    /// `[i8; OUT]`.
    type Output;
    /// Runs the network on one quantized sample.
    ///
    /// ```
    /// use constnet::quant::{QDense, QNet};
    /// // One output, weight 2, bias 1, multiplier 1/2 (2³⁰ · 2⁻³¹): y = (2x + 1) / 2.
    /// let layer = QDense::<1, 1> { w: [[2]], bias: [1], mult: [1 << 30], shift: [31],
    ///                               zero: 0, min: -128 };
    /// assert_eq!(layer.run(&[10]), [11]); // 10.5 rounds half up
    /// ```
    fn run(&self, x: &Self::Input) -> Self::Output;
}

/// Fractional bits of [`QLogits::logits`]: a classifier's last layer keeps its outputs
/// 2¹⁶ times finer than an int8 step.
pub const LOGIT_FRACTION_BITS: u32 = 16;

/// A quantized network whose last layer can hand out its outputs before they are rounded to
/// int8: what a classifier's integer argmax ([`QModel::class`]) compares.
///
/// Rounding logits to int8 steps makes near-equal logits equal (a tie the argmax can only
/// break by position) and clamps every logit above the calibrated range to 127 (a tie
/// again). The fine logits keep 2^[`LOGIT_FRACTION_BITS`] sub-steps and no ceiling, at no
/// extra cost: the same int32 sums, requantized with a smaller shift.
///
/// ```
/// use constnet::quant::{QDense, QLogits, QNet};
/// // Two outputs, 3x/2 and 4x/2 (multiplier 2³⁰ · 2⁻³¹ = 1/2, weights 3 and 4).
/// let layer = QDense::<1, 2> { w: [[3], [4]], bias: [0, 0], mult: [1 << 30; 2], shift: [31; 2],
///                               zero: 0, min: -128 };
/// assert_eq!(layer.run(&[1]), [2, 2]); // 1.5 and 2 both round to 2
/// assert_eq!(layer.logits(&[1]), [3 << 15, 4 << 15]); // 1.5 and 2 in units of 2⁻¹⁶
/// ```
pub trait QLogits<const OUT: usize>: QNet {
    /// Runs the network on one quantized sample; the last layer's `OUT` outputs are
    /// `2^16 · ((acc · mult · 2^−shift) + zero)`, the product rounded half up to a 2⁻¹⁶
    /// step and bounded to ±2³⁰, floored at `2^16 · min` (a fused ReLU's zero point, or
    /// −128), with no ceiling. Where [`QNet::run`]'s int8 output is neither −128 nor 127
    /// nor clamped at `min`, it is within half a step (2¹⁵) of this.
    fn logits(&self, x: &Self::Input) -> [i32; OUT];
}

/// Two quantized parts run one after the other; `B`'s input must be `A`'s output, which
/// the type itself demands, so a mismatch is an error where the chain's type is written.
///
/// ```
/// use constnet::quant::{QChain, QDense, QNet};
/// let id = QDense::<1, 1> { w: [[1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
/// let net = QChain { first: id.clone(), second: id };
/// assert_eq!(net.run(&[-7]), [-7]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct QChain<A, B>
where
    A: QNet,
    B: QNet<Input = A::Output>,
{
    /// The earlier part.
    pub first: A,
    /// The part that follows it.
    pub second: B,
}

impl<A: QNet, B: QNet<Input = A::Output>> QNet for QChain<A, B> {
    type Input = A::Input;
    type Output = B::Output;
    fn run(&self, x: &A::Input) -> B::Output {
        self.second.run(&self.first.run(x))
    }
}

impl<A, B, const OUT: usize> QLogits<OUT> for QChain<A, B>
where
    A: QNet,
    B: QNet<Input = A::Output> + QLogits<OUT>,
{
    fn logits(&self, x: &A::Input) -> [i32; OUT] {
        self.second.logits(&self.first.run(x))
    }
}

/// How real values at an int8 network's edge map to int8 and back, one scale and offset per
/// value: `q = round((x − offset) / scale) + zero` in, `x = (q − zero)·scale + offset` out.
///
/// A network quantized alone ([`quantize`]) has one scale for every value and offsets 0:
/// [`QEdge::uniform`]. A [`Scaled`](crate::Scaled) model quantized whole
/// ([`quantize_scaled`]) folds its input standardization and its target rescaling in:
/// standardizing then quantizing is one affine map per input (`offset` the mean, `scale`
/// the standard deviation times the quantization step), and so is dequantizing then
/// rescaling per output, so the int8 model takes and gives raw units at the cost of the
/// unscaled edge (one subtraction and one division in, one multiplication and one addition
/// out, per value).
///
/// ```
/// use constnet::quant::{QEdge, QParams};
/// let edge = QEdge::<2> { scale: [0.5, 2.0], offset: [10.0, 0.0], zero: 0 };
/// assert_eq!(edge.quantize(&[11.0, -4.0]), [2, -2]);
/// assert_eq!(edge.dequantize(&[2, -2]), [11.0, -4.0]);
/// assert_eq!(QEdge::<1>::uniform(QParams { scale: 0.5, zero: 3 }).quantize(&[1.0]), [5]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QEdge<const N: usize> {
    /// The real value of one step, per value.
    pub scale: [f32; N],
    /// The real value int8 `zero` stands for, per value.
    pub offset: [f32; N],
    /// The int8 value that stands for `offset`.
    pub zero: i8,
}

impl<const N: usize> QEdge<N> {
    /// The same `scale` and `zero` for every value, offsets 0.
    #[must_use]
    pub fn uniform(p: QParams) -> Self {
        QEdge {
            scale: [p.scale; N],
            offset: [0.0; N],
            zero: p.zero,
        }
    }

    /// Each value `x − offset` through [`QParams::quantize`] with its scale.
    #[must_use]
    pub fn quantize(&self, x: &[f32; N]) -> [i8; N] {
        core::array::from_fn(|i| {
            let p = QParams {
                scale: self.scale[i],
                zero: self.zero,
            };
            p.quantize(x[i] - self.offset[i])
        })
    }

    /// Each value through [`QParams::dequantize`] with its scale, plus its offset.
    #[must_use]
    pub fn dequantize(&self, q: &[i8; N]) -> [f32; N] {
        core::array::from_fn(|i| {
            let p = QParams {
                scale: self.scale[i],
                zero: self.zero,
            };
            p.dequantize(q[i]) + self.offset[i]
        })
    }
}

/// A quantized network with its input and output quantization: what a firmware ships.
///
/// ```
/// use constnet::quant::{QDense, QEdge, QModel, QParams};
/// let layer = QDense::<1, 1> { w: [[1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
/// let half = QEdge::uniform(QParams { scale: 0.5, zero: 0 });
/// let m = QModel { net: layer, input: half, output: half };
/// assert_eq!(m.predict(&[3.0]), [3.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct QModel<N, const IN: usize, const OUT: usize> {
    /// The integer network.
    pub net: N,
    /// How real inputs map to int8.
    pub input: QEdge<IN>,
    /// How int8 outputs map to real values.
    pub output: QEdge<OUT>,
}

impl<N, const IN: usize, const OUT: usize> QModel<N, IN, OUT>
where
    N: QNet<Input = [i8; IN], Output = [i8; OUT]>,
{
    /// The input edge ([`QEdge::quantize`]: one `f32` subtraction and division each).
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// # let net = QDense::<2, 1> { w: [[1, 1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
    /// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 1.0, zero: 0 }) };
    /// assert_eq!(m.quantize_input(&[1.0, -0.5]), [2, -1]);
    /// ```
    pub fn quantize_input(&self, x: &[f32; IN]) -> [i8; IN] {
        self.input.quantize(x)
    }

    /// Integer-only inference: int8 in, int8 out.
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// # let net = QDense::<2, 1> { w: [[1, 1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
    /// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 1.0, zero: 0 }) };
    /// assert_eq!(m.run(&[3, 4]), [7]);
    /// ```
    pub fn run(&self, x: &[i8; IN]) -> [i8; OUT] {
        self.net.run(x)
    }

    /// The output edge ([`QEdge::dequantize`]: one `f32` product and sum each).
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// # let net = QDense::<2, 1> { w: [[1, 1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
    /// let m = QModel { net, input: QEdge::uniform(QParams { scale: 0.5, zero: 0 }), output: QEdge::uniform(QParams { scale: 0.25, zero: 0 }) };
    /// assert_eq!(m.dequantize_output(&[4]), [1.0]);
    /// ```
    pub fn dequantize_output(&self, q: &[i8; OUT]) -> [f32; OUT] {
        self.output.dequantize(q)
    }

    /// Real in, real out: quantize, integer inference, dequantize.
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// # let net = QDense::<2, 1> { w: [[1, 1]], bias: [0], mult: [1 << 30], shift: [30], zero: 0, min: -128 };
    /// let half = QEdge::uniform(QParams { scale: 0.5, zero: 0 });
    /// let m = QModel { net, input: half, output: QEdge::uniform(QParams { scale: 0.5, zero: 0 }) };
    /// assert_eq!(m.predict(&[1.0, 2.0]), [3.0]);
    /// ```
    pub fn predict(&self, x: &[f32; IN]) -> [f32; OUT] {
        self.dequantize_output(&self.run(&self.quantize_input(x)))
    }
}

impl<N, const IN: usize, const OUT: usize> QModel<N, IN, OUT>
where
    N: QNet<Input = [i8; IN], Output = [i8; OUT]> + QLogits<OUT>,
{
    /// Integer-only inference to the last layer's fine outputs ([`QLogits::logits`]):
    /// int8 in, the logits in int32 units of 2⁻¹⁶ of the output's int8 step.
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// let net = QDense::<1, 1> { w: [[3]], bias: [0], mult: [1 << 30], shift: [31], zero: 0, min: -128 };
    /// let m = QModel { net, input: QEdge::uniform(QParams { scale: 1.0, zero: 0 }),
    ///                  output: QEdge::uniform(QParams { scale: 1.0, zero: 0 }) };
    /// assert_eq!((m.run(&[1]), m.logits(&[1])), ([2], [3 << 15])); // 1.5: int8 rounds to 2
    /// ```
    pub fn logits(&self, x: &[i8; IN]) -> [i32; OUT] {
        self.net.logits(x)
    }

    /// Integer-only classification: the class whose logit is largest, the first on a tie.
    /// It compares the fine logits ([`logits`](Self::logits)), not the int8 outputs of
    /// [`run`](Self::run): rounding to int8 steps would tie logits less than a step apart,
    /// and clamp every logit above the calibrated range to 127. Dequantizing is
    /// increasing, so this is the class of the real outputs too, up to ties 2⁻¹⁶ of a step
    /// apart.
    ///
    /// ```
    /// # use constnet::quant::{QDense, QEdge, QModel, QParams};
    /// // Two logits, x and −x.
    /// let net = QDense::<1, 2> { w: [[1], [-1]], bias: [0, 0], mult: [1 << 30; 2], shift: [30; 2], zero: 0, min: -128 };
    /// let edge = QEdge::uniform(QParams { scale: 1.0, zero: 0 });
    /// let m = QModel { net, input: edge, output: QEdge::uniform(QParams { scale: 1.0, zero: 0 }) };
    /// assert_eq!((m.class(&[5]), m.class(&[-5])), (0, 1));
    /// // 3x/2 and 4x/2: int8 rounds both to 2 at x = 1, the fine logits do not.
    /// let net = QDense::<1, 2> { w: [[3], [4]], bias: [0, 0], mult: [1 << 30; 2], shift: [31; 2], zero: 0, min: -128 };
    /// let m = QModel { net, input: edge, output: QEdge::uniform(QParams { scale: 1.0, zero: 0 }) };
    /// assert_eq!((m.run(&[1]), m.class(&[1])), ([2, 2], 1));
    /// ```
    pub fn class(&self, x: &[i8; IN]) -> usize {
        let z = self.logits(x);
        let mut best = 0;
        for (k, &v) in z.iter().enumerate() {
            if v > z[best] {
                best = k;
            }
        }
        best
    }
}
