//! Model files: bit-exact round trips, the byte layout, every way a file can be wrong, a
//! mutation proptest, and atomic saves.

use crate::common::bits;
use crate::scratch::Scratch;
use constnet::persist::{self, decode, encode, encoded_len};
use constnet::{Dense, Error, FormatError, Init, InitScheme, Real, Relu, net};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

type Seed<T> = net![Dense<1, 64, T>, Relu, Dense<64, 64, T>, Relu, Dense<64, 1, T>];
type Seed32 = Seed<f32>;

fn seed<T: Real>() -> Seed<T> {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(7), InitScheme::He)
}

fn format_err<N>(r: constnet::Result<N>) -> FormatError {
    match r {
        Err(Error::Format(e)) => e,
        Err(e) => panic!("expected a format error, got {e}"),
        Ok(_) => panic!("expected a format error, got a network"),
    }
}

/// Rewrites the trailing CRC-32 so that only the deliberate change is wrong.
fn fix_crc(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

/// Reference CRC-32 (bitwise, no table), independent of the crate's.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn round_trip_is_bit_exact_f32() {
    let net = seed::<f32>();
    let bytes = encode(&net).unwrap();
    assert_eq!(bytes.len(), encoded_len::<f32, Seed32>());
    assert_eq!(
        bytes.len(),
        20 + 6 * 8 + 4 * (64 + 64 + 64 * 64 + 64 + 64 + 1) + 4
    );
    let back: Seed32 = decode(&bytes).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(encode(&back).unwrap(), bytes);
}

#[test]
fn round_trip_is_bit_exact_f64() {
    let net = seed::<f64>();
    let bytes = encode(&net).unwrap();
    assert_eq!(bytes.len(), encoded_len::<f64, Seed<f64>>());
    let back: Seed<f64> = decode(&bytes).unwrap();
    assert_eq!(bits(&back), bits(&net));
}

#[test]
fn special_values_survive() {
    let w = [
        -0.0f32,
        f32::MIN_POSITIVE / 8.0,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
    ];
    let layer = Dense::<5, 1>::from_slices(&w, &[-f32::MIN_POSITIVE]).unwrap();
    let back: Dense<5, 1> = decode(&encode(&layer).unwrap()).unwrap();
    assert_eq!(bits(&back), bits(&layer));
    let w = [-0.0f64, 5e-324, f64::MAX];
    let layer = Dense::<3, 1, f64>::from_slices(&w, &[1.0 / 3.0]).unwrap();
    let back: Dense<3, 1, f64> = decode(&encode(&layer).unwrap()).unwrap();
    assert_eq!(bits(&back), bits(&layer));
}

#[test]
fn byte_layout_is_as_documented() {
    let layer = Dense::<2, 1>::from_slices(&[1.0, -2.0], &[0.5]).unwrap();
    let bytes = encode(&layer).unwrap();
    let mut expected = Vec::new();
    expected.extend_from_slice(b"constnet");
    expected.extend_from_slice(&1u32.to_le_bytes()); // version
    expected.extend_from_slice(b"f32\0");
    expected.extend_from_slice(&2u32.to_le_bytes()); // tensors
    for d in [1u32, 2, 1, 1] {
        expected.extend_from_slice(&d.to_le_bytes()); // w: 1x2, b: 1x1
    }
    for v in [1.0f32, -2.0, 0.5] {
        expected.extend_from_slice(&v.to_le_bytes()); // column-major
    }
    let crc = crc32(&expected);
    expected.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(bytes, expected);
    // Column-major: w is OUT×IN, so a 2×2 matrix lists w[(0,0)], w[(1,0)], w[(0,1)], ...
    let layer = Dense::<2, 2>::from_slices(&[1.0, 2.0, 3.0, 4.0], &[0.0, 0.0]).unwrap();
    let bytes = encode(&layer).unwrap();
    let values: Vec<f32> = bytes[20 + 16..20 + 16 + 16]
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(values, [1.0, 3.0, 2.0, 4.0]);
}

#[test]
fn encode_into_a_buffer() {
    let net = seed::<f32>();
    let mut buf = vec![0xAA; encoded_len::<f32, Seed32>() + 10];
    let n = persist::encode_into(&net, &mut buf).unwrap();
    assert_eq!(&buf[..n], &encode(&net).unwrap()[..]);
    assert!(buf[n..].iter().all(|&b| b == 0xAA));
    let short = &mut buf[..n - 1];
    assert_eq!(
        format_err(persist::encode_into(&net, short)),
        FormatError::BufferTooSmall {
            needed: n,
            found: n - 1
        }
    );
}

