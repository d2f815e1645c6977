//! Rule files: the shipped set passes `pushbot rules check`; broken files
//! are refused with the file, the line and the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use pushbot::rules::RuleError;

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn error_for(name: &str, text: &str) -> RuleError {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let err = pushbot::rule_files::load(dir.path()).unwrap_err();
    assert_eq!(err.file, dir.path().join(name));
    err
}

const GOOD_TAIL: &str =
    "[templates]\ncomment = \"Outside the window: {{ problems | join(', ') }}\"\n";

#[test]
fn shipped_rules_load_and_cover_every_kind() {
    let set = pushbot::rule_files::load(&shipped()).unwrap();
    let mut kinds: Vec<&str> = set.rules.iter().map(|r| r.kind.name()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "no_owner",
            "overrun",
            "push_window",
            "release_conflict",
            "signoff",
            "unscheduled"
        ]
    );
}

#[test]
fn bad_toml_names_the_line() {
    let err = error_for(
        "window.toml",
        "kind = \"push_window\"\n[params]\nwarn_if_needed_days = tru\n",
    );
    assert_eq!(err.line, Some(3));
    assert!(err.reason.contains("invalid"), "{}", err.reason);
}

#[test]
fn unknown_key_names_the_line_and_the_key() {
    let err = error_for(
        "window.toml",
        &format!("kind = \"push_window\"\n\n[params]\nwarn_on_wednesday = true\n{GOOD_TAIL}"),
    );
    assert_eq!(err.line, Some(4));
    assert!(
        err.reason.contains("unknown field `warn_on_wednesday`"),
        "{}",
        err.reason
    );
    let err = error_for(
        "window.toml",
        &format!("kind = \"push_window\"\ncolour = 1\n{GOOD_TAIL}"),
    );
    assert_eq!(err.line, Some(2));
    assert!(
        err.reason.contains("unknown field `colour`"),
        "{}",
        err.reason
    );
}

#[test]
fn unknown_kind_lists_the_kinds() {
    let err = error_for("x.toml", "# a comment\nkind = \"no_owners\"\n");
    assert_eq!(err.line, Some(2));
    assert_eq!(
        err.reason,
        "unknown kind `no_owners`; one of: no_owner, release_conflict, signoff, push_window, unscheduled, overrun"
    );
    let err = error_for("x.toml", "description = \"no kind\"\n");
    assert!(err.reason.starts_with("missing `kind`"));
}

#[test]
fn bad_template_syntax_names_the_line_in_the_file() {
    let text = "kind = \"push_window\"\n[templates]\ncomment = \"\"\"\nLine one\n{% for p in problems %}\n- {{ p }\n{% endfor %}\n\"\"\"\n";
    let err = error_for("window.toml", text);
    // `{{ p }` is on line 6 of the file.
    assert_eq!(err.line, Some(6), "{err}");
    assert!(
        err.reason.starts_with("template `comment`: syntax error"),
        "{}",
        err.reason
    );
}

#[test]
fn misspelt_template_variables_are_caught() {
    let err = error_for(
        "window.toml",
        "kind = \"push_window\"\n[templates]\ncomment = \"{{ bug.owner_name }}\"\n",
    );
    assert_eq!(err.line, Some(3));
    assert!(err.reason.contains("undefined"), "{}", err.reason);
}

#[test]
fn bad_parameter_names_the_line_and_what_to_do() {
    let text = "kind = \"release_conflict\"\n[params]\nmax_large_per_week = 1\nmax_per_day = 0\n[templates]\ncomment = \"x\"\n";
    let err = error_for("conflict.toml", text);
    assert_eq!(err.line, Some(4));
    assert_eq!(
        err.reason,
        "parameter `max_per_day`: must be at least 1, or no push could ever go out"
    );
    let text = "kind = \"no_owner\"\n[params]\ngrace_hours = -1\n[templates]\nnag = \"x\"\nescalate = \"y\"\n";
    let err = error_for("nag.toml", text);
    assert_eq!(err.line, Some(3));
}

#[test]
fn missing_and_unknown_templates() {
    let err = error_for(
        "nag.toml",
        "kind = \"no_owner\"\n[templates]\nnag = \"x\"\n",
    );
    assert!(
        err.reason.starts_with("missing template `escalate`"),
        "{}",
        err.reason
    );
    let err = error_for(
        "nag.toml",
        "kind = \"no_owner\"\n[templates]\nnag = \"x\"\nescalate = \"y\"\nreminder = \"z\"\n",
    );
    assert_eq!(err.line, Some(5));
    assert!(err.reason.starts_with("unknown template `reminder`"));
}

#[test]
fn error_display_is_file_line_reason() {
    let err = error_for("x.toml", "kind = \"nope\"\n");
    let shown = err.to_string();
    assert!(shown.ends_with("x.toml:1: unknown kind `nope`; one of: no_owner, release_conflict, signoff, push_window, unscheduled, overrun"), "{shown}");
}

fn pushbot(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .current_dir(dir)
        .args(["--config", "absent.toml"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn rules_check_passes_the_shipped_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = pushbot(&["rules", "check", shipped().to_str().unwrap()], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("ok  ")).count(), 6);
    assert!(text.contains("ok  release-conflict"));
}

#[test]
fn rules_check_reports_every_broken_file_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("a.toml"), "kind = \"nope\"\n").unwrap();
    std::fs::write(
        rules.join("b.toml"),
        "kind = \"push_window\"\n[templates]\ncomment = \"{{ x\"\n",
    )
    .unwrap();
    // Default directory: `rules` in the working directory when there are no settings.
    let out = pushbot(&["rules", "check"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("error: rules/a.toml:1: unknown kind `nope`"),
        "{err}"
    );
    assert!(
        err.contains("error: rules/b.toml:3: template `comment`: syntax error"),
        "{err}"
    );
    assert!(err.contains("2 problem(s) in rules"), "{err}");
}

#[test]
fn the_ledgers_own_names_are_reserved() {
    // A rule named like a marker the bot uses for something else would
    // read and write those lines: `snooze.toml` would cancel snoozes.
    for name in ["command", "snooze", "summary", "Snooze"] {
        let err = error_for(
            &format!("{name}.toml"),
            &format!("kind = \"push_window\"\n{GOOD_TAIL}"),
        );
        assert_eq!(err.line, None);
        assert!(
            err.reason
                .contains(&format!("the name `{name}` is reserved")),
            "{}",
            err.reason
        );
    }
    // `rules check` says why and fails.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("snooze.toml"),
        format!("kind = \"push_window\"\n{GOOD_TAIL}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .args(["rules", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("snooze.toml"), "{stderr}");
    assert!(stderr.contains("snoozes set by"), "{stderr}");
}
