//! Bench helper: fills a bucket of a stopped server's data dir with many small objects through
//! the store's own API, far faster than one HTTP PUT each (used by `bench/run.sh` for the
//! 1,000,000-key listing and startup figures).
//!
//! usage: bulk_load DATA_DIR BUCKET COUNT [KEY_PREFIX]
//!
//! The bucket must exist (create it through the server first). Each object's metadata is
//! written with `MetaStore::put_object`, 256 at a time so the group commit batches them. All
//! objects share one committed 4-byte blob: the listing and startup paths read metadata only,
//! and writing a million fsynced files would measure the disk, not Sluice. Do not use the
//! result for anything but listing, HEAD and GET (deleting one object frees the shared blob).

use sluice_store::{open_embedded, Checksums, ObjectMeta, StandardHeaders};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: bulk_load DATA_DIR BUCKET COUNT [KEY_PREFIX]".into());
    }
    let (dir, bucket) = (std::path::PathBuf::from(&args[1]), args[2].clone());
    let count: usize = args[3].parse()?;
    let prefix = args.get(4).cloned().unwrap_or_else(|| "k/".into());
    let (meta, blobs) = open_embedded(&dir).await?;
    if meta.get_bucket(&bucket).await?.is_none() {
        return Err(format!("bucket {bucket} does not exist").into());
    }
    let mut writer = blobs.create().await?;
    writer.write(b"data").await?;
    let blob = writer.commit().await?;
    let now_ms = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let template = Arc::new(ObjectMeta {
        bucket,
        key: String::new(),
        size: 4,
        etag: "8d777f385d3dfec8815d20f7496026dc".into(),
        last_modified_ms: now_ms,
        headers: StandardHeaders::default(),
        user_metadata: Vec::new(),
        checksums: Checksums::default(),
        blob,
        parts: None,
        tags: Vec::new(),
    });
    let start = Instant::now();
    const WIDTH: usize = 256;
    let mut next = 0;
    while next < count {
        let mut tasks = Vec::with_capacity(WIDTH);
        for i in next..(next + WIDTH).min(count) {
            let meta = meta.clone();
            let mut obj = (*template).clone();
            obj.key = format!("{prefix}{i:07}");
            tasks.push(tokio::spawn(async move { meta.put_object(&obj).await }));
        }
        next += tasks.len();
        for t in tasks {
            t.await??;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "loaded {count} objects in {secs:.1} s ({:.0}/s)",
        count as f64 / secs
    );
    Ok(())
}
