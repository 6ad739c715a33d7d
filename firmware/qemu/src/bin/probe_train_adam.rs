//! One on-device training step of the exported f32 model on a fixed batch of 8 samples,
//! Adam (lr 1e-3; its two moments are the network's size each). Model, gradient, workspace and optimizer state are statics.
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
    let opt = cortex_m::singleton!(: constnet::Adam<f32, firmware::Model> = constnet::AdamConfig { lr: 1e-3, ..constnet::AdamConfig::default() }.build().unwrap()).unwrap();
    let (x, y) = train::batch();
    probe::measure(|| train::step(state, opt, &x, &y))
}
