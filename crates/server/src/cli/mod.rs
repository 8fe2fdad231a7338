//! Command-line pieces of the `gridmap` binary beyond serve and import.

pub mod accounts;
pub mod coverage;
pub mod plans;

/// The audit actor for command-line writes: `cli:<os user>`.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}
