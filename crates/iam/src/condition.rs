//! Condition operators: parsing the `Condition` block and deciding it against a context.

use crate::context::ConditionContext;
use crate::error::PolicyError;
use crate::wildcard::wildcard_match;
use serde_json::Value;
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The comparison an operator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// Exact, case-sensitive.
    StringEquals,
    /// Negated exact.
    StringNotEquals,
    /// Exact, ignoring ASCII case.
    StringEqualsIgnoreCase,
    /// Negated case-insensitive.
    StringNotEqualsIgnoreCase,
    /// Wildcards `*` and `?`.
    StringLike,
    /// Negated wildcard match.
    StringNotLike,
    /// `==` on numbers.
    NumericEquals,
    /// `!=` on numbers.
    NumericNotEquals,
    /// `<`.
    NumericLessThan,
    /// `<=`.
    NumericLessThanEquals,
    /// `>`.
    NumericGreaterThan,
    /// `>=`.
    NumericGreaterThanEquals,
    /// Same instant.
    DateEquals,
    /// Different instant.
    DateNotEquals,
    /// Before.
    DateLessThan,
    /// At or before.
    DateLessThanEquals,
    /// After.
    DateGreaterThan,
    /// At or after.
    DateGreaterThanEquals,
    /// `true` / `false`.
    Bool,
    /// Address inside one of the CIDR blocks.
    IpAddress,
    /// Address outside all CIDR blocks.
    NotIpAddress,
    /// `true`: key absent; `false`: key present.
    Null,
}

impl Operator {
    fn from_name(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators are true when the key is absent, and when no value matches.
    fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
        )
    }
}

/// How a multi-valued context key is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// Single-valued semantics (any context value may satisfy the test).
    Single,
    /// `ForAnyValue:`: at least one context value satisfies it.
    ForAnyValue,
    /// `ForAllValues:`: every context value satisfies it (true when the key is absent).
    ForAllValues,
}

/// A policy value, parsed once for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Text(String),
    Number(f64),
    /// Milliseconds since the epoch.
    Date(i128),
    Flag(bool),
    Cidr(IpAddr, u8),
}

/// One `operator: { key: values }` test.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    op: Operator,
    if_exists: bool,
    qualifier: SetQualifier,
    /// Lowercased key name.
    key: String,
    operands: Vec<Operand>,
}

