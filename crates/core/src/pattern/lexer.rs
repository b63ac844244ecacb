//! Splits pattern text into tokens, skipping white space and `/* */` / `//` comments.
//! Offsets are 0-based character (not byte) offsets.

use super::literal::{decode_base64, parse_timestamp};
use super::PatternError;
use chrono::{DateTime, Utc};
use std::fmt;

/// The reserved words of the 2.1 grammar (case-sensitive); they cannot be object
/// types or unquoted property names. `true` and `false` are read as [`Tok::Bool`].
const KEYWORDS: [&str; 18] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "true",
    "false",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// An identifier or keyword: `[A-Za-z_][A-Za-z0-9_-]*`.
    Word(String),
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Timestamp(DateTime<Utc>),
    Hex(Vec<u8>),
    Base64(Vec<u8>),
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub offset: usize,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self {
            Tok::LBracket => "'['",
            Tok::RBracket => "']'",
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::Colon => "':'",
            Tok::Dot => "'.'",
            Tok::Comma => "','",
            Tok::Star => "'*'",
            Tok::Eq => "'='",
            Tok::Ne => "'!='",
            Tok::Lt => "'<'",
            Tok::Le => "'<='",
            Tok::Gt => "'>'",
            Tok::Ge => "'>='",
            Tok::Word(w) => return write!(f, "'{w}'"),
            Tok::Str(_) => "a string",
            Tok::Int(i) => return write!(f, "the number {i}"),
            Tok::Float(x) => return write!(f, "the number {x}"),
            Tok::Bool(b) => return write!(f, "'{b}'"),
            Tok::Timestamp(_) => "a timestamp",
            Tok::Hex(_) => "a hex constant",
            Tok::Base64(_) => "a binary constant",
            Tok::Eof => "the end of the pattern",
        };
        f.write_str(symbol)
    }
}

pub(super) struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

fn error(offset: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        offset,
        message: message.into(),
    }
}

