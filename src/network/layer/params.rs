//! [`Params`]: the numbers a layer holds, as a list of tensors; [`params!`](crate::params)
//! writes the list for a struct whose fields are tensors or layers.

use nalgebra::SMatrix;

use crate::Real;

/// Parameters, visited as a fixed list of column-major tensors.
///
/// Optimizers, model files and the firmware exporter all walk this list, so they work for
/// any network without knowing its layers. Tensor `i` of a gradient lines up with tensor
/// `i` of the network. A [`frozen`](Self::frozen) tensor (an activation's constants, an
/// input scaling) is stored in model files but never trained.
///
/// A matrix or vector (`SMatrix<T, R, C>`) is one tensor, and a struct whose fields are
/// tensors or layers is the list of its fields' tensors: write that impl with
/// [`params!`](crate::params).
pub trait Params<T: Real>: Sized {
    /// How many tensors there are.
    const TENSORS: usize;
    /// `(rows, columns)` of tensor `i`; `(0, 0)` past the end.
    fn shape(i: usize) -> (usize, usize);
    /// Tensor `i`, column-major; empty past the end.
    fn tensor(&self, i: usize) -> &[T];
    /// Tensor `i`, mutable; empty past the end.
    fn tensor_mut(&mut self, i: usize) -> &mut [T];
    /// A value of this type with every trainable parameter zero (a zero gradient, fresh
    /// optimizer state); frozen tensors hold their defaults.
    fn zeros() -> Self;

    /// `true` if tensor `i` is not trained: optimizers leave it alone, its gradient means
    /// nothing. `false` by default.
    ///
    /// ```
    /// use constnet::{Dense, LeakyRelu, Params};
    /// assert!(!<Dense<2, 1> as Params<f32>>::frozen(0));
    /// assert!(<LeakyRelu as Params<f32>>::frozen(0)); // its slope
    /// ```
    #[must_use]
    fn frozen(i: usize) -> bool {
        let _ = i;
        false
    }

    /// `true` if no parameter is NaN or infinite.
    ///
    /// ```
    /// use constnet::{Dense, Params};
    /// let mut layer = Dense::<2, 1>::zeros();
    /// assert!(layer.is_finite());
    /// layer.b[0] = f32::NAN;
    /// assert!(!layer.is_finite());
    /// ```
    fn is_finite(&self) -> bool {
        (0..Self::TENSORS).all(|i| self.tensor(i).iter().all(|v| v.finite()))
    }

    /// How many modules of a PyTorch `nn.Sequential` this layer spans: 1 for a layer
    /// (the default), the sum of its parts for a network, 0 for a bare tensor.
    const MODULES: usize = 1;

    /// Where tensor `i` goes in a PyTorch state dict ([`safetensors`](mod@crate::safetensors)
    /// files): its module (from this layer's first) and attribute name. By default module
    /// 0, named `param0`, `param1`, …; [`params!`](crate::params) names tensors after
    /// their fields, [`Dense`](crate::Dense) `weight` and `bias` as `nn.Linear` does.
    ///
    /// ```
    /// use constnet::{Dense, Params};
    /// use constnet::layer::TensorKey;
    /// assert_eq!(<Dense<2, 3> as Params<f32>>::MODULES, 1);
    /// assert_eq!(
    ///     <Dense<2, 3> as Params<f32>>::key(0),
    ///     TensorKey { module: 0, name: "weight", matrix: true }
    /// );
    /// type SeedNet = constnet::net![Dense<1, 8>, constnet::Relu, Dense<8, 1>];
    /// assert_eq!(<SeedNet as Params<f32>>::MODULES, 3);
    /// assert_eq!(<SeedNet as Params<f32>>::key(3).module, 2); // `2.bias`
    /// ```
    #[must_use]
    fn key(i: usize) -> TensorKey {
        TensorKey {
            module: 0,
            name: PARAM_NAMES.get(i).copied().unwrap_or("param"),
            matrix: Self::shape(i).1 > 1,
        }
    }

