//! `constnet predict`: the model's own outputs bit for bit, in the rows' order, in blocks;
//! columns by name; classes and probabilities; bad input refused with nothing written.

use std::fs;
use std::path::Path;

use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::{Forward, Softmax};

use super::{Args, parse, run};
use crate::fit::run_line;
use crate::model::{self, Model};
use crate::testing::{Scratch, write};

fn args(model: &Path, data: &Path, out: Option<&Path>, extra: &[&str]) -> Args {
    let mut raw = vec![
        "--quiet".to_owned(),
        "--model".into(),
        model.display().to_string(),
        "--data".into(),
        data.display().to_string(),
    ];
    if let Some(out) = out {
        raw.extend(["--out".to_owned(), out.display().to_string()]);
    }
    raw.extend(extra.iter().map(|s| s.to_string()));
    parse(raw).unwrap()
}

/// A CSV of `n` rows: `id` (text, ignored), `a`, `b`, `y = a·b + a` and `k` (a class
/// 0–2 from the sign pattern of a and b). The values are not round numbers, so an input
/// parsed in the wrong column would change the output.
fn data(dir: &Scratch, n: usize) -> std::path::PathBuf {
    let mut text = String::from("id,a,b,y,k\n");
    for i in 0..n {
        let a = -2.0 + 4.0 * ((i * 37) % 101) as f64 / 100.0;
        let b = -1.5 + 3.0 * ((i * 53) % 89) as f64 / 88.0;
        let k = if a > 0.5 {
            2
        } else if b > 0.0 {
            1
        } else {
            0
        };
        text.push_str(&format!("r{i},{a},{b},{},{k}\n", a * b + a));
    }
    write(&dir.0, "data.csv", &text)
}

