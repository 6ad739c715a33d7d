//! Runs the firmware crate's exported cubic model on the example's held-out test inputs on an
//! emulated Cortex-M, and prints every output's bits through semihosting.
//!
//! Output, one line per input and model: `f32 <input bits> <output bits>` (hex) for the `f32`
//! model, `q8 …` for its int8 quantization (`firmware::int8`), `sc …` for the raw-unit
//! `Scaled` model (`firmware::scaled`, inputs mapped to 1000…5000); lines starting with
//! `#` are comments (the emulated instruction counts). constnet's `qemu` integration test
//! compares the lines with host inference bit for bit. Run with `bash firmware/qemu/run
//! TARGET` from the repository root (see that script); QEMU's exit code is the binary's.
#![no_std]
#![no_main]

mod counter;
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
    report(&mut out, "f32", ticks, &calib);

    // The same network quantized to int8: integer inference between a float edge each side.
    let mut ticks = 0u64;
    for &bits in inputs::INPUTS.iter() {
        let x = core::hint::black_box(f32::from_bits(bits));
        let (y, t) = counter.measure(|| firmware::int8::predict(x));
        ticks += t;
        out.line(format_args!("q8 {bits:08x} {:08x}", y.to_bits()));
    }
    report(&mut out, "q8", ticks, &calib);

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
    report(&mut out, "sc", ticks, &calib);
    out.flush();
    debug::exit(EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Prints the mean emulated instructions per inference of `ticks` summed over every input.
fn report(out: &mut Out, name: &str, ticks: u64, calib: &counter::Calibration) {
    let n = inputs::INPUTS.len() as u64;
    let instructions = ticks * calib.instructions / calib.ticks;
    out.comment(format_args!(
        "{name}: {} emulated instructions per inference (mean of {n}; QEMU -icount, not cycles)",
        instructions / n
    ));
}
