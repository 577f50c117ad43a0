//! The console's CSS and JavaScript, embedded in the binary (the console needs no network).

use super::reply::Page;

const CSS: &str = include_str!("assets/console.css");
const CONSOLE_JS: &str = include_str!("assets/console.js");
const UPLOAD_JS: &str = include_str!("assets/upload.js");

/// `GET /assets/{name}`
pub fn serve(path: &str) -> Page {
    match path {
        "/assets/console.css" => Page::Asset {
            content_type: "text/css; charset=utf-8",
            body: CSS,
        },
        "/assets/console.js" => Page::Asset {
            content_type: "text/javascript; charset=utf-8",
            body: CONSOLE_JS,
        },
        "/assets/upload.js" => Page::Asset {
            content_type: "text/javascript; charset=utf-8",
            body: UPLOAD_JS,
        },
        _ => Page::error(404, "Not found", "There is no such asset."),
    }
}
