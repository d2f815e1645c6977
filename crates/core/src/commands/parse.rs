//! The comment-command parser: turns a comment's text into the commands it
//! holds, line by line.
//!
//! A command is a line of its own that starts with the prefix (default
//! `@pushbot`, any case), after at most three spaces of indentation:
//!
//! ```text
//! Looks fine to me.
//! @pushbot check.
//! @PushBot snooze 2d
//! ```
//!
//! Never commands: lines quoted in Bugzilla's reply style (`> …`, `>> …`),
//! lines inside ```` ``` ```` or `~~~` fences, lines indented by four or
//! more columns (a markdown code block on bugzilla.mozilla.org, and pasted
//! material such as logs on plain-text instances), and a prefix in the
//! middle of a line. Each command line answers on its own: a command, or a
//! command that is malformed (with a "did you mean" where a known command
//! is close), so one bad line does not hide the good ones. The work is
//! bounded: at most [`CommandSettings::max_per_comment`] command lines and
//! [`MAX_LINE_BYTES`] per line are read.
//!
//! Pure: no I/O, no clock; it never panics on any input (property-tested).

use std::fmt;

use super::{Command, CommandKind, CommandSettings, OwnerArg, SnoozeDuration};

/// A command line longer than this (bytes) is answered with
/// [`ParseError::LineTooLong`] instead of being read: no real command
/// needs more, and it bounds the work on 1 MB lines.
pub const MAX_LINE_BYTES: usize = 1000;

/// A no-go reason is kept up to this many characters (then `…`), so that
/// it fits in a reply and a summary line.
pub const MAX_REASON_CHARS: usize = 300;

/// Characters that may end a command line without being part of it
/// (`@pushbot check.`, `@pushbot go!`).
const TRAILING_PUNCTUATION: &[char] = &['.', '!', '?', ',', ';', ':'];

/// What one command line of a comment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The line's number in the comment, from 1.
    pub line: usize,
    /// The command, or why the line is not a well-formed one.
    pub result: Result<Command, ParseError>,
}

/// Why a command line is malformed. Words from the comment are kept as
/// written (bounded); [`super::messages`] escapes them before quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The prefix alone, with no command after it.
    Empty,
    /// A word that is no command; `suggestion` is a close one, if any.
    Unknown {
        word: String,
        suggestion: Option<CommandKind>,
    },
    /// The command takes fewer arguments than were written.
    UnexpectedArgument { command: CommandKind, extra: String },
    /// The command needs an argument that is missing.
    MissingArgument {
        command: CommandKind,
        expected: &'static str,
    },
    /// `snooze` with something that is not `<number><h|d|w>`.
    BadDuration { text: String },
    /// `snooze 0d`.
    ZeroDuration,
    /// `snooze` longer than the configured maximum (days).
    DurationTooLong { max_days: u32 },
    /// `owner` with something that is neither `me` nor an email address.
    BadEmail { text: String },
    /// The command line is longer than [`MAX_LINE_BYTES`].
    LineTooLong { limit: usize },
    /// The comment holds more command lines than
    /// [`CommandSettings::max_per_comment`]; the rest were not read.
    TooManyCommands { limit: usize },
}

