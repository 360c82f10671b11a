//! One module a subcommand.

pub mod blocks;
pub mod check;
pub mod convert;
pub mod fmt;
