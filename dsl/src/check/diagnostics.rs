//! Every diagnostic the checker reports, each made by one named function, plus the helpers
//! for "did you mean" suggestions and text-edit fixes.
//!
//! Fixes are edits into the file the spans come from. A DSL identifier's span is the bare
//! identifier; a JSON string's span (and a DSL string literal's) includes its quotes. A span
//! is quoted when it is at least two bytes longer than the value (escapes only make a literal
//! longer), so [`replace_str`] can write the replacement right for both file kinds without
//! the text.

use crate::diagnostic::{Diagnostic, Fix, Severity, TextEdit};
use crate::model::{Span, Str, TypeRef};
use crate::types::{is_identifier, Type};

/// The optimal-string-alignment (restricted Damerau-Levenshtein) distance between `a` and `b`,
/// in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in rows.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

/// The candidate closest to `name`, if one is close enough to be what was meant: a
/// case-insensitive match, or an edit distance of at most a third of the name (at least 1).
/// Of equally close candidates the alphabetically first wins, so the answer does not depend
/// on the candidates' order (some come from hash maps).
pub fn suggest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(&lower, &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|best| (distance, candidate) < best) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// True when `span` holds a quoted literal of a value `value_len` bytes long (JSON strings,
/// DSL string literals): a literal is at least two bytes longer than its value, while a bare
/// DSL identifier is exactly as long and a bare DSL type (`String?` for `Optional[String]`) is
/// not longer. Quoting is always safe in the DSL, which accepts a string wherever a name or
/// a type is expected.
fn is_quoted(span: Span, value_len: usize) -> bool {
    span.end.saturating_sub(span.start) >= value_len + 2
}

/// An edit replacing the string `old` with `new`, quoted when `old` was written quoted or
/// `new` is not an identifier.
pub fn replace_str(old: &Str, new: &str) -> TextEdit {
    let new_text = if is_quoted(old.span, old.value.len()) || !is_identifier(new) {
        serde_json::to_string(new).unwrap_or_else(|_| format!("\"{new}\""))
    } else {
        new.to_string()
    };
    TextEdit {
        span: old.span,
        new_text,
    }
}

/// An edit replacing the type written at `old` with `new`: a JSON type string when `old` was
/// quoted, the DSL spelling otherwise.
pub fn replace_type(old: &TypeRef, new: &Type) -> TextEdit {
    let new_text = if is_quoted(old.span, old.text.len()) {
        serde_json::to_string(&new.to_string()).unwrap_or_else(|_| format!("\"{new}\""))
    } else {
        new.to_dsl()
    };
    TextEdit {
        span: old.span,
        new_text,
    }
}

fn fix(title: impl Into<String>, edit: TextEdit) -> Fix {
    Fix {
        title: title.into(),
        edits: vec![edit],
    }
}

/// Adds "did you mean" help and a replacing fix to `diagnostic` when `suggestion` is set.
fn with_suggestion(diagnostic: Diagnostic, at: &Str, suggestion: Option<&str>) -> Diagnostic {
    match suggestion {
        Some(name) => diagnostic
            .with_help(format!("did you mean `{name}`?"))
            .with_fix(fix(format!("change to `{name}`"), replace_str(at, name))),
        None => diagnostic,
    }
}

/// `unknown-block-type`: a visual block whose `block_type` is not in the catalogue.
pub fn unknown_block_type(block_type: &Str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-block-type",
        format!("unknown block type `{}`", block_type.value),
        block_type.span,
    )
    .with_primary_message("not a built-in block");
    match suggestion {
        Some(_) => with_suggestion(d, block_type, suggestion),
        None => d.with_help("`agentblocks blocks` lists the built-in blocks"),
    }
}

/// `unknown-language`: a code language (or a template's base language, or a `code_block`
/// placeholder's language) that is not known.
pub fn unknown_language(language: &Str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-language",
        format!("unknown code language `{}`", language.value),
        language.span,
    );
    match suggestion {
        Some(_) => with_suggestion(d, language, suggestion),
        None => d.with_help("the languages are `python`, `javascript`, `shell`, `sql` and `rust`"),
    }
}

