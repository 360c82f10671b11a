/**
 * @file The AgentBlocks workflow language (`.ab`), see docs/language.md.
 * @license MIT OR Apache-2.0
 */

/* eslint-disable no-undef */

/** Items separated by commas, at least one, with an optional trailing comma. */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)), optional(','));
}

/** Items separated by commas, possibly none, with an optional trailing comma. */
function commaSep(rule) {
  return optional(commaSep1(rule));
}

const CODE_LANGUAGES = ['python', 'javascript', 'shell', 'sql', 'rust'];

module.exports = grammar({
  name: 'agentblocks',

  word: $ => $.identifier,

  externals: $ => [$.fenced_string],

  extras: $ => [/\s|\uFEFF/, $.comment, $.doc_comment],

  // Words that start statements are reserved everywhere: as a name they must be quoted
  // (`"block"`). This keeps error recovery sane: a `block` after a block missing its `}` is
  // never mistaken for a property name. The other keywords of docs/language.md (`code`,
  // `python`, `at`, ...) are contextual: a name wherever the keyword cannot stand.
  reserved: {
    global: _ => [
      'workflow', 'block', 'in', 'out', 'required', 'optional', 'var', 'type', 'param',
      'placeholder', 'connect', 'true', 'false', 'null',
    ],
  },

  supertypes: $ => [$._value, $._type, $._block_kind],

  rules: {
    source_file: $ => repeat(choice($.field, $.extra_field, $.workflow)),

    // ---- the workflow ---------------------------------------------------

    workflow: $ => seq(
      'workflow',
      optional(field('name', $.string)),
      field('body', $.workflow_body),
    ),

    workflow_body: $ => seq('{', repeat($._workflow_item), '}'),

    _workflow_item: $ => choice(
      $.field,
      $.extra_field,
      $.type_decl,
      $.var,
      $.section,
      $.block,
      $.connect,
    ),

    // `code`, `template` and `preview` start bodies in a block (`code ```...`), yet are also
    // ordinary property names (`transform_text`'s `template = "..."`): `=` tells them apart.
    field: $ => seq(
      field('key', choice($._name, alias(choice('code', 'template', 'preview'), $.identifier))),
      '=',
      field('value', $._value),
    ),

    extra_field: $ => seq('@', field('key', $._name), '=', field('value', $._value)),

    type_decl: $ => seq('type', field('name', $._name), '=', field('type', $._type)),

    var: $ => seq(
      'var',
      field('name', $._name),
      optional(seq(':', field('type', $._type))),
      optional(seq('=', field('value', $._value))),
      optional(field('attributes', $.attribute_list)),
    ),

    section: $ => seq(field('name', $.identifier), field('body', $.section_body)),

    section_body: $ => seq(
      '{',
      repeat(seq(choice($.field, $.extra_field, $.section), optional(','))),
      '}',
    ),

    attribute_list: $ => seq(
      '{',
      repeat(seq(choice($.field, $.extra_field), optional(','))),
      '}',
    ),

    connect: $ => seq(
      'connect',
      field('from', $.port_ref),
      '->',
      field('to', $.port_ref),
      optional(field('attributes', $.attribute_list)),
    ),

    port_ref: $ => seq(field('block', $._name), '.', field('port', $._name)),

    // ---- blocks ---------------------------------------------------------

    block: $ => seq(
      'block',
      field('id', $._name),
      '=',
      field('kind', $._block_kind),
      optional(field('name', $.string)),
      optional(field('position', $.position)),
      field('body', $.block_body),
    ),

    _block_kind: $ => choice(
      $.visual_kind,
      $.code_kind,
      $.template_kind,
      $.ai_kind,
      $.plugin_kind,
    ),

    visual_kind: $ => choice(
      field('type', $.identifier),
      seq('visual', field('type', $.string)),
    ),

    code_kind: $ => choice(
      field('language', choice(...CODE_LANGUAGES)),
      seq('code', field('language', $.string)),
    ),

    template_kind: $ => seq(
      'template',
      field('language', choice(...CODE_LANGUAGES, $.identifier, $.string)),
    ),

    ai_kind: _ => 'ai',

    plugin_kind: $ => seq(
      'plugin',
      field('plugin', $._name),
      '.',
      field('type', $._name),
    ),

    position: $ => seq('at', '(', field('x', $._value), ',', field('y', $._value), optional(','), ')'),

    block_body: $ => seq('{', repeat($._block_item), '}'),

    _block_item: $ => choice(
      $.field,
      $.extra_field,
      $.port,
      $.param,
      $.placeholder,
      $.body_string,
    ),

    port: $ => seq(
      optional(field('modifier', choice('optional', 'required'))),
      field('direction', choice('in', 'out')),
      field('name', $._name),
      optional(seq(':', field('type', $._type))),
      optional(seq('=', field('default', $._value))),
      optional(field('attributes', $.attribute_list)),
      optional(seq('<-', field('sources', $.source), repeat(seq(',', field('sources', $.source))))),
    ),

    source: $ => seq(
      field('block', $._name),
      '.',
      field('port', $._name),
      optional(field('attributes', $.attribute_list)),
    ),

    param: $ => seq(
      'param',
      field('name', $._name),
      optional(seq(':', field('type', $._type))),
      optional(seq('=', field('value', $._value))),
      optional(field('attributes', $.attribute_list)),
    ),

    placeholder: $ => seq('placeholder', field('name', $._name), '=', field('value', $._value)),

    body_string: $ => seq(
      field('kind', choice('code', 'template', 'preview')),
      field('value', choice($.string, $.fenced_string)),
    ),

    // ---- values ---------------------------------------------------------

    _value: $ => choice(
      $.string,
      $.fenced_string,
      $.number,
      $.duration,
      $.true,
      $.false,
      $.null,
      $.array,
      $.object,
      $.identifier,
      $.call,
      $.tuple,
    ),

    array: $ => seq('[', commaSep($._value), ']'),

    object: $ => seq('{', commaSep($.pair), '}'),

    pair: $ => seq(field('key', $._name), ':', field('value', $._value)),

    call: $ => seq(
      field('function', $.identifier),
      '(',
      commaSep(choice($.argument, $.named_argument, $.extra_field)),
      ')',
    ),

    argument: $ => field('value', $._value),

    named_argument: $ => seq(field('name', $._name), '=', field('value', $._value)),

    tuple: $ => seq('(', commaSep($._value), ')'),

    true: _ => 'true',
    false: _ => 'false',
    null: _ => 'null',

    // ---- types ----------------------------------------------------------

    _type: $ => choice(
      alias($.identifier, $.type_name),
      $.generic_type,
      $.optional_type,
      $.record_type,
      $.string,
    ),

    generic_type: $ => seq(
      field('name', alias($.identifier, $.type_name)),
      '[',
      field('argument', $._type),
      repeat(seq(',', field('argument', $._type))),
      optional(','),
      ']',
    ),

    optional_type: $ => seq(field('type', $._type), '?'),

    record_type: $ => seq('{', commaSep($.record_field), '}'),

    record_field: $ => seq(field('name', $._name), ':', field('type', $._type)),

    // ---- tokens ---------------------------------------------------------

    _name: $ => choice($.identifier, $.string),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    // The closing quote is optional so that an unclosed string ends at the end of its line
    // (syntax_errors reports it) instead of derailing the rest of the file.
    string: _ => token(seq('"', repeat(choice(/[^"\\\r\n]/, /\\[^\r\n]/)), optional('\\'), optional('"'))),

    number: _ => token(/-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/),

    duration: _ => token(/-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?s/),

    // `///` not followed by another `/` (so `////` is a plain comment).
    doc_comment: _ => token(/\/\/\/([^\/\r\n][^\r\n]*)?/),

    // `//` not followed by `/`, or `////...`: never the same text as a doc comment.
    comment: _ => token(choice(/\/\/([^\/\r\n][^\r\n]*)?/, /\/\/\/\/[^\r\n]*/)),
  },
});
