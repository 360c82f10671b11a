//! The type language: parsing and printing type strings.
//!
//! JSON holds types as strings in one canonical spelling (`List[Path]`, `Dict[String, Integer]`,
//! `Optional[String]`, `{a: String, b: Integer}`); the DSL also accepts `T?` for `Optional[T]`
//! and any amount of whitespace. [`parse_type`] reads both; [`Type`]'s `Display` prints the
//! canonical JSON spelling and [`Type::to_dsl`] the DSL one (`T?`).

use std::fmt;

use crate::MAX_NESTING;

/// A parsed type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A name: a built-in (`String`, `Path`, ...) or a declared type.
    Named(String),
    /// `Name[arg, ...]`: `List[T]`, `Dict[K, V]`, `Optional[T]` or another applied name.
    Applied(String, Vec<Type>),
    /// `{field: T, ...}`, fields in order.
    Record(Vec<(String, Type)>),
}

/// Why a type string did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    /// Byte offset in the type string.
    pub offset: usize,
    /// Lowercase message naming what was expected.
    pub message: String,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for TypeError {}

/// Built-in type names that take no arguments.
pub const SCALAR_TYPES: &[&str] = &[
    "String",
    "Number",
    "Integer",
    "Boolean",
    "Path",
    "File",
    "Directory",
    "Json",
    "Any",
];

/// Built-in type constructors and how many arguments each takes.
pub const TYPE_CONSTRUCTORS: &[(&str, usize)] = &[("List", 1), ("Dict", 2), ("Optional", 1)];

/// The message of a type nested deeper than [`MAX_NESTING`] levels.
pub const TOO_DEEP: &str = "type nested deeper than 256 levels";

/// The nesting of a type: how many `[...]`, `{...}` (and `?`) levels it has; a name has none.
pub fn nesting(ty: &Type) -> usize {
    match ty {
        Type::Named(_) => 0,
        Type::Applied(_, args) => 1 + args.iter().map(nesting).max().unwrap_or(0),
        Type::Record(fields) => 1 + fields.iter().map(|(_, t)| nesting(t)).max().unwrap_or(0),
    }
}

/// Parses a type string, in JSON spelling or DSL spelling (`T?`, free whitespace). A type
/// nested deeper than [`MAX_NESTING`] levels is an error ([`TOO_DEEP`]), so no walk over a
/// parsed type recurses deeper.
pub fn parse_type(text: &str) -> Result<Type, TypeError> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
    };
    parser.skip_ws();
    let (ty, _) = parser.parse_type()?;
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("expected the end of the type"));
    }
    Ok(ty)
}

/// True when `text` is a type string in exactly the canonical JSON spelling.
pub fn is_canonical(text: &str) -> bool {
    parse_type(text).is_ok_and(|ty| ty.to_string() == text)
}

