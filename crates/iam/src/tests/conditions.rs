//! Every condition operator, IfExists forms, set qualifiers.

use super::*;
use crate::*;

/// (operator, key, policy value JSON, context value or None for absent, expected).
type CondCase = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
);

#[test]
fn every_operator_with_ifexists() {
    let cases: &[CondCase] = &[
        (
            "StringEquals",
            "s3:prefix",
            r#""home/""#,
            Some("home/"),
            true,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#""home/""#,
            Some("Home/"),
            false,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#"["a","home/"]"#,
            Some("home/"),
            true,
        ),
        ("StringEquals", "s3:prefix", r#""home/""#, None, false),
        (
            "StringNotEquals",
            "s3:prefix",
            r#""home/""#,
            Some("x"),
            true,
        ),
        (
            "StringNotEquals",
            "s3:prefix",
            r#"["x","y"]"#,
            Some("y"),
            false,
        ),
        ("StringNotEquals", "s3:prefix", r#""home/""#, None, true),
        (
            "StringEqualsIgnoreCase",
            "s3:authType",
            r#""rest-header""#,
            Some("REST-HEADER"),
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            "s3:authType",
            r#""rest-header""#,
            Some("POST"),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "s3:authType",
            r#""rest-header""#,
            Some("REST-HEADER"),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "s3:authType",
            r#""rest-header""#,
            Some("POST"),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/*""#,
            Some("home/alice/"),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/?""#,
            Some("home/ab"),
            false,
        ),
        ("StringLike", "s3:prefix", r#""home/*""#, None, false),
        (
            "StringNotLike",
            "s3:prefix",
            r#""home/*""#,
            Some("etc/"),
            true,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            r#""home/*""#,
            Some("home/x"),
            false,
        ),
        ("NumericEquals", "s3:max-keys", "10", Some("10"), true),
        ("NumericEquals", "s3:max-keys", r#""10""#, Some("11"), false),
        ("NumericEquals", "s3:max-keys", "10", Some("ten"), false),
        ("NumericNotEquals", "s3:max-keys", "10", Some("11"), true),
        ("NumericNotEquals", "s3:max-keys", "10", Some("10"), false),
        (
            "NumericLessThan",
            "s3:signatureAge",
            "600000",
            Some("599999"),
            true,
        ),
        (
            "NumericLessThan",
            "s3:signatureAge",
            "600000",
            Some("600000"),
            false,
        ),
        (
            "NumericLessThanEquals",
            "s3:signatureAge",
            "600000",
            Some("600000"),
            true,
        ),
        (
            "NumericLessThanEquals",
            "s3:signatureAge",
            "600000",
            Some("600001"),
            false,
        ),
        ("NumericGreaterThan", "s3:max-keys", "5", Some("6"), true),
        ("NumericGreaterThan", "s3:max-keys", "5", Some("5"), false),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            "5",
            Some("5"),
            true,
        ),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            "5",
            Some("4.5"),
            false,
        ),
        ("NumericLessThan", "s3:max-keys", "5", None, false),
        (
            "DateEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2026-01-01T00:00:00Z"),
            true,
        ),
        (
            "DateEquals",
            "aws:CurrentTime",
            r#""2026-01-01""#,
            Some("2026-01-01T00:00:00Z"),
            true,
        ),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2026-01-02T00:00:00Z"),
            true,
        ),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2026-01-01T00:00:00Z"),
            false,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2025-12-31T23:59:59Z"),
            true,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2026-01-01T00:00:00Z"),
            false,
        ),
        (
            "DateLessThanEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2026-01-01T00:00:00Z"),
            true,
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            "1767225600",
            Some("2026-01-01T00:00:01Z"),
            true,
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            "1767225600",
            Some("2026-01-01T00:00:00Z"),
            false,
        ),
        (
            "DateGreaterThanEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00+00:00""#,
            Some("2026-01-01T00:00:00Z"),
            true,
        ),
        (
            "DateGreaterThanEquals",
            "aws:CurrentTime",
            r#""2026-01-01T00:00:00Z""#,
            Some("2025-01-01T00:00:00Z"),
            false,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            r#""true""#,
            Some("true"),
            true,
        ),
        ("Bool", "aws:SecureTransport", "true", Some("false"), false),
        ("Bool", "aws:SecureTransport", "false", Some("FALSE"), true),
        ("Bool", "aws:SecureTransport", "true", None, false),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""127.0.0.0/8""#,
            Some("127.0.0.1"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some("127.0.0.1"),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""192.168.1.7""#,
            Some("192.168.1.7"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""0.0.0.0/0""#,
            Some("8.8.8.8"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""2001:db8::/32""#,
            Some("2001:db8::1"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""2001:db8::/32""#,
            Some("2001:db9::1"),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""127.0.0.0/8""#,
            Some("::ffff:127.0.0.1"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""::1/128""#,
            Some("::1"),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""::1/128""#,
            Some("127.0.0.1"),
            false,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some("127.0.0.1"),
            true,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""127.0.0.0/8""#,
            Some("127.0.0.1"),
            false,
        ),
        ("Null", "s3:prefix", "true", None, true),
        ("Null", "s3:prefix", "true", Some("x"), false),
        ("Null", "s3:prefix", "false", Some("x"), true),
        ("Null", "s3:prefix", "false", None, false),
    ];
    for (op, key, value, context_value, want) in cases {
        let c = match context_value {
            Some(v) => ctx(&[(key, v)]),
            None => ConditionContext::new(),
        };
        let got = decide(&cond_policy(op, key, value), "s3:GetObject", OBJ, &c) == Decision::Allow;
        assert_eq!(got, *want, "{op} {key}={value} vs {context_value:?}");
        // The IfExists form agrees when the key is present and holds when it is absent.
        if *op != "Null" {
            let got = decide(
                &cond_policy(&format!("{op}IfExists"), key, value),
                "s3:GetObject",
                OBJ,
                &c,
            ) == Decision::Allow;
            let want_if_exists = if context_value.is_some() { *want } else { true };
            assert_eq!(
                got, want_if_exists,
                "{op}IfExists {key}={value} vs {context_value:?}"
            );
        }
    }
}

#[test]
fn condition_keys_are_case_insensitive_and_all_must_hold() {
    let p = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
        "StringEquals":{"S3:AUTHTYPE":"REST-HEADER"},
        "NumericLessThan":{"s3:signatureage":"1000"}}}}"#;
    let both = ctx(&[("s3:authType", "REST-HEADER"), ("s3:signatureAge", "10")]);
    let one = ctx(&[("s3:authType", "REST-HEADER"), ("s3:signatureAge", "5000")]);
    assert_eq!(decide(p, "s3:GetObject", OBJ, &both), Decision::Allow);
    assert_eq!(decide(p, "s3:GetObject", OBJ, &one), Decision::Deny);
}

#[test]
fn set_qualifiers() {
    let mut c = ConditionContext::new();
    c.set_many("s3:prefix", vec!["a".into(), "b".into()]);
    let any = cond_policy("ForAnyValue:StringEquals", "s3:prefix", r#""b""#);
    let all = cond_policy("ForAllValues:StringEquals", "s3:prefix", r#"["a","b"]"#);
    let all_fail = cond_policy("ForAllValues:StringEquals", "s3:prefix", r#""a""#);
    assert_eq!(decide(&any, "s3:GetObject", OBJ, &c), Decision::Allow);
    assert_eq!(decide(&all, "s3:GetObject", OBJ, &c), Decision::Allow);
    assert_eq!(decide(&all_fail, "s3:GetObject", OBJ, &c), Decision::Deny);
    let empty = ConditionContext::new();
    assert_eq!(
        decide(&all_fail, "s3:GetObject", OBJ, &empty),
        Decision::Allow
    );
    assert_eq!(decide(&any, "s3:GetObject", OBJ, &empty), Decision::Deny);
}
