// Writes syntaxes/agentblocks.tmLanguage.json: the TextMate grammar for `.ab` files.
// A generator because each embedded language needs the same block and fence rules.
//   node scripts/grammar.mjs          # write
//   node scripts/grammar.mjs --check  # exit 1 when the committed file is stale
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'syntaxes', 'agentblocks.tmLanguage.json');

const NAME = String.raw`(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*")`;
const BUILTIN_TYPES = 'String|Number|Integer|Boolean|Path|File|Directory|Json|Any|List|Dict|Optional';

// Embedded languages: the kind keyword on the block header -> scope of its grammar.
const LANGS = [
  { kind: 'python', scope: 'source.python', embedded: 'meta.embedded.block.python' },
  { kind: 'javascript', scope: 'source.js', embedded: 'meta.embedded.block.javascript' },
  { kind: 'shell', scope: 'source.shell', embedded: 'meta.embedded.block.shellscript' },
  { kind: 'sql', scope: 'source.sql', embedded: 'meta.embedded.block.sql' },
  { kind: 'rust', scope: 'source.rust', embedded: 'meta.embedded.block.rust' },
];

const header = (kindPattern) => ({
  // `block ID = [template] KIND`: captures 1 indentation, 2 `block`, 3 id, 4 `=`, 5 `template`, 6 kind
  begin: String.raw`^(\s*)(block)\s+(${NAME})\s*(=)\s*(?:(template)\s+)?(${kindPattern})\b`,
  beginCaptures: {
    2: { name: 'keyword.other.block.agentblocks' },
    3: { name: 'entity.name.function.block.agentblocks' },
    4: { name: 'keyword.operator.assignment.agentblocks' },
    5: { name: 'keyword.other.template.agentblocks' },
    6: { name: 'support.type.kind.agentblocks' },
  },
  // the block's closing brace sits at the header's indentation
  end: String.raw`^\1(\})`,
  endCaptures: { 1: { name: 'punctuation.section.block.end.agentblocks' } },
});

const fence = (lang) => ({
  begin: String.raw`\b(code|template|preview)\s*(\x60{3,})\s*$`,
  beginCaptures: {
    1: { name: 'keyword.other.body.agentblocks' },
    2: { name: 'punctuation.definition.fence.begin.agentblocks' },
  },
  end: String.raw`^\s*(\2)(?!\x60)\s*(?=$|//)`,
  endCaptures: { 1: { name: 'punctuation.definition.fence.end.agentblocks' } },
  contentName: `${lang.embedded} ${lang.scope}`,
  patterns: [{ include: '#template-placeholder' }, { include: lang.scope }],
});

