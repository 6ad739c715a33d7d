//! Emulated instruction counts from SysTick.
//!
//! Under `qemu-system-arm -icount shift=0` every emulated instruction advances the virtual
//! clock by 1 ns, and SysTick (clocked from the core clock) ticks on that virtual clock, so
//! ticks are proportional to instructions executed. The ratio depends on the machine's clock
//! (1 tick per 40 instructions on mps2-an386's 25 MHz), so it is measured, not assumed: a
//! loop of exactly known length is timed first. These are emulated instruction counts, not
//! cycles of real silicon.

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

/// SysTick's counter is 24 bits wide; one measured span must stay below this many ticks.
const WRAP: u32 = 1 << 24;

/// SysTick, free-running from its largest reload value.
pub struct Counter {
    syst: SYST,
}

/// How many emulated instructions take how many ticks.
pub struct Calibration {
    /// Instructions the calibration loop executed.
    pub instructions: u64,
    /// Ticks it took (never 0: `calibrate` panics if SysTick does not run).
    pub ticks: u64,
}

impl Calibration {
    /// The mean emulated instructions of `n` spans that took `ticks` in all.
    pub fn mean(&self, ticks: u64, n: usize) -> u64 {
        ticks * self.instructions / self.ticks / n as u64
    }
}

impl Counter {
    /// Starts SysTick on the core clock, counting down from 2²⁴ − 1, without interrupts.
    pub fn start() -> Self {
        let mut syst = cortex_m::Peripherals::take().unwrap().SYST;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(WRAP - 1);
        syst.clear_current();
        syst.disable_interrupt();
        syst.enable_counter();
        Counter { syst }
    }

    /// Runs `f`, returning its value and the SysTick ticks it took.
    pub fn measure<R>(&mut self, f: impl FnOnce() -> R) -> (R, u64) {
        let start = SYST::get_current();
        let r = core::hint::black_box(f());
        let end = SYST::get_current();
        let _ = &self.syst;
        // Counts down; one span is far shorter than a full wrap (2²⁴ ticks).
        (r, u64::from(start.wrapping_sub(end) & (WRAP - 1)))
    }

    /// Times a loop of 2 × `ITER` instructions (`subs` + `bne` per iteration).
    pub fn calibrate(&mut self) -> Calibration {
        const ITER: u32 = 200_000;
        let ((), ticks) = self.measure(|| spin(ITER));
        assert!(
            ticks > 0,
            "SysTick does not advance: run QEMU with -icount shift=0"
        );
        // The measured span also holds the call, the `movs`/`bx` around the loop: a handful
        // of instructions against 400 000, below the tick resolution of 40.
        Calibration {
            instructions: 2 * u64::from(ITER),
            ticks,
        }
    }
}

/// Exactly `n` iterations of a two-instruction loop.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: touches only the register it is given; no memory, no stack.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {0}, #1",
            "bne 2b",
            inout(reg) n => _,
            options(nomem, nostack),
        );
    }
}
