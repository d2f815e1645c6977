//! `pushbot init [DIR]`: a commented `pushbot.toml` (the shipped example,
//! with the Bugzilla URL, the bot account and the push query filled in from
//! the flags) and the shipped `rules/` in DIR, asking nothing. Refuses to
//! overwrite any file that exists. Prints the next commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

/// The settings file `init` starts from: the documented example.
const EXAMPLE: &str = include_str!("../../pushbot.example.toml");

/// Arguments of `pushbot init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to write `pushbot.toml` and `rules/` (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The Bugzilla's base URL (`bugzilla.url`).
    #[arg(long, default_value = "https://bugzilla.example.org")]
    pub url: String,
    /// The bot account's login (`bugzilla.bot_login`).
    #[arg(long, default_value = "pushbot@example.org")]
    pub bot_login: String,
    /// Products of the push query (`query.product`); repeat for several.
    #[arg(long = "product", default_value = "Websites")]
    pub products: Vec<String>,
    /// Components of the push query (`query.component`); repeat for several.
    #[arg(long = "component", default_value = "Push")]
    pub components: Vec<String>,
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let settings = settings_text(&args)?;
    let config = args.dir.join("pushbot.toml");
    let rules: Vec<(PathBuf, &str)> = pushbot::rules::SHIPPED_RULES
        .iter()
        .map(|(name, text)| (args.dir.join(name), *text))
        .collect();
    let existing: Vec<String> = std::iter::once(&config)
        .chain(rules.iter().map(|(path, _)| path))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "not overwriting {}: move them away or choose another directory (pushbot init DIR)",
            existing.join(", ")
        );
    }
    write(&config, &settings)?;
    for (path, text) in &rules {
        write(path, text)?;
    }
    let dir = args.dir.display();
    println!(
        "wrote {} and {} rule files in {}",
        config.display(),
        rules.len(),
        args.dir.join("rules").display()
    );
    println!();
    println!("Next:");
    println!("  cd {dir}");
    println!(
        "  # put the bot account's API key in pushbot.key (chmod 600), and fill in [[push.apps]]"
    );
    println!("  pushbot doctor              # checks the settings, the rules and the server");
    println!("  pushbot once --dry-run      # one cycle: every read and decision, no write");
    println!(
        "  pushbot run                 # the daemon (with dry_run = false when you are ready)"
    );
    Ok(ExitCode::SUCCESS)
}

/// The example settings with the flags' values in place of its own.
fn settings_text(args: &InitArgs) -> anyhow::Result<String> {
    let quote = |s: &str| toml_string(s);
    let list = |items: &[String]| {
        let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut out = String::with_capacity(EXAMPLE.len());
    let mut replaced = [false; 4];
    for line in EXAMPLE.lines() {
        let new = if line.starts_with("url = ") {
            replaced[0] = true;
            format!("url = {}", quote(&args.url))
        } else if line.starts_with("bot_login = ") {
            replaced[1] = true;
            format!("bot_login = {}", quote(&args.bot_login))
        } else if line.starts_with("product = ") {
            replaced[2] = true;
            format!("product = {}", list(&args.products))
        } else if line.starts_with("component = ") {
            replaced[3] = true;
            format!("component = {}", list(&args.components))
        } else {
            line.to_string()
        };
        out.push_str(&new);
        out.push('\n');
    }
    if replaced.contains(&false) {
        bail!("the built-in example settings lack a url, bot_login, product or component line; this is a bug in pushbot");
    }
    Ok(out)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the directory {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
