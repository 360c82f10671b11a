; Folding for AgentBlocks (.ab) files.
[
  (workflow_body)
  (block_body)
  (section_body)
  (attribute_list)
  (array)
  (object)
  (record_type)
  (fenced_string)
] @fold