/// Parses a `Condition` element (an object of operators).
pub(crate) fn parse_conditions(value: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = value else {
        return Err(PolicyError::invalid("Condition must be an object"));
    };
    let mut out = Vec::new();
    for (op_name, block) in ops {
        let (qualifier, rest) = if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else if let Some(r) = op_name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else {
            (SetQualifier::Single, op_name.as_str())
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let op = Operator::from_name(base)
            .filter(|o| !(if_exists && *o == Operator::Null))
            .ok_or_else(|| PolicyError::UnknownOperator(op_name.clone()))?;
        let Value::Object(keys) = block else {
            return Err(PolicyError::invalid(format!(
                "condition `{op_name}` must map keys to values"
            )));
        };
        for (key, raw) in keys {
            let texts = value_texts(raw).ok_or_else(|| {
                PolicyError::invalid(format!(
                    "condition `{op_name}` key `{key}`: values must be strings, numbers or booleans"
                ))
            })?;
            let operands = texts
                .iter()
                .map(|t| {
                    parse_operand(op, t).ok_or_else(|| {
                        PolicyError::invalid(format!(
                            "condition `{op_name}` key `{key}`: `{t}` is not a valid value"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Condition {
                op,
                if_exists,
                qualifier,
                key: key.to_ascii_lowercase(),
                operands,
            });
        }
    }
    Ok(out)
}

fn value_texts(v: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => None,
        other => one(other).map(|s| vec![s]),
    }
}

fn parse_operand(op: Operator, text: &str) -> Option<Operand> {
    use Operator::*;
    match op {
        StringEquals | StringNotEquals | StringLike | StringNotLike => {
            Some(Operand::Text(text.to_string()))
        }
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            Some(Operand::Text(text.to_lowercase()))
        }
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => parse_number(text).map(Operand::Number),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => parse_date_ms(text).map(Operand::Date),
        Bool | Null => parse_bool(text).map(Operand::Flag),
        IpAddress | NotIpAddress => parse_cidr(text).map(|(a, p)| Operand::Cidr(a, p)),
    }
}

fn parse_number(t: &str) -> Option<f64> {
    t.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// ISO 8601 / RFC 3339 timestamps, `YYYY-MM-DD`, or epoch seconds.
pub(crate) fn parse_date_ms(t: &str) -> Option<i128> {
    let t = t.trim();
    if let Ok(secs) = t.parse::<i64>() {
        return Some(secs as i128 * 1000);
    }
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(dt.unix_timestamp_nanos() / 1_000_000);
    }
    if t.len() == 10 {
        let full = format!("{t}T00:00:00Z");
        if let Ok(dt) = OffsetDateTime::parse(&full, &Rfc3339) {
            return Some(dt.unix_timestamp_nanos() / 1_000_000);
        }
    }
    None
}

/// `a.b.c.d/n`, `v6/n`, or a bare address (a host block).
fn parse_cidr(t: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match t.trim().split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
        None => (t.trim().parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((addr, prefix))
}

fn cidr_contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    let ip = match (net, ip) {
        (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => return false,
        },
        _ => ip,
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

impl Condition {
    /// Whether this condition holds for the context.
    pub fn holds(&self, ctx: &ConditionContext) -> bool {
        let values = ctx.get_lower(&self.key);
        if self.op == Operator::Null {
            let want_absent = matches!(self.operands.first(), Some(Operand::Flag(true)));
            let absent = values.is_none_or(|v| v.is_empty());
            return want_absent == absent;
        }
        let values = match values {
            Some(v) if !v.is_empty() => v,
            _ => {
                return match self.qualifier {
                    SetQualifier::ForAllValues => true,
                    _ => self.if_exists || self.op.is_negated(),
                }
            }
        };
        // For a negated operator, a value satisfies the test when it matches no operand.
        let satisfies = |v: &String| self.matches_any(v) != self.op.is_negated();
        match self.qualifier {
            SetQualifier::ForAllValues => values.iter().all(satisfies),
            SetQualifier::ForAnyValue => values.iter().any(satisfies),
            SetQualifier::Single if self.op.is_negated() => values.iter().all(satisfies),
            SetQualifier::Single => values.iter().any(satisfies),
        }
    }

    /// Whether the context value matches at least one operand (the positive form of the op).
    fn matches_any(&self, value: &str) -> bool {
        use Operator::*;
        match self.op {
            StringEquals | StringNotEquals => self.texts().any(|t| t == value),
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                let lower = value.to_lowercase();
                self.texts().any(|t| t == lower)
            }
            StringLike | StringNotLike => self.texts().any(|t| wildcard_match(t, value)),
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => {
                let Some(n) = parse_number(value) else {
                    return false;
                };
                self.operands.iter().any(|o| match o {
                    Operand::Number(p) => compare(self.op, n.partial_cmp(p)),
                    _ => false,
                })
            }
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => {
                let Some(d) = parse_date_ms(value) else {
                    return false;
                };
                self.operands.iter().any(|o| match o {
                    Operand::Date(p) => compare(self.op, Some(d.cmp(p))),
                    _ => false,
                })
            }
            Bool => {
                let Some(b) = parse_bool(value) else {
                    return false;
                };
                self.operands.contains(&Operand::Flag(b))
            }
            IpAddress | NotIpAddress => {
                let Ok(ip) = value.parse::<IpAddr>() else {
                    return false;
                };
                self.operands.iter().any(|o| match o {
                    Operand::Cidr(net, p) => cidr_contains(*net, *p, ip),
                    _ => false,
                })
            }
            Null => false,
        }
    }

    fn texts(&self) -> impl Iterator<Item = &str> {
        self.operands.iter().filter_map(|o| match o {
            Operand::Text(t) => Some(t.as_str()),
            _ => None,
        })
    }
}

/// Applies an ordering operator to `context.cmp(policy)`.
fn compare(op: Operator, ord: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    use Operator::*;
    let Some(ord) = ord else { return false };
    match op {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => ord == Equal,
        NumericLessThan | DateLessThan => ord == Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Greater,
        NumericGreaterThan | DateGreaterThan => ord == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}
