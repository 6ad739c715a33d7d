//! Issue #12: sizes, shapes and files a hostile caller controls get typed errors, never a
//! panic, an abort or an allocation sized by the caller before it is needed.

use constnet::data::{CsvError, Dataset, synthetic};
use constnet::{
    Dense, Error, FormatError, Init, InitScheme, Momentum, Mse, Relu, Sgd, Trainer, loss, net,
    persist,
};
use nalgebra::{Const, DMatrix, Dyn, OMatrix};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::scratch::Scratch;

type Small = net![Dense<1, 8>, Relu, Dense<8, 1>];

#[test]
fn fit_with_usize_max_epochs_runs_until_it_stops_instead_of_reserving_them() {
    // A learning rate that diverges within a few epochs ends the run; before, the history
    // of usize::MAX epochs was reserved up front ("capacity overflow" panic).
    let x = OMatrix::<f32, Const<1>, Dyn>::from_fn(32, |_, j| j as f32 / 8.0 - 2.0);
    let y = x.map(|v| v * v * v);
    let mut model: Small = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(1), InitScheme::He);
    let mut seen = 0;
    let err = Trainer::new(&x, &y)
        .epochs(usize::MAX)
        .on_epoch(|_| seen += 1)
        .fit(&mut model, &mut Sgd::new(50.0).unwrap(), &Mse)
        .unwrap_err();
    assert!(
        matches!(err, Error::Diverged { epoch, .. } if epoch < 1000),
        "{err}"
    );
    assert!(seen < 1000);
}

#[test]
fn synthetic_data_too_large_to_allocate_is_a_typed_error() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for n in [usize::MAX, usize::MAX / 4, 1 << 60] {
        let err = synthetic::<f32, _>(n, -1.0, 1.0, 0.1, |x| x, &mut rng).unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { what: "synthetic samples", count } if count == n),
            "{err}"
        );
        assert!(err.to_string().contains("do not fit in memory"), "{err}");
    }
}

#[test]
fn mse_on_dynamic_matrices_of_other_shapes_is_an_error_not_ok_or_a_panic() {
    let a = DMatrix::<f64>::from_element(2, 3, 1.0);
    let b = DMatrix::<f64>::from_element(3, 3, 0.0);
    for (p, t) in [(&a, &b), (&b, &a)] {
        let err = loss::mse(p, t).unwrap_err();
        assert!(
            matches!(
                err,
                Error::LengthMismatch {
                    what: "MSE target (rows)",
                    ..
                }
            ),
            "{err}"
        );
        assert!(loss::mse_grad(p, t).is_err());
    }
    let c = DMatrix::<f64>::from_element(2, 4, 0.0);
    assert!(matches!(
        loss::mse_grad(&a, &c).unwrap_err(),
        Error::LengthMismatch {
            what: "MSE target (samples)",
            ..
        }
    ));
    let empty = DMatrix::<f64>::zeros(0, 0);
    assert!(matches!(loss::mse(&empty, &empty), Err(Error::EmptyData)));
    assert_eq!(loss::mse(&a, &a.map(|v| v - 2.0)).unwrap(), 4.0);
}

#[cfg(unix)]
#[test]
fn loading_an_endless_file_reads_only_what_the_header_allows() {
    let err = persist::load::<f32, Small>("/dev/zero").unwrap_err();
    assert!(matches!(err, Error::Format(FormatError::BadMagic)), "{err}");
}

#[cfg(unix)]
#[test]
fn loading_endless_safetensors_reads_only_what_the_header_allows() {
    // A link named .safetensors to /dev/zero: a header length of 0, then zeros forever
    // (this was read until memory ran out).
    let dir = Scratch::new("endless-safetensors");
    let path = dir.join("z.safetensors");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let (result, bytes) =
        crate::counting::bytes_allocated(|| constnet::safetensors::load::<f32, Small>(&path));
    assert!(matches!(result, Err(Error::Safetensors(_))), "{result:?}");
    assert!(bytes < 1 << 20, "{bytes} bytes allocated");
}

#[test]
fn loading_huge_safetensors_does_not_read_them_whole() {
    // A valid file followed by a sparse 1 GiB tail (read whole before: 1.5 GB took 7 s);
    // a header length past the crate's limit; a header that is not JSON. Each is rejected
    // after reading at most what a valid file of its header holds.
    let dir = Scratch::new("huge-safetensors");
    let path = dir.join("m.safetensors");
    let model: Small = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(2), InitScheme::He);
    constnet::safetensors::save(&model, &path).unwrap();
    let valid = std::fs::read(&path).unwrap();
    assert_eq!(
        constnet::safetensors::load::<f32, Small>(&path).unwrap(),
        model
    );
    let not_json = [&16u64.to_le_bytes()[..], b"not json at all!"].concat();
    for head in [valid, u64::MAX.to_le_bytes().to_vec(), not_json] {
        std::fs::write(&path, &head).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(1 << 30).unwrap();
        let (result, bytes) =
            crate::counting::bytes_allocated(|| constnet::safetensors::load::<f32, Small>(&path));
        assert!(matches!(result, Err(Error::Safetensors(_))), "{result:?}");
        assert!(bytes < 1 << 20, "{bytes} bytes allocated");
    }
}

