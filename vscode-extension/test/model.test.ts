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
  const ev = (event: RunEvent['event'], runId?: string): RunEvent => ({ uri: 'file:///w.ab', runId, event });
  it('follows a block through queued, running, succeeded', () => {
    let r: RunState = newRun(0);
    r = applyRunEvent(r, ev({ ts_ms: 0, event: 'run_started', run_id: '7', workflow: 'w.ab', blocks: ['a', 'b'], mode: 'parallel', max_concurrent_blocks: 4 }, '1'));
    expect(r.blocks.a).toEqual({ state: 'pending' });
    expect(r.runId).toBe('1');
    expect(r.historyId).toBe('7');
    r = applyRunEvent(r, ev({ ts_ms: 10, block: 'a', event: 'block_queued' }));
    expect(r.blocks.a?.state).toBe('queued');
    r = applyRunEvent(r, ev({ ts_ms: 20, block: 'a', event: 'block_started', attempt: 1 }));
    expect(runStateLabel(r.blocks.a!, 1520)).toBe('running 1.5 s');
    const before = r;
    r = applyRunEvent(r, ev({ ts_ms: 30, block: 'a', event: 'block_finished', outputs: [{ port: 'x', preview: '1', value: 1 }], duration_ms: 10, attempts: 1 }));
    expect(r.blocks.a).toMatchObject({ state: 'succeeded', durationMs: 10 });
    expect(before.blocks.a?.state).toBe('running'); // not mutated
    r = applyRunEvent(r, ev({ ts_ms: 40, block: 'b', event: 'block_cached', outputs: [], cached_at_ms: 1, key: 'k' }));
    r = applyRunEvent(r, ev({ ts_ms: 50, event: 'run_finished', status: 'succeeded', duration_ms: 50, succeeded: 1, cached: 1, failed: 0, skipped: 0 }));
    expect(r.status).toBe('succeeded');
    expect(r.finishedAt).toBe(50);
    expect(r.blocks.b?.state).toBe('cached');
  });
  it('marks failures, retries and what never ran', () => {
    const boom = { kind: 'failed', message: 'boom' };
    let r = applyRunEvent(newRun(0), ev({ ts_ms: 0, event: 'run_started', run_id: '', workflow: 'w.ab', blocks: ['a', 'b', 'c'], mode: 'sequential', max_concurrent_blocks: 1 }));
    expect(r.historyId).toBeUndefined();
    r = applyRunEvent(r, ev({ ts_ms: 1, block: 'a', event: 'block_started', attempt: 1 }));
    r = applyRunEvent(r, ev({ ts_ms: 2, block: 'a', event: 'block_failed', error: boom, attempt: 1, will_retry: true, duration_ms: 1 }));
    expect(runStateLabel(r.blocks.a!, 3)).toBe('failed, retrying: boom');
    r = applyRunEvent(r, ev({ ts_ms: 3, block: 'a', event: 'block_started', attempt: 2 }));
    expect(runStateLabel(r.blocks.a!, 3)).toContain('attempt 2');
    r = applyRunEvent(r, ev({ ts_ms: 4, block: 'a', event: 'block_failed', error: boom, attempt: 2, will_retry: false, duration_ms: 1 }));
    r = applyRunEvent(r, ev({ ts_ms: 5, block: 'b', event: 'block_skipped', reason: 'upstream block `a` failed' }));
    r = applyRunEvent(r, ev({ ts_ms: 6, event: 'run_finished', status: 'failed', duration_ms: 6, succeeded: 0, cached: 0, failed: 1, skipped: 2 }));
    expect(r.blocks.a?.state).toBe('failed');
    expect(r.blocks.b).toEqual({ state: 'skipped', reason: 'upstream block `a` failed' });
    expect(r.blocks.c).toEqual({ state: 'skipped', reason: 'run failed' });
    expect(r.status).toBe('failed');
  });
  it('keeps log lines', () => {
    const r = applyRunEvent(newRun(0), ev({ ts_ms: 1, block: 'a', event: 'log', stream: 'stderr', line: 'hi' }));
    expect(r.logs).toEqual([{ block: 'a', stream: 'stderr', line: 'hi' }]);
  });
});

