//! safetensors: bit-exact round trips, the key layout of `nn.Sequential`, one test per
//! typed error, dtype conversion, and a reader that never panics on damaged files.

use constnet::safetensors::{self, Keys, Options, SafetensorsError as E};
use constnet::{Dense, Error, Init, InitScheme, LeakyRelu, Params, Relu, Sigmoid, Tanh, net};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::common::bits;
use crate::scratch::Scratch;

type Seed = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 1>];
type Leaky64 = net![Dense<3, 4, f64>, LeakyRelu<f64>, Dense<4, 2, f64>, Sigmoid];
type Small = net![Dense<2, 3>, Tanh, Dense<3, 1>];

fn seed() -> Seed {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(7), InitScheme::He)
}

fn small() -> Small {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He)
}

fn leaky64() -> Leaky64 {
    let mut net: Leaky64 = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(9), InitScheme::He);
    net.first.first.second = LeakyRelu::new(0.3);
    net.first.first.first.w[(1, 2)] = -0.0;
    net.first.first.first.b[0] = 5e-324; // subnormal: only exact bits keep it
    net
}

fn st_err<N: std::fmt::Debug>(r: constnet::Result<N>) -> E {
    match r {
        Err(Error::Safetensors(e)) => e,
        other => panic!("expected a safetensors error, got {other:?}"),
    }
}

