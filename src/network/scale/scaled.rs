//! [`Scaled`]: a network between a [`Standardize`] and a [`Rescale`], raw units in and out.

use core::fmt::{self, Write};

use nalgebra::allocator::Allocator;
use nalgebra::{Const, DefaultAllocator, Dim, OMatrix};
use rand::Rng;

use super::{Rescale, Standardize};
use crate::export::{ExportRs, pad};
use crate::layer::{Buffers, Forward, Layer, Net, Network, Params, Workspace};
use crate::{Init, InitScheme, Real, Result, params};

/// A network `net` from `IN` to `OUT` features between an input [`Standardize`] and an
/// output [`Rescale`]: the typed model that takes raw units in and gives raw units out
/// (see the [module docs](super) for the data flow).
///
/// Its [`Params`] are the input's two frozen tensors, then `net`'s, then the output's two
/// frozen ones; its safetensors modules are those of `nn.Sequential(Standardize, *net,
/// Rescale)`.
///
/// ```
/// use constnet::{net, Dense, Forward, Params, Relu, Rescale, Scaled, Standardize};
/// use constnet::nalgebra::SVector;
///
/// type Model = Scaled<net![Dense<1, 4>, Relu, Dense<4, 1>], 1, 1>;
/// assert_eq!(<Model as Params<f32>>::TENSORS, 2 + 4 + 2);
/// assert_eq!(<Model as Params<f32>>::num_params(), 4 + 4 + 4 + 1); // the scalers are frozen
///
/// let net = constnet::chain![Dense::from_rows([[1.0]; 4], [0.0; 4]), Relu, Dense::zeros()];
/// let model = Scaled::from_parts(Standardize::new([50.0], [10.0]), net, Rescale::new([7.0], [2.0]));
/// assert_eq!(model.forward(&SVector::from([80.0]))[0], 7.0); // the net outputs 0
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled<M, const IN: usize, const OUT: usize, T: Real = f32>
where
    M: Network<IN, OUT, T>,
{
    /// Raw inputs to the network's units.
    pub input: Standardize<IN, T>,
    /// The network, trained on scaled data ([`training_data`](Self::training_data)).
    pub net: M,
    /// The network's outputs to raw units.
    pub output: Rescale<OUT, T>,
}

impl<M: Network<IN, OUT, T>, const IN: usize, const OUT: usize, T: Real> Scaled<M, IN, OUT, T> {
    /// Puts the three parts together, in a `const` if need be (exported firmware source
    /// uses this form).
    #[must_use]
    pub const fn from_parts(input: Standardize<IN, T>, net: M, output: Rescale<OUT, T>) -> Self {
        Scaled { input, net, output }
    }

    /// `net` between identity scalers: raw units are the network's units, bit for bit.
    ///
    /// ```
    /// use constnet::{Dense, Forward, Scaled};
    /// use constnet::nalgebra::SVector;
    /// let layer = Dense::<2, 1>::from_slices(&[1.0, 2.0], &[0.5])?;
    /// let x = SVector::from([-0.3, 7.0]);
    /// assert_eq!(Scaled::new(layer.clone()).forward(&x), layer.forward(&x));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    #[must_use]
    pub const fn new(net: M) -> Self {
        Scaled::from_parts(Standardize::identity(), net, Rescale::identity())
    }

