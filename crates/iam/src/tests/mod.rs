//! Table tests: policies x requests, every condition operator and its IfExists form.

mod conditions;
mod documents;

use crate::*;

pub(super) fn ctx(pairs: &[(&str, &str)]) -> ConditionContext {
    let mut c = ConditionContext::new();
    for (k, v) in pairs {
        c.set(k, *v);
    }
    c
}

pub(super) fn user() -> Principal {
    Principal::User {
        name: "alice".into(),
        access_key_id: "AK".into(),
    }
}

pub(super) fn decide(policy: &str, action: &str, resource: &str, c: &ConditionContext) -> Decision {
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
pub(super) fn cond_policy(op: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*",
        "Condition":{{"{op}":{{"{key}":{value}}}}}}}}}"#
    )
}

pub(super) const OBJ: &str = "arn:aws:s3:::b/k";

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
