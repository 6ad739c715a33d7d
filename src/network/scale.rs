//! Scaling inside the model: [`Standardize`] (inputs), [`Rescale`] (outputs) and the
//! [`Scaled`] wrapper, a typed model that takes raw units in and gives raw units out.
//!
//! A network trains well when its inputs and targets are of order 1. Real data rarely is
//! (an input in 1000…5000, a target in ±10⁴): the first steps explode or every ReLU dies.
//! scikit-learn's answer is a pipeline of `StandardScaler`s around the model, three objects
//! the user must keep together and re-apply by hand on a device. Here the scalers are
//! layers of the model:
//!
//! - [`Standardize<N>`](Standardize): `z = (x − mean) / std` per feature (division, as
//!   `StandardScaler.transform` computes it);
//! - [`Rescale<N>`](Rescale): `y = ŷ · std + mean` per output (`inverse_transform`).
//!
//! Their `mean` and `std` are [frozen](crate::Params::frozen) tensors: model files and
//! safetensors store them, [`export`](crate::export) writes them, optimizers never change
//! them, their gradient is zero. Set them from data with [`Standardize::from_data`] / [`Rescale::from_data`] (mean
//! and population standard deviation, as sklearn) on the training split only.
//!
//! # Data flow
//!
//! ```text
//!              Scaled<M, IN, OUT>  (stored, exported, run on the device)
//!  raw x ──▶ input: Standardize ──▶ net: M ──▶ output: Rescale ──▶ raw y
//!
//!  training:   scaled.training_data(&train) = (input(x), (y − mean) / std)
//!              Trainer::fit(&mut scaled.net, …) on it: the net alone, in scaled units
//! ```
//!
//! Why a wrapper and not two layers in a `net!`: training must see scaled *targets*, so
//! that the loss, its gradient and therefore a learning rate mean the same whatever the
//! data's units. A [`Rescale`] inside the trained chain would put the loss back in raw
//! units (a gradient 10⁴ times larger for targets in ±10⁴). So [`Scaled`] keeps the three
//! parts apart: `net` is trained alone on [`Scaled::training_data`], and the whole
//! `Scaled` is what is saved, loaded, exported and run, raw units in and out, with no
//! step for the user to forget. It is still an ordinary network ([`Forward`], [`Params`],
//! …), so it can also be trained as a whole on raw data; the scalers stay frozen.
//!
//! ```
//! use constnet::{net, Dense, Forward, Init, InitScheme, Mse, Relu, Scaled, Sgd, Trainer};
//! use constnet::data::Dataset;
//! use constnet::nalgebra::{Const, Dyn, OMatrix, SVector};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! // Raw units: x in 1000…5000, y in ±10⁴.
//! let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(64, |_, j| 1000.0 + 62.5 * j as f32);
//! let y = x.map(|v| 5.0 * (v - 3000.0));
//! let train = Dataset::new(x, y)?;
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
//! let net: net![Dense<1, 8>, Relu, Dense<8, 1>] = Init::init(&mut rng, InitScheme::He);
//! let mut model = Scaled::from_data(net, train.x(), train.y())?; // on the training split only
//! let scaled = model.training_data(&train)?;
//! Trainer::new(scaled.x(), scaled.y())
//!     .epochs(300)
//!     .fit(&mut model.net, &mut Sgd::new(0.05)?, &Mse)?;
//!
//! let y = model.forward(&SVector::from([4000.0]))[0]; // raw in, raw out
//! assert!((y - 5000.0).abs() < 250.0, "{y}");
//! # Ok::<(), constnet::Error>(())
//! ```
//!
//! # Arithmetic
//!
//! Both layers run in the network's scalar type, element by element, the same operations
//! in training, inference and firmware, so the exported model reproduces host inference
//! bit for bit. [`identity`](Standardize::identity) scaling passes values through
//! bit-exactly: `(x − 0) / 1 = x`, and `ŷ · 1 + (−0) = ŷ` (the identity [`Rescale`] stores
//! a mean of `−0.0`, the one addend that leaves every value, `−0.0` included, unchanged).
//!
//! int8 quantization ([`quant`](crate::quant)) of a [`Scaled`] model is not supported:
//! quantize its `net` and keep the scalers in floating point around it.

use core::fmt::{self, Write};

use nalgebra::allocator::Allocator;
use nalgebra::{ArrayStorage, Const, DefaultAllocator, Dim, OMatrix, SVector};
use rand::Rng;

use crate::export::{ExportRs, pad, write_array};
use crate::layer::{Buffers, Forward, Layer, Net, Params, TensorKey, check_batch, resize};
use crate::{Error, Init, InitScheme, Real, Result};

mod forward;
#[cfg(feature = "alloc")]
mod from_data;
mod scaled;

pub use scaled::Scaled;

