; Code bodies of code blocks are injected with the block's language.
((block
  kind: (code_kind language: "python")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "python"))
((block
  kind: (code_kind language: "javascript")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "javascript"))
((block
  kind: (code_kind language: "shell")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "bash"))
((block
  kind: (code_kind language: "sql")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "sql"))
((block
  kind: (code_kind language: "rust")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "rust"))
((block
  kind: (template_kind language: "python")
  body: (block_body (body_string value: (fenced_string) @injection.content)))
  (#set! injection.language "python"))

((comment) @injection.content
  (#set! injection.language "comment"))