/// The CSV's inputs `a`, `b` as the network reads them.
fn inputs(path: &Path) -> OMatrix<f32, Const<2>, Dyn> {
    let data = constnet::data::Dataset::<f32, 2, 1>::from_csv_columns_path(path, ["a", "b"], ["y"]);
    data.unwrap().x().clone()
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn regression_predictions_are_the_models_bit_for_bit_in_row_order_across_blocks() {
    let dir = Scratch::new("predict-reg");
    // More rows than a block (4096), and not a multiple of it: three blocks, the last short.
    let csv = data(&dir, 9000);
    let saved = dir.join("m.cnet");
    let flags = format!(
        "--quiet --data {} --target y --inputs b,a --epochs 5 --save {} --out {}",
        csv.display(),
        saved.display(),
        dir.join("run").display()
    );
    run_line(&flags).unwrap();
    let out = dir.join("p.csv");
    let line = run(&args(&saved, &csv, Some(&out), &[])).unwrap();
    assert!(line.starts_with("9000 rows: predictions"), "{line}");
    let (model, _) = model::load::<2, 1>(&saved, "--model").unwrap();
    // The model reads b, then a (its metadata's order): the file's order does not matter.
    let x = inputs(&csv);
    let swapped = OMatrix::<f32, Const<2>, Dyn>::from_fn(x.ncols(), |r, c| x[(1 - r, c)]);
    let expected = model.forward(&swapped);
    let written = rows(&out);
    assert_eq!(written[0], ["y"], "the column is named after the target");
    assert_eq!(written.len(), 9001);
    for (i, row) in written[1..].iter().enumerate() {
        let v: f32 = row[0].parse().unwrap();
        assert_eq!(v.to_bits(), expected[i].to_bits(), "row {i}: {row:?}");
    }
    // stdout gets the same bytes (checked through the writer both share).
    let same = dir.join("again.csv");
    run(&args(&saved, &csv, Some(&same), &[])).unwrap();
    assert_eq!(fs::read(&out).unwrap(), fs::read(&same).unwrap());
}

#[test]
fn a_classifier_writes_the_class_and_its_probabilities() {
    let dir = Scratch::new("predict-cls");
    let csv = data(&dir, 600);
    let saved = dir.join("c.safetensors");
    let flags = format!(
        "--quiet --data {} --target k --inputs a,b --classify --epochs 30 --save {} --out {}",
        csv.display(),
        saved.display(),
        dir.join("run").display()
    );
    run_line(&flags).unwrap();
    let out = dir.join("p.csv");
    let line = run(&args(&saved, &csv, Some(&out), &[])).unwrap();
    assert!(
        line.contains("the class (of 3) and its probabilities"),
        "{line}"
    );
    let written = rows(&out);
    assert_eq!(written[0], ["k", "p_0", "p_1", "p_2"]);
    let (model, _) = model::load::<2, 3>(&saved, "--model").unwrap();
    let logits = model.forward(&inputs(&csv));
    let p = Softmax.forward(&logits);
    let mut right = 0;
    for (i, row) in written[1..].iter().enumerate() {
        let class: usize = row[0].parse().unwrap();
        assert_eq!(class, model::argmax(logits.column(i).as_slice()), "row {i}");
        for k in 0..3 {
            let v: f32 = row[1 + k].parse().unwrap();
            assert_eq!(v.to_bits(), p[(k, i)].to_bits(), "row {i}, p_{k}");
        }
        // The labels are the CSV's last column.
        let label = fs::read_to_string(&csv)
            .unwrap()
            .lines()
            .nth(i + 1)
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .to_owned();
        right += usize::from(label == row[0]);
    }
    // A learnable rule: the classifier is right on most rows (a sanity check of the
    // columns read, not a benchmark).
    assert!(right > 500, "{right} of 600 right");
}

#[test]
fn a_bare_network_reads_the_first_columns_or_the_ones_named() {
    use constnet::{Init, InitScheme};
    use rand::SeedableRng;
    let dir = Scratch::new("predict-bare");
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
    let net: model::Net<2, 1> = Init::init(&mut rng, InitScheme::He);
    let saved = dir.join("torch.safetensors");
    constnet::safetensors::save_auto(&net, &saved).unwrap();
    let csv = write(&dir.0, "d.csv", "a,b,c\n1,2,3\n4,5,6\n");
    let x = |cols: [usize; 2]| {
        OMatrix::<f32, Const<2>, Dyn>::from_fn(2, |r, c| (1 + cols[r] + 3 * c) as f32)
    };
    let out = dir.join("p.csv");
    for (extra, cols) in [(&[][..], [0, 1]), (&["--inputs", "c,a"][..], [2, 0])] {
        run(&args(&saved, &csv, Some(&out), extra)).unwrap();
        let written = rows(&out);
        assert_eq!(written[0], ["prediction"]);
        let expected = Model::<2, 1>::new(net.clone()).forward(&x(cols));
        for i in 0..2 {
            let v: f32 = written[1 + i][0].parse().unwrap();
            assert_eq!(v.to_bits(), expected[i].to_bits(), "{extra:?} row {i}");
        }
    }
    // One output is no classifier.
    let err = run(&args(&saved, &csv, Some(&out), &["--classify"])).unwrap_err();
    assert!(err.to_string().contains("one output"), "{err}");
}

#[test]
fn bad_input_is_one_error_and_leaves_the_output_as_it_was() {
    let dir = Scratch::new("predict-bad");
    let csv = data(&dir, 200);
    let saved = dir.join("m.cnet");
    let flags = format!(
        "--quiet --data {} --target y --inputs a,b --epochs 5 --save {} --out {}",
        csv.display(),
        saved.display(),
        dir.join("run").display()
    );
    run_line(&flags).unwrap();
    let out = write(&dir.0, "p.csv", "the user's earlier predictions");
    let before = dir.entries();
    // A bad value in the second block: the first was written (to the temporary) already.
    let mut text = fs::read_to_string(&csv).unwrap();
    for i in 200..5000 {
        text.push_str(&format!("r{i},0.5,0.25,0,0\n"));
    }
    text.push_str("bad,nan,1,0,0\n");
    let nan = write(&dir.0, "nan.csv", &text);
    let missing = write(&dir.0, "missing.csv", "id,a,y\nr,1,2\n");
    let junk = write(&dir.0, "junk.cnet", "not a model");
    let cases: Vec<(Args, &str)> = vec![
        (args(&saved, &nan, Some(&out), &[]), "line 5002, column 2"),
        (args(&saved, &missing, Some(&out), &[]), "no column `b`"),
        (args(&junk, &csv, Some(&out), &[]), "junk.cnet"),
        (
            args(&saved, &csv, Some(&saved), &[]),
            "which this run reads",
        ),
        (args(&saved, &csv, Some(&csv), &[]), "which this run reads"),
        (
            args(&saved, &csv, Some(&out), &["--inputs", "a"]),
            "names 1 columns, the model reads 2",
        ),
        (args(&saved, &csv, Some(&dir.0), &[]), "directory"),
    ];
    for (a, expected) in cases {
        let err = run(&a).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(!err.contains('\n'), "{err}");
        assert_eq!(fs::read(&out).unwrap(), b"the user's earlier predictions");
    }
    assert_eq!(
        dir.entries().len(),
        before.len() + 3,
        "temporaries left: {:?}",
        dir.entries()
    );
    #[cfg(unix)]
    {
        // A FIFO with no writer would block the open forever.
        let fifo = dir.join("fifo.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let err = run(&args(&saved, &fifo, None, &[]))
                .unwrap_err()
                .to_string();
            assert!(err.contains("not a regular file"), "{err}");
        }
    }
}

#[test]
fn flags_are_checked_before_anything_is_read() {
    let parse_str = |s: &str| parse(s.split_whitespace().map(str::to_owned));
    assert!(parse_str("").unwrap_err().contains("needs --model"));
    assert!(parse_str("--model m").unwrap_err().contains("--data"));
    assert!(
        parse_str("--model m --data d --frobnicate")
            .unwrap_err()
            .contains("unknown flag")
    );
    assert!(
        parse_str("--model m --data d extra")
            .unwrap_err()
            .contains("unexpected argument")
    );
    assert!(parse_str("--help").unwrap().help);
    let a = parse_str("--model m --data d --out o --inputs x,y --classify -q").unwrap();
    assert_eq!(a.inputs, Some(vec!["x".to_owned(), "y".to_owned()]));
    assert!(a.classify && a.quiet && a.out.is_some());
}

#[test]
fn numbers_read_back_as_the_same_f32() {
    for v in [
        0.0f32,
        -0.0,
        1.0,
        0.1,
        1e-4,
        9.99e-5,
        2.5516746e-9,
        1e7,
        3.4e38,
        -1.17e-38,
        1e-45,
    ] {
        let text = super::number(v);
        assert_eq!(
            text.parse::<f32>().unwrap().to_bits(),
            v.to_bits(),
            "{v}: {text}"
        );
        assert!(text.len() <= 16, "{text}");
    }
}
