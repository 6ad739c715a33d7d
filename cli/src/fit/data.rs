//! The data a run trains and tests on: the user's CSV (its chosen columns, checked for
//! wild rows, split 80/20) or the synthetic cubic of the seed experiment.

use constnet::Error;
use constnet::data::{Dataset, cubic};
use rand::rngs::Xoshiro256PlusPlus;

use super::args::Args;
use super::{Data, verdict};
use crate::columns::Columns;
use crate::model::RunResult;

/// All the data, for cross-validation: the user's CSV, or one synthetic draw of
/// `--samples` points.
pub(super) fn load_all<const IN: usize>(
    args: &Args,
    columns: &Columns,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<Data<IN>> {
    match &args.data {
        None => widen(synthetic(args, rng)?),
        Some(path) => read_csv(path, columns),
    }
}

/// The synthetic data (one input) as the run's input width, which the dispatch makes 1 for
/// the cubic.
fn widen<const IN: usize>(data: Dataset<f32, 1, 1>) -> RunResult<Data<IN>> {
    let (x, y) = data.into_parts();
    let x =
        constnet::nalgebra::OMatrix::<f32, constnet::nalgebra::Const<IN>, _>::from_iterator_generic(
            constnet::nalgebra::Const::<IN>,
            constnet::nalgebra::Dyn(y.ncols()),
            x.iter().copied(),
        );
    Ok(Data::<IN>::new(x, y)?)
}

/// The chosen columns of the CSV at `path`.
fn read_csv<const IN: usize>(path: &std::path::Path, columns: &Columns) -> RunResult<Data<IN>> {
    let target = [columns.target.as_str()];
    let data = Data::<IN>::from_csv_columns_path(path, columns.input_array::<IN>(), target)?;
    let x = data.x();
    let inputs = columns
        .inputs
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), x.row(i).iter().copied().collect()));
    let target = std::iter::once((columns.target.as_str(), data.y().as_slice().to_vec()));
    crate::outliers::check(path, inputs.chain(target))?;
    Ok(data)
}

/// `--samples` points of `y = x³ + ε`; a draw beyond `f32` (`--noise 1e39`) is blamed on
/// `--noise`, not reported as a NaN in the targets.
fn synthetic(args: &Args, rng: &mut Xoshiro256PlusPlus) -> RunResult<Dataset<f32, 1, 1>> {
    cubic(args.samples, args.noise, rng).map_err(|e| match e {
        Error::NonFinite { what: "y", .. } => format!(
            "--noise {}: y = x³ + ε overflows f32 (at most {:e}) for noise this large; \
             use a smaller --noise",
            verdict::flag_value(args.noise),
            f32::MAX
        )
        .into(),
        other => other.into(),
    })
}

/// The default synthetic data (train and held-out test drawn alike), or the user's CSV split
/// 80/20.
pub(super) fn load_data<const IN: usize>(
    args: &Args,
    columns: &Columns,
    rng: &mut Xoshiro256PlusPlus,
) -> RunResult<(Data<IN>, Data<IN>)> {
    match &args.data {
        None => Ok((widen(synthetic(args, rng)?)?, widen(synthetic(args, rng)?)?)),
        Some(path) => {
            let data = read_csv::<IN>(path, columns)?;
            // R² needs at least two held-out samples: ceil(20%) ≥ 2 from 6 rows on.
            if data.len() < 6 {
                return Err(Error::InvalidParameter {
                    name: "--data",
                    reason: "needs at least 6 rows (a fifth is held out to test on)",
                }
                .into());
            }
            Ok(data.split(0.2, rng)?)
        }
    }
}