    /// `net` between scalers fitted to `x` (inputs) and `y` (raw targets), one sample per
    /// column: the training split only, never held-out data (needs `alloc`).
    ///
    /// ```
    /// use constnet::{Dense, Scaled};
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[1000.0, 3000.0]);
    /// let y = OMatrix::<f32, Const<1>, Dyn>::from_row_slice(&[-1e4, 1e4]);
    /// let model = Scaled::from_data(Dense::<1, 1>::zeros(), &x, &y)?;
    /// assert_eq!((model.input.mean[0], model.input.std[0]), (2000.0, 1000.0));
    /// assert_eq!((model.output.mean[0], model.output.std[0]), (0.0, 1e4));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Standardize::from_data`] and [`Rescale::from_data`];
    /// [`Error::LengthMismatch`](crate::Error::LengthMismatch) if `x` and `y` hold
    /// different numbers of samples.
    #[cfg(feature = "alloc")]
    pub fn from_data(
        net: M,
        x: &OMatrix<T, Const<IN>, nalgebra::Dyn>,
        y: &OMatrix<T, Const<OUT>, nalgebra::Dyn>,
    ) -> Result<Self> {
        if x.ncols() != y.ncols() {
            return Err(crate::Error::LengthMismatch {
                what: "Scaled::from_data targets (samples)",
                expected: x.ncols(),
                found: y.ncols(),
            });
        }
        Ok(Scaled::from_parts(
            Standardize::from_data(x)?,
            net,
            Rescale::from_data(y)?,
        ))
    }

    /// `data` in the network's units: inputs standardized, targets `(y − mean) / std`.
    /// Exactly what `net` is trained on (`Trainer::new(…).fit(&mut scaled.net, …)`), so a learning
    /// rate means the same whatever the data's units (needs `std`).
    ///
    /// ```
    /// use constnet::{data::Dataset, Dense, Scaled};
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    /// let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[1000.0, 3000.0]);
    /// let data = Dataset::new(x.clone(), x * 10.0)?;
    /// let model = Scaled::from_data(Dense::<1, 1, f64>::zeros(), data.x(), data.y())?;
    /// let scaled = model.training_data(&data)?;
    /// assert_eq!((scaled.x().as_slice(), scaled.y().as_slice()), (&[-1.0, 1.0][..], &[-1.0, 1.0][..]));
    /// # Ok::<(), constnet::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NonFinite`](crate::Error::NonFinite) (`what` `"x"` or `"y"`) if a scaled
    /// value overflows `T` (a `std` far smaller than the data's spread).
    #[cfg(feature = "std")]
    pub fn training_data(
        &self,
        data: &crate::Dataset<T, IN, OUT>,
    ) -> Result<crate::Dataset<T, IN, OUT>> {
        crate::Dataset::new(
            self.input.forward(data.x()),
            self.output.to_training(data.y()),
        )
    }
}

impl<M: Network<IN, OUT, T>, const IN: usize, const OUT: usize, T: Real> Layer<Const<IN>, T>
    for Scaled<M, IN, OUT, T>
{
    type Out = Const<OUT>;
}

impl<M: Network<IN, OUT, T>, const IN: usize, const OUT: usize, T: Real> Net
    for Scaled<M, IN, OUT, T>
{
    type In = Const<IN>;
    type Scalar = T;
}

params!(@params impl[M: Network<IN, OUT, T> + Params<T>, const IN: usize, const OUT: usize, T: Real]
Params<T> for Scaled<M, IN, OUT, T> {
    input: Standardize<IN, T>,
    net: M,
    output: Rescale<OUT, T>,
});

/// Identity scalers (fit them with [`Scaled::from_data`]) around `M::init`.
impl<M, const IN: usize, const OUT: usize, T: Real> Init<T> for Scaled<M, IN, OUT, T>
where
    M: Network<IN, OUT, T> + Init<T>,
{
    fn init<R: Rng + ?Sized>(rng: &mut R, scheme: InitScheme) -> Self {
        Scaled::new(M::init(rng, scheme))
    }
}

impl<M, const IN: usize, const OUT: usize, T: Real, B: Dim> Forward<T, Const<IN>, B>
    for Scaled<M, IN, OUT, T>
where
    M: Network<IN, OUT, T> + Forward<T, Const<IN>, B>,
    DefaultAllocator: Allocator<Const<IN>, B> + Allocator<Const<OUT>, B>,
{
    /// The input scaler's, the network's and the output scaler's workspaces.
    type Workspace = ScaledWorkspace<M::Workspace, T, IN, OUT, B>;

    fn forward(&self, x: &OMatrix<T, Const<IN>, B>) -> OMatrix<T, Const<OUT>, B> {
        self.output
            .forward(&self.net.forward(&self.input.forward(x)))
    }

    fn forward_into(&self, x: &OMatrix<T, Const<IN>, B>, ws: &mut Self::Workspace) {
        let ScaledWorkspace { input, net, output } = ws;
        self.input.forward_into(x, input);
        self.net.forward_into(&input.output, net);
        self.output.forward_into(M::output(net), output);
    }

    /// The chain rule through the three parts, last first: `∂L/∂ŷ = ∂L/∂y · std_out`,
    /// the network's backward pass, then `∂L/∂x = ∂L/∂z / std_in`. The scalers' frozen
    /// tensors get zero gradients.
    fn backward_into(
        &self,
        x: &OMatrix<T, Const<IN>, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Const<OUT>, B>,
        grad: &mut Self,
    ) -> Result<()> {
        self.backward_net(ws, grad_out, grad)?;
        let ScaledWorkspace { input, net, .. } = ws;
        self.input
            .backward_into(x, input, M::grad_input(net), &mut grad.input)
    }

    /// The input scaler's report, the network's, the output scaler's: the order of the
    /// tensors. The frozen scalers do not change how hidden layers are counted.
    #[cfg(feature = "alloc")]
    fn report(
        &self,
        x: &OMatrix<T, Const<IN>, B>,
        ws: &Self::Workspace,
        out: &mut alloc::vec::Vec<crate::diagnose::LayerReport>,
    ) {
        self.input.report(x, &ws.input, out);
        self.net.report(&ws.input.output, &ws.net, out);
        self.output.report(M::output(&ws.net), &ws.output, out);
    }

    /// As [`backward_into`](Forward::backward_into), without `∂L/∂x`.
    fn backward_params(
        &self,
        x: &OMatrix<T, Const<IN>, B>,
        ws: &mut Self::Workspace,
        grad_out: &OMatrix<T, Const<OUT>, B>,
        grad: &mut Self,
    ) -> Result<()> {
        self.backward_net(ws, grad_out, grad)?;
        let ScaledWorkspace { input, net, .. } = ws;
        self.input
            .backward_params(x, input, M::grad_input(net), &mut grad.input)
    }
}