impl Lexer {
    pub fn new(text: &str) -> Lexer {
        Lexer {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    pub fn next_token(&mut self) -> Result<Token, PatternError> {
        self.skip_blanks()?;
        let start = self.pos;
        let Some(c) = self.at(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                offset: start,
            });
        };
        let next = self.at(start + 1);
        let (tok, len) = match c {
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ':' => (Tok::Colon, 1),
            ',' => (Tok::Comma, 1),
            '*' => (Tok::Star, 1),
            '=' if next == Some('=') => (Tok::Eq, 2),
            '=' => (Tok::Eq, 1),
            '!' if next == Some('=') => (Tok::Ne, 2),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' if next == Some('>') => (Tok::Ne, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '.' if !next.is_some_and(|d| d.is_ascii_digit()) => (Tok::Dot, 1),
            '\'' => return self.string(start).map(|s| self.token(Tok::Str(s), start)),
            't' | 'h' | 'b' if next == Some('\'') => return self.typed(c, start),
            '+' | '-' | '.' | '0'..='9' => return self.number(start),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = self.chars[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '-')
                    .count();
                let word: String = self.chars[start..start + len].iter().collect();
                let tok = match word.as_str() {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    _ => Tok::Word(word),
                };
                (tok, len)
            }
            c => return Err(error(start, format!("unexpected character '{c}'"))),
        };
        self.pos += len;
        Ok(Token { tok, offset: start })
    }

    fn token(&self, tok: Tok, offset: usize) -> Token {
        Token { tok, offset }
    }

    fn skip_blanks(&mut self) -> Result<(), PatternError> {
        loop {
            match (self.at(self.pos), self.at(self.pos + 1)) {
                (Some(c), _) if c.is_whitespace() => self.pos += 1,
                (Some('/'), Some('/')) => {
                    while self.at(self.pos).is_some_and(|c| c != '\n' && c != '\r') {
                        self.pos += 1;
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.pos;
                    self.pos += 2;
                    loop {
                        match (self.at(self.pos), self.at(self.pos + 1)) {
                            (Some('*'), Some('/')) => {
                                self.pos += 2;
                                break;
                            }
                            (Some(_), _) => self.pos += 1,
                            (None, _) => return Err(error(start, "unterminated comment")),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A quoted string at `start`; `\'` and `\\` are the only escapes.
    fn string(&mut self, start: usize) -> Result<String, PatternError> {
        let mut out = String::new();
        let mut i = start + 1;
        loop {
            match self.at(i) {
                None => return Err(error(start, "unterminated string")),
                Some('\'') => {
                    self.pos = i + 1;
                    return Ok(out);
                }
                Some('\\') => match self.at(i + 1) {
                    Some(c @ ('\'' | '\\')) => {
                        out.push(c);
                        i += 2;
                    }
                    Some(c) => {
                        return Err(error(
                            i,
                            format!(
                                "invalid escape '\\{c}' in string: only \\' and \\\\ are allowed"
                            ),
                        ))
                    }
                    None => return Err(error(start, "unterminated string")),
                },
                Some(c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    /// `t'…'`, `h'…'` or `b'…'` at `start`.
    fn typed(&mut self, kind: char, start: usize) -> Result<Token, PatternError> {
        let body_start = start + 2;
        let Some(len) = self.chars[body_start..].iter().position(|&c| c == '\'') else {
            let what = match kind {
                't' => "timestamp",
                'h' => "hex constant",
                _ => "binary constant",
            };
            return Err(error(start, format!("unterminated {what}")));
        };
        let body: String = self.chars[body_start..body_start + len].iter().collect();
        let tok = match kind {
            't' => parse_timestamp(&body).map(Tok::Timestamp).ok_or_else(|| {
                error(
                    start,
                    format!("invalid timestamp '{body}': expected YYYY-MM-DDThh:mm:ss[.s]Z"),
                )
            })?,
            'h' => hex::decode(&body)
                .map(Tok::Hex)
                .map_err(|_| error(start, "invalid hex constant: expected pairs of hex digits"))?,
            _ => decode_base64(&body)
                .map(Tok::Base64)
                .ok_or_else(|| error(start, "invalid binary constant: expected base64"))?,
        };
        self.pos = body_start + len + 1;
        Ok(self.token(tok, start))
    }

    /// `[+-]?(0|[1-9][0-9]*)` or `[+-]?[0-9]*\.[0-9]+` at `start`.
    fn number(&mut self, start: usize) -> Result<Token, PatternError> {
        let digits_from = |i: usize| {
            self.chars[i.min(self.chars.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        let signed = matches!(self.at(start), Some('+' | '-'));
        let int_start = start + usize::from(signed);
        let int_len = digits_from(int_start);
        let dot = int_start + int_len;
        let frac_len = if self.at(dot) == Some('.') {
            digits_from(dot + 1)
        } else {
            0
        };
        if frac_len > 0 {
            let end = dot + 1 + frac_len;
            let text: String = self.chars[start..end].iter().collect();
            let value: f64 = text
                .parse()
                .map_err(|_| error(start, format!("invalid number '{text}'")))?;
            if !value.is_finite() {
                return Err(error(start, format!("number '{text}' is out of range")));
            }
            self.pos = end;
            return Ok(self.token(Tok::Float(value), start));
        }
        if int_len == 0 {
            let c = self.at(start).unwrap_or(' ');
            return Err(error(start, format!("unexpected character '{c}'")));
        }
        let digits = &self.chars[int_start..int_start + int_len];
        if int_len > 1 && digits[0] == '0' {
            return Err(error(start, "integers must not have leading zeros"));
        }
        let magnitude = digits.iter().try_fold(0u128, |acc, c| {
            acc.checked_mul(10)?
                .checked_add(u128::from(c.to_digit(10).unwrap_or(0)))
        });
        let value = magnitude.and_then(|m| {
            if self.at(start) == Some('-') {
                0i128.checked_sub_unsigned(m)
            } else {
                i128::try_from(m).ok()
            }
        });
        let value = value.ok_or_else(|| error(start, "integer out of range"))?;
        self.pos = dot;
        Ok(self.token(Tok::Int(value), start))
    }
}
