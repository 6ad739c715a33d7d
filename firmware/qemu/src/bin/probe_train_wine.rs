//! The wine classifier's on-device training (`firmware::wine`: 13 → 16 → 3, batch 8,
//! cross-entropy, Adam): its trainer in a static, reset from the training rows (scaler,
//! seeded weights, Adam) and one step, both inside the measured span, so the stack figure
//! is the larger of the two.
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;
#[path = "../statics.rs"]
mod statics;
#[path = "../wine_rows.rs"]
#[allow(dead_code)] // the held-out rows
mod wine_rows;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    // All-zero bytes are a valid Trainer (floats and integers); `reset` fills it in place.
    let trainer = statics::zeroed_static!(firmware::wine::Trainer);
    probe::measure(|| {
        trainer.reset(&wine_rows::TRAIN_X);
        trainer.step(&wine_rows::TRAIN_X, &wine_rows::TRAIN_Y)
    })
}
