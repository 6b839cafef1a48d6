//! Diagnostics that point into the spec file, and their rendering as annotated snippets.

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How bad a [`Diagnostic`] is: an error makes [`crate::parse`] fail, a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// 1-based line and column (in characters) of the start of the offending value (or key),
/// byte offset and byte length in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub len: usize,
}

/// One problem found in a spec, located in its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    pub severity: Severity,
    /// Lower-case, quoting the value: ``unknown vendor `pendoo` ``.
    pub message: String,
    pub span: Span,
    /// A short note printed beside the carets.
    pub label: Option<String>,
    /// What to do about it; printed as `= help: ...`.
    pub help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    pub(crate) fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    pub(crate) fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// An error about the file as a whole (it cannot be read, say), at its line 1,
    /// column 1, as the spec's other whole-file errors are.
    pub fn whole_file(message: impl Into<String>) -> Self {
        let span = Span {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        };
        Diagnostic::error(span, message)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Line index over the spec text: converts between byte offsets and line/column.
pub(crate) struct SourceText<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceText { text, line_starts }
    }

    /// The span of `len` bytes at byte `offset` (both clamped to the text and to char boundaries).
    pub(crate) fn span(&self, offset: usize, len: usize) -> Span {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let end = self.floor_char_boundary(offset.saturating_add(len).min(self.text.len()));
        let line_index = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let line_start = self.line_starts[line_index];
        Span {
            line: line_index + 1,
            column: self.text[line_start..offset].chars().count() + 1,
            offset,
            len: end - offset,
        }
    }

    /// Byte offset of a 1-based line and character column (clamped to the text).
    pub(crate) fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&line_start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        self.text[line_start..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| line_start + i)
    }

    /// Byte length of `chars` characters starting at byte `offset`.
    pub(crate) fn byte_len(&self, offset: usize, chars: usize) -> usize {
        self.text
            .get(offset..)
            .unwrap_or_default()
            .char_indices()
            .nth(chars)
            .map_or(self.text.len() - offset.min(self.text.len()), |(i, _)| i)
    }

    /// The whole text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The text a span covers.
    pub(crate) fn slice(&self, span: Span) -> &'a str {
        self.text
            .get(span.offset..span.offset + span.len)
            .unwrap_or_default()
    }

    fn floor_char_boundary(&self, mut i: usize) -> usize {
        while !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// A spec file whose bytes are not UTF-8: the text to show (each invalid sequence replaced
/// by `U+FFFD`, so that everything before the first one keeps its offsets) and the error,
/// located at the first invalid byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    pub text: String,
    pub diagnostic: Diagnostic,
}

/// The spec's text, when its bytes are UTF-8 (the only encoding YAML 1.2 files use in
/// practice, and the only one s3dest reads); otherwise where the first invalid byte is.
pub fn decode(bytes: &[u8]) -> Result<&str, Box<NotUtf8>> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let offset = error.valid_up_to();
    let text = String::from_utf8_lossy(bytes).into_owned();
    // The prefix is the same in both, so the offset is too; the replacement character
    // is 3 bytes long.
    let span = SourceText::new(&text).span(offset, '\u{FFFD}'.len_utf8());
    let help = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        "the file starts with a UTF-16 byte order mark: save it as UTF-8".to_owned()
    } else {
        "s3dest reads specs as UTF-8 only: save the file as UTF-8 (from Latin-1, for example \
         with `iconv -f latin1 -t utf-8`)"
            .to_owned()
    };
    let diagnostic = Diagnostic::error(
        span,
        format!(
            "the spec is not valid UTF-8: byte 0x{:02X} at byte offset {offset}",
            bytes[offset]
        ),
    )
    .with_label("not UTF-8")
    .with_help(help);
    Err(Box::new(NotUtf8 { text, diagnostic }))
}

/// Renders diagnostics as snippets of the file with annotate-snippets: header
/// `error: message`, then ` --> FILE:LINE:COL`, the source line, carets under the offending
/// value, and `= help: ...` when there is help. `color` true => ANSI colours
/// (annotate-snippets `Renderer::styled`), false => plain. Diagnostics are separated by a
/// blank line.
pub fn render_diagnostics(
    file_name: &str,
    text: &str,
    diags: &[Diagnostic],
    color: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let source = SourceText::new(text);
    let mut out = String::new();
    for diag in diags {
        // Re-derive the span from the text so that a stale or hand-made span cannot panic.
        let span = source.span(diag.span.offset, diag.span.len);
        let level = match diag.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut annotation = AnnotationKind::Primary.span(span.offset..span.offset + span.len);
        if let Some(label) = &diag.label {
            annotation = annotation.label(label.as_str());
        }
        let message = shorten(&diag.message);
        let mut group: Group<'_> = level.primary_title(message.as_ref()).element(
            Snippet::source(text)
                .line_start(1)
                .path(file_name)
                .fold(true)
                .annotation(annotation),
        );
        if let Some(help) = &diag.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&renderer.render(&[group]));
        out.push('\n');
    }
    out
}

/// The longest message shown whole: messages quote the offending value, which may be
/// megabytes long.
const MAX_MESSAGE_CHARS: usize = 300;

/// A message cut in the middle when it is over [`MAX_MESSAGE_CHARS`].
pub(crate) fn shorten(message: &str) -> std::borrow::Cow<'_, str> {
    let chars = message.chars().count();
    if chars <= MAX_MESSAGE_CHARS {
        return message.into();
    }
    let keep = MAX_MESSAGE_CHARS / 2;
    let head: String = message.chars().take(keep).collect();
    let tail: String = message.chars().skip(chars - keep).collect();
    format!("{head}…{tail}").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_in_the_middle() {
        assert_eq!(shorten("short"), "short");
        let long = format!("invalid folder `{}`", "a".repeat(1000));
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(
            cut.starts_with("invalid folder `aaa") && cut.ends_with("aaa`"),
            "{cut}"
        );
        assert!(cut.contains('…'));
    }

    #[test]
    fn decode_locates_the_first_invalid_byte() {
        assert_eq!(decode(b"a: \xc3\xa9\n"), Ok("a: \u{e9}\n"));
        let err = decode(b"a: 1\nb: caf\xe9 au lait\nc: \xff\n").unwrap_err();
        let span = err.diagnostic.span;
        assert_eq!(
            (span.line, span.column, span.offset, span.len),
            (2, 7, 11, 3)
        );
        assert_eq!(
            err.diagnostic.message,
            "the spec is not valid UTF-8: byte 0xE9 at byte offset 11"
        );
        assert_eq!(&err.text[11..14], "\u{FFFD}");
        // A sequence cut short by the end of the file.
        let err = decode(b"a: \xc3").unwrap_err();
        assert_eq!(err.diagnostic.span.offset, 3);
        let err = decode(b"\xff\xfea\x00").unwrap_err();
        assert_eq!(
            (err.diagnostic.span.line, err.diagnostic.span.column),
            (1, 1)
        );
        assert!(err.diagnostic.help.unwrap().contains("UTF-16"));
    }

    #[test]
    fn spans_count_characters_for_columns() {
        let src = SourceText::new("a: é\nbb: x\n");
        let span = src.span(10, 1);
        assert_eq!((span.line, span.column), (2, 5));
        assert_eq!(src.offset_of(2, 5), 10);
        assert_eq!(src.offset_of(1, 4), 3);
        assert_eq!(src.byte_len(3, 1), 2);
        assert_eq!(src.slice(src.span(3, 2)), "é");
    }
}
