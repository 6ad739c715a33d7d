//! Training a classifier on the device itself: the UCI wine data (13 chemical measurements,
//! 3 cultivars) from scratch, with constnet's `no_std`, heap-free training path.
//!
//! The network is `Scaled<net![Dense<13, 16>, Relu, Dense<16, 3>]>`: the standardisation of
//! its inputs is part of the model (fitted on the training rows, in `f64`, as
//! [`constnet::Standardize::from_data`] does), so the trained model takes raw measurements.
//! Its weights start from Xavier-uniform draws of a seeded [`Xoshiro256PlusPlus`] (integer
//! and IEEE arithmetic only, the same on every target); each step takes the next [`BATCH`]
//! training rows in a fixed cyclic order, runs forward, softmax cross-entropy through the
//! [`Loss`] trait, backward and an Adam update. Every buffer is a field of [`Trainer`], so a
//! firmware keeps it in a static: nothing is allocated.
//!
//! Host and device run this same code: `firmware/qemu`'s `train_wine` binary on an emulated
//! Cortex-M, constnet's `tests/it/qemu_train.rs` on the host, which checks that the device's
//! final weights are the host's bit for bit. (Cross-entropy takes `exp` and `ln` from the
//! `libm` crate on every target, the fixed-batch kernels add in a fixed order, Adam's square
//! root is correctly rounded: nothing in a step depends on the target.)

use constnet::nalgebra::{Const, SMatrix, SVector};
use constnet::rand::SeedableRng;
use constnet::rand::rngs::Xoshiro256PlusPlus;
use constnet::{
    Adam, AdamConfig, CrossEntropy, Dense, Forward, Init, InitScheme, Loss, Optimizer, Params,
    Relu, Rescale, Scaled, Standardize, net,
};

/// Input measurements per row.
pub const FEATURES: usize = 13;
/// Cultivars (class labels 0, 1, 2).
pub const CLASSES: usize = 3;
/// Hidden units.
pub const HIDDEN: usize = 16;
/// Rows per training step.
pub const BATCH: usize = 8;
/// Seed of the initial weights.
pub const SEED: u64 = 42;
/// Adam's learning rate (its other hyper-parameters at their defaults).
pub const LR: f64 = 0.01;
/// Training steps the firmware runs: 10 passes over the 142 training rows (177 steps).
pub const STEPS: usize = 10 * 142 / BATCH;

/// The network between its input standardisation and an identity output scaling (the
/// outputs are the three logits).
pub type Model =
    Scaled<net![Dense<FEATURES, HIDDEN>, Relu, Dense<HIDDEN, CLASSES>], FEATURES, CLASSES>;
/// Every layer's output and input gradient for one batch.
pub type Workspace = <Model as Forward<f32, Const<FEATURES>, Const<BATCH>>>::Workspace;

/// Everything training keeps between steps: the model, its gradient, the batch's buffers
/// and Adam's moments.
#[derive(Clone, Debug)]
pub struct Trainer {
    /// The model being trained.
    pub model: Model,
    /// ∂L/∂θ, the model's own type.
    grad: Model,
    /// The step's forward and backward buffers.
    ws: Workspace,
    /// Adam, its two moments the model's size each.
    opt: Adam<f32, Model>,
    /// The batch's inputs, one row per column.
    x: SMatrix<f32, FEATURES, BATCH>,
    /// The batch's labels.
    labels: [u16; BATCH],
    /// ∂L/∂logits.
    dz: SMatrix<f32, CLASSES, BATCH>,
    /// The training row the next batch starts at.
    next: usize,
}

impl Trainer {
    /// A trainer ready for its first step on training rows `x` ([`reset`](Self::reset)).
    #[must_use]
    pub fn new(x: &[[f32; FEATURES]]) -> Self {
        let mut t = Trainer {
            model: Params::zeros(),
            grad: Params::zeros(),
            ws: <Model as Forward<f32, Const<FEATURES>, Const<BATCH>>>::workspace(Const),
            opt: adam(),
            x: SMatrix::zeros(),
            labels: [0; BATCH],
            dz: SMatrix::zeros(),
            next: 0,
        };
        t.reset(x);
        t
    }

