//! What [`diagnose`](super::diagnose) reports: per layer, per activation, the table.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How often each unit (row) of an activation layer was active (`df(x) ≠ 0`) over a set
/// of samples.
///
/// ```
/// use constnet::diagnose::Activity;
/// let a = Activity { samples: 4, active: vec![4, 1, 0] };
/// assert_eq!((a.units(), a.alive_units()), (3, 2));
/// assert_eq!(a.alive_fraction(), 2.0 / 3.0);
/// assert_eq!(a.active_fraction(), 5.0 / 12.0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// How many samples were seen.
    pub samples: u64,
    /// Per unit, on how many of them it was active.
    pub active: Vec<u64>,
}

impl Activity {
    /// The layer's width.
    #[must_use]
    pub fn units(&self) -> usize {
        self.active.len()
    }

    /// Units active on at least one sample.
    #[must_use]
    pub fn alive_units(&self) -> usize {
        self.active.iter().filter(|&&n| n > 0).count()
    }

    /// [`alive_units`](Self::alive_units) over [`units`](Self::units), in `0..=1` (0 for a
    /// layer without units).
    #[must_use]
    pub fn alive_fraction(&self) -> f64 {
        ratio(self.alive_units() as f64, self.units() as f64)
    }

    /// The fraction of (unit, sample) pairs on which the unit was active, in `0..=1` (0 if
    /// nothing was seen).
    #[must_use]
    pub fn active_fraction(&self) -> f64 {
        let total: u64 = self.active.iter().sum();
        ratio(total as f64, self.units() as f64 * self.samples as f64)
    }

    /// Adds another block's counts (same layer, further samples).
    pub(super) fn add(&mut self, other: &Activity) {
        self.samples += other.samples;
        for (a, b) in self.active.iter_mut().zip(&other.active) {
            *a += b;
        }
    }
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

/// One layer's diagnostics, as [`Forward::report`](crate::Forward::report) appends it.
///
/// ```
/// use constnet::diagnose::LayerReport;
/// let r = LayerReport::new("Standardize", 2);
/// assert_eq!((r.tensors, r.activity, r.grad_norm), (2, None, None));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LayerReport {
    /// What the layer is, e.g. `"Dense 1→64"`, `"Relu"`.
    pub name: String,
    /// How many of the network's [`Params`](crate::Params) tensors this layer owns (they
    /// follow the previous layer's).
    pub tensors: usize,
    /// For an activation: how often each unit was active.
    pub activity: Option<Activity>,
    /// The L2 norm of the MSE loss gradient over this layer's trainable tensors, filled in
    /// by [`diagnose`](super::diagnose); `None` if the layer has no trainable tensor (or
    /// before `diagnose` fills it in).
    pub grad_norm: Option<f64>,
}

impl LayerReport {
    /// A report for a layer named `name` owning `tensors` tensors, with no activity and no
    /// gradient norm yet.
    ///
    /// ```
    /// let r = constnet::diagnose::LayerReport::new(format!("Dense {}→{}", 1, 8), 2);
    /// assert_eq!(r.name, "Dense 1→8");
    /// ```
    #[must_use]
    pub fn new(name: impl Into<String>, tensors: usize) -> Self {
        LayerReport {
            name: name.into(),
            tensors,
            activity: None,
            grad_norm: None,
        }
    }
}

/// Per-layer diagnostics of a network on a data set (see [`diagnose`](super::diagnose)).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics {
    /// One report per layer, in network order.
    pub layers: Vec<LayerReport>,
    /// How many samples were run.
    pub samples: usize,
    /// The MSE loss over them.
    pub loss: f64,
}