const repository = {
  comments: {
    patterns: [
      { name: 'comment.line.documentation.agentblocks', match: String.raw`///(?!/).*$` },
      { name: 'comment.line.double-slash.agentblocks', match: String.raw`//.*$` },
    ],
  },
  workflow: {
    match: String.raw`\b(workflow)\b\s*("(?:[^"\\]|\\.)*")?`,
    captures: {
      1: { name: 'keyword.other.workflow.agentblocks' },
      2: { name: 'entity.name.type.workflow.agentblocks' },
    },
  },
  'fenced-string': {
    begin: String.raw`(\x60{3,})\s*$`,
    beginCaptures: { 1: { name: 'punctuation.definition.string.begin.agentblocks' } },
    end: String.raw`^\s*(\1)(?!\x60)\s*(?=$|//)`,
    endCaptures: { 1: { name: 'punctuation.definition.string.end.agentblocks' } },
    name: 'string.quoted.fenced.agentblocks',
    patterns: [{ include: '#interpolation' }],
  },
  interpolation: {
    name: 'variable.other.interpolation.agentblocks',
    match: String.raw`\{[A-Za-z_][A-Za-z0-9_]*\}`,
  },
  'template-placeholder': {
    name: 'variable.other.placeholder.agentblocks',
    match: String.raw`\{\{[A-Za-z_][A-Za-z0-9_]*\}\}`,
  },
  string: {
    name: 'string.quoted.double.agentblocks',
    begin: '"',
    end: String.raw`"|$`,
    patterns: [
      { name: 'constant.character.escape.agentblocks', match: String.raw`\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})` },
      { name: 'invalid.illegal.escape.agentblocks', match: String.raw`\\.` },
      { include: '#interpolation' },
    ],
  },
  'block-header': {
    // the rest of a header line: display name, `at (x, y)`
    match: String.raw`\b(at)\b`,
    name: 'keyword.other.at.agentblocks',
  },
  port: {
    match: String.raw`^\s*(?:(required|optional)\s+)?(in|out)\s+(${NAME})`,
    captures: {
      1: { name: 'storage.modifier.agentblocks' },
      2: { name: 'keyword.other.direction.agentblocks' },
      3: { name: 'variable.parameter.port.agentblocks' },
    },
  },
  declaration: {
    match: String.raw`^\s*(var|param|placeholder|type)\s+(${NAME})`,
    captures: {
      1: { name: 'keyword.other.declaration.agentblocks' },
      2: { name: 'variable.other.declaration.agentblocks' },
    },
  },
  source: {
    // `<- block.port` and `connect a.b -> c.d`
    match: String.raw`(${NAME})\s*(\.)\s*(${NAME})`,
    captures: {
      1: { name: 'variable.other.block.agentblocks' },
      2: { name: 'punctuation.accessor.agentblocks' },
      3: { name: 'variable.other.property.port.agentblocks' },
    },
  },
  section: {
    match: String.raw`^\s*(config|error_handling|canvas_state|retry_policy|[A-Za-z_][A-Za-z0-9_]*)\s*(?=\{)`,
    captures: { 1: { name: 'entity.name.section.agentblocks' } },
  },
  attribute: {
    match: String.raw`(@)(${NAME})`,
    captures: {
      1: { name: 'punctuation.definition.attribute.agentblocks' },
      2: { name: 'entity.other.attribute-name.agentblocks' },
    },
  },
  key: {
    match: String.raw`^\s*(${NAME})\s*(?==)`,
    captures: { 1: { name: 'variable.other.property.agentblocks' } },
  },
  keywords: {
    patterns: [
      { name: 'keyword.other.agentblocks', match: String.raw`\b(block|connect|visual|plugin|ai|code|template|preview)\b` },
      { name: 'keyword.operator.arrow.agentblocks', match: String.raw`<-|->` },
      { name: 'keyword.operator.assignment.agentblocks', match: '=' },
      { name: 'keyword.operator.optional.agentblocks', match: String.raw`\?` },
    ],
  },
  types: {
    patterns: [
      { name: 'support.type.builtin.agentblocks', match: String.raw`\b(${BUILTIN_TYPES})\b` },
      { name: 'entity.name.type.agentblocks', match: String.raw`\b[A-Z][A-Za-z0-9_]*\b` },
    ],
  },
  values: {
    patterns: [
      { name: 'constant.numeric.duration.agentblocks', match: String.raw`-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?s\b` },
      { name: 'constant.numeric.agentblocks', match: String.raw`-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b` },
      { name: 'constant.language.boolean.agentblocks', match: String.raw`\b(true|false)\b` },
      { name: 'constant.language.null.agentblocks', match: String.raw`\bnull\b` },
      {
        match: String.raw`\b([A-Za-z_][A-Za-z0-9_]*)\s*(?=\()`,
        captures: { 1: { name: 'entity.name.function.call.agentblocks' } },
      },
    ],
  },
  statement: {
    patterns: [
      { include: '#comments' },
      { include: '#fenced-string' },
      { include: '#string' },
      { include: '#attribute' },
      { include: '#port' },
      { include: '#declaration' },
      { include: '#section' },
      { include: '#key' },
      { include: '#block-header' },
      { include: '#source' },
      { include: '#types' },
      { include: '#values' },
      { include: '#keywords' },
    ],
  },
  'block-generic': {
    ...header(String.raw`(?:visual|plugin|ai|code|${NAME})`),
    patterns: [{ include: '#statement' }],
  },
};

for (const lang of LANGS) {
  repository[`block-${lang.kind}`] = {
    ...header(lang.kind),
    patterns: [{ include: `#fence-${lang.kind}` }, { include: '#statement' }],
  };
  repository[`fence-${lang.kind}`] = fence(lang);
}

const grammar = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'AgentBlocks',
  scopeName: 'source.agentblocks',
  fileTypes: ['ab'],
  comment: 'Generated by scripts/grammar.mjs; edit that file.',
  patterns: [
    { include: '#comments' },
    ...LANGS.map((l) => ({ include: `#block-${l.kind}` })),
    { include: '#block-generic' },
    { include: '#workflow' },
    { include: '#statement' },
  ],
  repository,
};

const text = JSON.stringify(grammar, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const old = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (old !== text) {
    console.error(`${out} is stale: run node scripts/grammar.mjs`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, text);
}
