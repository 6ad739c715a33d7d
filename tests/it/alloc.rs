//! The statically sized paths never touch the heap: forward, forward_train, backward and an
//! SGD step on one sample (`SVector`) or a fixed batch (`SMatrix`) make zero allocations, in
//! `f32` and `f64`. The runtime-sized (`Dyn`) batch path works and agrees with them, and
//! after its workspace is built allocates only matrixmultiply's GEMM packing buffers.

use std::hint::black_box;

use constnet::nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
use constnet::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use constnet::{Dense, Forward, Init, InitScheme, Optimizer, Params, Real, Relu, Sgd, loss, net};

use crate::counting::allocations;

/// The seed network, in either scalar type.
type SeedNet<T> = net![Dense<1, 64, T>, Relu, Dense<64, 64, T>, Relu, Dense<64, 1, T>];

fn seed<T: Real>() -> SeedNet<T> {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(7), InitScheme::He)
}

/// `N` samples spread over [-2, 2), one per column.
fn inputs<T: Real, const N: usize>() -> SMatrix<T, 1, N> {
    SMatrix::from_fn(|_, j| T::cast(4.0 * j as f64 / N as f64 - 2.0))
}

/// Runs each stage of one training step on a batch of `N` samples and checks that none of
/// them allocates. Everything is built before counting starts.
fn assert_training_step_does_not_allocate<T: Real, const N: usize>() {
    let what = format!("{}, batch of {N}", T::NAME);
    let mut model = seed::<T>();
    let before = model.clone();
    let mut sgd = Sgd::<T>::new(0.01).unwrap();
    let x = inputs::<T, N>();
    let y = x.map(|v| v * v * v);

    let (pred, n) = allocations(|| model.forward(black_box(&x)));
    assert_eq!(n, 0, "{what}: forward allocated {n} times");

    let ((pred_train, mut cache), n) = allocations(|| model.forward_train(black_box(&x)));
    assert_eq!(n, 0, "{what}: forward_train allocated {n} times");
    assert_eq!(pred, pred_train);

    let ((l, grad_pred), n) = allocations(|| {
        let l = loss::mse(black_box(&pred_train), &y).unwrap();
        (l, loss::mse_grad(&pred_train, &y).unwrap())
    });
    assert_eq!(n, 0, "{what}: the loss allocated {n} times");
    assert!(l > T::zero());

    let ((grad_x, grad), n) = allocations(|| {
        model
            .backward(black_box(&x), &mut cache, &grad_pred)
            .unwrap()
    });
    assert_eq!(n, 0, "{what}: backward allocated {n} times");
    black_box(grad_x);

    let ((), n) = allocations(|| sgd.step(black_box(&mut model), &grad));
    assert_eq!(n, 0, "{what}: the SGD step allocated {n} times");
    assert_ne!(model, before, "{what}: the SGD step changed nothing");
}

#[test]
fn counter_sees_a_heap_allocation() {
    // Guards the zero checks below against passing because nothing is counted.
    let (v, n) = allocations(|| black_box(Vec::<u8>::with_capacity(10)));
    assert!(n >= 1, "a Vec::with_capacity(10) was not counted");
    drop(v);
}

#[test]
fn single_sample_training_step_does_not_allocate() {
    assert_training_step_does_not_allocate::<f32, 1>();
    assert_training_step_does_not_allocate::<f64, 1>();
}

#[test]
fn fixed_batch_training_step_does_not_allocate() {
    assert_training_step_does_not_allocate::<f32, 8>();
    assert_training_step_does_not_allocate::<f64, 8>();
}

#[test]
fn single_sample_is_an_svector() {
    // `U1` batches are plain `SVector`s: the type used above for N = 1.
    let model = seed::<f32>();
    let x: SVector<f32, 1> = inputs::<f32, 1>();
    let (y, n) = allocations(|| model.forward(black_box(&x)));
    assert_eq!(n, 0);
    assert!(y[0].is_finite());
}

#[test]
fn runtime_sized_batch_agrees_with_fixed_batch() {
    let model = seed::<f32>();
    let fixed = inputs::<f32, 8>();
    let x = OMatrix::<f32, Const<1>, Dyn>::from_column_slice(fixed.as_slice());
    assert_eq!(x.ncols(), 8);

    // Its output is heap-allocated: the counter sees library allocations too.
    let (y, n) = allocations(|| model.forward(black_box(&x)));
    assert!(
        n >= 1,
        "a Dyn batch's output was not counted as an allocation"
    );
    assert_eq!(y.shape(), (1, 8));
    for (j, &xj) in fixed.iter().enumerate() {
        let one = model.forward(&SVector::from([xj]));
        assert!(
            (y[j] - one[0]).abs() <= 1e-5 * (1.0 + one[0].abs()),
            "sample {j}"
        );
    }

    // A training step's gradient is the same as on the fixed batch, up to rounding.
    let target = x.map(|v| v * v * v);
    let (pred, mut cache) = model.forward_train(&x);
    let (_, grad) = model
        .backward(&x, &mut cache, &loss::mse_grad(&pred, &target).unwrap())
        .unwrap();
    let fixed_target = fixed.map(|v| v * v * v);
    let (fixed_pred, mut fixed_cache) = model.forward_train(&fixed);
    let (_, fixed_grad) = model
        .backward(
            &fixed,
            &mut fixed_cache,
            &loss::mse_grad(&fixed_pred, &fixed_target).unwrap(),
        )
        .unwrap();
    for i in 0..<SeedNet<f32> as Params<f32>>::TENSORS {
        for (a, b) in grad.tensor(i).iter().zip(fixed_grad.tensor(i)) {
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                "tensor {i}: {a} vs {b}"
            );
        }
    }
}

