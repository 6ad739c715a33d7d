//! [`Inspect`]: a layer's forward pass that also reports on itself.

use alloc::vec::Vec;

use nalgebra::{Const, DimName, Dyn, OMatrix};

use super::report::{Activity, LayerReport};
use crate::layer::{Layer, Net, OutOf, Params};
use crate::{Activation, Chain, Dense, Forward, Real};

/// A forward pass over a block of samples (one per column) that appends one
/// [`LayerReport`] per layer it holds, in the order of the network's
/// [`Params`] tensors, so [`diagnose`](super::diagnose) can map gradient tensors to layers.
///
/// Implemented for [`Dense`], [`Chain`] (which recurses into its parts) and, by a blanket
/// impl, every [`Activation`] (which counts its active units). A layer of your own that
/// holds parameters reports itself with [`LayerReport::new`] and the number of tensors it
/// owns:
///
/// ```
/// use constnet::diagnose::{Inspect, LayerReport};
/// use constnet::{Layer, Params};
/// use constnet::nalgebra::{Const, Dyn, OMatrix, SVector};
///
/// /// `y = s ⊙ x`, one trainable tensor.
/// struct Scale<const N: usize> { s: SVector<f64, N> }
/// impl<const N: usize> Layer<Const<N>, f64> for Scale<N> { type Out = Const<N>; }
/// # impl<const N: usize> Params<f64> for Scale<N> {
/// #     const TENSORS: usize = 1;
/// #     fn shape(i: usize) -> (usize, usize) { if i == 0 { (N, 1) } else { (0, 0) } }
/// #     fn tensor(&self, i: usize) -> &[f64] { if i == 0 { self.s.as_slice() } else { &[] } }
/// #     fn tensor_mut(&mut self, i: usize) -> &mut [f64] { if i == 0 { self.s.as_mut_slice() } else { &mut [] } }
/// #     fn zeros() -> Self { Scale { s: SVector::zeros() } }
/// # }
///
/// impl<const N: usize> Inspect<f64, Const<N>> for Scale<N> {
///     fn inspect(&self, x: &OMatrix<f64, Const<N>, Dyn>, out: &mut Vec<LayerReport>)
///         -> OMatrix<f64, Const<N>, Dyn>
///     {
///         out.push(LayerReport::new("Scale", <Self as Params<f64>>::TENSORS));
///         let mut y = x.clone();
///         for mut col in y.column_iter_mut() { col.component_mul_assign(&self.s); }
///         y
///     }
/// }
///
/// let layer = Scale::<2> { s: SVector::from([2.0, -1.0]) };
/// let mut reports = Vec::new();
/// let y = layer.inspect(&OMatrix::<f64, Const<2>, Dyn>::from_element(3, 1.0), &mut reports);
/// assert_eq!((y[(0, 0)], y[(1, 2)]), (2.0, -1.0));
/// assert_eq!((reports[0].name.as_str(), reports[0].tensors), ("Scale", 1));
/// ```
///
/// A wrapper around an inner network reports its own tensors and delegates the rest, in
/// the order its `Params` lists them. E.g. a `Scaled` model holding an input
/// standardisation (2 frozen tensors), an inner net and an output rescaling (2 frozen
/// tensors):
///
/// ```ignore
/// fn inspect(&self, x: &OMatrix<T, I, Dyn>, out: &mut Vec<LayerReport>) -> OMatrix<T, O, Dyn> {
///     out.push(LayerReport::new("Standardize", 2));
///     let h = self.inner.inspect(&self.standardize.forward(x), out);
///     out.push(LayerReport::new("Rescale", 2));
///     self.rescale.forward(&h)
/// }
/// ```
///
/// A report whose tensors are all [frozen](Params::frozen) gets no gradient norm, and an
/// activation is only *hidden* (see [`Diagnostics::dead_layers`](super::Diagnostics::dead_layers))
/// if a layer with trainable tensors follows it, so such wrappers do not change how the
/// hidden layers are counted.
pub trait Inspect<T: Real, I: DimName>: Layer<I, T> + Params<T> {
    /// Runs this layer on a block of samples, appends one [`LayerReport`] per layer it
    /// holds (a [`Chain`] recurses), and returns its output.
    ///
    /// ```
    /// use constnet::diagnose::Inspect;
    /// use constnet::{net, Dense, Relu, Params};
    /// use constnet::nalgebra::{Const, Dyn, OMatrix};
    ///
    /// let model: net![Dense<1, 4>, Relu, Dense<4, 1>] = Params::zeros();
    /// let mut reports = Vec::new();
    /// let y = model.inspect(&OMatrix::<f32, Const<1>, Dyn>::zeros(10), &mut reports);
    /// assert_eq!(y.ncols(), 10);
    /// let names: Vec<_> = reports.iter().map(|r| r.name.as_str()).collect();
    /// assert_eq!(names, ["Dense 1→4", "Relu", "Dense 4→1"]);
    /// // Zero weights and biases: every ReLU input is 0, where its derivative is 0.
    /// assert_eq!(reports[1].activity.as_ref().unwrap().alive_units(), 0);
    /// ```
    fn inspect(
        &self,
        x: &OMatrix<T, I, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<T, Self::Out, Dyn>;
}

/// One report, `Dense IN→OUT`, owning `W` and `b`.
impl<const IN: usize, const OUT: usize, T: Real> Inspect<T, Const<IN>> for Dense<IN, OUT, T> {
    fn inspect(
        &self,
        x: &OMatrix<T, Const<IN>, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<T, Const<OUT>, Dyn> {
        let name = alloc::format!("Dense {IN}→{OUT}");
        out.push(LayerReport::new(name, <Self as Params<T>>::TENSORS));
        self.forward(x)
    }
}

/// `first`'s reports, then `second`'s: the order of [`Chain`]'s `Params`.
impl<A, B> Inspect<A::Scalar, A::In> for Chain<A, B>
where
    A: Net + Inspect<A::Scalar, A::In>,
    B: Layer<OutOf<A>, A::Scalar> + Inspect<A::Scalar, OutOf<A>>,
{
    fn inspect(
        &self,
        x: &OMatrix<A::Scalar, A::In, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<A::Scalar, Self::Out, Dyn> {
        let h = self.first.inspect(x, out);
        self.second.inspect(&h, out)
    }
}

/// One report with the activation's [`Activity`]: unit `r` is active on sample `c` when
/// `df(x[r, c]) ≠ 0`, the derivative at the activation's input (where backward takes it),
/// so an inactive unit passes no gradient back.
impl<T, D, A> Inspect<T, D> for A
where
    T: Real,
    D: DimName,
    A: Activation + Default + Layer<D, T, Out = D>,
{
    fn inspect(&self, x: &OMatrix<T, D, Dyn>, out: &mut Vec<LayerReport>) -> OMatrix<T, D, Dyn> {
        let mut active = alloc::vec![0u64; x.nrows()];
        for col in x.column_iter() {
            for (count, &v) in active.iter_mut().zip(col.iter()) {
                *count += u64::from(self.df(v) != T::zero());
            }
        }
        let mut report = LayerReport::new(short_name::<A>(), <A as Params<T>>::TENSORS);
        report.activity = Some(Activity {
            samples: x.ncols() as u64,
            active,
        });
        out.push(report);
        x.map(|v| self.f(v))
    }
}

/// `constnet::activation::LeakyRelu<f32>` → `LeakyRelu`.
fn short_name<A>() -> &'static str {
    let full = core::any::type_name::<A>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

/// One report, `Standardize`, owning its two frozen tensors (no gradient norm).
impl<const N: usize, T: Real> Inspect<T, Const<N>> for crate::Standardize<N, T> {
    fn inspect(
        &self,
        x: &OMatrix<T, Const<N>, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<T, Const<N>, Dyn> {
        out.push(LayerReport::new(
            "Standardize",
            <Self as Params<T>>::TENSORS,
        ));
        self.forward(x)
    }
}

/// One report, `Rescale`, owning its two frozen tensors (no gradient norm).
impl<const N: usize, T: Real> Inspect<T, Const<N>> for crate::Rescale<N, T> {
    fn inspect(
        &self,
        x: &OMatrix<T, Const<N>, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<T, Const<N>, Dyn> {
        out.push(LayerReport::new("Rescale", <Self as Params<T>>::TENSORS));
        self.forward(x)
    }
}

/// The input scaler's report, the network's, the output scaler's: the order of
/// [`Scaled`](crate::Scaled)'s `Params`. The frozen scalers do not change how hidden
/// layers are counted.
impl<M, const IN: usize, const OUT: usize, T> Inspect<T, Const<IN>> for crate::Scaled<M, IN, OUT, T>
where
    T: Real,
    M: crate::Network<IN, OUT, T> + Inspect<T, Const<IN>>,
{
    fn inspect(
        &self,
        x: &OMatrix<T, Const<IN>, Dyn>,
        out: &mut Vec<LayerReport>,
    ) -> OMatrix<T, Const<OUT>, Dyn> {
        let h = self.input.inspect(x, out);
        let h = self.net.inspect(&h, out);
        self.output.inspect(&h, out)
    }
}
