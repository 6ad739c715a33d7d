//! Step 2 of the learning path (step 1 is `cargo run --release --example cubic`): your own
//! activation and your own layers, outside the crate, proven, trained, saved and loaded.
//!
//! ```sh
//! cargo run --release --example 02_custom_layer
//! ```
//!
//! - `Softplus`, `ln(1 + eˣ)`: an activation is `f` and `f'` (plus one line saying it keeps
//!   the width). It fuses into the `Dense` layers around it like a built-in one.
//! - `Scale<N>`, `y = s ⊙ x`: a learnable per-feature factor. A layer is its shape
//!   (`Layer`), its parameter list (one `params!` line) and its forward and backward passes
//!   (`Forward`: a workspace type, `forward_into`, `backward_into`); the rest has defaults.
//! - `Residual<L>`, `y = x + L(x)`: a wrapper around any width-preserving network, whose
//!   parameters are the inner network's.
//!
//! Each is checked against finite differences with `constnet::gradcheck` before the network
//! trains on `y = x³`; the trained network is saved, loaded back and must give the same
//! predictions bit for bit.

use constnet::layer::Buffers;
use constnet::nalgebra::allocator::Allocator;
use constnet::nalgebra::{Const, DefaultAllocator, Dim, DimName, Dyn, OMatrix, SVector};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{
    Activation, Adam, Dense, Forward, Init, InitScheme, Layer, Mse, Params, Real, Relu, Result,
    Trainer, gradcheck, metrics, net, params, persist,
};
use rand::Rng;

/// `ln(1 + eˣ)`, a smooth ReLU. Its derivative is the logistic sigmoid.
#[derive(Clone, Copy, Debug, Default)]
struct Softplus;
impl<D: DimName, T: Real> Layer<D, T> for Softplus {
    type Out = D;
}

impl Activation for Softplus {
    fn f<T: Real>(&self, x: T) -> T {
        x.max(T::zero()) + (-x.abs()).exp().ln_1p() // ln(1 + eˣ) without overflow
    }
    fn df<T: Real>(&self, x: T) -> T {
        constnet::Sigmoid.f(x)
    }
}

/// `y = s ⊙ x`: one learnable factor per feature, 1 at first. Backward: `∂L/∂x = s ⊙ g`, and
/// `∂L/∂s = Σ x ⊙ g` over the samples (the same `s` scales every sample).
#[derive(Clone, Debug, PartialEq)]
struct Scale<const N: usize, T: Real = f32> {
    s: SVector<T, N>,
}

impl<const N: usize, T: Real> Layer<Const<N>, T> for Scale<N, T> {
    type Out = Const<N>;
}

params!(impl[const N: usize, T: Real] Params<T> for Scale<N, T> { s: SVector<T, N> });

impl<const N: usize, T: Real> Init<T> for Scale<N, T> {
    fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
        let s = SVector::repeat(T::one());
        Scale { s }
    }
}

impl<const N: usize, T: Real, B: Dim> Forward<T, Const<N>, B> for Scale<N, T>
where
    DefaultAllocator: Allocator<Const<N>, B>,
{
    type Workspace = Buffers<T, Const<N>, Const<N>, B>;
    fn forward_into(&self, x: &OMatrix<T, Const<N>, B>, ws: &mut Self::Workspace) {
        ws.output = x.map_with_location(|i, _, v| v * self.s[i]);
    }
    fn backward_into(
        &self,
        x: &OMatrix<T, Const<N>, B>,
        ws: &mut Self::Workspace,
        g: &OMatrix<T, Const<N>, B>,
        grad: &mut Self,
    ) -> Result<()> {
        grad.s = x.component_mul(g).column_sum();
        ws.grad_input = g.map_with_location(|i, _, v| v * self.s[i]);
        Ok(())
    }
}

/// `y = x + L(x)` for a network `L` that keeps the width. Backward: `∂L/∂θ` is the inner
/// network's; `∂L/∂x = g + (∂L/∂x through L)`, the identity path passing `g` on unchanged.
#[derive(Clone, Debug, PartialEq)]
struct Residual<L>(L);

