//! A strict RFC 8259 JSON parser that records the byte span of every value, key and member.
//!
//! Hand-written for speed (no per-character allocation: strings without escapes are copied in
//! one slice) and for precise errors: one [`Diagnostic`] with code `invalid-json`, a lowercase
//! message saying what was expected, the primary label at the offending place and, for an
//! unclosed container, a related label at its opening bracket. It never panics and never
//! recurses deeper than [`MAX_DEPTH`].

use super::node::{JsonKind, JsonNode, Member};
use crate::diagnostic::Diagnostic;
use crate::model::{Span, Spanned};

/// The deepest nesting of arrays and objects accepted (the crate's one limit,
/// [`crate::MAX_NESTING`]).
pub const MAX_DEPTH: usize = crate::MAX_NESTING;

/// The diagnostic code of every parse error.
pub const INVALID_JSON: &str = "invalid-json";

/// Parses `text` as one JSON value (a leading UTF-8 byte order mark is skipped; spans are byte
/// offsets into `text` itself).
///
/// Numbers keep integer vs float exactly as `serde_json` does (`1.0` stays a float). Duplicate
/// keys are kept in the tree; the reader reports them.
// The signature is the crate's contract; the error is built once, at the end of a failed parse.
#[allow(clippy::result_large_err)]
pub fn parse(text: &str) -> Result<JsonNode, Diagnostic> {
    parse_boxed(text).map_err(|d| *d)
}

/// Internal results box the diagnostic: errors are rare and the happy path stays small.
type PResult<T> = Result<T, Box<Diagnostic>>;

fn parse_boxed(text: &str) -> PResult<JsonNode> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: start,
        depth: 0,
        member_stack: Vec::new(),
        item_stack: Vec::new(),
    };
    parser.skip_ws();
    if parser.pos >= parser.bytes.len() {
        return Err(Box::new(parser.unexpected("expected a json value")));
    }
    let value = parser.value()?;
    parser.skip_ws();
    if parser.pos < parser.bytes.len() {
        return Err(Box::new(
            parser.unexpected("expected the end of the file after the json value"),
        ));
    }
    Ok(value)
}

/// Bytes that end a run of plain string content: `"`, `\\` and control characters.
static STOPS: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = true;
        i += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Members of the open objects, innermost last (one buffer reused for all objects, so each
    /// object's `Vec` is allocated once at its exact size).
    member_stack: Vec<Member>,
    /// Items of the open arrays, likewise.
    item_stack: Vec<JsonNode>,
}

/// What kind of container is open, for messages.
#[derive(Clone, Copy)]
enum Container {
    Object,
    Array,
}

impl Container {
    fn opened_here(self) -> &'static str {
        match self {
            Container::Object => "object opened here",
            Container::Array => "array opened here",
        }
    }
}