#[test]
fn another_shape_is_named() {
    let bytes = encode(&seed::<f32>()).unwrap();
    type Wider = net![Dense<1, 65>, Relu, Dense<65, 64>, Relu, Dense<64, 1>];
    assert_eq!(
        format_err(decode::<f32, Wider>(&bytes)),
        FormatError::Shape {
            tensor: 0,
            expected: (65, 1),
            found: (64, 1)
        }
    );
    type Last = net![Dense<1, 64>, Relu, Dense<64, 64>, Relu, Dense<64, 2>];
    assert_eq!(
        format_err(decode::<f32, Last>(&bytes)),
        FormatError::Shape {
            tensor: 4,
            expected: (2, 64),
            found: (1, 64)
        }
    );
    type Shallow = net![Dense<1, 64>, Relu, Dense<64, 1>];
    assert_eq!(
        format_err(decode::<f32, Shallow>(&bytes)),
        FormatError::TensorCount {
            expected: 4,
            found: 6
        }
    );
}

#[test]
fn another_scalar_type_is_named() {
    let err = format_err(decode::<f64, Seed<f64>>(&encode(&seed::<f32>()).unwrap()));
    assert_eq!(
        err,
        FormatError::ScalarType {
            expected: "f64",
            found: *b"f32\0"
        }
    );
    assert_eq!(
        err.to_string(),
        "model file holds `f32` values, the network is `f64`"
    );
    let err = format_err(decode::<f32, Seed32>(&encode(&seed::<f64>()).unwrap()));
    assert!(matches!(
        err,
        FormatError::ScalarType {
            expected: "f32",
            ..
        }
    ));
}

#[test]
fn every_prefix_is_truncated() {
    let bytes = encode(&seed::<f32>()).unwrap();
    let expected = bytes.len();
    assert_eq!(format_err(decode::<f32, Seed32>(&[])), FormatError::Empty);
    for found in 1..expected {
        assert_eq!(
            format_err(decode::<f32, Seed32>(&bytes[..found])),
            FormatError::Truncated { expected, found },
            "prefix of {found} bytes"
        );
    }
}

#[test]
fn a_corrupted_byte_fails_the_checksum() {
    let bytes = encode(&seed::<f32>()).unwrap();
    let stored = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    let mut bad = bytes.clone();
    bad[1000] ^= 0x10;
    let computed = crc32(&bad[..bad.len() - 4]);
    let err = format_err(decode::<f32, Seed32>(&bad));
    assert_eq!(err, FormatError::Checksum { stored, computed });
    assert_eq!(
        err.to_string(),
        format!(
            "model file is corrupted: its contents have CRC-32 {computed:#010x}, the file says \
             {stored:#010x}"
        )
    );
    // A damaged checksum is damage too.
    let mut bad = bytes.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(matches!(
        format_err(decode::<f32, Seed32>(&bad)),
        FormatError::Checksum { .. }
    ));
}

#[test]
fn bad_magic_future_version_trailing_bytes() {
    let bytes = encode(&seed::<f32>()).unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_eq!(
        format_err(decode::<f32, Seed32>(png)),
        FormatError::BadMagic
    );
    assert_eq!(
        format_err(decode::<f32, Seed32>(b"cons")),
        FormatError::Truncated {
            expected: bytes.len(),
            found: 4
        }
    );

    let mut future = bytes.clone();
    future[8..12].copy_from_slice(&3u32.to_le_bytes());
    fix_crc(&mut future);
    let err = format_err(decode::<f32, Seed32>(&future));
    assert_eq!(
        err,
        FormatError::UnsupportedVersion {
            found: 3,
            supported: persist::VERSION_META
        }
    );
    assert_eq!(
        err.to_string(),
        "model file format version 3 is not supported (this build reads versions 1 to 2)"
    );

    let mut long = bytes.clone();
    long.extend_from_slice(b"garbage");
    let err = format_err(decode::<f32, Seed32>(&long));
    assert_eq!(
        err,
        FormatError::TrailingBytes {
            expected: bytes.len(),
            found: bytes.len() + 7
        }
    );
    assert!(
        err.to_string()
            .starts_with("model file has 7 unexpected bytes")
    );
}

