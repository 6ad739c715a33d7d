//! The widths the tool is compiled for, and the macros that pick the monomorphised copy a
//! file needs at run time (each arm a type: `f::<3>`, `f::<3, 10>`, …).

/// The input widths the tool is compiled for, as `--help` and errors say them.
pub const INPUT_WIDTHS: &str = "1 to 16, 32 or 64";
/// The class counts a classifier can have.
pub const CLASS_COUNTS: &str = "2 to 10";

/// Calls `f::<IN>(args…)` for a run-time input width `n`, or returns the error naming the
/// widths the tool is built for.
#[macro_export]
macro_rules! with_inputs {
    ($n:expr, $f:ident, ($($arg:expr),* $(,)?)) => {
        $crate::with_inputs!(@match $n, $f, ($($arg),*),
            [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 32 64])
    };
    (@match $n:expr, $f:ident, $args:tt, [$($w:literal)*]) => {
        match $n {
            $($w => $crate::with_inputs!(@call $f, $w, $args),)*
            other => Err($crate::model::unsupported_inputs(other)),
        }
    };
    (@call $f:ident, $w:literal, ($($arg:expr),*)) => { $f::<$w>($($arg),*) };
}

/// Calls `f::<IN, K>(args…)` for a run-time input width `n` and class count `k`.
#[macro_export]
macro_rules! with_classes {
    ($n:expr, $k:expr, $f:ident, ($($arg:expr),* $(,)?)) => {
        $crate::with_classes!(@inputs $n, $k, $f, ($($arg),*),
            [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 32 64])
    };
    (@inputs $n:expr, $k:expr, $f:ident, $args:tt, [$($w:literal)*]) => {
        match $n {
            $($w => $crate::with_classes!(@classes $w, $k, $f, $args, [2 3 4 5 6 7 8 9 10]),)*
            other => Err($crate::model::unsupported_inputs(other)),
        }
    };
    (@classes $w:literal, $k:expr, $f:ident, $args:tt, [$($c:literal)*]) => {
        match $k {
            $($c => $crate::with_classes!(@call $f, $w, $c, $args),)*
            other => Err($crate::model::unsupported_classes(other)),
        }
    };
    (@call $f:ident, $w:literal, $c:literal, ($($arg:expr),*)) => { $f::<$w, $c>($($arg),*) };
}

/// Calls `f::<IN, K>(args…)` for a run-time class count `k` (2 to 10), `IN` a const
/// parameter in scope.
#[macro_export]
macro_rules! with_k {
    ($k:expr, $f:ident::<$in:ident>, $args:tt) => {
        $crate::with_k!(@classes $k, $f, $in, $args, [2 3 4 5 6 7 8 9 10])
    };
    (@classes $k:expr, $f:ident, $in:ident, $args:tt, [$($c:literal)*]) => {
        match $k {
            $($c => $crate::with_k!(@call $f, $in, $c, $args),)*
            other => Err($crate::model::unsupported_classes(other)),
        }
    };
    (@call $f:ident, $in:ident, $c:literal, ($($arg:expr),*)) => { $f::<$in, $c>($($arg),*) };
}

/// Calls `f::<IN, OUT>(args…)` for a run-time output count `n` (1 to 10: a regression's
/// outputs or a classifier's logits), `IN` a const parameter in scope.
#[macro_export]
macro_rules! with_outputs {
    ($n:expr, $f:ident::<$in:ident>, $args:tt) => {
        $crate::with_outputs!(@outputs $n, $f, $in, $args, [1 2 3 4 5 6 7 8 9 10])
    };
    (@outputs $n:expr, $f:ident, $in:ident, $args:tt, [$($c:literal)*]) => {
        match $n {
            $($c => $crate::with_outputs!(@call $f, $in, $c, $args),)*
            other => Err(format!(
                "{other} outputs: the tool runs networks of 1 to 10 outputs"
            ).into()),
        }
    };
    (@call $f:ident, $in:ident, $c:literal, ($($arg:expr),*)) => { $f::<$in, $c>($($arg),*) };
}

/// The error for an input width the tool is not built for.
pub fn unsupported_inputs(n: usize) -> Box<dyn std::error::Error> {
    format!(
        "{n} input columns: the tool is built for networks of {INPUT_WIDTHS} inputs (choose \
         columns with --inputs, or use the library with a Dense<{n}, 64> of your own)"
    )
    .into()
}

/// The error for a class count the tool is not built for.
pub fn unsupported_classes(k: usize) -> Box<dyn std::error::Error> {
    format!(
        "{k} classes: the tool is built for classifiers of {CLASS_COUNTS} classes (use the \
         library with a Dense<64, {k}> and CrossEntropy<{k}> of your own)"
    )
    .into()
}