impl fmt::Display for ParseError {
    /// A plain description for logs; replies come from
    /// [`super::messages`], which escapes the words quoted back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => f.write_str("no command after the prefix"),
            ParseError::Unknown { word, suggestion } => {
                write!(f, "unknown command {word:?}")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            ParseError::UnexpectedArgument { command, extra } => {
                write!(f, "`{command}` does not take {extra:?}")
            }
            ParseError::MissingArgument { command, expected } => {
                write!(f, "`{command}` needs {expected}")
            }
            ParseError::BadDuration { text } => write!(f, "{text:?} is not a duration"),
            ParseError::ZeroDuration => f.write_str("a snooze of zero"),
            ParseError::DurationTooLong { max_days } => {
                write!(f, "a snooze longer than {max_days} days")
            }
            ParseError::BadEmail { text } => write!(f, "{text:?} is not an email address"),
            ParseError::LineTooLong { limit } => write!(f, "a command line over {limit} bytes"),
            ParseError::TooManyCommands { limit } => {
                write!(f, "more than {limit} commands in one comment")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Every command line of `text`, in order. Lines that are not command
/// lines are left out; after `max_per_comment` command lines, one
/// [`ParseError::TooManyCommands`] ends the list.
pub fn parse(text: &str, settings: &CommandSettings) -> Vec<ParsedLine> {
    let mut found = Vec::new();
    let mut fence: Option<Fence> = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let (indent, body) = split_indent(line);
        if let Some(open) = &fence {
            if indent < 4 && open.is_closed_by(body) {
                fence = None;
            }
            continue;
        }
        if indent >= 4 {
            continue;
        }
        if let Some(open) = Fence::opened_by(body) {
            fence = Some(open);
            continue;
        }
        // Bugzilla's reply quoting (`> `, `>> `) and any `>` quote.
        if body.starts_with('>') {
            continue;
        }
        let Some(rest) = strip_prefix(body, &settings.prefix) else {
            continue;
        };
        if found.len() == settings.max_per_comment {
            found.push(ParsedLine {
                line: line_no,
                result: Err(ParseError::TooManyCommands {
                    limit: settings.max_per_comment,
                }),
            });
            break;
        }
        let result = if line.len() > MAX_LINE_BYTES {
            Err(ParseError::LineTooLong {
                limit: MAX_LINE_BYTES,
            })
        } else {
            parse_command(rest, settings)
        };
        found.push(ParsedLine {
            line: line_no,
            result,
        });
    }
    found
}

/// The indentation in columns (a tab counts four) and the rest of the line.
fn split_indent(line: &str) -> (usize, &str) {
    let mut columns = 0;
    for (at, c) in line.char_indices() {
        match c {
            '\t' => columns += 4,
            c if c.is_whitespace() => columns += 1,
            _ => return (columns, &line[at..]),
        }
        if columns >= 4 {
            return (columns, line[at..].trim_start());
        }
    }
    (columns, "")
}

/// An open markdown code fence: its character and length.
struct Fence {
    mark: char,
    len: usize,
}

impl Fence {
    fn opened_by(body: &str) -> Option<Fence> {
        let mark = body.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let len = body.chars().take_while(|c| *c == mark).count();
        (len >= 3).then_some(Fence { mark, len })
    }

    /// A closing fence: at least as long as the opening, nothing after it.
    fn is_closed_by(&self, body: &str) -> bool {
        let len = body.chars().take_while(|c| *c == self.mark).count();
        len >= self.len && body[len * self.mark.len_utf8()..].trim().is_empty()
    }
}

/// The text after the prefix, if `body` starts with it (ASCII case
/// insensitive) followed by the end of the line, white space, `:` or `,`.
/// `@pushbotty` and `@pushbot-x` are not the prefix.
fn strip_prefix<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    let head = body.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &body[prefix.len()..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() => Some(rest),
        Some(':' | ',') => Some(&rest[1..]),
        Some(c)
            if TRAILING_PUNCTUATION.contains(&c)
                && rest.trim_matches(TRAILING_PUNCTUATION).trim().is_empty() =>
        {
            Some(rest)
        }
        Some(_) => None,
    }
}

fn strip_trailing_punctuation(s: &str) -> &str {
    s.trim_end()
        .trim_end_matches(TRAILING_PUNCTUATION)
        .trim_end()
}

/// Parses what follows the prefix on a command line.
fn parse_command(rest: &str, settings: &CommandSettings) -> Result<Command, ParseError> {
    let full = rest.trim();
    let stripped = strip_trailing_punctuation(full);
    let mut words = stripped.split_whitespace();
    let Some(first) = words.next() else {
        return Err(ParseError::Empty);
    };
    let name = strip_trailing_punctuation(first).to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let kind = match name.as_str() {
        "help" => CommandKind::Help,
        "check" => CommandKind::Check,
        "signoff" | "sign-off" => CommandKind::Signoff,
        "summary" => CommandKind::Summary,
        "snooze" => CommandKind::Snooze,
        "unsnooze" => CommandKind::Unsnooze,
        "go" => CommandKind::Go,
        "no-go" | "nogo" => CommandKind::NoGo,
        "owner" => CommandKind::Owner,
        // `@pushbot no go`: two words for one command.
        "no" if args.first().is_some_and(|w| w.eq_ignore_ascii_case("go")) => {
            let after_go = full
                .split_once(|c: char| c.is_whitespace())
                .map(|(_, r)| r.trim_start())
                .and_then(|r| r.get(2..))
                .unwrap_or("");
            return Ok(Command::NoGo {
                reason: reason_from(after_go),
            });
        }
        _ => {
            return Err(ParseError::Unknown {
                word: bounded(first, 40),
                suggestion: suggest(&name),
            })
        }
    };
    let no_args = |command: Command| {
        if args.is_empty() {
            Ok(command)
        } else {
            Err(ParseError::UnexpectedArgument {
                command: kind,
                extra: bounded(&args.join(" "), 60),
            })
        }
    };
    match kind {
        CommandKind::Help => no_args(Command::Help),
        CommandKind::Check => no_args(Command::Check),
        CommandKind::Signoff => no_args(Command::Signoff),
        CommandKind::Unsnooze => no_args(Command::Unsnooze),
        CommandKind::Go => no_args(Command::Go),
        CommandKind::Summary => match args.as_slice() {
            [] => Ok(Command::Summary { next: false }),
            [w] if w.eq_ignore_ascii_case("next") => Ok(Command::Summary { next: true }),
            _ => Err(ParseError::UnexpectedArgument {
                command: kind,
                extra: bounded(&args.join(" "), 60),
            }),
        },
        CommandKind::Snooze => {
            if args.is_empty() {
                return Err(ParseError::MissingArgument {
                    command: kind,
                    expected: "a duration such as `12h`, `2d` or `1w`",
                });
            }
            let duration = parse_duration(&args.concat(), settings)?;
            Ok(Command::Snooze { duration })
        }
        CommandKind::NoGo => {
            let after_name = full
                .split_once(|c: char| c.is_whitespace())
                .map_or("", |(_, r)| r);
            Ok(Command::NoGo {
                reason: reason_from(after_name),
            })
        }
        CommandKind::Owner => match args.as_slice() {
            [] => Err(ParseError::MissingArgument {
                command: kind,
                expected: "`me` or an email address",
            }),
            [w] if w.eq_ignore_ascii_case("me") || w.eq_ignore_ascii_case("myself") => {
                Ok(Command::Owner(OwnerArg::Me))
            }
            [w] => parse_email(w).map(Command::Owner),
            _ => Err(ParseError::UnexpectedArgument {
                command: kind,
                extra: bounded(&args[1..].join(" "), 60),
            }),
        },
    }
}

/// The no-go reason: the rest of the line, trimmed, bounded; `None` when
/// empty. A leading separator such as `:` or `-` (`no-go: backups missing`) is dropped.
fn reason_from(text: &str) -> Option<String> {
    let text = text
        .trim_start_matches(|c: char| c == '-' || TRAILING_PUNCTUATION.contains(&c))
        .trim();
    (!text.is_empty()).then(|| bounded(text, MAX_REASON_CHARS))
}

/// `s` cut to `max` characters, with `…` when cut.
fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => format!("{}…", &s[..at]),
    }
}

