//! Every structural problem of a spec at once. The deserializer stops at the first unknown
//! field, value of the wrong kind or duplicate key; each time it does, the entry (or list
//! item) it stopped in is reported, blanked out of the text (with spaces, so that every
//! offset, line and column stays the same) and the text deserialized again, until it reads.
//! What remains is validated as usual, so the semantic errors of the parts that could be
//! read are reported with the structural ones.
//!
//! The expected shape is the raw types' own: the deserializer decides what is wrong, and
//! only the messages about a key in the wrong place (a field indented too little or too
//! much) need the field names, which come from the same types ([`raw::field_names`]).

use std::collections::BTreeSet;
use std::ops::Range;

use serde_saphyr::Error as YamlError;
use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::localizer::ExternalMessageSource;

use crate::diagnostic::{Diagnostic, SourceText, Span};
use crate::model::Vendor;
use crate::raw::{
    self, RawSpec, assume_role_fields, bucket_fields, destination_fields, top_level_fields,
};
use crate::suggest::did_you_mean;
use crate::tree::{Kind, NodeId, Tree};

/// The most problems read past in one spec: beyond that, the next one is reported and
/// reading stops.
const MAX_SKIPPED: usize = 100;
/// The most text all the attempts at deserializing a spec may read together: a spec of the
/// largest size is read at most 4 times, one of 1,000 destinations (300 KB) about 50 (a
/// second or two when each error is near its end, each attempt reading up to it).
const MAX_REREAD_BYTES: usize = 4 * crate::MAX_SPEC_BYTES;

/// The spec as far as it could be read, and why not further.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// `None` when the text could not be read at all (a syntax error, a limit).
    pub raw: Option<RawSpec>,
    pub diagnostics: Vec<Diagnostic>,
    pub unreadable: Unreadable,
}

/// Whose field it is: where `validate` would report it missing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Owner {
    TopLevel,
    Destination(String),
    AssumeRole,
    /// The field is a bucket's name: the bucket is declared, though unreadable.
    Buckets,
}

/// Fields that are written but could not be read (they are reported already), so that
/// `validate` does not report them missing as well.
#[derive(Debug, Default)]
pub(crate) struct Unreadable(BTreeSet<(Owner, String)>);

impl Unreadable {
    pub(crate) fn has(&self, owner: &Owner, field: &str) -> bool {
        self.0.contains(&(owner.clone(), field.to_owned()))
    }

    /// True when anything of `owner` was unreadable.
    pub(crate) fn any(&self, owner: &Owner) -> bool {
        self.0.iter().any(|(o, _)| o == owner)
    }

    /// The names of the buckets that are declared but unreadable.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(o, _)| *o == Owner::Buckets)
            .map(|(_, name)| name.as_str())
    }
}

/// What to do about one deserializer error.
enum Step {
    /// Report it, blank `range` out of the text, and read again.
    Skip {
        diagnostic: Diagnostic,
        range: Range<usize>,
        unreadable: Vec<(Owner, String)>,
    },
    /// Report it and stop: nothing after it can be read. `at` is where the deserializer
    /// stopped.
    Stop {
        diagnostic: Diagnostic,
        cause: Stop,
        at: usize,
    },
}

/// Why reading stops at an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The text is not YAML there (or not a mapping at the top). After something was
    /// blanked out, it may be the blanking's doing (an alias of an anchor that went with it).
    Syntax,
    /// A limit of the spec's size or complexity: always the file's own.
    Limit,
    /// The error is in a part of the text that a syntax error further on leaves unfinished:
    /// it cannot be blanked out, and the syntax error is reported after it.
    CutShort,
}

