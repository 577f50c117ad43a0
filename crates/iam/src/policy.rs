//! IAM JSON policy documents: identity policies and bucket policies.

use crate::actions::validate_action;
use crate::condition::{parse_conditions, Condition};
use crate::error::PolicyError;
use serde_json::{Map, Value};

/// Which kind of document is parsed (they differ in the `Principal` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user: no `Principal`.
    Identity,
    /// Attached to a bucket: every statement names a `Principal`.
    Bucket,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Refuses, overriding any allow.
    Deny,
}

/// `Action` (match any) or `NotAction` (match anything else); lowercased patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionMatch {
    /// `Action`.
    Action(Vec<String>),
    /// `NotAction`.
    NotAction(Vec<String>),
}

/// `Resource` or `NotResource` patterns (case-sensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceMatch {
    /// `Resource`.
    Resource(Vec<String>),
    /// `NotResource`.
    NotResource(Vec<String>),
}

/// Who a bucket-policy statement applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalMatch {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous included.
    pub everyone: bool,
    /// User names (from `arn:aws:iam:::user/NAME`, `arn:aws:iam::ACCOUNT:user/NAME` or `NAME`).
    pub users: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, if given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` / `NotAction`.
    pub actions: ActionMatch,
    /// `Resource` / `NotResource`.
    pub resources: ResourceMatch,
    /// `Principal` (bucket policies only).
    pub principal: Option<PrincipalMatch>,
    /// All must hold.
    pub conditions: Vec<Condition>,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `Version` (`2012-10-17` or `2008-10-17`), if given.
    pub version: Option<String>,
    /// `Id`, if given.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Parses and validates a policy document. Syntax errors carry line and column.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(json).map_err(|e| PolicyError::Syntax {
            line: e.line(),
            column: e.column(),
            message: syntax_message(&e),
        })?;
        let Value::Object(doc) = value else {
            return Err(PolicyError::invalid("the document must be a JSON object"));
        };
        for key in doc.keys() {
            if !["Version", "Id", "Statement"].contains(&key.as_str()) {
                return Err(PolicyError::invalid(format!("unknown element `{key}`")));
            }
        }
        let version = optional_string(&doc, "Version")?;
        if let Some(v) = &version {
            if v != "2012-10-17" && v != "2008-10-17" {
                return Err(PolicyError::invalid(format!(
                    "Version `{v}` is not 2012-10-17 or 2008-10-17"
                )));
            }
        }
        let id = optional_string(&doc, "Id")?;
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(s, kind, i))
                .collect::<Result<Vec<_>, _>>()?,
            Some(s @ Value::Object(_)) => vec![parse_statement(s, kind, 0)?],
            Some(_) => {
                return Err(PolicyError::invalid(
                    "Statement must be an object or a non-empty array",
                ))
            }
            None => return Err(PolicyError::invalid("missing Statement")),
        };
        Ok(Policy {
            version,
            id,
            statements,
        })
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

fn optional_string(doc: &Map<String, Value>, name: &str) -> Result<Option<String>, PolicyError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PolicyError::invalid(format!("{name} must be a string"))),
    }
}

/// A string or a non-empty array of strings.
fn string_list(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::invalid(format!(
                    "{what} entries must be strings"
                ))),
            })
            .collect(),
        _ => Err(PolicyError::invalid(format!(
            "{what} must be a string or a non-empty array of strings"
        ))),
    }
}

fn parse_statement(v: &Value, kind: PolicyKind, index: usize) -> Result<Statement, PolicyError> {
    let Value::Object(s) = v else {
        return Err(PolicyError::invalid(format!(
            "Statement[{index}] must be an object"
        )));
    };
    let at = |msg: &str| PolicyError::invalid(format!("Statement[{index}]: {msg}"));
    const ALLOWED: [&str; 10] = [
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
        "Id",
    ];
    for key in s.keys() {
        if !ALLOWED.contains(&key.as_str()) {
            return Err(at(&format!("unknown element `{key}`")));
        }
    }
    let sid = optional_string(s, "Sid")?;
    let effect = match s.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => return Err(at("Effect must be \"Allow\" or \"Deny\"")),
        None => return Err(at("missing Effect")),
    };
    let actions = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => ActionMatch::Action(checked_actions(a)?),
        (None, Some(a)) => ActionMatch::NotAction(checked_actions(a)?),
        (Some(_), Some(_)) => return Err(at("use Action or NotAction, not both")),
        (None, None) => return Err(at("missing Action")),
    };
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => ResourceMatch::Resource(string_list(r, "Resource")?),
        (None, Some(r)) => ResourceMatch::NotResource(string_list(r, "NotResource")?),
        (Some(_), Some(_)) => return Err(at("use Resource or NotResource, not both")),
        (None, None) => return Err(at("missing Resource")),
    };
    if s.contains_key("NotPrincipal") {
        return Err(at("NotPrincipal is not supported"));
    }
    let principal = match (kind, s.get("Principal")) {
        (PolicyKind::Identity, Some(_)) => {
            return Err(at("an identity policy must not name a Principal"))
        }
        (PolicyKind::Identity, None) => None,
        (PolicyKind::Bucket, None) => return Err(at("missing Principal")),
        (PolicyKind::Bucket, Some(p)) => Some(parse_principal(p).map_err(|m| at(&m))?),
    };
    let conditions = match s.get("Condition") {
        Some(c) => parse_conditions(c)?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        principal,
        conditions,
    })
}

fn checked_actions(v: &Value) -> Result<Vec<String>, PolicyError> {
    let list = string_list(v, "Action")?;
    for a in &list {
        validate_action(a).map_err(PolicyError::UnknownAction)?;
    }
    Ok(list.into_iter().map(|a| a.to_ascii_lowercase()).collect())
}

fn parse_principal(v: &Value) -> Result<PrincipalMatch, String> {
    let mut m = PrincipalMatch {
        everyone: false,
        users: Vec::new(),
    };
    let entries = match v {
        Value::String(s) if s == "*" => {
            m.everyone = true;
            return Ok(m);
        }
        Value::Object(o) => {
            for key in o.keys() {
                if key != "AWS" {
                    return Err(format!("Principal type `{key}` is not supported (use AWS)"));
                }
            }
            match o.get("AWS") {
                Some(a) => string_list(a, "Principal.AWS").map_err(|e| e.to_string())?,
                None => return Err("Principal must name AWS principals".into()),
            }
        }
        _ => return Err("Principal must be \"*\" or {\"AWS\": ...}".into()),
    };
    for e in entries {
        if e == "*" {
            m.everyone = true;
        } else if let Some(name) = user_from_arn(&e) {
            m.users.push(name.to_string());
        } else if e.starts_with("arn:") || e.is_empty() || e.contains(['/', ':']) {
            return Err(format!(
                "Principal `{e}` is not `*`, a user ARN or a user name"
            ));
        } else {
            m.users.push(e);
        }
    }
    Ok(m)
}

/// `arn:aws:iam::ACCOUNT:user/NAME` (account may be empty) -> `NAME`.
fn user_from_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (_account, resource) = rest.split_once(':')?;
    resource.strip_prefix("user/").filter(|n| !n.is_empty())
}
