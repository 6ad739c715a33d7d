//! The three products of a wide [`Dense`](crate::Dense) layer on a training batch, written
//! for the batch shapes of this crate (a few dozen to a few hundred rows, hundreds of
//! samples) with fused multiply-adds.
//!
//! Every product here is a sum of *columns times scalars*: a register tile holds `R` rows
//! of `S` output columns, and each step adds a contiguous `R`-long column times one scalar
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
//! exactly that of reference code summing one element at a time, which the tests check, and
//! the same on every CPU that runs these kernels. They only pay off where a tile fits in
//! the vector registers: [`simd`](crate::simd) runs them compiled for AVX-512 (`R` = 32 or
//! 16 rows) or, for `f32`, AVX2 with FMA (16 rows), and reports whether it did; elsewhere
//! the layer keeps matrixmultiply.

use crate::{Activation, Real, kernel};

/// Output columns per register tile. With `R` = 32 rows: 12 (`f32`) or 24 (`f64`) 512-bit
/// accumulators, plus the column being added, within AVX-512's 32 registers; with 16 rows
/// of `f32` on AVX2, 12 256-bit accumulators within its 16.
const S: usize = 6;

/// Widest output the tiled kernels take: [`grad_inputs`] copies `R` rows of `Wᵀ` to the
/// stack, `OUT × R` values (256 KiB of `f64` at this width), and training threads have
/// 2 MiB stacks.
const MAX_OUT: usize = 1024;

/// Rows per register tile for a layer `IN → OUT`: 32 if both widths are multiples of 32,
/// else 16 if both are multiples of 16; `None`: the tiled kernels do not take it.
pub(crate) const fn tile_rows(inputs: usize, outputs: usize) -> Option<usize> {
    if outputs > MAX_OUT {
        None
    } else if inputs.is_multiple_of(32) && outputs.is_multiple_of(32) {
        Some(32)
    } else if inputs.is_multiple_of(16) && outputs.is_multiple_of(16) {
        Some(16)
    } else {
        None
    }
}

/// `acc[s] += col · scalars[s]`: one step of a register tile of `C` ≤ [`S`] columns.
#[inline(always)]
fn step<T: Real, const R: usize, const C: usize>(
    acc: &mut [[T; R]; C],
    col: &[T; R],
    scalars: &[T; C],
) {
    for s in 0..C {
        let k = scalars[s];
        for r in 0..R {
            acc[s][r] = col[r].fma(k, acc[s][r]);
        }
    }
}

/// The `R` rows from `r0` of a column.
#[inline(always)]
fn rows<T, const N: usize, const R: usize>(col: &[T; N], r0: usize) -> &[T; R] {
    col[r0..r0 + R].try_into().unwrap()
}

/// Writes a tile's columns to rows `r0..` of `out`.
#[inline(always)]
fn store<T: Real, const N: usize, const R: usize, const C: usize>(
    acc: &[[T; R]; C],
    out: &mut [[T; N]],
    r0: usize,
) {
    for (a, o) in acc.iter().zip(out) {
        o[r0..r0 + R].copy_from_slice(a);
    }
}

/// Runs `$tile::<C>` on `$len` (< [`S`]) columns, `C = $len` a constant: a remainder gets a
/// tile of its own width (one-column tiles would be bound by the latency of each `fma`).
macro_rules! remainder {
    ($len:expr, $tile:ident::<$($g:ty),*>($($arg:expr),*)) => {
        match $len {
            0 => {}
            1 => $tile::<$($g,)* 1>($($arg),*),
            2 => $tile::<$($g,)* 2>($($arg),*),
            3 => $tile::<$($g,)* 3>($($arg),*),
            4 => $tile::<$($g,)* 4>($($arg),*),
            _ => $tile::<$($g,)* 5>($($arg),*),
        }
    };
}

/// `y_j = W·x_j + b` for every sample `j`, and unless `acts` is empty `acts_j = A(y_j)`
/// (an activation in the same pass); `OUT` a multiple of `R`.
#[inline(always)]
pub(crate) fn affine<T: Real, A: Activation, const IN: usize, const OUT: usize, const R: usize>(
    act: &A,
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    acts: &mut [[T; OUT]],
) {
    // Unlike the column kernels, these always write `ys` (their activation reads it back).
    debug_assert_eq!(ys.len(), xs.len(), "ys: one per sample");
    debug_assert!(
        acts.is_empty() || acts.len() == xs.len(),
        "acts: one per sample, or none"
    );
    let n = xs.len().min(ys.len());
    let fused = acts.len() >= n;
    for j in (0..n).step_by(S) {
        let end = n.min(j + S);
        let (x, y) = (&xs[j..end], &mut ys[j..end]);
        for r0 in (0..OUT).step_by(R) {
            if end - j == S {
                affine_tile::<T, IN, OUT, R, S>(w, b, x, y, r0);
            } else {
                remainder!(end - j, affine_tile::<T, IN, OUT, R>(w, b, x, y, r0));
            }
        }
        if fused {
            // The activation, on these samples while they are in L1: one flat loop.
            let y = y.as_flattened();
            kernel::activate(act, y, acts[j..end].as_flattened_mut());
        }
    }
}

