//! PNG plots: valid images, atomic writes (no temp file left), input errors.

use std::path::Path;

use constnet::Error;
use constnet::plot::{FitPlot, Series, fit, loss_curve, loss_curves};

use crate::scratch::Scratch;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Asserts `path` is an 800×500 PNG of non-trivial size.
#[track_caller]
fn assert_png(path: &Path) {
    assert_png_sized(path, (800, 500));
}

/// Asserts `path` is a PNG of `size` pixels and of non-trivial size.
#[track_caller]
pub fn assert_png_sized(path: &Path, size: (u32, u32)) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], PNG_SIGNATURE);
    // The IHDR chunk comes first: width and height, big-endian, at bytes 16..24.
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), size);
    // A blank 800×500 image compresses to well under 5 KB; text and curves do not.
    assert!(bytes.len() > 5_000, "only {} bytes", bytes.len());
}

fn losses() -> Vec<f64> {
    (0..300)
        .map(|i| 2.0 * (-(i as f64) / 40.0).exp() + 0.01)
        .collect()
}

#[test]
fn loss_curve_writes_a_png_and_nothing_else() {
    let dir = Scratch::new("plot-loss");
    let path = dir.join("loss.png");
    loss_curve(&path, &losses()).unwrap();
    assert_png(&path);
    assert_eq!(dir.entries(), ["loss.png"]);
}

#[test]
fn loss_curve_of_one_or_a_few_epochs() {
    let dir = Scratch::new("plot-loss-short");
    for (name, history) in [
        ("one.png", vec![0.37]),
        ("flat.png", vec![0.02, 0.021, 0.0205]),
        ("tiny.png", vec![1e-9, 5e-10]),
        ("wide.png", vec![f64::MAX, 1.0, 1e-320]),
        // Subnormal and near-underflow histories used to overflow the tick arithmetic.
        ("subnormal.png", vec![5e-324, 5e-324]),
        ("small.png", vec![1e-320, 2e-320]),
        ("min.png", vec![1e-308, 1e-308]),
    ] {
        let path = dir.join(name);
        loss_curve(&path, &history).unwrap();
        assert_png(&path);
    }
    assert_eq!(
        dir.entries(),
        [
            "flat.png",
            "min.png",
            "one.png",
            "small.png",
            "subnormal.png",
            "tiny.png",
            "wide.png"
        ]
    );
}

#[test]
fn loss_curve_replaces_an_existing_file() {
    let dir = Scratch::new("plot-replace");
    let path = dir.join("loss.png");
    std::fs::write(&path, b"stale").unwrap();
    loss_curve(&path, &losses()).unwrap();
    assert_png(&path);
    assert_eq!(dir.entries(), ["loss.png"]);
}