/// Whether the 64-wide `f32` layer's products run on constnet's tiled kernels, which
/// allocate nothing (the library's own condition: an x86-64 CPU with FMA and AVX-512F or
/// AVX2).
fn tiled_kernels() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("fma")
        && (std::arch::is_x86_feature_detected!("avx512f")
            || std::arch::is_x86_feature_detected!("avx2"));
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Heap allocations made by one product of the hidden layer's shape in a `Dyn` training
/// step: none on the tiled kernels; elsewhere matrixmultiply's packing buffers, allocated
/// on every call. That is the only allocation a `Dyn` training step is allowed.
fn gemm_allocations(n: usize) -> usize {
    if tiled_kernels() {
        return 0;
    }
    let w = SMatrix::<f32, 64, 64>::from_fn(|i, j| (i + j) as f32);
    let h = OMatrix::<f32, Const<64>, Dyn>::from_element(n, 1.0);
    let mut y = OMatrix::<f32, Const<64>, Dyn>::zeros(n);
    let per_gemm = allocations(|| y.gemm(1.0, &w, &h, 0.0)).1;
    assert!(
        per_gemm > 0,
        "matrixmultiply did not run: the fast path was missed"
    );
    per_gemm
}

/// Allocations of `steps` training steps on `n` samples, after the workspace is built.
fn dyn_step_allocations(n: usize, steps: usize) -> usize {
    let mut model = seed::<f32>();
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(n, |_, j| 4.0 * j as f32 / n as f32 - 2.0);
    let y = x.map(|v| v * v * v);
    let mut ws = <SeedNet<f32> as Forward<f32, Const<1>, Dyn>>::workspace(Dyn(n));
    let mut grad = SeedNet::<f32>::zeros();
    let mut grad_pred = OMatrix::<f32, Const<1>, Dyn>::zeros(n);
    let mut sgd = Sgd::new(0.01).unwrap();
    allocations(|| {
        for _ in 0..steps {
            model.forward_into(&x, &mut ws);
            let pred = <SeedNet<f32> as Forward<f32, Const<1>, Dyn>>::output(&ws);
            loss::mse_with_grad(pred, &y, &mut grad_pred).unwrap();
            model
                .backward_params(&x, &mut ws, &grad_pred, &mut grad)
                .unwrap();
            sgd.step(&mut model, &grad);
        }
    })
    .1
}

#[test]
fn runtime_batch_step_reuses_its_workspace() {
    // A Dyn step runs three 64-wide products (forward W2·H1, backward G·H1ᵀ and W2ᵀ·G); the
    // matrices themselves live in the workspace, so nothing else may allocate, at any N
    // (on the tiled kernels: nothing at all).
    println!("tiled kernels: {}", tiled_kernels());
    for n in [100, 1000, 4000] {
        let per_gemm = gemm_allocations(n);
        assert_eq!(dyn_step_allocations(n, 3), 3 * 3 * per_gemm, "N = {n}");
    }
}

#[test]
fn fit_allocates_per_run_not_per_epoch() {
    use constnet::{Mse, Trainer};
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(500, |_, j| j as f32 / 125.0 - 2.0);
    let y = x.map(|v| v * v * v);
    let count = |epochs, batch_size| {
        let mut model = seed::<f32>();
        let mut trainer = Trainer::new(&x, &y).epochs(epochs);
        if let Some(b) = batch_size {
            trainer = trainer.batch_size(b);
        }
        let mut sgd = Sgd::new(0.001).unwrap();
        allocations(|| trainer.fit(&mut model, &mut sgd, &Mse).unwrap()).1
    };
    // Beyond matrixmultiply's packing buffers where it runs (3 products per forward/backward
    // pass; none on the tiled kernels), 2 and 20 epochs allocate the same: the buffers are built once per run. `fit` runs a full batch
    // in passes of at most 256 samples (its internal block size: 500 = 256 + 244, two passes).
    let passes = 2;
    let gemm = passes * 3 * gemm_allocations(500);
    assert_eq!(count(20, None) - count(2, None), 18 * gemm, "full batch");
    // 500 = 7·64 + 52: eight steps per epoch, all with 64-wide GEMMs.
    let per_epoch = 8 * 3 * gemm_allocations(64);
    assert_eq!(
        count(20, Some(64)) - count(2, Some(64)),
        18 * per_epoch,
        "mini-batches"
    );
}

#[test]
fn momentum_and_adam_steps_do_not_allocate() {
    // Their state is typed like the network (values of `SeedNet` itself), built up front.
    use constnet::{Adam, Momentum};
    let mut model = seed::<f32>();
    let x = inputs::<f32, 8>();
    let (pred, mut ws) = model.forward_train(&x);
    let (_, grad) = model
        .backward(
            &x,
            &mut ws,
            &loss::mse_grad(&pred, &x.map(|v| v * v * v)).unwrap(),
        )
        .unwrap();
    let mut momentum = Momentum::nesterov(0.01, 0.9).unwrap();
    let mut adam = Adam::new(0.001).unwrap();
    let ((), n) = allocations(|| {
        for _ in 0..3 {
            momentum.step(black_box(&mut model), &grad);
            adam.step(black_box(&mut model), &grad);
        }
    });
    assert_eq!(n, 0, "optimizer steps allocated {n} times");
}
