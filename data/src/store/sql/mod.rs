//! SQL shared by the store backends.

pub(crate) mod accounts;
pub(crate) mod plans;
