//! One module per subcommand. Each exposes `run(...) -> anyhow::Result<ExitCode>`.

pub mod doctor;
pub mod explain;
pub mod rules;
pub mod sandbox;
