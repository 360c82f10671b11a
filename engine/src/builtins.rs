//! The built-in blocks of the catalogue (`dsl::catalog`), in Rust.
//!
//! Each takes the block's properties (catalogue defaults already filled in by the plan) and its
//! input values, and returns every catalogue output. Relative paths are relative to the
//! workspace; paths that come out are absolute. `write_file` writes atomically and records the
//! file's previous content in the run's [`Journal`] for rollback.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value as Json};

use crate::cache::{resolve, write_atomic};
use crate::events::ErrorKind;
use crate::run::Failure;
use crate::value::Value;

/// The files built-ins wrote during a run, with what they held before, for rollback.
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<Vec<(PathBuf, Option<Vec<u8>>)>>,
}

impl Journal {
    /// Remembers `path`'s current content, the first time it is written in this run.
    pub fn remember(&self, path: &Path) {
        let previous = fs::read(path).ok();
        if let Ok(mut entries) = self.entries.lock() {
            if !entries.iter().any(|(p, _)| p == path) {
                entries.push((path.to_path_buf(), previous));
            }
        }
    }

    /// Puts every remembered file back as it was (removing those that did not exist), newest
    /// first; returns the files restored and the ones that could not be.
    pub fn restore(&self) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
        let entries = match self.entries.lock() {
            Ok(mut entries) => std::mem::take(&mut *entries),
            Err(_) => return (Vec::new(), Vec::new()),
        };
        let mut restored = Vec::new();
        let mut failed = Vec::new();
        for (path, previous) in entries.into_iter().rev() {
            let result = match &previous {
                Some(bytes) => write_atomic(&path, bytes),
                None => fs::remove_file(&path).or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }),
            };
            match result {
                Ok(()) => restored.push(path),
                Err(e) => failed.push((path, e.to_string())),
            }
        }
        (restored, failed)
    }
}

/// What a built-in needs besides its properties and inputs.
pub struct BuiltinContext<'a> {
    /// The workspace folder.
    pub workspace: &'a Path,
    /// Where `write_file` records previous contents.
    pub journal: &'a Journal,
    /// The block's timeout (used by `http_request` when it has none of its own).
    pub timeout: Option<Duration>,
    /// Receives progress (fraction done when known, and what is being done); the scheduler
    /// turns it into `progress` events. Built-ins call it through [`Progress`], never per item.
    pub progress: &'a (dyn Fn(Option<f64>, String) + Sync),
}

/// Rate-limits a built-in's progress reports: at most one every [`Progress::INTERVAL`], and
/// with a known fraction only when it moved on by [`Progress::STEP`] or by 1% after the
/// interval, so a block reports at most about a hundred times however many items it has.
pub struct Progress<'a> {
    report: &'a (dyn Fn(Option<f64>, String) + Sync),
    last_at: Option<Instant>,
    last_fraction: f64,
}

impl<'a> Progress<'a> {
    /// Least time between two reports without a fraction.
    pub const INTERVAL: Duration = Duration::from_millis(100);
    /// A fraction this much further on is reported at once.
    pub const STEP: f64 = 0.05;

