//! Runs the firmware crate's exported cubic model on the example's held-out test inputs on an
//! emulated Cortex-M, and prints every output's bits through semihosting.
//!
//! Output, one line per input and model: `f32 <input bits> <output bits>` (hex) for the `f32`
//! model, `q8 …` for its int8 quantization (`firmware::int8`), `sc …` for the raw-unit
//! `Scaled` model (`firmware::scaled`, inputs mapped to 1000…5000); then `ef <x₀ bits> <x₁
//! bits> <output bits>` and `eq …` for the `constnet fit --data` regression trained on
//! `data/ethanol.csv` (`firmware::ethanol`, `f32` and int8, raw units in and out) on every
//! row of that file; lines starting with `#` are comments (the emulated instruction
//! counts). constnet's `qemu` integration test
//! compares the lines with host inference bit for bit. Run with `bash firmware/qemu/run
//! TARGET` from the repository root (see that script); QEMU's exit code is the binary's.
#![no_std]
#![no_main]

mod counter;
mod ethanol_rows;
mod inputs;
mod out;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_SUCCESS};
use panic_semihosting as _;

use counter::Counter;
use out::Out;

#[entry]
fn main() -> ! {
    let mut counter = Counter::start();
    let mut out = Out::new();
    let calib = counter.calibrate();
    out.comment(format_args!(
        "counter: {} emulated instructions per {} SysTick ticks (calibration loop)",
        calib.instructions, calib.ticks
    ));

    let mut ticks = 0u64;
    for &bits in inputs::INPUTS.iter() {
        let x = core::hint::black_box(f32::from_bits(bits));
        let (y, t) = counter.measure(|| firmware::predict(x));
        ticks += t;
        out.line(format_args!("f32 {bits:08x} {:08x}", y.to_bits()));
    }
    report(&mut out, "f32", ticks, &calib, inputs::INPUTS.len());

    // The same network quantized to int8: integer inference between a float edge each side.
    let mut ticks = 0u64;
    for &bits in inputs::INPUTS.iter() {
        let x = core::hint::black_box(f32::from_bits(bits));
        let (y, t) = counter.measure(|| firmware::int8::predict(x));
        ticks += t;
        out.line(format_args!("q8 {bits:08x} {:08x}", y.to_bits()));
    }
    report(&mut out, "q8", ticks, &calib, inputs::INPUTS.len());

    // The raw-unit model (`firmware::scaled`, scaling inside the model) on the same inputs
    // mapped to 1000…5000 in `f32`, as constnet's `tests/it/scale_firmware.rs` maps them.
    let mut ticks = 0u64;
    for &bits in inputs::INPUTS.iter() {
        let x = core::hint::black_box(3000.0 + 1000.0 * f32::from_bits(bits));
        // `black_box` inside the timed span: the small network is inlined, and without it
        // its pure arithmetic may be scheduled before the span starts (measured: 6
        // instructions per inference on the M0).
        let (y, t) = counter.measure(|| firmware::scaled::predict(core::hint::black_box(x)));
        ticks += t;
        out.line(format_args!("sc {:08x} {:08x}", x.to_bits(), y.to_bits()));
    }
    report(&mut out, "sc", ticks, &calib, inputs::INPUTS.len());

    // A model trained by `constnet fit --data` (scalers in the model; the int8 export folds
    // them into its edges), on the rows of its data file, raw units in and out.
    for (name, predict) in [
        ("ef", firmware::ethanol::predict as fn([f32; 2]) -> f32),
        ("eq", firmware::ethanol::int8::predict),
    ] {
        let mut ticks = 0u64;
        for row in ethanol_rows::ROWS.iter() {
            let x = row.map(f32::from_bits);
            let (y, t) = counter.measure(|| predict(core::hint::black_box(x)));
            ticks += t;
            out.line(format_args!(
                "{name} {:08x} {:08x} {:08x}",
                row[0],
                row[1],
                y.to_bits()
            ));
        }
        report(&mut out, name, ticks, &calib, ethanol_rows::ROWS.len());
    }
    out.flush();
    debug::exit(EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Prints the mean emulated instructions per inference of `ticks` summed over `n` inputs.
fn report(out: &mut Out, name: &str, ticks: u64, calib: &counter::Calibration, n: usize) {
    out.comment(format_args!(
        "{name}: {} emulated instructions per inference (mean of {n}; QEMU -icount, not cycles)",
        calib.mean(ticks, n)
    ));
}