/// Input standardisation, `z = (x − mean) / std` per feature: scikit-learn's
/// `StandardScaler.transform`, as a frozen layer.
///
/// ```
/// use constnet::{Forward, Standardize};
/// use constnet::nalgebra::SVector;
///
/// let s = Standardize::new([3000.0, 0.5], [1000.0, 0.25]);
/// assert_eq!(s.forward(&SVector::from([4000.0, 0.0])), SVector::from([1.0, -2.0]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardize<const N: usize, T: Real = f32> {
    /// Per-feature mean, subtracted.
    pub mean: SVector<T, N>,
    /// Per-feature standard deviation, divided by (never zero).
    pub std: SVector<T, N>,
}

/// Output rescaling, `y = ŷ · std + mean` per output: scikit-learn's
/// `StandardScaler.inverse_transform`, as a frozen layer. Targets in training units are
/// [`to_training`](Rescale::to_training)`(y) = (y − mean) / std`.
///
/// ```
/// use constnet::{Forward, Rescale};
/// use constnet::nalgebra::SVector;
///
/// let r = Rescale::new([100.0], [20.0]);
/// assert_eq!(r.forward(&SVector::from([-0.5])), SVector::from([90.0]));
/// assert_eq!(r.to_training(&SVector::from([90.0])), SVector::from([-0.5]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Rescale<const N: usize, T: Real = f32> {
    /// Per-output mean, added.
    pub mean: SVector<T, N>,
    /// Per-output standard deviation, multiplied by.
    pub std: SVector<T, N>,
}

/// `[v; N]` as a column, in a `const fn`.
const fn column<T: Real, const N: usize>(v: [T; N]) -> SVector<T, N> {
    SVector::from_array_storage(ArrayStorage([v]))
}

/// Checks that `mean` and `std` hold `N` finite values each and that `1 / std` is finite.
fn check_params<T: Real, const N: usize>(mean: &[T], std: &[T]) -> Result<()> {
    for (what, values) in [("scaler mean", mean), ("scaler std", std)] {
        if values.len() != N {
            return Err(Error::LengthMismatch {
                what,
                expected: N,
                found: values.len(),
            });
        }
        if let Some(index) = values.iter().position(|v| !v.finite()) {
            return Err(Error::NonFinite { what, index });
        }
    }
    if std.iter().any(|&s| !(T::one() / s).finite()) {
        return Err(Error::InvalidParameter {
            name: "scaler std",
            reason: "a standard deviation is zero or too small to divide by",
        });
    }
    Ok(())
}

