//! What a regression and a classifier train differently: targets, loss, initialisation
//! and scaling ([`Task`]); and the classifier's loss over the first `K` of its logits
//! ([`Masked`]).

use constnet::data::{Dataset, Labels, TargetSet};
use constnet::loss::{Loss, Targets};
use constnet::nalgebra::{Const, Dyn, OMatrix};
use constnet::{Forward, InitScheme, Mse, Standardize};

use super::super::args::ScaleKind;
use crate::model::{Model, Net, argmax};

/// What a regression and a classifier train differently: their targets, their loss, and
/// how the model scales them.
pub trait Task<const IN: usize, const OUT: usize> {
    /// A data set's targets: values, or labels.
    type Y: TargetSet + Targets<Sample = <Self::L as Loss<f32, OUT>>::Target> + Sync;
    /// The loss.
    type L: Loss<f32, OUT, Target: Send + Sync> + Sync;
    /// How the fresh network's weights are drawn.
    const INIT: InitScheme;
    /// The loss.
    fn loss(&self) -> Self::L;
    /// The model around a fresh network, its scalers set from `data` (`--scale standard`)
    /// or identity.
    fn model(
        net: Net<IN, OUT>,
        data: &Dataset<f32, IN, OUT, Self::Y>,
        scale: ScaleKind,
    ) -> constnet::Result<Model<IN, OUT>>;
    /// `data` as the network sees it, through the model's scalers.
    fn fitted(
        model: &Model<IN, OUT>,
        data: &Dataset<f32, IN, OUT, Self::Y>,
    ) -> constnet::Result<Dataset<f32, IN, OUT, Self::Y>>;
}

/// A regression: one value per sample, MSE, inputs and targets standardized.
pub struct Regression;

impl<const IN: usize> Task<IN, 1> for Regression {
    type Y = OMatrix<f32, Const<1>, Dyn>;
    /// He: the seed experiment's (kept for its bits), right for ReLU layers.
    const INIT: InitScheme = InitScheme::He;
    type L = Mse;
    fn loss(&self) -> Mse {
        Mse
    }
    fn model(
        net: Net<IN, 1>,
        data: &Dataset<f32, IN, 1>,
        scale: ScaleKind,
    ) -> constnet::Result<Model<IN, 1>> {
        match scale {
            ScaleKind::Standard => Model::<IN, 1>::from_data(net, data.x(), data.y()),
            ScaleKind::None => Ok(Model::<IN, 1>::new(net)),
        }
    }
    fn fitted(
        model: &Model<IN, 1>,
        data: &Dataset<f32, IN, 1>,
    ) -> constnet::Result<Dataset<f32, IN, 1>> {
        model.training_data(data)
    }
}

/// The most classes a classifier of the tool can have.
pub const MAX_CLASSES: usize = 10;

/// A classifier of `classes` classes (2 to [`MAX_CLASSES`]): a label per sample,
/// cross-entropy over the first `classes` of the network's [`MAX_CLASSES`] logits
/// ([`Masked`]), inputs standardized (the logits are not rescaled).
///
/// Why one head of [`MAX_CLASSES`] outputs, not `classes`: the training loop is compiled
/// once per network type, so training `Net<IN, K>` for every input width and every `K`
/// would compile it 162 times (minutes of build). The unused logits take no part in the
/// loss, so their gradient is exactly 0 and their weights never move, and the hidden
/// layers' gradients are those of a `K`-output network (exact zeros add nothing to a sum).
/// The trained network is then cut to `Net<IN, K>` ([`crate::fit::classify`]), the model that
/// is scored, saved and exported.
pub struct Classification {
    /// The number of classes.
    pub classes: usize,
}

