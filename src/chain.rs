//! Composition: [`Chain<A, B>`] runs `A`, then `B`; [`net!`](crate::net) names a whole stack.
//!
//! The shape check lives in the struct's definition (`B: Layer<output width of A>`), so it is
//! enforced wherever the type is *written* — a `let` annotation, a struct field, a function
//! signature — not only when `forward` is finally called.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, DimName, OMatrix};

use crate::layer::{Forward, Layer, Net, OutOf, Params};
use crate::{Activation, Init, Real, Result};
use rand::Rng;

/// Two layers in sequence: `first`, then `second`.
///
/// Build one with [`Net::then`] or name one with [`net!`](crate::net). The bound on `B`
/// makes a mis-shaped network a compile error where it is written:
///
/// ```compile_fail
/// use constnet::{net, Dense, Relu};
/// // Dense<63, 1> cannot follow a 64-wide layer: error here, naming Const<63> and Const<64>.
/// fn build() -> net![Dense<1, 64>, Relu, Dense<63, 1>] { todo!() }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<A, B>
where
    A: Net,
    B: Layer<OutOf<A>>,
{
    /// The earlier part of the network.
    pub first: A,
    /// The layer that follows it.
    pub second: B,
}

impl<A: Net, B: Layer<OutOf<A>>> Chain<A, B> {
    /// Joins two parts; `second` must accept `first`'s output width.
    ///
    /// ```
    /// use constnet::{Chain, Dense, Tanh};
    /// let net = Chain::new(Dense::<3, 2>::zeros(), Tanh);
    /// assert_eq!(net.first, Dense::zeros());
    /// ```
    pub fn new(first: A, second: B) -> Self {
        Chain { first, second }
    }
}

impl<A: Net, B: Layer<OutOf<A>>> Layer<A::In> for Chain<A, B> {
    type Out = B::Out;
}

impl<A: Net, B: Layer<OutOf<A>>> Net for Chain<A, B> {
    type In = A::In;
}

impl<T: Real, A, B> Params<T> for Chain<A, B>
where
    A: Net + Params<T>,
    B: Layer<OutOf<A>> + Params<T>,
{
    const TENSORS: usize = A::TENSORS + B::TENSORS;

    fn shape(i: usize) -> (usize, usize) {
        if i < A::TENSORS {
            A::shape(i)
        } else {
            B::shape(i - A::TENSORS)
        }
    }

    fn tensor(&self, i: usize) -> &[T] {
        if i < A::TENSORS {
            self.first.tensor(i)
        } else {
            self.second.tensor(i - A::TENSORS)
        }
    }

    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i < A::TENSORS {
            self.first.tensor_mut(i)
        } else {
            self.second.tensor_mut(i - A::TENSORS)
        }
    }

    fn zeros() -> Self {
        Chain::new(A::zeros(), B::zeros())
    }
}

impl<T: Real, A, B> Init<T> for Chain<A, B>
where
    A: Net + Init<T>,
    B: Layer<OutOf<A>> + Init<T>,
{
    /// Initialises `first`, then `second`, from the same RNG stream (so the order is fixed).
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: crate::InitScheme) -> Self {
        let first = A::init(rng, scheme);
        Chain::new(first, B::init(rng, scheme))
    }
}

impl<T, N, A, B> Forward<T, A::In, N> for Chain<A, B>
where
    T: Real,
    N: Dim,
    A: Net + Forward<T, A::In, N>,
    B: Forward<T, OutOf<A>, N>,
    DefaultAllocator: Allocator<A::In, N> + Allocator<OutOf<A>, N> + Allocator<B::Out, N>,
{
    /// `first`'s workspace (its output is `second`'s input), then `second`'s.
    type Workspace = (A::Workspace, B::Workspace);

    fn workspace(batch: N) -> Self::Workspace {
        (A::workspace(batch), B::workspace(batch))
    }

    fn output((_, ws_b): &Self::Workspace) -> &OMatrix<T, B::Out, N> {
        B::output(ws_b)
    }

    fn grad_input((ws_a, _): &Self::Workspace) -> &OMatrix<T, A::In, N> {
        A::grad_input(ws_a)
    }

    /// `second.infer_after(first)`: an activation is applied by the layer before it.
    fn forward(&self, x: &OMatrix<T, A::In, N>) -> OMatrix<T, B::Out, N> {
        self.second.infer_after(&self.first, x)
    }

    /// `first`, then `second` applying `Act`.
    fn infer_activated<Act: Activation>(&self, x: &OMatrix<T, A::In, N>) -> OMatrix<T, B::Out, N> {
        self.second.infer_activated::<Act>(&self.first.forward(x))
    }

    /// `second.forward_after(first)`: an activation is applied by the layer before it.
    fn forward_into(&self, x: &OMatrix<T, A::In, N>, (ws_a, ws_b): &mut Self::Workspace) {
        self.second.forward_after(&self.first, x, ws_a, ws_b);
    }

    /// `first`, then `second` applying `Act`.
    fn forward_activated<Act: Activation>(
        &self,
        x: &OMatrix<T, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        out: &mut OMatrix<T, B::Out, N>,
    ) {
        self.first.forward_into(x, ws_a);
        self.second
            .forward_activated::<Act>(A::output(ws_a), ws_b, out);
    }

    /// `first.backward_before(second)`: the layer after an activation applies its derivative.
    fn backward_into(
        &self,
        x: &OMatrix<T, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        grad_out: &OMatrix<T, B::Out, N>,
        grad: &mut Self,
        grad_input: bool,
    ) -> Result<()> {
        let (grad_a, grad_b) = (&mut grad.first, &mut grad.second);
        let second = &self.second;
        self.first
            .backward_before(second, x, ws_a, ws_b, grad_out, grad_a, grad_b, grad_input)
    }

    /// `second`'s backward pass, then `first`'s passing back through `Act`.
    fn backward_activated<Act: Activation>(
        &self,
        x: &OMatrix<T, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        grad_out: &OMatrix<T, B::Out, N>,
        grad: &mut Self,
        act_input: &OMatrix<T, A::In, N>,
        out: &mut OMatrix<T, A::In, N>,
    ) -> Result<()> {
        self.second
            .backward_into(A::output(ws_a), ws_b, grad_out, &mut grad.second, true)?;
        let grad_b = B::grad_input(ws_b);
        self.first
            .backward_activated::<Act>(x, ws_a, grad_b, &mut grad.first, act_input, out)
    }

    /// `second.backward_before(next)`, then `first`'s backward pass.
    fn backward_before<NO, NX>(
        &self,
        next: &NX,
        x: &OMatrix<T, A::In, N>,
        (ws_a, ws_b): &mut Self::Workspace,
        ws_next: &mut NX::Workspace,
        grad_out: &OMatrix<T, NO, N>,
        grad: &mut Self,
        grad_next: &mut NX,
        grad_input: bool,
    ) -> Result<()>
    where
        NO: DimName,
        NX: Forward<T, B::Out, N, Out = NO>,
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

/// The type of a network, written as its layers in order.
///
/// `net![A, B, C]` is `Chain<Chain<A, B>, C>`. The first layer must have a fixed input
/// width (e.g. a [`Dense`](crate::Dense)); a mis-shaped list fails to compile where the
/// type is used.
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