/// `unknown-property`: a property the block's definition does not have.
pub fn unknown_property(key: &Str, block_type: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-property",
        format!("`{block_type}` has no property `{}`", key.value),
        key.span,
    );
    match suggestion {
        Some(_) => with_suggestion(d, key, suggestion),
        None => d.with_help(format!(
            "`agentblocks blocks` lists the properties of `{block_type}`"
        )),
    }
}

/// `missing-property`: a required property is absent.
pub fn missing_property(
    block_id: &Str,
    name: &str,
    kind: &str,
    because: Option<String>,
) -> Diagnostic {
    let message = match &because {
        Some(reason) => format!(
            "block `{}` is missing the property `{name}`, required {reason}",
            block_id.value
        ),
        None => format!(
            "block `{}` is missing the required property `{name}`",
            block_id.value
        ),
    };
    Diagnostic::error("missing-property", message, block_id.span)
        .with_help(format!("add `{name}` ({kind})"))
        .with_subject(name)
}

/// `property-type`: a property value of the wrong JSON kind.
pub fn property_type(key: &Str, value_span: Span, expected: &str, found: &str) -> Diagnostic {
    Diagnostic::error(
        "property-type",
        format!("property `{}` must be {expected}, found {found}", key.value),
        value_span,
    )
    .with_primary_message(format!("expected {expected}"))
    .with_label(key.span, "")
}

/// `property-range`: a number outside the property's bounds or step.
pub fn property_range(key: &Str, value_span: Span, value: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(
        "property-range",
        format!(
            "property `{}` is out of range: expected {expected}, found {value}",
            key.value
        ),
        value_span,
    )
    .with_primary_message(format!("expected {expected}"))
}

/// `property-value`: a string that is not one of a select's options, or that has the wrong
/// form (a colour, a date, a file extension). `value` is the value as written, for the fix.
pub fn property_value(
    key: &Str,
    value: &Str,
    expected: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "property-value",
        format!(
            "`{}` is not a valid value of property `{}`",
            value.value, key.value
        ),
        value.span,
    )
    .with_primary_message(format!("expected {expected}"));
    match suggestion {
        Some(_) => with_suggestion(d, value, suggestion),
        None => d.with_help(format!("use {expected}")),
    }
}

/// `duplicate-property`: the same property key twice in one block.
pub fn duplicate_property(key: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-property",
        format!("property `{}` is set twice", key.value),
        key.span,
    )
    .with_label(first, "first set here")
    .with_help("remove one of them")
}

/// `duplicate-block`: two blocks with one id.
pub fn duplicate_block(id: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-block",
        format!("block id `{}` is used twice", id.value),
        id.span,
    )
    .with_label(first, "first used here")
    .with_help("give each block its own id")
}

/// `duplicate-port`: two inputs (or two outputs) of one block with one name.
pub fn duplicate_port(name: &Str, direction: &str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-port",
        format!("{direction} `{}` is declared twice", name.value),
        name.span,
    )
    .with_label(first, "first declared here")
    .with_help(format!("rename or remove one of the {direction}s"))
}

/// `duplicate-variable`: two variables with one name.
pub fn duplicate_variable(name: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-variable",
        format!("variable `{}` is declared twice", name.value),
        name.span,
    )
    .with_label(first, "first declared here")
    .with_help("rename or remove one of them")
}

/// `duplicate-type`: two named types with one name.
pub fn duplicate_type(name: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-type",
        format!("type `{}` is declared twice", name.value),
        name.span,
    )
    .with_label(first, "first declared here")
    .with_help("rename or remove one of them")
}

/// `duplicate-connection`: two connections with one id.
pub fn duplicate_connection(id: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-connection",
        format!("connection id `{}` is used twice", id.value),
        id.span,
    )
    .with_label(first, "first used here")
    .with_help("give each connection its own id, or remove the `id` to use the derived one")
}

