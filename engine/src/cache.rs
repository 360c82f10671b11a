//! The result cache: a block's outputs stored under a hash of everything they depend on, so a
//! second run re-executes only what changed, and can say why a block will run again.
//!
//! The key hashes the engine version, the block's definition (its JSON minus the name,
//! description and canvas position), its code, its properties and each input value; a `Path`
//! value also hashes the size and modification time of the file it names, so editing a file
//! that a block reads re-runs the block. Entries live in `<workspace>/.agentblocks/cache/`:
//! `entries/<key>.json` holds a result, `latest/<workflow>-<block>.json` the result the block's
//! last run used, run or served from the cache (what `--explain` compares against, `--block`
//! reads upstream outputs from and `prune` keeps).
//!
//! Blocks that look at the world rather than their inputs (`find_files`, `list_directory`,
//! `http_request`) and those with side effects (`write_file`) always run.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use agentblocks_dsl::json::write::block_value;
use agentblocks_dsl::model::BlockKind;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::executors::PythonSetting;
use crate::plan::{PlannedBlock, Work};
use crate::value::Value;

/// The engine version that goes into every key: a new engine re-runs everything once.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The hashed parts of a key, kept so a later run can say which part changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyParts {
    /// The engine version.
    pub engine: String,
    /// The block's definition without code and properties (kind, ports).
    pub definition: String,
    /// The code (or template).
    pub code: String,
    /// The properties.
    pub properties: String,
    /// Each input value, by port; files a block reads appear as `file <path>`.
    pub inputs: BTreeMap<String, String>,
    /// For Python blocks run with another interpreter's packages: a hash of that environment
    /// (interpreter and `sys.path`); empty otherwise, which leaves the key as it was.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub environment: String,
}

impl KeyParts {
    /// The key: a hash of all the parts.
    pub fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.engine.as_bytes());
        hasher.update([0]);
        hasher.update(self.definition.as_bytes());
        hasher.update([0]);
        hasher.update(self.code.as_bytes());
        hasher.update([0]);
        hasher.update(self.properties.as_bytes());
        for (name, hash) in &self.inputs {
            hasher.update([0]);
            hasher.update(name.as_bytes());
            hasher.update([1]);
            hasher.update(hash.as_bytes());
        }
        if !self.environment.is_empty() {
            hasher.update([2]);
            hasher.update(self.environment.as_bytes());
        }
        hex(&hasher.finalize()[..16])
    }
}

/// One cached result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Its key.
    pub key: String,
    /// The block's id.
    pub block: String,
    /// When it was made, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// What the key was made of.
    pub parts: KeyParts,
    /// The outputs as JSON, in port order.
    pub outputs: Vec<(String, Json)>,
}

/// A workspace's cache, seen from one workflow.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    workflow_tag: String,
}

impl Cache {
    /// The cache of `workspace` for the workflow file `workflow_path`. Nothing is created
    /// until something is stored.
    pub fn open(workspace: &Path, workflow_path: &Path) -> Cache {
        let name = workflow_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let full = std::path::absolute(workflow_path).unwrap_or_else(|_| workflow_path.into());
        let tag = format!(
            "{}-{}",
            sanitize(&name),
            &hash_str(&full.to_string_lossy())[..8]
        );
        Cache {
            dir: cache_dir(workspace),
            workflow_tag: tag,
        }
    }

    /// The result stored under `key`.
    pub fn get(&self, key: &str) -> Option<CacheEntry> {
        read_entry(&self.dir.join("entries").join(format!("{key}.json")))
    }

    /// The block's most recent result, whatever its key.
    pub fn latest(&self, block: &str) -> Option<CacheEntry> {
        read_entry(&self.latest_path(block))
    }

    /// Stores a result (atomically; a failure to write only loses the cache entry).
    pub fn put(&self, entry: &CacheEntry) -> std::io::Result<()> {
        let text = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        write_atomic(
            &self.dir.join("entries").join(format!("{}.json", entry.key)),
            text.as_bytes(),
        )?;
        write_atomic(&self.latest_path(&entry.block), text.as_bytes())
    }

    /// Makes `entry` the block's most recent result without storing a keyed entry: for blocks
    /// that always run (their outputs still feed `--block` and `explain`), and for a result
    /// served from the cache (the latest result is the one the last run used). Nothing is
    /// written when it already is (a run served wholly from the cache writes nothing).
    pub fn put_latest(&self, entry: &CacheEntry) -> std::io::Result<()> {
        let text = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        let path = self.latest_path(&entry.block);
        if fs::read(&path).is_ok_and(|held| held == text.as_bytes()) {
            return Ok(());
        }
        write_atomic(&path, text.as_bytes())
    }