/// `12h`, `2d`, `1w`, also `2 days` (the words are joined before this).
fn parse_duration(text: &str, settings: &CommandSettings) -> Result<SnoozeDuration, ParseError> {
    let bad = || ParseError::BadDuration {
        text: bounded(text, 40),
    };
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(bad());
    }
    let hours_per_unit: u64 = match unit.to_ascii_lowercase().as_str() {
        "h" | "hr" | "hrs" | "hour" | "hours" => 1,
        "d" | "day" | "days" => 24,
        "w" | "wk" | "wks" | "week" | "weeks" => 168,
        _ => return Err(bad()),
    };
    let too_long = ParseError::DurationTooLong {
        max_days: settings.max_snooze_days,
    };
    // More than 9 digits is over any maximum; this keeps the arithmetic
    // far from overflow.
    if digits.trim_start_matches('0').len() > 9 {
        return Err(too_long);
    }
    let amount: u64 = digits.parse().map_err(|_| bad())?;
    let hours = amount * hours_per_unit;
    if hours == 0 {
        return Err(ParseError::ZeroDuration);
    }
    if hours > settings.max_snooze_hours() {
        return Err(too_long);
    }
    u32::try_from(hours)
        .ok()
        .and_then(SnoozeDuration::from_hours)
        .ok_or(too_long)
}

