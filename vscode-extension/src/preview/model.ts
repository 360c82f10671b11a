/**
 * The preview's render model, free of VS Code and the DOM so it is unit tested: normalising
 * the server's answers, edge colours by type, card geometry and the per-block run state.
 */
import type {
  BlockError,
  EngineEvent,
  Graph,
  GraphBlock,
  GraphConnection,
  GraphPort,
  OutputValue,
  RunEvent,
} from '../lsp_ext';

// ------------------------------------------------------------------ normalising

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `o.fooBar ?? o.foo_bar`. */
function field(o: Obj, camel: string): unknown {
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  return o[snake];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** An LSP range, or undefined. */
function range(v: unknown): GraphBlock['range'] | undefined {
  if (!isObj(v) || !isObj(v.start) || !isObj(v.end)) return undefined;
  const p = (x: Obj) => ({ line: num(x.line) ?? 0, character: num(x.character) ?? 0 });
  return { start: p(v.start), end: p(v.end) };
}

const ZERO_RANGE = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function position(v: unknown): { x: number; y: number } | null {
  if (Array.isArray(v) && v.length === 2) {
    const [x, y] = [num(v[0]), num(v[1])];
    return x !== undefined && y !== undefined ? { x, y } : null;
  }
  if (isObj(v)) {
    const [x, y] = [num(v.x), num(v.y)];
    return x !== undefined && y !== undefined ? { x, y } : null;
  }
  return null;
}

function port(v: unknown): GraphPort | undefined {
  if (typeof v === 'string') return { name: v };
  if (!isObj(v)) return undefined;
  const name = str(v.name);
  if (name === undefined) return undefined;
  const ty = str(v.type) ?? str(v.ty) ?? str(field(v, 'dataType'));
  return { name, type: ty ?? null, range: range(v.range) ?? range(v.span) ?? null };
}

function ports(v: unknown): GraphPort[] {
  return Array.isArray(v) ? v.map(port).filter((p): p is GraphPort => p !== undefined) : [];
}

/** One end of a connection written either flat (`sourceBlock`) or nested (`source.block`). */
function end(o: Obj, which: 'source' | 'target'): { block?: string; port?: string } {
  const nested = o[which];
  if (isObj(nested)) return { block: str(nested.block), port: str(nested.port) };
  return { block: str(field(o, which + 'Block')), port: str(field(o, which + 'Port')) };
}

/** The server's `agentblocks/graph` answer as a `Graph`; anything malformed is left out. */
export function normalizeGraph(raw: unknown): Graph {
  const o = isObj(raw) ? raw : {};
  const blocks: GraphBlock[] = [];
  for (const b of Array.isArray(o.blocks) ? o.blocks : []) {
    if (!isObj(b)) continue;
    const id = str(b.id);
    if (id === undefined) continue;
    const kind = str(b.kind) ?? 'visual';
    blocks.push({
      id,
      kind,
      kindLabel: str(field(b, 'kindLabel')) ?? kind,
      name: str(b.name) ?? null,
      position: position(b.position),
      range: range(b.range) ?? range(b.span) ?? ZERO_RANGE,
      idRange: range(field(b, 'idRange')) ?? range(field(b, 'idSpan')) ?? null,
      inputs: ports(b.inputs),
      outputs: ports(b.outputs),
    });
  }
  const connections: GraphConnection[] = [];
  for (const c of Array.isArray(o.connections) ? o.connections : []) {
    if (!isObj(c)) continue;
    const s = end(c, 'source');
    const t = end(c, 'target');
    if (!s.block || !s.port || !t.block || !t.port) continue;
    const valid = c.valid !== false;
    connections.push({
      id: str(c.id) ?? `${s.block}.${s.port}->${t.block}.${t.port}`,
      sourceBlock: s.block,
      sourcePort: s.port,
      targetBlock: t.block,
      targetPort: t.port,
      type: str(c.type) ?? str(c.ty) ?? str(field(c, 'dataType')) ?? null,
      valid,
      problem: str(c.problem) ?? null,
      range: range(c.range) ?? range(c.span) ?? null,
    });
  }
  return {
    version: num(o.version) ?? null,
    blocks,
    connections,
    hasErrors: field(o, 'hasErrors') === true,
  };
}

function outputs(v: unknown): OutputValue[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((x) => ({
    port: str(x.port) ?? '',
    preview: str(x.preview) ?? JSON.stringify(x.value ?? null),
    value: x.value,
  }));
}

/**
 * An `agentblocks/runEvent` notification's params (`{ uri, runId, event }`, the event exactly as
 * `agentblocks run --json` prints it) as a `RunEvent`; a line of `agentblocks run --json` is
 * passed as `{ uri, event: line }`. Missing fields get defaults; an event of an unknown kind, or
 * a block event without its block, is left out (undefined).
 */
export function normalizeRunEvent(raw: unknown): RunEvent | undefined {
  if (!isObj(raw) || !isObj(raw.event)) return undefined;
  const o = raw.event;
  const kind = str(o.event);
  if (!kind) return undefined;
  const event = toEngineEvent(kind, o, num(o.ts_ms) ?? Date.now(), str(o.block));
  if (!event) return undefined;
  return { uri: str(raw.uri) ?? '', runId: str(raw.runId), event };
}

const BLOCK_EVENTS = new Set(['block_queued', 'block_started', 'block_finished', 'block_failed', 'block_skipped', 'block_cached']);

function blockError(v: unknown): BlockError {
  const e = isObj(v) ? v : {};
  return {
    kind: str(e.kind) ?? 'failed',
    message: str(e.message) ?? 'failed',
    ...(isObj(e.location) ? { location: e.location as unknown as BlockError['location'] } : {}),
    ...(str(e.traceback) !== undefined ? { traceback: str(e.traceback) } : {}),
  };
}

function toEngineEvent(kind: string, o: Obj, ts_ms: number, block: string | undefined): EngineEvent | undefined {
  if (BLOCK_EVENTS.has(kind) && !block) return undefined;
  const at = block === undefined ? { ts_ms } : { ts_ms, block };
  switch (kind) {
    case 'run_started': {
      const bl = o.blocks;
      return {
        ...at,
        event: 'run_started',
        run_id: str(o.run_id) ?? '',
        workflow: str(o.workflow) ?? '',
        blocks: Array.isArray(bl) ? bl.filter((b): b is string => typeof b === 'string') : [],
        mode: str(o.mode) ?? 'sequential',
        max_concurrent_blocks: num(o.max_concurrent_blocks) ?? 1,
      };
    }
    case 'block_queued':
      return { ...at, event: 'block_queued' };
    case 'block_started':
      return { ...at, event: 'block_started', attempt: num(o.attempt) ?? 1 };
    case 'log':
      return { ...at, event: 'log', stream: o.stream === 'stderr' ? 'stderr' : 'stdout', line: str(o.line) ?? '' };
    case 'progress': {
      const fraction = num(o.fraction);
      return { ...at, event: 'progress', ...(fraction !== undefined ? { fraction } : {}), message: str(o.message) ?? '' };
    }
    case 'block_finished':
      return { ...at, event: 'block_finished', outputs: outputs(o.outputs), duration_ms: num(o.duration_ms) ?? 0, attempts: num(o.attempts) ?? 1 };
    case 'block_failed':
      return {
        ...at,
        event: 'block_failed',
        error: blockError(o.error),
        attempt: num(o.attempt) ?? 1,
        will_retry: o.will_retry === true,
        duration_ms: num(o.duration_ms) ?? 0,
      };
    case 'block_skipped':
      return { ...at, event: 'block_skipped', reason: str(o.reason) ?? '' };
    case 'block_cached':
      return { ...at, event: 'block_cached', outputs: outputs(o.outputs), cached_at_ms: num(o.cached_at_ms) ?? 0, key: str(o.key) ?? '' };
    case 'warning':
      return { ...at, event: 'warning', message: str(o.message) ?? '' };
    case 'run_finished':
      return {
        ...at,
        event: 'run_finished',
        status: str(o.status) ?? 'failed',
        duration_ms: num(o.duration_ms) ?? 0,
        succeeded: num(o.succeeded) ?? 0,
        cached: num(o.cached) ?? 0,
        failed: num(o.failed) ?? 0,
        skipped: num(o.skipped) ?? 0,
      };
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ edge colours

/** Theme-aware colours (CSS variables with fallbacks) for the base types. */
export const TYPE_COLORS: Readonly<Record<string, string>> = {
  String: 'var(--vscode-charts-green, #89d185)',
  Number: 'var(--vscode-charts-blue, #3794ff)',
  Integer: 'var(--vscode-charts-blue, #3794ff)',
  Boolean: 'var(--vscode-charts-yellow, #cca700)',
  Path: 'var(--vscode-charts-orange, #d18616)',
  File: 'var(--vscode-charts-orange, #d18616)',
  Directory: 'var(--vscode-charts-orange, #d18616)',
  Json: 'var(--vscode-charts-purple, #b180d7)',
  Any: 'var(--vscode-descriptionForeground, #888888)',
};
/** Colour of a connection whose type is not known (or a named/record type). */
export const OTHER_COLOR = 'var(--vscode-charts-foreground, #cccccc)';
export const ERROR_COLOR = 'var(--vscode-editorError-foreground, #f14c4c)';

/**
 * The type that decides a connection's colour: the element of `List[T]`, the value of
 * `Dict[K, V]`, `T` of `T?`/`Optional[T]`; records and named types are themselves.
 */
export function baseType(ty: string): string {
  let t = ty.trim();
  for (;;) {
    if (t.endsWith('?')) {
      t = t.slice(0, -1).trim();
      continue;
    }
    const m = /^(List|Optional|Dict)\[(.*)\]$/.exec(t);
    if (!m) return t;
    const args = splitTopLevel(m[2] ?? '');
    t = (m[1] === 'Dict' ? args[1] : args[0])?.trim() ?? 'Any';
  }
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface EdgeStyle {
  color: string;
  /** Dashed for collections (List, Dict): several values flow. */
  dashed: boolean;
  /** Shown on hover: the type, or the problem. */
  title: string;
  invalid: boolean;
}

export function edgeStyle(c: Pick<GraphConnection, 'type' | 'valid' | 'problem'>): EdgeStyle {
  const ty = c.type ?? undefined;
  if (!c.valid) {
    return { color: ERROR_COLOR, dashed: false, title: c.problem ?? 'invalid connection', invalid: true };
  }
  if (!ty) return { color: OTHER_COLOR, dashed: false, title: 'unknown type', invalid: false };
  const base = baseType(ty);
  return {
    color: TYPE_COLORS[base] ?? OTHER_COLOR,
    dashed: /^(List|Dict)\[/.test(ty.trim()),
    title: ty,
    invalid: false,
  };
}

// ------------------------------------------------------------------ card geometry

export const CARD_WIDTH = 220;
export const HEADER_HEIGHT = 46;
export const PORT_ROW = 20;
export const CARD_PADDING = 8;

export function cardHeight(b: Pick<GraphBlock, 'inputs' | 'outputs'>): number {
  const rows = b.inputs.length + b.outputs.length;
  return HEADER_HEIGHT + rows * PORT_ROW + (rows > 0 ? CARD_PADDING : 0);
}

/** Offset of a port's dot from the card's top-left: inputs on the left, outputs on the right. */
export function portAnchor(
  b: Pick<GraphBlock, 'inputs' | 'outputs'>,
  dir: 'in' | 'out',
  name: string,
): { x: number; y: number } {
  const i = dir === 'in' ? b.inputs.findIndex((p) => p.name === name) : b.outputs.findIndex((p) => p.name === name);
  if (i < 0) return { x: dir === 'in' ? 0 : CARD_WIDTH, y: HEADER_HEIGHT / 2 };
  const row = dir === 'in' ? i : b.inputs.length + i;
  return { x: dir === 'in' ? 0 : CARD_WIDTH, y: HEADER_HEIGHT + row * PORT_ROW + PORT_ROW / 2 };
}

/** A cubic curve from an output dot to an input dot (SVG path data). */
export function edgePath(from: { x: number; y: number }, to: { x: number; y: number }): string {
  // Leave the output to the right and enter the input from the left; a target below or to
  // the left gets a wider curve so the line does not fold over the cards.
  const dx = Math.max(40, Math.abs(to.x - from.x) / 2, Math.min(Math.abs(to.y - from.y) / 2, 120));
  const r = (n: number) => Math.round(n * 10) / 10;
  return `M ${r(from.x)} ${r(from.y)} C ${r(from.x + dx)} ${r(from.y)}, ${r(to.x - dx)} ${r(to.y)}, ${r(to.x)} ${r(to.y)}`;
}

/** A codicon-free glyph per kind (the webview loads no fonts). */
export function kindIcon(kind: string, label: string): string {
  const l = label.toLowerCase();
  if (kind === 'ai') return '✦';
  if (kind === 'plugin') return '⧉';
  if (kind === 'hybrid') return '{}';
  if (kind === 'code') {
    if (l.startsWith('python')) return 'Py';
    if (l.startsWith('javascript')) return 'JS';
    if (l.startsWith('shell')) return '$_';
    if (l.startsWith('sql')) return 'SQL';
    if (l.startsWith('rust')) return 'Rs';
    return '</>';
  }
  // Visual blocks: the initials of the block type (`read_file` -> RF).
  const initials = label
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  return initials.slice(0, 2) || '◆';
}

// ------------------------------------------------------------------ run state

export type BlockRunState =
  | { state: 'idle' }
  | { state: 'pending' }
  | { state: 'queued'; since: number }
  | { state: 'running'; since: number; attempt: number }
  | { state: 'succeeded'; durationMs: number; outputs: OutputValue[] }
  | { state: 'cached'; outputs: OutputValue[] }
  | { state: 'failed'; message: string; willRetry: boolean }
  | { state: 'skipped'; reason: string };

export interface RunState {
  /** The server's id of the run (the `runId` of its events); undefined for a command-line run. */
  runId?: string;
  /** The run's id in the workspace history (`run_started.run_id`), when recorded. */
  historyId?: string;
  /** `running` until `run_finished`. */
  status: 'running' | string;
  startedAt: number;
  finishedAt?: number;
  blocks: Record<string, BlockRunState>;
  logs: { block?: string; stream: 'stdout' | 'stderr'; line: string }[];
}

export function newRun(ts: number, runId?: string): RunState {
  return { runId, status: 'running', startedAt: ts, blocks: {}, logs: [] };
}

/** The run state after one event (a new object; the old one is not changed). */
export function applyRunEvent(run: RunState, e: RunEvent): RunState {
  const ev = e.event;
  const next: RunState = { ...run, blocks: { ...run.blocks } };
  if (e.runId !== undefined) next.runId = e.runId;
  const block = ev.block ?? '';
  const set = (s: BlockRunState) => {
    if (block) next.blocks[block] = s;
  };
  switch (ev.event) {
    case 'run_started':
      if (ev.run_id) next.historyId = ev.run_id;
      next.startedAt = ev.ts_ms;
      next.status = 'running';
      for (const b of ev.blocks) next.blocks[b] = { state: 'pending' };
      break;
    case 'block_queued':
      set({ state: 'queued', since: ev.ts_ms });
      break;
    case 'block_started':
      set({ state: 'running', since: ev.ts_ms, attempt: ev.attempt });
      break;
    case 'block_finished':
      set({ state: 'succeeded', durationMs: ev.duration_ms, outputs: ev.outputs });
      break;
    case 'block_cached':
      set({ state: 'cached', outputs: ev.outputs });
      break;
    case 'block_failed':
      set({ state: 'failed', message: ev.error.message, willRetry: ev.will_retry });
      break;
    case 'block_skipped':
      set({ state: 'skipped', reason: ev.reason });
      break;
    case 'log':
      next.logs = [...run.logs, { block: ev.block, stream: ev.stream, line: ev.line }];
      break;
    case 'run_finished':
      next.status = ev.status;
      next.finishedAt = ev.ts_ms;
      // Blocks still waiting when the run ends did not run.
      for (const [id, s] of Object.entries(next.blocks)) {
        if (s.state === 'pending' || s.state === 'queued' || s.state === 'running') {
          next.blocks[id] = { state: 'skipped', reason: `run ${ev.status}` };
        }
      }
      break;
    case 'progress':
    case 'warning':
      break;
  }
  return next;
}

/** A short label for the card's status line. */
export function runStateLabel(s: BlockRunState, now: number): string {
  switch (s.state) {
    case 'idle':
      return '';
    case 'pending':
      return 'waiting';
    case 'queued':
      return 'queued';
    case 'running':
      return `running ${formatDuration(Math.max(0, now - s.since))}` + (s.attempt > 1 ? ` (attempt ${s.attempt})` : '');
    case 'succeeded':
      return `succeeded in ${formatDuration(s.durationMs)}`;
    case 'cached':
      return 'cached';
    case 'failed':
      return s.willRetry ? `failed, retrying: ${s.message}` : `failed: ${s.message}`;
    case 'skipped':
      return `skipped: ${s.reason}`;
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}
