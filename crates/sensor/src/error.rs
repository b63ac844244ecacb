//! Errors and counters shared by the parsers.

use std::fmt;
use std::sync::Arc;

/// What is wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The line is not well-formed in its format (bad JSON, wrong number of
    /// TSV columns, unrecognisable log line).
    Syntax,
    /// A field is missing or its value is invalid (bad timestamp, address, port).
    Field,
    /// The line is not valid UTF-8 where text is required.
    Encoding,
    /// The line is longer than the reader's limit; the rest was discarded.
    TooLong,
    /// A Zeek header line is invalid or records came before `#fields`.
    Header,
    /// Reading the stream failed; the reader stops after this error.
    Io,
}

/// Why one record could not be read, without its location in the stream.
///
/// Line parsers return it; readers wrap it into a [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// The field concerned, in the format's own naming (`src_ip`,
    /// `dns.answers[0].rdata`, `id.orig_p`), when known.
    pub field: Option<String>,
    /// 1-based byte column in the line, when known.
    pub column: Option<usize>,
    /// Human-readable description.
    pub message: String,
}

impl RecordError {
    pub(crate) fn syntax(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Syntax,
            field: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Field,
            field: Some(field.into()),
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn header(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Header,
            field: None,
            column: None,
            message: message.into(),
        }
    }
}

/// A malformed record (or a failed read), located in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The source's label, as given to the reader (usually a file name or
    /// `sensor-id:stream`).
    pub label: Arc<str>,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the start of the line in the stream.
    pub offset: u64,
    /// What is wrong, which field, where in the line.
    pub error: RecordError,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.label, self.line)?;
        if let Some(c) = self.error.column {
            write!(f, ":{c}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.error.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{} (byte {})", self.error.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Records read from one source so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    /// Records turned into observations.
    pub ok: u64,
    /// Records reported as [`ParseError`]s.
    pub malformed: u64,
    /// Well-formed records of a type this crate does not normalise (e.g. EVE
    /// `stats`, Zeek `weird.log`, non-query BIND lines). Blank lines and Zeek
    /// header lines are not counted.
    pub skipped: u64,
}

impl Counts {
    /// All records counted.
    pub fn total(&self) -> u64 {
        self.ok + self.malformed + self.skipped
    }
}
