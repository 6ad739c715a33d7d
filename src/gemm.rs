//! The three products of a wide [`Dense`](crate::Dense) layer on a training batch, written
//! for the batch shapes of this crate (a few dozen to a few hundred rows, hundreds of
//! samples) with fused multiply-adds.
//!
//! Every product here is a sum of *columns times scalars*: a register tile holds `RB` rows
//! of `S` output columns, and each step adds a contiguous `RB`-long column times one scalar
//! per output column:
//!
//! | product          | tile of       | column (contiguous)     | scalar        | summed over |
//! |------------------|---------------|-------------------------|---------------|-------------|
//! | `Y = W·X + b`    | `S` samples   | `W[r.., i]`             | `x_j[i]`      | inputs `i`  |
//! | `∂W = G·Xᵀ`      | `S` inputs    | `g_j[r..]`              | `x_j[i]`      | samples `j` |
//! | `∂X = Wᵀ·G`      | `S` samples   | `Wᵀ[r.., o]` (a copy)   | `g_j[o]`      | outputs `o` |
//!
//! so no operand is packed (matrixmultiply copies both operands of every call into its own
//! layout, ~18% of an epoch of the seed network), and the bias is the tile's starting
//! value instead of another pass over `Y`.
//!
//! Each element is `fma`-summed in index order, whatever the tile sizes: the result is
//! exactly that of reference code summing one element at a time, which the tests check. The kernels only pay off compiled for AVX-512 (32 vector registers hold a tile);
//! [`simd`](crate::simd) runs them there and reports whether it did, and elsewhere the
//! layer keeps matrixmultiply.

use crate::Real;

/// Rows per register tile: two 512-bit registers of `f32`, four of `f64`.
pub(crate) const RB: usize = 32;
/// Output columns per register tile: 12 (`f32`) or 24 (`f64`) accumulator registers, plus
/// the column being added, within AVX-512's 32.
const S: usize = 6;

/// Whether the tiled kernels handle a layer `IN → OUT` (else: matrixmultiply).
pub(crate) const fn fits(inputs: usize, outputs: usize) -> bool {
    inputs.is_multiple_of(RB) && outputs.is_multiple_of(RB)
}

/// `acc[s] += col · scalars[s]`: one step of a register tile of `C` ≤ [`S`] columns.
#[inline(always)]
fn step<T: Real, const C: usize>(acc: &mut [[T; RB]; C], col: &[T; RB], scalars: &[T; C]) {
    for s in 0..C {
        let k = scalars[s];
        for r in 0..RB {
            acc[s][r] = col[r].fma(k, acc[s][r]);
        }
    }
}

/// The `RB` rows from `r0` of a column.
#[inline(always)]
fn rows<T, const N: usize>(col: &[T; N], r0: usize) -> &[T; RB] {
    col[r0..r0 + RB].try_into().unwrap()
}

/// Writes a tile's columns to rows `r0..` of `out`.
#[inline(always)]
fn store<T: Real, const N: usize, const C: usize>(
    acc: &[[T; RB]; C],
    out: &mut [[T; N]],
    r0: usize,
) {
    for (a, o) in acc.iter().zip(out) {
        o[r0..r0 + RB].copy_from_slice(a);
    }
}

/// Runs `$tile::<C>` on `$len` (< [`S`]) columns, `C = $len` a constant: a remainder gets a
/// tile of its own width (one-column tiles would be bound by the latency of each `fma`).
macro_rules! remainder {
    ($len:expr, $tile:ident($($arg:expr),*)) => {
        match $len {
            0 => {}
            1 => $tile::<T, IN, OUT, 1>($($arg),*),
            2 => $tile::<T, IN, OUT, 2>($($arg),*),
            3 => $tile::<T, IN, OUT, 3>($($arg),*),
            4 => $tile::<T, IN, OUT, 4>($($arg),*),
            _ => $tile::<T, IN, OUT, 5>($($arg),*),
        }
    };
}

/// `y_j = W·x_j + b` for every sample `j`; `OUT` a multiple of [`RB`].
#[inline(always)]
pub(crate) fn affine<T: Real, const IN: usize, const OUT: usize>(
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
) {
    for r0 in (0..OUT).step_by(RB) {
        let tiles = xs.len() / S * S;
        for (x, y) in xs[..tiles].chunks_exact(S).zip(ys.chunks_exact_mut(S)) {
            affine_tile::<T, IN, OUT, S>(w, b, x, y, r0);
        }
        remainder!(
            xs.len() - tiles,
            affine_tile(w, b, &xs[tiles..], &mut ys[tiles..], r0)
        );
    }
}

