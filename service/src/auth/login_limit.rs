//! Login attempt limits: after `max_failures` failed logins within `window`
//! from one address, or for one username, further attempts are refused
//! (with how long to wait: the API's 429 and `Retry-After`) until the
//! oldest failure leaves the window. A
//! success clears the username's failures (not the address's).
//!
//! The count lives in the store ([`Accounts::reserve_login`]): an attempt is
//! counted as a failure *before* its password is checked, in the same
//! atomic step that checks the limit, and the count is released only when
//! the login succeeds. Sixty parallel guesses therefore meet the limit after
//! five, and so do guesses spread over several servers sharing one PostGIS
//! store.

use std::net::IpAddr;
use std::time::Duration;

use gridmap_data::model::Id;
use gridmap_data::store::Accounts;
use gridmap_data::store::accounts::{LoginLimit, LoginReservation, login_keys, unix_now_ms};

/// A counted attempt: pass it to [`succeed`] when the password was right.
#[derive(Debug)]
pub struct Ticket {
    rows: Vec<Id>,
    user_key: String,
}

/// Count an attempt for `ip` and `username`; `Ok(Err(wait))` when locked out.
pub async fn reserve(
    accounts: &dyn Accounts,
    limit: LoginLimit,
    ip: Option<IpAddr>,
    username: &str,
) -> gridmap_data::Result<Result<Ticket, Duration>> {
    let remote = ip.map(|ip| ip.to_string());
    let [ip_key, user_key] = login_keys(remote.as_deref(), username);
    let keys = [ip_key, user_key.clone()];
    Ok(
        match accounts.reserve_login(&keys, unix_now_ms(), limit).await? {
            LoginReservation::Granted(rows) => Ok(Ticket { rows, user_key }),
            LoginReservation::Refused { retry_after_ms } => Err(Duration::from_millis(
                u64::try_from(retry_after_ms).unwrap_or(1).max(1),
            )),
        },
    )
}

/// The login succeeded: the attempt is not a failure, and the username's
/// earlier failures are forgiven.
pub async fn succeed(accounts: &dyn Accounts, ticket: Ticket) -> gridmap_data::Result<()> {
    accounts
        .release_login(&ticket.rows, std::slice::from_ref(&ticket.user_key))
        .await
}

/// The store's form of the configured limit.
pub fn limit(max_failures: usize, window: Duration) -> LoginLimit {
    LoginLimit {
        max_failures: u32::try_from(max_failures.max(1)).unwrap_or(u32::MAX),
        window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
    }
}