/// Deserializes the text, past every structural problem that leaves the rest readable.
pub(crate) fn read(text: &str, source: &SourceText<'_>) -> Read {
    let mut read = Read::default();
    let mut repaired: Option<String> = None;
    let mut tree: Option<Tree> = None;
    let max_skipped = MAX_SKIPPED.min(MAX_REREAD_BYTES / text.len().max(1));
    loop {
        let current = repaired.as_deref().unwrap_or(text);
        let error = match raw::deserialize(current) {
            Ok(raw) => {
                read.raw = Some(raw);
                return read;
            }
            Err(error) => error,
        };
        let tree = tree.get_or_insert_with(|| Tree::read(text));
        let skipped = read.diagnostics.len();
        let texts = Texts {
            text,
            source,
            current: &SourceText::new(current),
        };
        match step(&error, &texts, tree) {
            Step::Skip {
                diagnostic,
                range,
                unreadable,
            } => {
                if skipped >= max_skipped {
                    read.diagnostics.push(diagnostic);
                    return read;
                }
                // Blanked already: the error is the blanking's (the mapping it was in is
                // empty now, say), and what was blanked is reported.
                if is_blank(current, &range) {
                    return read;
                }
                read.diagnostics.push(diagnostic);
                read.unreadable.0.extend(unreadable);
                if !blank(repaired.get_or_insert_with(|| text.to_owned()), range) {
                    return read;
                }
            }
            Step::Stop {
                diagnostic,
                cause: Stop::CutShort,
                ..
            } => {
                let at = diagnostic.span.offset;
                read.diagnostics.push(diagnostic);
                if let Some(error) = raw::yaml_syntax_error(current) {
                    let syntax = syntax_diagnostic(&error, &texts);
                    if syntax.span.offset != at {
                        read.diagnostics.push(syntax);
                    }
                }
                return read;
            }
            Step::Stop {
                diagnostic,
                cause,
                at,
            } => {
                // Past where the original stops being YAML, the text is as it was written.
                let the_files_own = skipped == 0
                    || cause == Stop::Limit
                    || tree.stopped_at.is_some_and(|stopped| at >= stopped);
                if the_files_own {
                    read.diagnostics.push(diagnostic);
                }
                return read;
            }
        }
    }
}

/// The spec's text, and the text as deserialized (the same but for what is blanked out).
struct Texts<'a> {
    text: &'a str,
    source: &'a SourceText<'a>,
    current: &'a SourceText<'a>,
}

impl Texts<'_> {
    /// What the error says, located in the spec's text. The deserializer locates some
    /// errors by line and column only, which are those of the text it read.
    fn diagnostic(&self, error: &YamlError) -> Diagnostic {
        let mut diagnostic = raw::yaml_error(error, self.current.text(), self.current);
        diagnostic.span = self
            .source
            .span(diagnostic.span.offset, diagnostic.span.len);
        diagnostic
    }
}

/// The diagnostic for an error, and whether (and how) to read past it.
fn step(error: &YamlError, texts: &Texts<'_>, tree: &Tree) -> Step {
    let source = texts.source;
    let error = error.without_snippet();
    let diagnostic = texts.diagnostic(error);
    let at = diagnostic.span.offset;
    let stop = |diagnostic, cause| Step::Stop {
        diagnostic,
        cause,
        at,
    };
    match error {
        YamlError::Budget { .. }
        | YamlError::AliasError { .. }
        | YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => {
            return stop(diagnostic, Stop::Limit);
        }
        YamlError::SerdeUnknownField { .. }
        | YamlError::DuplicateMappingKey { .. }
        | YamlError::Unexpected { .. }
        | YamlError::InvalidScalar { .. }
        | YamlError::InvalidBooleanStrict { .. }
        | YamlError::NullIntoString { .. }
        | YamlError::SerdeInvalidType { .. }
        | YamlError::SerdeInvalidValue { .. }
        | YamlError::SerdeInvalidLength { .. }
        | YamlError::SerdeUnknownVariant { .. }
        | YamlError::Message { .. } => {}
        _ => return stop(syntax_diagnostic(error, texts), Stop::Syntax),
    }
    let top_is_mapping = tree.nodes.first().is_some_and(|n| n.kind == Kind::Mapping);
    let unit = tree
        .locate(diagnostic.span.offset)
        .filter(|_| top_is_mapping);
    let Some(unit) = unit else {
        return stop(diagnostic, Stop::Syntax);
    };
    let path = Path::new(tree, unit);
    if let Some(misplaced) = misplaced(tree, source, &path, error) {
        return match tree.removal(misplaced.entry) {
            Some(range) => Step::Skip {
                diagnostic: misplaced.diagnostic,
                range,
                unreadable: misplaced.unreadable,
            },
            None => stop(misplaced.diagnostic, Stop::CutShort),
        };
    }
    let diagnostic = match diagnostic.help {
        Some(_) => diagnostic,
        None => match kind_help(error, &path) {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        },
    };
    match tree.removal(unit) {
        Some(range) => Step::Skip {
            diagnostic,
            range,
            unreadable: path.unreadable(),
        },
        None => stop(diagnostic, Stop::CutShort),
    }
}