/// True when `name` is an identifier: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Type {
    /// The DSL spelling: like the JSON one, but `Optional[T]` is written `T?`.
    pub fn to_dsl(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    fn write(&self, out: &mut String, dsl: bool) {
        match self {
            Type::Named(name) => out.push_str(name),
            Type::Applied(name, args) if dsl && name == "Optional" && args.len() == 1 => {
                args[0].write(out, dsl);
                out.push('?');
            }
            Type::Applied(name, args) => {
                out.push_str(name);
                out.push('[');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    arg.write(out, dsl);
                }
                out.push(']');
            }
            Type::Record(fields) => {
                out.push('{');
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    out.push_str(": ");
                    ty.write(out, dsl);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Type {
    /// The canonical JSON spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out, false);
        f.write_str(&out)
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// The `[` and `{` around the current position.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> TypeError {
        TypeError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, expected: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<String, TypeError> {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = if self.pos == start {
                c.is_ascii_alphabetic() || c == '_'
            } else {
                c.is_ascii_alphanumeric() || c == '_'
            };
            if !ok {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a type name"));
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// A type and its nesting (how many `[...]`, `{...}` and `?` levels it has).
    fn parse_type(&mut self) -> Result<(Type, usize), TypeError> {
        let (mut ty, mut nesting) = self.parse_primary()?;
        loop {
            self.skip_ws();
            let at = self.pos;
            if !self.eat('?') {
                break;
            }
            nesting += 1;
            if self.depth + nesting > MAX_NESTING {
                self.pos = at;
                return Err(self.error(TOO_DEEP));
            }
            ty = Type::Applied("Optional".to_string(), vec![ty]);
        }
        Ok((ty, nesting))
    }

    /// Enters a `[` or `{` (just eaten): one more level, at most [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), TypeError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.pos -= 1;
            return Err(self.error(TOO_DEEP));
        }
        Ok(())
    }

    fn parse_primary(&mut self) -> Result<(Type, usize), TypeError> {
        self.skip_ws();
        if self.eat('{') {
            self.enter()?;
            let mut fields = Vec::new();
            let mut nesting = 0;
            if !self.eat('}') {
                loop {
                    let name = self.ident()?;
                    if !self.eat(':') {
                        return Err(self.error("expected `:` after a record field name"));
                    }
                    let (ty, n) = self.parse_type()?;
                    nesting = nesting.max(n);
                    fields.push((name, ty));
                    if self.eat('}') {
                        break;
                    }
                    if !self.eat(',') {
                        return Err(self.error("expected `,` or `}` in a record type"));
                    }
                }
            }
            self.depth -= 1;
            return Ok((Type::Record(fields), nesting + 1));
        }
        let name = self.ident()?;
        if self.eat('[') {
            self.enter()?;
            let (first, mut nesting) = self.parse_type()?;
            let mut args = vec![first];
            loop {
                if self.eat(']') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected `,` or `]` in type arguments"));
                }
                let (arg, n) = self.parse_type()?;
                nesting = nesting.max(n);
                args.push(arg);
            }
            self.depth -= 1;
            return Ok((Type::Applied(name, args), nesting + 1));
        }
        Ok((Type::Named(name), 0))
    }
}

/// How deep [`is_assignable`] and [`value_fits`] follow named types before giving up (a named
/// type that refers to itself, `type A = List[A]`, would otherwise never end).
const MAX_DEPTH: usize = 32;

/// True for the scalar built-ins that name a concrete value kind (not `Any`/`Json`).
fn is_builtin_name(name: &str) -> bool {
    SCALAR_TYPES.contains(&name)
}

/// True for the name of a built-in type or type constructor (`String`, `List`): names a
/// workflow cannot declare or rename.
pub fn is_builtin_type_name(name: &str) -> bool {
    is_builtin_name(name) || TYPE_CONSTRUCTORS.iter().any(|(c, _)| *c == name)
}

/// True when a value of type `from` may flow into a place of type `to` (a connection from an
/// output of type `from` into an input of type `to`).
///
/// The rules (design.md, "Types"):
/// - anything is assignable to `Any` and to `Json` (the top types); `Any` is also the dynamic
///   type, assignable to everything (a code block that says `Any` is checked when it runs),
///   while `Json` is only assignable to `Json` and `Any`;
/// - `Integer` to `Number`; `File` and `Directory` to `Path`;
/// - `T` to `Optional[T]`, and `Optional` is covariant; `Optional[T]` is not assignable to `T`;
/// - `List` is covariant; `Dict[K, V]` is covariant in `K` and `V`;
/// - records are structural with width subtyping: `{a: A, b: B}` is assignable to `{a: A'}`
///   when `A` is assignable to `A'`; a target field of an `Optional` type may be missing; a
///   record is also assignable to `Dict[String, V]` when every field is assignable to `V`;
/// - a name that is not built in is resolved with `named` (the workflow's `types`); an
///   unknown name (`named` returns `None`) is assignable to nothing but `Any`/`Json`, not even
///   to itself (it is reported as `undeclared-type`, and a connection of it stays suspect);
/// - a malformed type (an unknown constructor, a wrong number of arguments) is assignable to
///   nothing but `Any`/`Json`.
pub fn is_assignable(from: &Type, to: &Type, named: &dyn Fn(&str) -> Option<Type>) -> bool {
    assignable(from, to, named, 0)
}

/// `ty` with declared names followed and `Optional` taken off, as far as they go (at most
/// `MAX_DEPTH` steps: a cycle of names ends there): the type of a value that is there.
pub fn resolve_required(ty: &Type, named: &dyn Fn(&str) -> Option<Type>) -> Type {
    let mut ty = ty.clone();
    for _ in 0..MAX_DEPTH {
        ty = match &ty {
            Type::Applied(name, args) if name == "Optional" && args.len() == 1 => args[0].clone(),
            other => match resolve(other, named) {
                Some(resolved) => resolved,
                None => break,
            },
        };
    }
    ty
}

fn resolve(ty: &Type, named: &dyn Fn(&str) -> Option<Type>) -> Option<Type> {
    match ty {
        Type::Named(name) if !is_builtin_name(name) => named(name),
        _ => None,
    }
}

fn is_top(ty: &Type) -> bool {
    matches!(ty, Type::Named(name) if name == "Any" || name == "Json")
}

fn assignable(from: &Type, to: &Type, named: &dyn Fn(&str) -> Option<Type>, depth: usize) -> bool {
    if is_top(to) || matches!(from, Type::Named(name) if name == "Any") {
        return true;
    }
    if depth > MAX_DEPTH {
        return false;
    }
    if let Some(resolved) = resolve(from, named) {
        return assignable(&resolved, to, named, depth + 1);
    }
    if let Some(resolved) = resolve(to, named) {
        return assignable(from, &resolved, named, depth + 1);
    }
    match (from, to) {
        (Type::Named(a), Type::Named(b)) => {
            is_builtin_name(a)
                && (a == b
                    || (a == "Integer" && b == "Number")
                    || ((a == "File" || a == "Directory") && b == "Path"))
        }
        (Type::Applied(a, a_args), Type::Applied(b, b_args)) if a == b => {
            let arity = TYPE_CONSTRUCTORS.iter().find(|(name, _)| name == a);
            matches!(arity, Some((_, n)) if *n == a_args.len() && *n == b_args.len())
                && a_args
                    .iter()
                    .zip(b_args)
                    .all(|(x, y)| assignable(x, y, named, depth + 1))
        }
        (_, Type::Applied(b, b_args)) if b == "Optional" && b_args.len() == 1 => {
            assignable(from, &b_args[0], named, depth + 1)
        }
        (Type::Record(from_fields), Type::Record(to_fields)) => to_fields.iter().all(
            |(name, to_ty)| match from_fields.iter().find(|(n, _)| n == name) {
                Some((_, from_ty)) => assignable(from_ty, to_ty, named, depth + 1),
                None => {
                    matches!(to_ty, Type::Applied(c, args) if c == "Optional" && args.len() == 1)
                }
            },
        ),
        (Type::Record(from_fields), Type::Applied(b, b_args))
            if b == "Dict" && b_args.len() == 2 =>
        {
            assignable(&Type::Named("String".into()), &b_args[0], named, depth + 1)
                && from_fields
                    .iter()
                    .all(|(_, ty)| assignable(ty, &b_args[1], named, depth + 1))
        }
        _ => false,
    }
}

/// A problem with a parsed type: a name that is not declared or a malformed application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeProblem {
    /// A name that is neither built in nor declared (the name).
    Undeclared(String),
    /// A malformed type, with a lowercase message naming the problem.
    Invalid(String),
}

/// Every problem of `ty`, in reading order. `is_declared` says whether a non-built-in name is
/// declared (in the workflow's `types`).
pub fn type_problems(ty: &Type, is_declared: &dyn Fn(&str) -> bool) -> Vec<TypeProblem> {
    let mut problems = Vec::new();
    collect_problems(ty, is_declared, &mut problems);
    problems
}

fn collect_problems(ty: &Type, is_declared: &dyn Fn(&str) -> bool, out: &mut Vec<TypeProblem>) {
    match ty {
        Type::Named(name) => {
            if TYPE_CONSTRUCTORS.iter().any(|(c, _)| c == name) {
                out.push(TypeProblem::Invalid(format!(
                    "`{name}` needs type arguments, as in `{name}[...]`"
                )));
            } else if !is_builtin_name(name) && !is_declared(name) {
                out.push(TypeProblem::Undeclared(name.clone()));
            }
        }
        Type::Applied(name, args) => {
            match TYPE_CONSTRUCTORS.iter().find(|(c, _)| c == name) {
                Some((_, arity)) if *arity != args.len() => {
                    out.push(TypeProblem::Invalid(format!(
                        "`{name}` takes {arity} type argument{}, found {}",
                        if *arity == 1 { "" } else { "s" },
                        args.len()
                    )));
                }
                Some(_) => {}
                None => out.push(TypeProblem::Invalid(format!(
                    "`{name}` is not a type constructor (those are `List`, `Dict` and `Optional`)"
                ))),
            }
            for arg in args {
                collect_problems(arg, is_declared, out);
            }
        }
        Type::Record(fields) => {
            for (i, (name, field_ty)) in fields.iter().enumerate() {
                if fields[..i].iter().any(|(n, _)| n == name) {
                    out.push(TypeProblem::Invalid(format!(
                        "record field `{name}` is declared twice"
                    )));
                }
                collect_problems(field_ty, is_declared, out);
            }
        }
    }
}

/// True when the JSON `value` is a value of type `ty` (for variable values, port defaults and
/// parameter values). Unknown names and malformed types accept anything (they are reported
/// on their own).
pub fn value_fits(
    value: &serde_json::Value,
    ty: &Type,
    named: &dyn Fn(&str) -> Option<Type>,
) -> bool {
    fits(value, ty, named, 0)
}

fn fits(
    value: &serde_json::Value,
    ty: &Type,
    named: &dyn Fn(&str) -> Option<Type>,
    depth: usize,
) -> bool {
    use serde_json::Value as V;
    if depth > MAX_DEPTH {
        return true;
    }
    match ty {
        Type::Named(name) => match name.as_str() {
            "String" | "Path" | "File" | "Directory" => value.is_string(),
            "Number" => value.is_number(),
            "Integer" => value.is_i64() || value.is_u64(),
            "Boolean" => value.is_boolean(),
            "Json" | "Any" => true,
            _ => match named(name) {
                Some(resolved) => fits(value, &resolved, named, depth + 1),
                None => true,
            },
        },
        Type::Applied(name, args) => match (name.as_str(), args.as_slice(), value) {
            ("Optional", [inner], _) => value.is_null() || fits(value, inner, named, depth + 1),
            ("List", [inner], V::Array(items)) => {
                items.iter().all(|item| fits(item, inner, named, depth + 1))
            }
            ("Dict", [_, inner], V::Object(members)) => {
                members.values().all(|item| fits(item, inner, named, depth + 1))
            }
            ("List", [_], _) | ("Dict", [_, _], _) => false,
            _ => true,
        },
        Type::Record(fields) => match value {
            V::Object(members) => fields.iter().all(|(field, field_ty)| match members.get(field) {
                Some(item) => fits(item, field_ty, named, depth + 1),
                None => matches!(field_ty, Type::Applied(c, args) if c == "Optional" && args.len() == 1),
            }),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spellings_round_trip() {
        for text in [
            "String",
            "List[Path]",
            "Dict[String, List[Integer]]",
            "Optional[String]",
            "{a: String, b: List[Path]}",
            "{}",
        ] {
            assert_eq!(parse_type(text).unwrap().to_string(), text);
            assert!(is_canonical(text), "{text}");
        }
    }

    #[test]
    fn dsl_spelling_uses_question_mark() {
        let ty = parse_type("List[ String ]?").unwrap();
        assert_eq!(ty.to_string(), "Optional[List[String]]");
        assert_eq!(ty.to_dsl(), "List[String]?");
        assert!(!is_canonical("List[ String ]"));
    }

    #[test]
    fn errors_name_what_was_expected() {
        assert_eq!(
            parse_type("List[").unwrap_err().message,
            "expected a type name"
        );
        assert_eq!(
            parse_type("List[String").unwrap_err().message,
            "expected `,` or `]` in type arguments"
        );
        assert!(parse_type("String extra").is_err());
        assert!(parse_type("").is_err());
    }

    fn no_names(_: &str) -> Option<Type> {
        None
    }

    fn can(from: &str, to: &str) -> bool {
        let named = |name: &str| match name {
            "Finding" => parse_type("{file: Path, line: Integer}").ok(),
            "Findings" => parse_type("List[Finding]").ok(),
            "Loop" => parse_type("List[Loop]").ok(),
            _ => None,
        };
        is_assignable(&parse_type(from).unwrap(), &parse_type(to).unwrap(), &named)
    }

    #[test]
    fn assignability_follows_the_design() {
        for (from, to) in [
            ("String", "String"),
            ("Integer", "Number"),
            ("File", "Path"),
            ("Directory", "Path"),
            ("String", "String?"),
            ("String?", "String?"),
            ("Integer?", "Number?"),
            ("List[Integer]", "List[Number]"),
            ("List[File]", "List[Path]"),
            ("Dict[String, Integer]", "Dict[String, Number]"),
            ("{a: Integer, b: String}", "{a: Number}"),
            ("{a: Integer}", "{a: Number, b: String?}"),
            ("{a: Integer}", "Dict[String, Number]"),
            ("List[Path]", "Any"),
            ("List[Path]", "Json"),
            ("Unknown", "Any"),
            ("Any", "List[Path]"),
            ("Finding", "{file: Path}"),
            ("List[{file: File, line: Integer}]", "Findings"),
            ("Findings", "List[Finding]"),
        ] {
            assert!(can(from, to), "{from} -> {to}");
        }
        for (from, to) in [
            ("Number", "Integer"),
            ("Path", "File"),
            ("String?", "String"),
            ("List[Path]", "Number"),
            ("List[Number]", "List[Integer]"),
            ("{a: Number}", "{a: Number, b: String}"),
            ("Json", "String"),
            ("Unknown", "Unknown"),
            ("String", "Unknown"),
            ("Lisst[String]", "Lisst[String]"),
            ("List[String, String]", "List[String, String]"),
            ("Loop", "String"),
            ("Findings", "List[String]"),
        ] {
            assert!(!can(from, to), "{from} -/-> {to}");
        }
        // A self-referential type terminates.
        assert!(can("Loop", "Loop") || !can("Loop", "Loop"));
    }

    #[test]
    fn problems_name_undeclared_and_malformed_types() {
        let declared = |name: &str| name == "Finding";
        let problems = |text: &str| type_problems(&parse_type(text).unwrap(), &declared);
        assert!(problems("List[Finding]").is_empty());
        assert_eq!(
            problems("List[Findng]"),
            vec![TypeProblem::Undeclared("Findng".into())]
        );
        assert_eq!(
            problems("Dict[String]"),
            vec![TypeProblem::Invalid(
                "`Dict` takes 2 type arguments, found 1".into()
            )]
        );
        assert_eq!(problems("List").len(), 1);
        assert_eq!(problems("Set[String]").len(), 1);
        assert_eq!(problems("{a: String, a: Integer}").len(), 1);
    }

    #[test]
    fn values_fit_types() {
        let fits = |value: serde_json::Value, ty: &str| {
            value_fits(&value, &parse_type(ty).unwrap(), &no_names)
        };
        assert!(fits(serde_json::json!(1), "Integer"));
        assert!(!fits(serde_json::json!(1.0), "Integer"));
        assert!(fits(serde_json::json!(1.5), "Number"));
        assert!(fits(serde_json::json!(null), "String?"));
        assert!(fits(serde_json::json!(["a"]), "List[Path]"));
        assert!(!fits(serde_json::json!([1]), "List[Path]"));
        assert!(fits(
            serde_json::json!({"a": 1}),
            "{a: Integer, b: String?}"
        ));
        assert!(!fits(serde_json::json!({"a": "x"}), "{a: Integer}"));
        assert!(fits(serde_json::json!("x"), "Unknown"));
    }
}
