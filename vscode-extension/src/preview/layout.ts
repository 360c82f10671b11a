/**
 * Auto-layout for blocks without a canvas position: a small layered (Sugiyama-style) layout.
 *
 * 1. Cycles (possible while the text is being edited) are broken by ignoring DFS back edges.
 * 2. Longest-path layering: a node sits one layer below its deepest predecessor; layers run
 *    top to bottom, as the examples' positions do.
 * 3. Barycenter ordering: a few down and up sweeps order each layer by the mean position of
 *    its neighbours in the layer before, which removes most crossings.
 * 4. Coordinates: layer → y, order → x.
 *
 * Blocks that have a position keep it. Unpositioned blocks then go below their placed
 * predecessors (or above their placed successors, or in a column right of everything), and
 * are pushed right until they overlap nothing.
 */

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
  /** The block's canvas position (top-left), when the text gives one. */
  position?: { x: number; y: number } | null;
}

export interface LayoutEdge {
  from: string;
  to: string;
}

export interface Placed {
  x: number;
  y: number;
  /** True when the position came from the layout, not from the text. */
  auto: boolean;
}

export const H_GAP = 60;
export const V_GAP = 70;

/** Position of every node (top-left). Edges to unknown nodes and self-loops are ignored. */
export function layout(nodes: LayoutNode[], edges: LayoutEdge[]): Map<string, Placed> {
  const ids = new Set(nodes.map((n) => n.id));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const succ = new Map<string, string[]>();
  const pred = new Map<string, string[]>();
  for (const n of nodes) {
    succ.set(n.id, []);
    pred.set(n.id, []);
  }
  const seen = new Set<string>();
  for (const e of edges) {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) continue;
    const key = e.from + '\u0000' + e.to;
    if (seen.has(key)) continue;
    seen.add(key);
    succ.get(e.from)!.push(e.to);
    pred.get(e.to)!.push(e.from);
  }

  const dag = acyclic(nodes.map((n) => n.id), succ);
  const layers = longestPathLayers(nodes.map((n) => n.id), dag);
  const order = orderLayers(layers, dag);
  const grid = coordinates(order, byId);

  const out = new Map<string, Placed>();
  const positioned = nodes.filter((n) => n.position);
  if (positioned.length === 0) {
    for (const [id, p] of grid) out.set(id, { ...p, auto: true });
    return out;
  }
  for (const n of positioned) out.set(n.id, { x: n.position!.x, y: n.position!.y, auto: false });

  // Bounding box of the positioned blocks, for blocks with no placed neighbour.
  const right = Math.max(...positioned.map((n) => n.position!.x + n.width)) + H_GAP * 2;
  const top = Math.min(...positioned.map((n) => n.position!.y));

  // Unpositioned nodes in layer order, so predecessors are placed first.
  const pending = order.flat().filter((id) => !out.has(id));
  for (const id of pending) {
    const n = byId.get(id)!;
    const ps = (pred.get(id) ?? []).map((p) => ({ p, at: out.get(p) })).filter((x) => x.at);
    const ss = (succ.get(id) ?? []).map((s) => ({ s, at: out.get(s) })).filter((x) => x.at);
    let x: number;
    let y: number;
    if (ps.length > 0) {
      x = mean(ps.map((q) => q.at!.x));
      y = Math.max(...ps.map((q) => q.at!.y + byId.get(q.p)!.height)) + V_GAP;
    } else if (ss.length > 0) {
      x = mean(ss.map((q) => q.at!.x));
      y = Math.min(...ss.map((q) => q.at!.y)) - n.height - V_GAP;
    } else {
      const g = grid.get(id)!;
      x = right + g.x;
      y = top + g.y;
    }
    ({ x, y } = clear(x, y, n, out, byId));
    out.set(id, { x, y, auto: true });
  }
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function overlaps(
  a: { x: number; y: number; w: number; h: number },
  b: { x: number; y: number; w: number; h: number },
): boolean {
  const g = 10;
  return a.x < b.x + b.w + g && b.x < a.x + a.w + g && a.y < b.y + b.h + g && b.y < a.y + a.h + g;
}

