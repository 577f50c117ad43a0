//! Table tests: policies x requests, every condition operator and its IfExists form.

use crate::*;

fn ctx(pairs: &[(&str, &str)]) -> ConditionContext {
    let mut c = ConditionContext::new();
    for (k, v) in pairs {
        c.set(k, *v);
    }
    c
}

fn user() -> Principal {
    Principal::User {
        name: "alice".into(),
        access_key_id: "AK".into(),
    }
}

fn decide(policy: &str, action: &str, resource: &str, c: &ConditionContext) -> Decision {
    let p = Policy::parse(policy, PolicyKind::Identity).expect("policy parses");
    let named = [NamedPolicy {
        name: "p",
        policy: &p,
    }];
    let principal = user();
    authorize(
        &AccessRequest {
            principal: &principal,
            action,
            resource,
            context: c,
        },
        &PolicySet {
            identity: &named,
            ..Default::default()
        },
    )
    .decision
}

/// One allow statement on everything with a single condition.
fn cond_policy(op: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*",
        "Condition":{{"{op}":{{"{key}":{value}}}}}}}}}"#
    )
}

const OBJ: &str = "arn:aws:s3:::b/k";

#[test]
fn root_always_anonymous_never_without_grants() {
    let c = ConditionContext::new();
    let root = Principal::Root {
        access_key_id: "R".into(),
    };
    for principal in [&root, &Principal::Anonymous] {
        let e = authorize(
            &AccessRequest {
                principal,
                action: "s3:GetObject",
                resource: OBJ,
                context: &c,
            },
            &PolicySet::default(),
        );
        let want = if *principal == root {
            Decision::Allow
        } else {
            Decision::Deny
        };
        assert_eq!(e.decision, want);
    }
}

#[test]
fn actions_and_resources_table() {
    let c = ConditionContext::new();
    let prefix = r#"{"Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:Get*"],
        "Resource":"arn:aws:s3:::b/home/alice/*"}]}"#;
    let not_action = r#"{"Statement":{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"}}"#;
    let not_resource =
        r#"{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::secret*"}}"#;
    let deny_wins = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"NoTmp","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/tmp/*"}]}"#;
    let question = r#"{"Statement":{"Effect":"Allow","Action":"s3:?etObject","Resource":"arn:aws:s3:::b/f?le"}}"#;
    let cases: &[(&str, &str, &str, Decision)] = &[
        (
            prefix,
            "s3:PutObject",
            "arn:aws:s3:::b/home/alice/x.png",
            Decision::Allow,
        ),
        (
            prefix,
            "S3:PUTOBJECT",
            "arn:aws:s3:::b/home/alice/x.png",
            Decision::Allow,
        ),
        (
            prefix,
            "s3:GetObject",
            "arn:aws:s3:::b/home/alice/a/b",
            Decision::Allow,
        ),
        (
            prefix,
            "s3:PutObject",
            "arn:aws:s3:::b/home/bob/x.png",
            Decision::Deny,
        ),
        (
            prefix,
            "s3:PutObject",
            "arn:aws:s3:::B/home/alice/x.png",
            Decision::Deny,
        ),
        (
            prefix,
            "s3:DeleteObject",
            "arn:aws:s3:::b/home/alice/x",
            Decision::Deny,
        ),
        (not_action, "s3:GetObject", OBJ, Decision::Allow),
        (not_action, "s3:DeleteObject", OBJ, Decision::Deny),
        (not_resource, "s3:GetObject", OBJ, Decision::Allow),
        (
            not_resource,
            "s3:GetObject",
            "arn:aws:s3:::secrets/k",
            Decision::Deny,
        ),
        (
            deny_wins,
            "s3:PutObject",
            "arn:aws:s3:::b/tmp/x",
            Decision::Deny,
        ),
        (
            deny_wins,
            "s3:GetObject",
            "arn:aws:s3:::b/tmp/x",
            Decision::Allow,
        ),
        (
            deny_wins,
            "s3:PutObject",
            "arn:aws:s3:::b/keep/x",
            Decision::Allow,
        ),
        (
            question,
            "s3:GetObject",
            "arn:aws:s3:::b/file",
            Decision::Allow,
        ),
        (
            question,
            "s3:GetObject",
            "arn:aws:s3:::b/fiile",
            Decision::Deny,
        ),
        (
            question,
            "s3:PutObject",
            "arn:aws:s3:::b/file",
            Decision::Deny,
        ),
    ];
    for (policy, action, resource, want) in cases {
        assert_eq!(
            decide(policy, action, resource, &c),
            *want,
            "{action} {resource} under {policy}"
        );
    }
}

