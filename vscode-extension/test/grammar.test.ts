// Tokenises the examples with the real TextMate engine (vscode-textmate + oniguruma, as VS Code
// does) and checks the scopes the theme colours by.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, type IGrammar } from 'vscode-textmate';

const require = createRequire(import.meta.url);
const root = path.resolve(__dirname, '..');
const repo = path.resolve(root, '..');
let grammar: IGrammar;

beforeAll(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => {
      if (scope !== 'source.agentblocks') return null; // embedded grammars: VS Code's own
      const file = path.join(root, 'syntaxes/agentblocks.tmLanguage.json');
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    },
  });
  const g = await registry.loadGrammar('source.agentblocks');
  if (!g) throw new Error('grammar did not load');
  grammar = g;
});

/** Every line's tokens as [text, scopes joined by space]. */
function tokenize(text: string): { line: number; text: string; scopes: string }[] {
  let state = INITIAL;
  const out: { line: number; text: string; scopes: string }[] = [];
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) out.push({ line: i, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.join(' ') });
    state = r.ruleStack;
  });
  return out;
}

function scopesOf(tokens: ReturnType<typeof tokenize>, text: string): string {
  const t = tokens.find((x) => x.text.includes(text));
  if (!t) throw new Error(`no token with ${JSON.stringify(text)}`);
  return t.scopes;
}

describe('TextMate grammar', () => {
  it('is what scripts/grammar.mjs generates', async () => {
    const { execFileSync } = await import('node:child_process');
    expect(() => execFileSync(process.execPath, [path.join(root, 'scripts/grammar.mjs'), '--check'])).not.toThrow();
  });

  it('embeds each code body in its language, by the block kind on the header', () => {
    const tokens = tokenize(fs.readFileSync(path.join(repo, 'examples/data-pipeline.ab'), 'utf8'));
    expect(scopesOf(tokens, 'import csv')).toContain('meta.embedded.block.python');
    expect(scopesOf(tokens, 'SELECT customer')).toContain('meta.embedded.block.sql');
    expect(scopesOf(tokens, 'const lines')).toContain('meta.embedded.block.javascript');
    expect(scopesOf(tokens, 'wc -l')).toContain('meta.embedded.block.shellscript');
    // the closing fence ends the embedding, the block's `}` ends the block
    const afterPython = tokens.find((t) => t.text === 'in' && t.scopes.includes('direction') && t.line > 30);
    expect(afterPython?.scopes).toBeDefined();
    expect(afterPython?.scopes).not.toContain('meta.embedded');
    expect(afterPython?.scopes).toContain('source.agentblocks');
  });

  it('colours the statements', () => {
    const tokens = tokenize(fs.readFileSync(path.join(repo, 'examples/cpp-callbacks.ab'), 'utf8'));
    expect(scopesOf(tokens, '/// Name of the callback')).toContain('comment.line.documentation');
    expect(scopesOf(tokens, 'workflow')).toContain('keyword.other.workflow');
    expect(scopesOf(tokens, 'find_files')).toContain('support.type.kind');
    expect(scopesOf(tokens, 'filtered_files')).toContain('variable.parameter.port');
    expect(scopesOf(tokens, 'List')).toContain('support.type.builtin');
    expect(scopesOf(tokens, '300s')).toContain('constant.numeric.duration');
    expect(scopesOf(tokens, '{function_name}')).toContain('variable.other.interpolation');
    expect(scopesOf(tokens, 'anthropic')).toContain('entity.name.function.call');
    expect(scopesOf(tokens, 'Find C++ Files')).toContain('string.quoted.double');
  });

  it('ends a fence only at the same number of backticks', () => {
    const text = [
      'workflow {',
      '  block p = python {',
      '    code ````',
      '      x = """',
      '      ```',
      '      """',
      '      ````',
      '    out y: String',
      '  }',
      '}',
    ].join('\n');
    const tokens = tokenize(text);
    expect(tokens.find((t) => t.line === 4)?.scopes).toContain('meta.embedded.block.python');
    expect(tokens.find((t) => t.line === 7 && t.text.includes('out'))?.scopes).not.toContain('meta.embedded');
  });
});

describe('TextMate grammar on every example', () => {
  const examples = fs.readdirSync(path.join(repo, 'examples')).filter((f) => f.endsWith('.ab'));
  it.each(examples)('%s: every block and fence closes (the state returns to the top)', (name) => {
    const text = fs.readFileSync(path.join(repo, 'examples', name), 'utf8');
    let state = INITIAL;
    const depths: number[] = [];
    for (const line of text.split('\n')) {
      state = grammar.tokenizeLine(line, state).ruleStack;
      depths.push(state.depth);
    }
    expect(depths[depths.length - 1]).toBe(INITIAL.depth);
    // no line outside a block is coloured as part of one: blank lines between blocks are top level
    text.split('\n').forEach((line, i) => {
      if (/^ {2}block /.test(line)) expect(depths[i - 1], `line ${i} opens a block inside another`).toBe(INITIAL.depth);
    });
  });
});
