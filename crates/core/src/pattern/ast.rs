//! The syntax tree of a pattern and its canonical text form.
//!
//! [`fmt::Display`] writes the canonical form: single spaces, `=`/`!=` for the
//! `==`/`<>` spellings, no comments, and parentheses only where the operator
//! precedence needs them (so that parsing it gives back the same tree).

use super::lexer::is_keyword;
use super::literal::{encode_base64, write_timestamp};
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use std::fmt::{self, Write};
use std::net::IpAddr;
use std::sync::OnceLock;

/// An observation expression: one `[…]` or a combination of them.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[…]`: one observation with an object satisfying the comparison expression.
    Comparison(ComparisonExpr),
    /// `a AND b AND …` (two or more operands), matched by distinct observations.
    And(Vec<ObservationExpr>),
    /// `a OR b OR …` (two or more operands).
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY …` (two or more operands, left-associative).
    FollowedBy(Vec<ObservationExpr>),
    /// An expression followed by one or more qualifiers, applied in order. The inner
    /// expression is never itself `Qualified`.
    Qualified(Box<ObservationExpr>, Vec<Qualifier>),
}

/// A qualifier of an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS` (n > 0).
    Within(f64),
    /// `REPEATS n TIMES` (n ≥ 1).
    Repeats(u64),
    /// `START t'…' STOP t'…'`.
    StartStop(DateTime<Utc>, DateTime<Utc>),
}

/// The inside of `[…]`: property tests combined with `AND` (tighter) and `OR`.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    Test(Comparison),
    /// Two or more operands, all satisfied by the same object.
    And(Vec<ComparisonExpr>),
    /// Two or more operands.
    Or(Vec<ComparisonExpr>),
}

/// One property test, `object-type:path [NOT] operator value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: ObjectPath,
    /// A `NOT` before the operator.
    pub negated: bool,
    pub test: Test,
}

/// A comparison operator with its constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Eq(Literal),
    Ne(Literal),
    Lt(Literal),
    Le(Literal),
    Gt(Literal),
    Ge(Literal),
    In(Vec<Literal>),
    /// SQL `LIKE`: `%` any run of characters, `_` one character.
    Like(String),
    Matches(Regex),
    IsSubset(Cidr),
    IsSuperset(Cidr),
}

/// `object-type:property(.key|[n]|[*])*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    /// The first property name.
    pub property: String,
    pub steps: Vec<PathStep>,
}

/// A step after the first property of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// `.key` or `.'quoted key'`.
    Key(String),
    /// `[n]`.
    Index(u64),
    /// `[*]`: any element.
    AnyIndex,
}

/// A constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Int(i128),
    /// Always finite.
    Float(f64),
    Bool(bool),
    Timestamp(DateTime<Utc>),
    /// `h'…'`.
    Hex(Vec<u8>),
    /// `b'…'`.
    Base64(Vec<u8>),
}

/// The regular expression of `MATCHES`, compiled once when the pattern is parsed.
#[derive(Debug, Clone)]
pub struct Regex {
    source: String,
    text: regex::Regex,
    bytes: OnceLock<Option<regex::bytes::Regex>>,
}

/// Compiled programs above this size are refused (the default is 10 MiB).
const REGEX_SIZE_LIMIT: usize = 1 << 21;

impl Regex {
    pub(super) fn new(source: &str) -> Result<Regex, regex::Error> {
        let text = regex::RegexBuilder::new(source)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()?;
        Ok(Regex {
            source: source.to_owned(),
            text,
            bytes: OnceLock::new(),
        })
    }

