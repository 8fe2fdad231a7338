//! Login attempt limits: after `max_failures` failed logins within `window`
//! from one address, or for one username, further attempts are refused with
//! 429 and `Retry-After` until the oldest failure leaves the window. A
//! success clears the username's failures (not the address's).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed-login bookkeeping, per address and per username.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys tracked before memory is reclaimed from stale entries.
const PRUNE_AT: usize = 10_000;

fn keys(ip: Option<IpAddr>, username: &str) -> [String; 2] {
    let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    [format!("ip:{ip}"), format!("user:{username}")]
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        LoginLimiter {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` when this address or username is locked out.
    pub fn check(&self, ip: Option<IpAddr>, username: &str) -> Result<(), Duration> {
        self.check_at(ip, username, Instant::now())
    }

    fn check_at(&self, ip: Option<IpAddr>, username: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut map) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = Duration::ZERO;
        for key in keys(ip, username) {
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() >= self.max_failures
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(self.window.saturating_sub(now.duration_since(*oldest)));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Record a failed attempt.
    pub fn fail(&self, ip: Option<IpAddr>, username: &str) {
        self.fail_at(ip, username, Instant::now());
    }

    fn fail_at(&self, ip: Option<IpAddr>, username: &str, now: Instant) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= PRUNE_AT {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for key in keys(ip, username) {
            let q = map.entry(key).or_default();
            q.push_back(now);
            while q.len() > self.max_failures {
                q.pop_front();
            }
        }
    }

    /// Record a successful login: the username's failures are forgiven.
    pub fn succeed(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("user:{username}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP1: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const IP2: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn locks_out_after_max_failures_until_the_window_passes() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check_at(IP1, "li", t0).is_ok(), "attempt {i}");
            l.fail_at(IP1, "li", t0 + Duration::from_secs(i));
        }
        let wait = l
            .check_at(IP1, "li", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another address is refused for the same username …
        assert!(l.check_at(IP2, "li", t0 + Duration::from_secs(10)).is_err());
        // … and the same address for another username.
        assert!(
            l.check_at(IP1, "wang", t0 + Duration::from_secs(10))
                .is_err()
        );
        assert!(
            l.check_at(IP2, "wang", t0 + Duration::from_secs(10))
                .is_ok()
        );
        assert!(l.check_at(IP1, "li", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn success_forgives_the_username_only() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        l.fail_at(IP1, "li", t0);
        l.fail_at(IP2, "li", t0);
        assert!(l.check_at(None, "li", t0).is_err());
        l.succeed("li");
        assert!(l.check_at(None, "li", t0).is_ok());
        l.fail_at(IP1, "x", t0);
        assert!(l.check_at(IP1, "y", t0).is_err(), "IP1 has two failures");
    }
}