    /// A reporter sending to `report`.
    pub fn new(report: &'a (dyn Fn(Option<f64>, String) + Sync)) -> Progress<'a> {
        Progress {
            report,
            last_at: None,
            last_fraction: 0.0,
        }
    }

    /// Reports `done` of `total` items (`total` unknown: `None`) if it is time to;
    /// `message` is only built when it is.
    pub fn update(&mut self, done: u64, total: Option<u64>, message: impl FnOnce() -> String) {
        let now = Instant::now();
        let waited = self
            .last_at
            .is_none_or(|last| now.duration_since(last) >= Self::INTERVAL);
        let fraction = total.map(|total| {
            if total == 0 {
                1.0
            } else {
                (done as f64 / total as f64).clamp(0.0, 1.0)
            }
        });
        let due = match fraction {
            None => waited,
            Some(f) => {
                let moved = f - self.last_fraction;
                moved >= Self::STEP || (waited && moved >= 0.01)
            }
        };
        if due {
            self.send(fraction, message(), now);
        }
    }

    /// Reports the end (fraction 1), always.
    pub fn finish(&mut self, message: String) {
        self.send(Some(1.0), message, Instant::now());
    }

    fn send(&mut self, fraction: Option<f64>, message: String, now: Instant) {
        self.last_at = Some(now);
        if let Some(f) = fraction {
            self.last_fraction = f;
        }
        (self.report)(fraction, message);
    }
}

/// Runs built-in block `block_type`.
pub async fn run_builtin(
    block_type: &str,
    properties: &Map<String, Json>,
    inputs: &[(String, Value)],
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let props = Props(properties);
    match block_type {
        "find_files" => find_files(&props, ctx),
        "read_file" => {
            let path = resolve(ctx.workspace, Path::new(props.str("path")?));
            let content =
                fs::read_to_string(&path).map_err(|e| io_failure("cannot read", &path, &e))?;
            Ok(vec![("content".into(), Value::String(content))])
        }
        "write_file" => write_file(&props, inputs, ctx),
        "filter_content" => filter_content(&props, inputs, ctx),
        "transform_text" => transform_text(&props, inputs),
        "http_request" => http_request(&props, ctx).await,
        "list_directory" => list_directory(&props, ctx),
        "json_parse" => {
            let text = input_text(inputs, "text")?;
            let value: Json = serde_json::from_str(&text).map_err(|e| {
                Failure::new(ErrorKind::Failed, format!("input `text` is not JSON: {e}"))
            })?;
            Ok(vec![("value".into(), Value::from_json(&value))])
        }
        "merge" => {
            let mut merged = Vec::new();
            for name in ["a", "b", "c"] {
                match input(inputs, name) {
                    Some(Value::List(items)) => merged.extend(items.iter().cloned()),
                    Some(Value::Null) | None if name == "c" => {}
                    Some(value) => merged.push(value.clone()),
                    None => {}
                }
            }
            Ok(vec![("merged".into(), Value::List(merged))])
        }
        other => Err(Failure::new(
            ErrorKind::Unsupported,
            format!("`{other}` is not a built-in block this engine knows"),
        )),
    }
}

struct Props<'a>(&'a Map<String, Json>);

impl Props<'_> {
    fn str(&self, name: &str) -> Result<&str, Failure> {
        self.0.get(name).and_then(Json::as_str).ok_or_else(|| {
            Failure::new(
                ErrorKind::Setup,
                format!("property `{name}` must be set to a string"),
            )
        })
    }

    fn opt_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Json::as_str)
    }

    fn bool(&self, name: &str) -> bool {
        self.0.get(name).and_then(Json::as_bool).unwrap_or(false)
    }

    fn strings(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Some(Json::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

fn input<'v>(inputs: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn input_text(inputs: &[(String, Value)], name: &str) -> Result<String, Failure> {
    match input(inputs, name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Path(p)) => Ok(p.to_string_lossy().into_owned()),
        Some(Value::Null) | None => Err(Failure::new(
            ErrorKind::Failed,
            format!("input `{name}` has no value"),
        )),
        Some(other) => Ok(other.to_json().to_string()),
    }
}

fn io_failure(what: &str, path: &Path, error: &std::io::Error) -> Failure {
    Failure::new(
        ErrorKind::Failed,
        format!("{what} `{}`: {}", path.display(), io_reason(error)),
    )
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

fn glob_set(patterns: &[String]) -> Result<GlobSet, Failure> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| {
            Failure::new(
                ErrorKind::Setup,
                format!("bad glob pattern `{pattern}`: {e}"),
            )
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| Failure::new(ErrorKind::Setup, format!("bad glob patterns: {e}")))
}

