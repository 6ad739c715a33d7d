//! Composition: [`Chain<A, B>`] runs `A`, then `B`; [`net!`](crate::net) names a whole stack.
//!
//! The shape check lives in the struct's definition (`B: Layer<output width of A>`), so it is
//! enforced wherever the type is *written* — a `let` annotation, a struct field, a function
//! signature — not only when `forward` is finally called.

use core::marker::PhantomData;

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::layer::{After, Back, Before, Forward, Layer, Net, OutOf, Params, Workspace};
use crate::{Activation, Init, Real, Result, params};
use rand::Rng;

/// Two layers in sequence: `first`, then `second`.
///
/// Build one with [`Net::then`] or name one with [`net!`](crate::net). The bound on `B`
/// makes a mis-shaped network a compile error wherever its type is used:
///
/// ```compile_fail
/// use constnet::{net, Dense, Relu};
/// // Dense<63, 1> cannot follow a 64-wide layer: error here, naming Const<63> and Const<64>.
/// fn build() -> net![Dense<1, 64>, Relu, Dense<63, 1>] { todo!() }
/// ```
///
/// and so does one that mixes scalar types:
///
/// ```compile_fail
/// use constnet::{net, Dense, Relu};
/// // error here: `Dense<16, 1>` (f32) cannot take `f64` inputs.
/// fn build() -> net![Dense<1, 16, f64>, Relu, Dense<16, 1>] { todo!() }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<A, B>
where
    A: Net,
    B: Layer<OutOf<A>, A::Scalar>,
{
    /// The earlier part of the network.
    pub first: A,
    /// The layer that follows it.
    pub second: B,
}

impl<A: Net, B: Layer<OutOf<A>, A::Scalar>> Chain<A, B> {
    /// Joins two parts; `second` must accept `first`'s output width.
    ///
    /// ```
    /// use constnet::{Chain, Dense, Tanh};
    /// let net = Chain::new(Dense::<3, 2>::zeros(), Tanh);
    /// assert_eq!(net.first, Dense::zeros());
    /// ```
    #[must_use]
    pub const fn new(first: A, second: B) -> Self {
        Chain { first, second }
    }
}

impl<A: Net, B: Layer<OutOf<A>, A::Scalar>> Layer<A::In, A::Scalar> for Chain<A, B> {
    type Out = B::Out;
}

impl<A: Net, B: Layer<OutOf<A>, A::Scalar>> Net for Chain<A, B> {
    type In = A::In;
    type Scalar = A::Scalar;
}

params!(@params impl[A: Net + Params<A::Scalar>, B: Layer<OutOf<A>, A::Scalar> + Params<A::Scalar>]
    Params<A::Scalar> for Chain<A, B> { first: A, second: B });

impl<A, B> Init<A::Scalar> for Chain<A, B>
where
    A: Net + Init<A::Scalar>,
    B: Layer<OutOf<A>, A::Scalar> + Init<A::Scalar>,
{
    /// Initialises `first`, then `second`, from the same RNG stream (so the order is fixed).
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: crate::InitScheme) -> Self {
        let first = A::init(rng, scheme);
        Chain::new(first, B::init(rng, scheme))
    }
}

