//! Reading the rule directory (`rules.dir`, the shipped `rules/`): the one
//! place the rule files are read. The pure core parses their texts
//! ([`RuleSet::from_files`]); a bad file is refused at start-up with its
//! file, line and reason.

use std::path::{Path, PathBuf};

use crate::rules::{RuleError, RuleSet};

/// Loads every `*.toml` in `dir` (sorted by name). Stops at the first
/// problem; [`load_all`] reports them all.
pub fn load(dir: &Path) -> Result<RuleSet, RuleError> {
    load_all(dir).map_err(|mut errors| errors.remove(0))
}

/// Loads every rule file in `dir`, collecting every problem in file-name
/// order (never an empty error list): a directory that cannot be read or
/// holds no rule file, a file that cannot be read, a file that does not
/// parse.
pub fn load_all(dir: &Path) -> Result<RuleSet, Vec<RuleError>> {
    let dir_err = |reason: String| {
        vec![RuleError {
            file: dir.to_path_buf(),
            line: None,
            reason,
        }]
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        dir_err(format!(
            "cannot read the rule directory ({e}); pass the directory holding the rule files or set `rules.dir`"
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(dir_err(
            "no rule files (*.toml) here; copy the shipped `rules/` directory".to_string(),
        ));
    }
    let mut texts = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => texts.push((file, text)),
            Err(e) => errors.push(RuleError {
                file,
                line: None,
                reason: format!("cannot read: {e}"),
            }),
        }
    }
    match RuleSet::from_files(&texts) {
        Ok(rules) if errors.is_empty() => Ok(rules),
        Ok(_) => Err(errors),
        Err(parsed) => {
            errors.extend(parsed);
            // Stable: a file's errors keep their order.
            errors.sort_by(|a, b| a.file.cmp(&b.file));
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_says_what_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&dir.path().join("nowhere")).unwrap_err();
        assert!(err.reason.contains("set `rules.dir`"), "{err}");
    }

    #[test]
    fn an_empty_directory_says_to_copy_the_shipped_rules() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.md"), "not a rule").unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(err.reason.contains("no rule files"), "{err}");
    }

    #[test]
    fn every_broken_file_is_reported_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.toml"), "kind = \"no_such_kind\"\n").unwrap();
        std::fs::write(dir.path().join("a.toml"), "not toml at all [").unwrap();
        std::fs::create_dir(dir.path().join("c.toml")).unwrap();
        let errors = load_all(dir.path()).unwrap_err();
        let files: Vec<String> = errors
            .iter()
            .map(|e| e.file.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, ["a.toml", "b.toml", "c.toml"], "{errors:?}");
        assert!(errors[2].reason.starts_with("cannot read"), "{errors:?}");
    }
}
