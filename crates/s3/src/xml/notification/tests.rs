use super::*;

const NS: &str = r#"xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
const Q1: &str = "arn:sluice:sqs:us-east-1:hook1:webhook";
const Q2: &str = "arn:sluice:sqs:us-east-1:nats1:nats";

fn doc(inner: &str) -> String {
    format!("<NotificationConfiguration {NS}>{inner}</NotificationConfiguration>")
}

fn queue(id: Option<&str>, arn: &str, events: &[&str], rules: &[(&str, &str)]) -> String {
    let mut s = String::from("<QueueConfiguration>");
    if let Some(id) = id {
        s += &format!("<Id>{id}</Id>");
    }
    s += &format!("<Queue>{arn}</Queue>");
    for e in events {
        s += &format!("<Event>{e}</Event>");
    }
    if !rules.is_empty() {
        s += "<Filter><S3Key>";
        for (n, v) in rules {
            s += &format!("<FilterRule><Name>{n}</Name><Value>{v}</Value></FilterRule>");
        }
        s += "</S3Key></Filter>";
    }
    s + "</QueueConfiguration>"
}

fn parse(xml: &str) -> Result<NotificationConfiguration, S3Error> {
    parse_notification_configuration(xml.as_bytes())
}

fn err(xml: &str) -> S3Error {
    parse(xml).unwrap_err()
}

fn detail<'a>(e: &'a S3Error, name: &str) -> Option<&'a str> {
    e.details
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn parses_aws_document_and_round_trips() {
    let xml = doc(&format!(
        "{}<TopicConfiguration><Id>t</Id><Topic>arn:aws:sns:us-west-2:444455556666:t</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>\
         <CloudFunctionConfiguration><Id>f</Id><CloudFunction>arn:aws:lambda:us-west-2:444455556666:f</CloudFunction><InvocationRole>r</InvocationRole><Event>s3:ObjectTagging:*</Event></CloudFunctionConfiguration>",
        queue(
            Some("1"),
            Q1,
            &["s3:ObjectCreated:*"],
            &[("prefix", "images/"), ("suffix", "jpg")]
        )
    ));
    let c = parse(&xml).unwrap();
    assert_eq!(
        c.queues,
        vec![Destination {
            kind: DestinationKind::Queue,
            id: "1".into(),
            arn: Q1.into(),
            events: vec!["s3:ObjectCreated:*".into()],
            filter: KeyFilter {
                prefix: Some("images/".into()),
                suffix: Some("jpg".into())
            },
        }]
    );
    assert_eq!(c.topics[0].kind, DestinationKind::Topic);
    assert_eq!(c.topics[0].events, ["s3:ObjectRemoved:*"]);
    assert!(c.topics[0].filter.is_empty());
    assert_eq!(
        c.cloud_functions[0].arn,
        "arn:aws:lambda:us-west-2:444455556666:f"
    );
    let out = c.to_xml();
    assert_eq!(
        out,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration {NS}>\
             <TopicConfiguration><Id>t</Id><Topic>arn:aws:sns:us-west-2:444455556666:t</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>\
             <QueueConfiguration><Id>1</Id><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>images/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>jpg</Value></FilterRule></S3Key></Filter></QueueConfiguration>\
             <CloudFunctionConfiguration><Id>f</Id><CloudFunction>arn:aws:lambda:us-west-2:444455556666:f</CloudFunction><Event>s3:ObjectTagging:*</Event></CloudFunctionConfiguration>\
             </NotificationConfiguration>"
        )
    );
    assert_eq!(parse(&out).unwrap(), c);
    assert_eq!(
        c.destination_arns(),
        [
            "arn:aws:sns:us-west-2:444455556666:t",
            Q1,
            "arn:aws:lambda:us-west-2:444455556666:f"
        ]
    );
}

#[test]
fn empty_configuration() {
    let c = parse(&doc("")).unwrap();
    assert!(c.is_empty());
    assert!(parse("<NotificationConfiguration/>").unwrap().is_empty());
    assert_eq!(
        notification_configuration_xml(&c),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NotificationConfiguration {NS}/>")
    );
    assert!(parse(&c.to_xml()).unwrap().is_empty());
    assert!(c.destination_arns().is_empty());
    assert!(c.matching("s3:ObjectCreated:Put", "k").is_empty());
}

