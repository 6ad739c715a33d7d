//! One on-device training step of the exported f32 model on a fixed batch of 8 samples,
//! plain SGD (lr 0.01). Model, gradient and workspace are built in place in a static.
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;
#[path = "../statics.rs"]
mod statics;
#[path = "../train.rs"]
mod train;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    let state = train::State::in_static();
    let mut opt = constnet::Sgd::<f32>::new(0.01).unwrap();
    let (x, y) = train::batch();
    probe::measure(|| train::step(state, &mut opt, &x, &y))
}
