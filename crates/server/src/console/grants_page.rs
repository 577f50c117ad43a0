//! The grants of the logged-in key (use-limited URLs) with a revoke button each, through the
//! same visibility rules as `GET /_sluice/v1/grants`.

use super::acting::{check_csrf, page_acting};
use super::form::Form;
use super::html::{csrf_field, date, esc, layout};
use super::reply::Page;
use super::{ConsoleRequest, ConsoleState};
use crate::service_api::grants::{list_visible, revoke_one};
use hyper::body::Incoming;
use sluice_store::GrantFilter;

/// `GET /grants`
pub async fn list(console: &ConsoleState, req: &ConsoleRequest) -> Page {
    let me = match page_acting(console, req).await {
        Ok(a) => a,
        Err(p) => return p,
    };
    let ctx = me.ctx(console, req);
    let filter = GrantFilter {
        access_key_id: None,
        bucket: None,
        prefix: None,
        created_before_ms: None,
    };
    let grants = match list_visible(&ctx, filter).await {
        Ok(g) => g,
        Err(e) => return Page::error(e.status, "Grants unavailable", &e.message),
    };
    let mut rows = String::new();
    for g in &grants {
        let state = match g.revoked_ms {
            Some(t) => format!("revoked {}", date(t)),
            None if g.uses >= g.max_uses => "used up".to_string(),
            None => format!(
                r#"<form method="post" action="/grants/revoke" class="inline">{}<input type="hidden" name="id" value="{}"><button type="submit" class="danger revoke">Revoke</button></form>"#,
                csrf_field(&me.session),
                esc(&g.id)
            ),
        };
        rows.push_str(&format!(
            r#"<tr data-grant="{id}"><td><code>{id}</code></td><td>{m}</td><td>{b}/{k}</td><td>{u} / {max}</td><td>{c}</td><td>{state}</td></tr>"#,
            id = esc(&g.id),
            m = esc(&g.method),
            b = esc(&g.bucket),
            k = esc(&g.key),
            u = g.uses,
            max = g.max_uses,
            c = date(g.created_ms),
        ));
    }
    if rows.is_empty() {
        rows = r#"<tr><td colspan="6" class="empty">No grants. Presign a URL with “Max uses” to create one.</td></tr>"#.into();
    }
    let body = format!(
        r#"<table id="grants"><thead><tr><th>Grant</th><th>Method</th><th>Object</th><th>Uses</th><th>Created</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#
    );
    Page::ok(layout("Grants", Some(&me.session), &body))
}

/// `POST /grants/revoke` (form field `id`)
pub async fn revoke(console: &ConsoleState, req: &ConsoleRequest, body: Incoming) -> Page {
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
    let ctx = me.ctx(console, req);
    match revoke_one(&ctx, form.get("id")).await {
        Ok(()) => Page::redirect("/grants"),
        Err(e) => Page::error(e.status, "Cannot revoke", &e.message),
    }
}
