//! Standard output of the commands. `println!` panics when it cannot write (a closed pipe:
//! `agentblocks runs | head -1`); these macros return the error instead, and [`failed`] turns it
//! into the exit status: quiet for a closed pipe (the reader has what it wanted), one error line
//! otherwise.

use std::io::ErrorKind;

use crate::{report_error, Status};

/// `println!` to standard output that returns `std::io::Result<()>` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` to standard output (flushed) that returns `std::io::Result<()>`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*).and_then(|()| stdout.flush())
    }};
}

pub(crate) use {out, outln};

/// The exit status of a command whose standard output failed: 2 (an I/O problem), with an error
/// line unless the reader closed the pipe.
pub fn failed(error: &std::io::Error) -> Status {
    if error.kind() != ErrorKind::BrokenPipe {
        report_error(format_args!("cannot write to standard output: {error}"));
    }
    Status::Usage
}
