//! Leases on named background tasks (`TaskLeaseStore`, reached through `Stores::meta`), on the
//! backend under test (`common::backend`).

mod common;

use std::time::Duration;

use common::env;

const TTL: Duration = Duration::from_secs(60);
const T0: i64 = 1_700_000_000_000;

#[tokio::test]
async fn a_free_task_is_acquired() {
    let env = env().await;
    assert!(env
        .meta
        .try_lease_task("sweep", "node-a", TTL, T0)
        .await
        .unwrap());
    // Another task is independent.
    assert!(env
        .meta
        .try_lease_task("other", "node-b", TTL, T0)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_second_owner_is_refused_while_the_lease_is_held() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.try_lease_task("sweep", "node-a", TTL, T0).await.unwrap());
    assert!(!m.try_lease_task("sweep", "node-b", TTL, T0).await.unwrap());
    // Still held one ms before it expires.
    assert!(!m
        .try_lease_task("sweep", "node-b", TTL, T0 + 59_999)
        .await
        .unwrap());
}

#[tokio::test]
async fn the_same_owner_renews() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.try_lease_task("sweep", "node-a", TTL, T0).await.unwrap());
    // Renewed at T0 + 50 s: now held until T0 + 110 s.
    assert!(m
        .try_lease_task("sweep", "node-a", TTL, T0 + 50_000)
        .await
        .unwrap());
    assert!(
        !m.try_lease_task("sweep", "node-b", TTL, T0 + 100_000)
            .await
            .unwrap(),
        "the renewal moved the expiry"
    );
    assert!(m
        .try_lease_task("sweep", "node-b", TTL, T0 + 110_000)
        .await
        .unwrap());
}

#[tokio::test]
async fn a_lapsed_lease_is_taken_over() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.try_lease_task("sweep", "node-a", TTL, T0).await.unwrap());
    assert!(m
        .try_lease_task("sweep", "node-b", TTL, T0 + 60_000)
        .await
        .unwrap());
    // Now node-b holds it: node-a is refused.
    assert!(!m
        .try_lease_task("sweep", "node-a", TTL, T0 + 60_001)
        .await
        .unwrap());
}

#[tokio::test]
async fn release_frees_the_task() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.try_lease_task("sweep", "node-a", TTL, T0).await.unwrap());
    assert!(m.release_task("sweep", "node-a").await.unwrap());
    assert!(m.try_lease_task("sweep", "node-b", TTL, T0).await.unwrap());
    // Releasing again finds nothing of node-a's.
    assert!(!m.release_task("sweep", "node-a").await.unwrap());
}

#[tokio::test]
async fn release_by_another_owner_does_nothing() {
    let env = env().await;
    let m = &env.meta;
    assert!(m.try_lease_task("sweep", "node-a", TTL, T0).await.unwrap());
    assert!(!m.release_task("sweep", "node-b").await.unwrap());
    assert!(!m.release_task("nothing", "node-a").await.unwrap());
    assert!(
        !m.try_lease_task("sweep", "node-b", TTL, T0 + 1)
            .await
            .unwrap(),
        "still held by node-a"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_acquisitions_exactly_one_wins() {
    let env = env().await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let m = env.meta.clone();
        tasks.push(tokio::spawn(async move {
            m.try_lease_task("sweep", &format!("node-{i}"), TTL, T0)
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}
