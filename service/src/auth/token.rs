//! Session and token secrets: 32 random bytes from the OS CSPRNG, shown to
//! the client as 64 hex digits; the store keeps only their SHA-256. The
//! CSRF token of a cookie session is derived from its secret, so it needs no
//! storage and is useless without the (HttpOnly) cookie's value.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A fresh secret: 32 random bytes as lowercase hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the store keeps of a secret.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The CSRF token that goes with a cookie session's secret.
pub fn csrf_for(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"gridmap-csrf\0");
    h.update(secret.as_bytes());
    hex(&h.finalize())
}

/// Compare two strings in time independent of where they differ
/// (`subtle`, whose comparison the optimiser cannot turn into an early exit;
/// the lengths of our secrets are public).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Whether a string looks like one of our secrets (64 lowercase hex digits).
pub fn well_formed(secret: &str) -> bool {
    secret.len() == 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_well_formed_and_hash_stably() {
        let a = new_secret();
        let b = new_secret();
        assert!(well_formed(&a) && well_formed(&b));
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_ne!(csrf_for(&a), csrf_for(&b));
        assert!(!well_formed("ABC"));
        assert!(!well_formed(&a.to_uppercase()));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(constant_time_eq("", ""));
    }
}
