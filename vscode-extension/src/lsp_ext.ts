/**
 * The AgentBlocks custom LSP methods, mirrored once from the server
 * (`lsp/src/ext.rs`, documented in `docs/lsp-extensions.md`).
 *
 * Everything the extension sends or receives through a custom method goes through the types
 * and `RequestType`s in this file; the shapes are the server's (camelCase params and results,
 * the engine's snake_case events). `normalizeGraph` and `normalizeRunEvent` in `preview/model.ts`
 * check what arrives, so a malformed message is left out rather than breaking the preview.
 *
 * Runs: `agentblocks/runWorkflow` and `agentblocks/runBlock` answer with a `RunResult` when the
 * run ends; meanwhile `agentblocks/runEvent` notifications carry each engine event of the run;
 * `agentblocks/cancelRun` stops a document's run.
 */
import { NotificationType, RequestType } from 'vscode-languageclient';
import type { Range, TextDocumentIdentifier, WorkspaceEdit } from 'vscode-languageclient';

// ------------------------------------------------------------------ agentblocks/graph

/** A port of a block in the graph. */
export interface GraphPort {
  name: string;
  /** The type in DSL spelling (`List[Path]`), when known. */
  type?: string | null;
  /** Its declaration; absent for ports that come from the block catalogue. */
  range?: Range | null;
}

/** `visual`, `code`, `hybrid`, `ai` or `plugin` (the JSON `type` of the block). */
export type BlockKind = 'visual' | 'code' | 'hybrid' | 'ai' | 'plugin';

export interface GraphBlock {
  id: string;
  kind: BlockKind | string;
  /** The kind as written: `find_files`, `python`, `template python`, `plugin csv.split`. */
  kindLabel: string;
  name?: string | null;
  /** Canvas position (`at (x, y)`), absent when the block has none. */
  position?: { x: number; y: number } | null;
  /** The whole block. */
  range: Range;
  /** The block's id in its header. */
  idRange?: Range | null;
  inputs: GraphPort[];
  outputs: GraphPort[];
}

export interface GraphConnection {
  id: string;
  sourceBlock: string;
  sourcePort: string;
  targetBlock: string;
  targetPort: string;
  /** The type that flows (the source port's), when known. */
  type?: string | null;
  /** False when an end is missing or the types do not fit. */
  valid: boolean;
  /** Why it is not valid (`\`List[Path]\` does not fit \`Number\``). */
  problem?: string | null;
  range?: Range | null;
}

export interface Graph {
  /** The document version the graph was computed from. */
  version?: number | null;
  blocks: GraphBlock[];
  connections: GraphConnection[];
  /** True when the file has errors (the graph may miss what did not parse). */
  hasErrors: boolean;
}

export interface GraphParams {
  textDocument: TextDocumentIdentifier;
}

/** The raw answer: `normalizeGraph` (preview/model.ts) turns it into a `Graph`. */
export const graphRequest = new RequestType<GraphParams, unknown, void>('agentblocks/graph');

// ------------------------------------------------------------------ agentblocks/moveBlock

export interface MoveBlockParams {
  textDocument: TextDocumentIdentifier;
  /** The block's id. */
  block: string;
  /** The new canvas position. */
  x: number;
  y: number;
}

/** A WorkspaceEdit changing (or adding) the block's `at (x, y)`: one line. */
export const moveBlockRequest = new RequestType<MoveBlockParams, WorkspaceEdit | null, void>(
  'agentblocks/moveBlock',
);

// ------------------------------------------------------------------ running

/** Params of `agentblocks/runWorkflow` and `agentblocks/runBlock`. */
export interface RunParams {
  /** The workflow file: its current text runs, saved or not; its folder is the workspace. */
  textDocument: TextDocumentIdentifier;
  /** Run only this block; its upstream blocks' outputs come from their latest cached results. */
  block?: string;
  /** Run this block and everything it depends on ("Run to Here"; wins over `block`). */
  until?: string;
  /** Neither read nor write the result cache (default: the `cache` setting). */
  noCache?: boolean;
  /** A progress token the client made (else the server creates one when it may). */
  workDoneToken?: string | number;
}

export type RunStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** One block's part of a `RunResult`. */
export interface BlockResult {
  id: string;
  status: 'succeeded' | 'cached' | 'failed' | 'skipped' | 'cancelled' | string;
  /** Its last attempt. */
  durationMs: number;
  attempts: number;
  /** One-line previews of its outputs. */
  outputs: { port: string; preview: string }[];
  /** Why it failed or was skipped. */
  error: string | null;
}

/** The answer to a run request, when the run has ended. */
export interface RunResult {
  /** The server's id of the run: the `runId` of its `agentblocks/runEvent`s. */
  runId: string;
  /** The run in the workspace history (`agentblocks runs ID`), when recorded. */
  historyId: number | null;
  status: RunStatus | string;
  durationMs: number;
  /** The blocks the run considered, in plan order. */
  blocks: BlockResult[];
}