/// `duplicate-name`: two parameters or two placeholders of one template with one name.
pub fn duplicate_name(what: &str, name: &Str, first: Span) -> Diagnostic {
    Diagnostic::error(
        "duplicate-name",
        format!("{what} `{}` is declared twice", name.value),
        name.span,
    )
    .with_label(first, "first declared here")
    .with_help(format!("rename or remove one of the {what}s"))
}

/// `invalid-name`: a block id, port, variable or parameter name that is not an identifier.
pub fn invalid_name(what: &str, name: &Str) -> Diagnostic {
    Diagnostic::error(
        "invalid-name",
        format!("{what} name `{}` is not an identifier", name.value),
        name.span,
    )
    .with_help("names are letters, digits and `_`, not starting with a digit")
}

/// `builtin-type-redeclared`: a named type that reuses a built-in name.
pub fn builtin_type_redeclared(name: &Str) -> Diagnostic {
    Diagnostic::error(
        "builtin-type-redeclared",
        format!("`{}` is a built-in type and cannot be declared", name.value),
        name.span,
    )
    .with_help("give the type a name of its own")
}

/// `unknown-port`: a visual block declares a port its definition does not have.
pub fn unknown_port(
    name: &Str,
    direction: &str,
    block_type: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-port",
        format!("`{block_type}` has no {direction} `{}`", name.value),
        name.span,
    );
    match suggestion {
        Some(_) => with_suggestion(d, name, suggestion),
        None => d.with_help(format!(
            "`agentblocks blocks` lists the ports of `{block_type}`"
        )),
    }
}

/// `catalog-port-type`: a declared port of a visual block whose type disagrees with the
/// catalogue.
pub fn catalog_port_type(
    port_name: &str,
    declared: &TypeRef,
    expected: &Type,
    block_type: &str,
) -> Diagnostic {
    Diagnostic::error(
        "catalog-port-type",
        format!(
            "port `{port_name}` of `{block_type}` is `{expected}`, not `{}`",
            declared.text
        ),
        declared.span,
    )
    .with_fix(fix(
        format!("change to `{}`", expected.to_dsl()),
        replace_type(declared, expected),
    ))
}

/// `language-output`: an output a block of this language cannot produce (a shell output other
/// than `stdout`, `stderr`, `exit_code`; a second SQL output).
pub fn language_output(name: &Str, language: &str, why: &str) -> Diagnostic {
    Diagnostic::error(
        "language-output",
        format!("a `{language}` block cannot output `{}`", name.value),
        name.span,
    )
    .with_help(why.to_string())
}

/// `invalid-type`: a type string that does not parse or is malformed.
pub fn invalid_type(ty: &TypeRef, reason: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid-type",
        format!("invalid type `{}`: {reason}", ty.text),
        ty.span,
    )
}

/// `undeclared-type`: a type name neither built in nor declared in the workflow's `types`.
/// `parsed` is the whole type as written; the fix rewrites it with the name replaced.
pub fn undeclared_type(
    ty: &TypeRef,
    parsed: &Type,
    name: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "undeclared-type",
        format!("type `{name}` is not declared"),
        ty.span,
    );
    match suggestion {
        Some(s) => d.with_help(format!("did you mean `{s}`?")).with_fix(fix(
            format!("change to `{s}`"),
            replace_type(ty, &rename_type(parsed, name, s)),
        )),
        None => d.with_help(format!("declare it: `type {name} = ...`")),
    }
}

/// `ty` with every type name `from` (not field names) replaced by `to`.
fn rename_type(ty: &Type, from: &str, to: &str) -> Type {
    match ty {
        Type::Named(name) if name == from => Type::Named(to.to_string()),
        Type::Named(_) => ty.clone(),
        Type::Applied(name, args) => Type::Applied(
            if name == from { to } else { name }.to_string(),
            args.iter().map(|arg| rename_type(arg, from, to)).collect(),
        ),
        Type::Record(fields) => Type::Record(
            fields
                .iter()
                .map(|(field, t)| (field.clone(), rename_type(t, from, to)))
                .collect(),
        ),
    }
}