    /// Total number of trainable scalars.
    ///
    /// ```
    /// use constnet::{net, Params, Dense, Relu};
    /// type SeedNet = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
    /// assert_eq!(<SeedNet as Params<f32>>::num_params(), 128 + 4160 + 65);
    /// ```
    #[must_use]
    fn num_params() -> usize {
        (0..Self::TENSORS)
            .filter(|&i| !Self::frozen(i))
            .map(|i| {
                let (r, c) = Self::shape(i);
                r * c
            })
            .sum()
    }
}

/// Where one tensor of a layer lives in a PyTorch state dict: module `module` (counted
/// from the layer's first module, as `nn.Sequential` indexes them), attribute `name`.
///
/// The key is `<prefix><module index or name>.<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorKey {
    /// The module, relative to the layer's first.
    pub module: usize,
    /// The attribute: `"weight"`, `"bias"`, [`CONSTANTS`], a field's name.
    pub name: &'static str,
    /// `true`: stored with shape `[rows, cols]`, row-major (a PyTorch weight, `(out, in)`);
    /// `false`: stored flat, shape `[rows · cols]` (a bias, constants).
    pub matrix: bool,
}

/// The attribute name of an activation's constants (e.g. [`LeakyRelu`](crate::LeakyRelu)'s
/// slope): key `<index>.constnet_constants`, shape `[n]`. PyTorch keeps such constants in
/// the module's constructor, not in its state dict; see the
/// [`safetensors`](mod@crate::safetensors) docs for loading such a file in PyTorch.
pub const CONSTANTS: &str = "constnet_constants";

/// [`Params::key`]'s default names.
const PARAM_NAMES: [&str; 8] = [
    "param0", "param1", "param2", "param3", "param4", "param5", "param6", "param7",
];

/// A matrix or vector is one trainable tensor.
///
/// ```
/// use constnet::Params;
/// use constnet::nalgebra::SMatrix;
/// assert_eq!(<SMatrix<f32, 3, 2> as Params<f32>>::shape(0), (3, 2));
/// ```
impl<T: Real, const R: usize, const C: usize> Params<T> for SMatrix<T, R, C> {
    const TENSORS: usize = 1;
    /// A bare tensor is not a module: the struct holding it is.
    const MODULES: usize = 0;
    fn shape(i: usize) -> (usize, usize) {
        if i == 0 { (R, C) } else { (0, 0) }
    }
    fn tensor(&self, i: usize) -> &[T] {
        if i == 0 { self.as_slice() } else { &[] }
    }
    fn tensor_mut(&mut self, i: usize) -> &mut [T] {
        if i == 0 { self.as_mut_slice() } else { &mut [] }
    }
    fn zeros() -> Self {
        SMatrix::zeros()
    }
}

