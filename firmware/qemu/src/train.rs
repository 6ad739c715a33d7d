//! Shared by the training probes: on-device fine-tuning of the exported f32 model on a
//! fixed batch, with every buffer in a static (so the ELF sections count it as RAM), built
//! in place (see `statics.rs`).

use constnet::nalgebra::{Const, SMatrix};
use constnet::{Forward, Optimizer, Params, loss};
use firmware::Model;

use crate::statics::zeroed_static;

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
    /// The state in its static: zero gradient and buffers, the model copied tensor by
    /// tensor from the exported one in flash. Callable once.
    pub fn in_static() -> &'static mut State {
        // All-zero bytes are a valid State: matrices of f32 and zero-sized activations.
        let s = zeroed_static!(State);
        for i in 0..<Model as Params<f32>>::TENSORS {
            s.model
                .tensor_mut(i)
                .copy_from_slice(firmware::NET.tensor(i));
        }
        assert!(s.model == firmware::NET);
        s
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
