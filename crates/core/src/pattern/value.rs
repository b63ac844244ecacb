//! Whether one cyber-observable object satisfies a comparison expression: the values
//! an object path selects, and the comparison operators on them.

use super::ast::{Comparison, ComparisonExpr, Literal, ObjectPath, PathStep, Test};
use super::literal::{decode_base64, latin1, parse_json_timestamp};
use ipnet::IpNet;
use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::IpAddr;

/// The objects of one observation by `id`, to resolve `*_ref` and `*_refs`.
pub(super) type Ids<'a> = HashMap<&'a str, &'a Value>;

pub(super) fn index_ids(objects: &[Value]) -> Ids<'_> {
    objects
        .iter()
        .filter_map(|o| Some((o.get("id")?.as_str()?, o)))
        .collect()
}

/// Whether `object` satisfies `expr`: every test of an `AND` about this same object.
pub(super) fn object_matches(expr: &ComparisonExpr, object: &Value, ids: &Ids<'_>) -> bool {
    match expr {
        ComparisonExpr::Test(c) => test_matches(c, object, ids),
        ComparisonExpr::And(v) => v.iter().all(|e| object_matches(e, object, ids)),
        ComparisonExpr::Or(v) => v.iter().any(|e| object_matches(e, object, ids)),
    }
}

/// A test holds when some selected value passes it; a missing property selects
/// nothing, so every test on it is false (`!=` and `NOT` included).
fn test_matches(c: &Comparison, object: &Value, ids: &Ids<'_>) -> bool {
    if object.get("type").and_then(Value::as_str) != Some(c.path.object_type.as_str()) {
        return false;
    }
    select(object, &c.path, ids)
        .iter()
        .any(|v| holds(&c.test, v).is_some_and(|b| b != c.negated))
}