#[test]
fn values_are_kept_and_escaped() {
    let xml = doc(&queue(
        Some(" a&amp;b "),
        &format!(" {Q1}\n"),
        &[" s3:ObjectCreated:Put "],
        &[("Prefix", " dir &lt;x&gt;/"), ("SUFFIX", ".tar.gz ")],
    ));
    let c = parse(&xml).unwrap();
    let q = &c.queues[0];
    assert_eq!((q.id.as_str(), q.arn.as_str()), ("a&b", Q1));
    assert_eq!(q.events, ["s3:ObjectCreated:Put"]);
    assert_eq!(q.filter.prefix.as_deref(), Some(" dir <x>/"));
    assert_eq!(q.filter.suffix.as_deref(), Some(".tar.gz "));
    assert!(c.to_xml().contains("<Id>a&amp;b</Id>"));
    assert_eq!(parse(&c.to_xml()).unwrap(), c);
}

#[test]
fn generated_ids_are_stable_and_distinct() {
    let one = doc(&format!(
        "{}{}",
        queue(None, Q1, &["s3:ObjectCreated:*"], &[("prefix", "a/")]),
        queue(None, Q1, &["s3:ObjectCreated:*"], &[("prefix", "b/")])
    ));
    let a = parse(&one).unwrap();
    let b = parse(&one).unwrap();
    assert_eq!(a, b);
    let (x, y) = (&a.queues[0].id, &a.queues[1].id);
    assert_eq!(x.len(), 32);
    assert!(x.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(x, y);
    // The generated id is written back and survives a round trip.
    assert!(a.to_xml().contains(&format!("<Id>{x}</Id>")));
    assert_eq!(parse(&a.to_xml()).unwrap(), a);
    // Prefix "x" and suffix "x" are different content.
    let p = parse(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("prefix", "x")],
    )))
    .unwrap();
    let s = parse(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("suffix", "x")],
    )))
    .unwrap();
    assert_ne!(p.queues[0].id, s.queues[0].id);
    // An empty <Id> counts as none.
    let e = parse(&doc(&queue(Some(""), Q1, &["s3:ObjectCreated:*"], &[]))).unwrap();
    assert_eq!(e.queues[0].id.len(), 32);
}

#[test]
fn malformed_documents() {
    for bad in [
        "<NotificationConfiguration><QueueConfiguration>".to_string(),
        "<Other/>".to_string(),
        doc("<Bogus/>"),
        // No ARN, empty ARN, two ARNs, ARN of another kind.
        doc("<QueueConfiguration><Event>s3:ObjectCreated:*</Event></QueueConfiguration>"),
        doc("<QueueConfiguration><Queue> </Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>"),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Queue>{Q2}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Topic>{Q1}</Topic><Event>s3:ObjectCreated:*</Event></QueueConfiguration>")),
        // No Event.
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue></QueueConfiguration>")),
        // Two Ids, an unknown element, InvocationRole outside CloudFunctionConfiguration.
        doc(&format!("<QueueConfiguration><Id>a</Id><Id>b</Id><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><X/></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><InvocationRole>r</InvocationRole></QueueConfiguration>")),
        // Filter shapes: rule without Value / Name, two Filters, two S3Keys, stray elements.
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name></FilterRule></S3Key></Filter></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Value>a</Value></FilterRule></S3Key></Filter></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter/><Filter/></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key/><S3Key/></Filter></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><Key/></Filter></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><Rule/></S3Key></Filter></QueueConfiguration>")),
        doc(&format!("<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name><Name>suffix</Name><Value>a</Value></FilterRule></S3Key></Filter></QueueConfiguration>")),
        "<!DOCTYPE a><NotificationConfiguration/>".to_string(),
    ] {
        let e = err(&bad);
        assert_eq!((e.code, e.status), ("MalformedXML", 400), "{bad}");
        assert_eq!(
            e.message,
            "The XML you provided was not well-formed or did not validate against our published schema."
        );
    }
    assert_eq!(
        parse_notification_configuration(b"\xff").unwrap_err().code,
        "MalformedXML"
    );
}

#[test]
fn empty_filter_means_every_key() {
    let c = parse(&doc(&format!(
        "<QueueConfiguration><Queue>{Q1}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key></S3Key></Filter></QueueConfiguration>"
    )))
    .unwrap();
    assert!(c.queues[0].filter.is_empty());
    assert!(!c.to_xml().contains("<Filter>"));
}

