/**
 * Drift guards between the server's declarations (Rust) and their mirror in `src/lsp_ext.ts`,
 * read as text (lsp_ext.ts imports the language client, which needs VS Code at run time).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const lspExt = read('vscode-extension/src/lsp_ext.ts');

describe('the mirror of lsp/src/ext.rs', () => {
  it('names every server command, and the extension contributes each', () => {
    const rust = read('lsp/src/ext.rs');
    const mod = rust.slice(rust.indexOf('pub mod commands'), rust.indexOf('pub const ALL'));
    const server = [...mod.matchAll(/pub const \w+: &str = "([^"]+)"/g)].map((m) => m[1]).sort();
    const block = lspExt.slice(lspExt.indexOf('export const SERVER_COMMANDS'), lspExt.indexOf('} as const'));
    const mirrored = [...block.matchAll(/'(agentblocks\.[^']+)'/g)].map((m) => m[1]).sort();
    expect(server.length).toBe(5);
    expect(mirrored).toEqual(server);
    const pkg = JSON.parse(read('vscode-extension/package.json')) as { contributes: { commands: { command: string }[] } };
    const contributed = pkg.contributes.commands.map((c) => c.command);
    for (const c of server) expect(contributed).toContain(c);
  });
  it('names the run methods as the server does', () => {
    const rust = read('lsp/src/ext.rs');
    for (const m of ['agentblocks/runBlock', 'agentblocks/runWorkflow', 'agentblocks/cancelRun', 'agentblocks/runEvent', 'agentblocks/graph', 'agentblocks/moveBlock']) {
      expect(rust).toContain(`"${m}"`);
      expect(lspExt).toContain(`'${m}'`);
    }
  });
});

describe('the mirror of engine/src/events.rs', () => {
  const rust = read('engine/src/events.rs');
  const body = rust.slice(rust.indexOf('pub enum EventKind'), rust.indexOf('pub enum LogStream'));
  const snake = (s: string) => s.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase());
  /** Variant name -> its fields, from `Variant { field: T, ... }` or a unit `Variant,`. */
  const variants = new Map<string, string[]>();
  for (const m of body.matchAll(/^ {4}(\w+)(?: \{([\s\S]*?)^ {4}\})?,?$/gm)) {
    const fields = [...(m[2] ?? '').matchAll(/^ {8}(\w+):/gm)].map((f) => f[1]!);
    variants.set(snake(m[1]!), fields);
  }
  const ts = lspExt.slice(lspExt.indexOf('export type EngineEvent'), lspExt.indexOf('export type EngineEventKind'));

  it('has every kind of event, with its fields spelled as the engine writes them', () => {
    expect([...variants.keys()].length).toBe(11);
    for (const [kind, fields] of variants) {
      const i = ts.indexOf(`event: '${kind}'`);
      expect(i, kind).toBeGreaterThan(0);
      const variant = ts.slice(i, ts.indexOf('}', i));
      for (const f of fields) expect(variant, `${kind}.${f}`).toMatch(new RegExp(`\\b${f}\\??:`));
    }
  });
});
