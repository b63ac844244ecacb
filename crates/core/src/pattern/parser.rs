//! A recursive-descent parser for the STIX 2.1 pattern grammar (`STIXPattern.g4`).
//!
//! Precedence, loosest first: `FOLLOWEDBY`, `OR`, `AND` between observation
//! expressions, then the postfix qualifiers; `OR`, then `AND` inside `[…]`.

use super::ast::{
    Cidr, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, PathStep, Qualifier,
    Regex, Test,
};
use super::lexer::{is_keyword, Lexer, Tok, Token};
use super::PatternError;

/// Parentheses and brackets nest at most this deep.
pub(super) const MAX_NESTING: usize = 64;
/// A pattern has at most this many qualifiers.
pub(super) const MAX_QUALIFIERS: usize = 64;

pub(super) fn parse(text: &str) -> Result<ObservationExpr, PatternError> {
    let mut lexer = Lexer::new(text);
    let tok = lexer.next_token()?;
    let mut parser = Parser {
        lexer,
        tok,
        depth: 0,
        qualifiers: 0,
    };
    let expr = parser.followed_by()?;
    if parser.tok.tok != Tok::Eof {
        return Err(parser.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern"));
    }
    Ok(expr)
}

struct Parser {
    lexer: Lexer,
    /// The lookahead token.
    tok: Token,
    depth: usize,
    qualifiers: usize,
}

fn error(offset: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        offset,
        message: message.into(),
    }
}

enum Operator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
}

/// One operand stays itself; more become `wrap(operands)`.
fn collapse<T>(operands: Vec<T>, wrap: fn(Vec<T>) -> T) -> T {
    match <[T; 1]>::try_from(operands) {
        Ok([one]) => one,
        Err(many) => wrap(many),
    }
}

