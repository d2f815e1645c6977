//! What the benches share.

pub mod data;