/// The diagnostic for an error of the text as YAML: at the tab when a tab indents a line,
/// and with help for the common mistakes.
fn syntax_diagnostic(error: &YamlError, texts: &Texts<'_>) -> Diagnostic {
    let (text, source) = (texts.text, texts.source);
    let error = error.without_snippet();
    let diagnostic = texts.diagnostic(error);
    let YamlError::ExternalMessage { source: origin, .. } = error else {
        return diagnostic;
    };
    let ExternalMessageSource::Parser(scan) = origin.as_ref() else {
        return diagnostic;
    };
    if is_tab_error(scan.kind())
        && let Some(tab) = tab_indentation(text, source, diagnostic.span)
    {
        return tab;
    }
    if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded) {
        return raw::too_complex_help(
            diagnostic.span,
            format!("it nests more than {} levels deep", raw::MAX_DEPTH),
        );
    }
    match syntax_help(scan.kind(), text, source, diagnostic.span) {
        Some(help) if diagnostic.help.is_none() => diagnostic.with_help(help),
        _ => diagnostic,
    }
}

/// What to do about the syntax errors a spec is likely to have.
fn syntax_help(kind: &ErrorKind, text: &str, source: &SourceText<'_>, at: Span) -> Option<String> {
    let line = line_text(text, source, at.line);
    let before = line
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(line, |(i, _)| &line[..i]);
    let help = match kind {
        ErrorKind::MappingValueNotAllowed if before.trim_start().contains(": ") => {
            "a value that holds `: ` must be quoted, such as `key: \"a: b\"`".to_owned()
        }
        ErrorKind::MappingValueNotAllowed => {
            "this line is indented more than the line above it, which has a value already: \
             indent it like its siblings, the keys of the same mapping"
                .to_owned()
        }
        ErrorKind::ExpectedBlockMappingKey if line.trim_start().starts_with('-') => {
            "a list item (`- ...`) where the mapping above it expects a `key: value`: indent \
             the list under the key it belongs to"
                .to_owned()
        }
        ErrorKind::ExpectedBlockMappingKey => "this line is not indented like the keys of the \
             mapping above it: indent it like its siblings"
            .to_owned(),
        ErrorKind::UnclosedFlowCollection { open } => {
            let close = if *open == '[' { ']' } else { '}' };
            format!("close the `{open}` with a `{close}` (on the same line, or a later one)")
        }
        ErrorKind::InvalidColonPlacement => {
            "a `:` where a value cannot have one: is a `[` or `{` above it left unclosed?"
                .to_owned()
        }
        ErrorKind::UnclosedQuotedScalar => {
            "close the quote: a quoted value ends with the quote it starts with".to_owned()
        }
        _ => return None,
    };
    Some(help)
}

/// The text of a 1-based line, without its line break.
fn line_text<'t>(text: &'t str, source: &SourceText<'_>, line: usize) -> &'t str {
    let start = source.offset_of(line, 1);
    let rest = text.get(start..).unwrap_or_default();
    rest.lines().next().unwrap_or_default()
}

/// The entries from the top of the document down to the one an error is in.
struct Path<'t> {
    /// Each entry, and its key (`None` for a list item).
    steps: Vec<(NodeId, Option<&'t str>)>,
}

impl<'t> Path<'t> {
    fn new(tree: &'t Tree, unit: NodeId) -> Self {
        let steps = tree
            .path(unit)
            .into_iter()
            .map(|id| (id, tree.key_of(id).map(|k| k.text.as_str())))
            .collect();
        Path { steps }
    }

    fn key(&self, depth: usize) -> Option<&'t str> {
        self.steps.get(depth).and_then(|(_, key)| *key)
    }

    fn entry(&self, depth: usize) -> Option<NodeId> {
        self.steps.get(depth).map(|(id, _)| *id)
    }

    /// The innermost key: the field the error is in (or the list it is an item of).
    fn field(&self) -> Option<&'t str> {
        self.steps.iter().rev().find_map(|(_, key)| *key)
    }

    fn is_item(&self) -> bool {
        self.steps.last().is_some_and(|(_, key)| key.is_none())
    }

    fn len(&self) -> usize {
        self.steps.len()
    }

    /// What blanking this entry leaves unread, for each level that has required fields.
    fn unreadable(&self) -> Vec<(Owner, String)> {
        let mut fields = Vec::new();
        if let (Some(top), 1) = (self.key(0), self.len()) {
            fields.push((Owner::TopLevel, as_field(top, top_level_fields())));
        }
        match (self.key(0), self.key(1), self.key(2)) {
            (Some("destinations"), Some(name), Some(field)) => fields.push((
                Owner::Destination(name.to_owned()),
                as_field(field, destination_fields()),
            )),
            (Some("buckets"), Some(name), None) if self.len() == 2 => {
                fields.push((Owner::Buckets, name.to_owned()));
            }
            (Some("assume_role"), Some(field), _) => {
                fields.push((Owner::AssumeRole, as_field(field, assume_role_fields())));
            }
            _ => {}
        }
        fields
    }
}

