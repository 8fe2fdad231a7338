//! Per-address token buckets for the public routes, one bucket per route
//! class: map tiles and glyphs come in bursts of hundreds when a map opens
//! or pans, everything else (lookup, search, auth, style) is a few requests
//! per user action.
//!
//! A refused request gets 429 `rate_limited` with `Retry-After`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
        self.per_second <= 0.0
    }
}

/// Which bucket a request draws from.
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

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets kept before idle (refilled) ones are dropped.
const PRUNE_AT: usize = 50_000;

/// Token buckets per (class, address).
#[derive(Debug)]
pub struct RateLimiter {
    tiles: Rate,
    api: Rate,
    buckets: Mutex<HashMap<(RouteClass, IpAddr), Bucket>>,
}

impl RateLimiter {
    pub fn new(tiles: Rate, api: Rate) -> Self {
        RateLimiter {
            tiles,
            api,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn rate(&self, class: RouteClass) -> Rate {
        match class {
            RouteClass::Tiles => self.tiles,
            RouteClass::Api => self.api,
        }
    }

    /// Take one token; `Err(wait)` when the bucket is empty.
    pub fn take(&self, class: RouteClass, ip: Option<IpAddr>) -> Result<(), Duration> {
        self.take_at(class, ip, Instant::now())
    }

    fn take_at(&self, class: RouteClass, ip: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let rate = self.rate(class);
        if rate.is_off() {
            return Ok(());
        }
        let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        if map.len() >= PRUNE_AT {
            map.retain(|(c, _), b| {
                let r = self.rate(*c);
                b.tokens + now.duration_since(b.last).as_secs_f64() * r.per_second < r.burst
            });
        }
        let b = map.entry((class, ip)).or_insert(Bucket {
            tokens: rate.burst,
            last: now,
        });
        let refill = now.duration_since(b.last).as_secs_f64() * rate.per_second;
        b.tokens = (b.tokens + refill).min(rate.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn a_burst_then_the_sustained_rate_per_address_and_class() {
        let l = RateLimiter::new(Rate::per_second(100.0, 2.0), Rate::per_second(2.0, 5.0));
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(l.take_at(RouteClass::Api, A, t0).is_ok(), "burst {i}");
        }
        let wait = l.take_at(RouteClass::Api, A, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        // Other addresses and classes have their own buckets.
        assert!(l.take_at(RouteClass::Api, B, t0).is_ok());
        for _ in 0..200 {
            assert!(l.take_at(RouteClass::Tiles, A, t0).is_ok());
        }
        assert!(l.take_at(RouteClass::Tiles, A, t0).is_err());
        // Half a second later one more API request is allowed, not two.
        let t1 = t0 + Duration::from_millis(500);
        assert!(l.take_at(RouteClass::Api, A, t1).is_ok());
        assert!(l.take_at(RouteClass::Api, A, t1).is_err());
    }

    #[test]
    fn a_rate_of_zero_is_off_and_classes_follow_the_path() {
        let l = RateLimiter::new(Rate::per_second(0.0, 1.0), Rate::per_second(1.0, 1.0));
        for _ in 0..10_000 {
            assert!(l.take(RouteClass::Tiles, A).is_ok());
        }
        assert_eq!(RouteClass::of("/tiles/14/1/2.mvt"), RouteClass::Tiles);
        assert_eq!(RouteClass::of("/fonts/x/0-255.pbf"), RouteClass::Tiles);
        assert_eq!(RouteClass::of("/tiles.json"), RouteClass::Api);
        assert_eq!(RouteClass::of("/api/lookup"), RouteClass::Api);
    }
}
