//! Costs on the request path added by accounts and limits: one argon2id
//! password check (what a login costs the server) and one rate-limiter
//! decision (paid by every request, tiles included).
//!
//! `cargo bench -p gridmap-server --bench auth`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gridmap_server::auth::{password, token};
use gridmap_server::limits::{Rate, RateLimiter, RouteClass};

fn passwords(c: &mut Criterion) {
    let Ok(hash) = password::hash("a benchmark password") else {
        return;
    };
    let mut g = c.benchmark_group("password");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("verify_argon2id", |b| {
        b.iter(|| password::verify(black_box("a benchmark password"), Some(&hash)))
    });
    g.bench_function("verify_unknown_user", |b| {
        b.iter(|| password::verify(black_box("a benchmark password"), None))
    });
    g.finish();
}

fn secrets(c: &mut Criterion) {
    let secret = token::new_secret();
    c.bench_function("session_secret_hash", |b| {
        b.iter(|| token::hash_secret(black_box(&secret)))
    });
}

fn rate_limiter(c: &mut Criterion) {
    let limiter = RateLimiter::new(Rate::per_second(1e9, 1.0), Rate::per_second(1e9, 1.0));
    let one = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    c.bench_function("rate_take_one_address", |b| {
        b.iter(|| limiter.take(RouteClass::Tiles, black_box(one)))
    });
    let many: Vec<Option<IpAddr>> = (0..10_000u32)
        .map(|i| Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))))
        .collect();
    let mut i = 0;
    c.bench_function("rate_take_10k_addresses", |b| {
        b.iter(|| {
            i = (i + 1) % many.len();
            limiter.take(RouteClass::Api, black_box(many[i]))
        })
    });
}

criterion_group!(benches, passwords, secrets, rate_limiter);
criterion_main!(benches);
