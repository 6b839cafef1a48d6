//! Pages as AWS gives them, followed by the SDK's paginators.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use s3dest_moto::{Behaviours, moto_with};

use crate::{create_role, iam, s3, secrets};

fn paged(size: usize) -> Behaviours {
    Behaviours {
        page_size: Some(size),
        ..Behaviours::default()
    }
}

#[tokio::test]
async fn roles_come_in_pages_of_two() {
    let moto = moto_with(paged(2));
    let iam = iam(&moto).await;
    for i in 0..5 {
        create_role(&iam, &format!("paged-{i}")).await;
    }
    let pages: Vec<_> = iam
        .list_roles()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        pages.iter().map(|p| p.roles.len()).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert!(pages[0].is_truncated && pages[0].marker.is_some());
    assert!(!pages[2].is_truncated && pages[2].marker.is_none());
    let mut names: Vec<_> = pages
        .iter()
        .flat_map(|p| &p.roles)
        .map(|r| r.role_name.clone())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["paged-0", "paged-1", "paged-2", "paged-3", "paged-4"]
    );
    assert_eq!(moto.fidelity().stats().count("ListRoles"), 3);
}

#[tokio::test]
async fn account_details_page_across_their_lists() {
    let moto = moto_with(paged(2));
    let iam = iam(&moto).await;
    for i in 0..3 {
        create_role(&iam, &format!("details-{i}")).await;
    }
    for i in 0..2 {
        iam.create_user()
            .user_name(format!("user-{i}"))
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = iam
        .get_account_authorization_details()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    let per_page: Vec<usize> = pages
        .iter()
        .map(|p| {
            p.user_detail_list().len()
                + p.role_detail_list().len()
                + p.group_detail_list().len()
                + p.policies().len()
        })
        .collect();
    assert!(per_page.iter().all(|&n| n <= 2), "{per_page:?}");
    let roles: usize = pages.iter().map(|p| p.role_detail_list().len()).sum();
    let users: usize = pages.iter().map(|p| p.user_detail_list().len()).sum();
    assert_eq!((roles, users), (3, 2));
    let total: usize = per_page.iter().sum();
    assert_eq!(pages.len(), total.div_ceil(2));

    let one = iam
        .get_account_authorization_details()
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        one.user_detail_list().len() + one.role_detail_list().len(),
        1
    );
    assert!(one.is_truncated);
}

#[tokio::test]
async fn objects_come_in_pages_of_two() {
    let moto = moto_with(paged(2));
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("paged").send().await.unwrap();
    for key in ["a", "b", "c", "d", "e"] {
        s3.put_object()
            .bucket("paged")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = s3
        .list_objects_v2()
        .bucket("paged")
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.key_count()).collect::<Vec<_>>(),
        [Some(2), Some(2), Some(1)]
    );
    let keys: Vec<_> = pages
        .iter()
        .flat_map(|p| p.contents())
        .filter_map(|o| o.key())
        .collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages[0].is_truncated(), Some(true));
    assert_eq!(pages[2].is_truncated(), Some(false));

    let smaller = s3
        .list_objects_v2()
        .bucket("paged")
        .max_keys(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (smaller.key_count(), smaller.max_keys()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn secrets_come_in_pages() {
    let moto = moto_with(Behaviours {
        secrets_page_size: Some(2),
        ..Behaviours::default()
    });
    let sm = secrets(&moto).await;
    for i in 0..3 {
        sm.create_secret()
            .name(format!("s-{i}"))
            .secret_string("v")
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = sm
        .list_secrets()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(
        pages
            .iter()
            .map(|p| p.secret_list().len())
            .collect::<Vec<_>>(),
        [2, 1]
    );
    let error = sm
        .list_secrets()
        .next_token("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidNextTokenException"));
}

#[tokio::test]
async fn small_iam_lists_page_too() {
    let moto = moto_with(Behaviours {
        iam_page_size: Some(1),
        ..Behaviours::default()
    });
    let iam = iam(&moto).await;
    create_role(&iam, "inline").await;
    for name in ["one", "two", "three"] {
        iam.put_role_policy()
            .role_name("inline")
            .policy_name(name)
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = iam
        .list_role_policies()
        .role_name("inline")
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    iam.create_user().user_name("keys").send().await.unwrap();
    for _ in 0..2 {
        iam.create_access_key()
            .user_name("keys")
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = iam
        .list_access_keys()
        .user_name("keys")
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(
        pages
            .iter()
            .map(|p| p.access_key_metadata().len())
            .collect::<Vec<_>>(),
        [1, 1]
    );
}

#[tokio::test]
async fn markers_that_are_not_ours_are_refused() {
    let moto = moto_with(paged(2));
    let iam = iam(&moto).await;
    let error = iam.list_roles().marker("bogus").send().await.unwrap_err();
    assert_eq!(error.code(), Some("ValidationError"), "{error:?}");
    let s3 = s3(&moto).await;
    s3.create_bucket().bucket("tokens").send().await.unwrap();
    let error = s3
        .list_objects_v2()
        .bucket("tokens")
        .continuation_token("bogus")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidArgument"), "{error:?}");
}

#[tokio::test]
async fn without_pagination_moto_answers_in_one_page() {
    let moto = moto_with(Behaviours::default());
    let iam = iam(&moto).await;
    for i in 0..3 {
        create_role(&iam, &format!("unpaged-{i}")).await;
    }
    let pages: Vec<_> = iam
        .list_roles()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].roles.len(), 3);
}
