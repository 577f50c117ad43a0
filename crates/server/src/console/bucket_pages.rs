//! Buckets and objects: the bucket list with the create form, and the object list with
//! folder (prefix) navigation.

use super::acting::{check_csrf, page_acting};
use super::form::Form;
use super::html::{csrf_field, date, esc, human_size, layout, q};
use super::reply::Page;
use super::{ConsoleRequest, ConsoleState};
use crate::auth::authz::require_allowed;
use hyper::body::Incoming;
use sluice_s3::bucket_name::is_valid_bucket_name;
use sluice_store::{BucketMeta, ListQuery, StoreError};

/// Objects and folders shown per page.
const PAGE_SIZE: usize = 200;

fn store_failed(e: StoreError) -> Page {
    tracing::error!(error = %e, "console store access failed");
    Page::error(
        500,
        "Server error",
        "The store could not be read; see the server log.",
    )
}

/// `GET /`: the buckets the key may list, and the create form.
pub async fn bucket_list(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let ctx = me.ctx(console, req);
    let buckets = match console.app.meta.list_buckets().await {
        Ok(b) => b,
        Err(e) => return store_failed(e),
    };
    let mut rows = String::new();
    for b in &buckets {
        if require_allowed(&ctx, "s3:ListBucket", Some(&b.name), None)
            .await
            .is_err()
        {
            continue;
        }
        rows.push_str(&format!(
            r#"<tr><td><a class="bucket" href="/objects?bucket={bq}">{b}</a></td><td>{d}</td><td class="actions"><a href="/upload?bucket={bq}">Upload</a> <a href="/presign?bucket={bq}">Presign</a> <a href="/share?bucket={bq}">Share link</a></td></tr>"#,
            bq = q(&b.name),
            b = esc(&b.name),
            d = date(b.created_ms)
        ));
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="3" class="empty">No buckets you can list yet.</td></tr>"#.into();
    }
    let body = format!(
        r#"<table id="buckets"><thead><tr><th>Bucket</th><th>Created</th><th></th></tr></thead><tbody>{rows}</tbody></table>
<h2>Create a bucket</h2>
<form method="post" action="/buckets" class="card row" id="create-bucket">{}
<input name="name" id="bucket-name" placeholder="bucket-name" pattern="[a-z0-9][a-z0-9.\-]{{1,61}}[a-z0-9]" required>
<button type="submit">Create</button></form>"#,
        csrf_field(&me.session)
    );
    Page::ok(layout("Buckets", Some(&me.session), &body))
}

/// `POST /buckets`: create a bucket (needs `s3:CreateBucket`).
pub async fn create_bucket(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let Ok(form) = Form::read(body).await else {
        return Page::error(400, "Bad request", "The form could not be read.");
    };
    if let Err(p) = check_csrf(&me, form.get("csrf")) {
        return p;
    }
    let name = form.get("name").trim();
    if !is_valid_bucket_name(name) {
        return Page::error(
            400,
            "Invalid bucket name",
            "Bucket names are 3 to 63 characters: lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.",
        );
    }
    let ctx = me.ctx(console, req);
    if require_allowed(&ctx, "s3:CreateBucket", Some(name), None)
        .await
        .is_err()
    {
        return Page::error(403, "Access denied", "Your key may not create this bucket.");
    }
    let meta = BucketMeta {
        name: name.to_string(),
        created_ms: console.app.clock.now_ms(),
        owner: console.app.owner().0,
    };
    match console.app.meta.create_bucket(&meta).await {
        Ok(()) => Page::redirect(format!("/objects?bucket={}", q(name))),
        Err(StoreError::BucketExists) => Page::error(
            409,
            "Bucket exists",
            &format!("A bucket named {name} already exists."),
        ),
        Err(e) => store_failed(e),
    }
}

fn breadcrumbs(bucket: &str, prefix: &str) -> String {
    let mut out = format!(
        r#"<p class="crumbs" id="crumbs"><a href="/">Buckets</a> / <a href="/objects?bucket={}">{}</a>"#,
        q(bucket),
        esc(bucket)
    );
    let mut acc = String::new();
    for part in prefix.split_inclusive('/') {
        acc.push_str(part);
        out.push_str(&format!(
            r#" / <a href="/objects?bucket={}&amp;prefix={}">{}</a>"#,
            q(bucket),
            q(&acc),
            esc(part.trim_end_matches('/'))
        ));
    }
    out.push_str("</p>");
    out
}

/// `GET /objects?bucket=B&prefix=P&after=K`: one level of the bucket under `prefix`.
pub async fn object_list(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let bucket = req.query_param("bucket");
    let prefix = req.query_param("prefix");
    let after = Some(req.query_param("after")).filter(|a| !a.is_empty());
    let ctx = me.ctx(console, req);
    if require_allowed(&ctx, "s3:ListBucket", Some(bucket), None)
        .await
        .is_err()
    {
        return Page::error(403, "Access denied", "Your key may not list this bucket.");
    }
    match console.app.meta.get_bucket(bucket).await {
        Ok(Some(_)) => {}
        Ok(None) => return Page::error(404, "No such bucket", "That bucket does not exist."),
        Err(e) => return store_failed(e),
    }
    let page = match console
        .app
        .meta
        .list_objects(
            bucket,
            &ListQuery {
                prefix,
                delimiter: Some("/"),
                start_after: after,
                max_keys: PAGE_SIZE,
            },
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return store_failed(e),
    };
    let bq = q(bucket);
    let mut rows = String::new();
    for p in &page.common_prefixes {
        rows.push_str(&format!(
            r#"<tr class="folder"><td><a href="/objects?bucket={bq}&amp;prefix={}">{}</a></td><td></td><td></td><td></td></tr>"#,
            q(p),
            esc(&p[prefix.len().min(p.len())..])
        ));
    }
    for o in &page.objects {
        let name = o.key.get(prefix.len()..).unwrap_or(&o.key);
        rows.push_str(&format!(
            r#"<tr class="object"><td class="key">{}</td><td class="size">{}</td><td>{}</td><td class="actions"><a href="/presign?method=GET&amp;bucket={bq}&amp;key={}">Presign GET</a></td></tr>"#,
            esc(name),
            human_size(o.size),
            date(o.last_modified_ms),
            q(&o.key)
        ));
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="4" class="empty">Nothing here yet.</td></tr>"#.into();
    }
    let more = match (&page.next_marker, page.is_truncated) {
        (Some(next), true) => format!(
            r#"<p><a href="/objects?bucket={bq}&amp;prefix={}&amp;after={}">Next page</a></p>"#,
            q(prefix),
            q(next)
        ),
        _ => String::new(),
    };
    let body = format!(
        r#"{}<p class="toolbar"><a class="button" href="/upload?bucket={bq}&amp;prefix={pq}">Upload here</a> <a class="button" href="/presign?bucket={bq}&amp;key={pq}">Presign a URL</a> <a class="button" href="/share?bucket={bq}&amp;prefix={pq}">Share an upload link</a></p>
<table id="objects"><thead><tr><th>Name</th><th>Size</th><th>Last modified</th><th></th></tr></thead><tbody>{rows}</tbody></table>{more}"#,
        breadcrumbs(bucket, prefix),
        pq = q(prefix)
    );
    Page::ok(layout(bucket, Some(&me.session), &body))
}
