//! Accounts: users, sessions, the append-only audit log, audit rows
//! committing with data writes.

use gridmap_data::store::accounts::{
    LoginLimit, LoginReservation, NewSession, NewUser, Role, Scope, SessionKind, login_keys,
};
use gridmap_data::store::{self, AuditEntry};
use gridmap_data::{DataError, synth};

use super::backend::Fixture;

crate::conformance!(
    users_are_created_once_listed_and_disabled,
    sessions_expire_end_and_die_with_a_disabled_user,
    the_audit_log_cannot_be_changed_and_pages_backwards,
    an_audit_row_commits_or_rolls_back_with_its_data,
    login_attempts_lock_out_per_address_and_per_username,
    parallel_login_reservations_never_pass_the_limit,
);

fn new_user(name: &str, role: Role, scope: Scope) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        scope,
        password_hash: format!("$argon2id$fake${name}"),
    }
}

fn entry(action: &str) -> AuditEntry {
    AuditEntry::now("cli:test", action)
}

async fn users_are_created_once_listed_and_disabled(f: &Fixture) {
    let s = &f.store;
    let a = s.accounts();
    let scope = Scope::Communities(vec![3, 5]);
    let id = a
        .create_user(
            &new_user("li", Role::Planner, scope.clone()),
            &entry("user.add"),
        )
        .await
        .unwrap();
    let dup = a
        .create_user(&new_user("li", Role::Admin, Scope::All), &entry("user.add"))
        .await;
    assert!(matches!(dup, Err(DataError::Account(_))), "{dup:?}");
    let (user, hash) = a.credentials("li").await.unwrap().expect("li");
    assert_eq!(user.id, id);
    assert_eq!(user.role, Role::Planner);
    assert_eq!(user.scope, scope);
    assert_eq!(hash, "$argon2id$fake$li");
    assert!(a.credentials("nobody").await.unwrap().is_none());

    assert!(
        a.set_password("li", "$argon2id$new", &entry("user.passwd"))
            .await
            .unwrap()
    );
    assert!(
        !a.set_password("nobody", "x", &entry("user.passwd"))
            .await
            .unwrap()
    );
    assert_eq!(
        a.credentials("li").await.unwrap().unwrap().1,
        "$argon2id$new"
    );

    assert!(
        a.set_disabled("li", true, &entry("user.disable"))
            .await
            .unwrap()
    );
    let users = a.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(users[0].disabled);
    // One audit row per successful write, the failed duplicate wrote none.
    let log = a.audit(100, None).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["user.disable", "user.passwd", "user.add"]);
}

async fn sessions_expire_end_and_die_with_a_disabled_user(f: &Fixture) {
    let s = &f.store;
    let a = s.accounts();
    let uid = a
        .create_user(
            &new_user("wang", Role::GridWorker, Scope::Grids(vec![7])),
            &entry("user.add"),
        )
        .await
        .unwrap();
    let session = |hash: u8, expires_at: i64, kind| NewSession {
        token_hash: [hash; 32],
        user_id: uid,
        kind,
        label: None,
        created_at: 100,
        expires_at,
    };
    a.create_session(
        &session(1, 1_000, SessionKind::Session),
        &entry("login.success"),
    )
    .await
    .unwrap();
    a.create_session(
        &session(2, 5_000, SessionKind::Token),
        &entry("token.create"),
    )
    .await
    .unwrap();
    let live = a.session(&[1; 32], 999).await.unwrap().expect("live");
    assert_eq!(live.user.username, "wang");
    assert_eq!(live.kind, SessionKind::Session);
    assert!(
        a.session(&[1; 32], 1_000).await.unwrap().is_none(),
        "expired"
    );
    assert!(a.session(&[3; 32], 0).await.unwrap().is_none(), "unknown");
    assert_eq!(a.purge_expired(1_000).await.unwrap(), 1);

    // A password change ends browser sessions but keeps script tokens.
    a.create_session(
        &session(4, 9_000, SessionKind::Session),
        &entry("login.success"),
    )
    .await
    .unwrap();
    a.set_password("wang", "h2", &entry("user.passwd"))
        .await
        .unwrap();
    assert!(a.session(&[4; 32], 0).await.unwrap().is_none());
    assert!(a.session(&[2; 32], 0).await.unwrap().is_some());

    assert!(a.delete_session(&[2; 32], &entry("logout")).await.unwrap());
    assert!(!a.delete_session(&[2; 32], &entry("logout")).await.unwrap());
    a.create_session(
        &session(5, 9_000, SessionKind::Token),
        &entry("token.create"),
    )
    .await
    .unwrap();
    a.set_disabled("wang", true, &entry("user.disable"))
        .await
        .unwrap();
    assert!(a.session(&[5; 32], 0).await.unwrap().is_none());
    a.set_disabled("wang", false, &entry("user.enable"))
        .await
        .unwrap();
    assert!(
        a.session(&[5; 32], 0).await.unwrap().is_none(),
        "gone for good"
    );
}

async fn the_audit_log_cannot_be_changed_and_pages_backwards(f: &Fixture) {
    let s = &f.store;
    let a = s.accounts();
    let mut ids = Vec::new();
    for i in 0..5 {
        let e = entry("login.failure")
            .target(format!("u{i}"))
            .detail(serde_json::json!({"i": i}))
            .remote(Some("10.0.0.1".into()));
        ids.push(a.append_audit(&e).await.unwrap());
    }
    let page = a.audit(2, None).await.unwrap();
    assert_eq!(
        page.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let next = a.audit(10, Some(ids[3])).await.unwrap();
    assert_eq!(
        next.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]]
    );
    assert_eq!(next[0].detail["i"], 2);
    assert_eq!(next[0].remote.as_deref(), Some("10.0.0.1"));

    let update = f
        .raw_exec("UPDATE audit_log SET actor = 'someone else'")
        .await;
    assert!(update.unwrap_err().contains("append-only"));
    let delete = f.raw_exec("DELETE FROM audit_log").await;
    assert!(delete.unwrap_err().contains("append-only"));
    assert_eq!(a.audit(100, None).await.unwrap().len(), 5);
}

