//! A JSON tree that remembers where each value and key was written.
//!
//! Both the `.agentblocks` reader (positions in the JSON text) and the DSL lowering (a DSL
//! value converted to JSON, positions in the `.ab` text) produce it, so the one set of field
//! readers in [`super::read`] serves both.

use crate::model::{Json, Span, Str};

/// A JSON value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonNode {
    /// The value.
    pub kind: JsonKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of JSON values; objects keep their members in order, duplicates included
/// (readers report duplicates).
#[derive(Clone, Debug, PartialEq)]
pub enum JsonKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; integers and floats stay apart.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonNode>),
    /// An object, members in the order written.
    Object(Vec<Member>),
}

/// One `"key": value` member of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The key.
    pub key: Str,
    /// The value.
    pub value: JsonNode,
    /// The whole member.
    pub span: Span,
}

impl JsonNode {
    /// A node of `kind` at `span`.
    pub fn new(kind: JsonKind, span: Span) -> JsonNode {
        JsonNode { kind, span }
    }

    /// The plain JSON value (spans dropped; for duplicate keys the last one wins, as in
    /// `serde_json`).
    pub fn to_value(&self) -> Json {
        match &self.kind {
            JsonKind::Null => Json::Null,
            JsonKind::Bool(b) => Json::Bool(*b),
            JsonKind::Number(n) => Json::Number(n.clone()),
            JsonKind::String(s) => Json::String(s.clone()),
            JsonKind::Array(items) => Json::Array(items.iter().map(JsonNode::to_value).collect()),
            JsonKind::Object(members) => {
                let mut map = serde_json::Map::new();
                for member in members {
                    map.insert(member.key.value.clone(), member.value.to_value());
                }
                Json::Object(map)
            }
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            JsonKind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[JsonNode]> {
        match &self.kind {
            JsonKind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A short name of the value's kind for messages: `a string`, `an object`, ...
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "a boolean",
            JsonKind::Number(_) => "a number",
            JsonKind::String(_) => "a string",
            JsonKind::Array(_) => "an array",
            JsonKind::Object(_) => "an object",
        }
    }
}
