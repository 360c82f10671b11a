//! Which Python environment Python blocks import from.
//!
//! Python blocks run on the embedded CPython, one interpreter per process, so choosing an
//! interpreter (typically a virtualenv's `bin/python`) cannot mean running blocks on it. It
//! means using its packages: [`PythonEnvironment::probe`] runs the interpreter once, checks that
//! it is the embedded Python's major.minor version, and keeps the directories of its `sys.path`.
//! A run carries the choice as a [`PythonSetting`] (in [`crate::RunOptions`]); before every
//! Python block the executor makes the embedded `sys.path` hold exactly that environment's
//! directories, ahead of the embedded defaults, removing a previous environment's directories
//! and the modules imported from them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an interpreter may take to report its `sys.path`.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the interpreter is asked.
const PROBE: &str =
    "import sys, json; print(json.dumps({'version': list(sys.version_info[:2]), 'path': sys.path}))";

/// Another interpreter's environment, as the embedded Python uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonEnvironment {
    /// The interpreter, as given (absolute; symlinks kept: a virtualenv's `bin/python` is one).
    pub interpreter: PathBuf,
    /// Its `(major, minor)` version, the embedded Python's.
    pub version: (u32, u32),
    /// The existing directories of its `sys.path`, in its order, without duplicates.
    pub paths: Vec<PathBuf>,
}

/// Why an interpreter cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PythonEnvError {
    /// Nothing at that path (or, for a bare name, on the `PATH`).
    #[error("the Python interpreter `{}` does not exist", .0.display())]
    NotFound(PathBuf),
    /// A directory, or a file without execute permission.
    #[error("the Python interpreter `{}` is not an executable file", .0.display())]
    NotExecutable(PathBuf),
    /// It could not be started, failed, or answered something else than its `sys.path`.
    #[error("the Python interpreter `{}` could not report its packages: {reason}", path.display())]
    Failed {
        /// The interpreter.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Another major.minor version than the embedded interpreter's.
    #[error(
        "`{}` is Python {}.{}; Python blocks run on the embedded Python {}.{}",
        path.display(), found.0, found.1, embedded.0, embedded.1
    )]
    VersionMismatch {
        /// The interpreter.
        path: PathBuf,
        /// Its version.
        found: (u32, u32),
        /// The embedded interpreter's.
        embedded: (u32, u32),
    },
    /// This build has no embedded Python.
    #[error("this build of agentblocks has no Python executor (cargo feature `python` is off)")]
    NoEmbeddedPython,
}

