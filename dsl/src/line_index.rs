//! Byte offsets to lines and columns, in the units each consumer counts in.
//!
//! Messages for people use 1-based lines and columns counted in characters ("opened at 3:5");
//! LSP and `check --format json` use 0-based lines and UTF-16 code units.

/// Line starts of a text, for offset conversions in O(log lines).
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

/// A 0-based line and a 0-based column in UTF-16 code units (LSP's `Position`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Utf16Position {
    /// 0-based line.
    pub line: u32,
    /// 0-based column in UTF-16 code units.
    pub character: u32,
}

impl LineIndex {
    /// Indexes `text`'s line starts (a line ends after `\n`).
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { line_starts }
    }

    /// The number of lines (a text ending in `\n` has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// The byte offset where 0-based `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).copied()
    }

    /// 1-based line and 1-based column in characters, for messages.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let column = text[self.line_starts[line]..offset].chars().count();
        (line + 1, column + 1)
    }

    /// The LSP position of byte `offset` (clamped to the text).
    pub fn utf16_position(&self, text: &str, offset: usize) -> Utf16Position {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let character: usize = text[self.line_starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        Utf16Position {
            line: line as u32,
            character: character as u32,
        }
    }

    /// The byte offset of an LSP position; a position past the end of its line is the line's
    /// end, past the last line the text's end, and inside a surrogate pair the character's
    /// start.
    pub fn offset_of_utf16(&self, text: &str, position: Utf16Position) -> usize {
        let Some(start) = self.line_start(position.line as usize) else {
            return text.len();
        };
        let end = self
            .line_start(position.line as usize + 1)
            .unwrap_or(text.len());
        let mut units = 0usize;
        for (i, c) in text[start..end].char_indices() {
            if c == '\n' || c == '\r' && text[start + i..].starts_with("\r\n") {
                return start + i;
            }
            units += c.len_utf16();
            if units > position.character as usize {
                return start + i;
            }
        }
        end
    }
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_characters() {
        let text = "ab\n😀x\r\nend";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.line_col(text, x), (2, 2));
        assert_eq!(
            index.utf16_position(text, x),
            Utf16Position {
                line: 1,
                character: 2
            }
        );
        assert_eq!(
            index.offset_of_utf16(
                text,
                Utf16Position {
                    line: 1,
                    character: 2
                }
            ),
            x
        );
        // Past the end of a line: the line's end, before its CRLF.
        assert_eq!(
            index.offset_of_utf16(
                text,
                Utf16Position {
                    line: 1,
                    character: 99
                }
            ),
            x + 1
        );
        assert_eq!(
            index.offset_of_utf16(
                text,
                Utf16Position {
                    line: 9,
                    character: 0
                }
            ),
            text.len()
        );
        assert_eq!(index.line_col(text, text.len() + 5), (3, 4));
    }
}