#[test]
fn loss_curve_rejects_bad_histories_before_touching_the_disk() {
    let dir = Scratch::new("plot-loss-bad");
    let path = dir.join("loss.png");
    assert!(matches!(loss_curve(&path, &[]), Err(Error::EmptyData)));
    assert!(matches!(
        loss_curve(&path, &[1.0, f64::NAN]),
        Err(Error::NonFinite {
            what: "losses",
            index: 1
        })
    ));
    assert!(matches!(
        loss_curve(&path, &[1.0, f64::INFINITY]),
        Err(Error::NonFinite { .. })
    ));
    for bad in [0.0, -0.5] {
        match loss_curve(&path, &[1.0, bad]) {
            Err(e @ Error::InvalidParameter { .. }) => {
                assert!(e.to_string().contains("logarithmic"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(dir.entries().is_empty());
}

#[test]
fn only_png_file_names_are_accepted() {
    let dir = Scratch::new("plot-ext");
    for name in ["loss.jpg", "loss", "loss.png.txt"] {
        assert!(matches!(
            loss_curve(&dir.join(name), &[1.0]),
            Err(Error::Plot(_))
        ));
    }
    loss_curve(&dir.join("LOSS.PNG"), &[1.0]).unwrap();
    assert_eq!(dir.entries(), ["LOSS.PNG"]);
}

#[test]
fn writing_into_a_missing_directory_fails_and_leaves_nothing() {
    let dir = Scratch::new("plot-missing");
    let path = dir.join("no/such/dir/loss.png");
    match loss_curve(&path, &[1.0, 0.5]) {
        Err(Error::Io { path: p, source }) => {
            assert_eq!(p, path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    let (x, y) = ([0.0, 1.0], [0.0, 1.0]);
    let plot = FitPlot::new(Series::new("d", &x, &y), Series::new("m", &x, &y));
    assert!(matches!(
        fit(&dir.join("missing/fit.png"), &plot),
        Err(Error::Io { .. })
    ));
    assert!(dir.entries().is_empty());
}

/// Noisy cubic data, the true curve and an imperfect "model" on a grid.
struct Cubic {
    x: Vec<f64>,
    y: Vec<f64>,
    grid: Vec<f64>,
    truth: Vec<f64>,
    pred: Vec<f64>,
}

fn cubic_plot_data() -> Cubic {
    let x: Vec<f64> = (0..400)
        .map(|i| -2.0 + 4.0 * ((i * 37) % 400) as f64 / 400.0)
        .collect();
    let y = x
        .iter()
        .enumerate()
        .map(|(i, x)| x * x * x + 0.2 * ((i as f64) * 1.7).sin())
        .collect();
    let grid: Vec<f64> = (0..=100).map(|i| -2.0 + 0.04 * i as f64).collect();
    let truth = grid.iter().map(|x| x * x * x).collect();
    let pred = grid.iter().map(|x| 0.9 * x * x * x + 0.1).collect();
    Cubic {
        x,
        y,
        grid,
        truth,
        pred,
    }
}

#[test]
fn fit_writes_a_png_with_and_without_truth() {
    let dir = Scratch::new("plot-fit");
    let d = cubic_plot_data();
    let points = Series::new("training data", &d.x, &d.y);
    let model = Series::new("model", &d.grid, &d.pred);
    let full = FitPlot {
        title: "y = x³ + noise",
        truth: Some(Series::new("x³", &d.grid, &d.truth)),
        ..FitPlot::new(points, model)
    };
    fit(&dir.join("full.png"), &full).unwrap();
    fit(&dir.join("bare.png"), &FitPlot::new(points, model)).unwrap();
    assert_png(&dir.join("full.png"));
    assert_png(&dir.join("bare.png"));
    assert_eq!(dir.entries(), ["bare.png", "full.png"]);
}

#[test]
fn fit_accepts_unsorted_lines_and_degenerate_ranges() {
    let dir = Scratch::new("plot-fit-odd");
    let (x, y) = ([1.0, -1.0, 0.0], [5.0, 5.0, 5.0]);
    let plot = FitPlot::new(Series::new("data", &x, &y), Series::new("model", &x, &y));
    fit(&dir.join("flat.png"), &plot).unwrap();
    let one = [3.0];
    let plot = FitPlot::new(Series::new("one", &one, &one), Series::new("m", &one, &one));
    fit(&dir.join("single.png"), &plot).unwrap();
    assert_png(&dir.join("single.png"));
    let huge = [1e307, -1e307, 0.0];
    let plot = FitPlot::new(
        Series::new("huge", &huge, &huge),
        Series::new("m", &one, &one),
    );
    fit(&dir.join("huge.png"), &plot).unwrap();
    // Beyond what an f64 axis can span: an error, not a hang or a panic.
    let too_wide = [f64::MAX, -f64::MAX];
    let plot = FitPlot::new(
        Series::new("x", &too_wide, &[0.0, 0.0]),
        Series::new("m", &one, &one),
    );
    assert!(matches!(
        fit(&dir.join("wide.png"), &plot),
        Err(Error::Plot(_))
    ));
    assert_eq!(dir.entries(), ["flat.png", "huge.png", "single.png"]);
}

#[test]
fn fit_rejects_bad_series() {
    let dir = Scratch::new("plot-fit-bad");
    let path = dir.join("fit.png");
    let ok = Series::new("ok", &[0.0, 1.0], &[0.0, 1.0]);
    let short = Series::new("short", &[0.0, 1.0], &[0.0]);
    let empty = Series::new("empty", &[], &[]);
    let nan = Series::new("nan", &[0.0, 1.0], &[0.0, f64::NAN]);

    match fit(&path, &FitPlot::new(short, ok)) {
        Err(Error::LengthMismatch {
            what: "points y",
            expected: 2,
            found: 1,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        fit(&path, &FitPlot::new(ok, empty)),
        Err(Error::EmptyData)
    ));
    assert!(matches!(
        fit(&path, &FitPlot::new(ok, nan)),
        Err(Error::NonFinite {
            what: "prediction y",
            index: 1
        })
    ));
    let with_bad_truth = FitPlot {
        truth: Some(Series::new("t", &[f64::INFINITY], &[0.0])),
        ..FitPlot::new(ok, ok)
    };
    assert!(matches!(
        fit(&path, &with_bad_truth),
        Err(Error::NonFinite {
            what: "truth x",
            index: 0
        })
    ));
    assert!(dir.entries().is_empty());
}

#[test]
fn plots_can_be_drawn_from_several_threads_at_once() {
    let dir = Scratch::new("plot-threads");
    std::thread::scope(|s| {
        for i in 0..4 {
            let path = dir.join(&format!("loss{i}.png"));
            s.spawn(move || loss_curve(&path, &losses()).unwrap());
        }
    });
    for i in 0..4 {
        assert_png(&dir.join(&format!("loss{i}.png")));
    }
    assert_eq!(dir.entries().len(), 4);
}

#[test]
fn loss_curves_draw_validation_and_the_best_epoch() {
    let dir = Scratch::new("plot-loss-val");
    let train = losses();
    // Validation: falls, then rises again from epoch 120 (over-fitting).
    let val: Vec<f64> = (0..300)
        .map(|i| {
            2.2 * (-(i as f64) / 40.0).exp() + 0.03 + 1e-6 * ((i as f64) - 120.0).max(0.0).powi(2)
        })
        .collect();
    let best = (0..300).min_by(|&a, &b| val[a].total_cmp(&val[b])).unwrap();
    /// File name, validation history, best epoch.
    type Case<'a> = (&'a str, Option<&'a [f64]>, Option<usize>);
    let cases: [Case<'_>; 4] = [
        ("both.png", Some(&val), Some(best)),
        ("val.png", Some(&val), None),
        ("best.png", None, Some(best)),
        // A validation history shorter than the training one (recorded every epoch
        // until it stopped being computed) is drawn as far as it goes.
        ("short.png", Some(&val[..100]), Some(250)),
    ];
    for (name, v, b) in cases {
        loss_curves(&dir.join(name), &train, v, b).unwrap();
        assert_png(&dir.join(name));
    }
    assert_eq!(
        dir.entries(),
        ["best.png", "both.png", "short.png", "val.png"]
    );
}

#[test]
fn loss_curves_without_extras_draw_the_same_bytes_as_loss_curve() {
    let dir = Scratch::new("plot-loss-same");
    loss_curve(&dir.join("a.png"), &losses()).unwrap();
    loss_curves(&dir.join("b.png"), &losses(), None, None).unwrap();
    let (a, b) = (
        std::fs::read(dir.join("a.png")),
        std::fs::read(dir.join("b.png")),
    );
    assert_eq!(a.unwrap(), b.unwrap());
}

#[test]
fn loss_curves_reject_bad_validation_and_best_epoch() {
    let dir = Scratch::new("plot-loss-val-bad");
    let path = dir.join("loss.png");
    let train = [1.0, 0.5, 0.25];
    assert!(matches!(
        loss_curves(&path, &train, Some(&[]), None),
        Err(Error::EmptyData)
    ));
    // What a run may record and a log axis cannot show (a NaN validation loss, a perfect
    // fit's 0) is left out, never an error: a plot must not fail a run that succeeded.
    loss_curves(&path, &train, Some(&[1.0, f64::NAN, 0.5]), Some(1)).unwrap();
    loss_curves(
        &path,
        &[0.0, 0.0, 0.0],
        Some(&[1.0, 0.0, f64::INFINITY]),
        None,
    )
    .unwrap();
    loss_curves(&path, &[0.0], None, Some(0)).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 1000);
    // Epochs 0, 1, 2 exist; 3 does not.
    assert!(matches!(
        loss_curves(&path, &train, None, Some(3)),
        Err(Error::InvalidParameter {
            name: "best_epoch",
            ..
        })
    ));
    loss_curves(&path, &train, None, Some(2)).unwrap();
    assert_eq!(dir.entries(), ["loss.png"]);
}
