//! Python environments for tests of the `--python` / `pythonPath` settings (included by path
//! from the engine's, the CLI's and the language server's tests).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use agentblocks_engine::executors::python_env::embedded_version;

/// An interpreter of the embedded Python's version on the `PATH`, to make virtualenvs with.
pub fn matching_python() -> PathBuf {
    let (major, minor) = embedded_version().expect("the python feature is on");
    [format!("python{major}.{minor}"), "python3".to_string()]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
                .output()
                .is_ok_and(|out| {
                    String::from_utf8_lossy(&out.stdout).trim() == format!("{major}.{minor}")
                })
        })
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("these tests need a Python {major}.{minor} on the PATH"))
}

/// A virtualenv `dir/venv` whose site-packages holds the module `abtiny` (`VALUE = 42`);
/// returns the virtualenv's folder (its interpreter is `bin/python`).
pub fn venv_with_module(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let status = Command::new(matching_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python runs");
    assert!(status.success(), "python -m venv failed");
    let (major, minor) = embedded_version().expect("the python feature is on");
    let site = venv.join(format!("lib/python{major}.{minor}/site-packages"));
    assert!(site.is_dir(), "no {}", site.display());
    std::fs::write(site.join("abtiny.py"), "VALUE = 42\n").expect("the module is written");
    venv
}

/// An executable `dir/python3.99` that answers the interpreter probe as Python 3.99.
pub fn fake_python_3_99(dir: &Path) -> PathBuf {
    let fake = dir.join("python3.99");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho '{\"version\": [3, 99], \"path\": [\"/tmp\"]}'\n",
    )
    .expect("the fake is written");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755))
        .expect("the fake is executable");
    fake
}
