//! Reading condition values as numbers, dates, IP ranges and ARN patterns (IAM User
//! Guide, "IAM JSON policy elements: Condition operators"). Every reader returns `None`
//! for text it cannot read; the caller turns that into an unknown, never a guess.

use std::cmp::Ordering;
use std::net::IpAddr;

use crate::wildcard_matches;

/// A decimal number: optional sign, digits, optional fraction. No exponents, `inf` or
/// `NaN`, which IAM does not document.
pub(crate) fn number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && frac.is_empty());
    ok.then(|| s.parse::<f64>().ok()).flatten()
}

/// An instant: seconds since the epoch and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Instant {
    secs: i64,
    nanos: u32,
}

/// A date as IAM reads it: one of the W3C profiles of ISO 8601 (`YYYY-MM`,
/// `YYYY-MM-DD`, `YYYY-MM-DDThh:mmTZD`, `…:ss`, `…:ss.s`, with `Z` or `±hh:mm`), or
/// epoch seconds. A bare four-digit `YYYY` could be either, and is not read.
pub(crate) fn date(s: &str) -> Option<Instant> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return (s.len() != 4)
            .then(|| s.parse::<i64>().ok())
            .flatten()
            .map(|secs| Instant { secs, nanos: 0 });
    }
    iso8601(s)
}

fn iso8601(s: &str) -> Option<Instant> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut fields = date.split('-');
    let year: i64 = fixed_digits(fields.next()?, 4)?;
    let month: i64 = fields.next().map_or(Some(1), |m| fixed_digits(m, 2))?;
    let day_field = fields.next();
    let day: i64 = day_field.map_or(Some(1), |d| fixed_digits(d, 2))?;
    if fields.next().is_some() || !(1..=12).contains(&month) {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let (seconds_of_day, nanos, offset) = match time {
        None => (0, 0, 0),
        // A time needs a full date (W3C "Date and Time Formats").
        Some(_) if day_field.is_none() => return None,
        Some(t) => clock(t)?,
    };
    Some(Instant {
        secs: days * 86_400 + seconds_of_day - offset,
        nanos,
    })
}

/// `hh:mm[:ss[.s…]]TZD` as (seconds of the day, nanoseconds, offset in seconds).
fn clock(t: &str) -> Option<(i64, u32, i64)> {
    let (clock, offset) = if let Some(c) = t.strip_suffix('Z') {
        (c, 0)
    } else {
        let at = t.rfind(['+', '-'])?;
        let (c, tz) = t.split_at(at);
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let (h, m) = tz.get(1..)?.split_once(':')?;
        let (h, m): (i64, i64) = (fixed_digits(h, 2)?, fixed_digits(m, 2)?);
        if h > 23 || m > 59 {
            return None;
        }
        (c, sign * (h * 3600 + m * 60))
    };
    let mut parts = clock.split(':');
    let hour: i64 = fixed_digits(parts.next()?, 2)?;
    let minute: i64 = fixed_digits(parts.next()?, 2)?;
    let (second, nanos) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if sec.contains('.')
                && (frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()))
            {
                return None;
            }
            let nanos = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<9}").parse::<u32>().ok()?
            };
            (fixed_digits::<i64>(whole, 2)?, nanos)
        }
    };
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((hour * 3600 + minute * 60 + second, nanos, offset))
}

fn fixed_digits<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An IPv4 or IPv6 range in CIDR notation; a bare address is `/32` (or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u32,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let bits = bits(addr);
        let prefix = match prefix {
            None => bits,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= bits).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the range; an address of the other family never is.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        let shift = bits(ip) - self.prefix;
        let high = |a: IpAddr| as_u128(a).checked_shr(shift).unwrap_or(0);
        high(ip) == high(self.addr)
    }
}

fn bits(addr: IpAddr) -> u32 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn as_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// A request's IP address (a bare address, as `aws:SourceIp` has it).
pub(crate) fn ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// `ArnLike`/`ArnEquals`: each of the six colon-separated parts matched on its own,
/// with wildcards. `None` when the pattern is not six parts; a value that is not an ARN
/// does not match.
pub(crate) fn arn_like(pattern: &str, value: &str) -> Option<bool> {
    let pattern: Vec<&str> = pattern.splitn(6, ':').collect();
    if pattern.len() != 6 {
        return None;
    }
    let value: Vec<&str> = value.splitn(6, ':').collect();
    Some(
        value.len() == 6
            && pattern
                .iter()
                .zip(&value)
                .all(|(p, v)| wildcard_matches(p, v)),
    )
}