impl<M, const IN: usize, const OUT: usize, T: Real> Scaled<M, IN, OUT, T>
where
    M: Network<IN, OUT, T>,
{
    /// The output scaler's and the network's backward passes.
    fn backward_net<B: Dim>(
        &self,
        ws: &mut ScaledWorkspace<M::Workspace, T, IN, OUT, B>,
        grad_out: &OMatrix<T, Const<OUT>, B>,
        grad: &mut Self,
    ) -> Result<()>
    where
        M: Forward<T, Const<IN>, B>,
        DefaultAllocator: Allocator<Const<IN>, B> + Allocator<Const<OUT>, B>,
    {
        let ScaledWorkspace { input, net, output } = ws;
        self.output
            .backward_into(M::output(net), output, grad_out, &mut grad.output)?;
        self.net
            .backward_into(&input.output, net, &output.grad_input, &mut grad.net)
    }
}

/// A [`Scaled`] model's workspace: the input scaler's buffers, the network's workspace, the
/// output scaler's buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledWorkspace<W, T: Real, const IN: usize, const OUT: usize, B: Dim>
where
    DefaultAllocator: Allocator<Const<IN>, B> + Allocator<Const<OUT>, B>,
{
    /// The input scaler's buffers.
    pub input: Buffers<T, Const<IN>, Const<IN>, B>,
    /// The network's workspace.
    pub net: W,
    /// The output scaler's buffers.
    pub output: Buffers<T, Const<OUT>, Const<OUT>, B>,
}

impl<W, T: Real, const IN: usize, const OUT: usize, B: Dim> Workspace<T, Const<IN>, Const<OUT>, B>
    for ScaledWorkspace<W, T, IN, OUT, B>
where
    W: Workspace<T, Const<IN>, Const<OUT>, B>,
    DefaultAllocator: Allocator<Const<IN>, B> + Allocator<Const<OUT>, B>,
{
    fn new(batch: B) -> Self {
        ScaledWorkspace {
            input: Buffers::new(batch),
            net: W::new(batch),
            output: Buffers::new(batch),
        }
    }
    fn output(&self) -> &OMatrix<T, Const<OUT>, B> {
        &self.output.output
    }
    fn grad_input(&self) -> &OMatrix<T, Const<IN>, B> {
        &self.input.grad_input
    }
}

/// `constnet::Scaled<net, IN, OUT, T>`, built with [`Scaled::from_parts`].
impl<M, const IN: usize, const OUT: usize, T: Real> ExportRs<T> for Scaled<M, IN, OUT, T>
where
    M: Network<IN, OUT, T> + ExportRs<T>,
{
    fn write_type(f: &mut dyn Write) -> fmt::Result {
        f.write_str("constnet::Scaled<")?;
        M::write_type(f)?;
        write!(f, ", {IN}, {OUT}, {}>", T::NAME)
    }

    fn write_value(&self, f: &mut dyn Write, indent: usize) -> fmt::Result {
        f.write_str("constnet::Scaled::from_parts(\n")?;
        pad(f, indent + 1)?;
        self.input.write_value(f, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent + 1)?;
        self.net.write_value(f, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent + 1)?;
        self.output.write_value(f, indent + 1)?;
        f.write_str(",\n")?;
        pad(f, indent)?;
        f.write_char(')')
    }
}
