/**
 * The AgentBlocks custom LSP methods, mirrored once from the server
 * (`lsp/src/ext.rs`, documented in `docs/lsp-extensions.md`).
 *
 * Everything the extension sends or receives through a custom method goes through the types
 * and `RequestType`s in this file. Wire shapes follow the server; the `normalize*` functions in
 * `preview/model.ts` accept both camelCase and snake_case field names so a rename on the server
 * side does not blank the preview.
 *
 * Assumptions (written while the server side was being built; see README "LSP extensions"):
 * - `agentblocks/runWorkflow` and `agentblocks/runBlock` answer when the run ends, with the
 *   run's summary; the client cancels a run by cancelling the request (`$/cancelRequest`).
 * - Run progress arrives as `agentblocks/runEvent` notifications carrying the engine's event
 *   (`{ ts_ms, block?, event: "block_started" | ... }`) with the document's `uri` and `runId`.
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

export interface RunWorkflowParams {
  textDocument: TextDocumentIdentifier;
}

export interface RunBlockParams {
  textDocument: TextDocumentIdentifier;
  /** The block to run. */
  block: string;
  /**
   * false (Run Block): run this block alone, its inputs from the cache of earlier runs (the
   * server runs what is missing upstream). true (Run to Here): run everything upstream of it,
   * then it.
   */
  upstream?: boolean;
}

export type RunStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** The answer to a run request: how the run ended. */
export interface RunResult {
  runId?: string;
  status: RunStatus | string;
  durationMs?: number;
  succeeded?: number;
  cached?: number;
  failed?: number;
  skipped?: number;
}

export const runWorkflowRequest = new RequestType<RunWorkflowParams, unknown, void>(
  'agentblocks/runWorkflow',
);
export const runBlockRequest = new RequestType<RunBlockParams, unknown, void>(
  'agentblocks/runBlock',
);

/** One output of a block: a one-line preview and the value as JSON. */
export interface OutputValue {
  port: string;
  preview: string;
  value: unknown;
}

/** The engine's events (engine/src/events.rs), as the server forwards them. */
export type EngineEvent =
  | { event: 'run_started'; runId?: string; blocks: string[]; mode?: string }
  | { event: 'block_queued'; block: string }
  | { event: 'block_started'; block: string; attempt: number }
  | { event: 'log'; block?: string; stream: 'stdout' | 'stderr'; line: string }
  | { event: 'progress'; block?: string; fraction?: number; message: string }
  | {
      event: 'block_finished';
      block: string;
      outputs: OutputValue[];
      durationMs: number;
      attempts?: number;
    }
  | {
      event: 'block_failed';
      block: string;
      message: string;
      errorKind?: string;
      willRetry: boolean;
      durationMs?: number;
      traceback?: string;
    }
  | { event: 'block_skipped'; block: string; reason: string }
  | { event: 'block_cached'; block: string; outputs: OutputValue[] }
  | { event: 'warning'; block?: string; message: string }
  | {
      event: 'run_finished';
      status: RunStatus | string;
      durationMs: number;
      succeeded: number;
      cached: number;
      failed: number;
      skipped: number;
    };

export interface RunEvent {
  /** The workflow document. */
  uri: string;
  runId?: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  event: EngineEvent;
}

/** Raw notification params; `normalizeRunEvent` (preview/model.ts) turns them into a RunEvent. */
export const runEventNotification = new NotificationType<unknown>('agentblocks/runEvent');

// ------------------------------------------------------------------ configuration

/** What `workspace/didChangeConfiguration` carries under `settings.agentblocks`. */
export interface ServerSettings {
  python: { path: string | null };
  cache: { enabled: boolean; directory: string | null };
}
