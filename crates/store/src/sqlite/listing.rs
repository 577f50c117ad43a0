//! S3 ListObjects semantics over indexed range scans.
//!
//! Keys are stored as BLOBs, so SQLite orders them by `memcmp`, which is UTF-8 binary order.
//! A page is produced by stepping a cursor `key >= lower AND key < successor(prefix)` in
//! primary-key order. When a key rolls up into a common prefix, the cursor is dropped and a new
//! one starts at `successor(common_prefix)`: keys under a common prefix are never iterated, so
//! a page costs O(page * log(bucket)).

use rusqlite::{params, Connection};

use super::buckets;
use super::objects::{row_to_object, OBJECT_COLUMNS};
use crate::error::StoreError;
use crate::meta::{ListPage, ListQuery};

/// [`ListQuery`] with owned strings, so it can move to the blocking pool.
#[derive(Clone, Debug)]
pub(super) struct OwnedQuery {
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
    max_keys: usize,
}

impl From<&ListQuery<'_>> for OwnedQuery {
    fn from(q: &ListQuery<'_>) -> Self {
        OwnedQuery {
            prefix: q.prefix.to_owned(),
            delimiter: q.delimiter.filter(|d| !d.is_empty()).map(str::to_owned),
            start_after: q.start_after.map(str::to_owned),
            max_keys: q.max_keys,
        }
    }
}

/// Lower bound of the next range scan.
enum Lower {
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

/// What one range scan ended with.
enum ScanEnd {
    /// No more keys in range.
    Exhausted,
    /// The page is full and at least one more entry exists.
    Truncated,
    /// A common prefix was emitted; continue at this bound (`None`: nothing can follow).
    Seek(Option<Lower>),
}

/// The smallest byte string greater than every string starting with `prefix`, or `None` if
/// there is none (empty prefix or all `0xFF`). Trailing `0xFF` bytes are dropped before the
/// increment.
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// Lists one page inside a read transaction (a consistent snapshot across the range scans).
pub(super) fn list(
    conn: &mut Connection,
    bucket: &str,
    q: &OwnedQuery,
) -> Result<ListPage, StoreError> {
    let tx = conn.transaction()?;
    if !buckets::exists(&tx, bucket)? {
        return Err(StoreError::NoSuchBucket);
    }
    let page = scan_page(&tx, bucket, q)?;
    tx.commit()?;
    Ok(page)
}

fn scan_page(conn: &Connection, bucket: &str, q: &OwnedQuery) -> Result<ListPage, StoreError> {
    let mut page = ListPage::default();
    // S3 (and the Ceph s3-tests suite) return an empty, non-truncated page for max-keys=0.
    if q.max_keys == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_bytes();
    let delimiter = q.delimiter.as_deref().map(str::as_bytes);
    let upper = prefix_successor(prefix);

    let mut lower = Some(initial_lower(prefix, delimiter, q.start_after.as_deref()));
    let mut last: Option<String> = None;
    while let Some(bound) = lower.take() {
        let scan = Scan {
            conn,
            bucket,
            prefix,
            delimiter,
            upper: upper.as_deref(),
            max_keys: q.max_keys,
        };
        match scan.run(&bound, &mut page, &mut last)? {
            ScanEnd::Exhausted => break,
            ScanEnd::Truncated => {
                page.is_truncated = true;
                page.next_marker = last.take();
                break;
            }
            ScanEnd::Seek(next) => lower = next,
        }
    }
    Ok(page)
}

/// Where the first scan starts: after `start_after` (and past its whole common prefix if it
/// falls inside one), never before `prefix`.
fn initial_lower(prefix: &[u8], delimiter: Option<&[u8]>, start_after: Option<&str>) -> Lower {
    let Some(sa) = start_after.map(str::as_bytes).filter(|sa| *sa >= prefix) else {
        return Lower::Inclusive(prefix.to_vec());
    };
    if let (Some(d), Some(rest)) = (delimiter, sa.strip_prefix(prefix)) {
        if let Some(pos) = find(rest, d) {
            let common = &sa[..prefix.len() + pos + d.len()];
            return match prefix_successor(common) {
                Some(next) => Lower::Inclusive(next),
                // Unreachable for UTF-8 input; skip everything after start_after.
                None => Lower::Exclusive(sa.to_vec()),
            };
        }
    }
    Lower::Exclusive(sa.to_vec())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One range scan of a page.
struct Scan<'a> {
    conn: &'a Connection,
    bucket: &'a str,
    prefix: &'a [u8],
    delimiter: Option<&'a [u8]>,
    upper: Option<&'a [u8]>,
    max_keys: usize,
}

impl Scan<'_> {
    fn run(
        &self,
        lower: &Lower,
        page: &mut ListPage,
        last: &mut Option<String>,
    ) -> Result<ScanEnd, StoreError> {
        let (op, low) = match lower {
            Lower::Inclusive(b) => (">=", b.as_slice()),
            Lower::Exclusive(b) => (">", b.as_slice()),
        };
        let upper_clause = if self.upper.is_some() {
            " AND key < ?3"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {OBJECT_COLUMNS} FROM objects \
             WHERE bucket = ?1 AND key {op} ?2{upper_clause} ORDER BY key"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = match self.upper {
            Some(up) => stmt.query(params![self.bucket, low, up])?,
            None => stmt.query(params![self.bucket, low])?,
        };
        // Rows are stepped lazily: abandoning the cursor after a common prefix costs nothing.
        while let Some(row) = rows.next()? {
            if page.objects.len() + page.common_prefixes.len() >= self.max_keys {
                return Ok(ScanEnd::Truncated);
            }
            let key = row
                .get_ref(1)?
                .as_blob()
                .map_err(|e| StoreError::Corrupt(format!("object key is not a BLOB: {e}")))?;
            if let Some(common) = self.common_prefix_of(key) {
                let next = prefix_successor(common).map(Lower::Inclusive);
                let common = String::from_utf8(common.to_vec())
                    .map_err(|e| StoreError::Corrupt(format!("common prefix is not UTF-8: {e}")))?;
                *last = Some(common.clone());
                page.common_prefixes.push(common);
                return Ok(ScanEnd::Seek(next));
            }
            let object = row_to_object(row)?;
            *last = Some(object.key.clone());
            page.objects.push(object);
        }
        Ok(ScanEnd::Exhausted)
    }

