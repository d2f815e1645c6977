//! `pushbot demo` and `pushbot sandbox` in a binary built without the
//! `sandbox` feature (`cargo build --no-default-features`): the commands
//! stay in `--help` and the completions, and say why they cannot run and
//! how to get a binary that can.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

fn built_without(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`pushbot {command}` needs the built-in Bugzilla sandbox, and this binary was built without the `sandbox` feature; build with the default features (`cargo build --release`) to use it"
    )
}

pub mod demo {
    use super::*;

    pub fn run() -> anyhow::Result<ExitCode> {
        Err(built_without("demo"))
    }
}

pub mod sandbox {
    use super::*;

    pub fn run(
        _data: Option<&Path>,
        _port: u16,
        _at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<ExitCode> {
        Err(built_without("sandbox"))
    }
}