impl Parser {
    /// Consumes the lookahead token.
    fn bump(&mut self) -> Result<Token, PatternError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.tok, next))
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(&self.tok.tok, Tok::Word(w) if w == word)
    }

    fn unexpected(&self, expected: &str) -> PatternError {
        error(
            self.tok.offset,
            format!("expected {expected}, found {}", self.tok.tok),
        )
    }

    fn expect(&mut self, tok: Tok, expected: &str) -> Result<(), PatternError> {
        if self.tok.tok == tok {
            self.bump().map(drop)
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), PatternError> {
        if self.is_word(word) {
            self.bump().map(drop)
        } else {
            Err(self.unexpected(word))
        }
    }

    /// Enters a `(` or `[` at the lookahead token.
    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(error(
                self.tok.offset,
                format!("nesting deeper than {MAX_NESTING} levels"),
            ));
        }
        self.bump().map(drop)
    }

    fn leave(&mut self, close: Tok, expected: &str) -> Result<(), PatternError> {
        self.expect(close, expected)?;
        self.depth -= 1;
        Ok(())
    }

    fn followed_by(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut operands = vec![self.observation_or()?];
        while self.is_word("FOLLOWEDBY") {
            self.bump()?;
            operands.push(self.observation_or()?);
        }
        Ok(collapse(operands, ObservationExpr::FollowedBy))
    }

    fn observation_or(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut operands = vec![self.observation_and()?];
        while self.is_word("OR") {
            self.bump()?;
            operands.push(self.observation_and()?);
        }
        Ok(collapse(operands, ObservationExpr::Or))
    }

    fn observation_and(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut operands = vec![self.qualified()?];
        while self.is_word("AND") {
            self.bump()?;
            operands.push(self.qualified()?);
        }
        Ok(collapse(operands, ObservationExpr::And))
    }

    fn qualified(&mut self) -> Result<ObservationExpr, PatternError> {
        let expr = self.observation_primary()?;
        let mut qualifiers = Vec::new();
        loop {
            let offset = self.tok.offset;
            let qualifier = if self.is_word("WITHIN") {
                self.within()?
            } else if self.is_word("REPEATS") {
                self.repeats()?
            } else if self.is_word("START") {
                self.start_stop()?
            } else {
                break;
            };
            self.qualifiers += 1;
            if self.qualifiers > MAX_QUALIFIERS {
                return Err(error(
                    offset,
                    format!("too many qualifiers (at most {MAX_QUALIFIERS})"),
                ));
            }
            qualifiers.push(qualifier);
        }
        if qualifiers.is_empty() {
            return Ok(expr);
        }
        Ok(match expr {
            ObservationExpr::Qualified(inner, mut earlier) => {
                earlier.extend(qualifiers);
                ObservationExpr::Qualified(inner, earlier)
            }
            other => ObservationExpr::Qualified(Box::new(other), qualifiers),
        })
    }

    fn within(&mut self) -> Result<Qualifier, PatternError> {
        self.bump()?;
        let seconds = match self.tok.tok {
            Tok::Int(n) if n > 0 => n as f64,
            Tok::Float(x) if x > 0.0 => x,
            _ => return Err(self.unexpected("a positive number of seconds after WITHIN")),
        };
        self.bump()?;
        self.expect_word("SECONDS")?;
        Ok(Qualifier::Within(seconds))
    }

    fn repeats(&mut self) -> Result<Qualifier, PatternError> {
        self.bump()?;
        let count = match self.tok.tok {
            Tok::Int(n) if n > 0 => u64::try_from(n)
                .map_err(|_| error(self.tok.offset, "REPEATS count out of range"))?,
            _ => return Err(self.unexpected("a positive integer after REPEATS")),
        };
        self.bump()?;
        self.expect_word("TIMES")?;
        Ok(Qualifier::Repeats(count))
    }

    fn start_stop(&mut self) -> Result<Qualifier, PatternError> {
        self.bump()?;
        let Tok::Timestamp(start) = self.tok.tok else {
            return Err(self.unexpected("a timestamp t'…' after START"));
        };
        self.bump()?;
        self.expect_word("STOP")?;
        let Tok::Timestamp(stop) = self.tok.tok else {
            return Err(self.unexpected("a timestamp t'…' after STOP"));
        };
        self.bump()?;
        Ok(Qualifier::StartStop(start, stop))
    }

    fn observation_primary(&mut self) -> Result<ObservationExpr, PatternError> {
        match self.tok.tok {
            Tok::LBracket => {
                self.enter()?;
                let inner = self.comparison_or()?;
                self.leave(Tok::RBracket, "']'")?;
                Ok(ObservationExpr::Comparison(inner))
            }
            Tok::LParen => {
                self.enter()?;
                let inner = self.followed_by()?;
                self.leave(Tok::RParen, "')'")?;
                Ok(inner)
            }
            _ => Err(self.unexpected("'[' or '('")),
        }
    }

    fn comparison_or(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut operands = vec![self.comparison_and()?];
        while self.is_word("OR") {
            self.bump()?;
            operands.push(self.comparison_and()?);
        }
        Ok(collapse(operands, ComparisonExpr::Or))
    }

    fn comparison_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        let mut operands = vec![self.comparison_primary()?];
        while self.is_word("AND") {
            self.bump()?;
            operands.push(self.comparison_primary()?);
        }
        Ok(collapse(operands, ComparisonExpr::And))
    }

    fn comparison_primary(&mut self) -> Result<ComparisonExpr, PatternError> {
        if self.tok.tok == Tok::LParen {
            self.enter()?;
            let inner = self.comparison_or()?;
            self.leave(Tok::RParen, "')'")?;
            return Ok(inner);
        }
        let path = self.object_path()?;
        let negated = self.is_word("NOT");
        if negated {
            self.bump()?;
        }
        let test = self.test(negated)?;
        Ok(ComparisonExpr::Test(Comparison {
            path,
            negated,
            test,
        }))
    }

    fn test(&mut self, negated: bool) -> Result<Test, PatternError> {
        let operator = self.operator(negated)?;
        Ok(match operator {
            Operator::Eq => Test::Eq(self.literal(false)?),
            Operator::Ne => Test::Ne(self.literal(false)?),
            Operator::Lt => Test::Lt(self.literal(true)?),
            Operator::Le => Test::Le(self.literal(true)?),
            Operator::Gt => Test::Gt(self.literal(true)?),
            Operator::Ge => Test::Ge(self.literal(true)?),
            Operator::In => Test::In(self.set()?),
            Operator::Like => Test::Like(self.string("LIKE")?.0),
            Operator::Matches => {
                let (source, offset) = self.string("MATCHES")?;
                let regex = Regex::new(&source).map_err(|e| {
                    let detail = e.to_string();
                    let detail = detail.lines().last().unwrap_or_default().trim();
                    error(offset, format!("invalid regular expression: {detail}"))
                })?;
                Test::Matches(regex)
            }
            Operator::IsSubset => Test::IsSubset(self.cidr("ISSUBSET")?),
            Operator::IsSuperset => Test::IsSuperset(self.cidr("ISSUPERSET")?),
        })
    }

    /// Consumes a comparison operator.
    fn operator(&mut self, negated: bool) -> Result<Operator, PatternError> {
        let operator = match &self.tok.tok {
            Tok::Eq => Operator::Eq,
            Tok::Ne => Operator::Ne,
            Tok::Lt => Operator::Lt,
            Tok::Le => Operator::Le,
            Tok::Gt => Operator::Gt,
            Tok::Ge => Operator::Ge,
            Tok::Word(w) => match w.as_str() {
                "IN" => Operator::In,
                "LIKE" => Operator::Like,
                "MATCHES" => Operator::Matches,
                "ISSUBSET" => Operator::IsSubset,
                "ISSUPERSET" => Operator::IsSuperset,
                w if !is_keyword(w) => {
                    return Err(error(self.tok.offset, format!("unknown operator '{w}'")));
                }
                _ => return Err(self.unexpected_operator(negated)),
            },
            _ => return Err(self.unexpected_operator(negated)),
        };
        self.bump()?;
        Ok(operator)
    }

    fn unexpected_operator(&self, negated: bool) -> PatternError {
        self.unexpected(if negated {
            "a comparison operator after NOT"
        } else {
            "a comparison operator"
        })
    }

    /// The IP address or CIDR block after `ISSUBSET` or `ISSUPERSET`.
    fn cidr(&mut self, operator: &str) -> Result<Cidr, PatternError> {
        let (text, offset) = self.string(operator)?;
        Cidr::parse(&text)
            .ok_or_else(|| error(offset, format!("invalid IP address or CIDR block '{text}'")))
    }

    fn literal(&mut self, orderable: bool) -> Result<Literal, PatternError> {
        let literal = match &self.tok.tok {
            Tok::Str(s) => Literal::String(s.clone()),
            Tok::Int(i) => Literal::Int(*i),
            Tok::Float(x) => Literal::Float(*x),
            Tok::Bool(_) if orderable => {
                return Err(error(self.tok.offset, "booleans cannot be ordered"));
            }
            Tok::Bool(b) => Literal::Bool(*b),
            Tok::Timestamp(t) => Literal::Timestamp(*t),
            Tok::Hex(bytes) => Literal::Hex(bytes.clone()),
            Tok::Base64(bytes) => Literal::Base64(bytes.clone()),
            _ => return Err(self.unexpected("a constant")),
        };
        self.bump()?;
        Ok(literal)
    }

    /// A string constant after `operator`, with its offset.
    fn string(&mut self, operator: &str) -> Result<(String, usize), PatternError> {
        let offset = self.tok.offset;
        match &self.tok.tok {
            Tok::Str(s) => {
                let s = s.clone();
                self.bump()?;
                Ok((s, offset))
            }
            _ => Err(self.unexpected(&format!("a string after {operator}"))),
        }
    }

    fn set(&mut self) -> Result<Vec<Literal>, PatternError> {
        self.expect(Tok::LParen, "'(' after IN")?;
        let mut members = Vec::new();
        if self.tok.tok == Tok::RParen {
            self.bump()?;
            return Ok(members);
        }
        loop {
            members.push(self.literal(false)?);
            match self.tok.tok {
                Tok::Comma => self.bump().map(drop)?,
                Tok::RParen => {
                    self.bump()?;
                    return Ok(members);
                }
                _ => return Err(self.unexpected("',' or ')'")),
            }
        }
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match &self.tok.tok {
            Tok::Word(w) if !is_keyword(w) => w.clone(),
            Tok::Word(w) => {
                return Err(error(
                    self.tok.offset,
                    format!("expected an object type, found the keyword '{w}'"),
                ))
            }
            _ => return Err(self.unexpected("an object type")),
        };
        self.bump()?;
        self.expect(Tok::Colon, "':' after the object type")?;
        let property = self.property_name()?;
        let mut steps = Vec::new();
        loop {
            match self.tok.tok {
                Tok::Dot => {
                    self.bump()?;
                    steps.push(PathStep::Key(self.property_name()?));
                }
                Tok::LBracket => {
                    self.bump()?;
                    let step = match self.tok.tok {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int(i) => PathStep::Index(u64::try_from(i).map_err(|_| {
                            error(self.tok.offset, "list indexes must not be negative")
                        })?),
                        _ => return Err(self.unexpected("a list index or '*'")),
                    };
                    self.bump()?;
                    self.expect(Tok::RBracket, "']'")?;
                    steps.push(step);
                }
                _ => break,
            }
        }
        Ok(ObjectPath {
            object_type,
            property,
            steps,
        })
    }

    fn property_name(&mut self) -> Result<String, PatternError> {
        let offset = self.tok.offset;
        let name = match &self.tok.tok {
            Tok::Str(s) => s.clone(),
            Tok::Word(w) if w.contains('-') => {
                return Err(error(
                    offset,
                    format!("property name '{w}' contains '-': quote it as '{w}'"),
                ))
            }
            Tok::Word(w) if is_keyword(w) => {
                return Err(error(
                    offset,
                    format!("expected a property name, found the keyword '{w}' (quote it to use it as a name)"),
                ))
            }
            Tok::Word(w) => w.clone(),
            _ => return Err(self.unexpected("a property name")),
        };
        self.bump()?;
        Ok(name)
    }
}
