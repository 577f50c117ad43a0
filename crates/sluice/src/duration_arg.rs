//! Parsing `--expires-in` values: `300`, `90s`, `5m`, `1h`, `7d`.

use anyhow::{bail, Result};

/// Longest validity SigV4 allows for a presigned URL (7 days).
pub const MAX_PRESIGN_SECONDS: u64 = 604_800;

/// Longest validity asked of the server for a URL with a grant (`--max-uses`); the server's
/// `max_grant_days` (default 30) decides.
pub const MAX_GRANT_SECONDS: u64 = 366 * 86_400;

/// Parses a duration into seconds and checks it is within 1s..=7d.
pub fn parse_expires_in(value: &str) -> Result<u64> {
    parse_expires_in_up_to(value, MAX_PRESIGN_SECONDS)
}

/// Parses a duration into seconds and checks it is within 1s..=`max` seconds.
pub fn parse_expires_in_up_to(value: &str, max: u64) -> Result<u64> {
    let v = value.trim();
    let (number, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&v[..i], &v[i..]),
        None => (v, "s"),
    };
    let n: u64 = match number.parse() {
        Ok(n) => n,
        Err(_) => {
            bail!("--expires-in `{value}`: expected a number with an optional unit s, m, h or d")
        }
    };
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("--expires-in `{value}`: unknown unit `{unit}` (use s, m, h or d)"),
    };
    let secs = n.saturating_mul(mult);
    if secs == 0 || secs > max {
        bail!(
            "--expires-in `{value}`: must be between 1 second and {} days{}",
            max / 86_400,
            if max == MAX_PRESIGN_SECONDS {
                " (longer with --max-uses, up to the server's max_grant_days)"
            } else {
                ""
            }
        );
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_expires_in("300").unwrap(), 300);
        assert_eq!(parse_expires_in("90s").unwrap(), 90);
        assert_eq!(parse_expires_in("5m").unwrap(), 300);
        assert_eq!(parse_expires_in("1h").unwrap(), 3600);
        assert_eq!(parse_expires_in("7d").unwrap(), 604_800);
        for bad in ["0", "8d", "x", "5y", "", "-1", "604801"] {
            assert!(parse_expires_in(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_expires_in_up_to("20d", MAX_GRANT_SECONDS).unwrap(),
            20 * 86_400
        );
        assert!(parse_expires_in_up_to("367d", MAX_GRANT_SECONDS).is_err());
    }
}
