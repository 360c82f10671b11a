import { describe, expect, it } from 'vitest';
import {
  applyRunEvent,
  baseType,
  cardHeight,
  edgeStyle,
  ERROR_COLOR,
  newRun,
  normalizeGraph,
  normalizeRunEvent,
  OTHER_COLOR,
  portAnchor,
  runStateLabel,
  TYPE_COLORS,
  type RunState,
} from '../src/preview/model';
import type { RunEvent } from '../src/lsp_ext';

describe('normalizeGraph', () => {
  const range = { start: { line: 1, character: 2 }, end: { line: 5, character: 3 } };
  it('reads camelCase answers', () => {
    const g = normalizeGraph({
      version: 3,
      hasErrors: true,
      blocks: [
        {
          id: 'find',
          kind: 'visual',
          kindLabel: 'find_files',
          name: 'Find',
          position: { x: 1, y: 2 },
          range,
          inputs: [],
          outputs: [{ name: 'files', type: 'List[Path]' }],
        },
      ],
      connections: [
        { id: 'c', sourceBlock: 'find', sourcePort: 'files', targetBlock: 'f', targetPort: 'files', type: 'List[Path]', valid: true },
      ],
    });
    expect(g.hasErrors).toBe(true);
    expect(g.version).toBe(3);
    expect(g.blocks[0]).toMatchObject({ id: 'find', kindLabel: 'find_files', position: { x: 1, y: 2 }, range });
    expect(g.blocks[0]!.outputs[0]).toMatchObject({ name: 'files', type: 'List[Path]' });
    expect(g.connections[0]).toMatchObject({ sourceBlock: 'find', targetPort: 'files', valid: true });
  });
  it('reads snake_case answers, tuple positions and nested ends; drops malformed entries', () => {
    const g = normalizeGraph({
      has_errors: false,
      blocks: [
        { id: 'a', kind: 'code', kind_label: 'python', position: [5, 6], span: range, inputs: [{ name: 'x', ty: 'Number' }], outputs: [] },
        { kind: 'code' },
        'junk',
      ],
      connections: [
        { source: { block: 'a', port: 'o' }, target: { block: 'b', port: 'i' }, ty: 'String', valid: false, problem: 'bad' },
        { source_block: 'a' },
      ],
    });
    expect(g.blocks).toHaveLength(1);
    expect(g.blocks[0]).toMatchObject({ kindLabel: 'python', position: { x: 5, y: 6 }, range });
    expect(g.blocks[0]!.inputs[0]!.type).toBe('Number');
    expect(g.connections).toHaveLength(1);
    expect(g.connections[0]).toMatchObject({ id: 'a.o->b.i', type: 'String', valid: false, problem: 'bad' });
  });
  it('returns an empty graph for nonsense', () => {
    expect(normalizeGraph(null)).toMatchObject({ blocks: [], connections: [], hasErrors: false });
  });
});

describe('edge colouring', () => {
  it('colours by the base type of collections and optionals', () => {
    expect(baseType('List[Path]')).toBe('Path');
    expect(baseType('Dict[String, List[Integer]]')).toBe('Integer');
    expect(baseType('String?')).toBe('String');
    expect(baseType('Optional[List[Boolean]]')).toBe('Boolean');
    expect(baseType('{a: Integer}')).toBe('{a: Integer}');
  });
  it('paints type errors red with the problem as title', () => {
    const s = edgeStyle({ type: 'List[Path]', valid: false, problem: '`List[Path]` does not fit `Number`' });
    expect(s).toEqual({ color: ERROR_COLOR, dashed: false, title: '`List[Path]` does not fit `Number`', invalid: true });
  });
  it('dashes collections, keeps scalars solid, falls back for named and unknown types', () => {
    expect(edgeStyle({ type: 'List[Path]', valid: true })).toMatchObject({ color: TYPE_COLORS.Path, dashed: true, invalid: false });
    expect(edgeStyle({ type: 'String', valid: true })).toMatchObject({ color: TYPE_COLORS.String, dashed: false });
    expect(edgeStyle({ type: 'Order', valid: true }).color).toBe(OTHER_COLOR);
    expect(edgeStyle({ type: null, valid: true }).color).toBe(OTHER_COLOR);
    expect(edgeStyle({ type: 'Integer', valid: true }).color).toBe(edgeStyle({ type: 'Number', valid: true }).color);
  });
});

describe('card geometry', () => {
  const b = { inputs: [{ name: 'a' }, { name: 'b' }], outputs: [{ name: 'o' }] };
  it('puts inputs on the left and outputs on the right, in rows', () => {
    const a = portAnchor(b, 'in', 'a');
    const bb = portAnchor(b, 'in', 'b');
    const o = portAnchor(b, 'out', 'o');
    expect(a.x).toBe(0);
    expect(o.x).toBeGreaterThan(0);
    expect(bb.y).toBeGreaterThan(a.y);
    expect(o.y).toBeGreaterThan(bb.y);
    expect(o.y).toBeLessThan(cardHeight(b));
  });
});

