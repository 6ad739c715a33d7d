//! Layer kernels over whole batches, one sample (column) at a time, with a fixed order of
//! floating-point operations.
//!
//! Batches are column-major, so sample `j` of an `R × N` matrix is a contiguous `[T; R]`,
//! and an `OUT × IN` weight matrix is `IN` contiguous columns `[T; OUT]`. The kernels take
//! them as fixed-size arrays, so loop bounds are constants the compiler unrolls and
//! vectorises across independent lanes (rows, or the partial sums of [`dot`]).
//!
//! Each kernel is plain, safe, generic code marked `#[inline(always)]`; [`simd`](crate::simd)
//! compiles every one into copies for wider vector units and picks one at run time. The
//! order of additions is written out here and never depends on the vector width (no
//! reassociation, and multiply-adds fused or not for the whole build: [`madd`]), so every
//! copy, `no_std` included, gives the same bits.

use crate::{Activation, Real};

/// `acc + a·b`, the step of every sum of products here. Rounded twice (a multiply, then an
/// add) in a build for a CPU without FMA, which is every default build: then all copies of
/// a kernel, `no_std` and embedded targets included, give the same bits. Rounded once, as a
/// fused multiply-add, where the build itself targets FMA (`-C target-cpu=native` on a CPU
/// that has it): twice the multiply-add rate, results a rounding apart from the default
/// build's, and again the same bits in every copy of that build.
#[inline(always)]
fn madd<T: Real>(acc: T, a: T, b: T) -> T {
    if cfg!(target_feature = "fma") {
        a.fma(b, acc)
    } else {
        acc + a * b
    }
}

/// Partial sums of a long [`dot`] product. As many as the widest vectors hold in a few
/// registers: with fewer, the compiler unrolls the lane loop and its vectorisation of the
/// partial sums falls apart (measured: 2× slower at 16 or 32).
const LANES: usize = 64;

/// `Σ a[i]·b[i]`. With fewer than [`LANES`] terms: left to right (the order of nalgebra's
/// own product). Otherwise term `i` goes to partial sum `i mod LANES` (in order, starting
/// from the first chunk's products), then the
/// partial sums fold pairwise: lane `l` += lane `l + h` for `h` = 32, 16, …, 1. (One
/// running sum would be a chain of dependent adds.)
#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n < LANES {
        let mut terms = a.iter().zip(b);
        let first = terms.next().map_or_else(T::zero, |(&x, &y)| x * y);
        return terms.fold(first, |sum, (&x, &y)| madd(sum, x, y));
    }
    let (a_chunks, a_tail) = a.as_chunks::<LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<LANES>();
    // n ≥ LANES: there is a first chunk to start the partial sums from.
    let mut acc = [T::zero(); LANES];
    for l in 0..LANES {
        acc[l] = a_chunks[0][l] * b_chunks[0][l];
    }
    for (x, y) in a_chunks[1..].iter().zip(&b_chunks[1..]) {
        for l in 0..LANES {
            acc[l] = madd(acc[l], x[l], y[l]);
        }
    }
    for (l, (&x, &y)) in a_tail.iter().zip(b_tail).enumerate() {
        acc[l] = madd(acc[l], x, y);
    }
    let mut h = LANES / 2;
    while h > 0 {
        for l in 0..h {
            acc[l] += acc[l + h];
        }
        h /= 2;
    }
    acc[0]
}

/// `y_j = (Σ_k w_k·x_j[k]) + b` over the columns `w_k` of `W`, vectorised across the `OUT`
/// rows: the even and the odd columns each summed left to right, starting from a product,
/// then `(even + odd) + b`. For wide outputs.
/// Into `ys` unless it is empty, and `A(y_j)` into `acts` unless that is empty: an
/// activation in the same pass (inference needs only the second).
#[inline(always)]
pub(crate) fn affine_cols<T: Real, A: Activation, const IN: usize, const OUT: usize>(
    act: &A,
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    acts: &mut [[T; OUT]],
) {
    for (j, x) in xs.iter().enumerate() {
        // Local accumulators, which the compiler keeps in registers. Column k goes to sum
        // k mod 2, so two chains of dependent adds run side by side (one chain is bound by
        // the add's latency: 64 × 4 cycles for a 64-wide layer).
        let mut even = [T::zero(); OUT];
        let mut odd = [T::zero(); OUT];
        for i in 0..OUT {
            even[i] = w[0][i] * x[0];
        }
        if IN > 1 {
            for i in 0..OUT {
                odd[i] = w[1][i] * x[1];
            }
        }
        for k in 1..IN / 2 {
            for i in 0..OUT {
                even[i] = madd(even[i], w[2 * k][i], x[2 * k]);
                odd[i] = madd(odd[i], w[2 * k + 1][i], x[2 * k + 1]);
            }
        }
        if IN > 1 && IN % 2 == 1 {
            for i in 0..OUT {
                even[i] = madd(even[i], w[IN - 1][i], x[IN - 1]);
            }
        }
        let mut y = [T::zero(); OUT];
        for i in 0..OUT {
            let sum = if IN > 1 { even[i] + odd[i] } else { even[i] };
            y[i] = sum + b[i];
        }
        if let Some(out) = ys.get_mut(j) {
            *out = y;
        }
        if let Some(a) = acts.get_mut(j) {
            for i in 0..OUT {
                a[i] = act.f(y[i]);
            }
        }
    }
}

