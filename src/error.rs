//! One typed error for the whole crate.
//!
//! Every fallible public function returns [`Result<T>`](Result). The variants carry the
//! values that were wrong, so a message can name them (`"learning rate must be finite and
//! > 0, got -0.1"`). Binaries print the [`Display`](core::fmt::Display) form on one line.

use core::fmt;

/// Shorthand for `core::result::Result<T, constnet::Error>`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in constnet.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A slice or data set had the wrong number of elements.
    LengthMismatch {
        /// What was being built or compared.
        what: &'static str,
        /// The length the shape requires.
        expected: usize,
        /// The length that was given.
        found: usize,
    },
    /// A learning rate was zero, negative, NaN or infinite.
    InvalidLearningRate(f64),
    /// A learning rate that is finite and > 0 as given (an `f64`) but overflows to infinity
    /// or underflows to zero in the network's scalar type (e.g. `1e300` in `f32`).
    LearningRateRange {
        /// The learning rate as given.
        lr: f64,
        /// The scalar type it does not fit ([`Real::NAME`](crate::Real::NAME)).
        scalar: &'static str,
    },
    /// A hyper-parameter other than the learning rate was out of range.
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Training was asked to run for zero epochs.
    ZeroEpochs,
    /// A data set had no samples.
    EmptyData,
    /// A size asked for cannot be allocated (more than the address space, or than the
    /// allocator could give).
    TooLarge {
        /// What was being allocated.
        what: &'static str,
        /// How many elements were asked for.
        count: usize,
    },
    /// Batch size was 0 or larger than the data set.
    InvalidBatchSize {
        /// The requested batch size.
        batch_size: usize,
        /// How many samples there are.
        samples: usize,
    },
    /// A value that must be finite was NaN or infinite.
    NonFinite {
        /// Which input held it.
        what: &'static str,
        /// The index of the offending value.
        index: usize,
    },
    /// A class label that is not below the number of classes (a classifier's outputs).
    InvalidLabel {
        /// Which labels held it.
        what: &'static str,
        /// The sample (0-based).
        index: usize,
        /// The label.
        label: usize,
        /// How many classes there are: labels run from 0 to `classes − 1`.
        classes: usize,
    },
    /// The loss, or a parameter after an update, became NaN or infinite during training.
    ///
    /// The field is 0-based (as the `on_epoch` callbacks count); the message counts from 1,
    /// as progress lines do (`epoch 3/10` is `epoch: 2`).
    Diverged {
        /// The epoch (0-based) in which it happened.
        epoch: usize,
        /// The epoch's loss (finite if only the parameters went bad).
        loss: f64,
    },
    /// The loss of the untrained network is NaN or infinite although the data are finite:
    /// the squared errors overflow the scalar type before any training step (e.g. targets
    /// around 10¹⁸ in `f32`, whose squares sum past `f32::MAX`). A smaller learning rate
    /// cannot help; scaled data or `f64` can.
    LossOverflow {
        /// The loss before any step.
        loss: f64,
        /// The scalar type it overflowed ([`Real::NAME`](crate::Real::NAME)).
        scalar: &'static str,
    },
    /// Bytes that are not a valid model file for the network (see [`crate::persist`]).
    Format(crate::FormatError),
    /// A safetensors file that is malformed or does not hold the network's state dict (see
    /// [`crate::safetensors`]).
    #[cfg(feature = "safetensors")]
    Safetensors(crate::safetensors::SafetensorsError),
    /// A metric is undefined for this data (e.g. R² of constant targets).
    Undefined(&'static str),
    /// An operating-system I/O error, with the path it concerned.
    #[cfg(feature = "std")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected} values, found {found}"),
            Error::InvalidLearningRate(lr) => {
                write!(f, "learning rate must be finite and > 0, got {}", Num(*lr))
            }
            Error::LearningRateRange { lr, scalar } => write!(
                f,
                "learning rate {} does not fit the scalar type {scalar} (it rounds to {}): \
                 use a learning rate within {scalar}'s range",
                Num(*lr),
                if *lr > 1.0 { "infinity" } else { "zero" }
            ),
            Error::InvalidParameter { name, reason } => write!(f, "invalid {name}: {reason}"),
            Error::ZeroEpochs => write!(f, "epochs must be at least 1"),
            Error::EmptyData => write!(f, "the data set is empty"),
            Error::TooLarge { what, count } => {
                write!(f, "{what}: {count} values do not fit in memory")
            }
            Error::InvalidBatchSize {
                batch_size,
                samples,
            } => write!(
                f,
                "batch size must be between 1 and the number of samples ({samples}), got {batch_size}"
            ),
            Error::InvalidLabel {
                what,
                index,
                label,
                classes,
            } => write!(
                f,
                "{what}: sample {index} has label {label}, but the network has {classes} \
                 classes (labels 0 to {})",
                classes - 1
            ),
            Error::NonFinite { what, index } => {
                write!(f, "{what} holds a NaN or infinite value at index {index}")
            }
            // 1-based, as progress lines count.
            Error::Diverged { epoch, loss } if loss.is_finite() => write!(
                f,
                "training diverged: an update in epoch {} made parameters NaN or infinite \
                 (loss before it: {loss}; try a smaller learning rate)",
                epoch + 1
            ),
            Error::Diverged { epoch, loss } => write!(
                f,
                "training diverged: loss is {loss} in epoch {} (try a smaller learning rate)",
                epoch + 1
            ),
            Error::LossOverflow { loss, scalar } => write!(
                f,
                "the loss of the untrained network is {loss}: the data are finite, but their \
                 squared errors overflow {scalar} before any training step (a smaller learning \
                 rate cannot help); scale the targets and inputs (constnet::scale) or train in f64"
            ),
            Error::Undefined(what) => write!(f, "{what}"),
            Error::Format(e) => write!(f, "{e}"),
            #[cfg(feature = "safetensors")]
            Error::Safetensors(e) => write!(f, "{e}"),
            #[cfg(feature = "std")]
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(feature = "std")]
            Error::Io { source, .. } => Some(source),
            Error::Format(inner) => Some(inner),
            #[cfg(feature = "safetensors")]
            Error::Safetensors(inner) => Some(inner),
            _ => None,
        }
    }
}

/// Checks a learning rate: finite and strictly positive.
pub(crate) fn check_lr(lr: f64) -> Result<()> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidLearningRate(lr))
    }
}

/// Checks a learning rate ([`check_lr`]) and rounds it to `T`, where it must stay finite
/// and > 0: an error names the value given, not the `inf` or `0` it rounds to.
pub(crate) fn lr_in<T: crate::Real>(lr: f64) -> Result<T> {
    check_lr(lr)?;
    let t = T::cast(lr);
    if t.finite() && t > T::zero() {
        Ok(t)
    } else {
        Err(Error::LearningRateRange {
            lr,
            scalar: T::NAME,
        })
    }
}

/// A number in a message: plain where that is short (`0.01`, `250`), in exponent notation
/// where plain digits would run on (`1e-30`, `1e300`), as a user would type it.
struct Num(f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-4..1e9).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}