impl<N, A, B> Forward<A::Scalar, A::In, N> for Chain<A, B>
where
    N: Dim,
    A: Net + Forward<A::Scalar, A::In, N>,
    B: Layer<OutOf<A>, A::Scalar> + Forward<A::Scalar, OutOf<A>, N>,
    DefaultAllocator: Allocator<A::In, N> + Allocator<OutOf<A>, N> + Allocator<OutB<A, B>, N>,
{
    /// `first`'s workspace (its output is `second`'s input), then `second`'s.
    type Workspace = ChainWorkspace<A::Workspace, B::Workspace, OutOf<A>>;

    /// `second.infer_after(first)`: an activation is applied by the layer before it.
    fn forward(&self, x: &OMatrix<A::Scalar, A::In, N>) -> OMatrix<A::Scalar, OutB<A, B>, N> {
        self.second.infer_after::<A::In, A>(&self.first, x)
    }

    /// `second.forward_after(first)`: an activation is applied by the layer before it.
    fn forward_into(&self, x: &OMatrix<A::Scalar, A::In, N>, ws: &mut Self::Workspace) {
        self.second
            .forward_after::<A::In, A>(&self.first, x, &mut ws.first, &mut ws.second);
    }

    /// The chain rule for `y = B(A(x))`: `second`'s backward pass turns `∂L/∂y` into
    /// `∂L/∂h` for the intermediate `h = A(x)`, which `first`'s backward pass turns into
    /// `∂L/∂x`; each fills its own part of `grad`. Run as `first.backward_before(second)`,
    /// so the layer after an activation applies its derivative as it writes.
    fn backward_into(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<A::Scalar, OutB<A, B>, N>,
        grad: &mut Self,
    ) -> Result<()> {
        self.backward(x, ws, grad_out, grad, true)
    }

    /// As [`backward_into`](Forward::backward_into), with `first`'s
    /// [`backward_params`](Forward::backward_params).
    fn backward_params(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<A::Scalar, OutB<A, B>, N>,
        grad: &mut Self,
    ) -> Result<()> {
        self.backward(x, ws, grad_out, grad, false)
    }

    /// `first`'s reports, then `second`'s (whose input is `first`'s output): the order of
    /// the chain's tensors.
    #[cfg(feature = "alloc")]
    fn report(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &Self::Workspace,
        out: &mut alloc::vec::Vec<crate::diagnose::LayerReport>,
    ) {
        self.first.report(x, &ws.first, out);
        self.second.report(A::output(&ws.first), &ws.second, out);
    }

    /// `first`, then `second` applying `act`.
    fn infer_activated<Act: Activation>(
        &self,
        act: &Act,
        x: &OMatrix<A::Scalar, A::In, N>,
    ) -> OMatrix<A::Scalar, OutB<A, B>, N> {
        self.second.infer_activated(act, &self.first.forward(x))
    }

    /// `first`, then `second` applying `act`.
    fn forward_activated<Act: Activation>(
        &self,
        act: &Act,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut Self::Workspace,
        out: &mut OMatrix<A::Scalar, OutB<A, B>, N>,
    ) {
        self.first.forward_into(x, &mut ws.first);
        self.second
            .forward_activated(act, A::output(&ws.first), &mut ws.second, out);
    }

    /// `second`'s backward pass, then `first`'s passing back through `act`.
    fn backward_activated<Act: Activation>(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut Self::Workspace,
        back: Back<'_, A::Scalar, OutB<A, B>, N, Self>,
        act: Before<'_, '_, Act, A::Scalar, A::In, N>,
    ) -> Result<()> {
        let ChainWorkspace { first, second, .. } = ws;
        let grad = back.grad;
        self.second
            .backward_into(A::output(first), second, back.grad_out, &mut grad.second)?;
        let back = Back {
            grad_out: B::grad_input(second),
            grad: &mut grad.first,
        };
        self.first.backward_activated(x, first, back, act)
    }

    /// `second.backward_before(next)`, then `first`'s backward pass.
    fn backward_before<NO, NX>(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut Self::Workspace,
        next: After<'_, NX, A::Scalar, OutB<A, B>, NO, N>,
        grad: &mut Self,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Forward<A::Scalar, OutB<A, B>, N, Out = NO>,
        DefaultAllocator: Allocator<NO, N>,
    {
        let grad_input = next.grad_input;
        let ChainWorkspace { first, second, .. } = ws;
        let next = After {
            grad_input: true,
            ..next
        };
        self.second
            .backward_before(A::output(first), second, next, &mut grad.second)?;
        let grad_mid = B::grad_input(second);
        if grad_input {
            self.first
                .backward_into(x, first, grad_mid, &mut grad.first)
        } else {
            self.first
                .backward_params(x, first, grad_mid, &mut grad.first)
        }
    }
}

impl<A, B> Chain<A, B>
where
    A: Net + Params<A::Scalar>,
    B: Layer<OutOf<A>, A::Scalar> + Params<A::Scalar>,
{
    /// [`Forward::backward_into`] (`grad_input`) or [`Forward::backward_params`].
    fn backward<N>(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        ws: &mut <Self as Forward<A::Scalar, A::In, N>>::Workspace,
        grad_out: &OMatrix<A::Scalar, OutB<A, B>, N>,
        grad: &mut Self,
        grad_input: bool,
    ) -> Result<()>
    where
        N: Dim,
        A: Forward<A::Scalar, A::In, N>,
        B: Forward<A::Scalar, OutOf<A>, N>,
        DefaultAllocator: Allocator<A::In, N> + Allocator<OutOf<A>, N> + Allocator<OutB<A, B>, N>,
    {
        let ChainWorkspace { first, second, .. } = ws;
        let next = After::<B, A::Scalar, OutOf<A>, OutB<A, B>, N> {
            layer: &self.second,
            ws: second,
            grad_out,
            grad: &mut grad.second,
            grad_input,
        };
        self.first
            .backward_before::<OutB<A, B>, B>(x, first, next, &mut grad.first)
    }
}

/// A [`Chain`]'s workspace: its first part's, then its second's (`M` is the width between
/// them).
#[derive(Clone, Debug, PartialEq)]
pub struct ChainWorkspace<WA, WB, M> {
    /// The first part's workspace.
    pub first: WA,
    /// The second part's workspace.
    pub second: WB,
    width: PhantomData<M>,
}

impl<T, I, M, O, B, WA, WB> Workspace<T, I, O, B> for ChainWorkspace<WA, WB, M>
where
    T: Real,
    I: Dim,
    M: Dim,
    O: Dim,
    B: Dim,
    WA: Workspace<T, I, M, B>,
    WB: Workspace<T, M, O, B>,
    DefaultAllocator: Allocator<I, B> + Allocator<M, B> + Allocator<O, B>,
{
    fn new(batch: B) -> Self {
        ChainWorkspace {
            first: WA::new(batch),
            second: WB::new(batch),
            width: PhantomData,
        }
    }
    fn output(&self) -> &OMatrix<T, O, B> {
        self.second.output()
    }
    fn grad_input(&self) -> &OMatrix<T, I, B> {
        self.first.grad_input()
    }
}

/// The output width of `B` after `A`.
type OutB<A, B> = <B as Layer<OutOf<A>, <A as Net>::Scalar>>::Out;

/// A network value, written as its layers in order: `chain![a, b, c]` is
/// `Chain::new(Chain::new(a, b), c)`, the value of type `net![A, B, C]`. Usable in a
/// `const` or `static` (every constructor it calls is a `const fn`).
///
/// ```
/// use constnet::{chain, net, Dense, Tanh};
/// let model: net![Dense<1, 2>, Tanh, Dense<2, 1>] =
///     chain![Dense::zeros(), Tanh, Dense::zeros()];
/// ```
#[macro_export]
macro_rules! chain {
    (@acc $acc:expr) => { $acc };
    (@acc $acc:expr, $next:expr $(, $rest:expr)*) => {
        $crate::chain!(@acc $crate::Chain::new($acc, $next) $(, $rest)*)
    };
    ($first:expr $(, $rest:expr)* $(,)?) => { $crate::chain!(@acc $first $(, $rest)*) };
}

/// The type of a network, written as its layers in order.
///
/// `net![A, B, C]` is `Chain<Chain<A, B>, C>`. The first layer must have a fixed input
/// width (e.g. a [`Dense`](crate::Dense)); a mis-shaped list fails to compile where the
/// type is used (a `let` annotation, a signature, a struct field: Rust does not check a
/// `type` alias by itself until it is used).
///
/// ```
/// use constnet::{net, Dense, Init, InitScheme, Relu};
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
/// let model: Seed = Init::init(&mut rng, InitScheme::He);
/// ```
#[macro_export]
macro_rules! net {
    (@acc $acc:ty) => { $acc };
    (@acc $acc:ty, $next:ty $(, $rest:ty)*) => {
        $crate::net!(@acc $crate::Chain<$acc, $next> $(, $rest)*)
    };
    ($first:ty $(, $rest:ty)* $(,)?) => { $crate::net!(@acc $first $(, $rest)*) };
}
