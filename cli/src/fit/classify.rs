//! `constnet fit --classify`: a classifier.

use super::args::Args;
use crate::columns::Columns;
use crate::model::RunResult;

/// The classification run.
pub fn run(_args: &Args, _columns: &Columns) -> RunResult<String> {
    Err("not yet".into())
}
