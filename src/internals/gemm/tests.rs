//! The tiled kernels, as dispatched on this machine (and their AVX2 copies), give exactly the
//! bits of reference code that sums each element with `fma` in index order: for layers of
//! 16…96 rows (16- and 32-row tiles), batches that leave every remainder tile width (0…5),
//! both `∂W` modes, with and without an activation applied in the same pass, `f32` and
//! `f64`.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::{Activation, Identity, Real, Relu, Tanh, simd};

fn random<T: Real, const N: usize>(rng: &mut Xoshiro256PlusPlus, count: usize) -> Vec<[T; N]> {
    (0..count)
        .map(|_| core::array::from_fn(|_| T::cast(rng.random_range(-2.0..2.0))))
        .collect()
}

fn bits<T: Real, const N: usize>(v: &[[T; N]]) -> Vec<u64> {
    v.iter().flatten().map(|x| x.as_f64().to_bits()).collect()
}

/// Every kernel on `n` samples of a layer `IN → OUT`, against the reference; `A` is the
/// activation fused into the forward product and into `∂X`.
fn agree<T: Real, A: Activation + Default, const IN: usize, const OUT: usize>(n: usize, seed: u64) {
    let act = A::default();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let w: [[T; OUT]; IN] = random::<T, OUT>(&mut rng, IN).try_into().unwrap();
    let b: [T; OUT] = random::<T, OUT>(&mut rng, 1)[0];
    let xs = random::<T, IN>(&mut rng, n);
    let gs = random::<T, OUT>(&mut rng, n);
    let zs = random::<T, IN>(&mut rng, n);
    let dw0: [[T; OUT]; IN] = random::<T, OUT>(&mut rng, IN).try_into().unwrap();
    let case = format!("{} {IN}→{OUT}, {n} samples", T::NAME);

    // y_j = b + Σ_i W[:, i]·x_j[i], and A(y_j)
    let expected: Vec<[T; OUT]> = xs
        .iter()
        .map(|x| core::array::from_fn(|o| (0..IN).fold(b[o], |y, i| w[i][o].fma(x[i], y))))
        .collect();
    let mut ys = vec![[T::zero(); OUT]; n];
    if !simd::gemm_affine::<T, A, IN, OUT>(&act, &w, &b, &xs, &mut ys, &mut []) {
        return; // no AVX-512 here: the layer keeps matrixmultiply (printed by the test)
    }
    assert_eq!(bits(&ys), bits(&expected), "affine, {case}");
    let mut acts = vec![[T::zero(); OUT]; n];
    ys.fill([T::zero(); OUT]);
    assert!(simd::gemm_affine::<T, A, IN, OUT>(
        &act, &w, &b, &xs, &mut ys, &mut acts
    ));
    assert_eq!(bits(&ys), bits(&expected), "affine + activation: y, {case}");
    let activated: Vec<[T; OUT]> = expected.iter().map(|y| y.map(|v| act.f(v))).collect();
    assert_eq!(bits(&acts), bits(&activated), "affine + activation, {case}");

    // ∂W[:, i] = (∂W₀[:, i] or 0) + Σ_j g_j·x_j[i]
    for add in [false, true] {
        let expected: Vec<[T; OUT]> = (0..IN)
            .map(|i| {
                core::array::from_fn(|o| {
                    let start = if add { dw0[i][o] } else { T::zero() };
                    xs.iter()
                        .zip(&gs)
                        .fold(start, |d, (x, g)| g[o].fma(x[i], d))
                })
            })
            .collect();
        let mut dw = dw0;
        assert!(simd::gemm_grad_weights(&xs, &gs, &mut dw, add));
        assert_eq!(
            bits(&dw),
            bits(&expected),
            "grad_weights (add: {add}), {case}"
        );
    }

    // ∂x_j[i] = Σ_o W[o, i]·g_j[o], and ∂x_j[i]·A'(z_j[i])
    let expected: Vec<[T; IN]> = gs
        .iter()
        .map(|g| core::array::from_fn(|i| (0..OUT).fold(T::zero(), |d, o| w[i][o].fma(g[o], d))))
        .collect();
    let mut dxs = vec![[T::zero(); IN]; n];
    assert!(simd::gemm_grad_inputs::<T, A, IN, OUT>(
        &act,
        &w,
        &gs,
        &mut dxs,
        &[]
    ));
    assert_eq!(bits(&dxs), bits(&expected), "grad_inputs, {case}");
    let through: Vec<[T; IN]> = expected
        .iter()
        .zip(&zs)
        .map(|(d, z)| core::array::from_fn(|i| d[i] * act.df(z[i])))
        .collect();
    assert!(simd::gemm_grad_inputs::<T, A, IN, OUT>(
        &act, &w, &gs, &mut dxs, &zs
    ));
    assert_eq!(
        bits(&dxs),
        bits(&through),
        "grad_inputs + activation, {case}"
    );
}

fn all_shapes<T: Real>(seed: u64) {
    // Sample counts: no full tile, each remainder 0…5 after full tiles, ∂W's passes of 64
    // samples with a short last one (100), a block's worth.
    for (k, n) in [0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 37, 100, 256]
        .into_iter()
        .enumerate()
    {
        let seed = seed + 10 * k as u64;
        agree::<T, Relu, 64, 64>(n, seed);
        agree::<T, Tanh, 32, 96>(n, seed + 1);
        agree::<T, Relu, 96, 32>(n, seed + 2);
        // 64 inputs: ∂W has 10 full tiles of 6 columns and a remainder of 4; 32: 5 and 2.
        agree::<T, Identity, 32, 32>(n, seed + 3);
        // Multiples of 16 only: 16-row tiles.
        agree::<T, Relu, 16, 48>(n, seed + 4);
        agree::<T, Tanh, 48, 16>(n, seed + 5);
    }
}

#[test]
fn tiled_kernels_match_reference_bit_for_bit() {
    #[cfg(target_arch = "x86_64")]
    println!(
        "avx512f: {}, avx2: {}, fma: {} (without FMA and one of the others the kernels do not \
         run and this checks nothing)",
        std::arch::is_x86_feature_detected!("avx512f"),
        std::arch::is_x86_feature_detected!("avx2"),
        std::arch::is_x86_feature_detected!("fma")
    );
    for seed in [0, 1000] {
        all_shapes::<f32>(seed);
        all_shapes::<f64>(seed);
        // The AVX2 copies (f32 only; f64 then runs nothing and checks nothing).
        simd::avx2_only(|| all_shapes::<f32>(seed + 1));
    }
}
