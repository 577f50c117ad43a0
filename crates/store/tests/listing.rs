//! S3 listing semantics, checked by hand and against a naive in-memory model.

mod common;

use std::collections::BTreeSet;
use std::ops::Bound;

use common::{bucket, env, put_keys};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sluice_store::{ListPage, ListQuery, MetaStore};

fn keys(page: &ListPage) -> Vec<&str> {
    page.objects.iter().map(|o| o.key.as_str()).collect()
}

fn q<'a>(
    prefix: &'a str,
    delimiter: Option<&'a str>,
    start_after: Option<&'a str>,
    max_keys: usize,
) -> ListQuery<'a> {
    ListQuery {
        prefix,
        delimiter,
        start_after,
        max_keys,
    }
}

async fn setup(keys: &[&str]) -> common::Env {
    let env = env().await;
    env.meta.create_bucket(&bucket("b")).await.unwrap();
    put_keys(env.meta.as_ref(), "b", keys).await;
    env
}

#[tokio::test]
async fn prefix_and_binary_order() {
    let env = setup(&["b", "a/2", "a/1", "a", "ab", "é", "Z", "a\u{10FFFF}", "a~"]).await;
    let all = env
        .meta
        .list_objects("b", &q("", None, None, 1000))
        .await
        .unwrap();
    assert_eq!(
        keys(&all),
        // Binary UTF-8 order: '/' < 'b' < '~' < U+10FFFF; "é" (0xC3..) after "b".
        ["Z", "a", "a/1", "a/2", "ab", "a~", "a\u{10FFFF}", "b", "é"]
    );
    assert!(!all.is_truncated);
    assert_eq!(all.next_marker, None);

    let a = env
        .meta
        .list_objects("b", &q("a", None, None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&a), ["a", "a/1", "a/2", "ab", "a~", "a\u{10FFFF}"]);
    let max = env
        .meta
        .list_objects("b", &q("a\u{10FFFF}", None, None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&max), ["a\u{10FFFF}"]);
    let none = env
        .meta
        .list_objects("b", &q("c", None, None, 1000))
        .await
        .unwrap();
    assert!(none.objects.is_empty() && !none.is_truncated);
}

#[tokio::test]
async fn delimiter_rolls_up_common_prefixes() {
    let env = setup(&[
        "photos/2023/jan/1.jpg",
        "photos/2023/feb/2.jpg",
        "photos/2024/mar/3.jpg",
        "photos/index.html",
        "photos/",
        "readme",
        "z/a",
    ])
    .await;
    let m = &env.meta;
    let root = m
        .list_objects("b", &q("", Some("/"), None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&root), ["readme"]);
    assert_eq!(root.common_prefixes, ["photos/", "z/"]);

    let photos = m
        .list_objects("b", &q("photos/", Some("/"), None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&photos), ["photos/", "photos/index.html"]);
    assert_eq!(photos.common_prefixes, ["photos/2023/", "photos/2024/"]);

    // Prefix without a trailing delimiter.
    let p = m
        .list_objects("b", &q("photos/202", Some("/"), None, 1000))
        .await
        .unwrap();
    assert!(p.objects.is_empty());
    assert_eq!(p.common_prefixes, ["photos/2023/", "photos/2024/"]);

    // Multi-character delimiter.
    let env2 = setup(&["a--b--c", "a--d", "a-e", "x--", "--y"]).await;
    let multi = env2
        .meta
        .list_objects("b", &q("", Some("--"), None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&multi), ["a-e"]);
    assert_eq!(multi.common_prefixes, ["--", "a--", "x--"]);
    let inner = env2
        .meta
        .list_objects("b", &q("a--", Some("--"), None, 1000))
        .await
        .unwrap();
    assert_eq!(keys(&inner), ["a--d"]);
    assert_eq!(inner.common_prefixes, ["a--b--"]);

    // An empty delimiter is no delimiter.
    let flat = env2
        .meta
        .list_objects("b", &q("", Some(""), None, 1000))
        .await
        .unwrap();
    assert_eq!(flat.objects.len(), 5);
}

