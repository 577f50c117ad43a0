//! Identity and access: users, keys, policies, attachments, bucket policies and ACLs, grants
//! and their reservations, on the backend under test (`common::backend`).

mod common;

use sluice_store::{
    AccessKeyRecord, BucketMeta, GrantRecord, GrantUse, PolicyRecord, Reservation,
    ReservationOwner, StoreError, UserRecord,
};

fn key(id: &str, user: &str) -> AccessKeyRecord {
    AccessKeyRecord {
        access_key_id: id.into(),
        user: user.into(),
        secret_sealed: vec![1, 2, 3],
        enabled: true,
        created_ms: 1,
        expires_ms: None,
    }
}

fn user(name: &str) -> UserRecord {
    UserRecord {
        name: name.into(),
        created_ms: 1,
    }
}

#[tokio::test]
async fn users_keys_policies_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let stores = common::backend::open(dir.path()).await;
    let s = stores.access.as_ref();
    s.create_user(&user("alice")).await.unwrap();
    s.create_user(&user("bob")).await.unwrap();
    assert!(matches!(
        s.create_user(&user("alice")).await,
        Err(StoreError::UserExists)
    ));
    assert_eq!(s.list_users().await.unwrap().len(), 2);

    s.create_access_key(&key("AK1", "alice")).await.unwrap();
    s.create_access_key(&key("AK2", "alice")).await.unwrap();
    s.create_access_key(&key("BK1", "bob")).await.unwrap();
    assert!(matches!(
        s.create_access_key(&key("ZK", "zed")).await,
        Err(StoreError::NoSuchUser)
    ));
    assert_eq!(s.list_access_keys(Some("alice")).await.unwrap().len(), 2);
    assert_eq!(s.list_access_keys(None).await.unwrap().len(), 3);
    assert!(matches!(
        s.list_access_keys(Some("zed")).await,
        Err(StoreError::NoSuchUser)
    ));

    s.set_access_key_enabled("AK1", false).await.unwrap();
    let g = s.key_grant("AK1").await.unwrap().unwrap();
    assert!(!g.key.enabled);
    assert_eq!(g.key.secret_sealed, vec![1, 2, 3]);
    assert!(matches!(
        s.set_access_key_enabled("NOPE", true).await,
        Err(StoreError::NoSuchAccessKey)
    ));

    let p = PolicyRecord {
        name: "uploads".into(),
        document: "{}".into(),
        updated_ms: 2,
    };
    s.put_policy(&p).await.unwrap();
    assert!(matches!(
        s.attach_policy("nope", "alice").await,
        Err(StoreError::NoSuchPolicy)
    ));
    assert!(matches!(
        s.attach_policy("uploads", "zed").await,
        Err(StoreError::NoSuchUser)
    ));
    s.attach_policy("uploads", "alice").await.unwrap();
    s.attach_policy("uploads", "alice").await.unwrap();
    let g = s.key_grant("AK2").await.unwrap().unwrap();
    assert_eq!(g.policies, vec![p.clone()]);
    let (_, users) = s.get_policy("uploads").await.unwrap().unwrap();
    assert_eq!(users, vec!["alice".to_string()]);
    s.detach_policy("uploads", "alice").await.unwrap();
    assert!(matches!(
        s.detach_policy("uploads", "alice").await,
        Err(StoreError::NotAttached)
    ));
    assert!(s
        .key_grant("AK2")
        .await
        .unwrap()
        .unwrap()
        .policies
        .is_empty());

    // Deleting a user removes its keys and attachments.
    s.attach_policy("uploads", "bob").await.unwrap();
    s.delete_user("bob").await.unwrap();
    assert!(s.key_grant("BK1").await.unwrap().is_none());
    assert!(s.get_policy("uploads").await.unwrap().unwrap().1.is_empty());
    assert!(matches!(
        s.delete_user("bob").await,
        Err(StoreError::NoSuchUser)
    ));
    s.delete_access_key("AK1").await.unwrap();
    assert!(matches!(
        s.delete_access_key("AK1").await,
        Err(StoreError::NoSuchAccessKey)
    ));
    s.delete_policy("uploads").await.unwrap();
    assert!(s.list_policies().await.unwrap().is_empty());
}

#[tokio::test]
async fn bucket_policies_and_acls_follow_their_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let stores = common::backend::open(dir.path()).await;
    let s = stores.access.as_ref();
    assert!(matches!(
        s.put_bucket_policy("b", "{}").await,
        Err(StoreError::NoSuchBucket)
    ));
    stores
        .meta
        .create_bucket(&BucketMeta {
            name: "b".into(),
            created_ms: 1,
            owner: "root".into(),
        })
        .await
        .unwrap();
    s.put_bucket_policy("b", "{\"a\":1}").await.unwrap();
    assert_eq!(
        s.bucket_policy("b").await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    s.put_bucket_acl("b", Some("public-read")).await.unwrap();
    assert_eq!(
        s.bucket_acl("b").await.unwrap().as_deref(),
        Some("public-read")
    );
    s.put_bucket_acl("b", None).await.unwrap();
    assert_eq!(s.bucket_acl("b").await.unwrap(), None);
    assert!(matches!(
        s.put_object_acl("b", "k", Some("public-read")).await,
        Err(StoreError::NoSuchKey)
    ));
    assert!(s.delete_bucket_policy("b").await.unwrap());
    assert!(!s.delete_bucket_policy("b").await.unwrap());
    s.put_bucket_policy("b", "{}").await.unwrap();
    stores.meta.delete_bucket("b").await.unwrap();
    assert_eq!(s.bucket_policy("b").await.unwrap(), None);
}

