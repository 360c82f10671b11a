//! Workspace settings, from `workspace/didChangeConfiguration` (`{"agentblocks": {...}}`).

/// The server's settings.
#[derive(Clone, Debug, Default, PartialEq)]
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
    /// Each setting is read on its own: one of the wrong type is left out (and named in the
    /// problems returned), never the others with it. Unknown settings are not this server's
    /// (an editor sends its own beside them) and are passed over.
    pub fn from_settings(settings: &serde_json::Value) -> (Config, Vec<String>) {
        let section = settings.get("agentblocks").unwrap_or(settings);
        let mut config = Config::default();
        let mut problems = Vec::new();
        let Some(section) = section.as_object() else {
            if !section.is_null() {
                problems.push(format!("the settings are not an object: {section}"));
            }
            return (config, problems);
        };
        let mut problem = |name: &str, expected: &str, found: &serde_json::Value| {
            problems.push(format!("`{name}` must be {expected}, not {found}"));
        };
        match section.get("pythonPath") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(path)) => config.python_path = Some(path.clone()),
            Some(other) => problem("pythonPath", "a path", other),
        }
        match section.get("cache") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Bool(on)) => config.cache = Some(*on),
            Some(other) => problem("cache", "true or false", other),
        }
        match section.get("runTimeout") {
            None | Some(serde_json::Value::Null) => {}
            // The rule of every timeout a workflow sets.
            Some(value) => match agentblocks_dsl::check::settings::seconds(value) {
                Some(seconds) => config.run_timeout = Some(seconds),
                None => problem("runTimeout", "a number of seconds above 0", value),
            },
        }
        (config, problems)
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
        let (config, problems) = Config::from_settings(&nested);
        assert_eq!(config.python_path.as_deref(), Some("/usr/bin/python3"));
        assert!(!config.cache_enabled());
        assert_eq!(config.run_timeout, Some(30.0));
        assert!(problems.is_empty());
        let (config, problems) = Config::from_settings(&serde_json::json!(3));
        assert_eq!(config, Config::default());
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn one_bad_setting_leaves_the_others() {
        let settings = serde_json::json!({"pythonPath": "/venv/bin/python", "cache": "yes", "runTimeout": "abc", "trace": {"server": "off"}});
        let (config, problems) = Config::from_settings(&settings);
        assert_eq!(config.python_path.as_deref(), Some("/venv/bin/python"));
        assert!(config.cache_enabled());
        assert_eq!(config.run_timeout, None);
        assert_eq!(
            problems,
            [
                "`cache` must be true or false, not \"yes\"",
                "`runTimeout` must be a number of seconds above 0, not \"abc\""
            ]
        );
    }
}
