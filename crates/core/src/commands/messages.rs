//! The texts the bot posts in answer to commands: help, refusals, answers
//! to malformed commands and the acknowledgements of each command. All of
//! them live here, none elsewhere.
//!
//! A reply answers one command comment ([`reply`] names it: `comment #N`)
//! and may hold several answers, one per command line, in order.
//!
//! Anything that came from a comment or from Bugzilla is shown through
//! [`quote`], which makes it inert:
//! - it is cut to [`MAX_QUOTED_CHARS`] and put on one line (control
//!   characters become spaces; invisible format and bidi-override
//!   characters such as U+202E are dropped so they cannot reorder the
//!   bot's own words);
//! - every occurrence of the command prefix gets a ZERO WIDTH SPACE
//!   (U+200B) after its first character, so the text cannot form a command
//!   even when someone copies it onto a line of its own;
//! - it is wrapped in a markdown code span whose backtick fence is longer
//!   than any backtick run inside, so on bugzilla.mozilla.org (markdown)
//!   no emphasis, link or HTML in it is rendered, and on plain-text
//!   instances (which HTML-escape comments themselves) the backticks read
//!   as quotation marks. Backticks alone would not stop a copied command;
//!   the zero-width space alone would not stop markup: hence both.
//!
//! Pure: no I/O, no clock.

use super::auth::Refusal;
use super::parse::ParseError;
use super::{CommandKind, CommandSettings, SnoozeDuration, Who};

/// Text quoted back from a comment is cut to this many characters.
pub const MAX_QUOTED_CHARS: usize = 200;

/// Inserted after the first character of the prefix wherever it appears
/// in quoted text.
const PREFIX_BREAKER: char = '\u{200B}';

/// The full reply to one command comment: a line naming the comment
/// (`(In reply to comment #3)`, Bugzilla's own reply style, which it turns
/// into a link), then each answer as a paragraph. `comment` is the
/// comment's number in the bug ([`crate::bugzilla::Comment::count`]).
pub fn reply(comment: u32, answers: &[String]) -> String {
    let mut text = format!("(In reply to comment #{comment})\n");
    for answer in answers {
        text.push('\n');
        text.push_str(answer.trim_end());
        text.push('\n');
    }
    text
}

/// `text` made inert (see the module doc), without the code span: one
/// line, bounded, with every prefix broken.
pub fn neutralize(text: &str, prefix: &str) -> String {
    let mut clean = String::with_capacity(text.len().min(MAX_QUOTED_CHARS * 4));
    let mut kept = 0;
    for c in text.chars() {
        if kept == MAX_QUOTED_CHARS {
            clean.push('…');
            break;
        }
        if is_invisible_format(c) {
            continue;
        }
        clean.push(if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        });
        kept += 1;
    }
    let mut out = clean.trim().to_string();
    let Some(first_len) = prefix.chars().next().map(char::len_utf8) else {
        return out;
    };
    let needle = prefix.to_ascii_lowercase();
    let mut from = 0;
    // `to_ascii_lowercase` keeps byte offsets, so positions found in the
    // lowered copy are valid in `out`. Each round moves `from` forward, so
    // overlapping occurrences (`aaa` for prefix `aa`) are all broken.
    while let Some(found) = out
        .get(from..)
        .and_then(|rest| rest.to_ascii_lowercase().find(&needle))
    {
        let at = from + found + first_len;
        out.insert(at, PREFIX_BREAKER);
        from = at;
    }
    out
}

/// `text` made inert and shown as a markdown code span (see the module
/// doc). Empty text shows as `(nothing)`.
pub fn quote(text: &str, prefix: &str) -> String {
    let inert = neutralize(text, prefix);
    if inert.is_empty() {
        return "(nothing)".to_string();
    }
    code_span(&inert)
}

