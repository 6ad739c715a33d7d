//! The scalar types a network can be made of: `f32` (the default) and `f64`.
//!
//! [`Real`] is nalgebra's [`RealField`] plus the few conversions constnet needs. It is
//! sealed: the model file format, the firmware exporter and the fast GEMM path all rely on
//! knowing the exact bit layout, which only `f32` and `f64` provide.

use nalgebra::RealField;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar: `f32` or `f64`.
///
/// ```
/// use constnet::Real;
/// assert_eq!(<f32 as Real>::NAME, "f32");
/// assert_eq!(f64::cast(0.5).as_f64(), 0.5);
/// ```
pub trait Real: RealField + Copy + Default + sealed::Sealed {
    /// The Rust name of the type, as written in model files and exported source.
    const NAME: &'static str;
    /// Size of one value in bytes.
    const BYTES: usize;
    /// `0.0`, usable in a `const fn`.
    const ZERO: Self;
    /// `-0.0`: the additive identity of IEEE arithmetic (`v + -0.0 == v` bit for bit, where
    /// `-0.0 + 0.0` is `+0.0`), usable in a `const fn`.
    const NEG_ZERO: Self;
    /// `1.0`, usable in a `const fn`.
    const ONE: Self;
    /// Converts from `f64`, rounding to nearest.
    fn cast(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;
    /// `true` if the value is neither NaN nor infinite.
    fn finite(self) -> bool;

    /// `s` as a slice of `Self` if `S` is `Self`, else empty: how an activation generic
    /// over its scalar hands its constants to a network of type `Self`.
    ///
    /// ```
    /// use constnet::Real;
    /// assert_eq!(f32::same_slice(&[1.0f32]), &[1.0f32]);
    /// assert!(f64::same_slice(&[1.0f32]).is_empty());
    /// ```
    fn same_slice<S: Real>(s: &[S]) -> &[Self];
    /// [`same_slice`](Self::same_slice), mutable.
    fn same_slice_mut<S: Real>(s: &mut [S]) -> &mut [Self];
    #[doc(hidden)]
    fn as_f32s(s: &[Self]) -> &[f32];
    #[doc(hidden)]
    fn as_f64s(s: &[Self]) -> &[f64];
    #[doc(hidden)]
    fn as_f32s_mut(s: &mut [Self]) -> &mut [f32];
    #[doc(hidden)]
    fn as_f64s_mut(s: &mut [Self]) -> &mut [f64];

    /// `self·a + b` rounded once (a fused multiply-add): one instruction where the code is
    /// compiled for FMA, a (slow, exact) library call elsewhere.
    fn fma(self, a: Self, b: Self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn fma(self, a: Self, b: Self) -> Self {
        #[cfg(feature = "std")]
        return self.mul_add(a, b);
        #[cfg(not(feature = "std"))]
        return nalgebra::ComplexField::mul_add(self, a, b);
    }

    fn same_slice<S: Real>(s: &[S]) -> &[Self] {
        S::as_f32s(s)
    }
    fn same_slice_mut<S: Real>(s: &mut [S]) -> &mut [Self] {
        S::as_f32s_mut(s)
    }
    fn as_f32s(s: &[Self]) -> &[f32] {
        s
    }
    fn as_f64s(_: &[Self]) -> &[f64] {
        &[]
    }
    fn as_f32s_mut(s: &mut [Self]) -> &mut [f32] {
        s
    }
    fn as_f64s_mut(_: &mut [Self]) -> &mut [f64] {
        &mut []
    }

    const NAME: &'static str = "f32";
    const BYTES: usize = 4;
    const ZERO: Self = 0.0;
    const NEG_ZERO: Self = -0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn cast(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Real for f64 {
    #[inline(always)]
    fn fma(self, a: Self, b: Self) -> Self {
        #[cfg(feature = "std")]
        return self.mul_add(a, b);
        #[cfg(not(feature = "std"))]
        return nalgebra::ComplexField::mul_add(self, a, b);
    }

    fn same_slice<S: Real>(s: &[S]) -> &[Self] {
        S::as_f64s(s)
    }
    fn same_slice_mut<S: Real>(s: &mut [S]) -> &mut [Self] {
        S::as_f64s_mut(s)
    }
    fn as_f32s(_: &[Self]) -> &[f32] {
        &[]
    }
    fn as_f64s(s: &[Self]) -> &[f64] {
        s
    }
    fn as_f32s_mut(_: &mut [Self]) -> &mut [f32] {
        &mut []
    }
    fn as_f64s_mut(s: &mut [Self]) -> &mut [f64] {
        s
    }

    const NAME: &'static str = "f64";
    const BYTES: usize = 8;
    const ZERO: Self = 0.0;
    const NEG_ZERO: Self = -0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn cast(v: f64) -> Self {
        v
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline]
    fn finite(self) -> bool {
        self.is_finite()
    }
}
