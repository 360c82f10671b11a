//! The server: state (documents, settings, workspace files) and the wiring of each LSP method
//! to its handler. Thin on purpose: every feature is a function in `handlers/`.
//!
//! Every request runs its feature on the blocking pool under a panic guard: a panic is logged
//! and answered with an internal error, and the server keeps serving. While it runs, the
//! request's future waits at an `.await`, so a `$/cancelRequest` drops it and the client gets
//! `RequestCancelled`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentblocks_dsl::ide::{Analysis, FileKind};
use agentblocks_engine::PythonSetting;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::{Client, LanguageServer, UriExt};

use crate::config::Config;
use crate::documents::{Document, Documents};
use crate::ext;
use crate::handlers::{self, Ctx};
use crate::position::Encoding;
use crate::runs::Runs;

/// How long after a change diagnostics wait for the next one before being computed. Short
/// enough that they arrive within a frame of the last keystroke of a burst.
pub const DIAGNOSTICS_DEBOUNCE: Duration = Duration::from_millis(8);

/// Most workspace files read at start-up for workspace symbols.
const MAX_WORKSPACE_FILES: usize = 2_000;

/// The language server.
pub struct Server {
    client: Client,
    documents: Arc<Documents>,
    /// Workflow files of the workspace that are not open, analysed.
    workspace: Arc<Mutex<HashMap<String, Arc<Analysis>>>>,
    config: Mutex<Config>,
    utf8: AtomicBool,
    snippets: AtomicBool,
    watch_registration: AtomicBool,
    root: Mutex<Option<PathBuf>>,
    token_ids: AtomicU64,
    /// Runs under way and what each block last did.
    runs: Arc<Runs>,
    /// The `pythonPath` setting and what probing it gave, which every run gets. Locked across
    /// the probe (a short subprocess), so a run requested after a configuration change waits
    /// for it rather than starting with the previous interpreter.
    python: tokio::sync::Mutex<(Option<String>, PythonSetting)>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

fn kind_of(uri: &Uri) -> FileKind {
    FileKind::from_path(uri.as_str()).unwrap_or(FileKind::Dsl)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Server {
    /// A server talking to `client`.
    pub fn new(client: Client) -> Server {
        Server {
            client,
            documents: Arc::new(Documents::default()),
            workspace: Arc::new(Mutex::new(HashMap::new())),
            config: Mutex::new(Config::default()),
            utf8: AtomicBool::new(false),
            snippets: AtomicBool::new(false),
            watch_registration: AtomicBool::new(false),
            root: Mutex::new(None),
            token_ids: AtomicU64::new(0),
            runs: Arc::new(Runs::default()),
            python: tokio::sync::Mutex::new((None, PythonSetting::Embedded)),
        }
    }

    /// The current settings.
    pub fn config(&self) -> Config {
        lock(&self.config).clone()
    }

    /// The open documents (tests compare their text with the client's).
    pub fn documents(&self) -> Arc<Documents> {
        self.documents.clone()
    }

    fn encoding(&self) -> Encoding {
        if self.utf8.load(Ordering::Relaxed) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    /// Runs `f` over the document's current analysis on the blocking pool, under a panic
    /// guard.
    async fn run<T, F>(&self, uri: &Uri, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx, &Analysis) -> Result<T> + Send + 'static,
    {
        let Some((version, _, input)) = self.documents.snapshot(uri.as_str()) else {
            return Err(Error::invalid_params(format!(
                "unknown document `{}`: open it first",
                uri.as_str()
            )));
        };
        let ctx = Ctx {
            uri: uri.clone(),
            encoding: self.encoding(),
            snippets: self.snippets.load(Ordering::Relaxed),
            version,
        };
        let joined = tokio::task::spawn_blocking(move || {
            let analysis = input.run();
            let result = f(&ctx, &analysis);
            (analysis, result)
        })
        .await;
        match joined {
            Ok((analysis, result)) => {
                self.documents.store(uri.as_str(), version, &analysis);
                result
            }
            Err(err) => {
                let what = if err.is_panic() {
                    "panicked"
                } else {
                    "was cancelled"
                };
                let message = format!("the request {what}; the server goes on");
                self.client.log_message(MessageType::ERROR, &message).await;
                Err(Error {
                    code: tower_lsp_server::jsonrpc::ErrorCode::InternalError,
                    message: message.into(),
                    data: None,
                })
            }
        }
    }

    /// Schedules diagnostics for the document: after the debounce, for the version current
    /// then; a result for a version that is no longer current is dropped.
    fn schedule_diagnostics(&self, uri: Uri) {
        let documents = self.documents.clone();
        let client = self.client.clone();
        let encoding = self.encoding();
        tokio::spawn(async move {
            tokio::time::sleep(DIAGNOSTICS_DEBOUNCE).await;
            let Some((version, _, input)) = documents.snapshot(uri.as_str()) else {
                return;
            };
            let ctx = Ctx {
                uri: uri.clone(),
                encoding,
                snippets: false,
                version,
            };
            let computed = tokio::task::spawn_blocking(move || {
                let analysis = input.run();
                let diagnostics = handlers::diagnostics::to_lsp(&ctx, &analysis);
                (analysis, diagnostics)
            })
            .await;
            let Ok((analysis, diagnostics)) = computed else {
                client
                    .log_message(MessageType::ERROR, "computing diagnostics panicked")
                    .await;
                return;
            };
            if documents.store(uri.as_str(), version, &analysis) {
                client
                    .publish_diagnostics(uri, diagnostics, Some(version))
                    .await;
            }
        });
    }

    /// `agentblocks/graph`.
    pub async fn graph(&self, params: ext::GraphParams) -> Result<ext::GraphResult> {
        self.run(&params.text_document.uri, |ctx, a| {
            Ok(handlers::graph::graph(ctx, a))
        })
        .await
    }

    /// `agentblocks/moveBlock`.
    pub async fn move_block(&self, params: ext::MoveBlockParams) -> Result<Option<WorkspaceEdit>> {
        let uri = params.text_document.uri.clone();
        self.run(&uri, move |ctx, a| {
            Ok(handlers::graph::move_block(ctx, a, &params))
        })
        .await
    }

    /// `agentblocks/runBlock`: needs `block` or `until`.
    pub async fn run_block(&self, params: ext::RunParams) -> Result<ext::RunResult> {
        if params.block.is_none() && params.until.is_none() {
            return Err(Error::invalid_params(
                "`agentblocks/runBlock` needs `block` or `until`",
            ));
        }
        self.start_run(params).await
    }

    /// `agentblocks/runWorkflow`.
    pub async fn run_workflow(&self, params: ext::RunParams) -> Result<ext::RunResult> {
        self.start_run(params).await
    }

    /// `agentblocks/cancelRun`.
    pub async fn cancel_run(&self, params: ext::CancelRunParams) -> Result<ext::CancelRunResult> {
        let run_id = self.runs.cancel(params.text_document.uri.as_str());
        Ok(ext::CancelRunResult { run_id })
    }

    /// Plans the document's current text and runs it (see `runs.rs`).
    async fn start_run(&self, params: ext::RunParams) -> Result<ext::RunResult> {
        let uri = params.text_document.uri.clone();
        let config = self.config();
        let target = handlers::run::target(params.block, params.until);
        let plan_config = config.clone();
        let plan = self
            .run(&uri, move |ctx, a| {
                handlers::run::plan_for(ctx, a, target, &plan_config)
            })
            .await?;
        let options = agentblocks_engine::RunOptions {
            use_cache: config.cache_enabled() && !params.no_cache.unwrap_or(false),
            record_history: true,
            python: self.python.lock().await.1.clone(),
        };
        let runs = self.runs.clone();
        let client = self.client.clone();
        Ok(runs
            .run(client, uri, plan, options, params.work_done_token)
            .await)
    }

    /// Takes the settings a client sent; a setting of the wrong type is named in a warning and
    /// left at its default, the others apply.
    async fn apply_settings(&self, settings: &serde_json::Value) {
        let (config, problems) = Config::from_settings(settings);
        let python_path = config.python_path.clone();
        *lock(&self.config) = config;
        if !problems.is_empty() {
            self.client
                .show_message(
                    MessageType::WARNING,
                    format!("AgentBlocks: settings ignored: {}", problems.join("; ")),
                )
                .await;
        }
        self.apply_python_path(python_path).await;
    }

    /// Applies the `pythonPath` setting: probes the interpreter when the path changed (or
    /// could not be used last time) and tells the user when it cannot be used; runs then fail
    /// their Python blocks with the reason. A relative path is relative to the workspace root.
    async fn apply_python_path(&self, python_path: Option<String>) {
        let python_path = python_path.filter(|path| !path.trim().is_empty());
        let mut python = self.python.lock().await;
        if python.0 == python_path && !matches!(python.1, PythonSetting::Unusable(_)) {
            return;
        }
        let setting = match &python_path {
            None => PythonSetting::Embedded,
            Some(path) => {
                let mut path = PathBuf::from(path);
                if path.is_relative() && path.components().count() > 1 {
                    if let Some(root) = lock(&self.root).as_ref() {
                        path = root.join(path);
                    }
                }
                tokio::task::spawn_blocking(move || PythonSetting::probe(&path))
                    .await
                    .unwrap_or_else(|err| PythonSetting::Unusable(err.to_string()))
            }
        };
        *python = (python_path, setting.clone());
        drop(python);
        if let PythonSetting::Unusable(problem) = setting {
            self.client
                .show_message(
                    MessageType::ERROR,
                    format!(
                        "AgentBlocks: the `pythonPath` setting cannot be used: {problem}. Python \
                         blocks fail until it is fixed."
                    ),
                )
                .await;
        }
    }

    /// Reads the workspace's workflow files (not open ones) for workspace symbols.
    fn scan_workspace(&self, root: PathBuf) {
        let workspace = self.workspace.clone();
        tokio::task::spawn_blocking(move || {
            let mut stack = vec![root];
            let mut found = 0usize;
            while let Some(dir) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if path.is_dir() {
                        if !name.starts_with('.') && name != "target" && name != "node_modules" {
                            stack.push(path);
                        }
                    } else if FileKind::from_path(&name).is_some() && found < MAX_WORKSPACE_FILES {
                        found += 1;
                        load_file(&workspace, &path);
                    }
                }
            }
        });
    }
}

/// Reads and analyses one workspace file into `workspace` (or forgets it when unreadable).
fn load_file(workspace: &Mutex<HashMap<String, Arc<Analysis>>>, path: &Path) {
    let Some(uri) = Uri::from_file_path(path) else {
        return;
    };
    let key = uri.as_str().to_owned();
    match std::fs::read_to_string(path) {
        Ok(text) if text.len() <= 16 << 20 => {
            let analysis = Arc::new(Analysis::new(kind_of(&uri), &text));
            lock(workspace).insert(key, analysis);
        }
        _ => {
            lock(workspace).remove(&key);
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let capabilities = &params.capabilities;
        let utf8 = capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
        self.utf8.store(utf8, Ordering::Relaxed);
        let snippets = capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        self.snippets.store(snippets, Ordering::Relaxed);
        let watch = capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        self.watch_registration.store(watch, Ordering::Relaxed);
        self.runs.set_client_support(
            capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                .unwrap_or(false),
        );
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or_else(|| {
                #[allow(deprecated)]
                params.root_uri.clone()
            })
            .and_then(|uri| uri.to_file_path().map(|p| p.into_owned()));
        *lock(&self.root) = root;
        if let Some(options) = &params.initialization_options {
            self.apply_settings(options).await;
        }
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(if utf8 {
                    PositionEncodingKind::UTF8
                } else {
                    PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(
                        [".", "=", ":", "<", " ", "{"]
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    ),
                    resolve_provider: Some(true),
                    ..CompletionOptions::default()
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: handlers::semantic_tokens::legend(),
                            full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                            range: None,
                            work_done_progress_options: WorkDoneProgressOptions::default(),
                        },
                    ),
                ),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::SOURCE,
                            CodeActionKind::REFACTOR,
                        ]),
                        ..CodeActionOptions::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: ext::commands::advertised(params.initialization_options.as_ref()),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "agentblocks-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.watch_registration.load(Ordering::Relaxed) {
            let watchers = ["**/*.ab", "**/*.agentblocks"]
                .iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob.to_string()),
                    kind: None,
                })
                .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            let registration = Registration {
                id: "agentblocks-workflow-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            let _ = self.client.register_capability(vec![registration]).await;
        }
        let root = lock(&self.root).clone();
        if let Some(root) = root {
            self.scan_workspace(root);
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let kind = kind_of(&doc.uri);
        self.documents.lock().insert(
            doc.uri.as_str().to_owned(),
            Document::new(kind, &doc.text, doc.version),
        );
        self.schedule_diagnostics(doc.uri);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // Applied under the lock before any `.await`: edits apply in arrival order.
        let encoding = self.encoding();
        let uri = params.text_document.uri;
        {
            let mut documents = self.documents.lock();
            let Some(doc) = documents.get_mut(uri.as_str()) else {
                return;
            };
            for change in &params.content_changes {
                doc.apply_change(change, encoding);
            }
            doc.version = params.text_document.version;
        }
        self.schedule_diagnostics(uri);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.documents.lock().remove(uri.as_str());
        if let Some(path) = uri.to_file_path() {
            load_file(&self.workspace, &path);
        }
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.apply_settings(&params.settings).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            if self.documents.lock().contains_key(change.uri.as_str()) {
                continue;
            }
            if change.typ == FileChangeType::DELETED {
                lock(&self.workspace).remove(change.uri.as_str());
            } else if let Some(path) = change.uri.to_file_path() {
                load_file(&self.workspace, &path);
            }
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        self.run(&p.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::completion::completion(ctx, a, p.position)))
        })
        .await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        // Items carry their documentation already.
        Ok(item)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let last = self.runs.last_runs(p.text_document.uri.as_str());
        self.run(&p.text_document.uri, move |ctx, a| {
            Ok(handlers::hover::hover_after_run(ctx, a, p.position, &last))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        self.run(&p.text_document.uri, move |ctx, a| {
            Ok(handlers::navigation::definition(ctx, a, p.position))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let include = params.context.include_declaration;
        self.run(&p.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::navigation::references(
                ctx, a, p.position, include,
            )))
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let p = params.text_document_position_params;
        self.run(&p.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::navigation::highlights(ctx, a, p.position)))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.run(&params.text_document.uri, move |ctx, a| {
            handlers::navigation::prepare_rename(ctx, a, params.position)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let new_name = params.new_name;
        self.run(&p.text_document.uri, move |ctx, a| {
            handlers::navigation::rename(ctx, a, p.position, &new_name)
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.run(&params.text_document.uri, |ctx, a| {
            Ok(Some(DocumentSymbolResponse::Nested(
                handlers::symbols::document_symbols(ctx, a),
            )))
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<OneOf<Vec<SymbolInformation>, Vec<WorkspaceSymbol>>>> {
        let mut files: HashMap<String, Arc<Analysis>> = lock(&self.workspace).clone();
        let open: Vec<String> = self.documents.lock().keys().cloned().collect();
        for uri in open {
            if let Some((_, _, input)) = self.documents.snapshot(&uri) {
                files.insert(uri, input.run());
            }
        }
        let encoding = self.encoding();
        let query = params.query;
        let found = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for (uri, analysis) in &files {
                if let Ok(uri) = uri.parse::<Uri>() {
                    out.extend(handlers::symbols::workspace_symbols(
                        &uri, analysis, encoding, &query,
                    ));
                }
            }
            out
        })
        .await
        .map_err(|_| Error::internal_error())?;
        Ok(Some(OneOf::Left(found)))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.run(&params.text_document.uri, |ctx, a| {
            Ok(Some(handlers::folding::folding(ctx, a)))
        })
        .await
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        let positions = params.positions;
        self.run(&params.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::selection::selection(ctx, a, &positions)))
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        let data = self
            .run(&uri, |ctx, a| Ok(handlers::semantic_tokens::encode(ctx, a)))
            .await?;
        let id = self.token_ids.fetch_add(1, Ordering::Relaxed).to_string();
        if let Some(doc) = self.documents.lock().get_mut(uri.as_str()) {
            doc.tokens = Some((id.clone(), data.clone()));
        }
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: Some(id),
            data: handlers::semantic_tokens::to_tokens(&data),
        })))
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        let uri = params.text_document.uri;
        let data = self
            .run(&uri, |ctx, a| Ok(handlers::semantic_tokens::encode(ctx, a)))
            .await?;
        let id = self.token_ids.fetch_add(1, Ordering::Relaxed).to_string();
        let previous = self.documents.lock().get_mut(uri.as_str()).and_then(|doc| {
            let previous = doc.tokens.take();
            doc.tokens = Some((id.clone(), data.clone()));
            previous
        });
        Ok(Some(match previous {
            Some((previous_id, old)) if previous_id == params.previous_result_id => {
                SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
                    result_id: Some(id),
                    edits: handlers::semantic_tokens::delta(&old, &data),
                })
            }
            _ => SemanticTokensFullDeltaResult::Tokens(SemanticTokens {
                result_id: Some(id),
                data: handlers::semantic_tokens::to_tokens(&data),
            }),
        }))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.run(&params.text_document.uri, handlers::formatting::formatting)
            .await
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        self.run(&params.text_document.uri, handlers::formatting::formatting)
            .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let range = params.range;
        self.run(&params.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::inlay_hints::hints(ctx, a, range)))
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let range = params.range;
        self.run(&params.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::code_actions::actions(ctx, a, range)))
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let config = self.config();
        let python = self.python.lock().await.1.clone();
        self.run(&params.text_document.uri, move |ctx, a| {
            Ok(Some(handlers::code_lens::code_lenses(
                ctx, a, &config, &python,
            )))
        })
        .await
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        use ext::commands;
        if !commands::ALL.contains(&params.command.as_str()) {
            return Err(Error::invalid_params(format!(
                "unknown command `{}`; the commands are {}",
                params.command,
                commands::ALL.map(|c| format!("`{c}`")).join(", ")
            )));
        }
        let args: ext::CommandArgs = params
            .arguments
            .into_iter()
            .next()
            .and_then(|a| serde_json::from_value(a).ok())
            .ok_or_else(|| {
                Error::invalid_params(format!(
                    "`{}` takes one argument, `{{uri, block?}}`",
                    params.command
                ))
            })?;
        let text_document = TextDocumentIdentifier::new(args.uri.clone());
        let run = |block, until| ext::RunParams {
            text_document: text_document.clone(),
            block,
            until,
            no_cache: None,
            work_done_token: None,
        };
        let needs_block = || {
            args.block.clone().ok_or_else(|| {
                Error::invalid_params(format!("`{}` needs a `block`", params.command))
            })
        };
        let value = match params.command.as_str() {
            commands::RUN_BLOCK => to_json(self.start_run(run(Some(needs_block()?), None)).await?),
            commands::RUN_TO_HERE => {
                to_json(self.start_run(run(None, Some(needs_block()?))).await?)
            }
            commands::RUN_WORKFLOW => to_json(self.start_run(run(None, None)).await?),
            commands::CANCEL_RUN => to_json(
                self.cancel_run(ext::CancelRunParams { text_document })
                    .await?,
            ),
            commands::EXPAND_TEMPLATE => {
                let block = needs_block()?;
                to_json(
                    self.run(&args.uri, move |_, a| {
                        handlers::run::expand_template(a, &block)
                    })
                    .await?,
                )
            }
            other => {
                return Err(Error::invalid_params(format!("unknown command `{other}`")));
            }
        };
        Ok(Some(value?))
    }
}

/// A result as JSON for `workspace/executeCommand`.
fn to_json<T: serde::Serialize>(value: T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|_| Error::internal_error())
}