fn error(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(INVALID_JSON, message, span)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The character at the current position for messages, and its span.
    fn found(&self) -> (String, Span) {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            None => (
                "the end of the file".to_string(),
                Span::new(self.pos, self.pos),
            ),
            Some(c) => {
                let shown = match c {
                    '\n' => "a line break".to_string(),
                    '`' => "a backtick".to_string(),
                    c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                    c => format!("`{c}`"),
                };
                (shown, Span::new(self.pos, self.pos + c.len_utf8()))
            }
        }
    }

    /// "`expected`, found X" at the current position.
    fn unexpected(&self, expected: &str) -> Diagnostic {
        let (found, span) = self.found();
        error(format!("{expected}, found {found}"), span)
    }

    /// Like [`Parser::unexpected`], with a related label at the opening bracket when the file
    /// ended inside the container.
    fn unexpected_in(&self, expected: &str, open: usize, container: Container) -> Diagnostic {
        let diagnostic = self.unexpected(expected);
        if self.pos >= self.bytes.len() {
            diagnostic.with_label(Span::new(open, open + 1), container.opened_here())
        } else {
            diagnostic
        }
    }

    fn value(&mut self) -> PResult<JsonNode> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let (s, span) = self.string()?;
                Ok(JsonNode::new(JsonKind::String(s), span))
            }
            Some(b't') => self.literal("true", JsonKind::Bool(true)),
            Some(b'f') => self.literal("false", JsonKind::Bool(false)),
            Some(b'n') => self.literal("null", JsonKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(Box::new(self.bad_value())),
        }
    }

    /// An error for something that cannot start a value: names the whole word if it is one.
    fn bad_value(&self) -> Diagnostic {
        let word_end = self.word_end();
        if word_end > self.pos {
            let word = &self.text[self.pos..word_end];
            let shown: String = word.chars().take(24).collect();
            return error(
                format!("expected a json value, found `{shown}`"),
                Span::new(self.pos, word_end),
            )
            .with_help("json values are objects, arrays, strings in double quotes, numbers, `true`, `false` and `null`");
        }
        self.unexpected("expected a json value")
    }

    /// End of the run of ASCII letters, digits and `_` at the current position.
    fn word_end(&self) -> usize {
        let mut end = self.pos;
        while let Some(b) = self.bytes.get(end) {
            if b.is_ascii_alphanumeric() || *b == b'_' {
                end += 1;
            } else {
                break;
            }
        }
        end
    }

    fn literal(&mut self, word: &str, kind: JsonKind) -> PResult<JsonNode> {
        let start = self.pos;
        if self.bytes[start..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(JsonNode::new(kind, Span::new(start, self.pos)))
        } else {
            Err(Box::new(self.bad_value()))
        }
    }

    fn enter(&mut self, container: Container) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let name = match container {
                Container::Object => "object",
                Container::Array => "array",
            };
            return Err(Box::new(
                error(
                    format!("json nested deeper than {MAX_DEPTH} levels"),
                    Span::new(self.pos, self.pos + 1),
                )
                .with_primary_message(format!("this {name} is too deep")),
            ));
        }
        Ok(())
    }

    fn object(&mut self) -> PResult<JsonNode> {
        let open = self.pos;
        self.enter(Container::Object)?;
        self.pos += 1;
        let base = self.member_stack.len();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(JsonNode::new(
                JsonKind::Object(Vec::new()),
                Span::new(open, self.pos),
            ));
        }
        let mut expected_key = "expected a string key or `}`";
        loop {
            if self.peek() != Some(b'"') {
                return Err(Box::new(self.unexpected_in(
                    expected_key,
                    open,
                    Container::Object,
                )));
            }
            let (key, key_span) = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(Box::new(self.unexpected_in(
                    "expected `:` after an object key",
                    open,
                    Container::Object,
                )));
            }
            self.pos += 1;
            self.skip_ws();
            if self.pos >= self.bytes.len() {
                return Err(Box::new(self.unexpected_in(
                    "expected a value after `:`",
                    open,
                    Container::Object,
                )));
            }
            let value = self.value()?;
            let span = Span::new(key_span.start, value.span.end);
            self.member_stack.push(Member {
                key: Spanned::new(key, key_span),
                value,
                span,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        return Err(Box::new(
                            error("trailing comma before `}`", Span::new(comma, comma + 1))
                                .with_help("json does not allow a comma after the last member"),
                        ));
                    }
                    expected_key = "expected a string key after `,`";
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    return Err(Box::new(self.unexpected_in(
                        "expected `,` or `}` after an object member",
                        open,
                        Container::Object,
                    )))
                }
            }
        }
        self.depth -= 1;
        let members = self.member_stack.split_off(base);
        Ok(JsonNode::new(
            JsonKind::Object(members),
            Span::new(open, self.pos),
        ))
    }

    fn array(&mut self) -> PResult<JsonNode> {
        let open = self.pos;
        self.enter(Container::Array)?;
        self.pos += 1;
        let base = self.item_stack.len();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(JsonNode::new(
                JsonKind::Array(Vec::new()),
                Span::new(open, self.pos),
            ));
        }
        let mut expected_value = "expected a json value or `]`";
        loop {
            if self.pos >= self.bytes.len() {
                return Err(Box::new(self.unexpected_in(
                    expected_value,
                    open,
                    Container::Array,
                )));
            }
            if self.peek() == Some(b']') || self.peek() == Some(b',') {
                return Err(Box::new(self.unexpected(expected_value)));
            }
            let item = self.value()?;
            self.item_stack.push(item);
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        return Err(Box::new(
                            error("trailing comma before `]`", Span::new(comma, comma + 1))
                                .with_help("json does not allow a comma after the last element"),
                        ));
                    }
                    expected_value = "expected a json value after `,`";
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    return Err(Box::new(self.unexpected_in(
                        "expected `,` or `]` after an array element",
                        open,
                        Container::Array,
                    )))
                }
            }
        }
        self.depth -= 1;
        let items = self.item_stack.split_off(base);
        Ok(JsonNode::new(
            JsonKind::Array(items),
            Span::new(open, self.pos),
        ))
    }

    /// A string starting at the current `"`; returns its value and span (quotes included).
    fn string(&mut self) -> PResult<(String, Span)> {
        let start = self.pos;
        self.pos += 1;
        let bytes = self.bytes;
        let run_end = self.plain_run_end(self.pos);
        if bytes.get(run_end) == Some(&b'"') {
            let value = self.text[self.pos..run_end].to_string();
            self.pos = run_end + 1;
            return Ok((value, Span::new(start, self.pos)));
        }
        let mut out = String::with_capacity(run_end - self.pos + 16);
        out.push_str(&self.text[self.pos..run_end]);
        self.pos = run_end;
        loop {
            match bytes.get(self.pos) {
                None => {
                    return Err(Box::new(
                        error("unterminated string", Span::new(start, start + 1))
                            .with_primary_message("this string is never closed")
                            .with_label(Span::new(self.pos, self.pos), "the file ends here"),
                    ))
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok((out, Span::new(start, self.pos)));
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(&b) if b < 0x20 => {
                    let span = Span::new(self.pos, self.pos + 1);
                    return Err(Box::new(if b == b'\n' || b == b'\r' {
                        error("unterminated string", Span::new(start, start + 1))
                            .with_primary_message("this string is not closed before the line break")
                            .with_label(span, "write a line break in a string as `\\n`")
                    } else {
                        error(format!("raw control character U+{b:04X} in a string"), span)
                            .with_help(format!("write it as `\\u{b:04x}`"))
                    }));
                }
                Some(_) => {
                    let end = self.plain_run_end(self.pos);
                    out.push_str(&self.text[self.pos..end]);
                    self.pos = end;
                }
            }
        }
    }

    /// The end of the run of string bytes that need no processing, starting at `from`.
    fn plain_run_end(&self, from: usize) -> usize {
        match self.bytes.get(from..) {
            Some(rest) => {
                from + rest
                    .iter()
                    .position(|&b| STOPS[b as usize])
                    .unwrap_or(rest.len())
            }
            None => from,
        }
    }

    /// One escape sequence at the current `\`.
    fn escape(&mut self, out: &mut String) -> PResult<()> {
        let start = self.pos;
        let c = match self.bytes.get(start + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex4(start)?;
                if (0xDC00..0xE000).contains(&high) {
                    return Err(Box::new(self.lone_surrogate(start, 6)));
                }
                if (0xD800..0xDC00).contains(&high) {
                    if self.bytes.get(start + 6) != Some(&b'\\')
                        || self.bytes.get(start + 7) != Some(&b'u')
                    {
                        return Err(Box::new(self.lone_surrogate(start, 6)));
                    }
                    let low = self.hex4(start + 6)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(Box::new(self.lone_surrogate(start, 6)));
                    }
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    self.pos = start + 12;
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    return Ok(());
                }
                self.pos = start + 6;
                out.push(char::from_u32(high).unwrap_or('\u{fffd}'));
                return Ok(());
            }
            None => {
                return Err(Box::new(
                    error("unterminated string", Span::new(start, start + 1))
                        .with_primary_message("the file ends after this `\\`"),
                ))
            }
            Some(_) => {
                let len = self
                    .text
                    .get(start + 1..)
                    .and_then(|rest| rest.chars().next())
                    .map_or(1, char::len_utf8);
                let shown = self.text.get(start..start + 1 + len).unwrap_or("\\");
                return Err(Box::new(error(
                    format!("invalid escape `{shown}` in a string"),
                    Span::new(start, start + 1 + len),
                )
                .with_help(
                    "the json escapes are `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`",
                )));
            }
        };
        out.push(c);
        self.pos = start + 2;
        Ok(())
    }

    /// The four hex digits of a `\u` escape at `at` (the backslash).
    fn hex4(&self, at: usize) -> PResult<u32> {
        let mut value = 0u32;
        for i in 0..4 {
            let digit = self
                .bytes
                .get(at + 2 + i)
                .and_then(|b| (*b as char).to_digit(16));
            match digit {
                Some(d) => value = value * 16 + d,
                None => {
                    let end = (at + 2 + i).min(self.bytes.len());
                    return Err(Box::new(error(
                        "invalid unicode escape: expected four hex digits after `\\u`",
                        Span::new(at, end.max(at + 2)),
                    )));
                }
            }
        }
        Ok(value)
    }

    fn lone_surrogate(&self, at: usize, len: usize) -> Diagnostic {
        let shown = self.text.get(at..at + len).unwrap_or("\\u");
        error(
            format!("lone surrogate `{shown}` in a string"),
            Span::new(at, at + len),
        )
        .with_help("a `\\uD800`-`\\uDBFF` escape must be followed by a `\\uDC00`-`\\uDFFF` escape")
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> PResult<JsonNode> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    let end = {
                        self.digits();
                        self.pos
                    };
                    return Err(Box::new(error(
                        "leading zeros are not allowed in a json number",
                        Span::new(start, end),
                    )));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Box::new(self.unexpected("expected a digit after `-`"))),
        }
        let int_end = self.pos;
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Box::new(
                    self.unexpected("expected a digit after `.` in a number"),
                ));
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Box::new(
                    self.unexpected("expected a digit in the number's exponent"),
                ));
            }
            float = true;
        }
        let span = Span::new(start, self.pos);
        let text = &self.text[start..self.pos];
        // Fast path for the common small integers; the rest goes through serde_json so that
        // every number behaves exactly as serde_json reads it.
        if !float && int_end - start <= 19 {
            if !negative {
                if let Ok(n) = text.parse::<u64>() {
                    return Ok(JsonNode::new(JsonKind::Number(n.into()), span));
                }
            } else if let Ok(n) = text.parse::<i64>() {
                if n != 0 {
                    return Ok(JsonNode::new(JsonKind::Number(n.into()), span));
                }
            }
        }
        match text.parse::<serde_json::Number>() {
            Ok(n) => Ok(JsonNode::new(JsonKind::Number(n), span)),
            Err(_) => Err(Box::new(error(
                format!("number `{text}` is out of range"),
                span,
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> Diagnostic {
        match parse(text) {
            Ok(node) => panic!("expected an error for {text:?}, got {node:?}"),
            Err(d) => d,
        }
    }

    fn value(text: &str) -> serde_json::Value {
        match parse(text) {
            Ok(node) => node.to_value(),
            Err(d) => panic!("{text:?}: {}", d.message),
        }
    }

    #[test]
    fn parses_like_serde_json() {
        for text in [
            "null",
            "true",
            " false ",
            "0",
            "-0",
            "1.0",
            "1",
            "-12",
            "1e3",
            "1E+3",
            "-1.5e-3",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "0.1",
            "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"",
            "\"héllo 😀\"",
            "[]",
            "{}",
            "[1, [2, {\"a\": [true, null]}], \"x\"]",
            "{\"b\": 1, \"a\": {\"c\": []}}",
        ] {
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(value(text), expected, "{text}");
            // integer vs float kept as serde_json keeps it
            assert_eq!(
                value(text).to_string(),
                expected.to_string(),
                "printing {text}"
            );
        }
    }

    #[test]
    fn records_spans() {
        let text = "{\"a\": [1, \"x\"], \"b\":null}";
        let node = parse(text).unwrap();
        assert_eq!(node.span, Span::new(0, text.len()));
        let members = node.as_object().unwrap();
        assert_eq!(members[0].key.span, Span::new(1, 4));
        assert_eq!(members[0].span, Span::new(1, 14));
        assert_eq!(members[0].value.span, Span::new(6, 14));
        let items = members[0].value.as_array().unwrap();
        assert_eq!(items[1].span, Span::new(10, 13));
        assert_eq!(
            &text[members[1].span.start..members[1].span.end],
            "\"b\":null"
        );
    }

    #[test]
    fn skips_bom() {
        let node = parse("\u{feff}{}").unwrap();
        assert_eq!(node.span, Span::new(3, 5));
    }

    #[test]
    fn keeps_duplicates() {
        let node = parse("{\"a\": 1, \"a\": 2}").unwrap();
        assert_eq!(node.as_object().unwrap().len(), 2);
    }

    #[test]
    fn errors() {
        let cases: &[(&str, &str, Span)] = &[
            (
                "",
                "expected a json value, found the end of the file",
                Span::new(0, 0),
            ),
            (
                "{\"a\": 1 \"b\": 2}",
                "expected `,` or `}` after an object member, found `\"`",
                Span::new(8, 9),
            ),
            ("[1, 2,]", "trailing comma before `]`", Span::new(5, 6)),
            ("{\"a\": 1,}", "trailing comma before `}`", Span::new(7, 8)),
            ("\"abc", "unterminated string", Span::new(0, 1)),
            ("\"a\nb\"", "unterminated string", Span::new(0, 1)),
            (
                "\"a\u{1}\"",
                "raw control character U+0001 in a string",
                Span::new(2, 3),
            ),
            (
                "\"\\q\"",
                "invalid escape `\\q` in a string",
                Span::new(1, 3),
            ),
            (
                "\"\\ud800\"",
                "lone surrogate `\\ud800` in a string",
                Span::new(1, 7),
            ),
            (
                "\"\\udc00\"",
                "lone surrogate `\\udc00` in a string",
                Span::new(1, 7),
            ),
            (
                "\"\\ud800\\u0041\"",
                "lone surrogate `\\ud800` in a string",
                Span::new(1, 7),
            ),
            (
                "\"\\u12\"",
                "invalid unicode escape: expected four hex digits after `\\u`",
                Span::new(1, 5),
            ),
            (
                "01",
                "leading zeros are not allowed in a json number",
                Span::new(0, 2),
            ),
            (
                "-",
                "expected a digit after `-`, found the end of the file",
                Span::new(1, 1),
            ),
            (
                "1.",
                "expected a digit after `.` in a number, found the end of the file",
                Span::new(2, 2),
            ),
            (
                "1e",
                "expected a digit in the number's exponent, found the end of the file",
                Span::new(2, 2),
            ),
            ("1e400", "number `1e400` is out of range", Span::new(0, 5)),
            ("tru", "expected a json value, found `tru`", Span::new(0, 3)),
            (
                "{a: 1}",
                "expected a string key or `}`, found `a`",
                Span::new(1, 2),
            ),
            (
                "{\"a\" 1}",
                "expected `:` after an object key, found `1`",
                Span::new(5, 6),
            ),
            (
                "[1 2]",
                "expected `,` or `]` after an array element, found `2`",
                Span::new(3, 4),
            ),
            (
                "[,]",
                "expected a json value or `]`, found `,`",
                Span::new(1, 2),
            ),
            (
                "{} x",
                "expected the end of the file after the json value, found `x`",
                Span::new(3, 4),
            ),
            ("'a'", "expected a json value, found `'`", Span::new(0, 1)),
        ];
        for (text, message, span) in cases {
            let d = err(text);
            assert_eq!(d.code, INVALID_JSON);
            assert_eq!(&d.message, message, "{text:?}");
            assert_eq!(d.span(), *span, "{text:?}");
        }
    }

    #[test]
    fn unclosed_containers_point_at_the_opening_bracket() {
        let d = err("{\"a\": [1, 2");
        assert_eq!(
            d.message,
            "expected `,` or `]` after an array element, found the end of the file"
        );
        assert_eq!(d.labels[1].span, Span::new(6, 7));
        assert_eq!(d.labels[1].message, "array opened here");
        let d = err("  {\"a\": 1");
        assert_eq!(d.labels[1].span, Span::new(2, 3));
        assert_eq!(d.labels[1].message, "object opened here");
        let d = err("{\"a\":");
        assert_eq!(
            d.message,
            "expected a value after `:`, found the end of the file"
        );
    }

    #[test]
    fn depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(err(&deep).message, "json nested deeper than 256 levels");
        let very_deep = "{\"a\":".repeat(100_000);
        assert_eq!(
            err(&very_deep).message,
            "json nested deeper than 256 levels"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_json_like(s in "[\\[\\]{}\",:0-9eE+.\\-\\\\u tfnrl\"a-d\\x00-\\x1f\u{e9}\u{1F600}]{0,64}") {
            let ours = parse(&s).ok().map(|node| node.to_value());
            let theirs: Option<serde_json::Value> = serde_json::from_str(&s).ok();
            proptest::prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let s = String::from_utf8_lossy(&bytes);
            let _ = parse(&s);
        }
    }
}
