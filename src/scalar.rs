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
    /// Converts from `f64`, rounding to nearest.
    fn cast(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;
    /// `true` if the value is neither NaN nor infinite.
    fn finite(self) -> bool;

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

    const NAME: &'static str = "f32";
    const BYTES: usize = 4;
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

    const NAME: &'static str = "f64";
    const BYTES: usize = 8;
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
