//! Why a network learned nothing: per-layer diagnostics and a verdict.
//!
//! A network can finish training with every parameter finite and still predict a
//! constant: a learning rate too large for the data's units blows the loss up in the first
//! epochs, the biases of a ReLU layer go very negative, and from then on no unit of that
//! layer is active on any sample, so no gradient reaches the layers before it. This module
//! measures that, layer by layer:
//!
//! - [`Forward::report`](crate::Forward::report): what a layer (or a whole network) says
//!   about itself after a forward pass, one [`LayerReport`] per layer it holds. For an
//!   activation it counts, per unit (row), on how many samples the unit is *active*, i.e.
//!   `df(x) ≠ 0` (ReLU: `x > 0`). Every layer has it (a layer of your own reports its name
//!   and tensors by default).
//! - [`diagnose`]: one forward pass, the reports and one backward pass over a whole data
//!   set in blocks of at most 256 samples (memory bounded whatever the data's size), with
//!   each layer's gradient norm of the loss over the data. The result, [`Diagnostics`],
//!   prints as a table and names its [dead layers](Diagnostics::dead_layers).
//! - [`check_learned`]: the verdict a program uses to refuse success to a network that
//!   learned nothing, with the cause as a typed [`Failure`].
//!
//! ```
//! use constnet::diagnose::{check_learned, diagnose, Failure};
//! use constnet::{net, Dense, Init, InitScheme, Relu};
//! use constnet::nalgebra::{Const, Dyn, OMatrix};
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
//! let mut model: net![Dense<1, 8>, Relu, Dense<8, 1>] = Init::init(&mut rng, InitScheme::He);
//! model.first.first.b.fill(-100.0); // every ReLU input is negative on x in [-1, 1]
//! let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(50, |_, j| j as f32 / 25.0 - 1.0);
//! let y = x.map(|v| v * v);
//!
//! let diag = diagnose(&model, &x, &y, &constnet::Mse)?;
//! assert_eq!(diag.dead_layers(), [1]); // hidden layer 1
//! println!("{diag}");
//! let verdict = check_learned(&[0.5, 0.4], 0.0, &diag);
//! assert!(matches!(verdict, Err(Failure::DeadLayer { hidden_layer: 1, .. })));
//! # Ok::<(), constnet::Error>(())
//! ```

mod report;
mod run;
mod verdict;

pub use report::{Activity, Diagnostics, LayerReport};
pub use run::{BLOCK, diagnose};
pub use verdict::{EXPLOSION_FACTOR, Failure, MIN_TRAIN_R2, check_learned};

/// A type's name without its path and generics: `constnet::activation::LeakyRelu<f32>` →
/// `LeakyRelu`, what a default [`LayerReport`] is called.
///
/// ```
/// assert_eq!(constnet::diagnose::short_name::<constnet::LeakyRelu<f32>>(), "LeakyRelu");
/// ```
#[must_use]
pub fn short_name<A: ?Sized>() -> &'static str {
    let full = core::any::type_name::<A>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}