/// [`affine`] of rows `r0..` of samples `xs[..C]`.
#[inline(always)]
fn affine_tile<T: Real, const IN: usize, const OUT: usize, const R: usize, const C: usize>(
    w: &[[T; OUT]; IN],
    b: &[T; OUT],
    xs: &[[T; IN]],
    ys: &mut [[T; OUT]],
    r0: usize,
) {
    let x: &[[T; IN]; C] = xs[..C].try_into().unwrap();
    let mut acc: [[T; R]; C] = [*rows(b, r0); C];
    for i in 0..IN {
        step(
            &mut acc,
            rows(&w[i], r0),
            &core::array::from_fn(|s| x[s][i]),
        );
    }
    store(&acc, ys, r0);
}

/// Samples per pass of [`grad_weights`]: each tile streams its rows of `G` and its inputs
/// over the samples, and for 64-wide layers 64 samples of both stay in the 48 KiB L1
/// cache for the next tile (256 did not: 105 vs 150 GFLOP/s measured).
const J: usize = 64;

/// `∂W = Σ_j g_j·x_jᵀ` over the samples in order, added to `dw` if `add`, else written.
/// `OUT` a multiple of `R`.
#[inline(always)]
pub(crate) fn grad_weights<T: Real, const IN: usize, const OUT: usize, const R: usize>(
    xs: &[[T; IN]],
    gs: &[[T; OUT]],
    dw: &mut [[T; OUT]; IN],
    add: bool,
) {
    if xs.len().min(gs.len()) == 0 && !add {
        *dw = [[T::zero(); OUT]; IN];
    }
    let tiles = IN / S * S;
    for (k, (xs, gs)) in xs.chunks(J).zip(gs.chunks(J)).enumerate() {
        // The first pass starts from zero unless adding; later ones add to earlier ones.
        let add = add || k > 0;
        for r0 in (0..OUT).step_by(R) {
            for i0 in (0..tiles).step_by(S) {
                grad_weights_tile::<T, IN, OUT, R, S>(xs, gs, &mut dw[i0..], add, i0, r0);
            }
            let rest = &mut dw[tiles..];
            remainder!(
                IN - tiles,
                grad_weights_tile::<T, IN, OUT, R>(xs, gs, rest, add, tiles, r0)
            );
        }
    }
}

/// [`grad_weights`] of rows `r0..` of the columns `i0..i0 + C` of `∂W` (`dw[..C]`).
#[inline(always)]
fn grad_weights_tile<T: Real, const IN: usize, const OUT: usize, const R: usize, const C: usize>(
    xs: &[[T; IN]],
    gs: &[[T; OUT]],
    dw: &mut [[T; OUT]],
    add: bool,
    i0: usize,
    r0: usize,
) {
    let mut acc = [[T::zero(); R]; C];
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

/// `∂x_j = Wᵀ·g_j` for every sample; unless `zs` is empty, passed on back through an
/// activation `A` whose inputs were `zs`: `∂x_j ⊙ A'(z_j)`. `IN` a multiple of `R`.
#[inline(always)]
pub(crate) fn grad_inputs<
    T: Real,
    A: Activation,
    const IN: usize,
    const OUT: usize,
    const R: usize,
>(
    act: &A,
    w: &[[T; OUT]; IN],
    gs: &[[T; OUT]],
    dxs: &mut [[T; IN]],
    zs: &[[T; IN]],
) {
    let n = gs.len().min(dxs.len());
    let tiles = n / S * S;
    for r0 in (0..IN).step_by(R) {
        // Rows r0.. of Wᵀ, as columns: `wt[o][r] = W[o, r0 + r]`.
        let mut wt = [[T::zero(); R]; OUT];
        for (o, col) in wt.iter_mut().enumerate() {
            for r in 0..R {
                col[r] = w[r0 + r][o];
            }
        }
        for j in (0..tiles).step_by(S) {
            grad_inputs_tile::<T, IN, OUT, R, S>(&wt, &gs[j..], &mut dxs[j..], r0);
        }
        let args = (&gs[tiles..n], &mut dxs[tiles..n]);
        remainder!(
            n - tiles,
            grad_inputs_tile::<T, IN, OUT, R>(&wt, args.0, args.1, r0)
        );
    }
    if zs.len() >= n {
        // One flat loop at the end (per tile, LLVM compiled it to scalar code).
        let (z, d) = (zs[..n].as_flattened(), dxs[..n].as_flattened_mut());
        kernel::activate_grad_in_place(act, z, d);
    }
}

/// [`grad_inputs`] of rows `r0..` of samples `gs[..C]`, from the columns `wt` of `Wᵀ`'s rows
/// `r0..`.
#[inline(always)]
fn grad_inputs_tile<T: Real, const IN: usize, const OUT: usize, const R: usize, const C: usize>(
    wt: &[[T; R]; OUT],
    gs: &[[T; OUT]],
    dxs: &mut [[T; IN]],
    r0: usize,
) {
    let g: &[[T; OUT]; C] = gs[..C].try_into().unwrap();
    let mut acc = [[T::zero(); R]; C];
    for o in 0..OUT {
        step(&mut acc, &wt[o], &core::array::from_fn(|s| g[s][o]));
    }
    store(&acc, dxs, r0);
}

#[cfg(test)]
mod tests;