/// The entries under `root` that `keep` accepts (it sees each entry once, as it is found).
fn walk(
    root: &Path,
    recursive: bool,
    mut keep: impl FnMut(&walkdir::DirEntry) -> bool,
) -> Result<Vec<walkdir::DirEntry>, Failure> {
    let metadata = fs::metadata(root).map_err(|e| io_failure("cannot read directory", root, &e))?;
    if !metadata.is_dir() {
        return Err(Failure::new(
            ErrorKind::Failed,
            format!("`{}` is not a directory", root.display()),
        ));
    }
    let mut walker = walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name();
    if !recursive {
        walker = walker.max_depth(1);
    }
    let mut entries = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| {
            Failure::new(
                ErrorKind::Failed,
                format!("cannot list `{}`: {e}", root.display()),
            )
        })?;
        if keep(&entry) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn find_files(
    props: &Props<'_>,
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let root = resolve(ctx.workspace, Path::new(props.str("directory")?));
    let mut patterns = props.strings("patterns");
    if patterns.is_empty() {
        patterns.push("*".into());
    }
    let set = glob_set(&patterns)?;
    let recursive = props
        .0
        .get("recursive")
        .and_then(Json::as_bool)
        .unwrap_or(true);
    let max_files = props
        .0
        .get("max_files")
        .and_then(Json::as_u64)
        .map(|n| n as usize);
    let mut progress = Progress::new(ctx.progress);
    let mut found = 0u64;
    let mut files: Vec<PathBuf> = walk(&root, recursive, |e| {
        let relative = e.path().strip_prefix(&root).unwrap_or(e.path());
        let keep =
            e.file_type().is_file() && (set.is_match(e.file_name()) || set.is_match(relative));
        if keep {
            found += 1;
            // How many files there are is not known until the walk ends.
            progress.update(found, None, || {
                format!("{} found", counted(found, "file", "files"))
            });
        }
        keep
    })?
    .into_iter()
    .map(|e| e.into_path())
    .collect();
    files.sort();
    if let Some(max) = max_files {
        files.truncate(max);
    }
    progress.finish(format!("{} found", counted(files.len(), "file", "files")));
    Ok(vec![(
        "files".into(),
        Value::List(files.into_iter().map(Value::Path).collect()),
    )])
}

fn list_directory(
    props: &Props<'_>,
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let root = resolve(ctx.workspace, Path::new(props.str("path")?));
    let mut progress = Progress::new(ctx.progress);
    let mut listed = 0u64;
    let mut entries: Vec<PathBuf> = walk(&root, props.bool("recursive"), |_| {
        listed += 1;
        progress.update(listed, None, || {
            format!("{} listed", counted(listed, "entry", "entries"))
        });
        true
    })?
    .into_iter()
    .map(|e| e.into_path())
    .collect();
    entries.sort();
    progress.finish(format!(
        "{} listed",
        counted(entries.len(), "entry", "entries")
    ));
    Ok(vec![(
        "entries".into(),
        Value::List(entries.into_iter().map(Value::Path).collect()),
    )])
}

fn write_file(
    props: &Props<'_>,
    inputs: &[(String, Value)],
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let path = resolve(ctx.workspace, Path::new(props.str("path")?));
    let content = input_text(inputs, "content")?;
    ctx.journal.remember(&path);
    let bytes = if props.bool("append") {
        let mut previous = fs::read(&path).unwrap_or_default();
        previous.extend_from_slice(content.as_bytes());
        previous
    } else {
        content.into_bytes()
    };
    write_atomic(&path, &bytes).map_err(|e| io_failure("cannot write", &path, &e))?;
    Ok(vec![("path".into(), Value::Path(path))])
}

fn filter_content(
    props: &Props<'_>,
    inputs: &[(String, Value)],
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let pattern = props.str("pattern")?;
    let regex = if props.bool("regex") {
        Some(regex::Regex::new(pattern).map_err(|e| {
            Failure::new(
                ErrorKind::Setup,
                format!("bad regular expression `{pattern}`: {e}"),
            )
        })?)
    } else {
        None
    };
    let invert = props.bool("invert");
    let files = match input(inputs, "files") {
        Some(Value::List(items)) => items.clone(),
        _ => Vec::new(),
    };
    let total = files.len() as u64;
    let mut progress = Progress::new(ctx.progress);
    let mut kept = Vec::new();
    for (read, file) in files.into_iter().enumerate() {
        progress.update(read as u64, Some(total), || {
            format!("{read} of {} read", counted(total, "file", "files"))
        });
        let path = match &file {
            Value::Path(p) => p.clone(),
            Value::String(s) => PathBuf::from(s),
            _ => continue,
        };
        let full = resolve(ctx.workspace, &path);
        let text = fs::read(&full).map_err(|e| io_failure("cannot read", &full, &e))?;
        let text = String::from_utf8_lossy(&text);
        let matched = match &regex {
            Some(regex) => regex.is_match(&text),
            None => text.contains(pattern),
        };
        if matched != invert {
            kept.push(Value::Path(full));
        }
    }
    progress.finish(format!(
        "{total} of {total} files read, {} kept",
        kept.len()
    ));
    Ok(vec![("files".into(), Value::List(kept))])
}

