//! Records the commit the binary is built from, for `pushbot --version`:
//! `git rev-parse` in a checkout, else the `PUSHBOT_COMMIT` environment
//! variable (a container build passes it as a build argument), else
//! "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PUSHBOT_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    // A new commit moves HEAD or the branch it points to. Only paths that
    // exist are named: cargo would rerun this script on every build for a
    // missing one (a git worktree has a `.git` file, not a directory).
    if let Ok(head) = std::fs::read_to_string(".git/HEAD") {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            if std::path::Path::new(".git").join(reference).exists() {
                println!("cargo:rerun-if-changed=.git/{reference}");
            }
        }
    }
    let from_git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let commit = from_git
        .or_else(|| {
            std::env::var("PUSHBOT_COMMIT")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PUSHBOT_COMMIT={commit}");
}
