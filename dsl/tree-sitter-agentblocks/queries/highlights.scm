; Highlighting for AgentBlocks (.ab) files.

[
  "workflow" "block" "var" "type" "param" "placeholder" "connect" "at"
  "in" "out" "required" "optional" "visual" "plugin" "template" "code" "preview"
] @keyword

(code_kind language: _ @type.builtin)
(template_kind language: _ @type.builtin)
(ai_kind) @function.builtin
(visual_kind type: (identifier) @function)
(plugin_kind plugin: _ @module type: _ @function)

(block id: (identifier) @variable)
(port name: (identifier) @variable.parameter)
(var name: (identifier) @variable)
(param name: (identifier) @variable.parameter)
(placeholder name: (identifier) @variable.parameter)
(source block: (identifier) @variable port: (identifier) @property)
(port_ref block: (identifier) @variable port: (identifier) @property)

(type_name) @type
((type_name) @type.builtin
  (#match? @type.builtin "^(String|Number|Integer|Boolean|Path|File|Directory|Json|Any|List|Dict|Optional)$"))
(type_decl name: (identifier) @type.definition)
(record_field name: _ @property)

(field key: _ @property)
(extra_field "@" @attribute key: _ @attribute)
(section name: (identifier) @module)
(pair key: _ @property)
(named_argument name: _ @variable.parameter)
(call function: (identifier) @function.call)

(string) @string
(fenced_string) @string.special
(number) @number
(duration) @number
[(true) (false)] @boolean
(null) @constant.builtin
(comment) @comment
(doc_comment) @comment.documentation

["=" "<-" "->" "?"] @operator
["{" "}" "[" "]" "(" ")"] @punctuation.bracket
["," "." ":"] @punctuation.delimiter
