//! Upload check profiles and their bucket bindings (`CheckProfileStore`, reached through
//! `Stores::access`), on the backend under test (`common::backend`).

mod common;

use common::{bucket, env};
use sluice_store::{CheckBinding, CheckProfileRecord, StoreError};

fn profile(name: &str, doc: &str) -> CheckProfileRecord {
    CheckProfileRecord {
        name: name.into(),
        document: doc.into(),
        updated_ms: 1,
    }
}

fn binding(bucket: &str, prefix: &str, profile: &str) -> CheckBinding {
    CheckBinding {
        bucket: bucket.into(),
        prefix: prefix.into(),
        profile: profile.into(),
    }
}

#[tokio::test]
async fn profiles_crud_and_replace() {
    let env = env().await;
    let a = &env.access;
    assert!(a.list_check_profiles().await.unwrap().is_empty());
    a.put_check_profile(&profile("images", "{}")).await.unwrap();
    a.put_check_profile(&profile("docs", "{}")).await.unwrap();
    let names: Vec<String> = a
        .list_check_profiles()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["docs", "images"]);
    let changed = profile("images", r#"{"sniff":{}}"#);
    a.put_check_profile(&changed).await.unwrap();
    assert_eq!(a.get_check_profile("images").await.unwrap(), Some(changed));
    assert!(a.delete_check_profile("images").await.unwrap());
    assert!(!a.delete_check_profile("images").await.unwrap());
    assert_eq!(a.get_check_profile("images").await.unwrap(), None);
}

#[tokio::test]
async fn bindings_need_profile_and_bucket_and_go_with_them() {
    let env = env().await;
    let a = &env.access;
    env.meta.create_bucket(&bucket("b")).await.unwrap();
    env.meta.create_bucket(&bucket("c")).await.unwrap();
    assert!(matches!(
        a.bind_check_profile(&binding("b", "", "images")).await,
        Err(StoreError::NoSuchCheckProfile)
    ));
    a.put_check_profile(&profile("images", "{}")).await.unwrap();
    assert!(matches!(
        a.bind_check_profile(&binding("nope", "", "images")).await,
        Err(StoreError::NoSuchBucket)
    ));
    a.bind_check_profile(&binding("b", "avatars/", "images"))
        .await
        .unwrap();
    // Twice is not an error.
    a.bind_check_profile(&binding("b", "avatars/", "images"))
        .await
        .unwrap();
    a.bind_check_profile(&binding("c", "", "images"))
        .await
        .unwrap();
    assert_eq!(
        a.list_check_bindings().await.unwrap(),
        [
            binding("b", "avatars/", "images"),
            binding("c", "", "images")
        ]
    );
    // Redefining a profile keeps its bindings.
    a.put_check_profile(&profile("images", r#"{"image":{}}"#))
        .await
        .unwrap();
    assert_eq!(a.list_check_bindings().await.unwrap().len(), 2);
    assert!(a
        .unbind_check_profile(&binding("c", "", "images"))
        .await
        .unwrap());
    assert!(!a
        .unbind_check_profile(&binding("c", "", "images"))
        .await
        .unwrap());
    // Deleting the bucket drops its bindings; deleting the profile drops the rest.
    a.bind_check_profile(&binding("c", "", "images"))
        .await
        .unwrap();
    env.meta.delete_bucket("c").await.unwrap();
    assert_eq!(
        a.list_check_bindings().await.unwrap(),
        [binding("b", "avatars/", "images")]
    );
    assert!(a.delete_check_profile("images").await.unwrap());
    assert!(a.list_check_bindings().await.unwrap().is_empty());
}
