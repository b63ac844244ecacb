//! STIX 2.1 Patterning (OASIS STIX 2.1, section 9): parse the `pattern` of an
//! indicator, print it back in canonical form, and match it against observed data.
//!
//! Indicators shared over TAXII carry their detection logic as STIX patterns.
//! Sakimori indexes them by their equality terms ([`Pattern::equality_terms`]) and
//! evaluates the candidates against sightings ([`Pattern::matches`]), with no
//! external matcher. Patterns come from outside: parsing never panics, nesting is
//! capped and evaluation is bounded.
//!
//! # Supported
//!
//! The whole 2.1 grammar (`STIXPattern.g4`):
//! - comparison expressions `[type:path op value]` joined by `AND` (binding tighter)
//!   and `OR`, with parentheses; all tests joined by `AND` must hold for the *same*
//!   object;
//! - object paths with nested properties, quoted keys (`hashes.'SHA-256'`), list
//!   indexes `[n]` and `[*]`, and `*_ref` / `*_refs` properties resolved by `id`
//!   among the objects of the same observation; `*_hex` and `*_bin` properties are
//!   compared as bytes;
//! - `=` (`==`), `!=` (`<>`), `<`, `<=`, `>`, `>=`, `IN (…)`, `LIKE`, `MATCHES`,
//!   `ISSUBSET`, `ISSUPERSET` (IPv4 and IPv6), each optionally preceded by `NOT`;
//! - string (`\'` and `\\` escapes), integer, float, boolean, timestamp `t'…'`,
//!   hex `h'…'` and base64 `b'…'` constants;
//! - observation expressions joined by `AND`, `OR` and `FOLLOWEDBY` (binding in
//!   that order, tightest first), parentheses, and the qualifiers
//!   `WITHIN n SECONDS`, `REPEATS n TIMES` and `START t'…' STOP t'…'`, which
//!   apply to the expression just before them; `/* */` and `//` comments.
//!
//! As in 2.1, keywords are upper case (`AND`, not `and`) except `true`/`false`,
//! and `START`/`STOP` take `t'…'` timestamps (not 2.0's plain strings).
//!
//! # Semantics
//!
//! Those of the reference matcher (`stix2-matcher`) where the spec is vague:
//! - a test on a missing property is false, `!=` and `NOT` included; values of
//!   different kinds are unequal (`!=` true) and unordered (`<` false);
//! - the operands of an observation `AND`, `FOLLOWEDBY` and the repetitions of
//!   `REPEATS` are matched by *distinct* observations; an observation with
//!   `number_observed: n` counts as n observations;
//! - `a FOLLOWEDBY b`: the latest `first_observed` of a's observations is no later
//!   than the earliest `last_observed` of b's; `WITHIN n SECONDS`: some n-second
//!   window overlaps every observation; `START`/`STOP`: every observation overlaps
//!   `[start, stop)`.
//!
//! # Known deviations
//!
//! - `MATCHES` uses the syntax of the `regex` crate: no look-around or
//!   backreferences (such patterns do not parse), and `$` matches only at the end.
//! - Strings are not Unicode-normalised (NFC) before `LIKE` and `MATCHES`, and
//!   `LIKE`'s `%` and `_` also match line breaks.
//! - Stricter than the grammar: `WITHIN` must be positive, `REPEATS` at least 1,
//!   list indexes non-negative, `ISSUBSET`/`ISSUPERSET` constants IP addresses or
//!   CIDR blocks; at most 64 levels of nesting and 64 qualifiers.
//! - `matches` is bounded: it gives up, reporting no match, after 25 000 search
//!   steps (about 0.2 s), beyond 64 nested search levels (about 60 `FOLLOWEDBY`
//!   or `WITHIN` expressions joined by `AND`), and for `REPEATS` of more than 64 repetitions
//!   of an expression with its own `WITHIN` or `FOLLOWEDBY`. Typical patterns need
//!   a handful of steps and a few microseconds.

mod ast;
mod eval;
mod flow;
mod lexer;
mod literal;
mod parser;
#[cfg(test)]
mod tests;
mod value;

pub use ast::{
    Cidr, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, PathStep, Qualifier,
    Regex, Test,
};

use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

/// A parsed STIX pattern. [`fmt::Display`] writes its canonical form, which parses
/// back to an equal pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: ObservationExpr,
}

/// Why a pattern does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern error at character {offset}: {message}")]
pub struct PatternError {
    /// 0-based character (not byte) offset into the text.
    pub offset: usize,
    pub message: String,
}

/// One STIX observed-data: when, how often, and what was observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub first_observed: DateTime<Utc>,
    pub last_observed: DateTime<Utc>,
    /// How many times it was seen (0 is taken as 1).
    pub number_observed: u64,
    /// The SCOs of this observation (STIX 2.1 JSON objects with "type" and "id");
    /// `*_ref` and `*_refs` properties are resolved by id among these objects.
    pub objects: Vec<serde_json::Value>,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        parser::parse(text).map(|root| Pattern { root })
    }

    /// The syntax tree.
    pub fn root(&self) -> &ObservationExpr {
        &self.root
    }

    /// True when the observations match the pattern (each observation = one STIX
    /// observed-data with its SCOs).
    pub fn matches(&self, observations: &[Observation]) -> bool {
        eval::matches(&self.root, observations)
    }

    /// The simple equality terms `[type:path = 'value']` of the pattern, as (object
    /// type, property path in canonical form, string value), in text order without
    /// repeats: only `=` (not `NOT =`) against a string constant, wherever it occurs.
    pub fn equality_terms(&self) -> Vec<(String, String, String)> {
        let mut terms = Vec::new();
        let mut seen = HashSet::new();
        self.root.for_each_comparison(&mut |c| {
            if let (false, Test::Eq(Literal::String(value))) = (c.negated, &c.test) {
                let term = (
                    c.path.object_type.clone(),
                    c.path.property_path(),
                    value.clone(),
                );
                if seen.insert(term.clone()) {
                    terms.push(term);
                }
            }
        });
        terms
    }

    /// The SCO types the pattern's object paths start from, in text order without
    /// repeats (not the types reached through references).
    pub fn object_types(&self) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        self.root.for_each_comparison(&mut |c| {
            if !types.contains(&c.path.object_type) {
                types.push(c.path.object_type.clone());
            }
        });
        types
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Pattern, PatternError> {
        Pattern::parse(text)
    }
}