#[test]
fn event_not_supported() {
    for bad in [
        "s3:ObjectCreated",
        "ObjectCreated:Put",
        "s3:ObjectCreated:put",
        "s3:*",
        "notarealeventname",
    ] {
        let e = err(&doc(&queue(None, Q1, &["s3:ObjectCreated:Put", bad], &[])));
        assert_eq!((e.code, e.status), ("InvalidArgument", 400));
        assert_eq!(e.message, "The event is not supported for notifications");
        assert_eq!(detail(&e, "ArgumentName"), Some("Event"));
        assert_eq!(detail(&e, "ArgumentValue"), Some(bad));
    }
    for good in crate::event_record::CONFIGURABLE_EVENTS {
        assert!(
            parse(&doc(&queue(None, Q1, &[good], &[]))).is_ok(),
            "{good}"
        );
    }
}

#[test]
fn filter_rule_errors() {
    let e = err(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("other", "x")],
    )));
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert_eq!(
        e.message,
        "filter rule name must be either prefix or suffix"
    );
    assert_eq!(detail(&e, "ArgumentName"), Some("FilterRule.Name"));
    assert_eq!(detail(&e, "ArgumentValue"), Some("other"));

    let e = err(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("prefix", "a"), ("Prefix", "b")],
    )));
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert_eq!(
        e.message,
        "Cannot specify more than one prefix rule in a filter."
    );

    let e = err(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("suffix", "a"), ("prefix", "p"), ("suffix", "b")],
    )));
    assert_eq!(
        e.message,
        "Cannot specify more than one suffix rule in a filter."
    );

    let long = "k".repeat(MAX_FILTER_VALUE_BYTES + 1);
    let e = err(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("prefix", &long)],
    )));
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert_eq!(
        e.message,
        "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation"
    );
    let max = "é".repeat(MAX_FILTER_VALUE_BYTES / 2);
    assert!(parse(&doc(&queue(
        None,
        Q1,
        &["s3:ObjectCreated:*"],
        &[("prefix", &max)]
    )))
    .is_ok());
}

#[test]
fn id_errors() {
    let e = err(&doc(&format!(
        "{}{}",
        queue(Some("same"), Q1, &["s3:ObjectCreated:*"], &[]),
        queue(Some("same"), Q2, &["s3:ObjectRemoved:*"], &[])
    )));
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert_eq!(
        e.message,
        "Same ID used for multiple configurations. IDs must be unique."
    );
    let long = "i".repeat(MAX_ID_CHARS + 1);
    let e = err(&doc(&queue(Some(&long), Q1, &["s3:ObjectCreated:*"], &[])));
    assert_eq!(e.message, "ID length exceeded allowed limit of 255");
    let max = "i".repeat(MAX_ID_CHARS);
    assert!(parse(&doc(&queue(Some(&max), Q1, &["s3:ObjectCreated:*"], &[]))).is_ok());
}

#[test]
fn eventbridge_is_refused() {
    let e = err(&doc(
        "<EventBridgeConfiguration></EventBridgeConfiguration>",
    ));
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert!(e
        .message
        .starts_with("EventBridgeConfiguration is not supported"));
}

#[test]
fn destination_arns_are_distinct() {
    let c = parse(&doc(&format!(
        "{}{}{}",
        queue(None, Q1, &["s3:ObjectCreated:*"], &[]),
        queue(None, Q2, &["s3:ObjectRemoved:*"], &[]),
        queue(None, Q1, &["s3:ObjectTagging:*"], &[])
    )))
    .unwrap();
    assert_eq!(c.destination_arns(), [Q1, Q2]);
}

/// Two queue configurations: `(events, rules)` each.
fn pair(a: (&[&str], &[(&str, &str)]), b: (&[&str], &[(&str, &str)])) -> Result<(), S3Error> {
    parse(&doc(&format!(
        "{}{}",
        queue(None, Q1, a.0, a.1),
        queue(None, Q2, b.0, b.1)
    )))
    .map(|_| ())
}

#[test]
fn unfiltered_overlap_is_configurations_overlap() {
    let e = pair(
        (&["s3:ObjectRemoved:*"], &[]),
        (&["s3:ObjectRemoved:*"], &[]),
    )
    .unwrap_err();
    assert_eq!((e.code, e.status), ("InvalidArgument", 400));
    assert_eq!(
        e.message,
        "Configurations overlap. Configurations on the same bucket cannot share a common event type."
    );
    assert_eq!(detail(&e, "ArgumentName"), Some("Event"));
    assert_eq!(
        detail(&e, "ArgumentValue"),
        Some("s3:ObjectRemoved:*, s3:ObjectRemoved:*")
    );
    // Wildcards are expanded.
    let e = pair(
        (&["s3:ObjectTagging:Put", "s3:ObjectCreated:Put"], &[]),
        (&["s3:ObjectCreated:*"], &[]),
    )
    .unwrap_err();
    assert_eq!(
        detail(&e, "ArgumentValue"),
        Some("s3:ObjectCreated:Put, s3:ObjectCreated:*")
    );
    // Across kinds too.
    let e = parse(&doc(&format!(
        "{}<TopicConfiguration><Topic>t</Topic><Event>s3:ObjectCreated:Post</Event></TopicConfiguration>",
        queue(None, Q1, &["s3:ObjectCreated:*"], &[])
    )))
    .unwrap_err();
    assert!(e.message.starts_with("Configurations overlap."));
}