/// A value selected by a path.
enum Val<'a> {
    Json(&'a Value),
    /// A `*_hex` or `*_bin` property, decoded.
    Bytes(Vec<u8>),
    /// A `*_refs` list, resolved (unresolved references dropped).
    Refs(Vec<&'a Value>),
}

fn select<'a>(object: &'a Value, path: &ObjectPath, ids: &Ids<'a>) -> Vec<Val<'a>> {
    let mut values = key_step(vec![Val::Json(object)], &path.property, ids);
    for step in &path.steps {
        if values.is_empty() {
            break;
        }
        values = match step {
            PathStep::Key(key) => key_step(values, key, ids),
            PathStep::Index(i) => {
                let i = usize::try_from(*i).unwrap_or(usize::MAX);
                values
                    .into_iter()
                    .filter_map(|v| match v {
                        Val::Json(Value::Array(items)) => items.get(i).map(Val::Json),
                        Val::Refs(objects) => objects.get(i).map(|&o| Val::Json(o)),
                        _ => None,
                    })
                    .collect()
            }
            PathStep::AnyIndex => values
                .into_iter()
                .flat_map(|v| match v {
                    Val::Json(Value::Array(items)) => items.iter().map(Val::Json).collect(),
                    Val::Refs(objects) => objects.into_iter().map(Val::Json).collect(),
                    _ => Vec::new(),
                })
                .collect(),
        };
    }
    values
}

fn key_step<'a>(values: Vec<Val<'a>>, key: &str, ids: &Ids<'a>) -> Vec<Val<'a>> {
    let resolve = |r: &Value| r.as_str().and_then(|id| ids.get(id).copied());
    values
        .into_iter()
        .filter_map(|v| {
            let Val::Json(Value::Object(map)) = v else {
                return None;
            };
            let found = map.get(key)?;
            if key.ends_with("_ref") {
                resolve(found).map(Val::Json)
            } else if key.ends_with("_refs") {
                let objects: Vec<_> = found.as_array()?.iter().filter_map(resolve).collect();
                (!objects.is_empty()).then_some(Val::Refs(objects))
            } else if key.ends_with("_hex") {
                hex::decode(found.as_str()?).ok().map(Val::Bytes)
            } else if key.ends_with("_bin") {
                decode_base64(found.as_str()?).map(Val::Bytes)
            } else {
                Some(Val::Json(found))
            }
        })
        .collect()
}

/// The result of a test on one value before `NOT`; `None` when the operator does not
/// apply to the value (a number for `LIKE`, a non-address for `ISSUBSET`, values of
/// different kinds for `<`, …), which is false with or without `NOT`.
fn holds(test: &Test, v: &Val<'_>) -> Option<bool> {
    let text = match v {
        Val::Json(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    match test {
        Test::Eq(l) => equal(v, l),
        Test::Ne(l) => equal(v, l).map(|b| !b),
        Test::Lt(l) => compare(v, l).map(Ordering::is_lt),
        Test::Le(l) => compare(v, l).map(Ordering::is_le),
        Test::Gt(l) => compare(v, l).map(Ordering::is_gt),
        Test::Ge(l) => compare(v, l).map(Ordering::is_ge),
        Test::In(set) => Some(set.iter().any(|l| equal(v, l) == Some(true))),
        Test::Like(pattern) => text.map(|s| like(pattern, s)),
        Test::Matches(re) => match v {
            Val::Json(Value::String(s)) => Some(re.is_match(s)),
            Val::Bytes(b) => Some(re.is_match_bytes(b)),
            _ => None,
        },
        Test::IsSubset(c) => text.and_then(parse_net).map(|n| c.net().contains(&n)),
        Test::IsSuperset(c) => text.and_then(parse_net).map(|n| n.contains(&c.net())),
    }
}

fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Values of different kinds are unequal, except that a timestamp constant against a
/// string that is no timestamp does not apply.
fn equal(v: &Val<'_>, l: &Literal) -> Option<bool> {
    if let (Val::Json(Value::String(s)), Literal::Timestamp(t)) = (v, l) {
        return parse_json_timestamp(s).map(|s| s == *t);
    }
    Some(compare(v, l) == Some(Ordering::Equal))
}

/// Numbers with numbers, strings with strings (by code point), timestamps with
/// timestamp strings, bytes with bytes or with strings of characters below U+0100,
/// booleans with booleans; `None` for anything else.
fn compare(v: &Val<'_>, l: &Literal) -> Option<Ordering> {
    match (v, l) {
        (Val::Json(Value::String(s)), Literal::String(x)) => Some(s.as_str().cmp(x)),
        (Val::Json(Value::Number(n)), Literal::Int(i)) => compare_int(n, *i),
        (Val::Json(Value::Number(n)), Literal::Float(x)) => n.as_f64()?.partial_cmp(x),
        (Val::Json(Value::Bool(b)), Literal::Bool(x)) => Some(b.cmp(x)),
        (Val::Json(Value::String(s)), Literal::Timestamp(t)) => {
            Some(parse_json_timestamp(s)?.cmp(t))
        }
        (Val::Json(Value::String(s)), Literal::Hex(b) | Literal::Base64(b)) => {
            Some(latin1(s)?.as_slice().cmp(b))
        }
        (Val::Bytes(b), Literal::Hex(x) | Literal::Base64(x)) => Some(b.as_slice().cmp(x)),
        (Val::Bytes(b), Literal::String(s)) => Some(b.as_slice().cmp(&latin1(s)?)),
        _ => None,
    }
}

fn compare_int(n: &Number, i: i128) -> Option<Ordering> {
    if let Some(x) = n.as_i64() {
        Some(i128::from(x).cmp(&i))
    } else if let Some(x) = n.as_u64() {
        Some(i128::from(x).cmp(&i))
    } else {
        n.as_f64()?.partial_cmp(&(i as f64))
    }
}

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one, on the whole text.
fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // The last `%` seen and the text position it currently stands up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('%') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '_' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '%')
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_wildcards() {
        assert!(like("%.exe", "setup.exe"));
        assert!(like("a_c", "abc"));
        assert!(like("%", ""));
        assert!(like("a%b%c", "a-b-b-c"));
        assert!(like("ファ_ル%", "ファイル名"));
        assert!(!like("a_c", "ac"));
        assert!(!like("%.exe", "setup.exe.txt"));
        assert!(!like("abc", "ABC"));
        assert!(!like("", "a"));
    }
}
