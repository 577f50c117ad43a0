//! Identity tables: users, keys, policies, attachments, bucket policies and ACLs.

use sluice_store::{
    AccessKeyRecord, BucketAccessStore, BucketMeta, IdentityStore, MetaStore, PolicyRecord,
    SqliteMetaStore, StoreError, UserRecord,
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
    let s = SqliteMetaStore::open(&dir.path().join("meta.sqlite")).unwrap();
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
    let s = SqliteMetaStore::open(&dir.path().join("meta.sqlite")).unwrap();
    assert!(matches!(
        s.put_bucket_policy("b", "{}").await,
        Err(StoreError::NoSuchBucket)
    ));
    s.create_bucket(&BucketMeta {
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
    s.delete_bucket("b").await.unwrap();
    assert_eq!(s.bucket_policy("b").await.unwrap(), None);
}