    fn latest_path(&self, block: &str) -> PathBuf {
        self.dir
            .join("latest")
            .join(format!("{}-{}.json", self.workflow_tag, sanitize(block)))
    }
}

fn read_entry(path: &Path) -> Option<CacheEntry> {
    let text = fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ));
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// The cache folder of a workspace.
pub fn cache_dir(workspace: &Path) -> PathBuf {
    workspace.join(".agentblocks").join("cache")
}

/// What a workspace's cache holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Keyed results (`entries/`).
    pub entries: usize,
    /// Their size in bytes.
    pub entry_bytes: u64,
    /// Of those, the results no block's most recent result is: what [`prune`] removes
    /// (besides temporary files of interrupted writes).
    pub superseded: usize,
    /// Their size in bytes.
    pub superseded_bytes: u64,
    /// Most recent results, one a block of each workflow run here (`latest/`).
    pub latest: usize,
    /// Their size in bytes.
    pub latest_bytes: u64,
}

/// What [`prune`] or [`clear`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Files removed.
    pub files: usize,
    /// Their size in bytes.
    pub bytes: u64,
}

/// A temporary file of [`write_atomic`] older than this was left by a write that never
/// finished (a killed process); younger ones may belong to a run writing right now.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(600);

/// One file of a cache folder.
struct CacheFile {
    path: PathBuf,
    bytes: u64,
    /// The key of a result file (`<key>.json`); `None` for a temporary file of a write.
    key: Option<String>,
    /// A temporary file left by a write that never finished.
    stale_temp: bool,
}

