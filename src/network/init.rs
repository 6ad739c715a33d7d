//! Weight initialisation from an explicit, seeded RNG.
//!
//! Biases start at zero. Weights are drawn in column-major order of `W` (`OUT × IN`), layer
//! by layer in network order, always as `f64` and then rounded: an `f32` and an `f64`
//! network built from the same seed hold the same values up to rounding.

use rand::Rng;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// How to draw initial weights for a layer with `fan_in` inputs and `fan_out` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InitScheme {
    /// He/Kaiming normal, `N(0, 2 / fan_in)`: keeps activations' variance through ReLU layers.
    #[default]
    He,
    /// Xavier/Glorot normal, `N(0, 2 / (fan_in + fan_out))`: for tanh/sigmoid/linear layers.
    XavierNormal,
    /// Xavier/Glorot uniform, `U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`.
    XavierUniform,
}

impl InitScheme {
    /// Draws one weight.
    ///
    /// ```
    /// use constnet::InitScheme;
    /// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    /// let w = InitScheme::XavierUniform.sample(&mut rng, 64, 64);
    /// assert!(w.abs() <= (6.0f64 / 128.0).sqrt());
    /// ```
    pub fn sample<R: Rng + ?Sized>(self, rng: &mut R, fan_in: usize, fan_out: usize) -> f64 {
        // A fan of 0 (no layer has one: `Dense` rejects zero widths) counts as 1, so the
        // scale stays finite.
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        match self {
            InitScheme::He => normal(rng) * sqrt(2.0 / fi),
            InitScheme::XavierNormal => normal(rng) * sqrt(2.0 / (fi + fo)),
            InitScheme::XavierUniform => {
                let a = sqrt(6.0 / (fi + fo));
                rng.random_range(-a..=a)
            }
        }
    }
}

fn sqrt(v: f64) -> f64 {
    // `f64::sqrt` is std-only; simba's ComplexField uses libm without std.
    nalgebra::ComplexField::sqrt(v)
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Types that can be created with fresh random weights: layers, activations, whole networks.
///
/// ```
/// use constnet::{net, Dense, Init, InitScheme, Relu};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
/// let a: net![Dense<1, 8>, Relu, Dense<8, 1>] = Init::init(&mut rng, InitScheme::He);
/// let b: net![Dense<1, 8>, Relu, Dense<8, 1>] =
///     Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(7), InitScheme::He);
/// assert_eq!(a, b); // same seed, same weights
/// ```
pub trait Init<T>: Sized {
    /// Builds the layer or network, drawing every weight from `rng` with `scheme`.
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: InitScheme) -> Self;
}