export const runWorkflowRequest = new RequestType<RunParams, RunResult, void>('agentblocks/runWorkflow');
export const runBlockRequest = new RequestType<RunParams, RunResult, void>('agentblocks/runBlock');

export interface CancelRunParams {
  textDocument: TextDocumentIdentifier;
}
export interface CancelRunResult {
  /** The run asked to stop; null when none was running. */
  runId: string | null;
}
/** Stops the document's run; the run's own request then answers with status `cancelled`. */
export const cancelRunRequest = new RequestType<CancelRunParams, CancelRunResult, void>('agentblocks/cancelRun');

/** One output of a block: a one-line preview and the value as JSON. */
export interface OutputValue {
  port: string;
  preview: string;
  value: unknown;
}

/** Why a block failed (engine `BlockError`). */
export interface BlockError {
  kind: 'failed' | 'timeout' | 'cancelled' | 'output_type' | 'setup' | 'unsupported' | string;
  message: string;
  location?: { file: string; span_start: number; span_end: number; line: number; column: number; code_line?: number };
  traceback?: string;
}

/**
 * The engine's event (engine/src/events.rs), exactly as `agentblocks run --json` prints it and
 * the server forwards it: snake_case fields, `ts_ms` and `block` (absent for run-level events)
 * beside the kind in `event`.
 */
export type EngineEvent = { ts_ms: number; block?: string } & (
  | {
      event: 'run_started';
      /** The run's id in the history (not the server's `runId`); empty when not recorded. */
      run_id: string;
      workflow: string;
      blocks: string[];
      mode: 'sequential' | 'parallel' | string;
      max_concurrent_blocks: number;
    }
  | { event: 'block_queued' }
  | { event: 'block_started'; attempt: number }
  | { event: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | { event: 'progress'; fraction?: number; message: string }
  | { event: 'block_finished'; outputs: OutputValue[]; duration_ms: number; attempts: number }
  | { event: 'block_failed'; error: BlockError; attempt: number; will_retry: boolean; duration_ms: number }
  | { event: 'block_skipped'; reason: string }
  | { event: 'block_cached'; outputs: OutputValue[]; cached_at_ms: number; key: string; outdated?: string }
  | { event: 'warning'; message: string }
  | {
      event: 'run_finished';
      status: RunStatus | string;
      duration_ms: number;
      succeeded: number;
      cached: number;
      failed: number;
      /** Blocks stopped while running; absent from older servers. */
      cancelled?: number;
      skipped: number;
    }
);

export type EngineEventKind = EngineEvent['event'];

/** Params of `agentblocks/runEvent` (a line of `agentblocks run --json` gets `uri` added). */
export interface RunEvent {
  /** The workflow document. */
  uri: string;
  /** The server's id of the run; absent for events read from `agentblocks run --json`. */
  runId?: string;
  event: EngineEvent;
}

/** Raw notification params; `normalizeRunEvent` (preview/model.ts) checks them into a RunEvent. */
export const runEventNotification = new NotificationType<unknown>('agentblocks/runEvent');

// ------------------------------------------------------------------ commands

/**
 * The server's `workspace/executeCommand` commands. Its code lenses carry the first three with
 * one argument, `CommandArgs`. The extension implements all of them as its own VS Code commands
 * (a lens click then shows progress, the Runs view and the preview's run state), so it names them
 * in `initializationOptions.clientCommands` and the server leaves them out of
 * `executeCommandProvider` (else the language client would register them too: "command already
 * exists").
 */
export const SERVER_COMMANDS = {
  runBlock: 'agentblocks.runBlock',
  runToHere: 'agentblocks.runToHere',
  runWorkflow: 'agentblocks.runWorkflow',
  cancelRun: 'agentblocks.cancelRun',
  expandTemplate: 'agentblocks.expandTemplate',
} as const;

/** The one argument of every `agentblocks.*` server command (and of the code lenses). */
export interface CommandArgs {
  uri: string;
  block?: string;
}

/** Result of `agentblocks.expandTemplate`. */
export interface ExpandTemplateResult {
  block: string;
  /** The language the code is in (`python`, `javascript`, ...). */
  language: string;
  code: string;
}

// ------------------------------------------------------------------ configuration

/**
 * The server's settings (lsp/src/config.rs), sent as `initializationOptions.agentblocks` and in
 * `workspace/didChangeConfiguration` as `{ settings: { agentblocks: ServerSettings } }`.
 */
export interface ServerSettings {
  /** Whether runs reuse cached block results (default true). */
  cache: boolean;
  /** A run's time limit in seconds; null: none. */
  runTimeout: number | null;
  /**
   * A Python interpreter (a virtualenv's `bin/python`) whose packages Python blocks may import;
   * relative to the workspace root or a name on the PATH; empty: the embedded Python alone.
   */
  pythonPath: string;
}

/** `initialize`'s `initializationOptions`. */
export interface InitializationOptions {
  agentblocks: ServerSettings;
  /** Commands the client implements itself: the server does not declare them. */
  clientCommands: string[];
}
