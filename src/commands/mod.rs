//! One module a subcommand.

pub mod blocks;
pub mod cache;
pub mod check;
pub mod convert;
pub mod expand;
pub mod fmt;
pub mod run;
pub mod runs;