/// `y_j[o] = dot(r_o, x_j) + b[o]` over the rows `r_o` of `W` (columns of `Wᵀ`). For
/// outputs too few to vectorise across.
#[inline(always)]
pub(crate) fn affine_rows<T: Real, const IN: usize, const OUT: usize>(
    rows: &[[T; IN]],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
) {
    for (x, y) in xs.iter().zip(ys) {
        for ((y, r), &b) in y.iter_mut().zip(rows).zip(b) {
            *y = dot(r, x) + b;
        }
    }
}

/// Every column of `ys` set to `b`.
#[inline(always)]
pub(crate) fn broadcast<T: Real, const OUT: usize>(b: &[T; OUT], ys: &mut [[T; OUT]]) {
    for y in ys {
        *y = *b;
    }
}

/// `∂L/∂W = Σ_j g_j·x_jᵀ` and `∂L/∂b = Σ_j g_j` over the samples in order, starting from
/// the first sample's terms (zero for no samples).
#[inline(always)]
pub(crate) fn grad_params<T: Real, const IN: usize, const OUT: usize>(
    xs: &[[T; IN]],
    gs: &[[T; OUT]],
    dw: &mut [[T; OUT]; IN],
    db: &mut [T; OUT],
) {
    let mut samples = xs.iter().zip(gs);
    let Some((x, g)) = samples.next() else {
        *dw = [[T::zero(); OUT]; IN];
        *db = [T::zero(); OUT];
        return;
    };
    for (w, &xk) in dw.iter_mut().zip(x) {
        for o in 0..OUT {
            w[o] = g[o] * xk;
        }
    }
    *db = *g;
    for (x, g) in samples {
        for (w, &xk) in dw.iter_mut().zip(x) {
            for o in 0..OUT {
                w[o] = madd(w[o], g[o], xk);
            }
        }
        for o in 0..OUT {
            db[o] += g[o];
        }
    }
}

/// `∂L/∂b = Σ_j g_j` over the samples in order (as in [`grad_params`]).
#[inline(always)]
pub(crate) fn sum_columns<T: Real, const OUT: usize>(gs: &[[T; OUT]], db: &mut [T; OUT]) {
    let mut samples = gs.iter();
    *db = samples.next().copied().unwrap_or([T::zero(); OUT]);
    for g in samples {
        for o in 0..OUT {
            db[o] += g[o];
        }
    }
}

/// `∂L/∂x_j = Wᵀ·g_j`: `dx_j[i] = dot(w_i, g_j)` over the columns `w_i` of `W`. Unless
/// `zs` is empty, the gradient goes on back through an activation `A` whose inputs were
/// `zs`: `dx_j ⊙ A'(z_j)`, as [`activate_grad`] would compute in another pass.
#[inline(always)]
pub(crate) fn grad_inputs<T: Real, A: Activation, const IN: usize, const OUT: usize>(
    act: &A,
    w: &[[T; OUT]; IN],
    gs: &[[T; OUT]],
    dxs: &mut [[T; IN]],
    zs: &[[T; IN]],
) {
    for (j, (g, dx)) in gs.iter().zip(dxs).enumerate() {
        for (d, w) in dx.iter_mut().zip(w) {
            *d = dot(w, g);
        }
        if let Some(z) = zs.get(j) {
            for i in 0..IN {
                dx[i] *= act.df(z[i]);
            }
        }
    }
}

/// `y = f(x)`, element by element.
#[inline(always)]
pub(crate) fn activate<T: Real, A: Activation>(act: &A, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = act.f(x);
    }
}

/// `∂L/∂x = g ⊙ f'(x)`, element by element.
#[inline(always)]
pub(crate) fn activate_grad<T: Real, A: Activation>(act: &A, x: &[T], g: &[T], gx: &mut [T]) {
    for (gx, (&g, &x)) in gx.iter_mut().zip(g.iter().zip(x)) {
        *gx = g * act.df(x);
    }
}

/// `g ← g ⊙ f'(x)`, element by element: [`activate_grad`] in place, same bits.
#[inline(always)]
pub(crate) fn activate_grad_in_place<T: Real, A: Activation>(act: &A, x: &[T], g: &mut [T]) {
    for (g, &x) in g.iter_mut().zip(x) {
        *g *= act.df(x);
    }
}
