//! Large state in statics, built where it lives: a `cortex_m::singleton!` evaluates its
//! value on the stack and then moves it into the static, so a 50 KB training state first
//! needs 50 KB of stack (on the 64 KiB Cortex-M3 board, with the static itself beside it, the
//! stack ran into `.bss` and the core faulted: issue #23.19).

/// A `&'static mut $t` to a static that starts as all-zero bytes (`.bss`, which the reset
/// handler clears: no stack, no copy), for the caller to fill in place. Panics if the same
/// call site runs twice.
///
/// Only for types for which all-zero bytes are a valid value: aggregates of floats and
/// integers (nalgebra's matrices, constnet's layers, scalers, workspaces and optimizers),
/// zero-sized types, arrays of them; not references, `bool`s, enums or `NonZero*`.
macro_rules! zeroed_static {
    ($t:ty) => {{
        static mut TAKEN: bool = false;
        static mut CELL: core::mem::MaybeUninit<$t> = core::mem::MaybeUninit::zeroed();
        // SAFETY: single core, called from `main` before any interrupt is enabled; `TAKEN`
        // hands out the one `&mut` of this call site. All-zero bytes are a valid `$t` (the
        // caller's promise, see the macro's documentation).
        unsafe {
            let taken = &mut *core::ptr::addr_of_mut!(TAKEN);
            assert!(!*taken, "zeroed_static: taken twice");
            *taken = true;
            (*core::ptr::addr_of_mut!(CELL)).assume_init_mut()
        }
    }};
}
pub(crate) use zeroed_static;