/// Compares two numbers; `None` only for NaN, which [`number`] never returns.
pub(crate) fn compare_numbers(a: f64, b: f64) -> Option<Ordering> {
    a.partial_cmp(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        date(s).unwrap_or_else(|| panic!("{s} should read")).secs
    }

    #[test]
    fn dates() {
        assert_eq!(at("1970-01-01"), 0);
        assert_eq!(at("1970-01-01T00:00:00Z"), 0);
        assert_eq!(at("2020-01-01T00:00:01Z"), 1_577_836_801);
        assert_eq!(at("1577836801"), 1_577_836_801);
        assert_eq!(at("2020-01-01T01:00:00+01:00"), 1_577_836_800);
        assert_eq!(at("2019-12-31T23:00-01:00"), 1_577_836_800);
        assert_eq!(at("2020-02"), at("2020-02-01"));
        assert_eq!(at("2024-02-29"), 1_709_164_800);
        assert_eq!(at("1969-12-31T23:59:59Z"), -1);
        assert!(date("2020-01-01T00:00:00.5Z") > date("2020-01-01T00:00:00Z"));
        for bad in [
            "",
            "2020",
            "2020-13-01",
            "2023-02-29",
            "2020-01-01T00:00:00",
            "2020-01-01T24:00Z",
            "2020-01-01T00:00:60Z",
            "2020-1-01",
            "2020-01T10:00Z",
            "yesterday",
            "2020-01-01T00:00:00.Z",
        ] {
            assert_eq!(date(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The calendar arithmetic agrees with jiff's RFC 3339 reading on every instant
        /// both can spell.
        #[test]
        fn dates_agree_with_jiff(
            year in 1i64..=9999, month in 1i64..=12, day in 1i64..=31, hour in 0i64..24,
            minute in 0i64..60, second in 0i64..60, nanos in proptest::option::of(0u32..1_000_000_000),
            offset in proptest::option::of((-23i64..=23, 0i64..60)),
        ) {
            proptest::prop_assume!(day <= days_in_month(year, month));
            let fraction = nanos.map_or(String::new(), |n| format!(".{n:09}"));
            let zone = offset.map_or("Z".to_owned(), |(h, m)| {
                format!("{}{:02}:{m:02}", if h < 0 { '-' } else { '+' }, h.abs())
            });
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}");
            let theirs: jiff::Timestamp = text.parse().map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{text}: {e}")))?;
            let ours = date(&text).map(|i| i128::from(i.secs) * 1_000_000_000 + i128::from(i.nanos));
            proptest::prop_assert_eq!(ours, Some(theirs.as_nanosecond()), "{}", text);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number("10"), Some(10.0));
        assert_eq!(number("-1.5"), Some(-1.5));
        for bad in ["", "inf", "NaN", "1e3", "1.", ".5", "0x10", "ten"] {
            assert_eq!(number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains(ip("203.0.113.200").unwrap()));
        assert!(!net.contains(ip("203.0.114.1").unwrap()));
        assert!(!net.contains(ip("2001:db8::1").unwrap()));
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7").unwrap()));
        assert!(!one.contains(ip("192.0.2.8").unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains(ip("2001:db8:1234:5678:abcd::1").unwrap()));
        assert!(!v6.contains(ip("2001:db8:1234:5679::1").unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("8.8.8.8").unwrap())
        );
        assert!(Cidr::parse("::/0").unwrap().contains(ip("::1").unwrap()));
        for bad in [
            "203.0.113.0/33",
            "203.0.113.0/",
            "300.1.1.1",
            "2001:db8::/129",
            "x",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn arn_patterns() {
        // The IAM User Guide's example: StringLike matches, ArnLike does not.
        let pattern = "arn:aws:someservice:*:111122223333:finance/*";
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        assert!(wildcard_matches(pattern, value));
        assert_eq!(arn_like(pattern, value), Some(false));
        assert_eq!(
            arn_like(
                pattern,
                "arn:aws:someservice:us-east-2:111122223333:finance/x"
            ),
            Some(true)
        );
        assert_eq!(arn_like("*", value), None);
        assert_eq!(arn_like(pattern, "not-an-arn"), Some(false));
    }
}
