//! Property and fuzz-style tests of the comment-command parser and the
//! reply texts: no input makes them panic or do unbounded work, and text
//! quoted back by the bot can never form a command.

use proptest::prelude::*;
use pushbot::commands::messages;
use pushbot::commands::parse::{parse, ParseError, MAX_LINE_BYTES};
use pushbot::commands::{CommandKind, CommandSettings, Refusal};

fn settings() -> CommandSettings {
    CommandSettings::default()
}

/// Pieces that exercise the parser's edges: prefixes, fences, quotes,
/// indentation, line ends, combining marks, RTL and bidi overrides, NUL,
/// zero-width characters, case-folding oddities (Turkish İ, Kelvin sign).
const PIECES: &[&str] = &[
    "@pushbot",
    "@PushBot",
    "@pushbot:",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "```",
    "~~~",
    ">",
    "> ",
    "    ",
    "check",
    "go",
    "no",
    "-",
    "no-go",
    "snooze",
    "2d",
    "99999999999d",
    "owner",
    "me",
    "a@b.c",
    "@",
    ".",
    "!",
    "`",
    "help",
    "summary",
    "next",
    "\u{0301}",
    "\u{202E}",
    "\u{200F}",
    "\u{0000}",
    "\u{200B}",
    "\u{FEFF}",
    "é",
    "🙂",
    "א",
    "مرحبا",
    "İ",
    "\u{212A}",
    "\u{2028}",
    "\u{0085}",
    "<script>",
    "*",
    "[x](y)",
];

fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..300).prop_map(|v| v.concat())
}

/// Printable ASCII without `>` (a prefix may not start a quote).
fn prefix() -> impl Strategy<Value = String> {
    "[!-=?-~]{1,10}"
}

/// Prefixes as teams would choose them: a sigil and a name. (A prefix such
/// as `-` or `I` would also match the bot's own list lines and sentences;
/// the bot never reads its own comments, but such prefixes make poor
/// commands anyway.)
fn realistic_prefix() -> impl Strategy<Value = String> {
    "[@!][a-zA-Z][a-zA-Z0-9_-]{0,8}"
}

