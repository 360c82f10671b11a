import { describe, expect, it } from 'vitest';
import { layout, type LayoutEdge, type LayoutNode, type Placed } from '../src/preview/layout';

const node = (id: string, position?: { x: number; y: number }): LayoutNode => ({
  id,
  width: 200,
  height: 100,
  position: position ?? null,
});

function noOverlap(nodes: LayoutNode[], placed: Map<string, Placed>): void {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a.id >= b.id) continue;
      const pa = placed.get(a.id)!;
      const pb = placed.get(b.id)!;
      const apart =
        pa.x + a.width <= pb.x || pb.x + b.width <= pa.x || pa.y + a.height <= pb.y || pb.y + b.height <= pa.y;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
  }
}

describe('layout', () => {
  it('lays a chain out top to bottom in one column', () => {
    const nodes = ['a', 'b', 'c', 'd'].map((id) => node(id));
    const edges: LayoutEdge[] = [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'd' },
    ];
    const p = layout(nodes, edges);
    const ys = ['a', 'b', 'c', 'd'].map((id) => p.get(id)!.y);
    expect(ys).toEqual([...ys].sort((x, y) => x - y));
    expect(new Set(ys).size).toBe(4);
    expect(new Set(['a', 'b', 'c', 'd'].map((id) => p.get(id)!.x)).size).toBe(1);
    expect([...p.values()].every((x) => x.auto)).toBe(true);
  });

  it('puts fan-out children on one layer below the parent, side by side', () => {
    const nodes = ['root', 'x', 'y', 'z'].map((id) => node(id));
    const edges = ['x', 'y', 'z'].map((to) => ({ from: 'root', to }));
    const p = layout(nodes, edges);
    const kids = ['x', 'y', 'z'].map((id) => p.get(id)!);
    expect(new Set(kids.map((k) => k.y)).size).toBe(1);
    expect(kids[0]!.y).toBeGreaterThan(p.get('root')!.y);
    noOverlap(nodes, p);
    // the parent is centred above its children
    const mid = (Math.min(...kids.map((k) => k.x)) + Math.max(...kids.map((k) => k.x))) / 2;
    expect(Math.abs(p.get('root')!.x - mid)).toBeLessThan(1);
  });

  it('uses the longest path: a node sits below its deepest predecessor', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(id));
    const p = layout(nodes, [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ]);
    expect(p.get('c')!.y).toBeGreaterThan(p.get('b')!.y);
  });

  it('survives cycles and dangling edges from text being edited', () => {
    const nodes = ['a', 'b', 'c'].map((id) => node(id));
    const p = layout(nodes, [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'c', to: 'c' },
      { from: 'a', to: 'missing' },
      { from: 'ghost', to: 'b' },
    ]);
    expect(p.size).toBe(3);
    expect(p.get('a')!.y).toBeLessThan(p.get('b')!.y);
    expect(p.get('b')!.y).toBeLessThan(p.get('c')!.y);
    noOverlap(nodes, p);
  });

  it('orders layers by barycenter to avoid crossings', () => {
    // a1 -> b2, a2 -> b1: the second layer should be reordered to b2, b1.
    const nodes = ['a1', 'a2', 'b1', 'b2'].map((id) => node(id));
    const p = layout(nodes, [
      { from: 'a1', to: 'b2' },
      { from: 'a2', to: 'b1' },
    ]);
    expect(p.get('a1')!.x < p.get('a2')!.x).toBe(p.get('b2')!.x < p.get('b1')!.x);
  });

  it('keeps given positions and places the others beside them without overlap', () => {
    const nodes = [node('find', { x: 100, y: 100 }), node('filter', { x: 100, y: 300 }), node('new1'), node('lonely')];
    const p = layout(nodes, [
      { from: 'find', to: 'filter' },
      { from: 'filter', to: 'new1' },
    ]);
    expect(p.get('find')).toEqual({ x: 100, y: 100, auto: false });
    expect(p.get('filter')).toEqual({ x: 100, y: 300, auto: false });
    expect(p.get('new1')!.auto).toBe(true);
    expect(p.get('new1')!.y).toBeGreaterThanOrEqual(300 + 100);
    expect(p.get('new1')!.x).toBe(100);
    expect(p.get('lonely')!.x).toBeGreaterThan(300);
    noOverlap(nodes, p);
  });

  it('places an unpositioned source above its positioned successor', () => {
    const nodes = [node('src'), node('sink', { x: 0, y: 500 })];
    const p = layout(nodes, [{ from: 'src', to: 'sink' }]);
    expect(p.get('src')!.y + 100).toBeLessThanOrEqual(500);
  });

  it('moves an auto-placed node right when its spot is taken', () => {
    const nodes = [node('a', { x: 0, y: 0 }), node('b'), node('taken', { x: 0, y: 170 })];
    const p = layout(nodes, [{ from: 'a', to: 'b' }]);
    noOverlap(nodes, p);
    expect(p.get('b')!.x).toBeGreaterThan(0);
  });

  it('lays out 2,000 blocks quickly', () => {
    const nodes = Array.from({ length: 2000 }, (_, i) => node('n' + i));
    const edges = nodes.slice(1).map((n, i) => ({ from: 'n' + Math.floor(i / 3), to: n.id }));
    const t = Date.now();
    const p = layout(nodes, edges);
    expect(p.size).toBe(2000);
    expect(Date.now() - t).toBeLessThan(3000);
  });
});