describe('run state', () => {
  const ev = (ts: number, event: RunEvent['event']): RunEvent => ({ uri: 'file:///w.ab', ts, event });
  it('follows a block through queued, running, succeeded', () => {
    let r: RunState = newRun(0);
    r = applyRunEvent(r, ev(0, { event: 'run_started', blocks: ['a', 'b'] }));
    expect(r.blocks.a).toEqual({ state: 'pending' });
    r = applyRunEvent(r, ev(10, { event: 'block_queued', block: 'a' }));
    expect(r.blocks.a?.state).toBe('queued');
    r = applyRunEvent(r, ev(20, { event: 'block_started', block: 'a', attempt: 1 }));
    expect(runStateLabel(r.blocks.a!, 1520)).toBe('running 1.5 s');
    const before = r;
    r = applyRunEvent(r, ev(30, { event: 'block_finished', block: 'a', outputs: [{ port: 'x', preview: '1', value: 1 }], durationMs: 10 }));
    expect(r.blocks.a).toMatchObject({ state: 'succeeded', durationMs: 10 });
    expect(before.blocks.a?.state).toBe('running'); // not mutated
    r = applyRunEvent(r, ev(40, { event: 'block_cached', block: 'b', outputs: [] }));
    r = applyRunEvent(r, ev(50, { event: 'run_finished', status: 'succeeded', durationMs: 50, succeeded: 1, cached: 1, failed: 0, skipped: 0 }));
    expect(r.status).toBe('succeeded');
    expect(r.blocks.b?.state).toBe('cached');
  });
  it('marks failures, retries and what never ran', () => {
    let r = applyRunEvent(newRun(0), ev(0, { event: 'run_started', blocks: ['a', 'b', 'c'] }));
    r = applyRunEvent(r, ev(1, { event: 'block_started', block: 'a', attempt: 1 }));
    r = applyRunEvent(r, ev(2, { event: 'block_failed', block: 'a', message: 'boom', willRetry: true }));
    expect(runStateLabel(r.blocks.a!, 3)).toBe('failed, retrying: boom');
    r = applyRunEvent(r, ev(3, { event: 'block_started', block: 'a', attempt: 2 }));
    expect(runStateLabel(r.blocks.a!, 3)).toContain('attempt 2');
    r = applyRunEvent(r, ev(4, { event: 'block_failed', block: 'a', message: 'boom', willRetry: false }));
    r = applyRunEvent(r, ev(5, { event: 'block_skipped', block: 'b', reason: 'upstream block `a` failed' }));
    r = applyRunEvent(r, ev(6, { event: 'run_finished', status: 'failed', durationMs: 6, succeeded: 0, cached: 0, failed: 1, skipped: 2 }));
    expect(r.blocks.a?.state).toBe('failed');
    expect(r.blocks.b).toEqual({ state: 'skipped', reason: 'upstream block `a` failed' });
    expect(r.blocks.c).toEqual({ state: 'skipped', reason: 'run failed' });
    expect(r.status).toBe('failed');
  });
  it('keeps log lines', () => {
    const r = applyRunEvent(newRun(0), ev(1, { event: 'log', block: 'a', stream: 'stderr', line: 'hi' }));
    expect(r.logs).toEqual([{ block: 'a', stream: 'stderr', line: 'hi' }]);
  });
});

describe('normalizeRunEvent', () => {
  it('reads the engine event flattened into the params', () => {
    const e = normalizeRunEvent({ uri: 'file:///a.ab', runId: 'r1', ts_ms: 5, block: 'x', event: 'block_finished', outputs: [{ port: 'p', preview: '3', value: 3 }], duration_ms: 7, attempts: 1 });
    expect(e).toEqual({ uri: 'file:///a.ab', runId: 'r1', ts: 5, event: { event: 'block_finished', block: 'x', outputs: [{ port: 'p', preview: '3', value: 3 }], durationMs: 7, attempts: 1 } });
  });
  it('reads a nested engine event and a failure with its error object', () => {
    const e = normalizeRunEvent({ uri: 'u', event: { ts_ms: 1, block: 'x', event: 'block_failed', error: { kind: 'failed', message: 'ZeroDivisionError' }, attempt: 1, will_retry: false, duration_ms: 2 } });
    expect(e?.event).toMatchObject({ event: 'block_failed', block: 'x', message: 'ZeroDivisionError', errorKind: 'failed', willRetry: false });
  });
  it('ignores unknown events', () => {
    expect(normalizeRunEvent({ uri: 'u', event: 'something_new' })).toBeUndefined();
    expect(normalizeRunEvent(42)).toBeUndefined();
  });
});