#[test]
fn filtered_overlap_is_ambiguous_configuration() {
    const AMBIGUOUS: &str = "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.";
    let created: &[&str] = &["s3:ObjectCreated:*"];
    let put: &[&str] = &["s3:ObjectCreated:Put"];
    // AWS's invalid examples (User Guide, notification-how-to-filtering).
    for (a, b) in [
        // The root prefix overlaps every prefix.
        ((created, &[][..]), (created, &[("prefix", "images")][..])),
        // jpg and pg: a key can end with both.
        (
            (created, &[("suffix", "jpg")][..]),
            (put, &[("suffix", "pg")][..]),
        ),
        // images+jpg against jpg alone.
        (
            (created, &[("prefix", "images"), ("suffix", "jpg")][..]),
            (put, &[("suffix", "jpg")][..]),
        ),
        // Prefixes one a prefix of the other.
        (
            (put, &[("prefix", "a/")][..]),
            (put, &[("prefix", "a/b/")][..]),
        ),
        // Same filter.
        (
            (put, &[("prefix", "a/")][..]),
            (put, &[("prefix", "a/")][..]),
        ),
    ] {
        let e = pair(a, b).unwrap_err();
        assert_eq!((e.code, e.status), ("InvalidArgument", 400), "{a:?} {b:?}");
        assert_eq!(e.message, AMBIGUOUS, "{a:?} {b:?}");
        assert!(e.details.is_empty());
        let e = pair(b, a).unwrap_err();
        assert_eq!(e.message, AMBIGUOUS);
    }
    // AWS's valid examples, and more.
    assert!(pair(
        (put, &[("prefix", "images/")]),
        (put, &[("prefix", "logs/")])
    )
    .is_ok());
    assert!(pair((put, &[("suffix", ".jpg")]), (put, &[("suffix", ".png")])).is_ok());
    assert!(pair(
        (put, &[("prefix", "images"), ("suffix", ".jpg")]),
        (put, &[("prefix", "images"), ("suffix", ".png")])
    )
    .is_ok());
    assert!(pair(
        (put, &[("prefix", "image/")]),
        (&["s3:ObjectRemoved:*"], &[("prefix", "image/")])
    )
    .is_ok());
    assert!(pair((created, &[]), (&["s3:ObjectRemoved:Delete"], &[])).is_ok());
    assert!(pair((put, &[]), (&["s3:ObjectCreated:Post"], &[])).is_ok());
    assert!(pair(
        (put, &[("prefix", "a/"), ("suffix", ".y")]),
        (put, &[("prefix", "a/b/"), ("suffix", ".x")])
    )
    .is_ok());
}

#[test]
fn key_filter_overlap_is_symmetric_and_exact() {
    let f = |p: Option<&str>, s: Option<&str>| KeyFilter {
        prefix: p.map(str::to_string),
        suffix: s.map(str::to_string),
    };
    let cases = [
        (f(None, None), f(Some("a"), None), true),
        (f(Some("a"), None), f(Some("b"), None), false),
        (f(Some("ab"), None), f(Some("a"), Some("z")), true),
        (f(None, Some(".jpg")), f(None, Some("jpg")), true),
        (f(None, Some(".jpg")), f(None, Some(".png")), false),
        (f(Some("a"), Some("x")), f(Some("b"), Some("x")), false),
        (f(Some(""), Some("")), f(Some("q"), Some("r")), true),
    ];
    for (a, b, want) in cases {
        assert_eq!(a.overlaps(&b), want, "{a:?} {b:?}");
        assert_eq!(b.overlaps(&a), want, "{a:?} {b:?}");
        if want {
            // A witness key: the longer prefix then the longer suffix passes both.
            let p = [a.prefix.as_deref(), b.prefix.as_deref()]
                .into_iter()
                .flatten()
                .max_by_key(|s| s.len())
                .unwrap_or("");
            let s = [a.suffix.as_deref(), b.suffix.as_deref()]
                .into_iter()
                .flatten()
                .max_by_key(|s| s.len())
                .unwrap_or("");
            let key = format!("{p}{s}");
            assert!(a.matches(&key) && b.matches(&key), "{key}");
        }
    }
}