impl<D: DimName, T: Real, L: Layer<D, T, Out = D>> Layer<D, T> for Residual<L> {
    type Out = D;
}

params!(impl[T: Real, L: Params<T>] Params<T> for Residual<L> { 0: L });

impl<T: Real, L: Init<T>> Init<T> for Residual<L> {
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: InitScheme) -> Self {
        Residual(L::init(rng, scheme))
    }
}

impl<T: Real, D: DimName, B: Dim, L: Forward<T, D, B, Out = D>> Forward<T, D, B> for Residual<L>
where
    DefaultAllocator: Allocator<D, B>,
{
    /// The inner network's workspace, then this layer's output and input gradient.
    type Workspace = (L::Workspace, Buffers<T, D, D, B>);
    fn forward_into(&self, x: &OMatrix<T, D, B>, (inner, own): &mut Self::Workspace) {
        self.0.forward_into(x, inner);
        own.output = x + L::output(inner);
    }
    fn backward_into(
        &self,
        x: &OMatrix<T, D, B>,
        (inner, own): &mut Self::Workspace,
        g: &OMatrix<T, D, B>,
        grad: &mut Self,
    ) -> Result<()> {
        self.0.backward_into(x, inner, g, &mut grad.0)?;
        own.grad_input = g + L::grad_input(inner);
        Ok(())
    }
}

/// The whole network: the seed's shape with the three new pieces in it.
type Model = net![
    Dense<1, 32>,
    Softplus,
    Scale<32>,
    Residual<net![Dense<32, 32>, Relu]>,
    Dense<32, 1>
];

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    // 1. Prove each backward pass, in f64, on a small batch.
    let x3 = OMatrix::<f64, Const<3>, Dyn>::from_fn(4, |i, j| 0.7 * i as f64 - 0.45 * j as f64);
    let ones = OMatrix::<f64, Const<3>, Dyn>::from_fn(4, |i, j| 1.0 - 0.1 * (i + j) as f64);
    let report = gradcheck::check(&Softplus, &x3, &ones)?;
    println!(
        "Softplus: {} coordinates agree with finite differences",
        report.checked
    );
    let scale = Scale::<3, f64> {
        s: SVector::from([0.5, -2.0, 1.5]),
    };
    let report = gradcheck::check(&scale, &x3, &ones)?;
    println!("Scale:    {} coordinates agree", report.checked);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let inner: net![Dense<3, 3, f64>, Softplus] = Init::init(&mut rng, InitScheme::He);
    let report = gradcheck::check(&Residual(inner), &x3, &ones)?;
    println!("Residual: {} coordinates agree", report.checked);

    // 2. Train the whole network on y = x³ (Adam, 600 full-batch epochs).
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let mut model: Model = Init::init(&mut rng, InitScheme::He);
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(400, |_, j| j as f32 / 100.0 - 2.0);
    let y = x.map(|v| v * v * v);
    let history = Trainer::new(&x, &y)
        .epochs(600)
        .fit(&mut model, &mut Adam::new(0.003)?, &Mse)?;
    let r2 = metrics::r2(model.forward(&x).as_slice(), y.as_slice())?;
    let losses = &history.train;
    println!(
        "trained {} epochs: loss {:.4} -> {:.5}, R² {r2:.4}",
        losses.len(),
        losses[0],
        losses[losses.len() - 1]
    );

    // 3. Save, load, and get the same predictions bit for bit.
    let path = std::env::temp_dir().join(format!("constnet-02-{}.cnet", std::process::id()));
    persist::save(&model, &path)?;
    let loaded: Model = persist::load(&path)?;
    std::fs::remove_file(&path)?;
    let same = loaded.forward(&x).map(f32::to_bits) == model.forward(&x).map(f32::to_bits);
    println!("saved and loaded: predictions identical = {same}");
    if !same || r2 < 0.99 {
        return Err("the custom network did not train or did not round-trip".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `cargo test` runs the whole example: every check above is an assertion.
    #[test]
    fn the_example_runs_and_round_trips() {
        super::main().unwrap();
    }
}
