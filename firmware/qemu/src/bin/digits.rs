//! The `constnet fit --classify` digits classifier (`firmware::digits`) on its 360 held-out
//! test rows (`digits_rows.rs`), `f32` and int8, on an emulated Cortex-M.
//!
//! Output, one line per row and model: `df <row> <class> <10 logits' bits>` (hex) for the
//! `f32` model, `dq <row> <class> <10 logits>` (hex `i32`, units of 2⁻¹⁶ of the int8 output
//! step) for the int8 model, whose class is `QModel::class`, an integer argmax. Comment
//! lines (`#`) give the emulated instructions per inference and the accuracy on the rows.
//! constnet's `tests/it/digits.rs` compares every line with the host's.
#![no_std]
#![no_main]

#[path = "../counter.rs"]
mod counter;
#[path = "../digits_rows.rs"]
mod digits_rows;
#[path = "../out.rs"]
mod out;

use core::fmt::Write;

use cortex_m_semihosting::debug::{self, EXIT_SUCCESS};
use panic_semihosting as _;

use counter::Counter;
use digits_rows::{LABELS, ROWS};
use out::Out;

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut counter = Counter::start();
    let mut out = Out::new();
    let calib = counter.calibrate();

    let (mut ticks, mut right) = (0u64, 0usize);
    for (r, (row, &label)) in ROWS.iter().zip(&LABELS).enumerate() {
        let x = row.map(f32::from);
        let (z, t) = counter.measure(|| firmware::digits::logits(core::hint::black_box(&x)));
        ticks += t;
        let class = argmax(&z);
        right += usize::from(class == usize::from(label));
        write!(out, "df {r} {class}").unwrap();
        for v in z {
            write!(out, " {:08x}", v.to_bits()).unwrap();
        }
        out.line(format_args!(""));
    }
    report(&mut out, "df", ticks, &calib, right);

    let (mut ticks, mut right) = (0u64, 0usize);
    for (r, (row, &label)) in ROWS.iter().zip(&LABELS).enumerate() {
        let x = row.map(f32::from);
        // The integer classification as a firmware runs it: quantize, integer argmax.
        let (class, t) =
            counter.measure(|| firmware::digits::int8::class(core::hint::black_box(&x)));
        ticks += t;
        right += usize::from(class == usize::from(label));
        write!(out, "dq {r} {class}").unwrap();
        for v in firmware::digits::int8::logits(&x) {
            write!(out, " {:08x}", v as u32).unwrap();
        }
        out.line(format_args!(""));
    }
    report(&mut out, "dq", ticks, &calib, right);
    out.flush();
    debug::exit(EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The largest logit's index, the first on a tie (as `firmware::digits::class`).
fn argmax(z: &[f32; 10]) -> usize {
    let mut best = 0;
    for k in 1..z.len() {
        if z[k] > z[best] {
            best = k;
        }
    }
    best
}

/// Prints the mean emulated instructions per inference and the accuracy on the rows.
fn report(out: &mut Out, name: &str, ticks: u64, calib: &counter::Calibration, right: usize) {
    let n = ROWS.len();
    out.comment(format_args!(
        "{name}: {} emulated instructions per inference (mean of {n}; QEMU -icount, not cycles)",
        calib.mean(ticks, n)
    ));
    out.comment(format_args!("{name}: {right} of {n} test rows right"));
}
