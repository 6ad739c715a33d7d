//! One inference of the exported f32 model (`firmware::predict`).
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    probe::measure(|| firmware::predict(core::hint::black_box(1.0)))
}
