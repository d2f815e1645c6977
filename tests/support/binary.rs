//! Helpers for the tests that run the `pushbot` binary against the demo's
//! sandbox: the shipped rules written out as a rules directory, and
//! stopping the test's own child process the way a service manager does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

/// Writes the shipped rule files into `dir/rules` (created) and returns that
/// directory, for a settings file's `[rules] dir`.
pub fn write_shipped_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for (name, text) in pushbot::demo::SHIPPED_RULES {
        let file = Path::new(name).file_name().unwrap();
        std::fs::write(rules.join(file), text).unwrap();
    }
    rules
}

/// Sends SIGTERM to `child`, a process this test started (by its own id).
pub fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Stops a child process of this test with SIGTERM and waits for it.
pub fn terminate(mut child: Child) -> ExitStatus {
    sigterm(&child);
    child.wait().unwrap()
}