fn owner(node: &str, run: &str) -> ReservationOwner {
    ReservationOwner {
        node: node.into(),
        run: run.into(),
    }
}

fn grant_of(id: &str, max_uses: u64, expires_ms: i64) -> GrantRecord {
    GrantRecord {
        id: id.into(),
        access_key_id: "AK".into(),
        bucket: "b".into(),
        key: "k".into(),
        method: "PUT".into(),
        max_uses,
        uses: 0,
        in_flight: 0,
        created_ms: 0,
        revoked_ms: None,
        expires_ms: Some(expires_ms),
        notify_target: None,
        notify_payload: None,
    }
}

fn used(counted: bool) -> GrantUse {
    GrantUse {
        at_ms: 1,
        source_ip: "127.0.0.1".into(),
        bytes: 0,
        status: if counted { 200 } else { 400 },
        counted,
    }
}

#[tokio::test]
async fn grant_reservations_hold_until_finished_or_their_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let stores = common::backend::open(dir.path()).await;
    let s = stores.access.as_ref();
    let me = owner("n1", "run1");
    s.create_grant(&grant_of("g", 2, 1_000_000)).await.unwrap();
    assert!(!s.ensure_grant(&grant_of("g", 9, 0)).await.unwrap());
    assert_eq!(s.get_grant("g").await.unwrap().unwrap().max_uses, 2);

    // Two reservations fill a 2-use grant; a third is refused until one ends.
    let Reservation::Reserved(a) = s.reserve_use("g", &me, 0, 100).await.unwrap() else {
        panic!("first reservation refused")
    };
    let Reservation::Reserved(b) = s.reserve_use("g", &me, 0, 100).await.unwrap() else {
        panic!("second reservation refused")
    };
    assert_eq!(
        s.reserve_use("g", &me, 50, 150).await.unwrap(),
        Reservation::Exhausted
    );
    assert_eq!(s.get_grant("g").await.unwrap().unwrap().in_flight, 2);
    // Released (not counted): the use is free again.
    s.finish_use("g", a, &used(false)).await.unwrap();
    let Reservation::Reserved(c) = s.reserve_use("g", &me, 60, 100).await.unwrap() else {
        panic!("released use not reusable")
    };
    // Renewed, `b` outlives its first deadline; `c` lapses and is reclaimed by the next reservation.
    assert!(s.renew_reservation("g", b, 500).await.unwrap());
    assert!(!s.renew_reservation("other", b, 500).await.unwrap());
    let Reservation::Reserved(d) = s.reserve_use("g", &me, 200, 300).await.unwrap() else {
        panic!("lapsed reservation not reclaimed")
    };
    assert!(
        !s.renew_reservation("g", c, 900).await.unwrap(),
        "c was reclaimed"
    );
    assert_eq!(
        s.reserve_use("g", &me, 200, 300).await.unwrap(),
        Reservation::Exhausted
    );
    // Counted: uses go up, the reservation goes away.
    s.finish_use("g", b, &used(true)).await.unwrap();
    let g = s.get_grant("g").await.unwrap().unwrap();
    assert_eq!((g.uses, g.in_flight), (1, 1));
    assert_eq!(s.grant_uses("g").await.unwrap().len(), 2);

    // Startup of another run of n1 drops n1's reservations at once; other nodes' stay.
    s.create_grant(&grant_of("h", 5, 1_000_000)).await.unwrap();
    let Reservation::Reserved(_) = s
        .reserve_use("h", &owner("n2", "x"), 0, 10_000)
        .await
        .unwrap()
    else {
        panic!("n2 refused")
    };
    assert_eq!(
        s.reclaim_reservations_of_earlier_runs(&owner("n1", "run1"))
            .await
            .unwrap(),
        0,
        "the current run's own reservations stay"
    );
    assert_eq!(
        s.reclaim_reservations_of_earlier_runs(&owner("n1", "run2"))
            .await
            .unwrap(),
        1
    );
    assert!(!s.renew_reservation("g", d, 900).await.unwrap());
    assert_eq!(s.get_grant("h").await.unwrap().unwrap().in_flight, 1);

    // An expired grant holding a reservation is kept until the reservation is reclaimed.
    assert_eq!(
        s.delete_expired_grants(2_000_000).await.unwrap(),
        1,
        "g goes"
    );
    assert!(s.get_grant("h").await.unwrap().is_some());
    assert_eq!(s.reclaim_lapsed_reservations(9_999).await.unwrap(), 0);
    assert_eq!(s.reclaim_lapsed_reservations(10_001).await.unwrap(), 1);
    assert_eq!(
        s.delete_expired_grants(2_000_000).await.unwrap(),
        1,
        "h goes"
    );
    assert!(s.get_grant("h").await.unwrap().is_none());
}
