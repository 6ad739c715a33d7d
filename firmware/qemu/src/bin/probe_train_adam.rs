//! One on-device training step of the exported f32 model on a fixed batch of 8 samples,
//! Adam (lr 1e-3; its two moments are the network's size each). Model, gradient and
//! workspace are built in place in a static; Adam, built by its constructor, is moved into
//! a static of its own (a temporary of its size on `main`'s stack, counted in the peak).
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;
#[path = "../statics.rs"]
mod statics;
#[path = "../train.rs"]
mod train;

use panic_semihosting as _;

type Adam = constnet::Adam<f32, firmware::Model>;

#[cortex_m_rt::entry]
fn main() -> ! {
    let state = train::State::in_static();
    // All-zero bytes are a valid Adam (numbers and two models); overwritten at once.
    let opt = statics::zeroed_static!(Adam);
    *opt = constnet::AdamConfig {
        lr: 1e-3,
        ..constnet::AdamConfig::default()
    }
    .build()
    .unwrap();
    let (x, y) = train::batch();
    probe::measure(|| train::step(state, opt, &x, &y))
}
