//! Refused documents, bucket-policy principals, ACL grants against denies.

use super::*;
use crate::*;

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