/// The field a key names: itself, or the field it is a misspelling of.
fn as_field(key: &str, fields: &[&str]) -> String {
    match fields.contains(&key) {
        true => key.to_owned(),
        false => did_you_mean(key, fields.iter().copied())
            .unwrap_or(key)
            .to_owned(),
    }
}

/// A key in the wrong place: the whole entry to blank, and what to say about it.
struct Misplaced {
    entry: NodeId,
    diagnostic: Diagnostic,
    unreadable: Vec<(Owner, String)>,
}

/// What a mapping is a level of, in the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Bucket,
    Destination,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Bucket => "bucket",
            Level::Destination => "destination",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Level::Bucket => bucket_fields(),
            Level::Destination => destination_fields(),
        }
    }

    /// The top-level field the entries of this level are under.
    fn section(self) -> &'static str {
        match self {
            Level::Bucket => "buckets",
            Level::Destination => "destinations",
        }
    }
}

/// The common indentation mistakes, which the deserializer sees as a bucket or destination
/// named like a field (or a field of the top level), or a field where it is unknown: a field
/// indented less than its siblings, or a top-level field indented under `buckets:` or
/// `destinations:`.
fn misplaced(
    tree: &Tree,
    source: &SourceText<'_>,
    path: &Path<'_>,
    error: &YamlError,
) -> Option<Misplaced> {
    let level = match path.key(0)? {
        "buckets" => Some(Level::Bucket),
        "destinations" => Some(Level::Destination),
        _ => None,
    };
    if let (Some(level), Some(entry), Some(name)) = (level, path.entry(1), path.key(1)) {
        return read_as_an_entry(tree, source, level, entry, name);
    }
    let top_key = path.key(0)?;
    let unknown_at_top = path.len() == 1 && matches!(error, YamlError::SerdeUnknownField { .. });
    if !unknown_at_top {
        return None;
    }
    let level = [Level::Destination, Level::Bucket]
        .into_iter()
        .find(|level| level.fields().contains(&top_key))?;
    let entry = path.entry(0)?;
    let key = tree.key_of(entry)?;
    let last = last_entry_before(tree, level.section(), key.start);
    let diagnostic = Diagnostic::error(
        key_span(tree, source, entry),
        format!(
            "`{top_key}` is a field of a {}: it is indented too little",
            level.name()
        ),
    )
    .with_label("read as a top-level field")
    .with_help(indent_help(tree, source, level, last));
    let unreadable = match (level, last) {
        (Level::Destination, Some(last)) => vec![(
            Owner::Destination(key_text(tree, last).to_owned()),
            top_key.to_owned(),
        )],
        _ => Vec::new(),
    };
    Some(Misplaced {
        entry,
        diagnostic,
        unreadable,
    })
}

