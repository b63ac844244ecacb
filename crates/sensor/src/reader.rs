//! Line-by-line streaming over any [`BufRead`], shared by every format.

use std::io::{BufRead, ErrorKind as IoKind};
use std::sync::Arc;

use crate::error::{Counts, ErrorKind, ParseError, RecordError};
use crate::observation::Observation;

/// Longest line a reader accepts by default (1 MiB); longer lines are reported
/// as [`ErrorKind::TooLong`] and the rest of the line is discarded.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// What a line parser made of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A record, normalised.
    Record(Observation),
    /// A well-formed record of a type that is not normalised; counted as skipped.
    Skipped,
    /// Not a record: a blank line, a comment, a Zeek header. Not counted.
    Meta,
}

/// A parser of one format, fed one line at a time (without the line ending).
pub trait LineParser {
    /// Parses one line.
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, RecordError>;
}

/// A streaming reader: yields one `Result<Observation, ParseError>` per record,
/// keeps going after malformed records, and counts what it has read.
///
/// Build one with [`crate::EveReader::new`], [`crate::ZeekReader::new`] or
/// [`crate::DnsLogReader::new`], or [`Reader::with_parser`] for any
/// [`LineParser`]. An I/O error is yielded once and ends the stream.
#[derive(Debug)]
pub struct Reader<R, P> {
    inner: R,
    parser: P,
    label: Arc<str>,
    buf: Vec<u8>,
    line: u64,
    offset: u64,
    max_line: usize,
    done: bool,
    counts: Counts,
}

impl<R: BufRead, P: LineParser> Reader<R, P> {
    /// A reader of `inner` with `parser`; `label` names the source in errors.
    pub fn with_parser(inner: R, label: impl Into<Arc<str>>, parser: P) -> Self {
        Self {
            inner,
            parser,
            label: label.into(),
            buf: Vec::new(),
            line: 0,
            offset: 0,
            max_line: DEFAULT_MAX_LINE,
            done: false,
            counts: Counts::default(),
        }
    }

    /// Sets the longest accepted line, in bytes.
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes.max(1);
        self
    }

    /// Records read so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The source's label.
    pub fn label(&self) -> &Arc<str> {
        &self.label
    }

    /// The line parser (e.g. to read the Zeek log type found in the header).
    pub fn parser(&self) -> &P {
        &self.parser
    }

    /// Reads the next line into `buf`. `Ok(None)` at the end of the stream;
    /// `Ok(Some(too_long))` otherwise.
    fn read_line(&mut self) -> std::io::Result<Option<bool>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == IoKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (chunk, used, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            let room = self.max_line.saturating_sub(self.buf.len());
            if chunk.len() > room {
                self.buf.extend_from_slice(&chunk[..room]);
                too_long = true;
            } else {
                self.buf.extend_from_slice(chunk);
            }
            self.inner.consume(used);
            self.offset += used as u64;
            if found {
                break;
            }
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(too_long))
    }

    fn error(&self, start: u64, error: RecordError) -> ParseError {
        ParseError {
            label: self.label.clone(),
            line: self.line,
            offset: start,
            error,
        }
    }
}

impl<R: BufRead, P: LineParser> Iterator for Reader<R, P> {
    type Item = Result<Observation, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let start = self.offset;
            // Fast path: a whole line already in the inner reader's buffer is
            // parsed where it is, without copying it.
            match self.inner.fill_buf() {
                Ok(avail) => {
                    if let Some(i) = memchr::memchr(b'\n', avail).filter(|&i| i <= self.max_line) {
                        let mut line = &avail[..i];
                        if line.last() == Some(&b'\r') {
                            line = &line[..i - 1];
                        }
                        let parsed = (!line.iter().all(|b| b.is_ascii_whitespace()))
                            .then(|| self.parser.parse_line(line));
                        self.inner.consume(i + 1);
                        self.offset += i as u64 + 1;
                        self.line += 1;
                        match parsed.and_then(|p| self.outcome(start, p)) {
                            Some(item) => return Some(item),
                            None => continue,
                        }
                    }
                }
                Err(e) if e.kind() == IoKind::Interrupted => continue,
                // The line-by-line path below reports it.
                Err(_) => {}
            }
            let too_long = match self.read_line() {
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(t)) => t,
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    let err = RecordError {
                        kind: ErrorKind::Io,
                        field: None,
                        column: None,
                        message: format!("read failed: {e}"),
                    };
                    return Some(Err(self.error(start, err)));
                }
            };
            self.line += 1;
            if too_long {
                self.counts.malformed += 1;
                let err = RecordError {
                    kind: ErrorKind::TooLong,
                    field: None,
                    column: Some(self.max_line + 1),
                    message: format!("line longer than {} bytes", self.max_line),
                };
                return Some(Err(self.error(start, err)));
            }
            if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let parsed = self.parser.parse_line(&self.buf);
            if let Some(item) = self.outcome(start, parsed) {
                return Some(item);
            }
        }
        None
    }
}

impl<R: BufRead, P: LineParser> Reader<R, P> {
    /// Counts what the parser made of the line starting at byte `start`;
    /// `None` when there is nothing to yield.
    fn outcome(
        &mut self,
        start: u64,
        parsed: Result<Parsed, RecordError>,
    ) -> Option<Result<Observation, ParseError>> {
        match parsed {
            Ok(Parsed::Record(o)) => {
                self.counts.ok += 1;
                Some(Ok(o))
            }
            Ok(Parsed::Skipped) => {
                self.counts.skipped += 1;
                None
            }
            Ok(Parsed::Meta) => None,
            Err(e) => {
                self.counts.malformed += 1;
                Some(Err(self.error(start, e)))
            }
        }
    }
}
