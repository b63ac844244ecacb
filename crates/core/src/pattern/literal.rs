//! Encodings of pattern constants: STIX timestamps, base64 and Latin-1 byte strings.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use std::fmt;

/// Parses a STIX timestamp `YYYY-MM-DDThh:mm:ss[.s+]Z` (upper-case `T` and `Z`, any
/// number of fraction digits, of which nanoseconds are kept; second 60 is a leap second).
pub(super) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || b.last() != Some(&b'Z') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let fraction = &b[19..b.len() - 1];
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
            (0..9).fold(0u32, |acc, i| {
                acc * 10 + digits.get(i).map_or(0, |&c| u32::from(c - b'0'))
            })
        }
        _ => return None,
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)?
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?
    };
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// A timestamp in an observed object: the strict STIX form, or any RFC 3339 one.
pub(super) fn parse_json_timestamp(text: &str) -> Option<DateTime<Utc>> {
    parse_timestamp(text).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// Writes `t` in the form [`parse_timestamp`] reads, with the shortest exact fraction.
pub(super) fn write_timestamp(f: &mut fmt::Formatter<'_>, t: &DateTime<Utc>) -> fmt::Result {
    let (mut second, mut nanos) = (t.second(), t.nanosecond());
    if nanos >= 1_000_000_000 {
        second += 1;
        nanos -= 1_000_000_000;
    }
    write!(
        f,
        "{}T{:02}:{:02}:{:02}",
        t.format("%Y-%m-%d"),
        t.hour(),
        t.minute(),
        second
    )?;
    if nanos > 0 {
        let digits = format!("{nanos:09}");
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    f.write_str("Z")
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes standard, padded base64 (`=` only at the end, length a multiple of 4).
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let chunks = text.as_bytes().chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    let groups = chunks.len();
    let mut out = Vec::with_capacity(groups * 3);
    for (i, group) in chunks.enumerate() {
        let pad = group.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for &c in &group[..4 - pad] {
            let v = BASE64.iter().position(|&a| a == c)?;
            n = (n << 6) | u32::try_from(v).ok()?;
        }
        n <<= 6 * pad;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// Encodes standard, padded base64.
pub(super) fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            n |= u32::from(byte) << (16 - 8 * i);
        }
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of a string whose characters are all below U+0100, as the spec compares
/// strings with binary values; `None` for any other string.
pub(super) fn latin1(text: &str) -> Option<Vec<u8>> {
    text.chars().map(|c| u8::try_from(c).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_bad_padding() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let text = encode_base64(bytes);
            assert_eq!(decode_base64(&text).as_deref(), Some(bytes), "{text}");
        }
        assert_eq!(encode_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(decode_base64("Zg=="), Some(b"f".to_vec()));
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Z=g=", "Zm9v!A==", "é"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_are_strict() {
        let t = parse_timestamp("2016-01-20T12:31:12.1234567891Z").unwrap();
        assert_eq!(t.nanosecond(), 123_456_789);
        assert!(parse_timestamp("2016-02-30T00:00:00Z").is_none());
        assert!(parse_timestamp("2016-01-20t12:31:12Z").is_none());
        assert!(parse_timestamp("2016-01-20T12:31:12.Z").is_none());
        assert!(parse_timestamp("2016-01-20T24:00:00Z").is_none());
        assert!(parse_timestamp("2016-01-20T12:31:12+00:00").is_none());
        assert!(parse_timestamp("2016-12-31T23:59:60Z").is_some());
        assert!(parse_json_timestamp("2016-01-20T12:31:12+09:00").is_some());
    }
}
