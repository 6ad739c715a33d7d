//! Size baseline: the runtime, semihosting and the stack probe, no network.
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use panic_semihosting as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    probe::measure(|| core::hint::black_box(1.0f32) + 1.0)
}