impl<const IN: usize> Task<IN, MAX_CLASSES> for Classification {
    type Y = Labels<MAX_CLASSES>;
    type L = Masked;
    /// Glorot uniform, scikit-learn `MLPClassifier`'s: a little more accurate than He on
    /// digits and wine over eight seeds (the README's classification section).
    const INIT: InitScheme = InitScheme::XavierUniform;
    fn loss(&self) -> Masked {
        Masked {
            classes: self.classes,
        }
    }
    fn model(
        net: Net<IN, MAX_CLASSES>,
        data: &Dataset<f32, IN, MAX_CLASSES, Labels<MAX_CLASSES>>,
        scale: ScaleKind,
    ) -> constnet::Result<Model<IN, MAX_CLASSES>> {
        let mut model = Model::<IN, MAX_CLASSES>::new(net);
        if scale == ScaleKind::Standard {
            model.input = Standardize::from_data(data.x())?;
        }
        Ok(model)
    }
    fn fitted(
        model: &Model<IN, MAX_CLASSES>,
        data: &Dataset<f32, IN, MAX_CLASSES, Labels<MAX_CLASSES>>,
    ) -> constnet::Result<Dataset<f32, IN, MAX_CLASSES, Labels<MAX_CLASSES>>> {
        let x =
            <Standardize<IN, f32> as Forward<f32, Const<IN>, Dyn>>::forward(&model.input, data.x());
        let x = OMatrix::<f32, Const<IN>, Dyn>::from_column_slice(x.as_slice());
        Dataset::labeled(x, data.y().clone())
    }
}

/// Softmax cross-entropy over the first `classes` logits of [`MAX_CLASSES`]: the
/// [`CrossEntropy`](constnet::CrossEntropy) of a `classes`-output network (the same arithmetic, in the same order),
/// the other logits left out of the loss, their gradient 0.
pub struct Masked {
    pub classes: usize,
}

impl Loss<f32, MAX_CLASSES> for Masked {
    type Target = u16;

    fn count(&self, target: &[u16]) -> f64 {
        target.len() as f64
    }

    fn sum_and_grad(
        &self,
        pred: &[[f32; MAX_CLASSES]],
        target: &[u16],
        grad: &mut [[f32; MAX_CLASSES]],
        count: f32,
    ) -> f32 {
        let k = self.classes;
        let mut sum = 0.0;
        for ((z, &c), g) in pred.iter().zip(target).zip(grad.iter_mut()) {
            sum += masked(&z[..k], c, &mut g[..k], count);
            g[k..].fill(0.0);
        }
        sum
    }

    fn sum(&self, pred: &[[f32; MAX_CLASSES]], target: &[u16]) -> f32 {
        let mut scratch = [0.0f32; MAX_CLASSES];
        pred.iter()
            .zip(target)
            .map(|(z, &c)| masked(&z[..self.classes], c, &mut scratch[..self.classes], 1.0))
            .sum()
    }

    fn check(&self, target: &[u16], what: &'static str) -> constnet::Result<()> {
        match target.iter().position(|&c| usize::from(c) >= self.classes) {
            None => Ok(()),
            Some(index) => Err(constnet::Error::InvalidLabel {
                what,
                index,
                label: usize::from(target[index]),
                classes: self.classes,
            }),
        }
    }

    const CLASSIFIES: bool = true;

    fn correct(&self, pred: &[[f32; MAX_CLASSES]], target: &[u16]) -> usize {
        pred.iter()
            .zip(target)
            .filter(|(z, c)| argmax(&z[..self.classes]) == usize::from(**c))
            .count()
    }
}

/// One sample's loss `lse − z_c` over `z`, and `(p − one-hot) / count` into `g`:
/// [`CrossEntropy`](constnet::CrossEntropy)'s arithmetic without weights or smoothing.
fn masked(z: &[f32], c: u16, g: &mut [f32], count: f32) -> f32 {
    let m = z
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    let lse = m + z.iter().fold(0.0, |s, &v| s + (v - m).exp()).ln();
    let c = usize::from(c);
    for (k, (gk, &zk)) in g.iter_mut().zip(z).enumerate() {
        let p = (zk - lse).exp();
        let hot = if k == c { 1.0 } else { 0.0 };
        *gk = (p - hot) / count;
    }
    lse - z[c]
}
