//! PNG plots: valid images of the documented sizes, input errors, atomic saves (no temp
//! file left), the same bytes for the same inputs. The history and confusion plots have
//! their own files (`plot/`).

use constnet::Error;
use constnet::plot::{
    PlotError, Png, PredictionPlot, Series, confusion, history, loss_curve, predictions,
};
use constnet::train::{Curve, History};

use crate::scratch::Scratch;

mod confusion;
mod history;

use self::confusion::counts;
use self::history::validation;

/// Asserts `png` is a valid 800×500 PNG that is not blank.
#[track_caller]
pub fn assert_png(png: &Png) {
    assert_png_sized(png, (800, 500));
}

/// Asserts `png` decodes (header, every chunk's checksum, the compressed pixels) as an
/// 8-bit RGB image of `size` pixels with text and curves on it, not a blank page.
#[track_caller]
pub fn assert_png_sized(png: &Png, size: (u32, u32)) {
    let bytes = png.as_bytes();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut reader = png::Decoder::new(bytes).read_info().unwrap();
    let header = reader.info();
    assert_eq!((header.width, header.height), size);
    assert_eq!(
        (header.color_type, header.bit_depth),
        (png::ColorType::Rgb, png::BitDepth::Eight)
    );
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.buffer_size(), (size.0 * size.1 * 3) as usize);
    // The background is white; a drawn plot has a few thousand pixels of ink at least.
    let ink = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    assert!(ink > 3_000, "only {ink} non-white pixels");
    // A blank 800×500 image compresses to well under 5 KB; text and curves do not.
    assert!(bytes.len() > 5_000, "only {} bytes", bytes.len());
}

pub fn losses() -> Vec<f64> {
    (0..300)
        .map(|i| 2.0 * (-(i as f64) / 40.0).exp() + 0.01)
        .collect()
}

pub fn curve(values: impl IntoIterator<Item = f64>) -> Curve {
    let mut c = Curve::default();
    for v in values {
        c.push(v);
    }
    c
}

pub fn trained(train: &[f64]) -> History {
    History {
        train: curve(train.iter().copied()),
        ..History::default()
    }
}

#[test]
fn loss_curve_draws_an_800_by_500_png_that_saves_as_is() {
    let dir = Scratch::new("plot-loss");
    let png = loss_curve(&losses()).unwrap();
    assert_png(&png);
    png.save(dir.join("loss.png")).unwrap();
    assert_eq!(dir.entries(), ["loss.png"]);
    assert_eq!(std::fs::read(dir.join("loss.png")).unwrap(), png.as_bytes());
    let bytes = png.clone().into_bytes();
    assert_eq!(bytes, png.as_bytes());
}

#[test]
fn loss_curve_of_one_or_a_few_epochs() {
    for history in [
        vec![0.37],
        vec![0.02, 0.021, 0.0205],
        vec![1e-9, 5e-10],
        vec![f64::MAX, 1.0, 1e-320],
        // Subnormal and near-underflow histories used to overflow the tick arithmetic.
        vec![5e-324, 5e-324],
        vec![1e-320, 2e-320],
        vec![1e-308, 1e-308],
    ] {
        assert_png(&loss_curve(&history).unwrap());
    }
}

#[test]
fn saving_replaces_an_existing_file() {
    let dir = Scratch::new("plot-replace");
    let path = dir.join("loss.png");
    std::fs::write(&path, b"stale").unwrap();
    let png = loss_curve(&losses()).unwrap();
    png.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), png.as_bytes());
    assert_eq!(dir.entries(), ["loss.png"]);
}