/// `value-type`: a variable value, a port default or a parameter value that is not a value of
/// its declared type.
pub fn value_type(
    what: &str,
    value: &serde_json::Value,
    value_span: Span,
    ty: &TypeRef,
) -> Diagnostic {
    Diagnostic::error(
        "value-type",
        format!(
            "{what} is not a value of type `{}`: found {}",
            ty.text,
            describe_value(value)
        ),
        value_span,
    )
    .with_primary_message(format!("not `{}`", ty.text))
    .with_label(ty.span, "type declared here")
}

/// `unknown-source-block`: a connection from a block that does not exist.
pub fn unknown_source_block(block: &Str, connection: Span, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-source-block",
        format!("no block `{}` to connect from", block.value),
        block.span,
    )
    .with_label(connection, "in this connection");
    with_suggestion(d, block, suggestion)
}

/// `unknown-target-block`: a connection into a block that does not exist.
pub fn unknown_target_block(block: &Str, connection: Span, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-target-block",
        format!("no block `{}` to connect to", block.value),
        block.span,
    )
    .with_label(connection, "in this connection");
    with_suggestion(d, block, suggestion)
}

/// `unknown-source-port`: a connection from an output the source block does not have.
pub fn unknown_source_port(
    block: &str,
    port: &Str,
    block_span: Span,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-source-port",
        format!("block `{block}` has no output `{}`", port.value),
        port.span,
    )
    .with_label(block_span, format!("`{block}` is declared here"));
    with_suggestion(d, port, suggestion)
}

/// `unknown-target-port`: a connection into an input the target block does not have.
/// `declare` is the declaration to suggest when the block owns its ports and no name is
/// close (`in text: String`, typed as the source).
pub fn unknown_target_port(
    block: &str,
    port: &Str,
    block_span: Span,
    suggestion: Option<&str>,
    declare: Option<String>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-target-port",
        format!("block `{block}` has no input `{}`", port.value),
        port.span,
    )
    .with_label(block_span, format!("`{block}` is declared here"));
    match (suggestion, declare) {
        (None, Some(declaration)) => {
            d.with_help(format!("declare the input in `{block}`: `{declaration}`"))
        }
        _ => with_suggestion(d, port, suggestion),
    }
}

/// One end of a connection, for the labels of [`type_mismatch`].
pub struct End<'a> {
    /// `block.port`.
    pub name: String,
    /// Its type.
    pub ty: &'a Type,
    /// Where the port is declared (or its block, for an undeclared catalogue port).
    pub span: Span,
}

/// `type-mismatch`: a connection whose source type is not assignable to its target type.
/// `fix` changes the target's declaration, when it has one of its own.
pub fn type_mismatch(
    connection: Span,
    from: &End,
    to: &End,
    target_decl: Option<&TypeRef>,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        "type-mismatch",
        format!(
            "`{}` is `{}` but `{}` expects `{}`",
            from.name, from.ty, to.name, to.ty
        ),
        connection,
    )
    .with_primary_message(format!("`{}` does not fit `{}`", from.ty, to.ty))
    .with_label(from.span, format!("`{}` is `{}`", from.name, from.ty))
    .with_label(to.span, format!("`{}` is `{}`", to.name, to.ty));
    if let Some(decl) = target_decl {
        d = d.with_fix(fix(
            format!("change `{}` to `{}`", to.name, from.ty.to_dsl()),
            replace_type(decl, from.ty),
        ));
    }
    d
}

/// `type-mismatch` for an input fed by the variable of its name.
pub fn variable_type_mismatch(
    input: &Str,
    variable: &Str,
    var_ty: &TypeRef,
    input_ty: &Type,
) -> Diagnostic {
    Diagnostic::error(
        "type-mismatch",
        format!(
            "input `{}` takes the variable `{}` of type `{}` but expects `{input_ty}`",
            input.value, variable.value, var_ty.text
        ),
        input.span,
    )
    .with_label(
        var_ty.span,
        format!("`{}` is `{}`", variable.value, var_ty.text),
    )
    .with_help(format!(
        "an input nothing connects takes the variable of its name: declare `{}` as `{input_ty}`, \
         or connect an output to the input",
        variable.value
    ))
}

