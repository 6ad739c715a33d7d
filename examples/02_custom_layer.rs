//! Step 2 of the learning path (step 1 is `cargo run --release --example cubic`): your own
//! activation and your own layers, outside the crate, proven, trained, saved and loaded.
//!
//! ```sh
//! cargo run --release --example 02_custom_layer
//! ```
//!
//! - `Softplus`, `ln(1 + eˣ)`: an activation is `f` and `f'` (plus one line saying it keeps
//!   the width). It fuses into the `Dense` layers around it like a built-in one.
//! - `Scale<N>`, `y = s ⊙ x`: a learnable per-feature factor. A layer is its shape, its
//!   parameter list, its forward and backward passes, and an empty `Fuse` impl.
//! - `Residual<L>`, `y = x + L(x)`: a wrapper around any width-preserving network.
//!
//! Each is checked against finite differences with `constnet::gradcheck` before the network
//! trains on `y = x³`; the trained network is saved, loaded back and must give the same
//! predictions bit for bit.

use constnet::layer::Buffers;
use constnet::nalgebra::allocator::Allocator;
use constnet::nalgebra::{Const, DefaultAllocator, Dim, DimName, Dyn, OMatrix, SVector};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::train::{TrainConfig, fit};
use constnet::{
    Activation, Adam, Dense, Forward, Fuse, Init, InitScheme, Layer, Params, Real, Relu, Result,
    gradcheck, metrics, net, persist,
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
        // max(x, 0) + ln(1 + e^-|x|): no overflow for large |x|.
        x.max(T::zero()) + (-x.abs()).exp().ln_1p()
    }
    fn df<T: Real>(&self, x: T) -> T {
        constnet::Sigmoid.f(x)
    }
}

/// `y = s ⊙ x`: one learnable factor per feature.
#[derive(Clone, Debug, PartialEq)]
struct Scale<const N: usize, T: Real = f32> {
    s: SVector<T, N>,
}

impl<const N: usize, T: Real> Layer<Const<N>, T> for Scale<N, T> {
    type Out = Const<N>;
}

impl<const N: usize, T: Real> Params<T> for Scale<N, T> {
    const TENSORS: usize = 1;
    fn shape(i: usize) -> (usize, usize) {
        if i == 0 { (N, 1) } else { (0, 0) }
    }
    fn tensor(&self, i: usize) -> &[T] {
        if i == 0 { self.s.as_slice() } else { &[] }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i == 0 {
            self.s.as_mut_slice()
        } else {
            &mut []
        }
    }
    fn zeros() -> Self {
        Scale {
            s: SVector::zeros(),
        }
    }
}

/// Starts as the identity: every factor 1.
impl<const N: usize, T: Real> Init<T> for Scale<N, T> {
    fn init<R: Rng + ?Sized>(_: &mut R, _: InitScheme) -> Self {
        Scale {
            s: SVector::repeat(T::one()),
        }
    }
}

impl<const N: usize, T: Real, B: Dim> Forward<T, Const<N>, B> for Scale<N, T>
where
    DefaultAllocator: Allocator<Const<N>, B>,
{
    type Workspace = Buffers<T, Const<N>, Const<N>, B>;
    fn workspace(batch: B) -> Self::Workspace {
        Buffers::new(batch)
    }
    fn output(ws: &Self::Workspace) -> &OMatrix<T, Const<N>, B> {
        &ws.output
    }
    fn grad_input(ws: &Self::Workspace) -> &OMatrix<T, Const<N>, B> {
        &ws.grad_input
    }

    /// `y = s ⊙ x`, sample by sample.
    fn forward_into(&self, x: &OMatrix<T, Const<N>, B>, ws: &mut Self::Workspace) {
        ws.output.clone_from(x);
        for mut y in ws.output.column_iter_mut() {
            y.component_mul_assign(&self.s);
        }
    }

    /// `∂L/∂s = Σ_samples x ⊙ g` (s touches every sample), `∂L/∂x = s ⊙ g`.
    fn backward_into(
        &self,
        x: &OMatrix<T, Const<N>, B>,
        ws: &mut Self::Workspace,
        g: &OMatrix<T, Const<N>, B>,
        grad: &mut Self,
        _grad_input: bool,
    ) -> Result<()> {
        grad.s = x.component_mul(g).column_sum();
        ws.grad_input.clone_from(g);
        for mut gx in ws.grad_input.column_iter_mut() {
            gx.component_mul_assign(&self.s);
        }
        Ok(())
    }
}

