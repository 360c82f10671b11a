/**
 * The preview webview: draws the graph the panel sends, with pan/zoom, fit, a minimap, run
 * state on the cards, click to reveal, drag to move. DOM only; the geometry and colours come
 * from the pure modules (layout.ts, model.ts).
 */
import type { Graph, GraphBlock } from '../lsp_ext';
import { layout } from '../preview/layout';
import {
  CARD_WIDTH,
  cardHeight,
  edgePath,
  edgeStyle,
  kindIcon,
  portAnchor,
  runStateLabel,
  type BlockRunState,
} from '../preview/model';
import type { FromWebview, ToWebview } from '../preview/protocol';

interface VsCodeApi {
  postMessage(m: FromWebview): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';

interface View {
  x: number;
  y: number;
  k: number;
}
interface Saved {
  view?: View;
}

const $ = <T extends Element>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`missing ${sel}`);
  return el;
};
const canvas = $<HTMLDivElement>('#canvas');
const world = $<HTMLDivElement>('#world');
const edgesSvg = $<SVGSVGElement>('#edges');
const nodesDiv = $<HTMLDivElement>('#nodes');
const banner = $<HTMLDivElement>('#banner');
const minimap = $<HTMLDivElement>('#minimap');
const minimapSvg = $<SVGSVGElement>('#minimap svg');
const title = $<HTMLSpanElement>('#title');
const runStatus = $<HTMLSpanElement>('#run-status');
const zoomLevel = $<HTMLSpanElement>('#zoom-level');

const saved = (vscode.getState() ?? {}) as Saved;
let view: View | undefined = saved.view;
/** False until the user pans, zooms or drags: until then the view refits on resize. */
let userMoved = saved.view !== undefined;
let graph: Graph | undefined;
let positions = new Map<string, { x: number; y: number; auto: boolean }>();
let runBlocks: Record<string, BlockRunState> = {};
/** Offset between the webview's clock and the extension host's (for elapsed times). */
let clockSkew = 0;
/** Positions dragged here, shown until the server's graph has them. */
const dragged = new Map<string, { x: number; y: number }>();

// ------------------------------------------------------------------ view transform

