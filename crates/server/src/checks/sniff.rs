//! Content sniffing: the first bytes of an upload matched against known signatures (`infer`),
//! judged by a profile's [`SniffRules`].

use super::profile::{SniffRules, UnknownVerdict};

/// What the first bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The detected media type; `None` when no signature matched ("unknown").
    pub mime: Option<&'static str>,
    /// What kind of content it is.
    pub kind: ContentKind,
}

/// The families the default refusals name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// Executable code (ELF, PE, Mach-O, DEX, WebAssembly, ...).
    Executable,
    /// An archive (zip, tar, gzip, 7z, rar, ...; PDF is not one).
    Archive,
    /// An image.
    Image,
    /// Anything else, or unknown.
    Other,
}

impl Sniffed {
    /// The type as messages show it: the media type or `unknown`.
    pub fn label(&self) -> &'static str {
        self.mime.unwrap_or("unknown")
    }
}

/// Sniffs `head` (the object's first bytes).
pub fn sniff(head: &[u8]) -> Sniffed {
    match infer::get(head) {
        None => Sniffed {
            mime: None,
            kind: ContentKind::Other,
        },
        Some(t) => {
            let mime = t.mime_type();
            let kind = match t.matcher_type() {
                infer::MatcherType::App => ContentKind::Executable,
                infer::MatcherType::Archive if mime != "application/pdf" => ContentKind::Archive,
                infer::MatcherType::Image => ContentKind::Image,
                _ => ContentKind::Other,
            };
            Sniffed {
                mime: Some(mime),
                kind,
            }
        }
    }
}

/// The media type of a `Content-Type` value: parameters dropped, lower case.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `mime` matches an allow-list entry (`type/sub`, `type/*`, `*/*`).
pub fn pattern_matches(pattern: &str, mime: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    match pattern.split_once('/') {
        Some(("*", "*")) => true,
        Some((top, "*")) => mime
            .split_once('/')
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case(top)),
        _ => pattern.eq_ignore_ascii_case(mime),
    }
}

/// Judges sniffed content by `rules`; `Err` is the reason for a refusal.
pub fn judge(rules: &SniffRules, sniffed: &Sniffed, declared: Option<&str>) -> Result<(), String> {
    let allowed = || {
        rules
            .allow
            .as_ref()
            .map(|a| a.join(", "))
            .unwrap_or_else(|| "any type".to_string())
    };
    let Some(mime) = sniffed.mime else {
        return match rules.unknown_verdict() {
            UnknownVerdict::Allow => Ok(()),
            UnknownVerdict::Refuse => Err(format!(
                "content type not recognised (unknown), allowed {}",
                allowed()
            )),
        };
    };
    let exactly_listed = rules
        .allow
        .as_ref()
        .is_some_and(|a| a.iter().any(|p| p.eq_ignore_ascii_case(mime)));
    let family = match sniffed.kind {
        ContentKind::Executable if rules.refuses_executables() => Some("an executable"),
        ContentKind::Archive if rules.refuses_archives() => Some("an archive"),
        _ => None,
    };
    if let (Some(family), false) = (family, exactly_listed) {
        return Err(format!("detected {mime} ({family}), allowed {}", allowed()));
    }
    if let Some(allow) = &rules.allow {
        if !allow.iter().any(|p| pattern_matches(p, mime)) {
            return Err(format!("detected {mime}, allowed {}", allowed()));
        }
    }
    if rules.match_declared {
        let declared = declared.map(essence).unwrap_or_default();
        if declared != mime {
            let shown = if declared.is_empty() {
                "none"
            } else {
                &declared
            };
            return Err(format!("detected {mime}, declared {shown}"));
        }
    }
    Ok(())
}

/// Whether a declared type can already be refused before the body arrives: with
/// `match_declared`, the content must be of the declared type, so a declared type outside the
/// allow list can never pass.
pub fn judge_declared(rules: &SniffRules, declared: Option<&str>) -> Result<(), String> {
    let (true, Some(allow), Some(declared)) = (rules.match_declared, &rules.allow, declared) else {
        return Ok(());
    };
    let declared = essence(declared);
    if allow.iter().any(|p| pattern_matches(p, &declared)) {
        Ok(())
    } else {
        Err(format!("declared {declared}, allowed {}", allow.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
    const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0\
        \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\0\0";

    fn rules(allow: &[&str]) -> SniffRules {
        SniffRules {
            allow: Some(allow.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn sniffs_families() {
        assert_eq!(sniff(PNG).mime, Some("image/png"));
        assert_eq!(sniff(PNG).kind, ContentKind::Image);
        assert_eq!(sniff(ELF).kind, ContentKind::Executable);
        assert_eq!(sniff(ZIP).kind, ContentKind::Archive);
        assert_eq!(sniff(b"hello").mime, None);
    }

    #[test]
    fn allow_list_and_wildcards() {
        assert!(judge(&rules(&["image/*"]), &sniff(PNG), None).is_ok());
        assert!(judge(&rules(&["*/*"]), &sniff(PNG), None).is_ok());
        let e = judge(&rules(&["image/png"]), &sniff(ELF), None).unwrap_err();
        assert!(e.contains("application/x-executable"), "{e}");
        // Executables and archives only pass when listed exactly.
        assert!(judge(&rules(&["*/*"]), &sniff(ZIP), None).is_err());
        assert!(judge(&rules(&["application/*"]), &sniff(ELF), None).is_err());
        assert!(judge(&rules(&["application/x-executable"]), &sniff(ELF), None).is_ok());
        assert!(judge(&rules(&["application/zip"]), &sniff(ZIP), None).is_ok());
        // Unknown: refused by default with an allow list, allowed without one.
        assert!(judge(&rules(&["image/*"]), &sniff(b"hi"), None).is_err());
        assert!(judge(&SniffRules::default(), &sniff(b"hi"), None).is_ok());
    }

    #[test]
    fn match_declared() {
        let r = SniffRules {
            match_declared: true,
            ..Default::default()
        };
        assert!(judge(&r, &sniff(PNG), Some("image/png; charset=x")).is_ok());
        assert!(judge(&r, &sniff(PNG), Some("image/jpeg")).is_err());
        let early = SniffRules {
            match_declared: true,
            ..rules(&["image/*"])
        };
        assert!(judge_declared(&early, Some("application/pdf")).is_err());
        assert!(judge_declared(&early, Some("image/gif")).is_ok());
    }
}
