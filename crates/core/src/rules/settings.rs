//! `[rules]`: where the rule files are (`pushbot::rule_files` reads them
//! at start-up).

use std::path::PathBuf;

use serde::Deserialize;

/// `[rules]`: where the rule files are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    /// Default: `rules`.
    #[serde(default = "default_rules_dir")]
    pub dir: PathBuf,
}

impl Default for RulesSettings {
    fn default() -> Self {
        RulesSettings {
            dir: default_rules_dir(),
        }
    }
}

fn default_rules_dir() -> PathBuf {
    PathBuf::from("rules")
}
