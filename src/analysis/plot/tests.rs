//! Unit tests of what the public API cannot reach: the encoder, how failures read.

use super::*;

#[test]
fn a_drawing_failure_reads_as_one_line() {
    let e = draw_err("font error:\n  glyph   missing");
    assert_eq!(
        e.to_string(),
        "drawing the plot failed: font error: glyph missing"
    );
    assert!(std::error::Error::source(&e).is_none());
}

#[test]
fn the_encoder_writes_an_rgb_png_of_the_pixels_given() {
    let (w, h) = (3u32, 2u32);
    let rgb: Vec<u8> = (0..w * h * 3).map(|v| (v * 13) as u8).collect();
    let png = encode(&rgb, (w, h)).unwrap();
    assert_eq!(png, encode(&rgb, (w, h)).unwrap());
    let mut reader = png::Decoder::new(png.as_bytes()).read_info().unwrap();
    let mut out = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut out).unwrap();
    assert_eq!((info.width, info.height), (w, h));
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Rgb, png::BitDepth::Eight)
    );
    assert_eq!(&out[..info.buffer_size()], &rgb[..]);
    assert_eq!(
        format!("{png:?}"),
        format!("Png({} bytes)", png.as_bytes().len())
    );
}

#[test]
fn the_legend_goes_where_the_data_is_not() {
    let upper_right = (0..10).map(|i| (0.6 + 0.03 * f64::from(i), 0.9));
    assert!(matches!(
        least_covered(upper_right),
        SeriesLabelPosition::LowerLeft
    ));
    assert!(matches!(
        least_covered(std::iter::empty()),
        SeriesLabelPosition::UpperRight
    ));
}