#[test]
fn loss_curve_rejects_bad_histories() {
    assert!(matches!(
        loss_curve(&[]),
        Err(PlotError::Data(Error::EmptyData))
    ));
    assert!(matches!(
        loss_curve(&[1.0, f64::NAN]),
        Err(PlotError::Data(Error::NonFinite {
            what: "losses",
            index: 1
        }))
    ));
    assert!(matches!(
        loss_curve(&[1.0, f64::INFINITY]),
        Err(PlotError::Data(Error::NonFinite { .. }))
    ));
    for bad in [0.0, -0.5] {
        match loss_curve(&[1.0, bad]) {
            Err(e @ PlotError::Data(Error::InvalidParameter { .. })) => {
                assert!(e.to_string().contains("logarithmic"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn plot_errors_read_on_one_line_and_keep_the_core_error_as_source() {
    let e = loss_curve(&[1.0, -0.5]).unwrap_err();
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.starts_with("cannot plot: invalid losses: "), "{msg}");
    let source = std::error::Error::source(&e).unwrap();
    assert_eq!(source.to_string(), msg.trim_start_matches("cannot plot: "));
    // `?` turns a core error into a plot error.
    let from: PlotError = Error::EmptyData.into();
    assert!(matches!(from, PlotError::Data(Error::EmptyData)));
}

#[test]
fn only_png_file_names_are_accepted_and_nothing_is_left_behind() {
    let dir = Scratch::new("plot-ext");
    let png = loss_curve(&[1.0]).unwrap();
    for name in ["loss.jpg", "loss", "loss.png.txt", ".png"] {
        let path = dir.join(name);
        match png.save(&path) {
            Err(Error::Io { path: p, source }) => {
                assert_eq!(p, path);
                assert_eq!(source.kind(), std::io::ErrorKind::InvalidInput);
                let msg = Error::Io { path: p, source }.to_string();
                assert!(msg.ends_with("the file name must end in .png"), "{msg}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(dir.entries().is_empty());
    png.save(dir.join("LOSS.PNG")).unwrap();
    png.save(dir.join("b.Png")).unwrap();
    assert_eq!(dir.entries(), ["LOSS.PNG", "b.Png"]);
}

#[test]
fn saving_into_a_missing_directory_fails_and_leaves_nothing() {
    let dir = Scratch::new("plot-missing");
    let path = dir.join("no/such/dir/loss.png");
    match loss_curve(&[1.0, 0.5]).unwrap().save(&path) {
        Err(Error::Io { path: p, source }) => {
            assert_eq!(p, path);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
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
fn predictions_draw_with_and_without_truth_and_axis_names() {
    let d = cubic_plot_data();
    let points = Series::new("training data", &d.x, &d.y);
    let model = Series::new("model", &d.grid, &d.pred);
    let bare = predictions(&PredictionPlot::new(points, model)).unwrap();
    let full = PredictionPlot::new(points, model)
        .truth(Series::new("x³", &d.grid, &d.truth))
        .title("y = x³ + noise");
    let full = predictions(&full).unwrap();
    let named = PredictionPlot::new(points, model)
        .x_label("temperature (°C)")
        .y_label("pressure (bar)");
    let named = predictions(&named).unwrap();
    for png in [&bare, &full, &named] {
        assert_png(png);
    }
    // The truth and the axis names are drawn: each image differs from the bare one.
    assert_ne!(full, bare);
    assert_ne!(named, bare);
}

#[test]
fn predictions_accept_unsorted_lines_and_degenerate_ranges() {
    let (x, y) = ([1.0, -1.0, 0.0], [5.0, 5.0, 5.0]);
    let flat = PredictionPlot::new(Series::new("data", &x, &y), Series::new("model", &x, &y));
    assert_png(&predictions(&flat).unwrap());
    let one = [3.0];
    let single = PredictionPlot::new(Series::new("one", &one, &one), Series::new("m", &one, &one));
    assert_png(&predictions(&single).unwrap());
    let huge = [1e307, -1e307, 0.0];
    let plot = PredictionPlot::new(
        Series::new("huge", &huge, &huge),
        Series::new("m", &one, &one),
    );
    assert_png(&predictions(&plot).unwrap());
    // Beyond what an f64 axis can span: an error naming the axis, not a hang or a panic.
    let too_wide = [f64::MAX, -f64::MAX];
    let plot = PredictionPlot::new(
        Series::new("x", &too_wide, &[0.0, 0.0]),
        Series::new("m", &one, &one),
    );
    assert!(matches!(
        predictions(&plot),
        Err(PlotError::Data(Error::InvalidParameter {
            name: "x values",
            ..
        }))
    ));
}

#[test]
fn predictions_reject_bad_series() {
    let ok = Series::new("ok", &[0.0, 1.0], &[0.0, 1.0]);
    let short = Series::new("short", &[0.0, 1.0], &[0.0]);
    let empty = Series::new("empty", &[], &[]);
    let nan = Series::new("nan", &[0.0, 1.0], &[0.0, f64::NAN]);

    match predictions(&PredictionPlot::new(short, ok)) {
        Err(PlotError::Data(Error::LengthMismatch {
            what: "points y",
            expected: 2,
            found: 1,
        })) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        predictions(&PredictionPlot::new(ok, empty)),
        Err(PlotError::Data(Error::EmptyData))
    ));
    assert!(matches!(
        predictions(&PredictionPlot::new(ok, nan)),
        Err(PlotError::Data(Error::NonFinite {
            what: "prediction y",
            index: 1
        }))
    ));
    let with_bad_truth =
        PredictionPlot::new(ok, ok).truth(Series::new("t", &[f64::INFINITY], &[0.0]));
    assert!(matches!(
        predictions(&with_bad_truth),
        Err(PlotError::Data(Error::NonFinite {
            what: "truth x",
            index: 0
        }))
    ));
}

#[test]
fn plots_drawn_from_several_threads_at_once_are_the_same_bytes() {
    let pngs: Vec<Png> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| loss_curve(&losses()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for png in &pngs {
        assert_png(png);
        assert_eq!(png, &pngs[0]);
    }
}

#[test]
fn the_same_inputs_draw_the_same_bytes() {
    let d = cubic_plot_data();
    let plot = PredictionPlot::new(
        Series::new("data", &d.x, &d.y),
        Series::new("model", &d.grid, &d.pred),
    );
    let h = History {
        val: curve(validation()),
        train_accuracy: curve((0..300).map(|e| e as f64 / 300.0)),
        best_epoch: Some(150),
        ..trained(&losses())
    };
    let names = ["a", "b", "c", "d"];
    let draw_all = || {
        [
            loss_curve(&losses()).unwrap(),
            history(&h, "MSE").unwrap(),
            predictions(&plot).unwrap(),
            confusion(&counts(4, 30), &names).unwrap(),
        ]
    };
    let (first, second) = (draw_all(), draw_all());
    assert_eq!(first, second);
    // And different inputs, different bytes.
    assert_ne!(confusion(&counts(4, 31), &names).unwrap(), first[3]);
}

#[test]
fn png_bytes_are_what_save_writes() {
    let dir = Scratch::new("plot-bytes");
    let png = confusion(&[3, 1, 0, 4], &["no", "yes"]).unwrap();
    png.save(dir.join("c.png")).unwrap();
    let on_disk = std::fs::read(dir.join("c.png")).unwrap();
    assert_eq!(on_disk, png.as_bytes());
    assert_eq!(format!("{png:?}"), format!("Png({} bytes)", on_disk.len()));
    assert_eq!(png.into_bytes(), on_disk);
}