fn transform_text(
    props: &Props<'_>,
    inputs: &[(String, Value)],
) -> Result<Vec<(String, Value)>, Failure> {
    let text = input_text(inputs, "text")?;
    let out = match props.str("operation")? {
        "upper" => text.to_uppercase(),
        "lower" => text.to_lowercase(),
        "trim" => text.trim().to_string(),
        "replace" => text.replace(props.str("find")?, props.opt_str("replace").unwrap_or("")),
        "regex_replace" => {
            let find = props.str("find")?;
            let regex = regex::Regex::new(find).map_err(|e| {
                Failure::new(
                    ErrorKind::Setup,
                    format!("bad regular expression `{find}`: {e}"),
                )
            })?;
            regex
                .replace_all(&text, props.opt_str("replace").unwrap_or(""))
                .into_owned()
        }
        "template" => props.str("template")?.replace("{text}", &text),
        other => {
            return Err(Failure::new(
                ErrorKind::Setup,
                format!("unknown operation `{other}`"),
            ))
        }
    };
    Ok(vec![("text".into(), Value::String(out))])
}

async fn http_request(
    props: &Props<'_>,
    ctx: &BuiltinContext<'_>,
) -> Result<Vec<(String, Value)>, Failure> {
    let url = props.str("url")?;
    let method = props.opt_str("method").unwrap_or("GET");
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| Failure::new(ErrorKind::Setup, format!("unknown HTTP method `{method}`")))?;
    let timeout = props
        .0
        .get("timeout")
        .and_then(Json::as_f64)
        .filter(|t| t.is_finite() && *t > 0.0)
        .map(Duration::from_secs_f64)
        .or(ctx.timeout)
        .unwrap_or(Duration::from_secs(30));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| Failure::new(ErrorKind::Setup, format!("cannot make an HTTP client: {e}")))?;
    let mut request = client.request(method, url);
    if let Some(Json::Object(headers)) = props.0.get("headers") {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                request = request.header(name.as_str(), value);
            }
        }
    }
    if let Some(body) = props.opt_str("body") {
        request = request.body(body.to_string());
    }
    let response = request.send().await.map_err(|e| {
        Failure::new(
            ErrorKind::Failed,
            format!("request to `{url}` failed: {}", error_chain(&e)),
        )
    })?;
    let status = response.status().as_u16();
    let length = response.content_length();
    let mut progress = Progress::new(ctx.progress);
    let mut response = response;
    let mut bytes = Vec::with_capacity(length.unwrap_or(0).min(16 << 20) as usize);
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        Failure::new(
            ErrorKind::Failed,
            format!("reading the response of `{url}` failed: {e}"),
        )
    })? {
        bytes.extend_from_slice(&chunk);
        let received = bytes.len() as u64;
        progress.update(received, length, || match length {
            Some(length) => format!(
                "{received} of {} received",
                counted(length, "byte", "bytes")
            ),
            None => format!("{} received", counted(received, "byte", "bytes")),
        });
    }
    progress.finish(format!(
        "{} received",
        counted(bytes.len(), "byte", "bytes")
    ));
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str::<Json>(&body)
        .map(|j| Value::from_json(&j))
        .unwrap_or(Value::Null);
    Ok(vec![
        ("status".into(), Value::Integer(i64::from(status))),
        ("body".into(), Value::String(body)),
        ("json".into(), json),
    ])
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `n` and the noun it counts: `1 file`, `2 files`.
fn counted(n: impl TryInto<u64>, one: &str, many: &str) -> String {
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => Map::new(),
        }
    }

    async fn call(
        block_type: &str,
        properties: Json,
        inputs: Vec<(String, Value)>,
        workspace: &Path,
        journal: &Journal,
    ) -> Result<Vec<(String, Value)>, Failure> {
        let ctx = BuiltinContext {
            workspace,
            journal,
            timeout: None,
            progress: &|_, _| {},
        };
        run_builtin(block_type, &props(properties), &inputs, &ctx).await
    }

    #[tokio::test]
    async fn find_files_is_sorted_recursive_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src/sub")).unwrap();
        for name in ["src/b.cpp", "src/a.hpp", "src/sub/c.cpp", "src/x.txt"] {
            fs::write(dir.path().join(name), "").unwrap();
        }
        let journal = Journal::default();
        let out = call(
            "find_files",
            json!({"directory": "src", "patterns": ["*.cpp", "*.hpp"], "recursive": true}),
            vec![],
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        let Value::List(files) = &out[0].1 else {
            panic!()
        };
        let names: Vec<String> = files
            .iter()
            .map(|f| match f {
                Value::Path(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(names, ["src/a.hpp", "src/b.cpp", "src/sub/c.cpp"]);
        let out = call(
            "find_files",
            json!({"directory": "src", "patterns": ["*.cpp"], "recursive": false, "max_files": 1}),
            vec![],
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        assert_eq!(
            out[0].1,
            Value::List(vec![Value::Path(dir.path().join("src/b.cpp"))])
        );
    }

    #[tokio::test]
    async fn write_file_is_journalled_and_restored() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::default();
        fs::write(dir.path().join("old.txt"), "before").unwrap();
        for path in ["old.txt", "out/new.txt"] {
            call(
                "write_file",
                json!({"path": path}),
                vec![("content".into(), Value::String("after".into()))],
                dir.path(),
                &journal,
            )
            .await
            .unwrap();
        }
        assert_eq!(
            fs::read_to_string(dir.path().join("old.txt")).unwrap(),
            "after"
        );
        let (restored, failed) = journal.restore();
        assert_eq!((restored.len(), failed.len()), (2, 0));
        assert_eq!(
            fs::read_to_string(dir.path().join("old.txt")).unwrap(),
            "before"
        );
        assert!(!dir.path().join("out/new.txt").exists());
    }

    #[tokio::test]
    async fn text_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::default();
        let text = |s: &str| vec![("text".to_string(), Value::String(s.into()))];
        let cases = [
            (json!({"operation": "upper"}), " ab ", " AB "),
            (json!({"operation": "trim"}), " ab ", "ab"),
            (
                json!({"operation": "replace", "find": "a", "replace": "x"}),
                "aba",
                "xbx",
            ),
            (
                json!({"operation": "regex_replace", "find": "(b+)", "replace": "<$1>"}),
                "abba",
                "a<bb>a",
            ),
            (
                json!({"operation": "template", "template": "[{text}]"}),
                "x",
                "[x]",
            ),
        ];
        for (properties, input, expected) in cases {
            let out = call(
                "transform_text",
                properties,
                text(input),
                dir.path(),
                &journal,
            )
            .await
            .unwrap();
            assert_eq!(out[0].1, Value::String(expected.into()));
        }
        let out = call(
            "json_parse",
            json!({}),
            text("[1, 2]"),
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        assert_eq!(
            out[0].1,
            Value::List(vec![Value::Integer(1), Value::Integer(2)])
        );
        let err = call("json_parse", json!({}), text("nope"), dir.path(), &journal)
            .await
            .unwrap_err();
        assert!(err.message.contains("not JSON"), "{}", err.message);
        let out = call(
            "merge",
            json!({}),
            vec![
                ("a".into(), Value::List(vec![Value::Integer(1)])),
                ("b".into(), Value::Integer(2)),
            ],
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        assert_eq!(
            out[0].1,
            Value::List(vec![Value::Integer(1), Value::Integer(2)])
        );
    }

    #[tokio::test]
    async fn filter_content_matches_and_inverts() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "has GetMouseDown").unwrap();
        fs::write(dir.path().join("b"), "nothing").unwrap();
        let journal = Journal::default();
        let files = vec![(
            "files".to_string(),
            Value::List(vec![Value::Path("a".into()), Value::Path("b".into())]),
        )];
        let out = call(
            "filter_content",
            json!({"pattern": "Get\\w+Down", "regex": true}),
            files.clone(),
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        assert_eq!(
            out[0].1,
            Value::List(vec![Value::Path(dir.path().join("a"))])
        );
        let out = call(
            "filter_content",
            json!({"pattern": "GetMouseDown", "invert": true}),
            files,
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        assert_eq!(
            out[0].1,
            Value::List(vec![Value::Path(dir.path().join("b"))])
        );
    }

    #[tokio::test]
    async fn http_request_talks_to_a_local_server() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = [0u8; 4096];
            let n = stream.read(&mut buffer).unwrap();
            let request = String::from_utf8_lossy(&buffer[..n]).to_string();
            let body = r#"{"ok": true}"#;
            write!(
                stream,
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            request
        });
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::default();
        let out = call(
            "http_request",
            json!({"url": format!("http://{address}/hook"), "method": "POST", "headers": {"X-Test": "1"}, "body": "hello"}),
            vec![],
            dir.path(),
            &journal,
        )
        .await
        .unwrap();
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /hook"), "{request}");
        assert!(request.to_lowercase().contains("x-test: 1"));
        assert_eq!(out[0].1, Value::Integer(201));
        assert_eq!(
            out[2].1,
            Value::Dict(vec![("ok".into(), Value::Bool(true))])
        );
    }

    #[tokio::test]
    async fn http_request_reports_bytes_received_of_the_content_length() {
        use std::io::{Read, Write};
        const SIZE: usize = 1 << 20;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).unwrap();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            for _ in 0..SIZE / 4096 {
                stream.write_all(&[b'x'; 4096]).unwrap();
                stream.flush().unwrap();
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::default();
        let reports = Mutex::new(Vec::new());
        let progress = |fraction: Option<f64>, message: String| {
            reports.lock().unwrap().push((fraction, message));
        };
        let ctx = BuiltinContext {
            workspace: dir.path(),
            journal: &journal,
            timeout: None,
            progress: &progress,
        };
        let out = run_builtin(
            "http_request",
            &props(json!({"url": format!("http://{address}/big")})),
            &[],
            &ctx,
        )
        .await
        .unwrap();
        server.join().unwrap();
        assert_eq!(out[1].1, Value::String("x".repeat(SIZE)));
        let reports = reports.into_inner().unwrap();
        let fractions: Vec<f64> = reports.iter().map(|(f, _)| f.unwrap()).collect();
        assert!(
            fractions.iter().all(|f| (0.0..=1.0).contains(f)),
            "{fractions:?}"
        );
        assert_eq!(fractions.last(), Some(&1.0));
        assert!(reports.len() <= 102, "{} reports", reports.len());
        assert_eq!(reports.last().unwrap().1, format!("{SIZE} bytes received"));
        assert!(
            reports[0].1.ends_with(&format!("of {SIZE} bytes received")),
            "{reports:?}"
        );
    }

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(super::counted(1usize, "file", "files"), "1 file");
        assert_eq!(super::counted(0u64, "file", "files"), "0 files");
        assert_eq!(super::counted(2usize, "entry", "entries"), "2 entries");
    }

    #[test]
    fn progress_without_a_total_waits_between_reports() {
        let reports = Mutex::new(Vec::new());
        let report = |fraction: Option<f64>, message: String| {
            reports.lock().unwrap().push((fraction, message));
        };
        let mut progress = Progress::new(&report);
        for i in 0..10_000u64 {
            progress.update(i, None, || i.to_string());
        }
        progress.finish("done".into());
        let reports = reports.into_inner().unwrap();
        // The first report goes at once; the next only after the interval.
        assert_eq!(reports[0], (None, "0".into()));
        assert_eq!(reports.last().unwrap(), &(Some(1.0), "done".into()));
        assert!(reports.len() < 100, "{} reports", reports.len());
    }
}