/// [`affine`] of rows `r0..` of samples `xs[..C]`.
#[inline(always)]
fn affine_tile<T: Real, const IN: usize, const OUT: usize, const C: usize>(
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    r0: usize,
) {
    let x: &[[T; IN]; C] = xs[..C].try_into().unwrap();
    let mut acc = [*rows(b, r0); C];
    for i in 0..IN {
        step(
            &mut acc,
            rows(&w[i], r0),
            &core::array::from_fn(|s| x[s][i]),
        );
    }
    store(&acc, ys, r0);
}

/// `∂W = Σ_j g_j·x_jᵀ` over the samples in order, added to `dw` if `add`, else written.
/// `OUT` a multiple of [`RB`].
#[inline(always)]
pub(crate) fn grad_weights<T: Real, const IN: usize, const OUT: usize>(
    xs: &[[T; IN]],
    gs: &[[T; OUT]],
    dw: &mut [[T; OUT]; IN],
    add: bool,
) {
    let tiles = IN / S * S;
    for r0 in (0..OUT).step_by(RB) {
        for i0 in (0..tiles).step_by(S) {
            grad_weights_tile::<T, IN, OUT, S>(xs, gs, &mut dw[i0..], add, i0, r0);
        }
        remainder!(
            IN - tiles,
            grad_weights_tile(xs, gs, &mut dw[tiles..], add, tiles, r0)
        );
    }
}

/// [`grad_weights`] of rows `r0..` of the columns `i0..i0 + C` of `∂W` (`dw[..C]`).
#[inline(always)]
fn grad_weights_tile<T: Real, const IN: usize, const OUT: usize, const C: usize>(
    xs: &[[T; IN]],
    gs: &[[T; OUT]],
    dw: &mut [[T; OUT]],
    add: bool,
    i0: usize,
    r0: usize,
) {
    let mut acc = [[T::zero(); RB]; C];
    if add {
        for s in 0..C {
            acc[s] = *rows(&dw[s], r0);
        }
    }
    for (x, g) in xs.iter().zip(gs) {
        step(&mut acc, rows(g, r0), x[i0..i0 + C].try_into().unwrap());
    }
    store(&acc, dw, r0);
}

/// `∂x_j = Wᵀ·g_j` for every sample; `IN` a multiple of [`RB`].
#[inline(always)]
pub(crate) fn grad_inputs<T: Real, const IN: usize, const OUT: usize>(
    w: &[[T; OUT]; IN],
    gs: &[[T; OUT]],
    dxs: &mut [[T; IN]],
) {
    for r0 in (0..IN).step_by(RB) {
        // Rows r0.. of Wᵀ, as columns: `wt[o][r] = W[o, r0 + r]`.
        let mut wt = [[T::zero(); RB]; OUT];
        for (o, col) in wt.iter_mut().enumerate() {
            for r in 0..RB {
                col[r] = w[r0 + r][o];
            }
        }
        let tiles = gs.len() / S * S;
        for (g, dx) in gs[..tiles].chunks_exact(S).zip(dxs.chunks_exact_mut(S)) {
            grad_inputs_tile::<T, IN, OUT, S>(&wt, g, dx, r0);
        }
        remainder!(
            gs.len() - tiles,
            grad_inputs_tile(&wt, &gs[tiles..], &mut dxs[tiles..], r0)
        );
    }
}

/// [`grad_inputs`] of rows `r0..` of samples `gs[..C]`, from the columns `wt` of `Wᵀ`'s rows
/// `r0..`.
#[inline(always)]
fn grad_inputs_tile<T: Real, const IN: usize, const OUT: usize, const C: usize>(
    wt: &[[T; RB]; OUT],
    gs: &[[T; OUT]],
    dxs: &mut [[T; IN]],
    r0: usize,
) {
    let g: &[[T; OUT]; C] = gs[..C].try_into().unwrap();
    let mut acc = [[T::zero(); RB]; C];
    for o in 0..OUT {
        step(&mut acc, &wt[o], &core::array::from_fn(|s| g[s][o]));
    }
    store(&acc, dxs, r0);
}

#[cfg(test)]
mod tests;
