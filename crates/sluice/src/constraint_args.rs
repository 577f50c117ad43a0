//! `sluice presign` constraint flags (`--max-size`, `--min-size`, `--not-before`,
//! `--source-ip`, `--notify`, `--checks`), turned into signed `x-sluice-*` query parameters or mint API fields.

use crate::cli::PresignArgs;
use crate::size_arg::parse_size;
use anyhow::{bail, Result};
use serde_json::{json, Value};
use sluice_server::auth::url_constraints::{
    parse_cidrs, CHECKS, CONTENT_LENGTH_RANGE, CONTENT_TYPE, MAX_PAYLOAD, NOTIFY, NOT_BEFORE,
    PAYLOAD, SOURCE_IP,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Largest object a single PUT (or one part) may carry: the default `--max-size`.
const DEFAULT_MAX: u64 = 5 * 1024 * 1024 * 1024;

/// The validated constraint flags.
#[derive(Debug, Default)]
pub struct Constraints {
    size: Option<(u64, u64)>,
    not_before: Option<String>,
    source_ip: Vec<String>,
    notify: Option<(String, Option<String>)>,
    checks: Option<String>,
}

impl Constraints {
    /// Validates the flags of `args`.
    pub fn from_args(args: &PresignArgs) -> Result<Constraints> {
        let min = args.min_size.as_deref().map(parse_size).transpose()?;
        let max = args.max_size.as_deref().map(parse_size).transpose()?;
        let size = match (min, max) {
            (None, None) => None,
            (min, max) => Some((min.unwrap_or(0), max.unwrap_or(DEFAULT_MAX))),
        };
        if let Some((min, max)) = size {
            if min > max {
                bail!("--min-size ({min}) is larger than --max-size ({max})");
            }
            if !args.method.eq_ignore_ascii_case("PUT") {
                bail!("--min-size/--max-size only apply to PUT");
            }
        }
        if let Some(t) = &args.not_before {
            if OffsetDateTime::parse(t, &Rfc3339).is_err() {
                bail!("--not-before `{t}`: use an RFC 3339 time such as 2026-11-29T12:00:00Z");
            }
        }
        for c in &args.source_ip {
            if c.contains(',') || parse_cidrs(c).is_none() {
                bail!("--source-ip `{c}`: use a CIDR such as 203.0.113.0/24 (repeat the flag for more)");
            }
        }
        if let Some(t) = &args.notify {
            if sluice_server::notify::targets::validate_id(t).is_err() {
                bail!("--notify `{t}`: a target id is 1-64 of A-Z a-z 0-9 - _");
            }
        }
        if args.payload.as_ref().is_some_and(|p| p.len() > MAX_PAYLOAD) {
            bail!("--payload is longer than {MAX_PAYLOAD} bytes");
        }
        if let Some(c) = &args.checks {
            if sluice_server::checks::profile::validate_name(c).is_err() {
                bail!("--checks `{c}`: a check profile name is 1-64 of A-Z a-z 0-9 . _ -");
            }
        }
        Ok(Constraints {
            size,
            not_before: args.not_before.clone(),
            source_ip: args.source_ip.clone(),
            notify: args.notify.clone().map(|t| (t, args.payload.clone())),
            checks: args.checks.clone(),
        })
    }

    /// The signed query parameters of an offline URL.
    pub fn query(&self, content_type: Option<&str>) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some((min, max)) = self.size {
            q.push((CONTENT_LENGTH_RANGE.to_string(), format!("{min},{max}")));
        }
        if let Some(t) = content_type {
            q.push((CONTENT_TYPE.to_string(), t.to_string()));
        }
        if let Some(t) = &self.not_before {
            q.push((NOT_BEFORE.to_string(), t.clone()));
        }
        if !self.source_ip.is_empty() {
            q.push((SOURCE_IP.to_string(), self.source_ip.join(",")));
        }
        if let Some((target, payload)) = &self.notify {
            q.push((NOTIFY.to_string(), target.clone()));
            if let Some(p) = payload {
                q.push((PAYLOAD.to_string(), p.clone()));
            }
        }
        if let Some(c) = &self.checks {
            q.push((CHECKS.to_string(), c.clone()));
        }
        q
    }

    /// Adds the constraints to a mint API request body.
    pub fn add_to_mint(&self, body: &mut Value) {
        if let Some((min, max)) = self.size {
            body["content_length_range"] = json!([min, max]);
        }
        if let Some(t) = &self.not_before {
            body["not_before"] = json!(t);
        }
        if !self.source_ip.is_empty() {
            body["source_ip"] = json!(self.source_ip);
        }
        if let Some((target, payload)) = &self.notify {
            body["notify"] = json!({ "target": target, "payload": payload });
        }
        if let Some(c) = &self.checks {
            body["checks"] = json!(c);
        }
    }
}