/** Moves (x, y) right until a node of n's size there overlaps no placed node. */
function clear(
  x: number,
  y: number,
  n: LayoutNode,
  placed: Map<string, Placed>,
  byId: Map<string, LayoutNode>,
): { x: number; y: number } {
  for (let guard = 0; guard < 10_000; guard++) {
    let hit: { x: number; w: number } | undefined;
    for (const [id, p] of placed) {
      const m = byId.get(id)!;
      const box = { x: p.x, y: p.y, w: m.width, h: m.height };
      if (overlaps({ x, y, w: n.width, h: n.height }, box)) {
        hit = { x: p.x, w: m.width };
        break;
      }
    }
    if (!hit) break;
    x = hit.x + hit.w + H_GAP;
  }
  return { x, y };
}

/** The edges without the back edges of a DFS in node order: a DAG. */
export function acyclic(ids: string[], succ: Map<string, string[]>): Map<string, string[]> {
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const dag = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const root of ids) {
    if (state.has(root)) continue;
    // Iterative DFS (large graphs must not overflow the stack).
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const next = succ.get(top.id)![top.i++];
      if (next === undefined) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const s = state.get(next);
      if (s === 1) continue; // back edge: drop it
      dag.get(top.id)!.push(next);
      if (s === undefined) {
        state.set(next, 1);
        stack.push({ id: next, i: 0 });
      }
    }
  }
  return dag;
}

/** Layer of each node: 0 for sources, else 1 + the deepest predecessor's. */
export function longestPathLayers(ids: string[], dag: Map<string, string[]>): Map<string, number> {
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of ids) for (const s of dag.get(id)!) indeg.set(s, indeg.get(s)! + 1);
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indeg.get(id) === 0);
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    for (const s of dag.get(id)!) {
      layer.set(s, Math.max(layer.get(s)!, layer.get(id)! + 1));
      indeg.set(s, indeg.get(s)! - 1);
      if (indeg.get(s) === 0) queue.push(s);
    }
  }
  return layer;
}

/** Node ids per layer, ordered by barycenter sweeps (ties keep file order). */
export function orderLayers(layer: Map<string, number>, dag: Map<string, string[]>): string[][] {
  const count = Math.max(-1, ...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: count }, () => []);
  for (const [id, l] of layer) layers[l]!.push(id);
  const preds = new Map<string, string[]>([...layer.keys()].map((id) => [id, []]));
  for (const [id, ss] of dag) for (const s of ss) preds.get(s)!.push(id);

  const pos = new Map<string, number>();
  const index = () => layers.forEach((ids) => ids.forEach((id, i) => pos.set(id, i)));
  index();
  const sortBy = (ids: string[], neighbours: (id: string) => string[]) => {
    const key = new Map<string, number>();
    ids.forEach((id, i) => {
      const ns = neighbours(id).filter((n) => pos.has(n));
      key.set(id, ns.length > 0 ? mean(ns.map((n) => pos.get(n)!)) : i);
    });
    // Stable sort: equal keys keep their order.
    return ids
      .map((id, i) => ({ id, i }))
      .sort((a, b) => key.get(a.id)! - key.get(b.id)! || a.i - b.i)
      .map((x) => x.id);
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let l = 1; l < count; l++) {
      layers[l] = sortBy(layers[l]!, (id) => preds.get(id)!);
      index();
    }
    for (let l = count - 2; l >= 0; l--) {
      layers[l] = sortBy(layers[l]!, (id) => dag.get(id)!);
      index();
    }
  }
  return layers;
}

/** Grid coordinates: each layer a row, its nodes left to right, rows as tall as their tallest. */
function coordinates(layers: string[][], byId: Map<string, LayoutNode>): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const widest = Math.max(0, ...layers.map((ids) => ids.reduce((w, id) => w + byId.get(id)!.width + H_GAP, -H_GAP)));
  let y = 0;
  for (const ids of layers) {
    const w = ids.reduce((acc, id) => acc + byId.get(id)!.width + H_GAP, -H_GAP);
    let x = (widest - w) / 2; // centre each row
    let h = 0;
    for (const id of ids) {
      const n = byId.get(id)!;
      out.set(id, { x: Math.round(x), y });
      x += n.width + H_GAP;
      h = Math.max(h, n.height);
    }
    y += h + V_GAP;
  }
  return out;
}