/// Every message that quotes user text, built around `user`.
fn messages_quoting(user: &str, s: &CommandSettings) -> Vec<String> {
    vec![
        messages::parse_error(
            &ParseError::Unknown {
                word: user.to_string(),
                suggestion: Some(CommandKind::Check),
            },
            s,
        ),
        messages::parse_error(
            &ParseError::Unknown {
                word: user.to_string(),
                suggestion: None,
            },
            s,
        ),
        messages::parse_error(
            &ParseError::UnexpectedArgument {
                command: CommandKind::Go,
                extra: user.to_string(),
            },
            s,
        ),
        messages::parse_error(
            &ParseError::BadDuration {
                text: user.to_string(),
            },
            s,
        ),
        messages::parse_error(
            &ParseError::BadEmail {
                text: user.to_string(),
            },
            s,
        ),
        messages::no_go_recorded(user, Some(user), s),
        messages::go_recorded(user, s),
        messages::owner_set(user, s),
        messages::signoff_requested(&[(user.to_string(), user.to_string())], s),
        messages::refusal(
            &Refusal::NotInGroup {
                command: CommandKind::Check,
                group: user.to_string(),
            },
            s,
        ),
        messages::refusal(
            &Refusal::NotLead {
                command: CommandKind::Go,
                leads: vec![user.to_string()],
            },
            s,
        ),
        messages::help(s, &[user.to_string()], &[user.to_string()]),
        messages::checked(&[user.to_string()]),
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_and_is_bounded(text in any::<String>()) {
        let s = settings();
        let parsed = parse(&text, &s);
        prop_assert!(parsed.len() <= s.max_per_comment + 1);
    }

    #[test]
    fn parse_never_panics_on_tricky_text(text in tricky_text(), p in prefix()) {
        let s = CommandSettings { prefix: p, max_per_comment: 5, ..settings() };
        let parsed = parse(&text, &s);
        prop_assert!(parsed.len() <= 6);
        let mut last_line = 0;
        for line in &parsed {
            prop_assert!(line.line > last_line, "lines in order");
            last_line = line.line;
        }
        let parsed = parse(&text, &settings());
        prop_assert!(parsed.len() <= settings().max_per_comment + 1);
    }

    #[test]
    fn quoted_lines_are_never_commands(lines in prop::collection::vec(tricky_text(), 0..20)) {
        let text: String = lines
            .iter()
            .flat_map(|l| l.lines())
            .map(|l| format!("> {l}\n"))
            .collect();
        prop_assert!(parse(&text, &settings()).is_empty());
    }

    #[test]
    fn escaped_user_text_never_yields_a_command(user in tricky_text(), p in prefix()) {
        let s = CommandSettings { prefix: p.clone(), ..settings() };
        let inert = messages::neutralize(&user, &p);
        // A one-character prefix stays, but is followed by the zero-width
        // space, which cannot end a prefix.
        if p.len() > 1 {
            prop_assert!(!inert.to_ascii_lowercase().contains(&p.to_ascii_lowercase()));
        }
        prop_assert!(!inert.contains('\n'));
        prop_assert!(parse(&inert, &s).is_empty());
        prop_assert!(parse(&messages::quote(&user, &p), &s).is_empty());
    }

    #[test]
    fn replies_quoting_user_text_never_yield_a_command(
        user in tricky_text(),
        p in realistic_prefix(),
    ) {
        let s = CommandSettings { prefix: p, ..settings() };
        let user = format!("{user}\n{} go", s.prefix);
        for message in messages_quoting(&user, &s) {
            let full = messages::reply(7, &[message]);
            prop_assert!(parse(&full, &s).is_empty(), "{:?}", full);
        }
    }

    #[test]
    fn escaped_arbitrary_text_never_yields_a_command(user in any::<String>()) {
        let s = settings();
        prop_assert!(parse(&messages::neutralize(&user, &s.prefix), &s).is_empty());
        for message in messages_quoting(&user, &s) {
            prop_assert!(parse(&message, &s).is_empty(), "{:?}", message);
        }
    }
}

const MEGABYTE: usize = 1 << 20;

#[test]
fn a_one_megabyte_command_line_is_refused_unread() {
    let text = format!("@pushbot no-go {}", "x".repeat(MEGABYTE));
    let parsed = parse(&text, &settings());
    assert_eq!(parsed.len(), 1);
    assert_eq!(
        parsed[0].result,
        Err(ParseError::LineTooLong {
            limit: MAX_LINE_BYTES
        })
    );
}

#[test]
fn huge_odd_unicode_comments_do_not_break_the_parser() {
    let s = settings();
    let combining = format!("@pushbot check{}", "\u{0301}".repeat(MEGABYTE / 2));
    assert!(parse(&combining, &s)[0].result.is_err());
    let rtl = format!("\u{202E}@pushbot go\n{}", "א".repeat(MEGABYTE / 2));
    assert!(
        parse(&rtl, &s).is_empty(),
        "a bidi override before the prefix"
    );
    let nul = format!("{}\n@pushbot check\0", "\0".repeat(MEGABYTE));
    assert_eq!(parse(&nul, &s).len(), 1);
    let fence = format!("```\n{}x\n@pushbot go", "`".repeat(MEGABYTE));
    assert!(parse(&fence, &s).is_empty());
    let spaces = " ".repeat(MEGABYTE);
    assert!(parse(&spaces, &s).is_empty());
    let many = "@pushbot check\n".repeat(100_000);
    assert_eq!(parse(&many, &s).len(), s.max_per_comment + 1);
}

#[test]
fn huge_user_text_is_quoted_bounded() {
    let s = settings();
    let huge = "@pushbot go\n".repeat(MEGABYTE / 12);
    let text = messages::no_go_recorded("lead@example.org", Some(&huge), &s);
    assert!(text.len() < 2 * messages::MAX_QUOTED_CHARS * 4);
    assert!(parse(&text, &s).is_empty());
}