/// `type-mismatch`: an untyped variable whose value does not fit the input of its name.
pub fn untyped_variable_mismatch(
    input: &Str,
    variable: &Str,
    value: &crate::model::Spanned<serde_json::Value>,
    input_ty: &Type,
) -> Diagnostic {
    Diagnostic::error(
        "type-mismatch",
        format!(
            "input `{}` takes the variable `{}`, whose value `{}` is not `{input_ty}`",
            input.value, variable.value, value.value
        ),
        input.span,
    )
    .with_label(
        value.span,
        format!("`{}` has no type: it is what its value is", variable.value),
    )
    .with_help(format!(
        "give `{}` a value of type `{input_ty}` (and declare the type: `var {}: {} = ...`), or \
         connect an output to the input",
        variable.value,
        variable.value,
        input_ty.to_dsl()
    ))
}

/// `input-fed-twice`: two connections into one input.
pub fn input_fed_twice(target: &str, connection: Span, first: Span) -> Diagnostic {
    Diagnostic::error(
        "input-fed-twice",
        format!("input `{target}` is fed by more than one connection"),
        connection,
    )
    .with_label(first, "first connection here")
    .with_help("an input takes one value: remove a connection, or `merge` them first")
}

/// `unfed-input`: a required input that no connection, variable or default feeds.
pub fn unfed_input(block: &str, port: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "unfed-input",
        format!("input `{block}.{port}` is required but nothing feeds it"),
        span,
    )
    .with_help(format!(
        "connect an output to it, declare `var {port}`, give it a default, or make it `optional`"
    ))
}

/// `cycle`: blocks whose connections form a loop; `path` is the loop in order (first block
/// repeated at the end), `edges` the connections along it.
pub fn cycle(path: &[&str], primary: Span, edges: &[Span]) -> Diagnostic {
    let names: Vec<String> = path.iter().map(|name| format!("`{name}`")).collect();
    let mut d = Diagnostic::error(
        "cycle",
        format!("the connections form a cycle: {}", names.join(" -> ")),
        primary,
    )
    .with_help("a workflow is a graph without cycles: remove one of these connections");
    for (i, edge) in edges.iter().enumerate() {
        let from = path.get(i).copied().unwrap_or_default();
        let to = path.get(i + 1).copied().unwrap_or_default();
        d = d.with_label(*edge, format!("`{from}` feeds `{to}`"));
    }
    d
}

/// `placeholder-without-parameter`: a placeholder naming a parameter the template lacks.
pub fn placeholder_without_parameter(
    placeholder: &str,
    param: &Str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "placeholder-without-parameter",
        format!(
            "placeholder `{placeholder}` uses the parameter `{}`, which is not declared",
            param.value
        ),
        param.span,
    );
    match suggestion {
        Some(_) => with_suggestion(d, param, suggestion),
        None => d.with_help(format!("declare it: `param {}: String = ...`", param.value)),
    }
}

/// `unused-parameter`: a parameter no placeholder uses (warning).
pub fn unused_parameter(name: &Str) -> Diagnostic {
    Diagnostic::warning(
        "unused-parameter",
        format!("parameter `{}` is not used by any placeholder", name.value),
        name.span,
    )
    .with_help("remove it, or use it in a placeholder")
}

/// `unknown-placeholder`: `{{name}}` in a template source with no placeholder of that name.
pub fn unknown_placeholder(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "unknown-placeholder",
        format!("`{{{{{name}}}}}` has no placeholder `{name}`"),
        span,
    )
    .with_help(format!("declare it: `placeholder {name} = simple(...)`"))
}

/// `unused-placeholder`: a placeholder the template source never writes (warning).
pub fn unused_placeholder(name: &Str) -> Diagnostic {
    Diagnostic::warning(
        "unused-placeholder",
        format!(
            "placeholder `{}` does not appear in the template",
            name.value
        ),
        name.span,
    )
}

