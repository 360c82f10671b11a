//! `agentblocks`: check, format and convert workflows written as code.
//!
//! This is the one place for argument parsing, exit codes and terminal rendering; the work
//! itself is in the `agentblocks-dsl` crate.

mod commands;
mod output;
mod render;
mod source;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Automation workflows as code: check, format and convert `.ab` and `.agentblocks` files.
#[derive(Parser)]
#[command(name = "agentblocks", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check workflows for errors (`.ab` and `.agentblocks`). Exit 0 clean, 1 errors, 2 usage
    /// or I/O problems.
    Check {
        /// Workflow files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format: rendered for people, or one JSON object for tools (0-based lines,
        /// UTF-16 characters, as LSP counts).
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// List the built-in blocks (properties and typed ports) and the code languages.
    Blocks {
        /// Output format: a readable listing, or JSON for tools.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Rewrite workflows in canonical form, in place and atomically.
    Fmt {
        /// Workflow files to format (`.ab`, or `.agentblocks` into canonical JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Change nothing; list the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
    },
    /// Run a workflow (or one block, or everything up to one). Exit 0 success, 1 the run
    /// failed, 2 invalid workflow or usage.
    Run {
        /// The workflow file.
        file: PathBuf,
        /// Set a variable: `--var name=value`, read for its declared type: for a `String`
        /// (`Path`, `File`, `Directory`, optional or not) the text as is, or the contents of a
        /// JSON string literal; for `Any`, `Json` or no type JSON, or else a string; for any
        /// other type JSON of that type (else exit 2).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Run only this block, taking upstream outputs from the cache (running upstream
        /// blocks that have none, or all of them with --no-cache).
        #[arg(long, value_name = "ID")]
        block: Option<String>,
        /// Run this block and everything it depends on.
        #[arg(long, value_name = "ID")]
        until: Option<String>,
        /// Give an input a value: `--input port=VALUE` or `--input block.port=VALUE`, read for
        /// the port's type as `--var` values are.
        #[arg(long = "input", value_name = "PORT=VALUE")]
        inputs: Vec<String>,
        /// Print one JSON event a line on standard output.
        #[arg(long)]
        json: bool,
        /// Neither read nor write the result cache.
        #[arg(long)]
        no_cache: bool,
        /// Say for each block whether it would run or come from the cache, and why; run
        /// nothing.
        #[arg(long)]
        explain: bool,
        /// Python blocks import the packages of this interpreter (a virtualenv's
        /// `bin/python`; same major.minor as the embedded Python). Default: `$VIRTUAL_ENV/bin/python`
        /// when `VIRTUAL_ENV` is set, else only the embedded Python's packages.
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
    },
    /// List recorded runs, or show one with each block's status, outputs and log.
    Runs {
        /// The run to show.
        id: Option<i64>,
        /// The workspace whose `.agentblocks/runs.db` to read (default: the current folder).
        #[arg(long, default_value = ".")]
        workspace: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what the result cache of a workspace holds (`.agentblocks/cache`), prune it or
    /// clear it.
    Cache {
        #[command(subcommand)]
        action: Option<CacheAction>,
        /// The workspace whose cache to use (default: the current folder; a workflow's
        /// workspace is its folder).
        #[arg(long, default_value = ".", global = true)]
        workspace: PathBuf,
    },
    /// Print a template block's code with its placeholders expanded.
    Expand {
        /// The workflow file.
        file: PathBuf,
        /// The template block's id.
        block: String,
    },
    /// Run the language server on standard input and output (LSP 3.17).
    Lsp,
    /// Convert between `.ab` text and `.agentblocks` JSON, losslessly.
    Convert {
        /// The workflow to convert; its extension says its kind.
        input: PathBuf,
        /// Where to write (atomically); its extension says the output kind. Standard output
        /// when absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The output kind (default: the kind `-o`'s extension names, else the other kind); an
        /// `-o` named for the other kind is refused.
        #[arg(long, value_enum)]
        to: Option<Target>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// The `.ab` text language.
    Dsl,
    /// The `.agentblocks` JSON format.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check { files, format } => {
            commands::check::run(&files, format == OutputFormat::Json)
        }
        Command::Blocks { format } => commands::blocks::run(format == OutputFormat::Json),
        Command::Run {
            file,
            vars,
            block,
            until,
            inputs,
            json,
            no_cache,
            explain,
            python,
        } => commands::run::run(&commands::run::RunArgs {
            file,
            vars,
            block,
            until,
            inputs,
            json,
            no_cache,
            explain,
            python,
        }),
        Command::Runs {
            id,
            workspace,
            json,
        } => commands::runs::run(&workspace, id, json),
        Command::Cache { action, workspace } => commands::cache::run(
            &workspace,
            match action {
                None => commands::cache::Action::Show,
                Some(CacheAction::Prune) => commands::cache::Action::Prune,
                Some(CacheAction::Clear) => commands::cache::Action::Clear,
            },
        ),
        Command::Expand { file, block } => commands::expand::run(&file, &block),
        Command::Fmt { files, check } => commands::fmt::run(&files, check),
        Command::Lsp => match tokio::runtime::Runtime::new() {
            Ok(runtime) => {
                runtime.block_on(agentblocks_lsp::run_stdio());
                // After `exit`, standard input may still be open: the task reading it blocks in
                // a read that cannot be cancelled, and dropping the runtime would wait for it.
                runtime.shutdown_background();
                Status::Success
            }
            Err(err) => {
                report_error(format!("cannot start the language server: {err}"));
                Status::Usage
            }
        },
        Command::Convert { input, output, to } => {
            let to = to.map(|t| match t {
                Target::Dsl => agentblocks_dsl::convert::FileKind::Dsl,
                Target::Json => agentblocks_dsl::convert::FileKind::Json,
            });
            commands::convert::run(&input, output.as_deref(), to)
        }
    };
    ExitCode::from(status as u8)
}

/// What `agentblocks cache` does besides showing the cache.
#[derive(Clone, Copy, Subcommand)]
enum CacheAction {
    /// Remove the results that are no block's most recent one (earlier versions of blocks or of
    /// their inputs); the next run is served from the cache as before.
    Prune,
    /// Remove the whole result cache: every block runs again next time. The run history stays.
    Clear,
}

/// How a command ended; the process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Everything went well.
    Success = 0,
    /// The workflow has errors (or `fmt --check` found files to change).
    Failure = 1,
    /// Bad usage or an I/O problem.
    Usage = 2,
}

/// Prints a one-line error of the tool itself (not of a workflow).
pub fn report_error(message: impl std::fmt::Display) {
    use std::io::Write as _;
    // Never panics: with standard error closed there is nobody to tell.
    let _ = writeln!(std::io::stderr(), "error: {message}");
}
