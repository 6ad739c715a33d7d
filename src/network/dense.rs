//! The fully connected layer `y = W·x + b`.
//!
//! Backward, for a batch `X` (`IN × N`) and upstream gradient `G = ∂L/∂Y` (`OUT × N`):
//!
//! ```text
//! ∂L/∂W = G · Xᵀ        ∂L/∂b = Σ_columns G        ∂L/∂X = Wᵀ · G
//! ```
//!
//! Layers at least 8 wide on both sides run batches of more than 5 samples (runtime-sized,
//! with `std`) through register-tiled FMA kernels, or nalgebra's GEMM (matrixmultiply) on
//! CPUs or widths those do not take; every other case runs column by column through kernels
//! with a fixed operation order, vectorised for the CPU at run time (AVX2/AVX-512) with
//! results identical to the portable and `no_std` builds. Single-sample inference is such a
//! case. Inference and training take the same kernels, so they give the same bits.

use nalgebra::{ArrayStorage, Const, SMatrix, SVector};
use rand::Rng;

use crate::layer::{Layer, Net, Params, TensorKey};
use crate::{Error, Init, InitScheme, Real, Result};

mod forward;

/// A fully connected layer with `IN` inputs and `OUT` outputs: `y = W·x + b`.
///
/// `W` is `OUT × IN` (PyTorch's convention), stored column-major by nalgebra.
///
/// ```
/// use constnet::{Dense, Forward};
/// use nalgebra::{SMatrix, SVector};
///
/// let layer = Dense::<2, 1>::new(SMatrix::from([[2.0], [3.0]]), SVector::from([1.0]));
/// let y = layer.forward(&SVector::from([1.0, 1.0]));
/// assert_eq!(y[0], 2.0 + 3.0 + 1.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
// Cache-line aligned, `w` first: W starts a line, so when a column is a whole number of
// lines (OUT a multiple of 16 f32s or 8 f64s) no vector load of it straddles two
// (measured: the 64×64 single-sample loop takes 92 ns on weights 16 bytes off a line, 52 ns
// aligned; `peak/dense64x64_bare`).
#[repr(C, align(64))]
pub struct Dense<const IN: usize, const OUT: usize, T = f32> {
    /// Weights, `OUT × IN`.
    pub w: SMatrix<T, OUT, IN>,
    /// Bias, one per output.
    pub b: SVector<T, OUT>,
}

impl<const IN: usize, const OUT: usize, T: Real> Dense<IN, OUT, T> {
    /// A layer without inputs or outputs is a mistake: caught when the type is instantiated.
    const NON_EMPTY: () = assert!(IN > 0 && OUT > 0, "a Dense layer needs IN > 0 and OUT > 0");

    /// Builds a layer from explicit weights and bias.
    ///
    /// Weights are kept inline (no heap), so very wide layers use a lot of stack: keep
    /// `IN·OUT` to a few tens of thousands (e.g. 128 × 128) per layer.
    ///
    /// ```
    /// use constnet::Dense;
    /// use nalgebra::{SMatrix, SVector};
    /// let layer = Dense::<3, 2>::new(SMatrix::identity(), SVector::from([0.5, -0.5]));
    /// assert_eq!(layer.w[(1, 1)], 1.0);
    /// ```
    ///
    /// A layer with no inputs or outputs fails to build. Every constructor and every pass
    /// evaluates the assertion, so a zero-width layer written as a struct literal fails too,
    /// as soon as it is run or trained (`cargo build` reports it, with a note naming the
    /// call in your code that instantiated it; `cargo check` does not evaluate such
    /// assertions):
    ///
    /// ```compile_fail
    /// let layer = constnet::Dense::<0, 3>::zeros();
    /// ```
    ///
    /// ```compile_fail
    /// use constnet::{Dense, Forward};
    /// use constnet::nalgebra::{SMatrix, SVector};
    /// // A struct literal skips `new`, but running it still fails the build.
    /// let layer = Dense::<0, 3> { w: SMatrix::zeros(), b: SVector::zeros() };
    /// let _ = layer.forward(&SVector::<f32, 0>::zeros());
    /// ```
    #[must_use]
    pub const fn new(w: SMatrix<T, OUT, IN>, b: SVector<T, OUT>) -> Self {
        let () = Self::NON_EMPTY;
        Dense { w, b }
    }

    /// A layer whose weights and bias are all zero.
    ///
    /// ```
    /// let layer = constnet::Dense::<3, 2>::zeros();
    /// assert_eq!(layer.w.sum(), 0.0);
    /// ```
    #[must_use]
    pub fn zeros() -> Self {
        Dense::new(SMatrix::zeros(), SVector::zeros())
    }