describe('normalizeRunEvent', () => {
  // Lines exactly as `agentblocks run examples/cpp-callbacks.ab --json` prints them (shortened
  // values); the server's `agentblocks/runEvent` carries the same objects as `event`.
  const LINES = [
    '{"ts_ms":1795331169046,"event":"run_started","run_id":"1","workflow":"examples/cpp-callbacks.ab","blocks":["find","filter","context","generate"],"mode":"parallel","max_concurrent_blocks":4}',
    '{"ts_ms":1795331169046,"block":"find","event":"block_queued"}',
    '{"ts_ms":1795331169046,"block":"find","event":"block_started","attempt":1}',
    '{"ts_ms":1795331169047,"block":"find","event":"log","stream":"stderr","line":"found 3"}',
    '{"ts_ms":1795331169047,"block":"find","event":"progress","fraction":0.5,"message":"half"}',
    '{"ts_ms":1795331169047,"block":"find","event":"block_finished","outputs":[{"port":"files","preview":"List(3) [...]","value":["a.cpp","b.cpp","c.cpp"]}],"duration_ms":1,"attempts":1}',
    '{"ts_ms":1795331169089,"block":"filter","event":"block_cached","outputs":[{"port":"filtered_files","preview":"List(2) [...]","value":["a.cpp","b.cpp"]}],"cached_at_ms":1795331100000,"key":"9f2c"}',
    '{"ts_ms":1795331169090,"block":"generate","event":"block_failed","error":{"kind":"unsupported","message":"`ai` blocks are not supported yet","location":{"file":"examples/cpp-callbacks.ab","span_start":1346,"span_end":1918,"line":48,"column":3}},"attempt":1,"will_retry":false,"duration_ms":0}',
    '{"ts_ms":1795331169090,"block":"context","event":"block_skipped","reason":"upstream block `filter` failed"}',
    '{"ts_ms":1795331169090,"event":"warning","message":"block `find` reads the file system"}',
    '{"ts_ms":1795331169090,"event":"run_finished","status":"failed","duration_ms":46,"succeeded":3,"cached":0,"failed":1,"skipped":0}',
  ].map((l) => JSON.parse(l) as Record<string, unknown>);

  it('reads every kind of engine event exactly as the engine writes it', () => {
    for (const line of LINES) {
      const e = normalizeRunEvent({ uri: 'file:///w/cpp-callbacks.ab', runId: '3', event: line });
      expect(e, String(line.event)).toEqual({ uri: 'file:///w/cpp-callbacks.ab', runId: '3', event: line });
    }
  });
  it('takes a command-line line without runId', () => {
    const e = normalizeRunEvent({ uri: 'file:///w.ab', event: LINES[2] });
    expect(e).toEqual({ uri: 'file:///w.ab', runId: undefined, event: { ts_ms: 1795331169046, block: 'find', event: 'block_started', attempt: 1 } });
  });
  it('fills in missing fields', () => {
    const e = normalizeRunEvent({ uri: 'u', event: { ts_ms: 1, block: 'x', event: 'block_failed' } });
    expect(e?.event).toEqual({ ts_ms: 1, block: 'x', event: 'block_failed', error: { kind: 'failed', message: 'failed' }, attempt: 1, will_retry: false, duration_ms: 0 });
  });
  it('a whole run drives the run state', () => {
    let r = newRun(0);
    for (const line of LINES) r = applyRunEvent(r, normalizeRunEvent({ uri: 'u', runId: '3', event: line })!);
    expect(r).toMatchObject({ runId: '3', historyId: '1', status: 'failed', startedAt: 1795331169046, finishedAt: 1795331169090 });
    expect(Object.fromEntries(Object.entries(r.blocks).map(([k, v]) => [k, v.state]))).toEqual({
      find: 'succeeded',
      filter: 'cached',
      context: 'skipped',
      generate: 'failed',
    });
    expect(r.blocks.generate).toEqual({ state: 'failed', message: '`ai` blocks are not supported yet', willRetry: false });
    expect(r.logs).toEqual([{ block: 'find', stream: 'stderr', line: 'found 3' }]);
  });
  it('leaves out what is not an engine event', () => {
    expect(normalizeRunEvent({ uri: 'u', event: 'something_new' })).toBeUndefined();
    expect(normalizeRunEvent({ uri: 'u', event: { ts_ms: 1, event: 'something_new' } })).toBeUndefined();
    expect(normalizeRunEvent({ uri: 'u', event: { ts_ms: 1, event: 'block_started', attempt: 1 } })).toBeUndefined(); // no block
    expect(normalizeRunEvent({ ts_ms: 1, block: 'x', event: 'block_queued' })).toBeUndefined(); // not wrapped
    expect(normalizeRunEvent(42)).toBeUndefined();
  });
});