/// `unknown-prompt-name`: `{name}` in a prompt that is neither an input nor a variable.
pub fn unknown_prompt_name(
    name: &str,
    span: Span,
    fix_edit: Option<(&str, TextEdit)>,
) -> Diagnostic {
    let d = Diagnostic::error(
        "unknown-prompt-name",
        format!("`{{{name}}}` in the prompt is neither an input nor a variable"),
        span,
    );
    match fix_edit {
        Some((suggestion, edit)) => d
            .with_help(format!("did you mean `{suggestion}`?"))
            .with_fix(fix(format!("change to `{suggestion}`"), edit)),
        None => d.with_help(format!("declare `in {name}: String` or `var {name}`")),
    }
}

/// `unused-prompt-input`: an AI block input its prompts never mention (warning).
pub fn unused_prompt_input(name: &Str) -> Diagnostic {
    Diagnostic::warning(
        "unused-prompt-input",
        format!("input `{}` is not used in the prompt", name.value),
        name.span,
    )
    .with_help(format!(
        "write `{{{}}}` in the prompt, or remove the input",
        name.value
    ))
}

/// `data-type-mismatch`: a connection's stored `data_type` that is not its source's type
/// (warning).
pub fn data_type_mismatch(
    data_type: &TypeRef,
    source: &str,
    source_ty: &Type,
    source_span: Span,
) -> Diagnostic {
    Diagnostic::warning(
        "data-type-mismatch",
        format!(
            "the connection says `{}` but `{source}` is `{source_ty}`",
            data_type.text
        ),
        data_type.span,
    )
    .with_label(source_span, format!("`{source}` is `{source_ty}`"))
    .with_fix(fix(
        format!("change to `{source_ty}`"),
        replace_type(data_type, source_ty),
    ))
}

/// `unused-output`: an output nothing consumes, on a block some of whose outputs are consumed
/// (hint).
pub fn unused_output(block: &str, name: &Str) -> Diagnostic {
    Diagnostic::new(
        Severity::Hint,
        "unused-output",
        format!("output `{block}.{}` is not used", name.value),
        name.span,
    )
    .with_help("connect it to an input, or remove it when the block need not produce it")
}

/// `ill-typed-field`: a known key whose value did not fit, kept verbatim.
pub fn ill_typed_field(key: &Str, value_span: Span, expected: &str, found: &str) -> Diagnostic {
    Diagnostic::error(
        "ill-typed-field",
        format!("`{}` must be {expected}, found {found}", key.value),
        value_span,
    )
    .with_label(key.span, "")
}

/// `invalid-setting`: a run setting the engine refuses (a timeout that is not a positive
/// number of seconds, a count under 1, a `rollback` that is not a boolean).
pub fn invalid_setting(problem: &super::settings::SettingProblem) -> Diagnostic {
    let d = Diagnostic::error("invalid-setting", problem.message.clone(), problem.span)
        .with_help(problem.help);
    match problem.key {
        Some(key) => d.with_label(key, ""),
        None => d,
    }
}

/// `unknown-enum-value`: a spelling that is not one of a field's values (`mode`,
/// `logging_level`, `backoff`, `output_format`).
pub fn unknown_enum_value(
    field: &str,
    value: &Str,
    options: &[&str],
    suggestion: Option<&str>,
) -> Diagnostic {
    let listed: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
    let d = Diagnostic::error(
        "unknown-enum-value",
        format!("`{}` is not a valid `{field}`", value.value),
        value.span,
    );
    match suggestion {
        Some(_) => with_suggestion(d, value, suggestion),
        None => d.with_help(format!("use one of {}", listed.join(", "))),
    }
}

/// `unknown-block`: a block id in `canvas_state.selected_blocks` that is not a block (warning).
pub fn unknown_selected_block(id: &Str) -> Diagnostic {
    Diagnostic::warning(
        "unknown-block",
        format!("selected block `{}` does not exist", id.value),
        id.span,
    )
}