#[test]
fn safetensors_declaring_more_data_than_the_network_takes_are_refused_unread() {
    // A well-formed header whose one tensor claims 300 MB, on a sparse file that long: it
    // was read whole before being refused.
    let dir = Scratch::new("declared-safetensors");
    let path = dir.join("big.safetensors");
    let header = br#"{"0.weight":{"dtype":"F32","shape":[75000000],"data_offsets":[0,300000000]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(bytes.len() as u64 + 300_000_000).unwrap();
    let (result, allocated) =
        crate::counting::bytes_allocated(|| constnet::safetensors::load::<f32, Small>(&path));
    match result {
        Err(Error::Safetensors(constnet::safetensors::SafetensorsError::TooMuchData {
            declared,
            max,
        })) => {
            assert_eq!(declared, 300_000_000);
            let values: usize = (0..<Small as constnet::Params<f32>>::TENSORS)
                .map(|i| {
                    let (r, c) = <Small as constnet::Params<f32>>::shape(i);
                    r * c
                })
                .sum();
            assert_eq!(max, values as u64 * 8);
        }
        other => panic!("{other:?}"),
    }
    assert!(allocated < 1 << 20, "{allocated} bytes allocated");
}

#[test]
fn loading_a_huge_file_does_not_read_it_whole() {
    // A valid model followed by a sparse 64 GiB tail: before, the whole file was read
    // into memory first.
    let dir = Scratch::new("huge-model");
    let path = dir.join("m.cnet");
    let model: Small = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(2), InitScheme::He);
    persist::save(&model, &path).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(1 << 36).unwrap();
    let err = persist::load::<f32, Small>(&path).unwrap_err();
    match err {
        Error::Format(FormatError::TrailingBytes { expected, found }) => {
            assert_eq!(expected, persist::encoded_len::<f32, Small>());
            assert_eq!(found, 1 << 36);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn csv_errors_name_the_file_and_the_likely_cause() {
    let dir = Scratch::new("csv-hints");
    for (name, text, cause) in [
        ("semicolon.csv", "1;2\n3;4\n", "semicolons"),
        ("tabs.csv", "x\ty\n1\t2\n", "tabs"),
        ("comment.csv", "# measured today\n1,2\n", "comments (`#`)"),
        ("cr.csv", "x,y\r1,1\r2,8\r", "carriage return"),
        ("late-comment.csv", "1,2\n# a, b, c\n", "comments (`#`)"),
        ("late-semicolon.csv", "1,2\n3;4\n", "semicolons"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = Dataset::<f32, 1, 1>::from_csv_path(&path).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, CsvError::Line { path: Some(ref p), .. } if *p == path),
            "{msg}"
        );
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(msg.contains(cause), "{name}: {msg}");
        assert!(!msg.contains('\n'), "{name}: {msg}");
    }
    // From a reader there is no file to name.
    let err = Dataset::<f32, 1, 1>::from_csv_reader("1;2\n".as_bytes()).unwrap_err();
    assert!(matches!(err, CsvError::Line { path: None, .. }));
    assert!(err.to_string().starts_with("line 1: "), "{err}");
}

#[test]
fn momentum_getters_return_what_was_given() {
    let m = Momentum::<f32, Small>::new(0.25, 0.75).unwrap();
    assert_eq!((m.lr(), m.momentum(), m.is_nesterov()), (0.25, 0.75, false));
    let n = Momentum::<f64, Dense<1, 1, f64>>::nesterov(0.5, 0.125).unwrap();
    assert_eq!((n.lr(), n.momentum(), n.is_nesterov()), (0.5, 0.125, true));
    assert_eq!(Sgd::<f32>::new(0.375).unwrap().lr(), 0.375);
    assert_eq!(Sgd::<f64>::new(0.0625).unwrap().lr(), 0.0625);
    let cfg = constnet::AdamConfig {
        lr: 0.02,
        beta1: 0.8,
        beta2: 0.99,
        eps: 1e-6,
        weight_decay: 0.01,
    };
    let adam: constnet::Adam<f32, Small> = cfg.build().unwrap();
    assert_eq!((adam.config(), adam.steps()), (cfg, 0));
}

#[test]
fn a_csv_line_without_end_is_an_error_after_64_kib_not_a_read_until_memory_runs_out() {
    let endless = std::io::BufReader::new(std::io::repeat(b'1'));
    let err = Dataset::<f32, 1, 1>::from_csv_reader(endless).unwrap_err();
    assert!(
        matches!(
            err,
            CsvError::Line {
                line: 1,
                column: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("longer than 65536 bytes"), "{err}");
}
