//! Trains the wine classifier of `firmware::wine` on the emulated core itself, from scratch:
//! [`wine::STEPS`] Adam steps of cross-entropy on batches of 16 of the 142 training rows
//! (`wine_rows.rs`), then its accuracy on the 36 held-out rows.
//!
//! Output: `loss <step> <bits>` per step (the batch's mean cross-entropy before the
//! update), `w <tensor> <bits…>` for every tensor of the trained model (scalers included),
//! `class <row> <class>` per test row; comment lines (`#`) give the emulated instructions
//! per step and the accuracy. constnet's `tests/it/qemu_train.rs` runs the same steps on
//! the host and compares every bit.
#![no_std]
#![no_main]

#[path = "../counter.rs"]
mod counter;
#[path = "../out.rs"]
mod out;
#[path = "../statics.rs"]
mod statics;
#[path = "../wine_rows.rs"]
mod wine_rows;

use core::fmt::Write;

use constnet::Params;
use cortex_m_semihosting::debug::{self, EXIT_SUCCESS};
use firmware::wine::{self, Trainer};
use panic_semihosting as _;

use counter::Counter;
use out::Out;
use wine_rows::{TEST_X, TEST_Y, TRAIN_X, TRAIN_Y};

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut counter = Counter::start();
    let mut out = Out::new();
    let calib = counter.calibrate();

    // All-zero bytes are a valid Trainer (floats and integers); `reset` fills it in place.
    let trainer = statics::zeroed_static!(Trainer);
    let ((), reset_ticks) = counter.measure(|| trainer.reset(&TRAIN_X));
    let mut ticks = 0u64;
    for s in 0..wine::STEPS {
        let (loss, t) = counter.measure(|| trainer.step(&TRAIN_X, &TRAIN_Y));
        ticks += t;
        out.line(format_args!("loss {s} {:08x}", loss.to_bits()));
    }
    for i in 0..<wine::Model as Params<f32>>::TENSORS {
        write!(out, "w {i}").unwrap();
        for v in trainer.model.tensor(i) {
            write!(out, " {:08x}", v.to_bits()).unwrap();
        }
        out.line(format_args!(""));
    }
    let mut right = 0;
    for (r, (x, &y)) in TEST_X.iter().zip(&TEST_Y).enumerate() {
        let class = wine::class(&trainer.model, x);
        right += usize::from(class == usize::from(y));
        out.line(format_args!("class {r} {class}"));
    }
    out.comment(format_args!(
        "wine: {} emulated instructions per training step (mean of {}, batch {}; QEMU -icount, not cycles)",
        calib.mean(ticks, wine::STEPS),
        wine::STEPS,
        wine::BATCH
    ));
    out.comment(format_args!(
        "wine: {} emulated instructions to fit the scaler and draw the weights",
        calib.mean(reset_ticks, 1)
    ));
    out.comment(format_args!(
        "wine: {right} of {} test rows right after training",
        TEST_X.len()
    ));
    out.flush();
    debug::exit(EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}