/// The files of `<cache>/<folder>`; none when the folder does not exist. A file that goes
/// while it is listed (a run renaming its temporary file) is passed over.
fn cache_files(workspace: &Path, folder: &str) -> std::io::Result<Vec<CacheFile>> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let read = match fs::read_dir(cache_dir(workspace).join(folder)) {
        Ok(read) => read,
        Err(e) if gone(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for item in read {
        let item = item?;
        let meta = match item.metadata() {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => continue,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        let name = item.file_name().to_string_lossy().into_owned();
        let key = name.strip_suffix(".json").map(str::to_owned);
        let temp = name.starts_with('.') && name.ends_with(".tmp");
        if key.is_none() && !temp {
            continue;
        }
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok());
        files.push(CacheFile {
            path: item.path(),
            bytes: meta.len(),
            stale_temp: temp && age.is_some_and(|age| age > STALE_TEMP),
            key: key.filter(|_| !temp),
        });
    }
    Ok(files)
}

/// A cache's files: the most recent results, the keyed results, and the keys the most recent
/// results name (the results [`prune`] keeps).
struct Scan {
    latest: Vec<CacheFile>,
    entries: Vec<CacheFile>,
    keep: std::collections::HashSet<String>,
}

impl Scan {
    fn of(workspace: &Path) -> std::io::Result<Scan> {
        #[derive(Deserialize)]
        struct KeyOnly {
            key: String,
        }
        let latest = cache_files(workspace, "latest")?;
        let keep = latest
            .iter()
            .filter(|file| file.key.is_some())
            .filter_map(|file| {
                let text = fs::read_to_string(&file.path).ok()?;
                serde_json::from_str::<KeyOnly>(&text).ok().map(|k| k.key)
            })
            .collect();
        Ok(Scan {
            entries: cache_files(workspace, "entries")?,
            latest,
            keep,
        })
    }

    /// True for a result no block's most recent result is.
    fn superseded(&self, file: &CacheFile) -> bool {
        file.key
            .as_ref()
            .is_some_and(|key| !self.keep.contains(key))
    }
}

/// What the cache of `workspace` holds.
pub fn stats(workspace: &Path) -> std::io::Result<CacheStats> {
    let scan = Scan::of(workspace)?;
    let mut stats = CacheStats::default();
    for file in scan.latest.iter().filter(|f| f.key.is_some()) {
        stats.latest += 1;
        stats.latest_bytes += file.bytes;
    }
    for file in scan.entries.iter().filter(|f| f.key.is_some()) {
        stats.entries += 1;
        stats.entry_bytes += file.bytes;
        if scan.superseded(file) {
            stats.superseded += 1;
            stats.superseded_bytes += file.bytes;
        }
    }
    Ok(stats)
}

/// Removes the results no block's most recent result is (an earlier version of a block, or
/// of its inputs: undoing an edit then re-runs the block), and temporary files left by
/// interrupted writes. The most recent result of every block stays, so the next run is served
/// from the cache as before.
///
/// Safe beside a run: a result it stores while this prunes may be removed, which costs that
/// block a re-run later and never gives a wrong result (a result is only ever read whole,
/// under the key of everything it depends on).
pub fn prune(workspace: &Path) -> std::io::Result<Removed> {
    let scan = Scan::of(workspace)?;
    let doomed = scan
        .entries
        .iter()
        .filter(|file| file.stale_temp || scan.superseded(file))
        .chain(scan.latest.iter().filter(|file| file.stale_temp));
    let mut removed = Removed::default();
    for file in doomed {
        match fs::remove_file(&file.path) {
            Ok(()) => {
                removed.files += 1;
                removed.bytes += file.bytes;
            }
            // Removed meanwhile (another prune, or a run's rename of its temporary file).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// Removes the whole result cache of `workspace` (the run history stays): every block runs
/// again next time.
pub fn clear(workspace: &Path) -> std::io::Result<Removed> {
    let mut removed = Removed::default();
    for file in cache_files(workspace, "entries")?
        .into_iter()
        .chain(cache_files(workspace, "latest")?)
    {
        removed.files += 1;
        removed.bytes += file.bytes;
    }
    match fs::remove_dir_all(cache_dir(workspace)) {
        Ok(()) => Ok(removed),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Removed::default()),
        Err(e) => Err(e),
    }
}

/// Why a block always runs (never cached), if it does.
pub fn volatile_reason(block: &PlannedBlock) -> Option<&'static str> {
    match &block.work {
        Work::Builtin { block_type, .. } => match block_type.as_str() {
            "find_files" | "list_directory" => Some("it reads the file system"),
            "http_request" => Some("it makes an HTTP request"),
            "write_file" => Some("it writes a file"),
            _ => None,
        },
        Work::Unsupported(_) => Some("it cannot run"),
        _ => None,
    }
}

/// True for a block that writes files (`write_file`): the blocks reading its outputs see the
/// files it wrote changed.
pub fn writes_files(block: &PlannedBlock) -> bool {
    matches!(&block.work, Work::Builtin { block_type, .. } if block_type == "write_file")
}

/// The key parts of `block` given its input values and the run's Python environment.
pub fn key_parts(
    block: &PlannedBlock,
    inputs: &[(String, Value)],
    workspace: &Path,
    python: &PythonSetting,
) -> KeyParts {
    let mut definition = block_value(&block.block);
    let mut code = String::new();
    let mut properties = String::from("{}");
    if let Json::Object(map) = &mut definition {
        for key in ["name", "description", "position"] {
            map.shift_remove(key);
        }
        for key in ["source_code", "template", "parameters", "preview_code"] {
            if let Some(value) = map.shift_remove(key) {
                code.push_str(&value.to_string());
            }
        }
        if let Some(value) = map.shift_remove("properties") {
            properties = value.to_string();
        }
    }
    let mut input_hashes = BTreeMap::new();
    for (name, value) in inputs {
        let mut text = value.to_json().to_string();
        let mut paths = Vec::new();
        collect_paths(value, &mut paths);
        for path in paths {
            text.push('\n');
            text.push_str(&file_stamp(&resolve(workspace, &path)));
        }
        input_hashes.insert(name.clone(), hash_str(&text));
    }
    if let BlockKind::Visual { block_type, .. } = &block.block.kind {
        if block_type.value == "read_file" {
            if let Work::Builtin { properties: p, .. } = &block.work {
                if let Some(path) = p.get("path").and_then(Json::as_str) {
                    let resolved = resolve(workspace, Path::new(path));
                    input_hashes.insert(format!("file {path}"), file_stamp(&resolved));
                }
            }
        }
    }
    KeyParts {
        engine: ENGINE_VERSION.to_string(),
        definition: hash_str(&definition.to_string()),
        code: hash_str(&code),
        properties: hash_str(&properties),
        inputs: input_hashes,
        environment: environment_part(block, python),
    }
}

/// What a block's result depends on of the Python environment: nothing unless it runs Python
/// with another interpreter's packages (or with an unusable one, which fails it).
fn environment_part(block: &PlannedBlock, python: &PythonSetting) -> String {
    let runs_python = matches!(&block.work, Work::Code { language, .. } | Work::Template { language }
        if language == "python");
    match python {
        _ if !runs_python => String::new(),
        PythonSetting::Embedded => String::new(),
        PythonSetting::Environment(environment) => {
            let mut text = environment.interpreter.display().to_string();
            for path in &environment.paths {
                text.push('\n');
                text.push_str(&path.display().to_string());
            }
            hash_str(&text)
        }
        PythonSetting::Unusable(problem) => hash_str(&format!("unusable: {problem}")),
    }
}

/// Why `entry`, a block's latest result, is not what the block would make now from `inputs`
/// (it is of an earlier version of the block or of its inputs), e.g. "code changed"; `None`
/// when its key is the current one, and for blocks that always run (their results have no key).
pub fn outdated(
    block: &PlannedBlock,
    inputs: &[(String, Value)],
    workspace: &Path,
    python: &PythonSetting,
    entry: &CacheEntry,
) -> Option<String> {
    if volatile_reason(block).is_some() || entry.key.is_empty() {
        return None;
    }
    let parts = key_parts(block, inputs, workspace, python);
    (parts.key() != entry.key).then(|| change_reason(&parts, Some(entry)))
}

/// Why a block with key parts `new` will run, given its latest cached result `old`.
pub fn change_reason(new: &KeyParts, old: Option<&CacheEntry>) -> String {
    let Some(old) = old else {
        return "no cached result".to_string();
    };
    let old = &old.parts;
    if old.engine != new.engine {
        return "the engine changed".to_string();
    }
    if old.environment != new.environment {
        return "the Python environment changed".to_string();
    }
    if old.code != new.code {
        return "code changed".to_string();
    }
    if old.properties != new.properties {
        return "properties changed".to_string();
    }
    if old.definition != new.definition {
        return "block definition changed".to_string();
    }
    for (name, hash) in &new.inputs {
        if old.inputs.get(name) != Some(hash) {
            return match name.strip_prefix("file ") {
                Some(path) => format!("file `{path}` changed"),
                None => format!("input `{name}` changed"),
            };
        }
    }
    if let Some(name) = old.inputs.keys().find(|k| !new.inputs.contains_key(*k)) {
        return format!("input `{name}` changed");
    }
    "no cached result".to_string()
}

fn collect_paths(value: &Value, out: &mut Vec<PathBuf>) {
    match value {
        Value::Path(path) => out.push(path.clone()),
        Value::List(items) => items.iter().for_each(|v| collect_paths(v, out)),
        Value::Dict(entries) => entries.iter().for_each(|(_, v)| collect_paths(v, out)),
        _ => {}
    }
}

/// `path` made absolute against `workspace`.
pub fn resolve(workspace: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        workspace.join(path)
    };
    // Drop `.` components lexically (`a/./b` is `a/b`); `..` is kept, symlinks make it unsafe.
    joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

fn file_stamp(path: &Path) -> String {
    match fs::metadata(path) {
        Ok(meta) => {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{}:{modified}", meta.len())
        }
        Err(_) => "missing".to_string(),
    }
}

/// A short hex SHA-256 of `text`.
pub fn hash_str(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes())[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_changed_part() {
        let mut old = KeyParts::default();
        old.inputs.insert("files".into(), "a".into());
        let entry = CacheEntry {
            key: old.key(),
            block: "b".into(),
            created_at_ms: 0,
            parts: old.clone(),
            outputs: vec![],
        };
        let mut new = old.clone();
        new.inputs.insert("files".into(), "b".into());
        assert_eq!(change_reason(&new, Some(&entry)), "input `files` changed");
        new.code = "x".into();
        assert_eq!(change_reason(&new, Some(&entry)), "code changed");
        assert_eq!(change_reason(&new, None), "no cached result");
        assert_ne!(new.key(), old.key());
        let mut other_python = old.clone();
        other_python.environment = "venv".into();
        assert_eq!(
            change_reason(&other_python, Some(&entry)),
            "the Python environment changed"
        );
        assert_ne!(other_python.key(), old.key());
    }

    #[test]
    fn the_python_environment_keys_python_blocks_only() {
        let text = "workflow \"W\" {\n  block py = python {\n    out x: Integer\n    code \"x = 1\"\n  }\n  block sh = shell {\n    out stdout: String\n    code \"echo 1\"\n  }\n}\n";
        let options = crate::PlanOptions::new(PathBuf::from("/tmp/w.ab"));
        let plan = crate::plan_text(agentblocks_dsl::convert::FileKind::Dsl, text, &options)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let venv = PythonSetting::Environment(std::sync::Arc::new(crate::PythonEnvironment {
            interpreter: PathBuf::from("/venv/bin/python"),
            version: (3, 11),
            paths: vec![PathBuf::from("/venv/lib/python3.11/site-packages")],
        }));
        let key = |i: usize, python: &PythonSetting| {
            key_parts(&plan.blocks[i], &[], Path::new("/tmp"), python).key()
        };
        let (py, sh) = (
            plan.blocks.iter().position(|b| b.id == "py").unwrap(),
            plan.blocks.iter().position(|b| b.id == "sh").unwrap(),
        );
        assert_ne!(key(py, &PythonSetting::Embedded), key(py, &venv));
        assert_eq!(key(sh, &PythonSetting::Embedded), key(sh, &venv));
        // Keys made before environments existed stay valid for the embedded Python.
        assert!(key_parts(
            &plan.blocks[py],
            &[],
            Path::new("/tmp"),
            &PythonSetting::Embedded
        )
        .environment
        .is_empty());
    }
}
