//! `pushbot demo` through the binary: it runs without settings, is
//! deterministic, and its key lines are the ones pasted in the README (so the
//! README cannot drift silently).

use std::process::Command;

fn demo_output() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pushbot"))
        .arg("demo")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The demo's lines of the first cycle and after, as `bug rule` pairs.
fn rows(section: &str) -> Vec<String> {
    section
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let bug = words.next()?;
            let rule = words.next()?;
            // Bug ids, not the closing "5 cycles, …" line.
            bug.parse::<u64>()
                .ok()
                .filter(|id| (801..=805).contains(id))?;
            Some(format!("{bug} {rule}"))
        })
        .collect()
}

#[test]
fn the_demo_says_what_the_readme_shows_and_is_deterministic() {
    let first = demo_output();
    let second = demo_output();
    assert_eq!(first, second, "the demo is deterministic");

    let sections: Vec<&str> = first.split("\n== ").collect();
    assert_eq!(sections.len(), 6, "five moments:\n{first}");
    assert_eq!(
        rows(sections[1]),
        vec![
            "801 command",
            "801 release-conflict",
            "802 release-conflict",
            "803 no-owner",
            "803 release-conflict",
            "804 release-conflict",
            "804 signoff",
            "804 push-window",
        ],
        "{first}"
    );
    assert!(sections[1].contains("(full load)"));
    // The developer's `@pushbot check` gets its one reply.
    assert!(sections[1].contains("801   command          I checked this bug against the rules:"));
    assert!(sections[1].contains("Please sign off: [flags: webdev-signoff?("));
    // Nothing on 805 (a content-only push), ever.
    assert!(!first.lines().any(|l| l.trim_start().starts_with("805 ")));
    // Second cycle: nothing new.
    assert!(
        sections[2].contains("the bot had nothing new to say"),
        "{}",
        sections[2]
    );
    assert!(sections[2].contains("0 writes"));
    // Someone takes 803: it is not nagged again.
    assert!(sections[3].contains("personas-dev@example.test takes bug 803"));
    assert!(sections[3].contains("the bot had nothing new to say"));
    assert_eq!(
        rows(sections[4]),
        vec!["801 signoff", "804 signoff", "804 overrun"]
    );
    assert_eq!(
        rows(sections[5]),
        vec!["801 signoff", "801 overrun", "803 signoff"]
    );
    assert!(first.contains("Run it again: nothing is posted twice."));

    // The README shows this very output.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for line in first.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            readme.contains(line),
            "README.md lacks this line of `pushbot demo`; paste the new output:\n{line}"
        );
    }
}