/// A code span for text already on one line: a fence longer than any
/// backtick run inside, padded when the text starts or ends with one.
fn code_span(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Trusted text (from the rule files) kept on its one list line, so it
/// cannot start a line of its own in the reply.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Zero-width and direction-control characters: invisible, and able to
/// hide or reorder text around them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A command as people write it, e.g. `` `@pushbot snooze 2d` ``.
fn example(settings: &CommandSettings, words: &str) -> String {
    code_span(&format!("{} {words}", settings.prefix))
}

/// The command's form as shown in help.
fn syntax(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::Help => "help",
        CommandKind::Check => "check",
        CommandKind::Signoff => "signoff",
        CommandKind::Summary => "summary [next]",
        CommandKind::Snooze => "snooze DURATION",
        CommandKind::Unsnooze => "unsnooze",
        CommandKind::Go => "go",
        CommandKind::NoGo => "no-go [REASON]",
        CommandKind::Owner => "owner me|EMAIL",
    }
}

fn describe(kind: CommandKind, settings: &CommandSettings) -> String {
    match kind {
        CommandKind::Help => "this list.".to_string(),
        CommandKind::Check => {
            "check this bug against the rules now and answer with what they find.".to_string()
        }
        CommandKind::Summary => "the push summary of this week (`next`: of next week).".to_string(),
        CommandKind::Signoff => {
            "request the sign-offs (lead and QA) now, with the pre-push checklist.".to_string()
        }
        CommandKind::Go => "record the lead's go for this push.".to_string(),
        CommandKind::NoGo => "record the lead's no-go, with the reason.".to_string(),
        CommandKind::Owner => {
            "make you (`me`) or the given Bugzilla login the bug's owner (assignee).".to_string()
        }
        CommandKind::Snooze => format!(
            "no reminders on this bug for a while: `12h`, `2d`, `1w`; at most {} days.",
            settings.max_snooze_days
        ),
        CommandKind::Unsnooze => "end a snooze.".to_string(),
    }
}

fn logins(list: &[String], prefix: &str) -> String {
    list.iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| quote(l, prefix))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who may run a command, in words: "anyone", "the app's lead (`x`)",
/// "members of the `editbugs` group and the app's lead (`x`)".
pub fn who_may(who: &Who, leads: &[String], prefix: &str) -> String {
    let named = logins(leads, prefix);
    let the_leads = if named.is_empty() {
        "the app's lead (none is configured)".to_string()
    } else {
        format!("the app's lead ({named})")
    };
    match who {
        Who::Anyone => "anyone".to_string(),
        Who::Leads => the_leads,
        Who::Group(group) => format!(
            "members of the {} group and {the_leads}",
            quote(group, prefix)
        ),
    }
}

/// The help answer: every command, who may use it, and the rules that
/// apply to this bug (`rules`: one short line each, written by the rules
/// module; trusted text from the rule files).
pub fn help(settings: &CommandSettings, leads: &[String], rules: &[String]) -> String {
    let prefix = &settings.prefix;
    let mut text = format!(
        "Write a command on a line of its own, starting with {} (quoted lines and code blocks are ignored):\n\n",
        code_span(prefix)
    );
    for kind in CommandKind::ALL {
        text.push_str(&format!(
            "- {}: {} Who: {}.\n",
            example(settings, syntax(kind)),
            describe(kind, settings),
            who_may(settings.allow.who(kind), leads, prefix)
        ));
    }
    if rules.is_empty() {
        text.push_str("\nNo rule applies to this bug at the moment.\n");
    } else {
        text.push_str("\nRules that apply to this bug:\n\n");
        for rule in rules {
            text.push_str(&format!("- {}\n", one_line(rule)));
        }
    }
    text
}

/// The polite refusal: what was refused, why, and where to look.
pub fn refusal(reason: &Refusal, settings: &CommandSettings) -> String {
    let prefix = &settings.prefix;
    let help = example(settings, "help");
    let why = match reason {
        Refusal::NotLead { command, leads } => format!(
            "Sorry, only the app's lead ({}) may use {}, so I did nothing.",
            logins(leads, prefix),
            example(settings, command.name())
        ),
        Refusal::NoLeadConfigured { command } => format!(
            "Sorry, {} is for the app's lead, and no lead is configured for this app, so I did nothing. The bot's maintainers can set one.",
            example(settings, command.name())
        ),
        Refusal::NotInGroup { command, group } => format!(
            "Sorry, {} is for members of the {} group, and you are not one, so I did nothing.",
            example(settings, command.name()),
            quote(group, prefix)
        ),
        Refusal::MembershipUnknown { command, group } => format!(
            "Sorry, {} is for members of the {} group, and I could not confirm that you are one, so I did nothing. Please try again later.",
            example(settings, command.name()),
            quote(group, prefix)
        ),
    };
    format!("{why} {help} lists who may use which command.")
}

