//! Shared by the `probe_*` binaries: runs one piece of work, measures the stack it used by
//! painting the free RAM first, prints `stack <work> <peak>` and exits QEMU.
//!
//! `work` is the stack below this function's frame that the work itself used; `peak` is
//! everything from the top of RAM down to the lowest word written, the reset handler's and
//! `main`'s frames included (a `main` that builds a large value before moving it into a
//! static reserves that much here). A board needs static RAM + `peak` bytes.
//!
//! Each probe is a whole linked binary, so the section sizes of its ELF file give the flash
//! (`.vector_table`, `.text`, `.rodata` and `.data`) and static RAM (`.data`, `.bss` and
//! `.uninit`) of that use; `probe_empty` is the baseline (runtime, semihosting, panic
//! handler, this module).

use core::ptr::{addr_of, read_volatile, write_volatile};

use cortex_m_semihosting::{debug, hprintln};

const PAINT: u32 = 0xdead_beef;
/// Room left unpainted below the stack pointer (nothing is called while painting, so the
/// frames of `work` are all that can write below it; this is a safety gap only).
const MARGIN: usize = 16;

unsafe extern "C" {
    /// End of `.bss` (start of the unused RAM), from cortex-m-rt's `link.x`.
    static __sheap: u32;
    /// The initial stack pointer (the top of RAM), from cortex-m-rt's `link.x`.
    static _stack_start: u32;
}

/// Paints the free stack, runs `work`, prints its stack use and exits.
pub fn measure<R>(work: impl FnOnce() -> R) -> ! {
    let sp = cortex_m::register::msp::read() as usize;
    let bottom = addr_of!(__sheap) as usize;
    let top = sp - MARGIN;
    // SAFETY: [bottom, top) is RAM below every live stack frame (the stack grows down
    // from `sp`, and `MARGIN` covers this function's calls) and above all statics.
    unsafe {
        let mut a = bottom;
        while a < top {
            write_volatile(a as *mut u32, PAINT);
            a += 4;
        }
    }
    core::hint::black_box(call(work));
    // SAFETY: as above; reading RAM only.
    let lowest = unsafe {
        let mut a = bottom;
        while a < top && read_volatile(a as *const u32) == PAINT {
            a += 4;
        }
        a
    };
    let stack_top = addr_of!(_stack_start) as usize;
    hprintln!("stack {} {}", sp - lowest, stack_top - lowest);
    debug::exit(debug::EXIT_SUCCESS);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// A frame of its own below `measure`'s: inlined into `measure`, `work`'s locals would sit
/// in `measure`'s frame, above the painted RAM, and go uncounted.
#[inline(never)]
fn call<R>(work: impl FnOnce() -> R) -> R {
    work()
}
