//! Values: the typed data that flows along connections, converted to and from JSON and checked
//! against a port's declared [`Type`].
//!
//! A [`Value`] is JSON plus two distinctions JSON loses: integers stay apart from floats, and a
//! path is a [`Value::Path`] (a `pathlib.Path` in Python, a string elsewhere). Dictionaries keep
//! their insertion order, as the `.agentblocks` format keeps the order of open objects.

use std::fmt;
use std::path::PathBuf;

use agentblocks_dsl::types::Type;
use serde_json::Value as Json;

/// A value on a port.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// JSON `null`, Python `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number that fits in 64 bits.
    Integer(i64),
    /// A floating-point number (may be non-finite; JSON then gets `null`).
    Number(f64),
    /// Text.
    String(String),
    /// A file-system path (`Path`, `File`, `Directory`).
    Path(PathBuf),
    /// A list (also Python tuples).
    List(Vec<Value>),
    /// A dictionary or record with string keys, in insertion order.
    Dict(Vec<(String, Value)>),
}

/// A value that does not have the type a port declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeMismatch {
    /// Where in the value the mismatch is, like `[3].file`; empty for the value itself.
    pub path: String,
    /// The expected type, in the canonical spelling.
    pub expected: String,
    /// What was found: the value's type name and a short preview.
    pub found: String,
}

impl fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected `{}`, found {}", self.expected, self.found)?;
        if !self.path.is_empty() {
            write!(f, " at `{}`", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for TypeMismatch {}

/// How deep named types may refer to each other without consuming any of the value (guards
/// against `A = B`, `B = A`).
const MAX_NAMED_DEPTH: usize = 64;

impl Value {
    /// The name of this value's runtime type: `Null`, `Boolean`, `Integer`, `Number`, `String`,
    /// `Path`, `List` or `Dict`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Integer(_) => "Integer",
            Value::Number(_) => "Number",
            Value::String(_) => "String",
            Value::Path(_) => "Path",
            Value::List(_) => "List",
            Value::Dict(_) => "Dict",
        }
    }

    /// Converts to JSON: paths become strings (lossily if not UTF-8), non-finite numbers `null`.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Integer(i) => Json::from(*i),
            Value::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
            Value::String(s) => Json::String(s.clone()),
            Value::Path(p) => Json::String(p.to_string_lossy().into_owned()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Dict(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Converts from JSON without a type: strings stay strings; integers that fit in `i64` are
    /// [`Value::Integer`], every other number a [`Value::Number`].
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Integer(i),
                None => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::Dict(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts from JSON guided by a type: strings where the type says `Path`, `File` or
    /// `Directory` become [`Value::Path`]; integers and floats stay what they are. Named types
    /// are not resolved (see [`Value::from_json_typed_in`]).
    pub fn from_json_typed(json: &Json, ty: &Type) -> Value {
        Value::from_json_typed_in(json, ty, &|_| None)
    }

    /// Like [`Value::from_json_typed`], resolving named types with `named`.
    pub fn from_json_typed_in(
        json: &Json,
        ty: &Type,
        named: &dyn Fn(&str) -> Option<Type>,
    ) -> Value {
        from_json_at(json, ty, named, 0)
    }

    /// Checks this value against `ty`, resolving declared type names with `named`.
    ///
    /// `Any` and `Json` accept anything; `Number` accepts integers; `Integer` accepts floats
    /// with no fractional part; `Path`, `File` and `Directory` accept paths and strings;
    /// `Optional[T]` accepts `null`; records accept dictionaries that have every non-optional
    /// field (extra keys are allowed). A name that `named` does not know is not checked.
    pub fn check(
        &self,
        ty: &Type,
        named: &dyn Fn(&str) -> Option<Type>,
    ) -> Result<(), TypeMismatch> {
        let mut path = String::new();
        check_at(self, ty, named, &mut path, 0)
    }

    /// Like [`fmt::Display`], with a bound on the length of the text.
    pub fn preview(&self, max_chars: usize) -> String {
        let mut out = String::new();
        write_preview(self, &mut out, 2);
        truncate_chars(&out, max_chars)
    }
}

impl fmt::Display for Value {
    /// A short preview: scalars as literals (long strings cut), lists with their length and the
    /// first few items, dictionaries with the first few entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.preview(200))
    }
}

impl From<&Value> for Json {
    fn from(value: &Value) -> Json {
        value.to_json()
    }
}

fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn write_preview(value: &Value, out: &mut String, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::String(s) => out.push_str(&quote(&truncate_chars(s, 40))),
        Value::Path(p) => {
            out.push_str("Path(");
            out.push_str(&quote(&truncate_chars(&p.to_string_lossy(), 60)));
            out.push(')');
        }
        Value::List(items) => {
            out.push_str(&format!("List({}) [", items.len()));
            if depth == 0 && !items.is_empty() {
                out.push('…');
            } else {
                for (i, item) in items.iter().take(3).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_preview(item, out, depth.saturating_sub(1));
                }
                if items.len() > 3 {
                    out.push_str(", …");
                }
            }
            out.push(']');
        }
        Value::Dict(entries) => {
            out.push('{');
            if depth == 0 && !entries.is_empty() {
                out.push('…');
            } else {
                for (i, (key, item)) in entries.iter().take(4).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push_str(": ");
                    write_preview(item, out, depth.saturating_sub(1));
                }
                if entries.len() > 4 {
                    out.push_str(", …");
                }
            }
            out.push('}');
        }
    }
}

fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{n:.1}")
    } else {
        n.to_string()
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

/// The built-in meaning of a type, after resolving names.
enum Shape<'t> {
    Anything,
    String,
    Number,
    Integer,
    Boolean,
    Path,
    Optional(&'t Type),
    List(&'t Type),
    Dict(&'t Type),
    Record(&'t [(String, Type)]),
    /// A declared name, to resolve.
    Named(&'t str),
    /// A name nobody declared, or a constructor with the wrong arity: not checked.
    Unknown,
}

fn shape(ty: &Type) -> Shape<'_> {
    match ty {
        Type::Named(name) => match name.as_str() {
            "Any" | "Json" => Shape::Anything,
            "String" => Shape::String,
            "Number" => Shape::Number,
            "Integer" => Shape::Integer,
            "Boolean" => Shape::Boolean,
            "Path" | "File" | "Directory" => Shape::Path,
            other => Shape::Named(other),
        },
        Type::Applied(name, args) => match (name.as_str(), args.as_slice()) {
            ("Optional", [inner]) => Shape::Optional(inner),
            ("List", [inner]) => Shape::List(inner),
            ("Dict", [_, value]) => Shape::Dict(value),
            _ => Shape::Unknown,
        },
        Type::Record(fields) => Shape::Record(fields),
    }
}

fn from_json_at(
    json: &Json,
    ty: &Type,
    named: &dyn Fn(&str) -> Option<Type>,
    depth: usize,
) -> Value {
    match (shape(ty), json) {
        (Shape::Path, Json::String(s)) => Value::Path(PathBuf::from(s)),
        (Shape::Optional(inner), _) => from_json_at(json, inner, named, depth),
        (Shape::List(inner), Json::Array(items)) => Value::List(
            items
                .iter()
                .map(|item| from_json_at(item, inner, named, 0))
                .collect(),
        ),
        (Shape::Dict(inner), Json::Object(map)) => Value::Dict(
            map.iter()
                .map(|(k, v)| (k.clone(), from_json_at(v, inner, named, 0)))
                .collect(),
        ),
        (Shape::Record(fields), Json::Object(map)) => Value::Dict(
            map.iter()
                .map(|(k, v)| {
                    let value = match fields.iter().find(|(name, _)| name == k) {
                        Some((_, field_ty)) => from_json_at(v, field_ty, named, 0),
                        None => Value::from_json(v),
                    };
                    (k.clone(), value)
                })
                .collect(),
        ),
        (Shape::Named(name), _) if depth < MAX_NAMED_DEPTH => match named(name) {
            Some(resolved) => from_json_at(json, &resolved, named, depth + 1),
            None => Value::from_json(json),
        },
        _ => Value::from_json(json),
    }
}

fn mismatch(value: &Value, ty: &Type, path: &str) -> TypeMismatch {
    TypeMismatch {
        path: path.to_string(),
        expected: ty.to_string(),
        found: format!("`{}` {}", value.type_name(), value.preview(60)),
    }
}

fn check_at(
    value: &Value,
    ty: &Type,
    named: &dyn Fn(&str) -> Option<Type>,
    path: &mut String,
    depth: usize,
) -> Result<(), TypeMismatch> {
    let ok = match shape(ty) {
        Shape::Anything | Shape::Unknown => true,
        Shape::String => matches!(value, Value::String(_)),
        Shape::Number => matches!(value, Value::Integer(_) | Value::Number(_)),
        Shape::Integer => match value {
            Value::Integer(_) => true,
            Value::Number(n) => n.is_finite() && n.fract() == 0.0,
            _ => false,
        },
        Shape::Boolean => matches!(value, Value::Bool(_)),
        Shape::Path => matches!(value, Value::Path(_) | Value::String(_)),
        Shape::Optional(inner) => {
            return match value {
                Value::Null => Ok(()),
                _ => check_at(value, inner, named, path, depth),
            }
        }
        Shape::List(inner) => {
            let Value::List(items) = value else {
                return Err(mismatch(value, ty, path));
            };
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_at(item, inner, named, path, 0)?;
                path.truncate(len);
            }
            true
        }
        Shape::Dict(inner) => {
            let Value::Dict(entries) = value else {
                return Err(mismatch(value, ty, path));
            };
            for (key, item) in entries {
                let len = path.len();
                path.push_str(&format!("[{}]", quote(key)));
                check_at(item, inner, named, path, 0)?;
                path.truncate(len);
            }
            true
        }
        Shape::Record(fields) => {
            let Value::Dict(entries) = value else {
                return Err(mismatch(value, ty, path));
            };
            for (name, field_ty) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                match entries.iter().find(|(key, _)| key == name) {
                    Some((_, item)) => check_at(item, field_ty, named, path, 0)?,
                    None => {
                        if !matches!(shape(field_ty), Shape::Optional(_) | Shape::Anything) {
                            return Err(TypeMismatch {
                                path: path.clone(),
                                expected: field_ty.to_string(),
                                found: "nothing (the field is missing)".to_string(),
                            });
                        }
                    }
                }
                path.truncate(len);
            }
            true
        }
        Shape::Named(name) => {
            if depth >= MAX_NAMED_DEPTH {
                return Ok(());
            }
            return match named(name) {
                Some(resolved) => check_at(value, &resolved, named, path, depth + 1),
                None => Ok(()),
            };
        }
    };
    if ok {
        Ok(())
    } else {
        Err(mismatch(value, ty, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentblocks_dsl::types::parse_type;

    fn ty(text: &str) -> Type {
        parse_type(text).expect("valid type")
    }

    #[test]
    fn json_round_trip_keeps_integers_and_order() {
        let json: Json = serde_json::from_str(r#"{"b": 1, "a": 1.0, "c": [null, "x"]}"#).unwrap();
        let value = Value::from_json(&json);
        assert_eq!(value.to_json(), json);
        let Value::Dict(entries) = &value else {
            panic!("dict")
        };
        assert_eq!(entries[0], ("b".to_string(), Value::Integer(1)));
        assert_eq!(entries[1], ("a".to_string(), Value::Number(1.0)));
    }

    #[test]
    fn typed_json_makes_paths() {
        let json: Json = serde_json::from_str(r#"[{"file": "a.cpp", "n": 2}]"#).unwrap();
        let value = Value::from_json_typed(&json, &ty("List[{file: File, n: Integer}]"));
        assert_eq!(
            value,
            Value::List(vec![Value::Dict(vec![
                ("file".into(), Value::Path("a.cpp".into())),
                ("n".into(), Value::Integer(2)),
            ])])
        );
    }

    #[test]
    fn check_reports_path_and_types() {
        let value = Value::List(vec![
            Value::Dict(vec![("file".into(), Value::Path("a".into()))]),
            Value::Dict(vec![("file".into(), Value::Integer(3))]),
        ]);
        let err = value
            .check(&ty("List[{file: Path}]"), &|_| None)
            .unwrap_err();
        assert_eq!(err.path, "[1].file");
        assert_eq!(err.expected, "Path");
        assert_eq!(
            err.to_string(),
            "expected `Path`, found `Integer` 3 at `[1].file`"
        );
        assert!(Value::Integer(3).check(&ty("Number"), &|_| None).is_ok());
        assert!(Value::Null.check(&ty("String?"), &|_| None).is_ok());
        assert!(Value::String("x".into())
            .check(&ty("Integer"), &|_| None)
            .is_err());
        let named = |name: &str| (name == "Item").then(|| ty("{a: Integer}"));
        assert!(Value::Dict(vec![("a".into(), Value::String("x".into()))])
            .check(&ty("Item"), &named)
            .is_err());
    }

    #[test]
    fn preview_is_short() {
        let value = Value::List((0..100).map(Value::Integer).collect());
        assert_eq!(value.to_string(), "List(100) [0, 1, 2, …]");
    }
}
