//! Test helpers: `$0` marks the cursor in a fixture.

/// The text without its `$0` marker, and the marker's byte offset.
pub(crate) fn cursor(src: &str) -> (String, usize) {
    let offset = src
        .find("$0")
        .expect("the fixture marks the cursor with `$0`");
    (src.replacen("$0", "", 1), offset)
}

/// The analysis of a `.ab` fixture and its cursor.
pub(crate) fn analysis(src: &str) -> (super::Analysis, usize) {
    let (text, offset) = cursor(src);
    (super::Analysis::new(super::FileKind::Dsl, &text), offset)
}