#[tokio::test]
async fn start_after_semantics() {
    let env = setup(&["a/1", "a/2", "a/3", "b", "c/1", "d"]).await;
    let m = &env.meta;
    // Inside a common prefix: the prefix is not returned again.
    let p = m
        .list_objects("b", &q("", Some("/"), Some("a/1"), 1000))
        .await
        .unwrap();
    assert_eq!(keys(&p), ["b", "d"]);
    assert_eq!(p.common_prefixes, ["c/"]);
    // Equal to a common prefix (a previous page's next_marker): also skipped.
    let p = m
        .list_objects("b", &q("", Some("/"), Some("a/"), 1000))
        .await
        .unwrap();
    assert_eq!(p.common_prefixes, ["c/"]);
    // Before the common prefix: returned.
    let p = m
        .list_objects("b", &q("", Some("/"), Some("a"), 1000))
        .await
        .unwrap();
    assert_eq!(p.common_prefixes, ["a/", "c/"]);
    // Without a delimiter: strictly greater.
    let p = m
        .list_objects("b", &q("", None, Some("a/2"), 1000))
        .await
        .unwrap();
    assert_eq!(keys(&p), ["a/3", "b", "c/1", "d"]);
    // Before the prefix: ignored; after the whole prefix range: empty.
    let p = m
        .list_objects("b", &q("c/", None, Some("a"), 1000))
        .await
        .unwrap();
    assert_eq!(keys(&p), ["c/1"]);
    let p = m
        .list_objects("b", &q("a/", None, Some("b"), 1000))
        .await
        .unwrap();
    assert!(p.objects.is_empty() && !p.is_truncated);
    // Past every key.
    let p = m
        .list_objects("b", &q("", None, Some("\u{10FFFF}"), 1000))
        .await
        .unwrap();
    assert!(p.objects.is_empty() && !p.is_truncated);
}

#[tokio::test]
async fn max_keys_edges() {
    let env = setup(&["a/1", "a/2", "b", "c/1"]).await;
    let m = &env.meta;
    // max_keys 0: empty and not truncated (as S3 answers max-keys=0).
    let p = m.list_objects("b", &q("", None, None, 0)).await.unwrap();
    assert!(p.objects.is_empty() && p.common_prefixes.is_empty() && !p.is_truncated);
    assert_eq!(p.next_marker, None);

    // Exactly filling the page is not truncated.
    let p = m
        .list_objects("b", &q("", Some("/"), None, 3))
        .await
        .unwrap();
    assert_eq!(
        (p.objects.len(), p.common_prefixes.len(), p.is_truncated),
        (1, 2, false)
    );

    // Common prefixes count once each, and the marker may be a common prefix.
    let p = m
        .list_objects("b", &q("", Some("/"), None, 1))
        .await
        .unwrap();
    assert_eq!(p.common_prefixes, ["a/"]);
    assert!(p.is_truncated);
    assert_eq!(p.next_marker.as_deref(), Some("a/"));
    let p = m
        .list_objects("b", &q("", Some("/"), Some("a/"), 1))
        .await
        .unwrap();
    assert_eq!(keys(&p), ["b"]);
    assert!(p.is_truncated);
    assert_eq!(p.next_marker.as_deref(), Some("b"));
    let p = m
        .list_objects("b", &q("", Some("/"), Some("b"), 1))
        .await
        .unwrap();
    assert_eq!(p.common_prefixes, ["c/"]);
    assert!(!p.is_truncated);
    assert_eq!(p.next_marker, None);
}

#[tokio::test]
async fn many_keys_under_one_common_prefix_are_skipped() {
    let env = env().await;
    env.meta.create_bucket(&bucket("b")).await.unwrap();
    let mut keys = vec!["a".to_owned(), "z".to_owned()];
    keys.extend((0..300).map(|i| format!("m/{i:04}")));
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put_keys(env.meta.as_ref(), "b", &refs).await;
    let p = env
        .meta
        .list_objects("b", &q("", Some("/"), None, 2))
        .await
        .unwrap();
    assert_eq!(self::keys(&p), ["a"]);
    assert_eq!(p.common_prefixes, ["m/"]);
    assert!(p.is_truncated);
    let p = env
        .meta
        .list_objects("b", &q("", Some("/"), p.next_marker.as_deref(), 2))
        .await
        .unwrap();
    assert_eq!(self::keys(&p), ["z"]);
    assert!(!p.is_truncated);
}