async fn an_audit_row_commits_or_rolls_back_with_its_data(f: &Fixture) {
    let s = &f.store;
    let d = synth::city(20, 1);
    {
        let mut tx = s.begin().await.unwrap();
        store::write_dataset(tx.as_mut(), &d).await.unwrap();
        tx.append_audit(&entry("synth")).await.unwrap();
        // Dropped without commit: neither the data nor the audit row stay.
    }
    assert_eq!(s.counts().await.unwrap().buildings, 0);
    assert!(s.accounts().audit(10, None).await.unwrap().is_empty());
    let mut tx = s.begin().await.unwrap();
    store::write_dataset(tx.as_mut(), &d).await.unwrap();
    tx.append_audit(&entry("synth")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.counts().await.unwrap().buildings, 20);
    assert_eq!(s.accounts().audit(10, None).await.unwrap().len(), 1);
}

const LIMIT: LoginLimit = LoginLimit {
    max_failures: 3,
    window_ms: 60_000,
};

fn granted(r: &LoginReservation) -> bool {
    matches!(r, LoginReservation::Granted(_))
}

async fn login_attempts_lock_out_per_address_and_per_username(f: &Fixture) {
    let a = f.store.accounts();
    let t0 = 1_000_000_000_000_i64;
    let ip1_li = login_keys(Some("10.0.0.1"), "li");
    let ip2_li = login_keys(Some("10.0.0.2"), "li");
    let ip1_wang = login_keys(Some("10.0.0.1"), "wang");
    let ip2_wang = login_keys(Some("10.0.0.2"), "wang");
    for i in 0..3 {
        let r = a
            .reserve_login(&ip1_li, t0 + i * 1_000, LIMIT)
            .await
            .unwrap();
        assert!(granted(&r), "attempt {i}: {r:?}");
    }
    // The fourth is refused until the first leaves the window …
    assert_eq!(
        a.reserve_login(&ip1_li, t0 + 10_000, LIMIT).await.unwrap(),
        LoginReservation::Refused {
            retry_after_ms: 50_000
        }
    );
    // … and a refused attempt is not counted (else a locked-out client
    // could keep itself locked out forever): at t0 + 60 s one slot is free.
    // Another address is refused for the same username, the same address
    // for another username; neither is counted.
    assert!(!granted(
        &a.reserve_login(&ip2_li, t0 + 10_000, LIMIT).await.unwrap()
    ));
    assert!(!granted(
        &a.reserve_login(&ip1_wang, t0 + 10_000, LIMIT)
            .await
            .unwrap()
    ));
    assert!(granted(
        &a.reserve_login(&ip2_wang, t0 + 10_000, LIMIT)
            .await
            .unwrap()
    ));
    assert!(granted(
        &a.reserve_login(&ip1_li, t0 + 60_000, LIMIT).await.unwrap()
    ));

    // A success releases its own attempt and forgives the username's
    // failures, not the address's.
    let t1 = t0 + 100_000;
    let ip3_zhou = login_keys(Some("10.0.0.3"), "zhou");
    let ip4_zhou = login_keys(Some("10.0.0.4"), "zhou");
    let ip3_qian = login_keys(Some("10.0.0.3"), "qian");
    let ip5_zhou = login_keys(Some("10.0.0.5"), "zhou");
    for _ in 0..2 {
        assert!(granted(
            &a.reserve_login(&ip3_zhou, t1, LIMIT).await.unwrap()
        ));
    }
    let r = a.reserve_login(&ip4_zhou, t1, LIMIT).await.unwrap();
    let LoginReservation::Granted(rows) = r else {
        panic!("third attempt: {r:?}");
    };
    a.release_login(&rows, &ip4_zhou[1..]).await.unwrap();
    // `zhou` starts again from zero; 10.0.0.3 keeps its two failures.
    assert!(granted(
        &a.reserve_login(&ip3_zhou, t1, LIMIT).await.unwrap()
    ));
    assert!(!granted(
        &a.reserve_login(&ip3_qian, t1, LIMIT).await.unwrap()
    ));
    assert!(granted(
        &a.reserve_login(&ip5_zhou, t1, LIMIT).await.unwrap()
    ));
    assert!(granted(
        &a.reserve_login(&ip5_zhou, t1, LIMIT).await.unwrap()
    ));
    assert!(!granted(
        &a.reserve_login(&ip5_zhou, t1, LIMIT).await.unwrap()
    ));

    // Old attempts are purged with expired sessions.
    a.purge_expired(t0 / 1_000 + 2 * 86_400).await.unwrap();
    assert_eq!(f.raw_exec("DELETE FROM login_attempts").await, Ok(0));
}

async fn parallel_login_reservations_never_pass_the_limit(f: &Fixture) {
    let a = f.store.accounts();
    let now = gridmap_data::store::accounts::unix_now_ms();
    let keys = login_keys(Some("10.0.0.9"), "zhao");
    let attempts = (0..24).map(|_| a.reserve_login(&keys, now, LIMIT));
    let results = futures_util::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginReservation::Granted(_))))
        .count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginReservation::Refused { .. })))
        .count();
    assert_eq!((ok, refused), (3, 21), "{results:?}");
}