    /// `prefix` + the rest of `key` up to and including the first delimiter after the prefix.
    fn common_prefix_of<'k>(&self, key: &'k [u8]) -> Option<&'k [u8]> {
        let d = self.delimiter?;
        let rest = key.strip_prefix(self.prefix)?;
        let pos = find(rest, d)?;
        key.get(..self.prefix.len() + pos + d.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_increments_last_byte() {
        assert_eq!(prefix_successor(b"abc"), Some(b"abd".to_vec()));
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
    }

    #[test]
    fn successor_drops_trailing_ff() {
        assert_eq!(prefix_successor(&[b'a', 0xFF, 0xFF]), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(&[0x01, 0xFE]), Some(vec![0x01, 0xFF]));
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn successor_of_max_code_point() {
        let s = "\u{10FFFF}".as_bytes();
        assert_eq!(prefix_successor(s), Some(vec![0xF4, 0x8F, 0xBF, 0xC0]));
    }

    #[test]
    fn start_after_inside_common_prefix_skips_it() {
        match initial_lower(b"p/", Some(b"/"), Some("p/a/zzz")) {
            Lower::Inclusive(b) => assert_eq!(b, b"p/a0".to_vec()),
            Lower::Exclusive(_) => panic!("expected inclusive seek"),
        }
        match initial_lower(b"p/", Some(b"/"), Some("o")) {
            Lower::Inclusive(b) => assert_eq!(b, b"p/".to_vec()),
            Lower::Exclusive(_) => panic!("expected prefix start"),
        }
    }
}