/// A login for `owner`: one `@`, a non-empty local part, a dotted domain,
/// no white space or characters that would need quoting. `<a@b.c>` is
/// accepted as written by mail clients. Only the shape is checked;
/// Bugzilla knows whether the account exists.
fn parse_email(word: &str) -> Result<OwnerArg, ParseError> {
    let bad = || ParseError::BadEmail {
        text: bounded(word, 60),
    };
    let email = word
        .strip_prefix('<')
        .and_then(|w| w.strip_suffix('>'))
        .unwrap_or(word);
    if email.len() > 254 {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let allowed = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_{|}~.".contains(c);
    let local_ok = !local.is_empty() && local.chars().all(allowed);
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local_ok && domain_ok {
        Ok(OwnerArg::Email(email.to_string()))
    } else {
        Err(bad())
    }
}

/// The known command closest to `word`, if it is close enough to be a
/// typo: one edit for words of up to five letters, two for longer ones.
fn suggest(word: &str) -> Option<CommandKind> {
    // `@pushbot no` is a no-go cut short; the nearest word by spelling
    // would be `go`, the opposite.
    if word == "no" {
        return Some(CommandKind::NoGo);
    }
    if word.chars().count() > 20 {
        return None;
    }
    let allowed = if word.chars().count() <= 5 { 1 } else { 2 };
    let mut best: Option<(usize, CommandKind)> = None;
    for kind in CommandKind::ALL {
        let distance = edit_distance(word, kind.name());
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, kind));
        }
    }
    best.map(|(_, kind)| kind)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The good commands alone, in order.
    fn commands(text: &str, settings: &CommandSettings) -> Vec<Command> {
        parse(text, settings)
            .into_iter()
            .filter_map(|p| p.result.ok())
            .collect()
    }

    fn settings() -> CommandSettings {
        CommandSettings::default()
    }

    /// The results of every command line of `text`.
    fn results(text: &str) -> Vec<Result<Command, ParseError>> {
        parse(text, &settings())
            .into_iter()
            .map(|p| p.result)
            .collect()
    }

    fn one(text: &str) -> Result<Command, ParseError> {
        let mut all = results(text);
        assert_eq!(all.len(), 1, "{text:?} gave {all:?}");
        all.remove(0)
    }

    fn hours(h: u32) -> SnoozeDuration {
        SnoozeDuration::from_hours(h).unwrap()
    }

    #[test]
    fn each_command_parses() {
        assert_eq!(one("@pushbot help"), Ok(Command::Help));
        assert_eq!(one("@pushbot check"), Ok(Command::Check));
        assert_eq!(one("@pushbot signoff"), Ok(Command::Signoff));
        assert_eq!(one("@pushbot sign-off"), Ok(Command::Signoff));
        assert_eq!(
            one("@pushbot summary"),
            Ok(Command::Summary { next: false })
        );
        assert_eq!(
            one("@pushbot summary next"),
            Ok(Command::Summary { next: true })
        );
        assert_eq!(
            one("@pushbot snooze 2d"),
            Ok(Command::Snooze {
                duration: hours(48)
            })
        );
        assert_eq!(one("@pushbot unsnooze"), Ok(Command::Unsnooze));
        assert_eq!(one("@pushbot go"), Ok(Command::Go));
        assert_eq!(one("@pushbot no-go"), Ok(Command::NoGo { reason: None }));
        assert_eq!(one("@pushbot owner me"), Ok(Command::Owner(OwnerArg::Me)));
    }

    #[test]
    fn case_does_not_matter() {
        assert_eq!(one("@PushBot CHECK"), Ok(Command::Check));
        assert_eq!(
            one("@PUSHBOT Summary NEXT"),
            Ok(Command::Summary { next: true })
        );
        assert_eq!(one("@pushbot Owner ME"), Ok(Command::Owner(OwnerArg::Me)));
    }

    #[test]
    fn trailing_punctuation_and_whitespace_are_tolerated() {
        assert_eq!(one("@pushbot check."), Ok(Command::Check));
        assert_eq!(one("@pushbot go!"), Ok(Command::Go));
        assert_eq!(one("   @pushbot   go !!  "), Ok(Command::Go));
        assert_eq!(one("@pushbot: check"), Ok(Command::Check));
        assert_eq!(one("@pushbot, help?"), Ok(Command::Help));
        assert_eq!(
            results("@pushbot check\r\n@pushbot go\r\n"),
            vec![Ok(Command::Check), Ok(Command::Go)]
        );
    }

    #[test]
    fn surrounding_text_on_other_lines_is_ignored() {
        let text = "Thanks for the patch.\n\n@pushbot check\nSee you tomorrow, @pushbot go\n";
        assert_eq!(results(text), vec![Ok(Command::Check)]);
    }

    #[test]
    fn prefix_must_start_the_line_and_end_the_word() {
        assert!(results("ping @pushbot check").is_empty());
        assert!(results("@pushbotty check").is_empty());
        assert!(results("@pushbot-x check").is_empty());
        assert!(results("pushbot check").is_empty());
    }

    #[test]
    fn quoted_lines_are_never_commands() {
        assert!(results("> @pushbot go").is_empty());
        assert!(results(">> @pushbot go").is_empty());
        assert!(results("(In reply to Alice from comment #3)\n> @pushbot no-go\nNo.").is_empty());
        assert!(results("  >@pushbot go").is_empty());
    }

    #[test]
    fn code_blocks_are_never_commands() {
        let fenced = "Example:\n```\n@pushbot go\n```\n@pushbot check";
        assert_eq!(results(fenced), vec![Ok(Command::Check)]);
        let tilde = "~~~~\n@pushbot go\n~~~\n@pushbot go\n~~~~\n";
        assert!(results(tilde).is_empty(), "a shorter fence does not close");
        let unclosed = "```text\n@pushbot go\n";
        assert!(results(unclosed).is_empty());
        let indented = "Type this:\n\n    @pushbot go\n\t@pushbot go\n";
        assert!(results(indented).is_empty());
        // Up to three spaces is still a command line.
        assert_eq!(results("   @pushbot go"), vec![Ok(Command::Go)]);
    }

    #[test]
    fn two_commands_are_handled_in_order_and_errors_do_not_hide_others() {
        let text = "@pushbot owner me\nsome words\n@pushbot chek\n@pushbot snooze 1w";
        let parsed = parse(text, &settings());
        let lines: Vec<usize> = parsed.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert_eq!(parsed[0].result, Ok(Command::Owner(OwnerArg::Me)));
        assert!(parsed[1].result.is_err());
        assert_eq!(
            parsed[2].result,
            Ok(Command::Snooze {
                duration: hours(168)
            })
        );
        assert_eq!(
            commands(text, &settings()),
            vec![
                Command::Owner(OwnerArg::Me),
                Command::Snooze {
                    duration: hours(168)
                }
            ]
        );
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        let unknown = |word: &str, suggestion| ParseError::Unknown {
            word: word.to_string(),
            suggestion,
        };
        assert_eq!(
            one("@pushbot chek"),
            Err(unknown("chek", Some(CommandKind::Check)))
        );
        assert_eq!(
            one("@pushbot sumary"),
            Err(unknown("sumary", Some(CommandKind::Summary)))
        );
        assert_eq!(one("@pushbot nogo!"), Ok(Command::NoGo { reason: None }));
        assert_eq!(
            one("@pushbot snoze 2d"),
            Err(unknown("snoze", Some(CommandKind::Snooze)))
        );
        assert_eq!(one("@pushbot deploy"), Err(unknown("deploy", None)));
        assert_eq!(
            one("@pushbot no"),
            Err(unknown("no", Some(CommandKind::NoGo)))
        );
        assert_eq!(
            one("@pushbot No!"),
            Err(unknown("No", Some(CommandKind::NoGo)))
        );
        assert_eq!(one("@pushbot"), Err(ParseError::Empty));
        assert_eq!(one("@pushbot ..."), Err(ParseError::Empty));
    }

    #[test]
    fn arguments_are_checked() {
        assert_eq!(
            one("@pushbot check please"),
            Err(ParseError::UnexpectedArgument {
                command: CommandKind::Check,
                extra: "please".to_string()
            })
        );
        assert_eq!(
            one("@pushbot summary last"),
            Err(ParseError::UnexpectedArgument {
                command: CommandKind::Summary,
                extra: "last".to_string()
            })
        );
        assert!(matches!(
            one("@pushbot snooze"),
            Err(ParseError::MissingArgument {
                command: CommandKind::Snooze,
                ..
            })
        ));
        assert!(matches!(
            one("@pushbot owner"),
            Err(ParseError::MissingArgument {
                command: CommandKind::Owner,
                ..
            })
        ));
    }

    #[test]
    fn no_go_keeps_its_reason() {
        assert_eq!(
            one("@pushbot no-go: backups are not done yet."),
            Ok(Command::NoGo {
                reason: Some("backups are not done yet.".to_string())
            })
        );
        assert_eq!(
            one("@pushbot no go schema diff pending"),
            Ok(Command::NoGo {
                reason: Some("schema diff pending".to_string())
            })
        );
        let long = format!("@pushbot no-go {}", "x".repeat(500));
        match one(&long) {
            Ok(Command::NoGo { reason: Some(r) }) => {
                assert_eq!(r.chars().count(), MAX_REASON_CHARS + 1);
                assert!(r.ends_with('…'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn snooze_durations_and_bounds() {
        let snooze = |h| Ok(Command::Snooze { duration: hours(h) });
        assert_eq!(one("@pushbot snooze 12h"), snooze(12));
        assert_eq!(one("@pushbot snooze 2d."), snooze(48));
        assert_eq!(one("@pushbot snooze 1w"), snooze(168));
        assert_eq!(one("@pushbot snooze 2 days"), snooze(48));
        assert_eq!(one("@pushbot snooze 36 Hours"), snooze(36));
        assert_eq!(one("@pushbot snooze 14d"), snooze(14 * 24));
        assert_eq!(
            one("@pushbot snooze 15d"),
            Err(ParseError::DurationTooLong { max_days: 14 })
        );
        assert_eq!(
            one("@pushbot snooze 3w"),
            Err(ParseError::DurationTooLong { max_days: 14 })
        );
        assert_eq!(
            one("@pushbot snooze 99999999999999999999999d"),
            Err(ParseError::DurationTooLong { max_days: 14 })
        );
        assert_eq!(one("@pushbot snooze 0d"), Err(ParseError::ZeroDuration));
        for bad in ["2", "d", "2x", "-1d", "2.5d", "two days", "1d2h"] {
            assert_eq!(
                one(&format!("@pushbot snooze {bad}")),
                Err(ParseError::BadDuration {
                    text: bad.replace(' ', "")
                }),
                "{bad}"
            );
        }
        let longer = CommandSettings {
            max_snooze_days: 30,
            ..settings()
        };
        assert_eq!(
            commands("@pushbot snooze 3w", &longer),
            vec![Command::Snooze {
                duration: hours(21 * 24)
            }]
        );
    }

    #[test]
    fn owner_takes_me_or_an_email() {
        let email = |e: &str| Ok(Command::Owner(OwnerArg::Email(e.to_string())));
        assert_eq!(one("@pushbot owner a@b.c"), email("a@b.c"));
        assert_eq!(one("@pushbot owner a@b.c."), email("a@b.c"));
        assert_eq!(
            one("@pushbot owner <jane.doe+web@example.org>"),
            email("jane.doe+web@example.org")
        );
        assert_eq!(
            one("@pushbot owner myself"),
            Ok(Command::Owner(OwnerArg::Me))
        );
        for bad in [
            "jane", "a@b", "@b.c", "a@.c", "a@b..c", "a@b@c.d", "a\"b@c.d", ":jane",
        ] {
            assert_eq!(
                one(&format!("@pushbot owner {bad}")),
                Err(ParseError::BadEmail {
                    text: bad.to_string()
                }),
                "{bad}"
            );
        }
        assert!(matches!(
            one("@pushbot owner a@b.c and d@e.f"),
            Err(ParseError::UnexpectedArgument { .. })
        ));
    }

    #[test]
    fn prefix_is_configurable() {
        let custom = CommandSettings {
            prefix: "!relbot".to_string(),
            ..settings()
        };
        assert_eq!(commands("!RelBot check", &custom), vec![Command::Check]);
        assert!(parse("@pushbot check", &custom).is_empty());
    }

    #[test]
    fn work_is_bounded() {
        let many = "@pushbot check\n".repeat(50);
        let parsed = parse(&many, &settings());
        assert_eq!(parsed.len(), 11);
        assert_eq!(
            parsed[10].result,
            Err(ParseError::TooManyCommands { limit: 10 })
        );
        assert_eq!(parsed[10].line, 11);
        let long = format!("@pushbot no-go {}", "y".repeat(2 * MAX_LINE_BYTES));
        assert_eq!(
            one(&long),
            Err(ParseError::LineTooLong {
                limit: MAX_LINE_BYTES
            })
        );
        let word = format!("@pushbot {}", "z".repeat(500));
        match one(&word) {
            Err(ParseError::Unknown { word, suggestion }) => {
                assert_eq!(word.chars().count(), 41);
                assert_eq!(suggestion, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("chek", "check"), 1);
        assert_eq!(edit_distance("", "go"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ünsnooze", "unsnooze"), 1);
    }
}
