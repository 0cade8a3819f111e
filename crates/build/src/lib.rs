//! The Dockerfile: parsing (syntax only, instructions as data) and the semantics of the
//! instructions that change an image's config, shared by `import`/`commit --change` and
//! the builder.
#![deny(missing_docs)]

pub mod changes;
pub mod dockerfile;

pub use changes::apply_changes;
pub use dockerfile::{parse, Instruction};

/// A Dockerfile or `--change` error, naming the line and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);
