//! The two timestamp formats signatures use: ISO 8601 basic (`20130524T000000Z`)
//! and the HTTP date (`Fri, 24 May 2013 00:00:00 GMT`). Parsing never panics.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses `n` ASCII digits into a number; `None` on any non-digit.
fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            Some(acc * 10 + u32::from(b - b'0'))
        } else {
            None
        }
    })
}

fn build(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<OffsetDateTime> {
    let year = i32::try_from(year).ok()?;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses the ISO 8601 basic format of `X-Amz-Date` (`yyyyMMddTHHmmssZ`).
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    build(
        digits(&b[0..4])?,
        digits(&b[4..6])?,
        digits(&b[6..8])?,
        digits(&b[9..11])?,
        digits(&b[11..13])?,
        digits(&b[13..15])?,
    )
}

/// Appends `value` as exactly `width` decimal digits (`value < 10^width`).
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut div = 10u32.pow(width.saturating_sub(1));
    while div > 0 {
        out.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

/// Appends `yyyyMMdd` of a UTC time whose year is within `0..=9999`; false otherwise.
fn push_date_stamp(out: &mut String, t: OffsetDateTime) -> bool {
    let Ok(year) = u32::try_from(t.year()) else {
        return false;
    };
    if year > 9999 {
        return false;
    }
    push_digits(out, year, 4);
    push_digits(out, u32::from(u8::from(t.month())), 2);
    push_digits(out, u32::from(t.day()), 2);
    true
}

/// Appends `yyyyMMddTHHmmssZ` of `t` (converted to UTC first) to `out`.
pub(crate) fn push_amz_date(out: &mut String, t: OffsetDateTime) {
    let t = t.to_offset(UtcOffset::UTC);
    if !push_date_stamp(out, t) {
        out.push_str(&format_amz_date(t));
        return;
    }
    out.push('T');
    push_digits(out, u32::from(t.hour()), 2);
    push_digits(out, u32::from(t.minute()), 2);
    push_digits(out, u32::from(t.second()), 2);
    out.push('Z');
}

/// `yyyyMMddTHHmmssZ` of `t` on the stack (years `0..=9999`, all a SigV4 date can hold);
/// `None` for other years.
pub(crate) fn amz_date_bytes(t: OffsetDateTime) -> Option<[u8; 16]> {
    let t = t.to_offset(UtcOffset::UTC);
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = [0u8; 16];
    let fields = [
        (0, 4, year),
        (4, 2, u32::from(u8::from(t.month()))),
        (6, 2, u32::from(t.day())),
        (9, 2, u32::from(t.hour())),
        (11, 2, u32::from(t.minute())),
        (13, 2, u32::from(t.second())),
    ];
    for (at, width, mut value) in fields {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    out[8] = b'T';
    out[15] = b'Z';
    Some(out)
}

/// Formats a time as `yyyyMMddTHHmmssZ` (converted to UTC first).
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    if (0..=9999).contains(&t.year()) {
        let mut out = String::with_capacity(16);
        push_amz_date(&mut out, t);
        return out;
    }
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Formats the date part as `yyyyMMdd` (the credential scope date).
pub fn format_date_stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut out = String::with_capacity(8);
    if push_date_stamp(&mut out, t) {
        return out;
    }
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

/// `format_date_stamp(t) == stamp`, without allocating in the usual case.
pub(crate) fn date_stamp_eq(t: OffsetDateTime, stamp: &str) -> bool {
    let t = t.to_offset(UtcOffset::UTC);
    match (u32::try_from(t.year()), stamp.as_bytes()) {
        (Ok(year @ 0..=9999), b) if b.len() == 8 => {
            digits(&b[0..4]) == Some(year)
                && digits(&b[4..6]) == Some(u32::from(u8::from(t.month())))
                && digits(&b[6..8]) == Some(u32::from(t.day()))
        }
        _ => format_date_stamp(t) == stamp,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn parse_hms(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

fn month_number(s: &str) -> Option<u32> {
    let idx = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(s))?;
    u32::try_from(idx + 1).ok()
}

/// Parses an HTTP date: RFC 1123 (`Fri, 24 May 2013 00:00:00 GMT`), RFC 850
/// (`Friday, 24-May-13 00:00:00 GMT`), asctime (`Fri May 24 00:00:00 2013`),
/// or, leniently, the ISO 8601 basic format.
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Some(t) = parse_amz_date(s) {
        return Some(t);
    }
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    match parts.as_slice() {
        // RFC 1123: Sun, 06 Nov 1994 08:49:37 GMT
        [_wkday, day, mon, year, hms, tz]
            if tz.eq_ignore_ascii_case("GMT") || *tz == "UTC" || *tz == "+0000" =>
        {
            let (h, m, sec) = parse_hms(hms)?;
            build(
                digits(year.as_bytes())?,
                month_number(mon)?,
                digits(day.as_bytes())?,
                h,
                m,
                sec,
            )
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [_wkday, dmy, hms, tz] if tz.eq_ignore_ascii_case("GMT") => {
            let mut it = dmy.split('-');
            let (day, mon, year) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() {
                return None;
            }
            let mut year = digits(year.as_bytes())?;
            if year < 100 {
                year += if year < 70 { 2000 } else { 1900 };
            }
            let (h, m, sec) = parse_hms(hms)?;
            build(year, month_number(mon)?, digits(day.as_bytes())?, h, m, sec)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_wkday, mon, day, hms, year] => {
            let (h, m, sec) = parse_hms(hms)?;
            build(
                digits(year.as_bytes())?,
                month_number(mon)?,
                digits(day.as_bytes())?,
                h,
                m,
                sec,
            )
        }
        _ => None,
    }
}

/// Formats a time as an RFC 1123 HTTP date (`Fri, 24 May 2013 00:00:00 GMT`).
pub fn format_http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let wd = WEEKDAYS[usize::from(t.weekday().number_days_from_monday()) % 7];
    let mon = MONTHS[usize::from(u8::from(t.month()).saturating_sub(1)) % 12];
    format!(
        "{wd}, {:02} {mon} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn amz_date_round_trip() {
        let t = parse_amz_date("20130524T000000Z");
        assert_eq!(t, Some(datetime!(2013-05-24 0:00 UTC)));
        assert_eq!(
            format_amz_date(datetime!(2013-05-24 0:00 UTC)),
            "20130524T000000Z"
        );
        assert_eq!(
            format_date_stamp(datetime!(2013-05-24 23:59 UTC)),
            "20130524"
        );
    }

    #[test]
    fn fast_formatting_matches_format_macro() {
        for t in [
            datetime!(2013-05-24 0:00 UTC),
            datetime!(0000-01-01 0:00 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
            datetime!(0042-02-03 04:05:06 UTC),
            datetime!(2026-11-17 23:30:00 -02:00),
            datetime!(-0001-12-31 23:59:59 UTC),
        ] {
            let u = t.to_offset(UtcOffset::UTC);
            let slow_date = format!("{:04}{:02}{:02}", u.year(), u8::from(u.month()), u.day());
            let slow = format!(
                "{slow_date}T{:02}{:02}{:02}Z",
                u.hour(),
                u.minute(),
                u.second()
            );
            assert_eq!(format_amz_date(t), slow);
            match amz_date_bytes(t) {
                Some(b) => assert_eq!(std::str::from_utf8(&b).unwrap(), slow),
                None => assert!(u.year() < 0),
            }
            assert_eq!(format_date_stamp(t), slow_date);
            assert!(date_stamp_eq(t, &slow_date));
            for other in [
                "",
                "2013052",
                "201305244",
                "2013O524",
                "20130525",
                "+0130524",
            ] {
                assert_eq!(date_stamp_eq(t, other), slow_date == other, "{other}");
            }
        }
    }

    #[test]
    fn amz_date_rejects_garbage() {
        for bad in [
            "",
            "20130524T000000",
            "20131324T000000Z",
            "20130230T000000Z",
            "20130524T250000Z",
            "2013052XT000000Z",
            "+0130524T000000Z",
            "20130524 000000Z",
            "２０13",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates() {
        let want = Some(datetime!(2013-05-24 0:00 UTC));
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), want);
        assert_eq!(parse_http_date("Friday, 24-May-13 00:00:00 GMT"), want);
        assert_eq!(parse_http_date("Fri May 24 00:00:00 2013"), want);
        assert_eq!(parse_http_date("20130524T000000Z"), want);
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00"), None);
        assert_eq!(parse_http_date("Fri, 32 May 2013 00:00:00 GMT"), None);
        assert_eq!(
            format_http_date(datetime!(2013-05-24 0:00 UTC)),
            "Fri, 24 May 2013 00:00:00 GMT"
        );
    }
}
