//! Small fast helpers: timestamps, lenient JSON strings.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Parses an ISO 8601 / RFC 3339 timestamp as sensors write it:
/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]` (a space instead of `T`
/// is accepted; no offset means UTC). Suricata writes `+0900`-style offsets.
pub fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let min = digits(&b[14..16])?;
    let sec = digits(&b[17..19])?;
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, d) in frac[..n].iter().enumerate() {
            if i < 9 {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
            }
        }
        rest = &frac[n..];
    }
    let offset_secs: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), tz @ ..] => {
            let (h, m) = match tz {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let o = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    // The checks chrono's `NaiveDate::from_ymd_opt` and `and_hms_nano_opt`
    // make, and the epoch seconds computed directly: this runs per record.
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 {
        return None;
    }
    let sec = sec.min(59); // a leap second is folded into :59
    let utc = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60 + sec)
        - offset_secs;
    DateTime::from_timestamp(utc, nanos)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a Unix epoch timestamp written in decimal (`1700000000.123456`),
/// exactly (no float rounding).
pub fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let (neg, int) = match int.strip_prefix('-') {
        Some(i) => (true, i),
        None => (false, int),
    };
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut secs: i64 = int.parse().ok()?;
    let mut nanos = 0u32;
    for (i, d) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
    }
    if neg {
        secs = -secs;
        if nanos > 0 {
            secs -= 1;
            nanos = 1_000_000_000 - nanos;
        }
    }
    DateTime::from_timestamp(secs, nanos)
}

/// From a float epoch as JSON carries it, rounded to the microsecond.
pub fn epoch_from_f64(f: f64) -> Option<DateTime<Utc>> {
    if !f.is_finite() || f.abs() > 1e12 {
        return None;
    }
    let micros = (f * 1e6).round() as i64;
    DateTime::from_timestamp_micros(micros)
}

/// A JSON value that is kept when it is a string and ignored otherwise, so that
/// an unexpected shape of a field we only read opportunistically (a DNS
/// `rdata` that is an object for SOA records) does not reject the record.
#[derive(Debug, Default)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) struct LStr<'a>(pub Option<Cow<'a, str>>);

impl<'a> LStr<'a> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LStr(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LStr(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn iso8601_forms() {
        let t = parse_iso8601("2017-04-07T22:24:37.251547+0100").unwrap();
        assert_eq!(t.to_rfc3339(), "2017-04-07T21:24:37.251547+00:00");
        let t = parse_iso8601("2023-11-15T10:15:30.5+09:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2023-11-15T01:15:30.500+00:00");
        let t = parse_iso8601("2009-11-24T21:27:09.534255").unwrap();
        assert_eq!(t.timestamp_subsec_micros(), 534255);
        assert!(parse_iso8601("2023-11-15T10:15:30Z").is_some());
        assert!(parse_iso8601("2023-13-15T10:15:30Z").is_none());
        assert!(parse_iso8601("2023-11-15T10:15:30+2500").is_none());
        assert!(parse_iso8601("2023-11-15T10:15:30.").is_none());
        assert!(parse_iso8601("2023-11-15").is_none());
    }

    #[test]
    fn dates_agree_with_chrono() {
        let reference = |y: i32, mo: u32, d: u32, h: u32, mi: u32, se: u32| {
            let date = NaiveDate::from_ymd_opt(y, mo, d)?;
            let t = date.and_hms_nano_opt(h, mi, se.min(59), 250_000_000)?;
            DateTime::from_timestamp(t.and_utc().timestamp() - 9 * 3600, 250_000_000)
        };
        let mut n = 0;
        for y in [
            0, 1, 4, 100, 399, 400, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999,
        ] {
            for mo in 0..=13 {
                for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                    for (h, mi, se) in [(0, 0, 0), (23, 59, 60), (24, 0, 0), (12, 60, 1)] {
                        let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}.25+0900");
                        assert_eq!(
                            parse_iso8601(&text),
                            reference(y, mo, d, h, mi, se),
                            "{text}"
                        );
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 6000);
    }

    #[test]
    fn epoch_forms() {
        let t = parse_epoch("1700000000.123456").unwrap();
        assert_eq!(t.timestamp(), 1_700_000_000);
        assert_eq!(t.timestamp_subsec_micros(), 123_456);
        assert_eq!(
            parse_epoch("1700000000").unwrap().timestamp(),
            1_700_000_000
        );
        assert!(parse_epoch("17e9").is_none());
        assert!(parse_epoch("").is_none());
        assert!(parse_epoch("-").is_none());
        let t = epoch_from_f64(1_700_000_000.123456).unwrap();
        assert_eq!(t.timestamp_subsec_micros(), 123_456);
    }
}

/// A JSON number (or numeric string) that fits `u64`; `null` is none. Other
/// values (negative, fractional, non-numeric strings, arrays, objects) are
/// errors.
#[derive(Debug, Default, Clone, Copy)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) struct LNum(pub Option<u64>);

impl<'de> Deserialize<'de> for LNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LNum;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LNum, E> {
                Ok(LNum(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LNum, E> {
                u64::try_from(v)
                    .map(|v| LNum(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LNum, E> {
                if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                    Ok(LNum(Some(v as u64)))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LNum, E> {
                v.trim()
                    .parse()
                    .map(|v| LNum(Some(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LNum, E> {
                Ok(LNum(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<LNum, E> {
                Ok(LNum(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LNum, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_any(V)
    }
}

/// Turns a serde_json error on one line into a [`crate::RecordError`], with
/// the path of the offending field found by a second, slow pass.
pub(crate) fn json_error<'de, T: Deserialize<'de>>(
    line: &'de [u8],
    e: serde_json::Error,
) -> crate::RecordError {
    use crate::error::{ErrorKind, RecordError};
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Data => ErrorKind::Field,
        Category::Io | Category::Syntax | Category::Eof => ErrorKind::Syntax,
    };
    let mut field = None;
    if kind == ErrorKind::Field {
        let de = &mut serde_json::Deserializer::from_slice(line);
        if let Err(pe) = serde_path_to_error::deserialize::<_, T>(de) {
            let p = pe.path().to_string();
            if p != "." && !p.is_empty() {
                field = Some(p);
            }
        }
    }
    let mut message = e.to_string();
    // serde_json appends " at line L column C"; the reader gives the location.
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    RecordError {
        kind,
        field,
        column: (e.column() > 0).then_some(e.column()),
        message,
    }
}
