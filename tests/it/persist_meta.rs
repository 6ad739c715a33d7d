//! Version 2 model files (`persist::{encode_with, decode_with, describe, save_with,
//! load_with}`): the metadata block's 1 MiB limit on both sides, by name; `describe`'s
//! errors on damaged headers; a saved file's round trip and its bounded read.

use crate::scratch::Scratch;
use constnet::persist::{self, Metadata};
use constnet::{Dense, Error, FormatError, Init, InitScheme};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

type Small = Dense<2, 3>;

/// The format's limit on a metadata block, documented as 1 MiB.
const MAX: usize = 1 << 20;

fn net() -> Small {
    Init::init(&mut Xoshiro256PlusPlus::seed_from_u64(3), InitScheme::He)
}

/// One pair, `k` → `v…`, whose encoded block is `block` bytes: a 4-byte pair count, then
/// the key's and the value's 4-byte lengths and bytes (4 + 4 + 1 + 4 + value).
fn one_pair(block: usize) -> Metadata {
    Metadata::from([("k".into(), "v".repeat(block - 13))])
}

fn format_err<N: std::fmt::Debug>(r: constnet::Result<N>) -> FormatError {
    match r {
        Err(Error::Format(e)) => e,
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn a_block_of_exactly_1_mib_round_trips_and_a_byte_more_is_refused_by_name() {
    let n = net();
    let exact = one_pair(MAX);
    let bytes = persist::encode_with(&n, &exact).unwrap();
    let (back, meta): (Small, Metadata) = persist::decode_with(&bytes).unwrap();
    assert_eq!((back, &meta), (n.clone(), &exact));
    assert_eq!(persist::describe(&bytes).unwrap().metadata, exact);
    let err = format_err(persist::encode_with(&n, &one_pair(MAX + 1)));
    assert_eq!(
        err,
        FormatError::MetadataTooLarge {
            bytes: MAX + 1,
            max: MAX
        }
    );
}

#[test]
fn a_file_declaring_a_block_over_1_mib_is_refused_by_name_before_it_is_read() {
    let small = one_pair(20);
    let mut bytes = persist::encode_with(&net(), &small).unwrap();
    // The block's length field sits before the block and the 4-byte checksum.
    let at = bytes.len() - 4 - 20 - 4;
    assert_eq!(bytes[at..at + 4], 20u32.to_le_bytes());
    bytes[at..at + 4].copy_from_slice(&(MAX as u32 + 1).to_le_bytes());
    let too_large = FormatError::MetadataTooLarge {
        bytes: MAX + 1,
        max: MAX,
    };
    assert_eq!(format_err(persist::describe(&bytes)), too_large);
    assert_eq!(
        format_err(persist::decode_with::<f32, Small>(&bytes)),
        too_large
    );
}

#[test]
fn describe_names_a_cut_header_and_a_tensor_count_no_file_can_hold() {
    let bytes = persist::encode_with(&net(), &one_pair(20)).unwrap();
    // Cut inside the version field: at least one byte more was needed.
    assert_eq!(
        format_err(persist::describe(&bytes[..10])),
        FormatError::Truncated {
            expected: 11,
            found: 10
        }
    );
    // 4 billion tensors of 8 header bytes each: refused from the length, not allocated.
    let mut huge = bytes.clone();
    huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        format_err(persist::describe(&huge)),
        FormatError::Truncated {
            expected: huge.len() + 1,
            found: huge.len()
        }
    );
}

#[test]
fn save_with_and_load_with_round_trip_and_an_endless_file_is_read_to_a_bound() {
    let dir = Scratch::new("persist-meta");
    let (path, n, meta) = (dir.join("m.cnet"), net(), one_pair(40));
    persist::save_with(&n, &meta, &path).unwrap();
    let (back, read): (Small, Metadata) = persist::load_with(&path).unwrap();
    assert_eq!((back, read), (n.clone(), meta.clone()));
    // A good file followed by more bytes than any file of this network can hold: read up
    // to the largest such file (network, block length field, 1 MiB block, checksum) plus
    // one byte, then refused as too long.
    let good = std::fs::read(&path).unwrap();
    let mut long = good.clone();
    long.resize(good.len() + 2 * MAX, 0);
    std::fs::write(&path, &long).unwrap();
    let bound = persist::encoded_len::<f32, Small>() + 4 + MAX + 1;
    assert_eq!(
        format_err(persist::load_with::<f32, Small>(&path)),
        FormatError::TrailingBytes {
            expected: good.len(),
            found: bound
        }
    );
}

#[test]
fn a_version_2_file_cut_before_its_metadata_length_asks_for_at_least_that_field() {
    let bytes = persist::encode_with(&net(), &one_pair(20)).unwrap();
    // A version 1 file of this network ends with its values and a 4-byte checksum; a
    // version 2 file has the block's 4-byte length field where that checksum would start.
    let v1 = persist::encoded_len::<f32, Small>();
    let cut = &bytes[..v1 - 4 + 2];
    assert_eq!(
        format_err(persist::decode_with::<f32, Small>(cut)),
        FormatError::Truncated {
            expected: v1 + 4,
            found: cut.len()
        }
    );
}

#[test]
fn load_reads_a_file_with_1_mib_of_metadata_and_refuses_one_byte_more() {
    let dir = Scratch::new("persist-meta-load");
    let (path, n) = (dir.join("m.cnet"), net());
    persist::save_with(&n, &one_pair(MAX), &path).unwrap();
    let back: Small = persist::load(&path).unwrap();
    assert_eq!(back, n);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        format_err(persist::load::<f32, Small>(&path)),
        FormatError::TrailingBytes {
            expected: bytes.len() - 1,
            found: bytes.len()
        }
    );
}

#[test]
fn load_of_an_endless_file_allocates_for_the_bound_only() {
    let dir = Scratch::new("persist-meta-endless");
    let path = dir.join("m.cnet");
    let mut bytes = persist::encode(&net()).unwrap();
    bytes.resize(bytes.len() + 8 * MAX, 0);
    std::fs::write(&path, &bytes).unwrap();
    // The most a file of this network can hold (1 MiB of metadata), plus one byte to see
    // that there is more.
    let bound = persist::encoded_len::<f32, Small>() + 4 + MAX + 1;
    let (r, asked) = crate::counting::bytes_allocated(|| persist::load::<f32, Small>(&path));
    assert!(
        matches!(r, Err(Error::Format(FormatError::TrailingBytes { .. }))),
        "{r:?}"
    );
    // Reading grows the buffer by doubling: the sizes asked for sum to under twice the
    // final capacity, itself under twice what was read (the bound); 64 KiB for the rest.
    assert!(
        asked < 4 * bound + (64 << 10),
        "{asked} bytes for a bound of {bound}"
    );
}
