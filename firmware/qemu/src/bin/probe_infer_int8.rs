//! One inference of the exported int8 model (`firmware::int8::predict`).
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    probe::measure(|| firmware::int8::predict(core::hint::black_box(1.0)))
}