#[test]
fn non_finite_values_are_refused_both_ways() {
    let mut layer = Dense::<2, 1>::from_slices(&[1.0, 2.0], &[0.5]).unwrap();
    let good = encode(&layer).unwrap();
    layer.w[1] = f32::NAN;
    let err = format_err(encode(&layer));
    assert_eq!(
        err,
        FormatError::NonFinite {
            tensor: 0,
            index: 1
        }
    );
    assert_eq!(
        err.to_string(),
        "tensor 0 holds a NaN or infinite value at index 1"
    );
    // A file with a valid checksum around an infinite bias.
    let mut bad = good.clone();
    let at = bad.len() - 8;
    bad[at..at + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    fix_crc(&mut bad);
    assert_eq!(
        format_err(decode::<f32, Dense<2, 1>>(&bad)),
        FormatError::NonFinite {
            tensor: 1,
            index: 0
        }
    );
}

#[test]
fn messages_name_the_problem() {
    let cases = [
        (FormatError::Empty, "model file is empty"),
        (
            FormatError::BadMagic,
            "not a constnet model file (it does not start with `constnet`)",
        ),
        (
            FormatError::TensorCount {
                expected: 4,
                found: 6,
            },
            "model file holds 6 tensors, the network has 4 (a different architecture)",
        ),
        (
            FormatError::Shape {
                tensor: 2,
                expected: (64, 64),
                found: (32, 64),
            },
            "tensor 2 is 32x64 in the model file, the network expects 64x64 (a different \
             architecture)",
        ),
        (
            FormatError::Truncated {
                expected: 100,
                found: 10,
            },
            "model file is truncated: 10 bytes, the network needs 100",
        ),
        (
            FormatError::ScalarType {
                expected: "f32",
                found: *b"\xff\0ab",
            },
            "model file holds `\\xff` values, the network is `f32`",
        ),
        (
            FormatError::MetadataTooLarge {
                bytes: 1_048_577,
                max: 1_048_576,
            },
            "metadata block of 1048577 bytes: over the model format's limit of 1048576 bytes",
        ),
    ];
    for (e, msg) in cases {
        assert_eq!(Error::Format(e).to_string(), msg);
    }
}

#[test]
fn save_and_load_a_file() {
    let dir = Scratch::new("save-load");
    let path = dir.join("seed.cnet");
    let net = seed::<f32>();
    persist::save(&net, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), encode(&net).unwrap());
    let back: Seed32 = persist::load(&path).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(dir.entries(), ["seed.cnet"]);
}

#[test]
fn saving_into_a_missing_directory_errors_and_leaves_nothing() {
    let dir = Scratch::new("missing-dir");
    let path = dir.join("no-such-dir").join("seed.cnet");
    let err = persist::save(&seed::<f32>(), &path).unwrap_err();
    match &err {
        Error::Io { path: p, .. } => assert_eq!(p, &path),
        e => panic!("expected an I/O error, got {e}"),
    }
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    assert!(!path.exists());
    assert!(dir.entries().is_empty());
}

#[test]
fn saving_over_a_file_replaces_it_whole() {
    let dir = Scratch::new("replace");
    let path = dir.join("model.cnet");
    std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
    let net = seed::<f32>();
    persist::save(&net, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), encode(&net).unwrap());
    assert_eq!(dir.entries(), ["model.cnet"]);
    // A network that cannot be encoded leaves the old file alone.
    let mut bad = net.clone();
    bad.second.b[0] = f32::NAN;
    assert!(persist::save(&bad, &path).is_err());
    let back: Seed32 = persist::load(&path).unwrap();
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(dir.entries(), ["model.cnet"]);
}

#[test]
fn empty_and_missing_files() {
    let dir = Scratch::new("empty");
    let path = dir.join("empty.cnet");
    std::fs::write(&path, b"").unwrap();
    let err = persist::load::<f32, Seed32>(&path).unwrap_err();
    assert!(matches!(err, Error::Format(FormatError::Empty)));
    let missing = dir.join("missing.cnet");
    assert!(matches!(
        persist::load::<f32, Seed32>(&missing),
        Err(Error::Io { path, .. }) if path == missing
    ));
}

fn seed_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| encode(&seed::<f32>()).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4096,
        rng_seed: RngSeed::Fixed(0x5eed_cafe),
        ..ProptestConfig::default()
    })]

    /// Any single changed byte is an error: CRC-32 catches every one the header checks miss.
    #[test]
    fn every_single_byte_mutation_errors(pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut bytes = seed_bytes().to_vec();
        let i = pos.index(bytes.len());
        bytes[i] ^= flip;
        prop_assert!(decode::<f32, Seed32>(&bytes).is_err(), "byte {i} ^ {flip:#04x} was accepted");
    }

    /// Several random changes plus an optional cut or extension: never a panic, and never a
    /// network unless the bytes are the original ones (then it is the original network).
    #[test]
    fn random_damage_never_panics_or_lies(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<prop::sample::Index>()),
        extra in prop::collection::vec(any::<u8>(), 0..3),
    ) {
        let original = seed_bytes();
        let mut bytes = original.to_vec();
        for (pos, value) in &edits {
            let i = pos.index(bytes.len());
            bytes[i] = *value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        bytes.extend_from_slice(&extra);
        match decode::<f32, Seed32>(&bytes) {
            Ok(net) => {
                prop_assert_eq!(&bytes[..], original);
                prop_assert_eq!(bits(&net), bits(&seed::<f32>()));
            }
            Err(e) => prop_assert!(matches!(e, Error::Format(_)), "{e}"),
        }
    }
}