    /// The expression as written in the pattern (after string unescaping).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the expression matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.text.is_match(text)
    }

    /// Whether the expression matches somewhere in a binary value: each character
    /// below U+0100 of the expression stands for that byte, as in the reference
    /// matcher; an expression with other characters never matches binary values.
    pub fn is_match_bytes(&self, bytes: &[u8]) -> bool {
        self.bytes
            .get_or_init(|| {
                let mut source = String::with_capacity(self.source.len());
                for c in self.source.chars() {
                    match u32::from(c) {
                        0..=0x7f => source.push(c),
                        code @ 0x80..=0xff => {
                            let _ = write!(source, "\\x{code:02X}");
                        }
                        _ => return None,
                    }
                }
                regex::bytes::RegexBuilder::new(&source)
                    .unicode(false)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(bytes))
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// The IP address or CIDR block of `ISSUBSET` / `ISSUPERSET`, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    text: String,
    net: IpNet,
}

impl Cidr {
    /// Reads `198.51.100.0/24`, `2001:db8::/32` or a single address (a host block).
    pub fn parse(text: &str) -> Option<Cidr> {
        let net = text
            .parse::<IpNet>()
            .ok()
            .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))?;
        Some(Cidr {
            text: text.to_owned(),
            net,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn net(&self) -> IpNet {
        self.net
    }
}

impl ObservationExpr {
    /// Binding strength when printing: higher binds tighter.
    fn precedence(&self) -> u8 {
        match self {
            Self::FollowedBy(_) => 1,
            Self::Or(_) => 2,
            Self::And(_) => 3,
            Self::Comparison(_) | Self::Qualified(..) => 4,
        }
    }

    /// Calls `visit` on every property test, in text order.
    pub fn for_each_comparison<'a>(&'a self, visit: &mut impl FnMut(&'a Comparison)) {
        match self {
            Self::Comparison(c) => c.for_each_comparison(visit),
            Self::And(v) | Self::Or(v) | Self::FollowedBy(v) => {
                v.iter().for_each(|e| e.for_each_comparison(visit))
            }
            Self::Qualified(e, _) => e.for_each_comparison(visit),
        }
    }
}

impl ComparisonExpr {
    fn precedence(&self) -> u8 {
        match self {
            Self::Or(_) => 1,
            Self::And(_) => 2,
            Self::Test(_) => 3,
        }
    }

    /// Calls `visit` on every property test, in text order.
    pub fn for_each_comparison<'a>(&'a self, visit: &mut impl FnMut(&'a Comparison)) {
        match self {
            Self::Test(c) => visit(c),
            Self::And(v) | Self::Or(v) => v.iter().for_each(|e| e.for_each_comparison(visit)),
        }
    }
}

impl ObjectPath {
    /// The path after `object-type:`, in canonical form (e.g. `hashes.'SHA-256'`).
    pub fn property_path(&self) -> String {
        let mut out = String::new();
        let _ = write_key(&mut out, &self.property);
        for step in &self.steps {
            let _ = write!(out, "{step}");
        }
        out
    }

    /// Whether the path follows a `*_ref` or `*_refs` property.
    pub fn follows_references(&self) -> bool {
        let is_ref = |k: &str| k.ends_with("_ref") || k.ends_with("_refs");
        is_ref(&self.property)
            || self
                .steps
                .iter()
                .any(|s| matches!(s, PathStep::Key(k) if is_ref(k)))
    }
}

/// Writes a string constant: quoted, with `\'` and `\\` escapes.
pub(super) fn write_quoted(out: &mut impl Write, text: &str) -> fmt::Result {
    out.write_char('\'')?;
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('\'')
}

/// Writes a property name, bare when the grammar allows it, quoted otherwise.
fn write_key(out: &mut impl Write, key: &str) -> fmt::Result {
    let mut chars = key.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(key);
    if bare {
        out.write_str(key)
    } else {
        write_quoted(out, key)
    }
}

/// Writes a float so that it reads back as a float constant: always with a `.`.
fn write_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    let text = x.to_string();
    if text.contains('.') {
        f.write_str(&text)
    } else {
        write!(f, "{text}.0")
    }
}

fn write_operands<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    operands: &[T],
    keyword: &str,
    needs_parens: impl Fn(&T) -> bool,
) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            write!(f, " {keyword} ")?;
        }
        if needs_parens(operand) {
            write!(f, "({operand})")?;
        } else {
            write!(f, "{operand}")?;
        }
    }
    Ok(())
}

impl fmt::Display for ObservationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let own = self.precedence();
        let tighter = |e: &ObservationExpr| e.precedence() <= own;
        match self {
            Self::Comparison(c) => write!(f, "[{c}]"),
            Self::And(v) => write_operands(f, v, "AND", tighter),
            Self::Or(v) => write_operands(f, v, "OR", tighter),
            Self::FollowedBy(v) => write_operands(f, v, "FOLLOWEDBY", tighter),
            Self::Qualified(e, qualifiers) => {
                if e.precedence() < own {
                    write!(f, "({e})")?;
                } else {
                    write!(f, "{e}")?;
                }
                qualifiers.iter().try_for_each(|q| write!(f, " {q}"))
            }
        }
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Within(seconds) => {
                f.write_str("WITHIN ")?;
                if seconds.fract() == 0.0 && *seconds < 1e15 {
                    write!(f, "{seconds}")?;
                } else {
                    write_float(f, *seconds)?;
                }
                f.write_str(" SECONDS")
            }
            Self::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Self::StartStop(start, stop) => {
                f.write_str("START t'")?;
                write_timestamp(f, start)?;
                f.write_str("' STOP t'")?;
                write_timestamp(f, stop)?;
                f.write_char('\'')
            }
        }
    }
}

impl fmt::Display for ComparisonExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let own = self.precedence();
        let tighter = |e: &ComparisonExpr| e.precedence() <= own;
        match self {
            Self::Test(c) => write!(f, "{c}"),
            Self::And(v) => write_operands(f, v, "AND", tighter),
            Self::Or(v) => write_operands(f, v, "OR", tighter),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        write!(f, "{}", self.test)
    }
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Eq(l) => write!(f, "= {l}"),
            Self::Ne(l) => write!(f, "!= {l}"),
            Self::Lt(l) => write!(f, "< {l}"),
            Self::Le(l) => write!(f, "<= {l}"),
            Self::Gt(l) => write!(f, "> {l}"),
            Self::Ge(l) => write!(f, ">= {l}"),
            Self::In(set) => {
                f.write_str("IN (")?;
                for (i, l) in set.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{l}")?;
                }
                f.write_char(')')
            }
            Self::Like(s) => {
                f.write_str("LIKE ")?;
                write_quoted(f, s)
            }
            Self::Matches(re) => {
                f.write_str("MATCHES ")?;
                write_quoted(f, re.as_str())
            }
            Self::IsSubset(c) => {
                f.write_str("ISSUBSET ")?;
                write_quoted(f, c.as_str())
            }
            Self::IsSuperset(c) => {
                f.write_str("ISSUPERSET ")?;
                write_quoted(f, c.as_str())
            }
        }
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        write_key(f, &self.property)?;
        self.steps.iter().try_for_each(|s| write!(f, "{s}"))
    }
}

impl fmt::Display for PathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(k) => {
                f.write_char('.')?;
                write_key(f, k)
            }
            Self::Index(i) => write!(f, "[{i}]"),
            Self::AnyIndex => f.write_str("[*]"),
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => write_quoted(f, s),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write_float(f, *x),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Timestamp(t) => {
                f.write_str("t'")?;
                write_timestamp(f, t)?;
                f.write_char('\'')
            }
            Self::Hex(bytes) => write!(f, "h'{}'", hex::encode(bytes)),
            Self::Base64(bytes) => write!(f, "b'{}'", encode_base64(bytes)),
        }
    }
}
