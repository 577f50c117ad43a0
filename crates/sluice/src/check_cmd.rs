//! `sluice check --data-dir DIR [--repair]`: offline verification of every object's bytes
//! against its stored size, ETag and checksum, plus orphan blobs and leftover temp files.
//! `--repair` holds the data dir's lock (`DATA/lock`) and so never runs beside a server.

use anyhow::{Context, Result};
use md5::{Digest, Md5};
use sluice_server::body::checksum::{BodyHasher, ALL_ALGORITHMS};
use sluice_server::body::object_reader::ObjectReader;
use sluice_store::{
    BlobStore, DataDirLock, ListQuery, ObjectMeta, StoreConfig, META_FILE_NAME, TMP_DIR,
};
use std::path::Path;
use std::sync::Arc;

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Objects read.
    pub objects: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Objects whose bytes disagree with their metadata (or cannot be read).
    pub damaged: Vec<String>,
    /// Blobs no object or open upload references.
    pub orphans: usize,
    /// Orphans removed (with --repair).
    pub orphans_removed: usize,
    /// Entries left in tmp/.
    pub temp_files: usize,
}

impl Report {
    /// Whether everything is consistent (after repairs).
    pub fn healthy(&self) -> bool {
        self.damaged.is_empty() && self.orphans == self.orphans_removed && self.temp_files == 0
    }
}

/// Runs the check; prints one line per problem and a summary; exit status reflects health.
pub async fn run(data_dir: &Path, repair: bool) -> Result<bool> {
    let meta_path = data_dir.join(META_FILE_NAME);
    if !meta_path.exists() {
        anyhow::bail!(
            "{} holds no Sluice metadata ({} missing)",
            data_dir.display(),
            META_FILE_NAME
        );
    }
    // --repair deletes temp files and unreferenced blobs, which under a live server are uploads
    // in progress: it takes the data dir's lock, as `serve` does, and refuses while it is held.
    // A plain check only reads, and may run beside a server.
    let _lock = if repair {
        Some(
            DataDirLock::acquire(data_dir)
                .context("check --repair needs the data dir to itself (stop the server first)")?,
        )
    } else {
        if let Some(pid) = DataDirLock::holder(data_dir)? {
            println!(
                "note: data dir {} is in use by a running sluice process (PID {pid}); results can include uploads in progress (temp files, orphan blobs)",
                data_dir.display()
            );
        }
        None
    };
    // Reads find a blob in either tier, whatever the server's inline limit is.
    let stores = sluice_store::open(&StoreConfig::embedded(data_dir))
        .await
        .context("opening the stores")?;
    let temp_files = std::fs::read_dir(data_dir.join(TMP_DIR))
        .map(|d| d.count())
        .unwrap_or(0);
    let (meta, blobs) = (stores.meta, stores.blobs);
    let mut report = Report {
        temp_files,
        ..Default::default()
    };
    for bucket in meta.list_buckets().await? {
        let mut after: Option<String> = None;
        loop {
            let page = meta
                .list_objects(
                    &bucket.name,
                    &ListQuery {
                        prefix: "",
                        delimiter: None,
                        start_after: after.as_deref(),
                        max_keys: 1000,
                    },
                )
                .await?;
            for object in &page.objects {
                report.objects += 1;
                report.bytes += object.size;
                if let Err(problem) = verify_object(&blobs, object).await {
                    println!("DAMAGED {}/{}: {problem}", object.bucket, object.key);
                    report
                        .damaged
                        .push(format!("{}/{}", object.bucket, object.key));
                }
            }
            if !page.is_truncated {
                break;
            }
            after = page.next_marker.clone();
        }
    }
    let candidates = blobs
        .list_blobs_older_than(std::time::SystemTime::now())
        .await?;
    for batch in candidates.chunks(512) {
        let used = meta.blob_in_use(batch).await?;
        for (blob, used) in batch.iter().zip(used) {
            if !used {
                report.orphans += 1;
                println!("ORPHAN blob {blob}");
                if repair {
                    blobs.delete(blob).await?;
                    report.orphans_removed += 1;
                }
            }
        }
    }
    if repair && report.temp_files > 0 {
        blobs.clean_temp().await?;
        report.temp_files = 0;
    }
    println!(
        "checked {} objects ({} bytes): {} damaged; orphan blobs: {} ({} removed); temp files left: {}",
        report.objects,
        report.bytes,
        report.damaged.len(),
        report.orphans,
        report.orphans_removed,
        report.temp_files
    );
    Ok(report.healthy())
}

/// Reads an object's bytes and compares size, ETag and its full-object checksum.
async fn verify_object(blobs: &Arc<dyn BlobStore>, object: &ObjectMeta) -> Result<(), String> {
    let alg = ALL_ALGORITHMS.into_iter().find(|a| {
        a.stored(&object.checksums)
            .is_some_and(|v| !v.contains('-'))
    });
    let parts: Vec<(u64, String)> = match &object.parts {
        Some(parts) => parts.iter().map(|p| (p.size, p.etag.clone())).collect(),
        None => vec![(object.size, object.etag.clone())],
    };
    let mut whole = BodyHasher::new(alg, false);
    let mut part_md5s = Vec::new();
    let mut offset = 0u64;
    for (size, etag) in &parts {
        let mut reader = ObjectReader::new(blobs.clone(), object, offset, *size);
        let mut md5 = Md5::new();
        let mut read = 0u64;
        while let Some(chunk) = reader.next_chunk().await.map_err(|e| e.to_string())? {
            md5.update(&chunk);
            whole.update(&chunk);
            read += chunk.len() as u64;
        }
        if read != *size {
            return Err(format!("{read} bytes read, {size} expected"));
        }
        let digest = hex::encode(md5.finalize());
        if object.parts.is_some() && digest != *etag {
            return Err(format!("part ETag {etag} but the bytes hash to {digest}"));
        }
        part_md5s.push(digest);
        offset += size;
    }
    let etag = if object.parts.is_some() {
        let mut h = Md5::new();
        for d in &part_md5s {
            h.update(hex::decode(d).unwrap_or_default());
        }
        format!("{}-{}", hex::encode(h.finalize()), part_md5s.len())
    } else {
        part_md5s.pop().unwrap_or_default()
    };
    if etag != object.etag {
        return Err(format!("ETag {} but the bytes give {etag}", object.etag));
    }
    if let (Some(alg), Some((_, got))) = (alg, whole.finish().checksum) {
        let want = alg.stored(&object.checksums).unwrap_or_default();
        if want != got {
            return Err(format!("{} {want} but the bytes give {got}", alg.name()));
        }
    }
    Ok(())
}
