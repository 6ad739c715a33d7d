//! Composition: [`Chain<A, B>`] runs `A`, then `B`; [`net!`](crate::net) names a whole stack.
//!
//! The shape check lives in the struct's definition (`B: Layer<output width of A>`), so it is
//! enforced wherever the type is *written* — a `let` annotation, a struct field, a function
//! signature — not only when `forward` is finally called.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::layer::{Forward, Fuse, Layer, Net, OutOf, Params};
use crate::{Activation, Init, Result};
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

impl<A, B> Params<A::Scalar> for Chain<A, B>
where
    A: Net + Params<A::Scalar>,
    B: Layer<OutOf<A>, A::Scalar> + Params<A::Scalar>,
{
    const TENSORS: usize = A::TENSORS + B::TENSORS;

    fn shape(i: usize) -> (usize, usize) {
        if i < A::TENSORS {
            A::shape(i)
        } else {
            B::shape(i - A::TENSORS)
        }
    }

    fn tensor(&self, i: usize) -> &[A::Scalar] {
        if i < A::TENSORS {
            self.first.tensor(i)
        } else {
            self.second.tensor(i - A::TENSORS)
        }
    }

    fn tensor_mut(&mut self, i: usize) -> &mut [A::Scalar] {
        if i < A::TENSORS {
            self.first.tensor_mut(i)
        } else {
            self.second.tensor_mut(i - A::TENSORS)
        }
    }

    fn frozen(i: usize) -> bool {
        if i < A::TENSORS {
            A::frozen(i)
        } else {
            B::frozen(i - A::TENSORS)
        }
    }

    fn zeros() -> Self {
        Chain::new(A::zeros(), B::zeros())
    }
}

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
    A: Net + Fuse<A::Scalar, A::In, N>,
    B: Layer<OutOf<A>, A::Scalar> + Fuse<A::Scalar, OutOf<A>, N>,
    DefaultAllocator: Allocator<A::In, N> + Allocator<OutOf<A>, N> + Allocator<OutB<A, B>, N>,
{
    /// `first`'s workspace (its output is `second`'s input), then `second`'s.
    type Workspace = (A::Workspace, B::Workspace);

    fn workspace(batch: N) -> Self::Workspace {
        (A::workspace(batch), B::workspace(batch))
    }

    fn output((_, ws_b): &Self::Workspace) -> &OMatrix<A::Scalar, OutB<A, B>, N> {
        B::output(ws_b)
    }

    fn grad_input((ws_a, _): &Self::Workspace) -> &OMatrix<A::Scalar, A::In, N> {
        A::grad_input(ws_a)
    }

    /// `second.infer_after(first)`: an activation is applied by the layer before it.
    fn forward(&self, x: &OMatrix<A::Scalar, A::In, N>) -> OMatrix<A::Scalar, OutB<A, B>, N> {
        self.second.infer_after::<A::In, A>(&self.first, x)
    }

    /// `second.forward_after(first)`: an activation is applied by the layer before it.
    fn forward_into(&self, x: &OMatrix<A::Scalar, A::In, N>, (ws_a, ws_b): &mut Self::Workspace) {
        self.second
            .forward_after::<A::In, A>(&self.first, x, ws_a, ws_b);
    }

    /// The chain rule for `y = B(A(x))`: `second`'s backward pass turns `∂L/∂y` into
    /// `∂L/∂h` for the intermediate `h = A(x)`, which `first`'s backward pass turns into
    /// `∂L/∂x`; each fills its own part of `grad`. Run as `first.backward_before(second)`,
    /// so the layer after an activation applies its derivative as it writes.
    fn backward_into(
        &self,
        x: &OMatrix<A::Scalar, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        grad_out: &OMatrix<A::Scalar, OutB<A, B>, N>,
        grad: &mut Self,
        grad_input: bool,
    ) -> Result<()> {
        let (grad_a, grad_b) = (&mut grad.first, &mut grad.second);
        let second = &self.second;
        self.first
            .backward_before(second, x, ws_a, ws_b, grad_out, grad_a, grad_b, grad_input)
    }
}

/// Passes the neighbour protocol on to the parts.
impl<N, A, B> Fuse<A::Scalar, A::In, N> for Chain<A, B>
where
    N: Dim,
    A: Net + Fuse<A::Scalar, A::In, N>,
    B: Layer<OutOf<A>, A::Scalar> + Fuse<A::Scalar, OutOf<A>, N>,
    DefaultAllocator: Allocator<A::In, N> + Allocator<OutOf<A>, N> + Allocator<OutB<A, B>, N>,
{
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
        (ws_a, ws_b): &mut Self::Workspace,
        out: &mut OMatrix<A::Scalar, OutB<A, B>, N>,
    ) {
        self.first.forward_into(x, ws_a);
        self.second
            .forward_activated(act, A::output(ws_a), ws_b, out);
    }

    /// `second`'s backward pass, then `first`'s passing back through `act`.
    fn backward_activated<Act: Activation>(
        &self,
        act: &Act,
        x: &OMatrix<A::Scalar, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        grad_out: &OMatrix<A::Scalar, OutB<A, B>, N>,
        grad: &mut Self,
        act_input: &OMatrix<A::Scalar, A::In, N>,
        out: &mut OMatrix<A::Scalar, A::In, N>,
    ) -> Result<()> {
        self.second
            .backward_into(A::output(ws_a), ws_b, grad_out, &mut grad.second, true)?;
        let grad_b = B::grad_input(ws_b);
        self.first
            .backward_activated(act, x, ws_a, grad_b, &mut grad.first, act_input, out)
    }

    /// `second.backward_before(next)`, then `first`'s backward pass.
    fn backward_before<NO, NX>(
        &self,
        next: &NX,
        x: &OMatrix<A::Scalar, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        ws_next: &mut NX::Workspace,
        grad_out: &OMatrix<A::Scalar, NO, N>,
        grad: &mut Self,
        grad_next: &mut NX,
        grad_input: bool,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Fuse<A::Scalar, OutB<A, B>, N, Out = NO>,
        DefaultAllocator: Allocator<NO, N>,
    {
        let (x_b, grad_b) = (A::output(ws_a), &mut grad.second);
        self.second
            .backward_before(next, x_b, ws_b, ws_next, grad_out, grad_b, grad_next, true)?;
        let grad_a = &mut grad.first;
        self.first
            .backward_into(x, ws_a, B::grad_input(ws_b), grad_a, grad_input)
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
