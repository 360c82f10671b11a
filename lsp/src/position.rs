//! Byte offsets <-> LSP positions, in UTF-16 code units or (when the client offers it) UTF-8.

use agentblocks_dsl::line_index::{LineIndex, Utf16Position};
use agentblocks_dsl::model::Span;
use tower_lsp_server::lsp_types::{Position, Range};

/// How positions count characters within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-16 code units (LSP's default).
    #[default]
    Utf16,
    /// Bytes.
    Utf8,
}

/// A text with its line index, for conversions.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    /// The text.
    pub text: &'a str,
    /// Its line index.
    pub index: &'a LineIndex,
    /// The client's encoding.
    pub encoding: Encoding,
}

impl Lines<'_> {
    /// The byte offset of a position (clamped: past the end of a line is its end, past the
    /// last line the end of the text).
    pub fn offset(&self, position: Position) -> usize {
        match self.encoding {
            Encoding::Utf16 => self.index.offset_of_utf16(
                self.text,
                Utf16Position {
                    line: position.line,
                    character: position.character,
                },
            ),
            Encoding::Utf8 => {
                let Some(start) = self.index.line_start(position.line as usize) else {
                    return self.text.len();
                };
                let end = self
                    .index
                    .line_start(position.line as usize + 1)
                    .map_or(self.text.len(), |next| next - 1);
                let mut offset = (start + position.character as usize).min(end);
                while !self.text.is_char_boundary(offset) {
                    offset -= 1;
                }
                offset
            }
        }
    }

    /// The position of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        match self.encoding {
            Encoding::Utf16 => {
                let p = self.index.utf16_position(self.text, offset);
                Position::new(p.line, p.character)
            }
            Encoding::Utf8 => {
                let offset = offset.min(self.text.len());
                let line = self.index.line_of(offset);
                let start = self.index.line_start(line).unwrap_or(0);
                Position::new(line as u32, (offset - start) as u32)
            }
        }
    }

    /// The range of a span.
    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The span of a range (start and end clamped; a reversed range is empty).
    pub fn span(&self, range: Range) -> Span {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        Span::new(start, end)
    }

    /// The length of a one-line span in the client's units.
    pub fn len(&self, span: Span) -> u32 {
        let text = self.text.get(span.start..span.end).unwrap_or("");
        match self.encoding {
            Encoding::Utf16 => text.chars().map(char::len_utf16).sum::<usize>() as u32,
            Encoding::Utf8 => text.len() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_encodings_round_trip() {
        let text = "aé😀b\nx";
        let index = LineIndex::new(text);
        for encoding in [Encoding::Utf16, Encoding::Utf8] {
            let lines = Lines {
                text,
                index: &index,
                encoding,
            };
            let b = text.find('b').unwrap_or(0);
            assert_eq!(lines.offset(lines.position(b)), b);
            assert_eq!(lines.offset(Position::new(0, 999)), b + 1);
            assert_eq!(lines.offset(Position::new(9, 0)), text.len());
        }
        let lines = Lines {
            text,
            index: &index,
            encoding: Encoding::Utf16,
        };
        assert_eq!(
            lines.position(text.find('b').unwrap_or(0)),
            Position::new(0, 4)
        );
    }
}
