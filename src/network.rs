//! The network: what a model is made of.
//!
//! - [`layer`](crate::layer): the traits a layer implements: its shape ([`Layer`](crate::Layer)),
//!   its tensors ([`Params`](crate::Params)) and its passes ([`Forward`](crate::Forward));
//! - [`dense`](crate::dense), [`activation`](crate::activation), [`softmax`](crate::softmax):
//!   the layers;
//! - [`chain`](mod@crate::chain): composition, [`net!`](crate::net);
//! - [`scale`](crate::scale): scaling inside the model (raw units in, raw units out);
//! - [`loss`](crate::loss): what training minimises, the [`Loss`](crate::Loss) trait;
//! - [`init`](crate::init), [`scalar`](crate::scalar): seeded initialisation, `f32`/`f64`.

pub mod activation;
pub mod chain;
pub mod dense;
pub mod init;
pub mod layer;
pub mod loss;
pub mod scalar;
pub mod scale;
pub mod softmax;