/// What the two scalers share: constructors and the trait impls that do not compute.
macro_rules! scaler {
    ($name:ident, $identity_mean:ident, $doc_mean:literal) => {
        impl<const N: usize, T: Real> $name<N, T> {
            /// A scaler without features is a mistake: a build error where it is used.
            const NON_EMPTY: () = assert!(N > 0, "a scaler needs at least one feature");

            /// A scaler with the given per-feature mean and standard deviation, usable in a
            /// `const` (the exported firmware source uses this form). Not checked: a zero
            /// `std` gives infinite values; use [`from_slices`](Self::from_slices) for
            /// values from outside. A zero width fails to build.
            ///
            /// ```
            #[doc = concat!("use constnet::", stringify!($name), " as S;")]
            /// static M: S<2> = S::new([1.0, 2.0], [0.5, 4.0]);
            /// assert_eq!((M.mean[1], M.std[0]), (2.0, 0.5));
            /// ```
            #[must_use]
            pub const fn new(mean: [T; N], std: [T; N]) -> Self {
                let () = Self::NON_EMPTY;
                $name {
                    mean: column(mean),
                    std: column(std),
                }
            }

            /// The identity: mean
            #[doc = $doc_mean]
            /// std 1, so every value passes through bit for bit. What
            /// [`Params::zeros`] and [`Init`] build.
            ///
            /// ```
            /// use constnet::{Forward, nalgebra::SVector};
            #[doc = concat!("let id = constnet::", stringify!($name), "::<2>::identity();")]
            /// let x = SVector::from([-0.0, 3.5]);
            /// assert_eq!(id.forward(&x).map(f32::to_bits), x.map(f32::to_bits));
            /// ```
            #[must_use]
            pub const fn identity() -> Self {
                Self::new([T::$identity_mean; N], [T::ONE; N])
            }

            /// A scaler from slices of `N` means and `N` standard deviations, checked.
            ///
            /// ```
            #[doc = concat!("use constnet::", stringify!($name), " as S;")]
            /// assert!(S::<2, f64>::from_slices(&[0.0, 1.0], &[2.0, 3.0]).is_ok());
            /// assert!(S::<2, f64>::from_slices(&[0.0, 1.0], &[2.0, 0.0]).is_err());
            /// ```
            ///
            /// # Errors
            /// [`Error::LengthMismatch`] if a slice does not hold `N` values;
            /// [`Error::NonFinite`] for a NaN or infinite value;
            /// [`Error::InvalidParameter`] if a `std` is zero or so small that `1 / std`
            /// is not finite.
            pub fn from_slices(mean: &[T], std: &[T]) -> Result<Self> {
                check_params::<T, N>(mean, std)?;
                Ok($name {
                    mean: SVector::from_column_slice(mean),
                    std: SVector::from_column_slice(std),
                })
            }
        }

        impl<const N: usize, T: Real> Layer<Const<N>, T> for $name<N, T> {
            type Out = Const<N>;
        }

        impl<const N: usize, T: Real> Net for $name<N, T> {
            type In = Const<N>;
            type Scalar = T;
        }

        /// Two frozen tensors, `mean` then `std`, each `N × 1`.
        impl<const N: usize, T: Real> Params<T> for $name<N, T> {
            const TENSORS: usize = 2;
            fn shape(i: usize) -> (usize, usize) {
                if i < 2 { (N, 1) } else { (0, 0) }
            }
            fn tensor(&self, i: usize) -> &[T] {
                match i {
                    0 => self.mean.as_slice(),
                    1 => self.std.as_slice(),
                    _ => &[],
                }
            }
            fn tensor_mut(&mut self, i: usize) -> &mut [T] {
                match i {
                    0 => self.mean.as_mut_slice(),
                    1 => self.std.as_mut_slice(),
                    _ => &mut [],
                }
            }
            fn frozen(_: usize) -> bool {
                true
            }
            /// The identity (a frozen tensor holds its default).
            fn zeros() -> Self {
                Self::identity()
            }
            /// One module with the tensors `mean` and `std`, shape `[N]`.
            fn key(i: usize) -> TensorKey {
                TensorKey {
                    module: 0,
                    name: if i == 0 { "mean" } else { "std" },
                    matrix: false,
                }
            }
        }

        /// The identity: scalers are fitted to data, never drawn at random.
        impl<const N: usize, T: Real> Init<T> for $name<N, T> {
            fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
                Self::identity()
            }
        }

        /// Runs beside its neighbours without fusing: the defaults.
        /// `constnet::<Name>::new([mean…], [std…])`, every value as its exact bits.
        impl<const N: usize, T: Real> ExportRs<T> for $name<N, T> {
            fn write_type(f: &mut dyn Write) -> fmt::Result {
                write!(f, "constnet::{}<{N}, {}>", stringify!($name), T::NAME)
            }
            fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
                write!(f, "constnet::{}::new(\n", stringify!($name))?;
                for values in [self.mean.as_slice(), self.std.as_slice()] {
                    pad(f, indent + 1)?;
                    write_array(f, values, indent + 1)?;
                    f.write_str(",\n")?;
                }
                pad(f, indent)?;
                f.write_char(')')
            }
        }
    };
}

scaler!(Standardize, ZERO, " 0,");
scaler!(
    Rescale,
    NEG_ZERO,
    " −0.0 (see the [module docs](self#arithmetic)),"
);

impl<const N: usize, T: Real> Standardize<N, T> {
    /// The [`Rescale`] that undoes this scaling: same mean and std.
    ///
    /// ```
    /// use constnet::Standardize;
    /// let s = Standardize::new([10.0], [2.0]);
    /// assert_eq!(s.inverse().mean, s.mean);
    /// ```
    #[must_use]
    pub fn inverse(&self) -> Rescale<N, T> {
        Rescale {
            mean: self.mean,
            std: self.std,
        }
    }
}

impl<const N: usize, T: Real> Rescale<N, T> {
    /// The [`Standardize`] that undoes this scaling: same mean and std.
    ///
    /// ```
    /// use constnet::Rescale;
    /// let r = Rescale::new([10.0], [2.0]);
    /// assert_eq!(r.inverse().std, r.std);
    /// ```
    #[must_use]
    pub fn inverse(&self) -> Standardize<N, T> {
        Standardize {
            mean: self.mean,
            std: self.std,
        }
    }

    /// Raw targets in training units, `(y − mean) / std`: what the network before this
    /// layer must learn to output (see [`Scaled::training_data`]).
    ///
    /// ```
    /// use constnet::Rescale;
    /// use constnet::nalgebra::SVector;
    /// let r = Rescale::new([1000.0, 0.0], [500.0, 4.0]);
    /// assert_eq!(r.to_training(&SVector::from([0.0, 2.0])), SVector::from([-2.0, 0.5]));
    /// ```
    #[must_use]
    pub fn to_training<B: Dim>(&self, y: &OMatrix<T, Const<N>, B>) -> OMatrix<T, Const<N>, B>
    where
        DefaultAllocator: Allocator<Const<N>, B>,
    {
        self.inverse().forward(y)
    }
}
