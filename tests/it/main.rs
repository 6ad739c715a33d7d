//! constnet's integration tests: one test crate (the library is linked once), one module
//! per concern.

mod alloc;
mod bits;
mod blocks;
mod cls_grad;
mod common;
mod compile_fail;
mod confusion;
mod cross_entropy;
mod csv;
mod csv_blocks;
mod csv_columns;
mod custom;
mod data;
mod diagnose;
mod digits;
mod early_stopping;
mod eval;
mod export;
mod figures;
mod fusion;
mod grad;
mod gradcheck_settings;
mod hostile;
mod hostile_lib;
mod kfold;
mod labels_csv;
mod layers;
mod metrics;
mod optim;
mod persist;
mod persist_meta;
mod plot;
mod plot_diagnostics;
mod qemu;
mod qemu_train;
mod quant;
mod safetensors;
mod safetensors_torch;
mod scale;
mod scale_firmware;
mod scratch; // helper: unique temp directories
mod stratified;
mod survivors;
mod synthetic;
mod torch_cls;
mod train;

/// Counts heap allocations per thread, so tests running in parallel do not see each other's.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        // Const-initialised and without a destructor: reading it never allocates.
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
        static BYTES: Cell<usize> = const { Cell::new(0) };
    }

    /// `System`, plus a per-thread count of `alloc`, `alloc_zeroed` and `realloc` calls and
    /// of the bytes they asked for.
    pub struct Counting;

    fn bump(bytes: usize) {
        // `try_with`: never panic while the thread's locals are being torn down.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        let _ = BYTES.try_with(|n| n.set(n.get().saturating_add(bytes)));
    }

    // SAFETY: every call is forwarded unchanged to `System`.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            bump(layout.size());
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            bump(layout.size());
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            bump(new_size);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    /// Runs `f` and returns its result with the number of heap allocations it made on this
    /// thread.
    pub fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
        let before = ALLOCATIONS.with(Cell::get);
        let r = f();
        let after = ALLOCATIONS.with(Cell::get);
        (r, after - before)
    }

    /// Runs `f` and returns its result with the bytes it asked the heap for on this thread
    /// (every allocation's size and every reallocation's new size, summed).
    pub fn bytes_allocated<R>(f: impl FnOnce() -> R) -> (R, usize) {
        let before = BYTES.with(Cell::get);
        let r = f();
        let after = BYTES.with(Cell::get);
        (r, after - before)
    }
}
