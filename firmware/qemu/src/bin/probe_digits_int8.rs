//! One inference of the int8 digits classifier (`firmware::digits::int8::class`: the input
//! edge, integer layers, the integer argmax).
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    probe::measure(|| firmware::digits::int8::class(core::hint::black_box(&[8.0; 64])))
}
