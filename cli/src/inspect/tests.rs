//! `constnet inspect`: every fact a model file holds, and one error for a file that is not
//! a model.

use super::{describe, parse};
use crate::fit::run_line;
use crate::testing::{Scratch, write};

#[test]
fn a_saved_model_is_described_with_its_columns_and_scaling() {
    let dir = Scratch::new("inspect");
    let mut csv = String::from("speed,load,power\n");
    for i in 0..60 {
        let (s, l) = (100.0 + i as f64, 2.0 + (i % 7) as f64);
        csv.push_str(&format!("{s},{l},{}\n", s * l));
    }
    let data = write(&dir.0, "d.csv", &csv);
    for name in ["m.cnet", "m.safetensors"] {
        let saved = dir.join(name);
        let out = dir.join("run");
        run_line(&format!(
            "--quiet --epochs 3 --data {} --save {} --out {}",
            data.display(),
            saved.display(),
            out.display()
        ))
        .unwrap();
        let text = describe(&saved).unwrap();
        for expected in [
            "task: regression of `power`",
            "network: Dense(2 → 64) → ReLU → Dense(64 → 64) → ReLU → Dense(64 → 1)",
            // 2·64 + 64 + 64·64 + 64 + 64 + 1 weights; mean and std of 2 inputs and 1 target.
            "parameters: 4417 trainable, 6 of scaling (fixed)",
            "inputs (2), standardized as (x − mean) / std:",
            "  speed  mean ",
            "  load   mean ",
            "  power  mean ",
            "outputs (1), rescaled as y · std + mean:",
        ] {
            assert!(
                text.contains(expected),
                "{name}: `{expected}` missing from\n{text}"
            );
        }
    }
}

#[test]
fn a_bare_network_and_a_file_that_is_not_a_model() {
    use constnet::{Init, InitScheme};
    use rand::SeedableRng;
    let dir = Scratch::new("inspect-bare");
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
    let net: crate::model::Net<3, 4> = Init::init(&mut rng, InitScheme::He);
    let bare = dir.join("torch.safetensors");
    constnet::safetensors::save_auto(&net, &bare).unwrap();
    let text = describe(&bare).unwrap();
    for expected in [
        "a bare nn.Sequential: no scalers",
        "task: not recorded",
        "Dense(64 → 4)",
        "no scaling (raw units in and out)",
        "inputs (3):\n  input 0\n",
    ] {
        assert!(text.contains(expected), "`{expected}` missing from\n{text}");
    }
    let junk = write(&dir.0, "junk.cnet", "not a model");
    let err = describe(&junk).unwrap_err().to_string();
    assert!(err.contains("junk.cnet") && !err.contains('\n'), "{err}");
    let err = describe(&dir.join("missing.cnet")).unwrap_err().to_string();
    assert!(err.contains("missing.cnet"), "{err}");
}

#[test]
fn the_command_line_takes_one_model() {
    let p = |s: &str| parse(s.split_whitespace().map(str::to_owned));
    assert!(p("").unwrap_err().contains("needs a model file"));
    assert!(p("a b").unwrap_err().contains("unexpected argument `b`"));
    assert!(p("--verbose m").unwrap_err().contains("unknown flag"));
    assert_eq!(p("--help").unwrap(), None);
    assert_eq!(p("m.cnet").unwrap(), Some("m.cnet".into()));
}

/// #23.8: a state dict whose keys carry a module prefix (`model.0.weight`) is named as
/// such, with the fix, not as a missing `0.weight`.
#[test]
fn prefixed_keys_are_named_with_the_fix() {
    use constnet::Params;
    use constnet::safetensors::{Keys, Options};
    let dir = Scratch::new("inspect-prefixed");
    let path = dir.join("prefixed.safetensors");
    let net = <crate::model::Net<1, 1> as Params<f32>>::zeros();
    let opts = Options::default().keys(Keys::default().prefix("model."));
    std::fs::write(&path, constnet::safetensors::encode(&net, &opts).unwrap()).unwrap();
    let err = describe(&path).unwrap_err().to_string();
    assert!(
        err.contains("prefix `model.`") && err.contains("(`model."),
        "{err}"
    );
}
