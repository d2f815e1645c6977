//! The rule files the project ships (`rules/*.toml` at the repository's
//! root), built in: `pushbot init` writes them out, the demo and the tests
//! run on them, `explain`'s tests read with them. Constants only: built in
//! at compile time, so reading them is no I/O.

/// The shipped rule files: (path as `pushbot init` writes it, text).
pub const SHIPPED_RULES: &[(&str, &str)] = &[
    (
        "rules/no-owner.toml",
        include_str!("../../../../rules/no-owner.toml"),
    ),
    (
        "rules/release-conflict.toml",
        include_str!("../../../../rules/release-conflict.toml"),
    ),
    (
        "rules/signoff.toml",
        include_str!("../../../../rules/signoff.toml"),
    ),
    (
        "rules/push-window.toml",
        include_str!("../../../../rules/push-window.toml"),
    ),
    (
        "rules/unscheduled.toml",
        include_str!("../../../../rules/unscheduled.toml"),
    ),
    (
        "rules/overrun.toml",
        include_str!("../../../../rules/overrun.toml"),
    ),
];
