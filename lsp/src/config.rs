//! Workspace settings, from `workspace/didChangeConfiguration` (`{"agentblocks": {...}}`).

use serde::Deserialize;

/// The server's settings.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    /// The Python interpreter whose packages Python blocks import (typically a virtualenv's
    /// `bin/python`; it must be the embedded Python's major.minor version). Blocks still run on
    /// the embedded Python: the interpreter's `sys.path` directories go first on its `sys.path`.
    /// Empty or absent: the embedded Python's packages only.
    pub python_path: Option<String>,
    /// Whether runs reuse cached block results (on unless set to false).
    pub cache: Option<bool>,
    /// A run's time limit, in seconds.
    pub run_timeout: Option<f64>,
}

impl Config {
    /// Reads settings sent by a client: either `{"agentblocks": {...}}` or the object itself.
    /// Unknown or ill-typed settings are ignored.
    pub fn from_settings(settings: &serde_json::Value) -> Config {
        let section = settings.get("agentblocks").unwrap_or(settings);
        serde_json::from_value(section.clone()).unwrap_or_default()
    }

    /// Whether the cache is on.
    pub fn cache_enabled(&self) -> bool {
        self.cache.unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_or_flat_settings() {
        let nested = serde_json::json!({"agentblocks": {"pythonPath": "/usr/bin/python3", "cache": false, "runTimeout": 30}});
        let config = Config::from_settings(&nested);
        assert_eq!(config.python_path.as_deref(), Some("/usr/bin/python3"));
        assert!(!config.cache_enabled());
        assert_eq!(config.run_timeout, Some(30.0));
        assert_eq!(
            Config::from_settings(&serde_json::json!(3)),
            Config::default()
        );
    }
}
