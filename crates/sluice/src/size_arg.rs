//! Parsing byte sizes: `1048576`, `512KiB`, `8MiB`, `5MB`, `1GiB`.

use anyhow::{bail, Result};

/// Parses a size with an optional unit (KiB/MiB/GiB binary, KB/MB/GB decimal, B).
pub fn parse_size(value: &str) -> Result<u64> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = (&v[..split], v[split..].trim());
    let Ok(n) = number.parse::<u64>() else {
        bail!("`{value}` is not a size like 8MiB or 5000000");
    };
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => bail!("`{value}`: unknown size unit `{unit}` (use B, KiB, MiB, GiB, KB, MB or GB)"),
    };
    n.checked_mul(mult)
        .ok_or_else(|| anyhow::anyhow!("`{value}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_size("8MiB").unwrap(), 8 << 20);
        assert_eq!(parse_size("8m").unwrap(), 8 << 20);
        assert_eq!(parse_size("5MB").unwrap(), 5_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        for bad in ["", "x", "5XB", "-1", "99999999999999999999GiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
