//! `eval::predict` and `eval::scores`: blocked inference and streamed scores, equal to the
//! whole-batch values, every error path, and no allocation per block.

use constnet::eval::{self, BLOCK, Scores};
use constnet::{Dense, Error, Forward, Init, InitScheme, Relu, metrics, net};
use nalgebra::{Const, Dyn, OMatrix, SMatrix, SVector};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::counting::allocations;

/// The cubic example's network.
type Model = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Row = OMatrix<f32, Const<1>, Dyn>;

fn model(seed: u64) -> Model {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(seed), InitScheme::He)
}

fn inputs(n: usize) -> Row {
    Row::from_fn(n, |_, j| -2.0 + 4.0 * j as f32 / n as f32)
}

#[test]
fn predict_is_forward_block_by_block() {
    let net = model(1);
    // Whole blocks, a short last block on the tiled path, one on the narrow path (≤ 5
    // samples take other kernels), and fewer samples than a block.
    for n in [3 * BLOCK, 3 * BLOCK + 100, BLOCK + 4, 7, 1] {
        let x = inputs(n);
        let pred = eval::predict(&net, &x).unwrap();
        assert_eq!(pred.ncols(), n);
        let mut start = 0;
        while start < n {
            let len = (n - start).min(BLOCK);
            // The same block through the network's own inference: the same kernels on the
            // same columns, so the same bits.
            let want = net.forward(&x.columns(start, len).into_owned());
            assert_eq!(pred.columns(start, len), want, "n {n} block at {start}");
            start += len;
        }
    }
}

#[test]
fn scores_equal_metrics_on_the_predictions() {
    let net = model(2);
    for n in [1000, 2 * BLOCK, 2] {
        let x = inputs(n);
        let y = x.map(|v| v * v * v + 0.1 * v.sin());
        let pred = eval::predict(&net, &x).unwrap();
        let (p, t) = (pred.as_slice(), y.as_slice());
        let want = Scores {
            mse: metrics::mse(p, t).unwrap(),
            rmse: metrics::rmse(p, t).unwrap(),
            mae: metrics::mae(p, t).unwrap(),
            r2: Some(metrics::r2(p, t).unwrap()),
        };
        // Same predictions, same f64 sums in the same order: equal, not merely close.
        assert_eq!(eval::scores(&net, &x, &y).unwrap(), want, "n {n}");
    }
}

#[test]
fn scores_of_several_outputs_pool_every_value() {
    let net = Dense::<1, 2, f64>::new(SMatrix::from([[1.0, -1.0]]), SVector::from([0.0, 1.0]));
    let x = OMatrix::<f64, Const<1>, Dyn>::from_row_slice(&[0.0, 1.0, 2.0]);
    let y = OMatrix::<f64, Const<2>, Dyn>::from_column_slice(&[0.0, 1.0, 1.0, 0.5, 2.0, -2.0]);
    let pred = eval::predict(&net, &x).unwrap();
    assert_eq!(pred.as_slice(), &[0.0, 1.0, 1.0, 0.0, 2.0, -1.0]);
    let s = eval::scores(&net, &x, &y).unwrap();
    assert_eq!(s.mse, metrics::mse(pred.as_slice(), y.as_slice()).unwrap());
    assert_eq!(
        s.r2,
        Some(metrics::r2(pred.as_slice(), y.as_slice()).unwrap())
    );
}

#[test]
fn constant_targets_leave_only_r2_undefined() {
    let net = model(3);
    let x = inputs(300);
    let y = x.map(|_| 2.5);
    let s = eval::scores(&net, &x, &y).unwrap();
    assert_eq!(s.r2, None);
    let pred = eval::predict(&net, &x).unwrap();
    assert_eq!(s.mse, metrics::mse(pred.as_slice(), y.as_slice()).unwrap());
    assert!(matches!(
        metrics::r2(pred.as_slice(), y.as_slice()),
        Err(Error::Undefined(why)) if why == metrics::CONSTANT_TARGETS
    ));
}

#[test]
fn errors() {
    let net = model(4);
    let empty = Row::zeros(0);
    assert!(matches!(eval::predict(&net, &empty), Err(Error::EmptyData)));
    assert!(matches!(
        eval::scores(&net, &empty, &empty),
        Err(Error::EmptyData)
    ));
    assert!(matches!(
        eval::scores(&net, &inputs(3), &inputs(4)),
        Err(Error::LengthMismatch {
            expected: 3,
            found: 4,
            ..
        })
    ));
    let mut y = inputs(600);
    y[401] = f32::NAN;
    assert!(matches!(
        eval::scores(&net, &inputs(600), &y),
        Err(Error::NonFinite {
            what: "target",
            index: 401
        })
    ));
    // A prediction that overflows f32 in the third block is located in the whole data.
    let big = Dense::<1, 1>::new(SMatrix::from([[f32::MAX]]), SVector::from([0.0]));
    let mut x = Row::zeros(600);
    x[517] = 10.0;
    assert!(matches!(
        eval::scores(&big, &x, &Row::zeros(600)),
        Err(Error::NonFinite {
            what: "prediction",
            index: 517
        })
    ));
}

#[test]
fn allocations_do_not_grow_with_the_data() {
    let net = model(5);
    let (small_x, big_x) = (inputs(4 * BLOCK), inputs(64 * BLOCK));
    let (small_y, big_y) = (small_x.map(|v| v * v), big_x.map(|v| v * v));
    // One workspace for every block: as many allocations for 64 blocks as for 4.
    let (s, small) = allocations(|| eval::scores(&net, &small_x, &small_y).unwrap());
    let (b, big) = allocations(|| eval::scores(&net, &big_x, &big_y).unwrap());
    assert!(s.r2.is_some() && b.r2.is_some());
    assert_eq!(small, big);
    let (_, small) = allocations(|| eval::predict(&net, &small_x).unwrap());
    let (_, big) = allocations(|| eval::predict(&net, &big_x).unwrap());
    assert_eq!(small, big);
}