/// The name of a JSON value's kind with an article, for messages: `a string`, `an array`.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(n) if n.is_f64() => "a float",
        serde_json::Value::Number(_) => "an integer",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// What a JSON value is, for "found ..." in messages: its kind, and for an object the keys it
/// has (`an object with keys `x`, `y`, `z``), since "must be an object ..., found an object"
/// says nothing.
pub fn describe_value(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(members) if members.is_empty() => "an empty object".into(),
        serde_json::Value::Object(members) => {
            let keys: Vec<String> = members.keys().map(|k| format!("`{k}`")).collect();
            match keys.as_slice() {
                [one] => format!("an object with the one key {one}"),
                _ => format!("an object with keys {}", keys.join(", ")),
            }
        }
        serde_json::Value::Array(items) if items.is_empty() => "an empty array".into(),
        other => json_kind(other).into(),
    }
}

/// What is wrong with a value that should be `{"x": number, "y": number}` (a position, a
/// pan): the keys it lacks or has too many of, or the member that is not a number.
pub fn describe_point(value: &serde_json::Value) -> String {
    let Some(members) = value.as_object() else {
        return describe_value(value);
    };
    let extra: Vec<String> = members
        .keys()
        .filter(|k| *k != "x" && *k != "y")
        .map(|k| format!("`{k}`"))
        .collect();
    let missing: Vec<&str> = ["`x`", "`y`"]
        .into_iter()
        .filter(|k| !members.contains_key(k.trim_matches('`')))
        .collect();
    if !extra.is_empty() || !missing.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("without {}", missing.join(" or ")));
        }
        if !extra.is_empty() {
            let noun = if extra.len() == 1 { "key" } else { "keys" };
            parts.push(format!("with the extra {noun} {}", extra.join(", ")));
        }
        return format!("an object {}", parts.join(" and "));
    }
    for key in ["x", "y"] {
        if let Some(member) = members.get(key).filter(|m| !m.is_number()) {
            return format!("an object whose `{key}` is {}", json_kind(member));
        }
    }
    describe_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("find_files", "find_files"), 0);
        assert_eq!(edit_distance("find_flies", "find_files"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions_are_close_or_nothing() {
        let names = ["find_files", "read_file", "write_file"];
        assert_eq!(suggest("find_file", names), Some("find_files"));
        assert_eq!(suggest("Read_File", names), Some("read_file"));
        assert_eq!(suggest("http", names), None);
        assert_eq!(suggest("", names), None);
    }

    #[test]
    fn found_values_say_what_is_wrong() {
        use serde_json::json;
        assert_eq!(
            describe_point(&json!({"x": 1, "y": 2, "z": 0})),
            "an object with the extra key `z`"
        );
        assert_eq!(describe_point(&json!({"x": 1})), "an object without `y`");
        assert_eq!(
            describe_point(&json!({"x": "1", "y": 2})),
            "an object whose `x` is a string"
        );
        assert_eq!(describe_point(&json!([1, 2])), "an array");
        assert_eq!(
            describe_value(&json!({"a": 1, "b": 2})),
            "an object with keys `a`, `b`"
        );
    }

    #[test]
    fn replacements_follow_the_quoting_of_the_span() {
        let bare = Str::new("find_file".into(), Span::new(10, 19));
        assert_eq!(replace_str(&bare, "find_files").new_text, "find_files");
        let quoted = Str::new("find_file".into(), Span::new(10, 21));
        assert_eq!(
            replace_str(&quoted, "find_files").new_text,
            "\"find_files\""
        );
        assert_eq!(replace_str(&bare, "a b").new_text, "\"a b\"");
        let ty = Type::Applied("Optional".into(), vec![Type::Named("String".into())]);
        let bare_ty = TypeRef {
            text: "Number".into(),
            span: Span::new(0, 6),
        };
        assert_eq!(replace_type(&bare_ty, &ty).new_text, "String?");
        let quoted_ty = TypeRef {
            text: "Number".into(),
            span: Span::new(0, 8),
        };
        assert_eq!(
            replace_type(&quoted_ty, &ty).new_text,
            "\"Optional[String]\""
        );
    }
}
