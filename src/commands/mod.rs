//! One module a subcommand.

pub mod blocks;
pub mod cache;
pub mod check;
pub mod convert;
pub mod expand;
pub mod fmt;
pub mod run;
pub mod runs;

/// `Ok` when `workspace` (a `--workspace DIR`) is a folder; otherwise says so, and the status
/// to exit with.
pub fn workspace_folder(workspace: &std::path::Path) -> Result<(), crate::Status> {
    if workspace.is_dir() {
        return Ok(());
    }
    crate::report_error(format!(
        "`{}` is not a folder: give the workspace with --workspace DIR",
        workspace.display()
    ));
    Err(crate::Status::Usage)
}