function applyView(): void {
  if (!view) return;
  world.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.k})`;
  zoomLevel.textContent = `${Math.round(view.k * 100)}%`;
  vscode.setState({ view } satisfies Saved);
  drawMinimap();
}

function bounds(): { x0: number; y0: number; x1: number; y1: number } | undefined {
  if (!graph || graph.blocks.length === 0) return undefined;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const b of graph.blocks) {
    const p = positions.get(b.id);
    if (!p) continue;
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + CARD_WIDTH);
    y1 = Math.max(y1, p.y + cardHeight(b));
  }
  return Number.isFinite(x0) ? { x0, y0, x1, y1 } : undefined;
}

function fit(): void {
  const b = bounds();
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (w === 0 || h === 0) {
    requestAnimationFrame(fit); // not laid out yet
    return;
  }
  if (!b) {
    view = { x: 0, y: 0, k: 1 };
  } else {
    const pad = 40;
    const k = Math.min(1.5, Math.max(0.1, Math.min((w - 2 * pad) / (b.x1 - b.x0), (h - 2 * pad) / (b.y1 - b.y0))));
    view = { k, x: (w - (b.x1 - b.x0) * k) / 2 - b.x0 * k, y: (h - (b.y1 - b.y0) * k) / 2 - b.y0 * k };
  }
  applyView();
}

function zoomAt(factor: number, cx: number, cy: number): void {
  if (!view) return;
  userMoved = true;
  const k = Math.min(4, Math.max(0.05, view.k * factor));
  const f = k / view.k;
  view = { k, x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f };
  applyView();
}

// ------------------------------------------------------------------ drawing

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function card(b: GraphBlock): HTMLDivElement {
  const c = el('div', 'card');
  c.dataset.block = b.id;
  c.dataset.kind = String(b.kind);
  const head = el('div', 'head');
  const icon = el('span', `icon kind-${b.kind}`, kindIcon(String(b.kind), b.kindLabel));
  const names = el('div', 'names');
  names.append(el('div', 'name', b.name ?? b.id), el('div', 'sub', `${b.id} · ${b.kindLabel}`));
  head.append(icon, names);
  const status = el('div', 'status');
  c.append(head, status);
  for (const p of b.inputs) {
    const row = el('div', 'port in');
    row.dataset.port = p.name;
    row.append(el('span', 'dot'), el('span', 'pname', p.name), el('span', 'ptype', p.type ?? ''));
    c.append(row);
  }
  for (const p of b.outputs) {
    const row = el('div', 'port out');
    row.dataset.port = p.name;
    row.append(el('span', 'ptype', p.type ?? ''), el('span', 'pname', p.name), el('span', 'dot'));
    c.append(row);
  }
  c.title = `${b.name ?? b.id} (${b.kindLabel}): click to show in the text, drag to move`;
  c.addEventListener('pointerdown', (e) => startDrag(e, b.id, c));
  c.addEventListener('dblclick', (e) => {
    e.stopPropagation();
    vscode.postMessage({ type: 'runBlock', block: b.id });
  });
  return c;
}

function draw(): void {
  if (!graph) return;
  const nodes = graph.blocks.map((b) => ({
    id: b.id,
    width: CARD_WIDTH,
    height: cardHeight(b),
    position: dragged.get(b.id) ?? b.position ?? null,
  }));
  positions = layout(
    nodes,
    graph.connections.map((c) => ({ from: c.sourceBlock, to: c.targetBlock })),
  );
  nodesDiv.replaceChildren();
  for (const b of graph.blocks) {
    const p = positions.get(b.id)!;
    const c = card(b);
    c.style.left = `${p.x}px`;
    c.style.top = `${p.y}px`;
    c.style.width = `${CARD_WIDTH}px`;
    c.style.height = `${cardHeight(b)}px`;
    c.classList.toggle('auto', p.auto);
    nodesDiv.append(c);
  }
  drawEdges();
  drawRunState();
  document.body.dataset.blocks = String(graph.blocks.length);
  document.body.dataset.connections = String(graph.connections.length);
}

function drawEdges(): void {
  if (!graph) return;
  const byId = new Map(graph.blocks.map((b) => [b.id, b]));
  edgesSvg.replaceChildren();
  for (const c of graph.connections) {
    const s = byId.get(c.sourceBlock);
    const t = byId.get(c.targetBlock);
    const ps = positions.get(c.sourceBlock);
    const pt = positions.get(c.targetBlock);
    if (!s || !t || !ps || !pt) continue; // an end is missing: the diagnostics say so
    const a = portAnchor(s, 'out', c.sourcePort);
    const z = portAnchor(t, 'in', c.targetPort);
    const from = { x: ps.x + a.x, y: ps.y + a.y };
    const to = { x: pt.x + z.x, y: pt.y + z.y };
    const style = edgeStyle(c);
    const g = document.createElementNS(SVG, 'g');
    g.setAttribute('class', style.invalid ? 'edge invalid' : 'edge');
    g.dataset.connection = c.id;
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', edgePath(from, to));
    path.style.stroke = style.color; // CSSOM: the CSP forbids style attributes
    if (style.dashed) path.setAttribute('stroke-dasharray', '6 4');
    const t2 = document.createElementNS(SVG, 'title');
    t2.textContent = `${c.sourceBlock}.${c.sourcePort} → ${c.targetBlock}.${c.targetPort}: ${style.title}`;
    path.append(t2);
    g.append(path);
    for (const [pt2, cls] of [
      [from, 'end'],
      [to, 'end'],
    ] as const) {
      const dot = document.createElementNS(SVG, 'circle');
      dot.setAttribute('cx', String(pt2.x));
      dot.setAttribute('cy', String(pt2.y));
      dot.setAttribute('r', '3.5');
      dot.setAttribute('class', cls);
      dot.style.fill = style.color;
      g.append(dot);
    }
    if (style.invalid) {
      // A marker on the offending edge, at its middle, with the problem as tooltip.
      const mx = (from.x + to.x) / 2;
      const my = (from.y + to.y) / 2;
      const m = document.createElementNS(SVG, 'g');
      m.setAttribute('class', 'error-marker');
      m.setAttribute('transform', `translate(${mx}, ${my})`);
      const circle = document.createElementNS(SVG, 'circle');
      circle.setAttribute('r', '9');
      const x = document.createElementNS(SVG, 'text');
      x.setAttribute('text-anchor', 'middle');
      x.setAttribute('dy', '4');
      x.textContent = '!';
      const t3 = document.createElementNS(SVG, 'title');
      t3.textContent = style.title;
      m.append(circle, x, t3);
      g.append(m);
    }
    edgesSvg.append(g);
  }
}

function drawRunState(): void {
  const now = Date.now() + clockSkew;
  for (const c of nodesDiv.querySelectorAll<HTMLDivElement>('.card')) {
    const id = c.dataset.block ?? '';
    const s = runBlocks[id];
    const state = s?.state ?? 'idle';
    c.dataset.state = state;
    const status = c.querySelector<HTMLDivElement>('.status');
    if (status) {
      status.textContent = s ? runStateLabel(s, now) : '';
      status.title = status.textContent;
    }
  }
}

function drawMinimap(): void {
  const b = bounds();
  const many = (graph?.blocks.length ?? 0) > 8;
  if (!b || !view || !graph) {
    minimap.hidden = true;
    return;
  }
  const vw = canvas.clientWidth / view.k;
  const vh = canvas.clientHeight / view.k;
  const vx = -view.x / view.k;
  const vy = -view.y / view.k;
  const outside = vx > b.x0 || vy > b.y0 || vx + vw < b.x1 || vy + vh < b.y1;
  minimap.hidden = !(many || outside);
  if (minimap.hidden) return;
  const x0 = Math.min(b.x0, vx);
  const y0 = Math.min(b.y0, vy);
  const x1 = Math.max(b.x1, vx + vw);
  const y1 = Math.max(b.y1, vy + vh);
  minimapSvg.setAttribute('viewBox', `${x0 - 20} ${y0 - 20} ${x1 - x0 + 40} ${y1 - y0 + 40}`);
  minimapSvg.replaceChildren();
  for (const blk of graph.blocks) {
    const p = positions.get(blk.id);
    if (!p) continue;
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', String(p.x));
    r.setAttribute('y', String(p.y));
    r.setAttribute('width', String(CARD_WIDTH));
    r.setAttribute('height', String(cardHeight(blk)));
    r.setAttribute('class', `mini-block state-${runBlocks[blk.id]?.state ?? 'idle'}`);
    minimapSvg.append(r);
  }
  const v = document.createElementNS(SVG, 'rect');
  v.setAttribute('x', String(vx));
  v.setAttribute('y', String(vy));
  v.setAttribute('width', String(vw));
  v.setAttribute('height', String(vh));
  v.setAttribute('class', 'mini-view');
  minimapSvg.append(v);
}

/** Click or drag on the minimap: centre the view there. */
function minimapPan(e: PointerEvent): void {
  if (!view) return;
  const pt = minimapSvg.createSVGPoint();
  pt.x = e.clientX;
  pt.y = e.clientY;
  const m = minimapSvg.getScreenCTM();
  if (!m) return;
  const w = pt.matrixTransform(m.inverse());
  view = { ...view, x: canvas.clientWidth / 2 - w.x * view.k, y: canvas.clientHeight / 2 - w.y * view.k };
  applyView();
}
minimap.addEventListener('pointerdown', (e) => {
  e.stopPropagation();
  minimapPan(e);
  const move = (ev: PointerEvent) => minimapPan(ev);
  const up = () => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
});

// ------------------------------------------------------------------ interaction

function startDrag(e: PointerEvent, id: string, c: HTMLDivElement): void {
  if (e.button !== 0 || !view) return;
  e.stopPropagation();
  const start = positions.get(id);
  if (!start) return;
  const sx = e.clientX;
  const sy = e.clientY;
  let moved = false;
  // Window listeners rather than pointer capture: capture does not survive the webview's
  // nested iframes reliably.
  const move = (ev: PointerEvent) => {
    const dx = (ev.clientX - sx) / view!.k;
    const dy = (ev.clientY - sy) / view!.k;
    if (!moved && Math.hypot(ev.clientX - sx, ev.clientY - sy) < 4) return;
    moved = true;
    c.classList.add('dragging');
    const p = { x: start.x + dx, y: start.y + dy, auto: false };
    positions.set(id, p);
    c.style.left = `${p.x}px`;
    c.style.top = `${p.y}px`;
    drawEdges();
  };
  const up = () => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    window.removeEventListener('pointercancel', up);
    c.classList.remove('dragging');
    if (!moved) {
      vscode.postMessage({ type: 'reveal', block: id });
      return;
    }
    const p = positions.get(id)!;
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    dragged.set(id, { x, y });
    vscode.postMessage({ type: 'move', block: id, x, y });
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
  window.addEventListener('pointercancel', up);
}

canvas.addEventListener('pointerdown', (e) => {
  if (e.button !== 0 || !view) return;
  const sx = e.clientX - view.x;
  const sy = e.clientY - view.y;
  canvas.classList.add('panning');
  const move = (ev: PointerEvent) => {
    userMoved = true;
    view = { ...view!, x: ev.clientX - sx, y: ev.clientY - sy };
    applyView();
  };
  const up = () => {
    canvas.classList.remove('panning');
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
});

canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) {
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    } else if (view) {
      userMoved = true;
      view = { ...view, x: view.x - e.deltaX, y: view.y - e.deltaY };
      applyView();
    }
  },
  { passive: false },
);

$<HTMLButtonElement>('#fit').addEventListener('click', () => {
  userMoved = false;
  fit();
});
$<HTMLButtonElement>('#zoom-in').addEventListener('click', () => zoomAt(1.25, canvas.clientWidth / 2, canvas.clientHeight / 2));
$<HTMLButtonElement>('#zoom-out').addEventListener('click', () => zoomAt(0.8, canvas.clientWidth / 2, canvas.clientHeight / 2));
const runButton = $<HTMLButtonElement>('#run');
runButton.addEventListener('click', () => vscode.postMessage({ type: runButton.dataset.running === 'true' ? 'stop' : 'runWorkflow' }));
canvas.addEventListener('keydown', (e) => {
  if (e.key === 'f' || e.key === '0') fit();
  if (e.key === '+' || e.key === '=') zoomAt(1.25, canvas.clientWidth / 2, canvas.clientHeight / 2);
  if (e.key === '-') zoomAt(0.8, canvas.clientWidth / 2, canvas.clientHeight / 2);
});
window.addEventListener('resize', () => {
  if (!userMoved && graph) fit();
  else drawMinimap();
});

setInterval(() => {
  if (Object.values(runBlocks).some((s) => s.state === 'running')) drawRunState();
}, 200);

// ------------------------------------------------------------------ messages

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'graph': {
      graph = m.graph;
      // A dragged position stays until the server's graph agrees (the edit has landed).
      for (const [id, p] of dragged) {
        const b = graph.blocks.find((x) => x.id === id);
        if (!b || (b.position && Math.round(b.position.x) === p.x && Math.round(b.position.y) === p.y)) dragged.delete(id);
      }
      title.textContent = m.fileName;
      banner.hidden = !graph.hasErrors;
      banner.className = 'warning';
      banner.textContent = graph.hasErrors ? 'The text has errors: the graph shows what could be read (see Problems).' : '';
      draw();
      if (!view) fit();
      else applyView();
      document.body.dataset.ready = 'true';
      break;
    }
    case 'run': {
      runBlocks = m.blocks;
      clockSkew = m.now - Date.now();
      runStatus.textContent = m.status ? `${m.label}: ${m.status.replace('_', ' ')}` : '';
      runStatus.dataset.status = m.status ?? '';
      runButton.dataset.running = String(m.status === 'running');
      runButton.textContent = m.status === 'running' ? '■ Stop' : '▶ Run';
      runButton.title = m.status === 'running' ? 'Stop the run' : 'Run Workflow';
      drawRunState();
      drawMinimap();
      break;
    }
    case 'message':
      banner.hidden = false;
      banner.className = m.severity;
      banner.textContent = m.text;
      break;
    case 'fit':
      fit();
      break;
  }
});

vscode.postMessage({ type: 'ready' });