/// A safetensors file from a JSON header and data bytes.
fn raw(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `Dense<2, 1>` with weight [[1, 2]] and bias [3], in dtype `dtype` with data `data`.
fn dense21(dtype: &str, w: &[u8], b: &[u8]) -> Vec<u8> {
    let header = format!(
        r#"{{"0.weight":{{"dtype":"{dtype}","shape":[1,2],"data_offsets":[0,{}]}},"0.bias":{{"dtype":"{dtype}","shape":[1],"data_offsets":[{},{}]}}}}"#,
        w.len(),
        w.len(),
        w.len() + b.len()
    );
    raw(&header, &[w, b].concat())
}

#[test]
fn round_trip_is_bit_exact_f32() {
    let net = seed();
    let bytes = safetensors::encode(&net, &Options::default()).unwrap();
    let back: Seed = safetensors::decode(&bytes, &Options::default()).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(
        safetensors::keys(&bytes).unwrap(),
        [
            "0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"
        ]
    );
}

#[test]
fn round_trip_is_bit_exact_f64_with_constants() {
    let net = leaky64();
    let bytes = safetensors::encode(&net, &Options::default()).unwrap();
    assert_eq!(
        safetensors::keys(&bytes).unwrap(),
        [
            "0.bias",
            "0.weight",
            "1.constnet_constants",
            "2.bias",
            "2.weight"
        ]
    );
    let back: Leaky64 = safetensors::decode(&bytes, &Options::default()).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(back.first.first.second.slope, 0.3);
    let meta = safetensors::metadata(&bytes).unwrap();
    assert_eq!(meta["format"], "pt");
    assert_eq!(meta["constnet.scalar"], "f64");
}

#[test]
fn weights_are_out_by_in_row_major() {
    let layer = Dense::<3, 2>::from_rows([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [7.0, 8.0]);
    let bytes = safetensors::encode(&layer, &Options::default()).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert!(
        header.contains(r#""0.weight":{"dtype":"F32","shape":[2,3]"#),
        "{header}"
    );
    assert!(
        header.contains(r#""0.bias":{"dtype":"F32","shape":[2]"#),
        "{header}"
    );
    let data: Vec<f32> = bytes[8 + n..]
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // Sorted by key: bias, then weight row by row (PyTorch's memory order).
    assert_eq!(data, [7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
}

#[test]
fn prefix_and_explicit_names() {
    let net = small();
    let opts = Options::default().keys(Keys::default().prefix("model."));
    let bytes = safetensors::encode(&net, &opts).unwrap();
    assert_eq!(safetensors::keys(&bytes).unwrap()[0], "model.0.bias");
    assert_eq!(
        bits(&safetensors::decode::<f32, Small>(&bytes, &opts).unwrap()),
        bits(&net)
    );
    // Without the prefix every key is missing.
    assert_eq!(
        st_err(safetensors::decode::<f32, Small>(
            &bytes,
            &Options::default()
        )),
        E::MissingKey {
            key: "0.weight".into()
        }
    );

    let named = Options::default().keys(Keys::default().names(["fc1", "act", "fc2"]));
    let bytes = safetensors::encode(&net, &named).unwrap();
    assert_eq!(
        safetensors::keys(&bytes).unwrap(),
        ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    );
    assert_eq!(
        bits(&safetensors::decode::<f32, Small>(&bytes, &named).unwrap()),
        bits(&net)
    );

    let too_few = Options::default().keys(Keys::default().names(["fc1", "fc2"]));
    assert!(matches!(
        safetensors::encode(&net, &too_few),
        Err(Error::LengthMismatch {
            expected: 3,
            found: 2,
            ..
        })
    ));
    let repeated = Options::default().keys(Keys::default().names(["fc", "act", "fc"]));
    assert_eq!(
        st_err(safetensors::encode(&net, &repeated)),
        E::DuplicateKey {
            key: "fc.weight".into()
        }
    );
}

#[test]
fn missing_unexpected_shape_and_dtype_name_the_key() {
    let bytes = safetensors::encode(&small(), &Options::default()).unwrap();
    type Wider = net![Dense<2, 4>, Tanh, Dense<4, 1>];
    assert_eq!(
        st_err(safetensors::decode::<f32, Wider>(
            &bytes,
            &Options::default()
        )),
        E::WrongShape {
            key: "0.weight".into(),
            expected: vec![4, 2],
            found: vec![3, 2]
        }
    );
    type Longer = net![Dense<2, 3>, Tanh, Dense<3, 1>, Relu, Dense<1, 1>];
    let e = st_err(safetensors::decode::<f32, Longer>(
        &bytes,
        &Options::default(),
    ));
    assert_eq!(
        e,
        E::MissingKey {
            key: "4.weight".into()
        }
    );
    assert_eq!(e.to_string(), "safetensors: missing tensor `4.weight`");
    // A file with more layers than the network: unexpected unless allowed.
    let longer = safetensors::encode(&<Longer as Params<f32>>::zeros(), &Options::default());
    let longer = longer.unwrap();
    assert_eq!(
        st_err(safetensors::decode::<f32, Small>(
            &longer,
            &Options::default()
        )),
        E::UnexpectedKey {
            key: "4.bias".into()
        }
    );
    let lenient = Options::default().allow_unexpected(true);
    assert!(safetensors::decode::<f32, Small>(&longer, &lenient).is_ok());

    let ints = dense21("I32", &[0; 8], &[0; 4]);
    let e = st_err(safetensors::decode::<f32, Dense<2, 1>>(
        &ints,
        &Options::default(),
    ));
    assert_eq!(
        e,
        E::WrongDtype {
            key: "0.weight".into(),
            found: "I32".into()
        }
    );
}

#[test]
fn dtypes_convert_as_documented() {
    let want = Dense::<2, 1>::from_rows([[1.0, 2.0]], [3.0]);
    let read =
        |bytes: &[u8]| -> Dense<2, 1> { safetensors::decode(bytes, &Options::default()).unwrap() };
    let f16 = |v: &[u16]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    assert_eq!(
        read(&dense21("F32", &f32s(&[1.0, 2.0]), &f32s(&[3.0]))),
        want
    );
    assert_eq!(
        read(&dense21("F16", &f16(&[0x3c00, 0x4000]), &f16(&[0x4200]))),
        want
    );
    assert_eq!(
        read(&dense21("BF16", &f16(&[0x3f80, 0x4000]), &f16(&[0x4040]))),
        want
    );

    // F64 into f32: to nearest, ties to even. 1 + 2^-24 is halfway between 1 and the next
    // f32 (1 + 2^-23): it rounds to the even one, 1. 1 + 3·2^-24 rounds up to 1 + 2^-22.
    let f64s = |v: &[f64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let tie = 1.0 + 2f64.powi(-24);
    let up = 1.0 + 3.0 * 2f64.powi(-24);
    let layer = read(&dense21("F64", &f64s(&[tie, up]), &f64s(&[0.1])));
    assert_eq!(layer.w[(0, 0)], 1.0);
    assert_eq!(layer.w[(0, 1)], 1.0 + 2f32.powi(-22));
    assert_eq!(layer.b[0], 0.1f32);
    // ... and exactly into an f64 network.
    let exact: Dense<2, 1, f64> = safetensors::decode(
        &dense21("F64", &f64s(&[tie, up]), &f64s(&[0.1])),
        &Options::default(),
    )
    .unwrap();
    assert_eq!((exact.w[(0, 0)], exact.b[0]), (tie, 0.1));

    // Beyond f32's range, NaN and infinity are refused, naming the key and index.
    let e = st_err(safetensors::decode::<f32, Dense<2, 1>>(
        &dense21("F64", &f64s(&[1.0, 1e300]), &f64s(&[0.0])),
        &Options::default(),
    ));
    assert_eq!(
        e,
        E::NonFinite {
            key: "0.weight".into(),
            index: 1
        }
    );
    let e = st_err(safetensors::decode::<f32, Dense<2, 1>>(
        &dense21("F32", &f32s(&[1.0, 2.0]), &f32s(&[f32::NAN])),
        &Options::default(),
    ));
    assert_eq!(
        e,
        E::NonFinite {
            key: "0.bias".into(),
            index: 0
        }
    );
}

#[test]
fn non_finite_networks_are_not_saved() {
    let mut net = small();
    net.second.w[(0, 2)] = f32::INFINITY;
    assert_eq!(
        st_err(safetensors::encode(&net, &Options::default())),
        E::NonFinite {
            key: "2.weight".into(),
            index: 2
        }
    );
}

#[test]
fn constants_missing_from_a_pytorch_file() {
    type M = net![Dense<2, 2>, LeakyRelu, Dense<2, 1>];
    let net: M = constnet::chain![
        Dense::from_rows([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5]),
        LeakyRelu::new(0.2),
        Dense::from_rows([[1.0, -1.0]], [0.0])
    ];
    let full = safetensors::encode(&net, &Options::default()).unwrap();
    let torch = safetensors::without_constants(&full).unwrap();
    assert_eq!(
        safetensors::keys(&torch).unwrap(),
        ["0.bias", "0.weight", "2.bias", "2.weight"]
    );
    assert_eq!(
        st_err(safetensors::decode::<f32, M>(&torch, &Options::default())),
        E::MissingKey {
            key: "1.constnet_constants".into()
        }
    );
    let mut into: M = constnet::chain![Dense::zeros(), LeakyRelu::new(0.2), Dense::zeros()];
    let allow = Options::default().allow_missing_constants(true);
    safetensors::decode_into(&torch, &mut into, &allow).unwrap();
    assert_eq!(bits(&into), bits(&net));
    // A failed load leaves the network as it was.
    let before = bits(&into);
    let wrong = safetensors::encode(&small(), &Options::default()).unwrap();
    assert!(safetensors::decode_into(&wrong, &mut into, &allow).is_err());
    assert_eq!(bits(&into), before);
}

#[test]
fn malformed_headers_are_typed_errors() {
    let load = |b: &[u8]| {
        st_err(safetensors::decode::<f32, Dense<2, 1>>(
            b,
            &Options::default(),
        ))
    };
    let good = dense21("F32", &f32s(&[1.0, 2.0]), &f32s(&[3.0]));
    assert!(safetensors::decode::<f32, Dense<2, 1>>(&good, &Options::default()).is_ok());

    assert_eq!(load(&good[..5]), E::TooShort { len: 5 });
    let mut huge = good.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(load(&huge), E::HeaderTooLarge { len: u64::MAX });
    let mut long = good.clone();
    long[..8].copy_from_slice(&5000u64.to_le_bytes());
    assert!(matches!(load(&long), E::TruncatedHeader { len: 5000, .. }));
    assert!(matches!(load(&raw("{not json", &[])), E::InvalidHeader(_)));
    assert!(matches!(load(&raw("[1, 2]", &[])), E::InvalidHeader(_)));
    assert!(matches!(
        load(&raw("\u{0}\u{ff}", &[])),
        E::InvalidHeader(_)
    ));
    let mut not_utf8 = raw("{}  ", &[]);
    not_utf8[9] = 0xff;
    assert!(matches!(load(&not_utf8), E::InvalidHeader(m) if m.contains("UTF-8")));
    assert!(matches!(
        load(&raw(
            r#"{"0.weight":{"dtype":"F99","shape":[1,2],"data_offsets":[0,8]}}"#,
            &[0; 8]
        )),
        E::InvalidHeader(_)
    ));

    // Overlapping tensors: both start at 0.
    let overlap = raw(
        r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
        &[0; 8],
    );
    // Named by offset order, the same tensor on every run (the crate's own choice followed
    // its hash map: another tensor from run to run).
    for _ in 0..8 {
        assert_eq!(
            load(&overlap),
            E::BadOffsets {
                key: "0.weight".into()
            }
        );
    }
    // Offsets that lie about the size: 12 bytes for 2 floats.
    let lying = raw(
        r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,12]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#,
        &[0; 16],
    );
    assert_eq!(
        load(&lying),
        E::SizeMismatch {
            key: Some("0.weight".into())
        }
    );
    // Truncated data: the last tensor runs out of the file.
    assert_eq!(
        load(&good[..good.len() - 2]),
        E::OutOfBounds {
            key: "0.bias".into(),
            end: 12,
            available: 10
        }
    );
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        load(&trailing),
        E::TrailingBytes {
            covered: 12,
            available: 13
        }
    );
    // Out of bounds far beyond the file, with a size that matches its shape.
    let far = raw(
        r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1000000],"data_offsets":[8,4000008]}}"#,
        &[0; 12],
    );
    assert!(matches!(load(&far), E::OutOfBounds { key, .. } if key == "0.bias"));
    // Shape products that overflow.
    let overflow = raw(
        r#"{"0.weight":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}"#,
        &[0; 8],
    );
    assert!(matches!(load(&overflow), E::SizeMismatch { .. }));
}

#[test]
fn files_are_saved_atomically_and_chosen_by_extension() {
    let dir = Scratch::new("safetensors");
    let path = dir.join("model.safetensors");
    safetensors::save(&seed(), &path).unwrap();
    let back: Seed = safetensors::load(&path).unwrap();
    assert_eq!(bits(&back), bits(&seed()));
    // A failed save leaves the old file whole.
    let mut bad = seed();
    bad.second.b[0] = f32::NAN;
    let before = std::fs::read(&path).unwrap();
    assert!(safetensors::save(&bad, &path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(dir.entries(), ["model.safetensors"]);

    // save_auto / load_auto: the extension picks the format.
    let cnet = dir.join("model.cnet");
    safetensors::save_auto(&seed(), &cnet).unwrap();
    assert!(constnet::persist::load::<f32, Seed>(&cnet).is_ok());
    assert!(safetensors::load::<f32, Seed>(&cnet).is_err());
    let upper = dir.join("MODEL.SAFETENSORS");
    safetensors::save_auto(&seed(), &upper).unwrap();
    assert!(safetensors::load::<f32, Seed>(&upper).is_ok());
    assert_eq!(
        bits(&safetensors::load_auto::<f32, Seed>(&upper).unwrap()),
        bits(&seed())
    );
    let missing = dir.join("nope.safetensors");
    assert!(matches!(
        safetensors::load::<f32, Seed>(&missing),
        Err(Error::Io { path, .. }) if path == missing
    ));
}

/// Every prefix of a valid file (each possible truncation) is a typed error.
#[test]
fn every_truncation_errors() {
    let original = seed_bytes();
    for cut in 0..original.len() {
        let r = safetensors::decode::<f64, Leaky64>(&original[..cut], &Options::default());
        assert!(
            matches!(r, Err(Error::Safetensors(_))),
            "cut at {cut}: {r:?}"
        );
    }
    assert!(original.len() > 400, "{}", original.len());
}

#[test]
fn a_key_written_twice_is_an_error() {
    let twice = raw(
        r#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#,
        &[0; 20],
    );
    let r = safetensors::decode::<f32, Dense<2, 1>>(&twice, &Options::default());
    assert!(matches!(r, Err(Error::Safetensors(_))), "{r:?}");
}

fn seed_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| safetensors::encode(&leaky64(), &Options::default()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4096,
        rng_seed: RngSeed::Fixed(0x5afe_7e45),
        ..ProptestConfig::default()
    })]

    /// Random byte changes plus an optional cut or extension, in the header or the data:
    /// never a panic; an error is a typed safetensors error; a success differs from the
    /// original network only where data bytes changed (safetensors has no checksum), and is
    /// finite.
    #[test]
    fn random_damage_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        in_header in any::<bool>(),
        cut in prop::option::of(any::<prop::sample::Index>()),
        extra in prop::collection::vec(any::<u8>(), 0..3),
    ) {
        let original = seed_bytes();
        let header_end = 8 + u64::from_le_bytes(original[..8].try_into().unwrap()) as usize;
        let mut bytes = original.to_vec();
        for (pos, value) in &edits {
            // Half the cases aim at the header (JSON, offsets, length), where damage is subtle.
            let i = if in_header { pos.index(header_end) } else { pos.index(bytes.len()) };
            bytes[i] = *value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        bytes.extend_from_slice(&extra);
        match safetensors::decode::<f64, Leaky64>(&bytes, &Options::default()) {
            Ok(net) => {
                prop_assert!(constnet::Params::is_finite(&net));
                if bytes == original {
                    prop_assert_eq!(bits(&net), bits(&leaky64()));
                }
            }
            Err(e) => prop_assert!(matches!(e, Error::Safetensors(_)), "{e}"),
        }
        // The other entry points are as robust.
        let _ = safetensors::keys(&bytes);
        let _ = safetensors::metadata(&bytes);
        let _ = safetensors::decode::<f32, Seed>(&bytes, &Options::default());
    }
}

/// #23.13: a file with 7 bytes appended says how many data bytes it really holds (the
/// reader stops one byte past the declared data, so the count comes from the file's size).
#[test]
fn appended_bytes_are_counted_from_the_file() {
    let dir = Scratch::new("safetensors-appended");
    let path = dir.join("model.safetensors");
    safetensors::save(&seed(), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let data = bytes.len() - header;
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"garbage");
    std::fs::write(&path, &longer).unwrap();
    let err = safetensors::load::<f32, Seed>(&path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Safetensors(E::TrailingBytes { covered, available })
                if covered == data && available == data + 7
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("holds {}", data + 7)),
        "{err}"
    );
}