impl<const N: usize, T: Real, B: Dim> Fuse<T, Const<N>, B> for Scale<N, T> where
    DefaultAllocator: Allocator<Const<N>, B>
{
}

/// `y = x + L(x)` for a network `L` that keeps the width.
#[derive(Clone, Debug, PartialEq)]
struct Residual<L>(L);

impl<D: DimName, T: Real, L: Layer<D, T, Out = D>> Layer<D, T> for Residual<L> {
    type Out = D;
}

impl<T: Real, L: Params<T>> Params<T> for Residual<L> {
    const TENSORS: usize = L::TENSORS;
    fn shape(i: usize) -> (usize, usize) {
        L::shape(i)
    }
    fn tensor(&self, i: usize) -> &[T] {
        self.0.tensor(i)
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        self.0.tensor_mut(i)
    }
    fn frozen(i: usize) -> bool {
        L::frozen(i)
    }
    fn zeros() -> Self {
        Residual(L::zeros())
    }
}

impl<T: Real, L: Init<T>> Init<T> for Residual<L> {
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: InitScheme) -> Self {
        Residual(L::init(rng, scheme))
    }
}

impl<T, D, B, L> Forward<T, D, B> for Residual<L>
where
    T: Real,
    D: DimName,
    B: Dim,
    L: Forward<T, D, B, Out = D>,
    DefaultAllocator: Allocator<D, B>,
{
    /// The inner network's workspace, and this layer's output and input gradient.
    type Workspace = (L::Workspace, Buffers<T, D, D, B>);
    fn workspace(batch: B) -> Self::Workspace {
        (L::workspace(batch), Buffers::new(batch))
    }
    fn output(ws: &Self::Workspace) -> &OMatrix<T, D, B> {
        &ws.1.output
    }
    fn grad_input(ws: &Self::Workspace) -> &OMatrix<T, D, B> {
        &ws.1.grad_input
    }

    /// `y = x + L(x)`.
    fn forward_into(&self, x: &OMatrix<T, D, B>, (inner, own): &mut Self::Workspace) {
        self.0.forward_into(x, inner);
        own.output = x + L::output(inner);
    }

    /// `∂L/∂θ` is the inner network's; `∂L/∂x = g + (∂L/∂x through L)`: the identity path
    /// passes the gradient on unchanged.
    fn backward_into(
        &self,
        x: &OMatrix<T, D, B>,
        (inner, own): &mut Self::Workspace,
        g: &OMatrix<T, D, B>,
        grad: &mut Self,
        _grad_input: bool,
    ) -> Result<()> {
        self.0.backward_into(x, inner, g, &mut grad.0, true)?;
        own.grad_input = g + L::grad_input(inner);
        Ok(())
    }
}

impl<T, D, B, L> Fuse<T, D, B> for Residual<L>
where
    T: Real,
    D: DimName,
    B: Dim,
    L: Forward<T, D, B, Out = D>,
    DefaultAllocator: Allocator<D, B>,
{
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
    let config = TrainConfig {
        epochs: 600,
        ..TrainConfig::default()
    };
    let losses = fit(
        &mut model,
        &mut Adam::new(0.003)?,
        &x,
        &y,
        &config,
        |_, _| {},
    )?;
    let r2 = metrics::r2(model.forward(&x).as_slice(), y.as_slice())?;
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
