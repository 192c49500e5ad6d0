//! Accounts, on both backends: authorities, users with every role, API tokens and sessions.

use protocol::vocabulary::Protocol;
use store::*;

mod support;

use support::fixtures::{t, world};
use support::{Backing, TestResult};

async fn story(b: Backing) -> TestResult {
    let store = &*b.store;
    let w = world(store).await?;

    // Authorities are listed by name, with their protocol (none outside the partnership) and an
    // empty routing document until an admin writes one. A code is taken once.
    let all = store.authorities().await?;
    assert_eq!(
        all.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        [
            "Kent County Council",
            "London Borough of Merton",
            "London Borough of Newham"
        ]
    );
    assert_eq!(all[2], w.newham);
    assert_eq!(
        (w.newham.protocol, w.merton.protocol, w.kent.protocol),
        (Some(Protocol::Newham), Some(Protocol::Merton), None)
    );
    assert_eq!(
        (w.kent.code.as_str(), w.kent.police_force.as_str()),
        ("KENT", "Kent Police")
    );
    assert_eq!(w.newham.routing, "{}");
    let duplicate = store
        .create_authority(&NewAuthority {
            code: "KENT".into(),
            name: "Kent again".into(),
            protocol: None,
            police_force: "Kent Police".into(),
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Constraint(_))),
        "{duplicate:?}"
    );
    assert_eq!(store.authorities().await?.len(), 3);

    // Users: every role is stored and read back as itself; a user name is taken once; a user
    // must work for an authority that exists.
    for role in Role::ALL {
        let user = store
            .create_user(&NewUser {
                username: format!("user.{role}"),
                display_name: format!("A {role}"),
                role: *role,
                authority_id: w.merton.id,
                password_hash: "$argon2id$x".into(),
            })
            .await?;
        assert_eq!(
            (user.role, user.authority_id, user.active),
            (*role, w.merton.id, true)
        );
        assert_eq!(store.user(user.id).await?.as_ref(), Some(&user));
        assert_eq!(
            store.user_by_username(&user.username).await?.as_ref(),
            Some(&user)
        );
    }
    assert_eq!(
        store.user_by_username("sw.newham").await?,
        Some(w.sw.clone())
    );
    assert_eq!(store.user_by_username("SW.NEWHAM").await?, None);
    assert_eq!(store.user(UserId(999_999)).await?, None);
    let taken = store
        .create_user(&NewUser {
            username: "sw.newham".into(),
            display_name: "Another".into(),
            role: Role::Admin,
            authority_id: w.newham.id,
            password_hash: "-".into(),
        })
        .await;
    assert!(matches!(taken, Err(StoreError::Constraint(_))), "{taken:?}");
    let nowhere = store
        .create_user(&NewUser {
            username: "nobody".into(),
            display_name: "Nobody".into(),
            role: Role::Auditor,
            authority_id: AuthorityId(999_999),
            password_hash: "-".into(),
        })
        .await;
    assert!(
        matches!(nowhere, Err(StoreError::Constraint(_))),
        "{nowhere:?}"
    );

    // Display names of users, for pages that show who recorded what; unknown IDs are left out.
    let mut shown = store
        .user_names(&[w.manager.id, UserId(999_999), w.sw.id])
        .await?;
    shown.sort();
    assert_eq!(
        shown,
        [
            (w.sw.id, "SW.NEWHAM".to_owned()),
            (w.manager.id, "TM.NEWHAM".to_owned())
        ]
    );
    assert!(store.user_names(&[]).await?.is_empty());

    // API tokens: found by their hash, for the user they were made for.
    store
        .create_token(w.sw.id, "token-hash", "police system", t(0))
        .await?;
    store
        .create_token(w.manager.id, "other-hash", "dashboard", t(0))
        .await?;
    assert_eq!(store.user_by_token("token-hash").await?, Some(w.sw.clone()));
    assert_eq!(
        store.user_by_token("other-hash").await?.map(|u| u.id),
        Some(w.manager.id)
    );
    assert_eq!(store.user_by_token("unknown-hash").await?, None);
    let reused = store
        .create_token(w.manager.id, "token-hash", "again", t(1))
        .await;
    assert!(
        matches!(reused, Err(StoreError::Constraint(_))),
        "{reused:?}"
    );

    // Sessions: valid until they expire (not at the instant they do), with their CSRF token,
    // and gone once deleted.
    store
        .create_session("session-hash", w.sw.id, "csrf-token", t(8))
        .await?;
    assert_eq!(
        store.session("session-hash", t(7)).await?,
        Some((w.sw.clone(), "csrf-token".into()))
    );
    assert_eq!(store.session("session-hash", t(8)).await?, None, "expired");
    assert_eq!(store.session("other-session", t(7)).await?, None);
    store
        .create_session("second-hash", w.manager.id, "csrf-2", t(8))
        .await?;
    store.delete_session("session-hash").await?;
    assert_eq!(store.session("session-hash", t(7)).await?, None);
    assert_eq!(
        store
            .session("second-hash", t(7))
            .await?
            .map(|(u, csrf)| (u.id, csrf)),
        Some((w.manager.id, "csrf-2".into())),
        "deleting one session leaves the others"
    );
    store.delete_session("never-existed").await?;
    Ok(())
}

#[test]
fn accounts_on_sqlite() -> TestResult {
    support::on_sqlite("accounts", story)
}

#[test]
fn accounts_on_postgres() -> TestResult {
    support::on_postgres("accounts", story)
}
