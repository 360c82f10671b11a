//! The type language: parsing and printing type strings.
//!
//! JSON holds types as strings in one canonical spelling (`List[Path]`, `Dict[String, Integer]`,
//! `Optional[String]`, `{a: String, b: Integer}`); the DSL also accepts `T?` for `Optional[T]`
//! and any amount of whitespace. [`parse_type`] reads both; [`Type`]'s `Display` prints the
//! canonical JSON spelling and [`Type::to_dsl`] the DSL one (`T?`).

use std::fmt;

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

/// Parses a type string, in JSON spelling or DSL spelling (`T?`, free whitespace).
pub fn parse_type(text: &str) -> Result<Type, TypeError> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_ws();
    let ty = parser.parse_type()?;
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

    fn parse_type(&mut self) -> Result<Type, TypeError> {
        let mut ty = self.parse_primary()?;
        while self.eat('?') {
            ty = Type::Applied("Optional".to_string(), vec![ty]);
        }
        Ok(ty)
    }

    fn parse_primary(&mut self) -> Result<Type, TypeError> {
        self.skip_ws();
        if self.eat('{') {
            let mut fields = Vec::new();
            if !self.eat('}') {
                loop {
                    let name = self.ident()?;
                    if !self.eat(':') {
                        return Err(self.error("expected `:` after a record field name"));
                    }
                    fields.push((name, self.parse_type()?));
                    if self.eat('}') {
                        break;
                    }
                    if !self.eat(',') {
                        return Err(self.error("expected `,` or `}` in a record type"));
                    }
                }
            }
            return Ok(Type::Record(fields));
        }
        let name = self.ident()?;
        if self.eat('[') {
            let mut args = vec![self.parse_type()?];
            loop {
                if self.eat(']') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.error("expected `,` or `]` in type arguments"));
                }
                args.push(self.parse_type()?);
            }
            return Ok(Type::Applied(name, args));
        }
        Ok(Type::Named(name))
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
        assert_eq!(parse_type("List[").unwrap_err().message, "expected a type name");
        assert_eq!(
            parse_type("List[String").unwrap_err().message,
            "expected `,` or `]` in type arguments"
        );
        assert!(parse_type("String extra").is_err());
        assert!(parse_type("").is_err());
    }
}