/// The answer to a malformed command line: what is wrong and how to write
/// it, with a "did you mean" for near-misses.
pub fn parse_error(error: &ParseError, settings: &CommandSettings) -> String {
    let prefix = &settings.prefix;
    let help = example(settings, "help");
    match error {
        ParseError::Empty => format!(
            "{} needs a command after it, e.g. {}. {help} lists them all.",
            code_span(prefix),
            example(settings, "check")
        ),
        ParseError::Unknown {
            word,
            suggestion: Some(kind),
        } => format!(
            "I do not know the command {}. Did you mean {}? {help} lists them all.",
            quote(word, prefix),
            example(settings, kind.name())
        ),
        ParseError::Unknown {
            word,
            suggestion: None,
        } => format!(
            "I do not know the command {}. {help} lists them all.",
            quote(word, prefix)
        ),
        ParseError::UnexpectedArgument { command, extra } => format!(
            "I did not understand {} after {}. Write it as {}.",
            quote(extra, prefix),
            code_span(command.name()),
            example(settings, syntax(*command))
        ),
        ParseError::MissingArgument { command, expected } => format!(
            "{} needs {expected}. Write it as {}.",
            code_span(command.name()),
            example(settings, syntax(*command))
        ),
        ParseError::BadDuration { text } => format!(
            "{} is not a duration. Write a number and a unit, e.g. {}: `h` hours, `d` days, `w` weeks.",
            quote(text, prefix),
            example(settings, "snooze 2d")
        ),
        ParseError::ZeroDuration => format!(
            "A snooze lasts at least an hour, e.g. {}.",
            example(settings, "snooze 12h")
        ),
        ParseError::DurationTooLong { max_days } => format!(
            "A snooze lasts at most {max_days} days, so I did not snooze. Use a shorter one, e.g. {}, and snooze again later if needed.",
            example(settings, &format!("snooze {max_days}d"))
        ),
        ParseError::BadEmail { text } => format!(
            "{} is not an email address. Write {} or {} (the person's Bugzilla login).",
            quote(text, prefix),
            example(settings, "owner me"),
            example(settings, "owner someone@example.org")
        ),
        ParseError::LineTooLong { limit } => format!(
            "That command line is longer than {limit} bytes, so I did not read it. Put the command on a short line of its own."
        ),
        ParseError::TooManyCommands { limit } => format!(
            "This comment holds more than {limit} commands; I read the first {limit} only. Put the others in a new comment."
        ),
    }
}

/// `check`: what the rules found (`findings`: one line each, from the
/// rules module).
pub fn checked(findings: &[String]) -> String {
    if findings.is_empty() {
        return "I checked this bug against the rules: nothing to report.".to_string();
    }
    let mut text = "I checked this bug against the rules:\n\n".to_string();
    for finding in findings {
        text.push_str(&format!("- {}\n", one_line(finding)));
    }
    text
}

/// `check`: one rule's verdict on the bug, for [`checked`]. `reason` is
/// the rule's own words, which may hold text from the bug, so it is made
/// inert.
pub fn finding(rule: &str, fires: bool, reason: &str, settings: &CommandSettings) -> String {
    let state = if fires { "acting now" } else { "nothing to do" };
    format!(
        "{} ({state}): {}",
        code_span(rule),
        neutralize(reason, &settings.prefix)
    )
}

/// `signoff` when no `signoff` rule is loaded (or its template failed).
pub fn signoff_unavailable(settings: &CommandSettings) -> String {
    format!(
        "I cannot request sign-off here: no working `signoff` rule is loaded. The bot's maintainers can check it with `pushbot rules check`. {} lists the other commands.",
        example(settings, "help")
    )
}