/// A bucket or destination `name` that is a field of one, or of the top level: it was
/// indented less, or more, than it should be.
fn read_as_an_entry(
    tree: &Tree,
    source: &SourceText<'_>,
    level: Level,
    entry: NodeId,
    name: &str,
) -> Option<Misplaced> {
    let value = tree.node(entry);
    // A mapping with a field of its level is a real one, whatever its name.
    let looks_right =
        value.kind == Kind::Mapping && tree.keys(entry).any(|k| level.fields().contains(&k));
    if looks_right {
        return None;
    }
    let single = matches!(value.kind, Kind::Scalar | Kind::Alias);
    let span = key_span(tree, source, entry);
    let what = level.name();
    // `pendo: pendo-data-sync` is a destination written as its vendor, not a misspelt field.
    let a_vendor = single && level == Level::Destination && {
        let value =
            source.slice(source.span(value.start, value.end.unwrap_or(value.start) - value.start));
        Vendor::parse(value.trim_matches(['"', '\''])).is_some()
    };
    let field = if level.fields().contains(&name) {
        Some((name, None))
    } else if single && !a_vendor {
        did_you_mean(name, level.fields().iter().copied()).map(|f| (f, Some(f)))
    } else {
        None
    };
    if let Some((field, suggestion)) = field {
        // The entry it belongs to: the one before it that is not a misplaced field too.
        let previous =
            std::iter::successors(tree.previous_entry(entry), |&e| tree.previous_entry(e))
                .find(|&e| !level.fields().contains(&key_text(tree, e)));
        let message = match previous {
            Some(_) => {
                format!("`{name}` is indented less than its siblings: it was read as a new {what}")
            }
            None => format!("`{name}` is a field of a {what}: it was read as a {what}'s name"),
        };
        let hint = suggestion
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        let diagnostic = Diagnostic::error(span, message)
            .with_label(format!("read as a {what}"))
            .with_help(format!(
                "{hint}{}",
                indent_help(tree, source, level, previous)
            ));
        let unreadable = match (level, previous) {
            (Level::Destination, Some(previous)) => vec![(
                Owner::Destination(key_text(tree, previous).to_owned()),
                field.to_owned(),
            )],
            _ => Vec::new(),
        };
        return Some(Misplaced {
            entry,
            diagnostic,
            unreadable,
        });
    }
    if !top_level_fields().contains(&name) {
        return None;
    }
    let section_key = tree
        .top_level(level.section())
        .and_then(|v| tree.key_of(v))
        .map(|k| source.span(k.start, 0).line);
    let like = match section_key {
        Some(line) => format!(", as `{}:` is on line {line}", level.section()),
        None => String::new(),
    };
    let diagnostic = Diagnostic::error(
        span,
        format!("`{name}` is a top-level field: it is indented too much, and was read as a {what}"),
    )
    .with_label(format!("read as a {what}"))
    .with_help(format!(
        "unindent it to the start of the line{like}, to make it a top-level field"
    ));
    Some(Misplaced {
        entry,
        diagnostic,
        unreadable: vec![(Owner::TopLevel, name.to_owned())],
    })
}

/// How to make a misplaced field one of `entry`'s (a bucket or destination), by how that
/// one is written.
fn indent_help(
    tree: &Tree,
    source: &SourceText<'_>,
    level: Level,
    entry: Option<NodeId>,
) -> String {
    let what = level.name();
    let Some(entry) = entry else {
        return format!(
            "a {what}'s fields are indented under its name, in `{}:`: `  my-{what}:`, then \
             `    {}: ...` on the next line",
            level.section(),
            level.fields().first().copied().unwrap_or_default()
        );
    };
    let name = key_text(tree, entry);
    let key_line = tree
        .key_of(entry)
        .map_or(0, |k| source.span(k.start, 0).line);
    let value = tree.node(entry);
    let first_field = tree
        .values(entry)
        .next()
        .and_then(|v| tree.key_of(v))
        .filter(|_| value.kind == Kind::Mapping && !value.flow);
    if let Some(field) = first_field {
        let at = source.span(field.start, 0);
        return format!(
            "indent it {} spaces, as `{}` is on line {}, to make it a field of {what} `{name}`",
            at.column - 1,
            field.text,
            at.line
        );
    }
    if value.kind == Kind::Mapping && value.flow {
        return format!(
            "move it into the `{{ ... }}` of {what} `{name}` on line {key_line}, to make it one \
             of its fields"
        );
    }
    let column = tree
        .key_of(entry)
        .map_or(1, |k| source.span(k.start, 0).column);
    format!(
        "indent it {} spaces, under `{name}:` on line {key_line}, to make it a field of {what} \
         `{name}`",
        column + 1
    )
}

/// The last entry of the top-level `section` that starts before byte `before`.
fn last_entry_before(tree: &Tree, section: &str, before: usize) -> Option<NodeId> {
    let mapping = tree.top_level(section)?;
    tree.values(mapping)
        .filter(|&v| tree.key_of(v).is_some_and(|k| k.start < before))
        .last()
}

fn key_text(tree: &Tree, entry: NodeId) -> &str {
    tree.key_of(entry).map_or("", |k| k.text.as_str())
}

/// The span of an entry's key as written.
fn key_span(tree: &Tree, source: &SourceText<'_>, entry: NodeId) -> Span {
    match tree.key_of(entry) {
        Some(key) => {
            let end = key.end.unwrap_or(key.start);
            source.span(key.start, end - key.start)
        }
        None => source.span(tree.node(entry).start, 0),
    }
}

