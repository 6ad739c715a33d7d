//! Shared by the training probes: on-device fine-tuning of the exported f32 model on a
//! fixed batch, with every buffer in a static (so `llvm-size` counts it as RAM).

use constnet::nalgebra::{Const, SMatrix};
use constnet::{Forward, Optimizer, loss};
use firmware::Model;

/// Samples per step.
pub const BATCH: usize = 8;
/// A fixed batch: one sample per column.
pub type Batch = SMatrix<f32, 1, BATCH>;
/// Every layer's output and input gradient for one batch.
pub type Workspace = <Model as Forward<f32, Const<1>, Const<BATCH>>>::Workspace;

/// What a training loop keeps between steps, besides the optimizer.
pub struct State {
    /// The network being trained.
    pub model: Model,
    /// ∂L/∂θ, the network's own type.
    pub grad: Model,
    /// The step's buffers.
    pub ws: Workspace,
}

impl State {
    /// The exported model and zeroed buffers.
    pub fn new() -> Self {
        State {
            model: firmware::MODEL,
            grad: <Model as constnet::Params<f32>>::zeros(),
            ws: <Model as Forward<f32, Const<1>, Const<BATCH>>>::workspace(Const),
        }
    }
}

/// One step: forward, MSE gradient, backward, optimizer update; returns the batch's loss.
pub fn step(s: &mut State, opt: &mut impl Optimizer<f32, Model>, x: &Batch, y: &Batch) -> f32 {
    s.model.forward_into(x, &mut s.ws);
    let pred = Model::output(&s.ws);
    let g = loss::mse_grad(pred, y).unwrap();
    let l = loss::mse(pred, y).unwrap();
    s.model
        .backward_params(x, &mut s.ws, &g, &mut s.grad)
        .unwrap();
    opt.step(&mut s.model, &s.grad);
    l
}

/// The cubic on 8 points of [−2, 2].
pub fn batch() -> (Batch, Batch) {
    let x = Batch::from_fn(|_, j| j as f32 * 0.5 - 2.0);
    (x, x.map(|v| v * v * v))
}