#[test]
fn explicit_deny_reports_statement() {
    let p = Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
        {"Sid":"NoPresign","Effect":"Deny","Action":"*","Resource":"*",
         "Condition":{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let named = [NamedPolicy {
        name: "uploads",
        policy: &p,
    }];
    let principal = user();
    let c = ctx(&[("s3:authType", "REST-QUERY-STRING")]);
    let e = authorize(
        &AccessRequest {
            principal: &principal,
            action: "s3:PutObject",
            resource: OBJ,
            context: &c,
        },
        &PolicySet {
            identity: &named,
            ..Default::default()
        },
    );
    assert_eq!(
        e.reason,
        Reason::ExplicitDeny {
            policy: "uploads".into(),
            statement: "NoPresign".into()
        }
    );
}

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

#[test]
fn malformed_documents_are_refused_with_reasons() {
    let err = Policy::parse(
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",,}\n  ]\n}",
        PolicyKind::Identity,
    )
    .unwrap_err();
    match err {
        PolicyError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 24)),
        other => panic!("{other:?}"),
    }
    let bad: &[(&str, &str)] = &[
        ("[]", "must be a JSON object"),
        (r#"{"Version":"2012-10-17"}"#, "missing Statement"),
        (r#"{"Statement":[]}"#, "non-empty array"),
        (
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            "Version",
        ),
        (
            r#"{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}"#,
            "Effect",
        ),
        (
            r#"{"Statement":{"Action":"*","Resource":"*"}}"#,
            "missing Effect",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
            "missing Action",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
            "missing Resource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}"#,
            "not both",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}}"#,
            "unknown action `s3:GetObjekt`",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
            "unknown action",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
            "non-empty array",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}"#,
            "must be strings",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}"#,
            "unknown condition operator `StringEqualz`",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}}"#,
            "unknown condition operator",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a":"x"}}}}"#,
            "not a valid value",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"a":"1.2.3.4/33"}}}}"#,
            "not a valid value",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateEquals":{"a":"yesterday"}}}}"#,
            "not a valid value",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"a":"yes"}}}}"#,
            "not a valid value",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}}"#,
            "Condition must be an object",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}}"#,
            "must not name a Principal",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}}"#,
            "unknown element `Extra`",
        ),
    ];
    for (doc, want) in bad {
        let e = Policy::parse(doc, PolicyKind::Identity)
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{doc}: got `{e}`, want `{want}`");
    }
}

#[test]
fn bucket_policy_principals() {
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"},
        {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/bob","carol"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let p = Policy::parse(doc, PolicyKind::Bucket).unwrap();
    let c = ConditionContext::new();
    let who = |n: &str| Principal::User {
        name: n.into(),
        access_key_id: "AK".into(),
    };
    let cases: Vec<(Principal, &str, &str, Decision)> = vec![
        (
            Principal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::b/public/x",
            Decision::Allow,
        ),
        (
            Principal::Anonymous,
            "s3:GetObject",
            "arn:aws:s3:::b/private/x",
            Decision::Deny,
        ),
        (
            Principal::Anonymous,
            "s3:PutObject",
            "arn:aws:s3:::b/x",
            Decision::Deny,
        ),
        (
            who("bob"),
            "s3:PutObject",
            "arn:aws:s3:::b/x",
            Decision::Allow,
        ),
        (
            who("carol"),
            "s3:PutObject",
            "arn:aws:s3:::b/x",
            Decision::Allow,
        ),
        (
            who("dave"),
            "s3:PutObject",
            "arn:aws:s3:::b/x",
            Decision::Deny,
        ),
        (
            who("bob"),
            "s3:DeleteObject",
            "arn:aws:s3:::b/x",
            Decision::Deny,
        ),
    ];
    for (principal, action, resource, want) in cases {
        let got = authorize(
            &AccessRequest {
                principal: &principal,
                action,
                resource,
                context: &c,
            },
            &PolicySet {
                identity: &[],
                bucket: Some(&p),
                acl_allows: false,
            },
        );
        assert_eq!(got.decision, want, "{principal:?} {action} {resource}");
    }
    for bad in [
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"x"},"Action":"*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x"},"Action":"*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","NotPrincipal":"*","Principal":"*","Action":"*","Resource":"*"}}"#,
    ] {
        assert!(Policy::parse(bad, PolicyKind::Bucket).is_err(), "{bad}");
    }
}

#[test]
fn acl_allow_is_overridden_by_explicit_deny() {
    let deny = Policy::parse(
        r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#,
        PolicyKind::Bucket,
    )
    .unwrap();
    let c = ConditionContext::new();
    let req = AccessRequest {
        principal: &Principal::Anonymous,
        action: "s3:GetObject",
        resource: OBJ,
        context: &c,
    };
    let open = PolicySet {
        identity: &[],
        bucket: None,
        acl_allows: true,
    };
    assert_eq!(authorize(&req, &open).reason, Reason::Acl);
    let denied = PolicySet {
        bucket: Some(&deny),
        ..open
    };
    assert_eq!(authorize(&req, &denied).decision, Decision::Deny);
}

#[test]
fn resource_arns() {
    assert_eq!(resource_arn(Some("b"), Some("k/x")), "arn:aws:s3:::b/k/x");
    assert_eq!(resource_arn(Some("b"), None), "arn:aws:s3:::b");
    assert_eq!(resource_arn(None, None), "arn:aws:s3:::*");
}