/// What a value of the wrong kind should look like, for the field it is the value of.
fn kind_help(error: &YamlError, path: &Path<'_>) -> Option<String> {
    let expected = match error {
        YamlError::Unexpected { expected, .. } => match *expected {
            "mapping start" => Kind::Mapping,
            "sequence start" => Kind::List,
            _ => Kind::Scalar,
        },
        YamlError::SerdeInvalidType { .. } if path.key(0) == Some("assume_role") => {
            return Some(
                "write the role's ARN, `assume_role: arn:aws:iam::ACCOUNT:role/NAME`, or a \
                 mapping with `arn` and `external_id`"
                    .to_owned(),
            );
        }
        _ => return None,
    };
    let field = path.field()?;
    let in_section = |section| path.key(0) == Some(section) && path.len() == 2;
    let help = match expected {
        Kind::Mapping if in_section("destinations") => format!(
            "a destination is a mapping of its fields: `{field}: {{ vendor: ..., bucket: ... }}`, \
             or its fields indented under `{field}:`"
        ),
        Kind::Mapping if in_section("buckets") => format!(
            "a bucket is a mapping of its settings, such as `{field}: {{ create: true }}`, or \
             `{field}: {{}}` for none"
        ),
        Kind::Mapping if field == "tags" => "`tags` is a mapping of tag names to values: `tags: \
             { team: data }`, or `team: data` indented under `tags:`"
            .to_owned(),
        Kind::Mapping => format!(
            "`{field}` is a mapping: `name: value` lines indented under `{field}:`, or `{{}}` for \
             none"
        ),
        Kind::List => format!(
            "`{field}` is a list: `{field}: [a, b]`, or one `- item` per line indented under \
             `{field}:`"
        ),
        _ if path.is_item() => format!("each item of `{field}` is a single value"),
        _ if path.key(0) == Some("destinations") && path.key(2) == Some("tags") => {
            format!("a tag's value is a single value, such as `{field}: data`")
        }
        _ => format!(
            "`{field}` is a single value, written after the colon (quoted when it starts with \
             `[` or `{{`)"
        ),
    };
    Some(help)
}

fn is_tab_error(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::TabNotAllowed
            | ErrorKind::TabInBlockIndentation
            | ErrorKind::TabAtBlockScalarStart
            | ErrorKind::TabInIndentation
            | ErrorKind::TabInPlainScalar
    )
}

/// The error for a tab that indents a line, at the tab: the parser reports it at the
/// line's first character after it, or at the end of the line before.
fn tab_indentation(text: &str, source: &SourceText<'_>, at: Span) -> Option<Diagnostic> {
    let line_start = source.offset_of(at.line, 1);
    let mut offset = line_start;
    for line in text.get(line_start..)?.split_inclusive('\n').take(2) {
        let indentation = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indentation].find('\t') {
            let span = source.span(offset + tab, 1);
            return Some(
                Diagnostic::error(
                    span,
                    "a tab indents this line: YAML indents with spaces only",
                )
                .with_label("tab")
                .with_help(
                    "replace the tab with spaces (most editors can be set to insert spaces \
                         for the Tab key)",
                ),
            );
        }
        offset += line.len();
    }
    None
}

/// True when the text in `range` is blank already.
fn is_blank(text: &str, range: &Range<usize>) -> bool {
    text.get(range.clone())
        .is_none_or(|s| s.chars().all(char::is_whitespace))
}

/// Replaces the text in `range` with spaces, keeping its line breaks (and so every offset,
/// line and column after it); false when `range` is not in the text.
fn blank(text: &mut String, range: Range<usize>) -> bool {
    let Some(part) = text.get(range.clone()) else {
        return false;
    };
    let spaces: String = part
        .chars()
        .flat_map(|c| {
            let keep = matches!(c, '\n' | '\r');
            let count = if keep { 1 } else { c.len_utf8() };
            std::iter::repeat_n(if keep { c } else { ' ' }, count)
        })
        .collect();
    text.replace_range(range, &spaces);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_keeps_offsets_and_line_breaks() {
        let mut text = "a: é\r\nb: 1\n".to_owned();
        assert!(blank(&mut text, 0..7));
        assert_eq!(text, "     \r\nb: 1\n");
        assert_eq!(text.len(), "a: é\r\nb: 1\n".len());
    }
}