/// Implements [`Params`] for a struct as the list of its fields' tensors, in the order
/// given: each field is a matrix or vector (one tensor) or anything that implements
/// [`Params`] itself (a layer, a network). Every field of the struct must be listed, since
/// [`Params::zeros`] builds it from its fields' zeros.
///
/// In a PyTorch state dict ([`Params::key`]) the struct's own matrices form one module
/// (its first), each named after its field; a field that is a layer or network keeps its
/// own modules and names, after it.
///
/// It also implements [`ExportRs`](crate::export::ExportRs), for firmware source: the
/// struct literal `path::Name { field: value, … }` under the type's
/// `core::any::type_name` (so the firmware crate must see the type at that path, with its
/// fields). Write `params!(@params impl…)` to implement only [`Params`], and `ExportRs`
/// yourself.
///
/// The generics go in brackets, then the trait with the scalar type, then the struct with
/// its fields' types. A learnable scale and a wrapper, one line each:
///
/// ```
/// use constnet::{params, Params, Real};
/// use constnet::nalgebra::SVector;
///
/// struct Scale<const N: usize, T: Real> { s: SVector<T, N> }
/// params!(impl[const N: usize, T: Real] Params<T> for Scale<N, T> { s: SVector<T, N> });
///
/// struct Residual<L>(L);
/// params!(impl[T: Real, L: Params<T>] Params<T> for Residual<L> { 0: L });
///
/// assert_eq!(<Residual<Scale<3, f32>> as Params<f32>>::num_params(), 3);
/// ```
#[macro_export]
macro_rules! params {
    (impl[$($gen:tt)*] Params<$t:ty> for $ty:ty { $($field:tt : $fty:ty),+ $(,)? }) => {
        $crate::params!(@params impl[$($gen)*] Params<$t> for $ty { $($field: $fty),+ });

        impl<$($gen)*> $crate::export::ExportRs<$t> for $ty
        where
            $($fty: $crate::export::ExportRs<$t>),+
        {
            fn write_type(f: &mut dyn ::core::fmt::Write) -> ::core::fmt::Result {
                f.write_str(::core::any::type_name::<Self>())
            }
            fn write_value(
                &self,
                f: &mut dyn ::core::fmt::Write,
                indent: usize,
            ) -> ::core::fmt::Result {
                let ty = ::core::any::type_name::<Self>();
                f.write_str(ty.split('<').next().unwrap_or(ty))?;
                f.write_str(" {\n")?;
                $(
                    $crate::export::pad(f, indent + 1)?;
                    f.write_str(concat!(stringify!($field), ": "))?;
                    $crate::export::ExportRs::<$t>::write_value(&self.$field, f, indent + 1)?;
                    f.write_str(",\n")?;
                )+
                $crate::export::pad(f, indent)?;
                f.write_str("}")
            }
        }
    };
    (@params impl[$($gen:tt)*] Params<$t:ty> for $ty:ty { $($field:tt : $fty:ty),+ $(,)? }) => {
        impl<$($gen)*> $crate::Params<$t> for $ty {
            const TENSORS: usize = 0 $(+ <$fty as $crate::Params<$t>>::TENSORS)+;
            fn shape(i: usize) -> (usize, usize) {
                let mut _i = i;
                $(
                    let n = <$fty as $crate::Params<$t>>::TENSORS;
                    if _i < n {
                        return <$fty as $crate::Params<$t>>::shape(_i);
                    }
                    _i -= n;
                )+
                (0, 0)
            }
            fn tensor(&self, i: usize) -> &[$t] {
                let mut _i = i;
                $(
                    let n = <$fty as $crate::Params<$t>>::TENSORS;
                    if _i < n {
                        return $crate::Params::<$t>::tensor(&self.$field, _i);
                    }
                    _i -= n;
                )+
                &[]
            }
            fn tensor_mut(&mut self, i: usize) -> &mut [$t] {
                let mut _i = i;
                $(
                    let n = <$fty as $crate::Params<$t>>::TENSORS;
                    if _i < n {
                        return $crate::Params::<$t>::tensor_mut(&mut self.$field, _i);
                    }
                    _i -= n;
                )+
                &mut []
            }
            fn frozen(i: usize) -> bool {
                let mut _i = i;
                $(
                    let n = <$fty as $crate::Params<$t>>::TENSORS;
                    if _i < n {
                        return <$fty as $crate::Params<$t>>::frozen(_i);
                    }
                    _i -= n;
                )+
                false
            }
            fn zeros() -> Self {
                Self { $($field: <$fty as $crate::Params<$t>>::zeros()),+ }
            }
            const MODULES: usize = {
                let own = 0 $(+ (<$fty as $crate::Params<$t>>::MODULES == 0) as usize)+;
                (own > 0) as usize $(+ <$fty as $crate::Params<$t>>::MODULES)+
            };
            fn key(i: usize) -> $crate::layer::TensorKey {
                let own = 0 $(+ (<$fty as $crate::Params<$t>>::MODULES == 0) as usize)+;
                let mut _module = (own > 0) as usize;
                let mut _i = i;
                $(
                    let n = <$fty as $crate::Params<$t>>::TENSORS;
                    if _i < n {
                        if <$fty as $crate::Params<$t>>::MODULES == 0 {
                            return $crate::layer::TensorKey {
                                module: 0,
                                name: stringify!($field),
                                matrix: <$fty as $crate::Params<$t>>::shape(_i).1 > 1,
                            };
                        }
                        let k = <$fty as $crate::Params<$t>>::key(_i);
                        return $crate::layer::TensorKey { module: k.module + _module, ..k };
                    }
                    _i -= n;
                    _module += <$fty as $crate::Params<$t>>::MODULES;
                )+
                $crate::layer::TensorKey { module: 0, name: "param", matrix: false }
            }
        }
    };
}