impl PythonEnvironment {
    /// Runs `interpreter` (a path, or a bare name looked up on the `PATH`) with a short
    /// timeout and reads its version and `sys.path`.
    pub fn probe(interpreter: &Path) -> Result<PythonEnvironment, PythonEnvError> {
        let path = locate(interpreter)?;
        let embedded = embedded_version().ok_or(PythonEnvError::NoEmbeddedPython)?;
        let failed = |reason: String| PythonEnvError::Failed {
            path: path.clone(),
            reason,
        };
        let stdout = run_with_timeout(&path, PROBE_TIMEOUT).map_err(failed)?;
        let answer = stdout
            .lines()
            .rev()
            .find_map(|line| serde_json::from_str::<Answer>(line.trim()).ok())
            .ok_or_else(|| {
                failed(format!(
                    "expected its version and `sys.path` as JSON, got `{}`",
                    stdout.trim().chars().take(200).collect::<String>()
                ))
            })?;
        let version = match answer.version.as_slice() {
            [major, minor, ..] => (*major, *minor),
            _ => return Err(failed("its answer has no major.minor version".into())),
        };
        if version != embedded {
            return Err(PythonEnvError::VersionMismatch {
                path,
                found: version,
                embedded,
            });
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in answer.path {
            let entry = PathBuf::from(entry);
            if entry.is_absolute() && entry.is_dir() && !paths.contains(&entry) {
                paths.push(entry);
            }
        }
        Ok(PythonEnvironment {
            interpreter: path,
            version,
            paths,
        })
    }
}

#[derive(serde::Deserialize)]
struct Answer {
    version: Vec<u32>,
    path: Vec<String>,
}

/// The `(major, minor)` version of the embedded Python, when this build has one.
pub fn embedded_version() -> Option<(u32, u32)> {
    #[cfg(feature = "python")]
    {
        use pyo3::Python;
        Some(Python::with_gil(|py| {
            let info = py.version_info();
            (u32::from(info.major), u32::from(info.minor))
        }))
    }
    #[cfg(not(feature = "python"))]
    {
        None
    }
}

/// The interpreter's absolute path, checked to be an executable file.
fn locate(interpreter: &Path) -> Result<PathBuf, PythonEnvError> {
    use std::os::unix::fs::PermissionsExt;
    let is_bare = interpreter.components().count() == 1 && !interpreter.is_absolute();
    let path = if is_bare && !interpreter.starts_with(".") {
        std::env::var_os("PATH")
            .and_then(|dirs| {
                std::env::split_paths(&dirs)
                    .map(|dir| dir.join(interpreter))
                    .find(|candidate| candidate.is_file())
            })
            .ok_or_else(|| PythonEnvError::NotFound(interpreter.to_path_buf()))?
    } else {
        std::path::absolute(interpreter).unwrap_or_else(|_| interpreter.to_path_buf())
    };
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(PythonEnvError::NotFound(path))
        }
        Err(err) => {
            return Err(PythonEnvError::Failed {
                path,
                reason: err.to_string(),
            })
        }
    };
    if !metadata.is_file() || metadata.permissions().mode() & 0o111 == 0 {
        return Err(PythonEnvError::NotExecutable(path));
    }
    Ok(path)
}

/// Runs `path -c PROBE` and returns its standard output; kills it after `timeout`.
fn run_with_timeout(path: &Path, timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(path)
        .arg("-c")
        .arg(PROBE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| err.to_string())?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("it did not answer within {}s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => return Err(err.to_string()),
        }
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if !status.success() {
        let last = stderr.lines().rev().find(|line| !line.trim().is_empty());
        return Err(match last {
            Some(line) => format!("it exited with {status}: {}", line.trim()),
            None => format!("it exited with {status}"),
        });
    }
    Ok(stdout)
}

/// The Python environment a run's Python blocks import from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PythonSetting {
    /// The embedded interpreter's own `sys.path` only.
    #[default]
    Embedded,
    /// The embedded `sys.path` with another interpreter's directories first.
    Environment(Arc<PythonEnvironment>),
    /// An interpreter was chosen but cannot be used: Python blocks fail with this message
    /// rather than run with packages from elsewhere.
    Unusable(String),
}

impl PythonSetting {
    /// Probes `interpreter`: its environment, or [`PythonSetting::Unusable`] with the reason.
    pub fn probe(interpreter: &Path) -> PythonSetting {
        match PythonEnvironment::probe(interpreter) {
            Ok(environment) => PythonSetting::Environment(Arc::new(environment)),
            Err(err) => PythonSetting::Unusable(err.to_string()),
        }
    }

    /// The chosen interpreter's environment, if one is chosen and usable.
    pub fn environment(&self) -> Option<&PythonEnvironment> {
        match self {
            PythonSetting::Environment(environment) => Some(environment),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_not_executable_interpreters_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("bin/python");
        let err = PythonEnvironment::probe(&missing).unwrap_err();
        assert_eq!(err, PythonEnvError::NotFound(missing.clone()));
        assert_eq!(
            err.to_string(),
            format!(
                "the Python interpreter `{}` does not exist",
                missing.display()
            )
        );
        let err = PythonEnvironment::probe(dir.path()).unwrap_err();
        assert_eq!(err, PythonEnvError::NotExecutable(dir.path().to_path_buf()));
        let plain = dir.path().join("python");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        let err = PythonEnvironment::probe(&plain).unwrap_err();
        assert_eq!(err, PythonEnvError::NotExecutable(plain));
        let bare = PythonEnvironment::probe(Path::new("no-such-python-anywhere")).unwrap_err();
        assert!(matches!(bare, PythonEnvError::NotFound(_)), "{bare:?}");
    }
}
