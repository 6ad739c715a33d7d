//! Flag parsing: defaults, both value forms, OS strings, one-line errors, --help.

use super::*;

fn parse_str(line: &str) -> Result<Args, String> {
    parse(line.split_whitespace())
}

#[test]
fn defaults_are_the_seed_experiment() {
    let args = parse_str("").unwrap();
    assert_eq!((args.epochs, args.lr, args.batch_size), (900, 0.01, None));
    assert_eq!((args.samples, args.noise, args.seed), (1000, 0.1, 42));
    assert_eq!(args.optimizer, OptimizerKind::Sgd);
    assert_eq!(args.out, PathBuf::from("constnet-out"));
    assert!(args.given.is_empty());
}

#[test]
fn every_flag_parses_in_both_forms() {
    let args = parse_str(
        "--epochs 5 --lr=0.5 --batch-size 32 --optimizer momentum --momentum=0.8 --samples 7 \
         --noise 0.2 --seed 3 --data d.csv --out o --save m.cnet --load l.cnet \
         --export-rs m.rs --threads=2 --quantize int8 --scale=none --val-fraction 0.2 \
         --patience 7 --min-delta 0.5 --inputs a,b --target y --classify --quiet --help",
    )
    .unwrap();
    assert_eq!((args.epochs, args.lr, args.batch_size), (5, 0.5, Some(32)));
    assert_eq!(
        (args.optimizer, args.momentum),
        (OptimizerKind::Momentum, 0.8)
    );
    assert_eq!((args.samples, args.noise, args.seed), (7, 0.2, 3));
    assert_eq!(args.data, Some(PathBuf::from("d.csv")));
    assert_eq!(args.out, PathBuf::from("o"));
    assert_eq!(args.save, Some(PathBuf::from("m.cnet")));
    assert_eq!(args.load, Some(PathBuf::from("l.cnet")));
    assert_eq!(args.export_rs, Some(PathBuf::from("m.rs")));
    assert!(args.quiet && args.help);
    assert_eq!((args.threads, args.quantize_int8), (2, true));
    assert_eq!(args.scale, ScaleKind::None);
    assert_eq!((args.val_fraction, args.patience), (Some(0.2), Some(7)));
    assert_eq!(args.min_delta, 0.5);
    assert_eq!(args.inputs, Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!((args.target.as_deref(), args.classify), (Some("y"), true));
    // Every flag but --folds, which only evaluates and so refuses --save and the like.
    assert_eq!(args.given.len(), FLAGS.len() - 1);
    assert_eq!(parse_str("--folds 5").unwrap().folds, Some(5));
    assert_eq!(parse_str("--batch-size 0").unwrap().batch_size, None);
    assert!(parse_str("-q -h").unwrap().quiet);
    // Combined short flags (said "--quiet takes no value").
    let both = parse_str("-qh").unwrap();
    assert!(both.quiet && both.help);
    for name in ["sgd", "momentum", "nesterov", "adam"] {
        let args = parse_str(&format!("--optimizer {name}")).unwrap();
        assert_eq!(args.optimizer.name(), name);
    }
}

#[cfg(unix)]
#[test]
fn paths_are_os_strings_and_need_not_be_utf8() {
    use std::os::unix::ffi::OsStringExt;
    let name = OsString::from_vec(b"a\xff.csv".to_vec());
    let args = parse([OsString::from("--data"), name.clone()]).unwrap();
    assert_eq!(args.data.unwrap().into_os_string(), name);
    let err = parse([
        OsString::from("--epochs"),
        OsString::from_vec(b"9\xff".to_vec()),
    ])
    .unwrap_err();
    assert!(err.contains("not valid UTF-8"), "{err}");
    // A flag name that is not UTF-8 is unknown, not a panic.
    let err = parse([OsString::from_vec(b"--ep\xffochs".to_vec())]).unwrap_err();
    assert!(err.contains("unknown flag"), "{err}");
}

#[test]
fn bad_flags_are_one_line_errors() {
    for (line, expected) in [
        ("--bogus", "unknown flag `--bogus`"),
        ("-x", "unknown flag `-x`"),
        ("stray", "unexpected argument `stray`"),
        ("--epochs", "--epochs needs a value"),
        ("--epochs abc", "`abc` is not a valid number"),
        ("--epochs -3", "`-3` is not a valid number"),
        ("--epochs 18446744073709551616", "is too large"),
        ("--epochs 18446744073709551615", "at most 100000000"),
        ("--epochs 100000000000", "at most 100000000"),
        ("--samples 18446744073709551615", "at most 10000000"),
        ("--samples 1000000000", "at most 10000000"),
        ("--lr", "--lr needs a value"),
        ("--optimizer rmsprop", "unknown `rmsprop`"),
        ("--samples 0", "--samples must be at least 2"),
        ("--samples 1", "--samples must be at least 2"),
        ("--quiet=yes", "--quiet takes no value"),
        (
            "--momentum 0.5",
            "--momentum applies only to --optimizer momentum or nesterov, not sgd",
        ),
        ("--optimizer adam --momentum 0.5", "not adam"),
        ("--out=", "--out: the path is empty"),
        // Checked by the library too, but here the flag is named and nothing is created.
        ("--lr 0", "--lr: 0 is not a learning rate"),
        ("--lr -0", "--lr: -0 is not a learning rate"),
        ("--lr nan", "--lr: NaN is not"),
        ("--lr inf", "--lr: inf is not"),
        ("--epochs 0", "--epochs must be at least 1"),
        (
            "--optimizer momentum --momentum 1",
            "--momentum: 1 is not in [0, 1)",
        ),
        (
            "--momentum 2",
            "applies only to --optimizer momentum or nesterov",
        ),
        (
            "--optimizer momentum --momentum nan",
            "--momentum: NaN is not",
        ),
        ("--noise -1", "--noise: -1 is not a standard deviation"),
        ("--noise inf", "--noise: inf is not"),
    ] {
        let err = parse_str(line).unwrap_err();
        assert!(err.contains(expected), "{line}: {err}");
        assert!(!err.contains('\n'), "{line}: not one line");
    }
    assert!(parse_str("--optimizer nesterov --momentum 0.5").is_ok());
    // Not used with --load (warned about as ignored), so not checked.
    assert!(parse_str("--load m.cnet --optimizer momentum --momentum 5").is_ok());
    assert_eq!(parse_str("--epochs 100000000").unwrap().epochs, MAX_EPOCHS);
    let twice = parse_str("--epochs 5 --epochs 6").unwrap();
    assert_eq!((twice.epochs, twice.given.len()), (6, 1));
}

#[test]
fn ignored_flags_are_named() {
    let args = parse_str("--load m.cnet --lr 0.5 --seed 3 --data d.csv --noise 0").unwrap();
    assert_eq!(args.ignored(), ["lr", "noise"]);
    assert!(
        parse_str("--lr 0.5 --noise 0")
            .unwrap()
            .ignored()
            .is_empty()
    );
}

#[test]
fn help_lists_every_flag_from_the_table() {
    let help = help();
    for flag in FLAGS {
        assert!(
            help.contains(&format!("--{}", flag.long)),
            "--{} missing",
            flag.long
        );
        assert!(
            help.contains(flag.help),
            "--{}: help text missing",
            flag.long
        );
    }
    assert!(help.contains("-q, --quiet"));
    assert!(help.contains("[default: 900; with --data: 200; with --classify: 1000]"));
}

#[test]
fn real_data_flags_reject_bad_values_in_one_line() {
    for (line, expected) in [
        ("--scale minmax", "--scale: unknown `minmax`"),
        ("--val-fraction 1", "--val-fraction: 1 is not in [0, 1)"),
        ("--val-fraction -0.1", "is not in [0, 1)"),
        ("--val-fraction nan", "is not in [0, 1)"),
        ("--patience 0", "--patience must be at least 1"),
        ("--folds 0", "at least 2"),
        (
            "--min-delta 0.1",
            "--min-delta applies only with --patience",
        ),
        (
            "--patience 3 --min-delta -1",
            "--min-delta: -1 is not a loss difference",
        ),
        ("--patience 3 --min-delta inf", "is not a loss difference"),
    ] {
        let err = parse_str(line).unwrap_err();
        assert!(err.contains(expected), "{line}: {err}");
        assert!(!err.contains('\n'), "{line}: {err}");
    }
    // A scaled model's int8 export folds its scalers into the integer edges: allowed.
    assert!(parse_str("--data d.csv --quantize int8 --export-rs m.rs").is_ok());
}

#[test]
fn data_defaults_apply_only_to_flags_not_given() {
    let a = parse_str("--data d.csv").unwrap();
    assert_eq!(
        (a.epochs, a.batch_size, a.optimizer),
        (200, Some(256), OptimizerKind::Adam)
    );
    assert_eq!((a.lr, a.scale), (0.01, ScaleKind::Standard));
    let b =
        parse_str("--data d.csv --epochs 7 --optimizer sgd --scale none --batch-size 0").unwrap();
    assert_eq!(
        (b.epochs, b.batch_size, b.optimizer, b.scale),
        (7, None, OptimizerKind::Sgd, ScaleKind::None)
    );
    // A classifier: MLPClassifier's settings where they differ, for flags not given only.
    let k = parse_str("--data d.csv --classify --lr 0.01").unwrap();
    assert_eq!((k.epochs, k.lr, k.batch_size), (1000, 0.01, Some(32)));
    assert_eq!((k.patience, k.min_delta), (Some(10), 1e-4));
    assert_eq!(
        (k.optimizer, k.scale),
        (OptimizerKind::Adam, ScaleKind::Standard)
    );
    // The synthetic run keeps the seed experiment's.
    let c = parse_str("").unwrap();
    assert_eq!(
        (c.scale, c.optimizer, c.batch_size),
        (ScaleKind::None, OptimizerKind::Sgd, None)
    );
}