/// #23.7: the same model and metadata give the same bytes, save after save (the crate
/// writes `__metadata__` from a hash map; the header is written back with sorted keys).
#[test]
fn the_same_model_gives_the_same_bytes() {
    let opts = || {
        Options::default()
            .metadata("b", "2")
            .metadata("a", "1")
            .metadata("z", "26")
            .metadata("m", "13")
    };
    let first = safetensors::encode(&seed(), &opts()).unwrap();
    for _ in 0..16 {
        assert_eq!(safetensors::encode(&seed(), &opts()).unwrap(), first);
    }
    // Still a valid file, read back bit for bit, its header padded to 8 bytes.
    let n = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
    assert!(n.is_multiple_of(8));
    let header = std::str::from_utf8(&first[8..8 + n]).unwrap();
    assert!(
        header.starts_with(r#"{"__metadata__":{"a":"1","b":"2","constnet.scalar":"f32""#),
        "{header:.120}"
    );
    let back: Seed = safetensors::decode(&first, &Options::default()).unwrap();
    assert_eq!(bits(&back), bits(&seed()));
    assert_eq!(safetensors::metadata(&first).unwrap()["z"], "26");
}

/// `tensors` lists every key with its shape, sorted by key, as PyTorch names them.
#[test]
fn tensors_lists_every_key_and_shape_sorted() {
    type N = net![Dense<3, 4>, Relu, Dense<4, 2>];
    let n: N = Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(5), InitScheme::He);
    let bytes = safetensors::encode(&n, &Options::default()).unwrap();
    let expected: Vec<(String, Vec<usize>)> = [
        ("0.bias", vec![4]),
        ("0.weight", vec![4, 3]),
        ("2.bias", vec![2]),
        ("2.weight", vec![2, 4]),
    ]
    .into_iter()
    .map(|(k, s)| (k.to_string(), s))
    .collect();
    assert_eq!(safetensors::tensors(&bytes).unwrap(), expected);
}
