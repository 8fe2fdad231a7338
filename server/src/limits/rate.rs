//! Per-address rate limits for every route, one keyed limiter per route
//! class: map tiles and glyphs come in bursts of hundreds when a map opens
//! or pans, everything else (lookup, search, auth, style) is a few requests
//! per user action.
//!
//! Each class is a [`governor`] keyed limiter (GCRA, one state per client
//! address in a sharded map: no lock shared by all requests). A refused
//! request gets 429 `rate_limited` with `Retry-After`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};

/// Sustained requests per second and the burst a client may spend at once.
/// `per_second` 0 turns the class off (no limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    /// `per_second` sustained with a burst of `burst_seconds` worth of requests.
    pub fn per_second(per_second: f64, burst_seconds: f64) -> Rate {
        Rate {
            per_second,
            burst: (per_second * burst_seconds).max(1.0),
        }
    }

    pub fn is_off(&self) -> bool {
        !(self.per_second > 0.0 && self.per_second.is_finite())
    }

    /// The governor quota: one request every `1 / per_second` seconds, at
    /// most `burst` at once; `None` when the class is off.
    fn quota(&self) -> Option<Quota> {
        if self.is_off() {
            return None;
        }
        let period = Duration::try_from_secs_f64(1.0 / self.per_second).ok()?;
        let burst = self.burst.round().clamp(1.0, f64::from(u32::MAX)) as u32;
        Some(
            Quota::with_period(period.max(Duration::from_nanos(1)))?
                .allow_burst(NonZeroU32::new(burst)?),
        )
    }
}

/// Which limiter a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    /// `/tiles/…` and `/fonts/…`.
    Tiles,
    /// Everything else.
    Api,
}

impl RouteClass {
    pub fn of(path: &str) -> RouteClass {
        if path.starts_with("/tiles/") || path.starts_with("/fonts/") {
            RouteClass::Tiles
        } else {
            RouteClass::Api
        }
    }
}

type Keyed<C> =
    Governor<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Addresses a limiter keeps before the idle ones (whose state equals a
/// fresh one) are dropped; checked every [`PRUNE_EVERY`] requests.
const PRUNE_AT: usize = 50_000;
const PRUNE_EVERY: u64 = 4_096;

/// One class: its limiter (absent when off) and a request counter that
/// schedules the pruning.
struct Class<C: Clock + Clone> {
    limiter: Option<Keyed<C>>,
    calls: AtomicU64,
}

impl<C: Clock + Clone> Class<C> {
    fn new(rate: Rate, clock: &C) -> Self {
        Class {
            limiter: rate
                .quota()
                .map(|q| Governor::dashmap_with_clock(q, clock.clone())),
            calls: AtomicU64::new(0),
        }
    }
}

/// Keyed limiters per (class, address).
pub struct RateLimiter<C: Clock + Clone = DefaultClock> {
    tiles: Class<C>,
    api: Class<C>,
    clock: C,
}

impl<C: Clock + Clone> fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |c: &Class<C>| c.limiter.as_ref().map(Keyed::len);
        f.debug_struct("RateLimiter")
            .field("tiles_addresses", &keys(&self.tiles))
            .field("api_addresses", &keys(&self.api))
            .finish()
    }
}

impl RateLimiter<DefaultClock> {
    pub fn new(tiles: Rate, api: Rate) -> Self {
        Self::with_clock(tiles, api, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(tiles: Rate, api: Rate, clock: C) -> Self {
        RateLimiter {
            tiles: Class::new(tiles, &clock),
            api: Class::new(api, &clock),
            clock,
        }
    }

    /// Take one request's worth; `Err(wait)` when the address must wait.
    pub fn take(&self, class: RouteClass, ip: Option<IpAddr>) -> Result<(), Duration> {
        let class = match class {
            RouteClass::Tiles => &self.tiles,
            RouteClass::Api => &self.api,
        };
        let Some(limiter) = &class.limiter else {
            return Ok(());
        };
        if class.calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1
            && limiter.len() >= PRUNE_AT
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn a_burst_then_the_sustained_rate_per_address_and_class() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(
            Rate::per_second(100.0, 2.0),
            Rate::per_second(2.0, 5.0),
            clock.clone(),
        );
        for i in 0..10 {
            assert!(l.take(RouteClass::Api, A).is_ok(), "burst {i}");
        }
        let wait = l.take(RouteClass::Api, A).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        // Other addresses and classes have their own state.
        assert!(l.take(RouteClass::Api, B).is_ok());
        for _ in 0..200 {
            assert!(l.take(RouteClass::Tiles, A).is_ok());
        }
        assert!(l.take(RouteClass::Tiles, A).is_err());
        // Half a second later one more API request is allowed, not two.
        clock.advance(Duration::from_millis(500));
        assert!(l.take(RouteClass::Api, A).is_ok());
        assert!(l.take(RouteClass::Api, A).is_err());
    }

    #[test]
    fn a_rate_of_zero_is_off_and_classes_follow_the_path() {
        let l = RateLimiter::new(Rate::per_second(0.0, 1.0), Rate::per_second(1.0, 1.0));
        for _ in 0..10_000 {
            assert!(l.take(RouteClass::Tiles, A).is_ok());
        }
        assert!(l.take(RouteClass::Api, A).is_ok());
        assert!(l.take(RouteClass::Api, A).is_err());
        assert_eq!(RouteClass::of("/tiles/14/1/2.mvt"), RouteClass::Tiles);
        assert_eq!(RouteClass::of("/fonts/x/0-255.pbf"), RouteClass::Tiles);
        assert_eq!(RouteClass::of("/tiles.json"), RouteClass::Api);
        assert_eq!(RouteClass::of("/api/lookup"), RouteClass::Api);
    }

    #[test]
    fn idle_addresses_are_pruned() {
        let clock = FakeRelativeClock::default();
        let l = RateLimiter::with_clock(
            Rate::per_second(1000.0, 1.0),
            Rate::per_second(1.0, 1.0),
            clock.clone(),
        );
        for i in 0..(PRUNE_AT as u32 + PRUNE_EVERY as u32) {
            let ip = Some(IpAddr::V4(Ipv4Addr::from(i)));
            let _ = l.take(RouteClass::Api, ip);
            if i == PRUNE_AT as u32 {
                // Every address so far is idle again a second later.
                clock.advance(Duration::from_secs(2));
            }
        }
        let len = l.api.limiter.as_ref().map_or(0, Keyed::len);
        assert!(len < PRUNE_AT, "{len}");
    }
}
