//! The Dockerfile, read as text (no container engine runs on these
//! machines, so the image is never built here): the paths, user and
//! environment it sets agree with each other, with the repository and with
//! the settings they feed.

use std::path::Path;

use pushbot::config::Settings;

fn dockerfile() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap()
}

/// The instructions of the last stage (the runtime image), continuation
/// lines joined.
fn runtime_stage(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let lines: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let last_from = lines
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .expect("a FROM line");
    lines[last_from..].iter().map(|l| l.to_string()).collect()
}

fn instruction<'a>(stage: &'a [String], name: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter_map(|l| l.strip_prefix(name).map(str::trim))
        .collect()
}

/// `ENV KEY=VALUE` pairs of the stage.
fn env(stage: &[String]) -> Vec<(String, String)> {
    instruction(stage, "ENV ")
        .into_iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_runtime_image_runs_as_a_numeric_non_root_user_that_owns_its_state() {
    let text = dockerfile();
    let stage = runtime_stage(&text);
    assert_eq!(instruction(&stage, "USER "), vec!["10001:10001"]);
    let run = instruction(&stage, "RUN ").join(" ");
    assert!(run.contains("--uid 10001"), "{run}");
    assert!(run.contains("--gid 10001"), "{run}");
    assert!(run.contains("install -d -o 10001 -g 10001"), "{run}");
    assert!(run.contains("/var/lib/pushbot"), "{run}");
    assert_eq!(instruction(&stage, "WORKDIR "), vec!["/var/lib/pushbot"]);
    assert_eq!(
        instruction(&stage, "VOLUME "),
        vec![r#"["/var/lib/pushbot"]"#]
    );
}

#[test]
fn config_rules_and_port_agree_with_the_settings_they_feed() {
    let text = dockerfile();
    let stage = runtime_stage(&text);
    let vars = env(&stage);
    let get = |k: &str| {
        vars.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("ENV {k} missing"))
    };
    let rules_dir = get("PUSHBOT__RULES__DIR");
    let listen = get("PUSHBOT__WEB__LISTEN");
    assert!(
        instruction(&stage, "COPY ").contains(&format!("rules {rules_dir}").as_str()),
        "the shipped rules are copied where PUSHBOT__RULES__DIR points"
    );
    let port = listen.rsplit(':').next().unwrap();
    assert_eq!(instruction(&stage, "EXPOSE "), vec![port]);

    // The example settings with the image's environment: the names are
    // real settings and their values parse.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("pushbot.example.toml");
    // The key file the example names, as a mount would provide it.
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("pushbot.key");
    std::fs::write(&key_file, "0123456789abcdef0123456789abcdef01234567\n").unwrap();
    let settings = Settings::load_with_env(
        &example,
        [
            ("PUSHBOT__RULES__DIR".to_string(), rules_dir.clone()),
            ("PUSHBOT__WEB__LISTEN".to_string(), listen.clone()),
            (
                "PUSHBOT__BUGZILLA__API_KEY_FILE".to_string(),
                key_file.display().to_string(),
            ),
        ],
    )
    .unwrap();
    assert_eq!(settings.rules.dir, Path::new(&rules_dir));
    assert_eq!(settings.web.listen, listen);
    // The state file is relative: it lands in the WORKDIR, the volume.
    assert!(
        settings.state.path.is_relative(),
        "{:?}",
        settings.state.path
    );

    // The entry point and the health check read the same mounted settings.
    let config = "/etc/pushbot/pushbot.toml";
    let entry = instruction(&stage, "ENTRYPOINT ").join(" ");
    assert!(entry.contains(config), "{entry}");
    let health = instruction(&stage, "HEALTHCHECK ").join(" ");
    assert!(health.contains(config), "{health}");
    assert!(
        health.contains(r#"CMD ["pushbot","#) && health.contains(r#""healthcheck"]"#),
        "the health check runs the binary itself: {health}"
    );
}

#[test]
fn the_build_stage_copies_every_input_the_build_needs() {
    let text = dockerfile();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copied: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            parts[..parts.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!copied.is_empty());
    for path in &copied {
        assert!(
            root.join(path).exists(),
            "COPY {path}: not in the repository"
        );
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src",
        "crates",
        "rules",
        "benches",
    ] {
        assert!(
            copied.iter().any(|c| c == needed),
            "the build needs {needed}"
        );
    }
}