    /// Starts again in place, so a firmware can keep the trainer in a static: the
    /// standardisation fitted on `x`, seeded initial weights, zero moments, the first batch
    /// at row 0. Its temporaries (the drawn network, Adam's constructor) take a few KB of
    /// stack; the README's memory budget has the measured peak.
    pub fn reset(&mut self, x: &[[f32; FEATURES]]) {
        let (mean, std) = moments(x);
        self.model.input = Standardize::new(mean, std);
        self.model.net = Init::init(
            &mut Xoshiro256PlusPlus::seed_from_u64(SEED),
            InitScheme::XavierUniform,
        );
        self.model.output = Rescale::identity();
        for i in 0..<Model as Params<f32>>::TENSORS {
            self.grad.tensor_mut(i).fill(0.0);
        }
        self.opt = adam();
        self.next = 0;
    }

    /// One step on the next [`BATCH`] rows of `x` (labels `y`), taken cyclically from row 0
    /// on; returns the batch's mean cross-entropy before the update.
    ///
    /// # Panics
    /// If `x` and `y` differ in length or are empty.
    pub fn step(&mut self, x: &[[f32; FEATURES]], y: &[u8]) -> f32 {
        assert!(
            !x.is_empty() && x.len() == y.len(),
            "one label per training row"
        );
        for j in 0..BATCH {
            let r = (self.next + j) % x.len();
            self.x.column_mut(j).copy_from_slice(&x[r]);
            self.labels[j] = u16::from(y[r]);
        }
        self.next = (self.next + BATCH) % x.len();
        self.model.forward_into(&self.x, &mut self.ws);
        let ce = CrossEntropy::<CLASSES>::new();
        let count = Loss::<f32, CLASSES>::count(&ce, &self.labels) as f32;
        let pred = Model::output(&self.ws).as_slice().as_chunks::<CLASSES>().0;
        let grad = self.dz.as_mut_slice().as_chunks_mut::<CLASSES>().0;
        let sum = ce.sum_and_grad(pred, &self.labels, grad, count);
        self.model
            .backward_params(&self.x, &mut self.ws, &self.dz, &mut self.grad)
            .expect("fixed shapes");
        self.opt.step(&mut self.model, &self.grad);
        sum / count
    }
}

/// Adam with learning rate [`LR`].
fn adam() -> Adam<f32, Model> {
    AdamConfig {
        lr: LR,
        ..AdamConfig::default()
    }
    .build()
    .expect("valid hyper-parameters")
}

/// Each feature's mean and population standard deviation over `x`, in `f64` rounded to
/// `f32`, a constant feature's std 1: [`Standardize::from_data`]'s arithmetic, which needs
/// a heap for its `Dyn` matrix.
fn moments(x: &[[f32; FEATURES]]) -> ([f32; FEATURES], [f32; FEATURES]) {
    let (mut mean, mut std) = ([0.0f32; FEATURES], [1.0f32; FEATURES]);
    let count = x.len() as f64;
    for i in 0..FEATURES {
        let mu = x.iter().map(|r| f64::from(r[i])).sum::<f64>() / count;
        let var = x
            .iter()
            .map(|r| (f64::from(r[i]) - mu) * (f64::from(r[i]) - mu))
            .sum::<f64>()
            / count;
        mean[i] = mu as f32;
        let eps = f64::EPSILON;
        let constant = var <= count * eps * var + (count * mu * eps) * (count * mu * eps);
        let s = constnet::nalgebra::ComplexField::sqrt(var) as f32;
        if !constant && (1.0 / s).is_finite() {
            std[i] = s;
        }
    }
    (mean, std)
}

/// The model's class for one row of raw measurements: its largest logit, the first on a
/// tie.
#[must_use]
pub fn class(model: &Model, x: &[f32; FEATURES]) -> usize {
    let z = model.forward(&SVector::from(*x));
    let mut best = 0;
    for k in 1..CLASSES {
        if z[k] > z[best] {
            best = k;
        }
    }
    best
}