    /// Builds a layer from row-major weights (`w[o * IN + i]` is the weight from input `i` to
    /// output `o`, as in a PyTorch `state_dict`) and a bias slice.
    ///
    /// ```
    /// use constnet::Dense;
    /// let layer = Dense::<2, 1, f64>::from_slices(&[2.0, 3.0], &[1.0])?;
    /// assert_eq!(layer.w[(0, 1)], 3.0);
    /// assert!(Dense::<2, 1, f64>::from_slices(&[2.0], &[1.0]).is_err());
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `w` does not hold `IN·OUT` values or `b` not `OUT`;
    /// [`Error::NonFinite`] if any value is NaN or infinite.
    pub fn from_slices(w: &[T], b: &[T]) -> Result<Self> {
        check_len("Dense weights", IN * OUT, w.len())?;
        check_len("Dense bias", OUT, b.len())?;
        check_finite("Dense weights", w)?;
        check_finite("Dense bias", b)?;
        Ok(Dense::new(
            SMatrix::from_row_slice(w),
            SVector::from_column_slice(b),
        ))
    }

    /// Builds a layer in a `const` (or `static`) from row-major weights — `w[o][i]` is the
    /// weight from input `i` to output `o`, PyTorch's `(out, in)` order, as in
    /// [`from_slices`](Self::from_slices) — and a bias. The exported firmware source uses
    /// this form.
    ///
    /// ```
    /// use constnet::{chain, net, Dense, Forward, Relu};
    /// use constnet::nalgebra::SVector;
    ///
    /// static MODEL: net![Dense<2, 2>, Relu, Dense<2, 1>] = chain![
    ///     Dense::from_rows([[1.0, -1.0], [0.5, 0.5]], [0.0, -1.0]),
    ///     Relu,
    ///     Dense::from_rows([[2.0, 1.0]], [0.25]),
    /// ];
    /// let y = MODEL.forward(&SVector::from([3.0, 1.0]));
    /// assert_eq!(y[0], 2.0 * 2.0 + 1.0 * 1.0 + 0.25);
    /// ```
    ///
    /// A zero width fails where the constant is written, even under `cargo check`.
    #[must_use]
    pub const fn from_rows(w: [[T; IN]; OUT], b: [T; OUT]) -> Self {
        // Asserted here, not through `NON_EMPTY`, so the error points at the caller's
        // constant.
        assert!(IN > 0 && OUT > 0, "a Dense layer needs IN > 0 and OUT > 0");
        // Column-major storage: column i holds the weights from input i.
        let mut cols = [[w[0][0]; OUT]; IN];
        let mut o = 0;
        while o < OUT {
            let mut i = 0;
            while i < IN {
                cols[i][o] = w[o][i];
                i += 1;
            }
            o += 1;
        }
        Dense {
            w: SMatrix::from_array_storage(ArrayStorage(cols)),
            b: SMatrix::from_array_storage(ArrayStorage([b])),
        }
    }

    /// He/Kaiming-normal weights (the default for layers feeding a ReLU), zero bias.
    #[must_use]
    pub fn he<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::init(rng, InitScheme::He)
    }

    /// Xavier/Glorot-uniform weights, zero bias.
    #[must_use]
    pub fn xavier<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::init(rng, InitScheme::XavierUniform)
    }
}

fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

fn check_finite<T: Real>(what: &'static str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !v.finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what, index }),
    }
}

impl<const IN: usize, const OUT: usize, T: Real> Init<T> for Dense<IN, OUT, T> {
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: InitScheme) -> Self {
        let w = SMatrix::from_fn(|_, _| T::cast(scheme.sample(rng, IN, OUT)));
        Dense::new(w, SVector::zeros())
    }
}

impl<const IN: usize, const OUT: usize, T: Real> Layer<Const<IN>, T> for Dense<IN, OUT, T> {
    type Out = Const<OUT>;
}

impl<const IN: usize, const OUT: usize, T: Real> Net for Dense<IN, OUT, T> {
    type In = Const<IN>;
    type Scalar = T;
}

impl<const IN: usize, const OUT: usize, T: Real> Params<T> for Dense<IN, OUT, T> {
    const TENSORS: usize = 2;

    fn shape(i: usize) -> (usize, usize) {
        match i {
            0 => (OUT, IN),
            1 => (OUT, 1),
            _ => (0, 0),
        }
    }

    fn tensor(&self, i: usize) -> &[T] {
        match i {
            0 => self.w.as_slice(),
            1 => self.b.as_slice(),
            _ => &[],
        }
    }

    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        match i {
            0 => self.w.as_mut_slice(),
            1 => self.b.as_mut_slice(),
            _ => &mut [],
        }
    }

    fn zeros() -> Self {
        Dense::zeros()
    }

    /// `weight` and `bias`, as an `nn.Linear` names them.
    fn key(i: usize) -> TensorKey {
        let (name, matrix) = if i == 0 {
            ("weight", true)
        } else {
            ("bias", false)
        };
        TensorKey {
            module: 0,
            name,
            matrix,
        }
    }
}