/// Naive reference: filter every key, roll up, then cut the page.
fn model(all: &BTreeSet<String>, q: &ListQuery<'_>) -> (Vec<String>, Vec<String>, bool) {
    #[derive(PartialEq)]
    enum E {
        Obj(String),
        Cp(String),
    }
    let delim = q.delimiter.filter(|d| !d.is_empty());
    let mut entries: Vec<E> = Vec::new();
    // Start at the prefix (cheap and obviously equivalent to filtering from the first key);
    // stop once the page plus one entry is known.
    let lower = match q.start_after {
        Some(sa) if sa >= q.prefix => Bound::Excluded(sa),
        _ => Bound::Included(q.prefix),
    };
    for k in all.range::<str, _>((lower, Bound::Unbounded)) {
        if entries.len() > q.max_keys {
            break;
        }
        if !k.starts_with(q.prefix) {
            break;
        }
        if q.start_after.is_some_and(|sa| k.as_str() <= sa) {
            continue;
        }
        let rolled = delim.and_then(|d| {
            k[q.prefix.len()..]
                .find(d)
                .map(|pos| k[..q.prefix.len() + pos + d.len()].to_owned())
        });
        match rolled {
            Some(cp) => {
                if q.start_after.is_some_and(|sa| sa.starts_with(&cp)) {
                    continue;
                }
                if entries.last() != Some(&E::Cp(cp.clone())) {
                    entries.push(E::Cp(cp));
                }
            }
            None => entries.push(E::Obj(k.clone())),
        }
    }
    let truncated = entries.len() > q.max_keys;
    let (mut objs, mut cps) = (Vec::new(), Vec::new());
    for e in entries.into_iter().take(q.max_keys) {
        match e {
            E::Obj(k) => objs.push(k),
            E::Cp(c) => cps.push(c),
        }
    }
    (objs, cps, truncated)
}

const ALPHABET: &[&str] = &[
    "a",
    "b",
    "/",
    "-",
    "--",
    ".",
    "é",
    "ß",
    "日",
    "\u{7F}",
    "\u{FFFF}",
    "\u{10FFFF}",
    "\u{1}",
    "z",
    "~",
];

fn random_key(rng: &mut StdRng) -> String {
    let len = rng.gen_range(1..=6);
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
        .collect()
}

#[tokio::test]
async fn random_keys_match_model_and_paginate_exactly_once() {
    let mut rng = StdRng::seed_from_u64(0x5_1u64 << 40 | 2024);
    let mut all = BTreeSet::new();
    while all.len() < 2500 {
        all.insert(random_key(&mut rng));
    }
    let env = env().await;
    env.meta.create_bucket(&bucket("b")).await.unwrap();
    for k in &all {
        env.meta
            .put_object(&common::object("b", k, 1))
            .await
            .unwrap();
    }
    let m = env.meta.as_ref();

    let delimiters = [
        None,
        Some("/"),
        Some("--"),
        Some("日"),
        Some("\u{10FFFF}"),
        Some("a"),
    ];
    for round in 0..60 {
        let prefix = if round % 3 == 0 {
            String::new()
        } else {
            let n = rng.gen_range(1..=2);
            random_key(&mut rng).chars().take(n).collect()
        };
        let delimiter = delimiters[rng.gen_range(0..delimiters.len())];
        let max_keys = [1, 2, 7, 100, 1000][rng.gen_range(0..5)];

        // Walk every page, checking each against the model.
        let mut marker: Option<String> = None;
        let mut seen_objs = Vec::new();
        let mut seen_cps = Vec::new();
        let mut pages = 0;
        loop {
            let query = q(&prefix, delimiter, marker.as_deref(), max_keys);
            let page = list(m, &query).await;
            let (objs, cps, truncated) = model(&all, &query);
            assert_eq!(keys(&page), objs, "objects for {query:?}");
            assert_eq!(page.common_prefixes, cps, "prefixes for {query:?}");
            assert_eq!(page.is_truncated, truncated, "truncation for {query:?}");
            seen_objs.extend(objs);
            seen_cps.extend(cps);
            pages += 1;
            if !page.is_truncated {
                break;
            }
            let next = page
                .next_marker
                .clone()
                .expect("truncated page has a marker");
            let last = [
                page.objects.last().map(|o| o.key.clone()),
                page.common_prefixes.last().cloned(),
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap();
            assert_eq!(next, last);
            marker = Some(next);
            assert!(pages < 5000, "pagination does not terminate");
        }
        // Every entry exactly once, matching one unbounded listing.
        let whole = model(&all, &q(&prefix, delimiter, None, usize::MAX));
        assert_eq!(
            seen_objs, whole.0,
            "paged objects, prefix {prefix:?} delim {delimiter:?}"
        );
        assert_eq!(
            seen_cps, whole.1,
            "paged prefixes, prefix {prefix:?} delim {delimiter:?}"
        );
    }

    // Random start_after values (not necessarily existing keys).
    for _ in 0..200 {
        let sa = random_key(&mut rng);
        let delimiter = delimiters[rng.gen_range(0..delimiters.len())];
        let query = q("", delimiter, Some(&sa), 5);
        let page = list(m, &query).await;
        let (objs, cps, truncated) = model(&all, &query);
        assert_eq!(
            (keys(&page), page.common_prefixes.clone(), page.is_truncated),
            (objs.iter().map(String::as_str).collect(), cps, truncated),
            "{query:?}"
        );
    }
}

async fn list(m: &dyn MetaStore, query: &ListQuery<'_>) -> ListPage {
    m.list_objects("b", query).await.unwrap()
}