#[test]
fn matching_applies_wildcards_and_filters() {
    let c = parse(&doc(&format!(
        "{}{}{}<TopicConfiguration><Id>t</Id><Topic>arn:t</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>",
        queue(Some("photos"), Q1, &["s3:ObjectCreated:*"], &[("prefix", "photos/"), ("suffix", ".png")]),
        queue(Some("docs"), Q1, &["s3:ObjectCreated:Put", "s3:ObjectCreated:Post"], &[("prefix", "docs/")]),
        queue(Some("spaces"), Q2, &["s3:ObjectCreated:CompleteMultipartUpload"], &[("prefix", "my dir/")])
    )))
    .unwrap();
    let ids = |event: &str, key: &str| -> Vec<String> {
        c.matching(event, key)
            .iter()
            .map(|d| d.id.clone())
            .collect()
    };
    assert_eq!(ids("s3:ObjectCreated:Put", "photos/a.png"), ["photos"]);
    assert_eq!(
        ids("s3:ObjectCreated:CompleteMultipartUpload", "photos/a.png"),
        ["photos"]
    );
    assert!(ids("s3:ObjectCreated:Put", "photos/a.jpg").is_empty());
    assert!(ids("s3:ObjectCreated:Put", "x/photos/a.png").is_empty());
    assert_eq!(ids("s3:ObjectCreated:Post", "docs/r.pdf"), ["docs"]);
    assert!(ids("s3:ObjectCreated:Copy", "docs/r.pdf").is_empty());
    // Filters compare with the raw key, not its URL-encoded form.
    assert_eq!(
        ids("s3:ObjectCreated:CompleteMultipartUpload", "my dir/f"),
        ["spaces"]
    );
    assert!(ids("s3:ObjectCreated:CompleteMultipartUpload", "my+dir/f").is_empty());
    assert_eq!(ids("s3:ObjectRemoved:Delete", "anything"), ["t"]);
    assert_eq!(ids("s3:ObjectRemoved:DeleteMarkerCreated", ""), ["t"]);
    assert!(ids("s3:ObjectRestore:Completed", "photos/a.png").is_empty());
    assert!(ids("sluice:Upload:Rejected", "photos/a.png").is_empty());
    let d = c.matching("s3:ObjectCreated:Put", "photos/b.png");
    assert_eq!(d[0].arn, Q1);
    assert_eq!(d[0].kind, DestinationKind::Queue);
}

#[test]
fn filter_values_are_read_url_encoded_as_aws_reads_them() {
    let f = |p: &str, s: Option<&str>| KeyFilter {
        prefix: Some(p.to_string()),
        suffix: s.map(str::to_string),
    };
    // aws/aws-cdk#28012: on AWS `schemaVersion%3D1/` matches the key `schemaVersion=1/...`.
    let encoded = f("cfg/schemaVersion%3D1/", None);
    assert!(encoded.matches("cfg/schemaVersion=1/a.json"));
    assert!(!encoded.matches("cfg/schemaVersion%3D1/a.json"));
    // Unencoded values match too (AWS would match nothing).
    assert!(f("cfg/schemaVersion=1/", None).matches("cfg/schemaVersion=1/a.json"));
    // `+` is a space, `%2B` a plus, as in the keys of event records.
    assert!(f("my+dir/", None).matches("my dir/x"));
    assert!(!f("my+dir/", None).matches("my+dir/x"));
    assert!(f("c%2B%2B/", None).matches("c++/x"));
    assert!(f("a", Some("%20copy%281%29.txt")).matches("a b copy(1).txt"));
    assert!(f("%C3%A9t%C3%A9/", None).matches("été/x"));
    // Values that do not decode to UTF-8, or stray percents, are literal.
    assert!(f("100%", None).matches("100%/x"));
    assert!(f("%FF", None).matches("%FF"));
    // Overlap uses the decoded values.
    assert!(f("a+b", None).overlaps(&f("a b/", None)));
    assert!(!f("a%2Bb", None).overlaps(&f("a b", None)));
    // Values are answered as sent.
    let c = parse(&doc(&queue(
        Some("e"),
        Q1,
        &["s3:ObjectCreated:*"],
        &[("prefix", "x%3D1/")],
    )))
    .unwrap();
    assert!(c.to_xml().contains("<Value>x%3D1/</Value>"));
    assert_eq!(c.matching("s3:ObjectCreated:Put", "x=1/k").len(), 1);
}