/// `signoff`: the flags requested, as `(flag, requestee)` pairs.
pub fn signoff_requested(requests: &[(String, String)], settings: &CommandSettings) -> String {
    if requests.is_empty() {
        return "Every sign-off is already requested or given; I requested nothing new."
            .to_string();
    }
    let list: Vec<String> = requests
        .iter()
        .map(|(flag, requestee)| {
            format!(
                "{} from {}",
                quote(&format!("{flag}?"), &settings.prefix),
                quote(requestee, &settings.prefix)
            )
        })
        .collect();
    format!(
        "I requested {}. The checklist is in the sign-off request.",
        list.join(" and ")
    )
}

/// `snooze`: `until` is the end, already written in the team's time zone
/// by the caller (this module has no clock).
pub fn snoozed(duration: SnoozeDuration, until: &str, settings: &CommandSettings) -> String {
    format!(
        "Snoozed for {duration}: no reminders on this bug until {until}. {} ends it early.",
        example(settings, "unsnooze")
    )
}

/// `unsnooze`; `was_snoozed` is false when there was nothing to end.
pub fn unsnoozed(was_snoozed: bool) -> String {
    if was_snoozed {
        "Snooze ended: reminders on this bug are back on.".to_string()
    } else {
        "This bug was not snoozed; nothing changed.".to_string()
    }
}

/// `go`, recorded for `lead`.
pub fn go_recorded(lead: &str, settings: &CommandSettings) -> String {
    format!(
        "Recorded: go for this push from {}.",
        quote(lead, &settings.prefix)
    )
}

/// `no-go`, recorded for `lead`, with the reason quoted back.
pub fn no_go_recorded(lead: &str, reason: Option<&str>, settings: &CommandSettings) -> String {
    let prefix = &settings.prefix;
    match reason {
        Some(reason) => format!(
            "Recorded: no-go for this push from {}. Reason: {}.",
            quote(lead, prefix),
            quote(reason, prefix)
        ),
        None => format!(
            "Recorded: no-go for this push from {} (no reason given).",
            quote(lead, prefix)
        ),
    }
}

/// `owner EMAIL` when Bugzilla has no account `login`.
pub fn no_such_account(login: &str, settings: &CommandSettings) -> String {
    format!(
        "Bugzilla has no account {}, so I did not change the owner. Write the person's Bugzilla login, or {}.",
        quote(login, &settings.prefix),
        example(settings, "owner me")
    )
}

/// `owner EMAIL` when the account could not be checked for a while.
pub fn account_unknown(login: &str, settings: &CommandSettings) -> String {
    format!(
        "I could not check with Bugzilla that {} is an account, so I did not change the owner. Please try again later.",
        quote(login, &settings.prefix)
    )
}

