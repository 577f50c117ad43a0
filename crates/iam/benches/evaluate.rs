//! Time per authorization decision for a ten-statement policy with conditions.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sluice_iam::{
    authorize, AccessRequest, ConditionContext, NamedPolicy, Policy, PolicyKind, PolicySet,
    Principal,
};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"s1","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos","Condition":{"StringLike":{"s3:prefix":"home/alice/*"}}},
 {"Sid":"s2","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::photos/home/alice/*"},
 {"Sid":"s3","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::public/*"},
 {"Sid":"s4","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"s3:authType":"POST"}}},
 {"Sid":"s5","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"NumericGreaterThan":{"s3:signatureAge":"600000"}}},
 {"Sid":"s6","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["127.0.0.0/8","10.0.0.0/8","::1/128"]}}},
 {"Sid":"s7","Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::photos/home/alice/tmp/*","Condition":{"DateLessThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}},
 {"Sid":"s8","Effect":"Deny","NotAction":["s3:Get*","s3:List*","s3:PutObject","s3:DeleteObject"],"Resource":"*"},
 {"Sid":"s9","Effect":"Allow","Action":"s3:GetBucketLocation","Resource":"arn:aws:s3:::*"},
 {"Sid":"s10","Effect":"Deny","Action":"s3:PutObject","NotResource":["arn:aws:s3:::photos/*","arn:aws:s3:::public/*"],"Condition":{"StringNotEqualsIgnoreCase":{"aws:username":"admin"}}}
]}"#;

fn bench(c: &mut Criterion) {
    let policy = Policy::parse(POLICY, PolicyKind::Identity).expect("policy parses");
    let named = [NamedPolicy {
        name: "bench",
        policy: &policy,
    }];
    let principal = Principal::User {
        name: "alice".into(),
        access_key_id: "AKID".into(),
    };
    let mut ctx = ConditionContext::new();
    ctx.set("s3:authType", "REST-QUERY-STRING")
        .set("s3:signatureAge", "12000")
        .set("s3:signatureversion", "AWS4-HMAC-SHA256")
        .set("aws:SourceIp", "127.0.0.1")
        .set("aws:CurrentTime", "2026-11-29T02:00:00Z")
        .set("aws:SecureTransport", "false")
        .set("aws:username", "alice");
    let set = PolicySet {
        identity: &named,
        ..Default::default()
    };
    c.bench_function("authorize ten-statement policy (PutObject allowed)", |b| {
        b.iter(|| {
            authorize(
                black_box(&AccessRequest {
                    principal: &principal,
                    action: "s3:PutObject",
                    resource: "arn:aws:s3:::photos/home/alice/cat.png",
                    context: &ctx,
                }),
                black_box(&set),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