impl Diagnostics {
    /// The hidden activation layers as `(number, index into layers)`, numbered from 1 as a
    /// user counts them ("hidden layer 1" is the activation after the first `Dense`).
    ///
    /// An activation is hidden if a layer with trainable tensors comes after it: a final
    /// activation, or one followed only by frozen output scaling, is not.
    ///
    /// ```
    /// # use constnet::diagnose::diagnose;
    /// # use constnet::{net, Dense, Params, Relu, Sigmoid};
    /// # use constnet::nalgebra::{Const, Dyn, OMatrix};
    /// let model: net![Dense<1, 4>, Relu, Dense<4, 4>, Relu, Dense<4, 1>, Sigmoid] = Params::zeros();
    /// let x = OMatrix::<f32, Const<1>, Dyn>::zeros(3);
    /// let diag = diagnose(&model, &x, &x, &constnet::Mse)?;
    /// assert_eq!(diag.hidden_layers(), [(1, 1), (2, 3)]); // the Sigmoid at 5 is the output
    /// # Ok::<(), constnet::Error>(())
    /// ```
    #[must_use]
    pub fn hidden_layers(&self) -> Vec<(usize, usize)> {
        let last_trainable = self.layers.iter().rposition(|l| l.grad_norm.is_some());
        let Some(last_trainable) = last_trainable else {
            return Vec::new();
        };
        self.layers[..last_trainable]
            .iter()
            .enumerate()
            .filter(|(_, l)| l.activity.is_some())
            .enumerate()
            .map(|(k, (i, _))| (k + 1, i))
            .collect()
    }

    /// The numbers (from 1, as [`hidden_layers`](Self::hidden_layers) counts them) of the
    /// hidden activation layers with no unit active on any sample: nothing passes through
    /// them, in either direction, so no layer before them can learn.
    ///
    /// ```
    /// # use constnet::diagnose::diagnose;
    /// # use constnet::{net, Dense, Params, Relu};
    /// # use constnet::nalgebra::{Const, Dyn, OMatrix};
    /// let model: net![Dense<1, 4>, Relu, Dense<4, 1>] = Params::zeros(); // ReLU of 0: inactive
    /// let x = OMatrix::<f32, Const<1>, Dyn>::from_element(3, 1.0);
    /// assert_eq!(diagnose(&model, &x, &x, &constnet::Mse)?.dead_layers(), [1]);
    /// # Ok::<(), constnet::Error>(())
    /// ```
    #[must_use]
    pub fn dead_layers(&self) -> Vec<usize> {
        self.hidden_layers()
            .into_iter()
            .filter(|&(_, i)| {
                self.layers[i]
                    .activity
                    .as_ref()
                    .is_some_and(|a| a.units() > 0 && a.alive_units() == 0)
            })
            .map(|(k, _)| k)
            .collect()
    }
}

/// A table, one line per layer: its name, tensors, the alive units and active fraction of
/// an activation, the gradient norm of a trainable layer.
///
/// ```text
/// diagnostics over 500 samples (MSE 1.0451e1):
///    #  layer                tensors  alive units      active  grad norm
///    1  Dense 1→64                 2                              0.00e0
///    2  Relu (hidden 1)            0  64/64 (100%)      50.0%
///    3  Dense 64→64                2                              0.00e0
///    4  Relu (hidden 2)            0  0/64 (0%)          0.0%
///    5  Dense 64→1                 2                             4.72e-2
/// ```
///
/// (A seed network whose hidden layer 2 died: nothing reaches the layers before it.)
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "diagnostics over {} samples (MSE {:.4e}):",
            self.samples, self.loss
        )?;
        write!(
            f,
            "  {:>2}  {:<20} {:>7}  {:<15} {:>7}  {:>9}",
            "#", "layer", "tensors", "alive units", "active", "grad norm"
        )?;
        let hidden = self.hidden_layers();
        for (i, l) in self.layers.iter().enumerate() {
            let mut name = l.name.clone();
            if let Some((k, _)) = hidden.iter().find(|&&(_, j)| j == i) {
                name = alloc::format!("{name} (hidden {k})");
            }
            let (alive, active) = match &l.activity {
                Some(a) => (
                    alloc::format!(
                        "{}/{} ({:.0}%)",
                        a.alive_units(),
                        a.units(),
                        100.0 * a.alive_fraction()
                    ),
                    alloc::format!("{:.1}%", 100.0 * a.active_fraction()),
                ),
                None => (String::new(), String::new()),
            };
            let norm = l
                .grad_norm
                .map_or(String::new(), |n| alloc::format!("{n:.2e}"));
            let line = alloc::format!(
                "  {:>2}  {:<20} {:>7}  {:<15} {:>7}  {:>9}",
                i + 1,
                name,
                l.tensors,
                alive,
                active,
                norm
            );
            write!(f, "\n{}", line.trim_end())?;
        }
        Ok(())
    }
}