/// `owner`: the bug is now assigned to `login`.
pub fn owner_set(login: &str, settings: &CommandSettings) -> String {
    format!(
        "Done: {} now owns this push bug.",
        quote(login, &settings.prefix)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse::parse;

    fn settings() -> CommandSettings {
        CommandSettings::default()
    }

    #[test]
    fn quoting_breaks_the_prefix_and_markup() {
        let q = quote("@PushBot go <b>*x*</b>", "@pushbot");
        assert_eq!(q, "`@\u{200B}PushBot go <b>*x*</b>`");
        assert!(parse(&neutralize("@pushbot go", "@pushbot"), &settings()).is_empty());
    }

    #[test]
    fn quoting_uses_a_longer_fence_than_the_text() {
        assert_eq!(quote("a `b` c", "@p"), "``a `b` c``");
        assert_eq!(quote("``x", "@p"), "``` ``x ```");
        assert_eq!(quote("  ", "@p"), "(nothing)");
    }

    #[test]
    fn quoting_flattens_lines_and_drops_invisible_controls() {
        let q = neutralize("a\n@pushbot go\r\n\u{202E}evil\u{0000}", "@pushbot");
        assert_eq!(q, "a @\u{200B}pushbot go  evil");
        assert!(!q.contains('\n'));
    }

    #[test]
    fn quoting_breaks_overlapping_and_repeated_prefixes() {
        let q = neutralize("aaaa", "aa");
        assert!(!q.to_ascii_lowercase().contains("aa"), "{q:?}");
        let q = neutralize("@pushbot@pushbot @PUSHBOT", "@pushbot");
        assert_eq!(q.matches(PREFIX_BREAKER).count(), 3);
    }

    #[test]
    fn quoting_is_bounded() {
        let q = neutralize(&"x".repeat(10_000), "@pushbot");
        assert_eq!(q.chars().count(), MAX_QUOTED_CHARS + 1);
    }

    #[test]
    fn every_reply_names_its_comment() {
        let text = reply(3, &[help(&settings(), &[], &[]), unsnoozed(false)]);
        assert!(text.starts_with("(In reply to comment #3)\n\n"));
        assert!(text.contains("This bug was not snoozed"));
    }

    #[test]
    fn help_lists_every_command_and_who_may_use_it() {
        let leads = ["lead@example.org".to_string()];
        let rules = ["Push window: Tue-Thu after 16:00".to_string()];
        let text = help(&settings(), &leads, &rules);
        for kind in CommandKind::ALL {
            assert!(
                text.contains(&format!("`@pushbot {}", kind.name())),
                "{kind} missing"
            );
        }
        assert!(text.contains("- `@pushbot go`: record the lead's go for this push. Who: the app's lead (`lead@example.org`)."));
        assert!(text.contains("Who: members of the `editbugs` group and the app's lead"));
        assert!(
            text.contains("Rules that apply to this bug:\n\n- Push window: Tue-Thu after 16:00")
        );
        assert!(help(&settings(), &[], &[]).contains("No rule applies"));
        assert!(help(&settings(), &[], &[]).contains("(none is configured)"));
    }

    #[test]
    fn refusals_say_why_and_point_to_help() {
        let text = refusal(
            &Refusal::NotInGroup {
                command: CommandKind::Check,
                group: "editbugs".to_string(),
            },
            &settings(),
        );
        assert_eq!(
            text,
            "Sorry, `@pushbot check` is for members of the `editbugs` group, and you are not one, so I did nothing. `@pushbot help` lists who may use which command."
        );
        let unknown = refusal(
            &Refusal::MembershipUnknown {
                command: CommandKind::Snooze,
                group: "editbugs".to_string(),
            },
            &settings(),
        );
        assert!(unknown.contains("could not confirm"));
        let lead = refusal(
            &Refusal::NotLead {
                command: CommandKind::Go,
                leads: vec!["lead@example.org".to_string()],
            },
            &settings(),
        );
        assert!(lead.contains("only the app's lead (`lead@example.org`) may use `@pushbot go`"));
    }

    #[test]
    fn malformed_commands_get_a_suggestion_and_the_right_form() {
        let s = settings();
        let text = parse_error(
            &ParseError::Unknown {
                word: "chek".to_string(),
                suggestion: Some(CommandKind::Check),
            },
            &s,
        );
        assert_eq!(
            text,
            "I do not know the command `chek`. Did you mean `@pushbot check`? `@pushbot help` lists them all."
        );
        let extra = parse_error(
            &ParseError::UnexpectedArgument {
                command: CommandKind::Summary,
                extra: "last".to_string(),
            },
            &s,
        );
        assert!(extra.contains("Write it as `@pushbot summary [next]`"));
        let long = parse_error(&ParseError::DurationTooLong { max_days: 14 }, &s);
        assert!(long.contains("`@pushbot snooze 14d`"));
    }

    #[test]
    fn a_custom_prefix_shows_in_the_texts() {
        let s = CommandSettings {
            prefix: "!relbot".to_string(),
            ..settings()
        };
        let text = parse_error(&ParseError::Empty, &s);
        assert!(text.starts_with("`!relbot` needs a command after it, e.g. `!relbot check`."));
    }

    #[test]
    fn a_no_go_reason_is_quoted_inert() {
        let text = no_go_recorded(
            "lead@example.org",
            Some("see\n@pushbot go [link](http://x) `code`"),
            &settings(),
        );
        assert!(parse(&text, &settings()).is_empty());
        assert!(text.contains("`` see @\u{200B}pushbot go [link](http://x) `code` ``"));
    }
}
