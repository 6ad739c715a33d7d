//! One on-device training step of the exported f32 model on a fixed batch of 8 samples,
//! plain SGD (lr 0.01). Model, gradient, workspace and optimizer state are statics.
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;
#[path = "../train.rs"]
mod train;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    let state = cortex_m::singleton!(: train::State = train::State::new()).unwrap();
    let opt =
        cortex_m::singleton!(: constnet::Sgd<f32> = constnet::Sgd::new(0.01).unwrap()).unwrap();
    let (x, y) = train::batch();
    probe::measure(|| train::step(state, opt, &x, &y))
}
