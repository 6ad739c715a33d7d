//! One inference of the `f32` digits classifier (`firmware::digits::class`: 64 → 64 → 64 →
//! 10 logits and their argmax).
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    probe::measure(|| firmware::digits::class(core::hint::black_box(&[8.0; 64])))
}
