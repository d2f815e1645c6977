//! The bot's ledger lines, typed: what a `[pushbot NAME DISCRIMINATOR]`
//! line says, printed and parsed here and nowhere else.
//!
//! Bugzilla is the ledger (DESIGN.md, invariant 1): every section of a bot
//! comment ends with marker lines, and those lines, not local state, say
//! what was already done. A [`Marker`] is one such line:
//!
//! | line | [`Marker`] |
//! |---|---|
//! | `[pushbot no-owner nag-2]`, `[pushbot no-owner escalate]` | [`Marker::Rule`] with [`RuleMark::Nag`], [`RuleMark::Escalate`] |
//! | `[pushbot signoff request-2026-12-03]`, `… request-unscheduled`, `… missed-2026-12-01`, `… not-allowed-webdev-signoff.x-example.org` | [`RuleMark::SignoffRequest`], [`RuleMark::SignoffMissed`], [`RuleMark::SignoffNotAllowed`] |
//! | `[pushbot release-conflict 2026-W49.large]`, `… 2026-12-01.day.2`, `… 2026-W49.large.resolved` | [`RuleMark::Conflict`] ([`ConflictMark::Told`], [`ConflictMark::Resolved`]) |
//! | older conflict markers `… 2026-W49:802-803`, `… 2026-W49`, `… 2026-W49.resolved` | [`ConflictMark::LegacyWeek`], [`ConflictMark::LegacyResolved`] |
//! | `[pushbot push-window 2026-12-01T14:00]`, `[pushbot overrun 2026-12-01]`, `[pushbot unscheduled ask]` | [`RuleMark::PushWindow`], [`RuleMark::Overrun`], [`RuleMark::Unscheduled`] |
//! | `[pushbot command c123]` | [`Marker::Reply`] |
//! | `[pushbot snooze until-2026-12-03T10:00Z]`, `[pushbot snooze off]` | [`Marker::Snooze`] |
//! | `[pushbot summary 2026-W49]`, `[pushbot summary 2026-W50-next]` | [`Marker::Summary`] |
//!
//! **Namespaces.** The names `command`, `snooze` and `summary` are
//! [`Reserved`]: a line with one of them always reads as the bot's own
//! marker, never as a rule's, and a [`RuleName`] cannot be one of them
//! ([`RuleName::new`] refuses it), so a rule file named `snooze.toml` can
//! neither write nor read a snooze. A rule's discriminators are read
//! without knowing the rule's kind: the forms of the kinds do not overlap
//! (a bare date is an overrun, a date with a limit a conflict problem), so
//! [`PushBug::markers`](crate::push::PushBug::markers) is typed before any
//! rule looks at it.
//!
//! **Exact round trip.** Markers in the field must keep reading the same
//! way, and the store keeps each key as its two strings. So every line
//! parses, and prints back exactly as it was written: a discriminator this
//! version does not recognise (or spells in a form the bot never writes,
//! such as `nag-02`) is kept verbatim ([`RuleMark::Other`],
//! [`Marker::Unreadable`]) and matches nothing the bot plans. Parsing
//! reads only the forms the bot writes, so a marker and its text are one
//! to one.
//!
//! Pure: no I/O, no clock.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

use crate::clock::IsoWeekId;

use crate::bugzilla::CommentId;

/// What every marker line starts with.
const OPEN: &str = "[pushbot ";

/// The names of the bot's own markers, which no rule may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reserved {
    /// `[pushbot command c<comment id>]`: the reply to a command comment.
    Command,
    /// `[pushbot snooze …]`: the snooze a `snooze`/`unsnooze` reply sets.
    Snooze,
    /// `[pushbot summary …]`: the weekly summary on the tracking bug.
    Summary,
}

impl Reserved {
    /// Every reserved name.
    pub const ALL: [Reserved; 3] = [Reserved::Command, Reserved::Snooze, Reserved::Summary];

    /// The name as marker lines spell it.
    pub fn name(self) -> &'static str {
        match self {
            Reserved::Command => "command",
            Reserved::Snooze => "snooze",
            Reserved::Summary => "summary",
        }
    }

    /// What the bot uses the name for, for the refusal of a rule file
    /// named like it.
    pub fn used_for(self) -> &'static str {
        match self {
            Reserved::Command => "replies to commands",
            Reserved::Snooze => "snoozes set by `snooze`/`unsnooze`",
            Reserved::Summary => "the weekly summary",
        }
    }

    /// The reserved name spelled exactly `name` (as a marker line has it).
    fn of(name: &str) -> Option<Reserved> {
        Reserved::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A rule's name in its markers: the rule file's stem (`no-owner`). One
/// made by [`RuleName::new`] is never a reserved name, in any case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleName(String);

/// Why a file stem cannot name a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleNameError {
    /// Empty, or a character other than letters, digits, `-` and `_`.
    #[error("a rule name is letters, digits, `-` and `_`")]
    Alphabet,
    /// The name of one of the bot's own markers (compared ignoring case).
    #[error("`{}` names the bot's markers for {}", .0.name(), .0.used_for())]
    Reserved(Reserved),
}

impl RuleName {
    /// The name of a rule: letters, digits, `-` and `_`, and not a
    /// [`Reserved`] name (ignoring case: `Snooze` would be as confusing).
    pub fn new(name: &str) -> Result<RuleName, RuleNameError> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(RuleNameError::Alphabet);
        }
        if let Some(reserved) = Reserved::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name))
        {
            return Err(RuleNameError::Reserved(reserved));
        }
        Ok(RuleName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RuleName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Free text in a marker (who set a sign-off, an unrecognised
/// discriminator): one line-safe word. Made by `Text::sanitized` it
/// holds only letters, digits, `-`, `_`, `.` and `:`; read from a line it
/// is kept as written, so it prints back the same. Only this crate makes
/// one, so a marker holding text is one that was read (or a sign-off
/// marker built by [`RuleMark::signoff_not_allowed`]): no code can make
/// [`RuleMark::Other`] spell a marker that means something else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(String);

impl Text {
    /// `text` with every character outside the marker alphabet made `-`
    /// (so a marker can never span lines or close early); never empty.
    pub(crate) fn sanitized(text: &str) -> Text {
        let cleaned: String = text
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        if cleaned.is_empty() {
            Text("-".to_string())
        } else {
            Text(cleaned)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A minute: what snooze ends and push-window markers hold (their text
/// has no seconds, so neither has the marker, or a planned marker would
/// differ from the same one read back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minute(NaiveDateTime);

impl Minute {
    /// The minute of `at` (seconds dropped).
    pub fn of(at: NaiveDateTime) -> Minute {
        Minute(
            at.with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(at),
        )
    }

    /// The minute of a UTC instant.
    pub fn of_utc(at: DateTime<Utc>) -> Minute {
        Minute::of(at.naive_utc())
    }

    pub fn naive(self) -> NaiveDateTime {
        self.0
    }

    /// The minute as a UTC instant.
    pub fn and_utc(self) -> DateTime<Utc> {
        self.0.and_utc()
    }
}

/// What a snooze marker says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Snooze {
    /// `until-2026-12-03T10:00Z`: nags stay quiet until then (UTC).
    Until(Minute),
    /// `off`: `unsnooze`.
    Off,
}

impl Snooze {
    /// The snooze of `until` (`None`: off).
    pub fn of(until: Option<DateTime<Utc>>) -> Snooze {
        match until {
            Some(at) => Snooze::Until(Minute::of_utc(at)),
            None => Snooze::Off,
        }
    }

    /// When it ends; `None` for `off`.
    pub fn until(self) -> Option<DateTime<Utc>> {
        match self {
            Snooze::Until(at) => Some(at.and_utc()),
            Snooze::Off => None,
        }
    }
}

/// Which limit a release conflict breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limit {
    /// `max_large_per_week`: counts the week's large pushes.
    Large,
    /// `max_small_per_week`: counts the week's small pushes.
    Small,
    /// `max_per_week`: counts every push of the week.
    Total,
    /// `max_per_day`: counts every push of the day.
    Day,
    /// `allow_large_and_small_same_day = false`: counts every push of the
    /// day.
    Mixed,
}

impl Limit {
    const ALL: [Limit; 5] = [
        Limit::Large,
        Limit::Small,
        Limit::Total,
        Limit::Day,
        Limit::Mixed,
    ];

    /// The name in marker keys.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Large => "large",
            Limit::Small => "small",
            Limit::Total => "total",
            Limit::Day => "day",
            Limit::Mixed => "mixed",
        }
    }

    fn parse(text: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.name() == text)
    }

    /// Counted per day (else per week).
    pub fn per_day(self) -> bool {
        matches!(self, Limit::Day | Limit::Mixed)
    }
}

/// The week or the day a conflict problem is about, in the team's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Week(IsoWeekId),
    Day(NaiveDate),
}

impl Period {
    /// The ISO week (a day's own week).
    pub fn week(self) -> IsoWeekId {
        match self {
            Period::Week(w) => w,
            Period::Day(d) => IsoWeekId::of_date(d),
        }
    }

    /// Its last local day: a week's Sunday, or the day itself.
    pub fn last_day(self) -> NaiveDate {
        match self {
            Period::Week(w) => w.sunday(),
            Period::Day(d) => d,
        }
    }

    fn parse(text: &str) -> Option<Period> {
        if text.contains("-W") {
            parse_week(text).map(Period::Week)
        } else {
            parse_date(text).map(Period::Day)
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week(w) => write_week(f, *w),
            Period::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
        }
    }
}

/// What identifies a conflict problem across cycles: its limit and its
/// week or day, `2026-W49.large`, `2026-12-01.day`. The count is not part
/// of it, nor any bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProblemKey {
    pub period: Period,
    pub limit: Limit,
}

impl fmt::Display for ProblemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.period, self.limit.name())
    }
}

/// What a release-conflict marker says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConflictMark {
    /// Generation `generation` of a problem told: `2026-W49.large` (1),
    /// `2026-W49.large.2`, …. Generation 0 prints as 1.
    Told {
        problem: ProblemKey,
        generation: u32,
    },
    /// That generation's resolved note: `2026-W49.large.resolved`,
    /// `2026-W49.large.2.resolved`.
    Resolved {
        problem: ProblemKey,
        generation: u32,
    },
    /// An older marker for the whole week, from before problems had keys:
    /// `2026-W49:802-803` (`bugs`: the text after `:`, kept as written),
    /// `2026-W49:802-r1`, or a bare `2026-W49`.
    LegacyWeek { week: IsoWeekId, bugs: Option<Text> },
    /// The resolved note for such a week: `2026-W49.resolved`.
    LegacyResolved(IsoWeekId),
}

impl ConflictMark {
    fn fmt_told(f: &mut fmt::Formatter<'_>, problem: &ProblemKey, generation: u32) -> fmt::Result {
        if generation <= 1 {
            write!(f, "{problem}")
        } else {
            write!(f, "{problem}.{generation}")
        }
    }

    fn parse(text: &str) -> Option<ConflictMark> {
        if let Some((week, bugs)) = text.split_once(':') {
            return parse_week(week).map(|week| ConflictMark::LegacyWeek {
                week,
                bugs: Some(Text(bugs.to_string())),
            });
        }
        let mut parts = text.split('.');
        let period = Period::parse(parts.next()?)?;
        let rest: Vec<&str> = parts.collect();
        let (limit, tail) = match (period, rest.as_slice()) {
            (Period::Week(week), []) => return Some(ConflictMark::LegacyWeek { week, bugs: None }),
            (Period::Week(w), ["resolved"]) => return Some(ConflictMark::LegacyResolved(w)),
            (_, [limit, tail @ ..]) => (Limit::parse(limit)?, tail),
            _ => return None,
        };
        if limit.per_day() != matches!(period, Period::Day(_)) {
            return None;
        }
        let problem = ProblemKey { period, limit };
        let generation = |g: &str| g.parse::<u32>().ok().filter(|n| *n >= 2);
        match tail {
            [] => Some(ConflictMark::Told {
                problem,
                generation: 1,
            }),
            ["resolved"] => Some(ConflictMark::Resolved {
                problem,
                generation: 1,
            }),
            [g] => generation(g).map(|generation| ConflictMark::Told {
                problem,
                generation,
            }),
            [g, "resolved"] => generation(g).map(|generation| ConflictMark::Resolved {
                problem,
                generation,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for ConflictMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConflictMark::Told {
                problem,
                generation,
            } => ConflictMark::fmt_told(f, problem, *generation),
            ConflictMark::Resolved {
                problem,
                generation,
            } => {
                ConflictMark::fmt_told(f, problem, *generation)?;
                f.write_str(".resolved")
            }
            ConflictMark::LegacyWeek { week, bugs } => {
                write_week(f, *week)?;
                match bugs {
                    Some(bugs) => write!(f, ":{bugs}"),
                    None => Ok(()),
                }
            }
            ConflictMark::LegacyResolved(week) => {
                write_week(f, *week)?;
                f.write_str(".resolved")
            }
        }
    }
}

/// What a rule's marker says (its discriminator), by the kind that writes
/// it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleMark {
    /// `no_owner`: the `n`th nag, `nag-2`.
    Nag(u32),
    /// `no_owner`: the escalation to the lead, `escalate`.
    Escalate,
    /// `signoff`: the request for the push on that local date,
    /// `request-2026-12-03`; `request-unscheduled` (`None`) when the
    /// `signoff` command asked before the push had a date.
    SignoffRequest(Option<NaiveDate>),
    /// `signoff`: the push time came without sign-off, `missed-2026-12-01`.
    SignoffMissed(NaiveDate),
    /// `signoff`: sign-offs set by someone who may not give them, each as
    /// `FLAG.SETTER`, joined by `-`:
    /// `not-allowed-webdev-signoff.someone-example.org`. Only compared,
    /// never taken apart (flag names and logins hold `-` themselves).
    SignoffNotAllowed(Text),
    /// `release_conflict`: see [`ConflictMark`].
    Conflict(ConflictMark),
    /// `push_window`: the push's local time when it was outside the
    /// window, `2026-12-01T14:00`.
    PushWindow(Minute),
    /// `overrun`: the push's local date, `2026-12-01`.
    Overrun(NaiveDate),
    /// `unscheduled`: the question for a date, `ask`.
    Unscheduled,
    /// A discriminator this version does not write, kept as it was read.
    Other(Text),
}

impl RuleMark {
    /// The `not_allowed` marker of sign-offs set by the wrong people:
    /// `(flag name, setter)` pairs, in order.
    pub fn signoff_not_allowed<'a>(
        parts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> RuleMark {
        let joined: Vec<String> = parts
            .into_iter()
            .map(|(flag, setter)| format!("{flag}.{setter}"))
            .collect();
        RuleMark::SignoffNotAllowed(Text::sanitized(&joined.join("-")))
    }

    /// The push-window marker of a push at `local` (team time).
    pub fn push_window(local: NaiveDateTime) -> RuleMark {
        RuleMark::PushWindow(Minute::of(local))
    }

    /// Reads a rule's discriminator (see the module doc: only the forms
    /// the bot writes; anything else is [`RuleMark::Other`]).
    fn parse(text: &str) -> RuleMark {
        let typed = RuleMark::parse_typed(text).filter(|mark| mark.to_string() == text);
        typed.unwrap_or_else(|| RuleMark::Other(Text(text.to_string())))
    }

    fn parse_typed(text: &str) -> Option<RuleMark> {
        match text {
            "escalate" => return Some(RuleMark::Escalate),
            "ask" => return Some(RuleMark::Unscheduled),
            "request-unscheduled" => return Some(RuleMark::SignoffRequest(None)),
            _ => {}
        }
        if let Some(n) = text.strip_prefix("nag-") {
            return n.parse().ok().map(RuleMark::Nag);
        }
        if let Some(date) = text.strip_prefix("request-") {
            return parse_date(date).map(|d| RuleMark::SignoffRequest(Some(d)));
        }
        if let Some(date) = text.strip_prefix("missed-") {
            return parse_date(date).map(RuleMark::SignoffMissed);
        }
        if let Some(who) = text.strip_prefix("not-allowed-") {
            return (!who.is_empty()).then(|| RuleMark::SignoffNotAllowed(Text(who.to_string())));
        }
        if let Ok(at) = NaiveDateTime::parse_from_str(text, MINUTE) {
            return Some(RuleMark::PushWindow(Minute(at)));
        }
        if let Some(date) = parse_date(text) {
            return Some(RuleMark::Overrun(date));
        }
        ConflictMark::parse(text).map(RuleMark::Conflict)
    }
}

impl fmt::Display for RuleMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleMark::Nag(n) => write!(f, "nag-{n}"),
            RuleMark::Escalate => f.write_str("escalate"),
            RuleMark::SignoffRequest(Some(date)) => write!(f, "request-{}", date.format(DATE)),
            RuleMark::SignoffRequest(None) => f.write_str("request-unscheduled"),
            RuleMark::SignoffMissed(date) => write!(f, "missed-{}", date.format(DATE)),
            RuleMark::SignoffNotAllowed(who) => write!(f, "not-allowed-{who}"),
            RuleMark::Conflict(mark) => write!(f, "{mark}"),
            RuleMark::PushWindow(at) => write!(f, "{}", at.0.format(MINUTE)),
            RuleMark::Overrun(date) => write!(f, "{}", date.format(DATE)),
            RuleMark::Unscheduled => f.write_str("ask"),
            RuleMark::Other(text) => write!(f, "{text}"),
        }
    }
}

/// One ledger line, `[pushbot NAME DISCRIMINATOR]`, by what it says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Marker {
    /// A rule's action: `[pushbot no-owner nag-2]`.
    Rule { rule: RuleName, mark: RuleMark },
    /// The reply to a command comment: `[pushbot command c123]`. Comment
    /// ids are global in a Bugzilla instance, so the id names the comment.
    Reply(CommentId),
    /// A snooze set or lifted: `[pushbot snooze until-2026-12-03T10:00Z]`,
    /// `[pushbot snooze off]`.
    Snooze(Snooze),
    /// The weekly summary of `week`: `[pushbot summary 2026-W49]`, and
    /// the preview posted the week before, `[pushbot summary
    /// 2026-W50-next]` (`next`).
    Summary { week: IsoWeekId, next: bool },
    /// A reserved name with a discriminator this version does not write,
    /// kept as it was read: `[pushbot snooze later]`.
    Unreadable { name: Reserved, text: Text },
}

/// A command reply's discriminator prefix: `c123`.
const REPLY_PREFIX: char = 'c';
/// A snooze end's prefix: `until-2026-12-03T10:00Z`.
const UNTIL_PREFIX: &str = "until-";
/// A snooze end, in UTC.
const UNTIL: &str = "%Y-%m-%dT%H:%MZ";
/// The summary preview's suffix: `2026-W50-next`.
const NEXT_SUFFIX: &str = "-next";
/// Dates in markers.
const DATE: &str = "%Y-%m-%d";
/// Local minutes in markers (push window).
const MINUTE: &str = "%Y-%m-%dT%H:%M";

impl Marker {
    /// A rule's marker.
    pub fn rule(rule: &RuleName, mark: RuleMark) -> Marker {
        Marker::Rule {
            rule: rule.clone(),
            mark,
        }
    }

    /// The name part: the rule's name, or the reserved name.
    pub fn name(&self) -> &str {
        match self {
            Marker::Rule { rule, .. } => rule.as_str(),
            Marker::Reply(_) => Reserved::Command.name(),
            Marker::Snooze(_) => Reserved::Snooze.name(),
            Marker::Summary { .. } => Reserved::Summary.name(),
            Marker::Unreadable { name, .. } => name.name(),
        }
    }

    /// The reserved name the marker is under (`None`: a rule's).
    pub fn reserved(&self) -> Option<Reserved> {
        match self {
            Marker::Rule { .. } => None,
            Marker::Reply(_) => Some(Reserved::Command),
            Marker::Snooze(_) => Some(Reserved::Snooze),
            Marker::Summary { .. } => Some(Reserved::Summary),
            Marker::Unreadable { name, .. } => Some(*name),
        }
    }

    /// What the marker says for `rule`, if it is that rule's.
    pub fn said_by(&self, rule: &RuleName) -> Option<&RuleMark> {
        match self {
            Marker::Rule { rule: r, mark } if r == rule => Some(mark),
            _ => None,
        }
    }

    /// The discriminator part as written.
    pub fn discriminator(&self) -> String {
        Discriminator(self).to_string()
    }

    /// The marker line, `[pushbot NAME DISCRIMINATOR]` (also its
    /// `Display`).
    pub fn line(&self) -> String {
        self.to_string()
    }

    /// The line without its discriminator, `[pushbot NAME …]`: how logs
    /// and errors about a restricted bug show a marker.
    pub fn redacted_line(&self) -> String {
        format!("{OPEN}{} …]", self.name())
    }

    /// Whether a comment carries this marker on a line of its own (a
    /// person quoting it, `> [pushbot …]`, does not count).
    pub fn is_in(&self, comment_text: &str) -> bool {
        // A marker and its line are one to one: comparing text is enough.
        let line = self.line();
        comment_text.lines().any(|l| l.trim() == line)
    }

    /// The marker a name and a discriminator make, as a line holding them
    /// reads: every pair makes one, and prints back the same (the store
    /// keeps keys as these two strings).
    pub fn from_parts(name: &str, discriminator: &str) -> Marker {
        let Some(reserved) = Reserved::of(name) else {
            return Marker::Rule {
                rule: RuleName(name.to_string()),
                mark: RuleMark::parse(discriminator),
            };
        };
        let typed = match reserved {
            Reserved::Command => discriminator
                .strip_prefix(REPLY_PREFIX)
                .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|id| id.parse().ok())
                .map(|id| Marker::Reply(CommentId(id))),
            Reserved::Snooze => match discriminator {
                "off" => Some(Marker::Snooze(Snooze::Off)),
                _ => discriminator
                    .strip_prefix(UNTIL_PREFIX)
                    .and_then(|at| NaiveDateTime::parse_from_str(at, UNTIL).ok())
                    .map(|at| Marker::Snooze(Snooze::Until(Minute(at)))),
            },
            Reserved::Summary => {
                let (week, next) = match discriminator.strip_suffix(NEXT_SUFFIX) {
                    Some(week) => (week, true),
                    None => (discriminator, false),
                };
                parse_week(week).map(|week| Marker::Summary { week, next })
            }
        };
        typed
            .filter(|marker| Discriminator(marker).to_string() == discriminator)
            .unwrap_or_else(|| Marker::Unreadable {
                name: reserved,
                text: Text(discriminator.to_string()),
            })
    }

    /// The marker on one line of a comment (surrounding blanks allowed),
    /// if the line is one: `[pushbot NAME DISCRIMINATOR]`, the
    /// discriminator without spaces.
    pub fn parse_line(line: &str) -> Option<Marker> {
        let inner = line.trim().strip_prefix(OPEN)?.strip_suffix(']')?;
        let (name, discriminator) = inner.split_once(' ')?;
        if discriminator.contains(' ') {
            return None;
        }
        Some(Marker::from_parts(name, discriminator))
    }
}

/// A marker's discriminator, printed.
struct Discriminator<'a>(&'a Marker);

impl fmt::Display for Discriminator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Marker::Rule { mark, .. } => write!(f, "{mark}"),
            Marker::Reply(id) => write!(f, "{REPLY_PREFIX}{}", id.0),
            Marker::Snooze(Snooze::Until(at)) => {
                write!(f, "{UNTIL_PREFIX}{}", at.0.format(UNTIL))
            }
            Marker::Snooze(Snooze::Off) => f.write_str("off"),
            Marker::Summary { week, next } => {
                write_week(f, *week)?;
                if *next {
                    f.write_str(NEXT_SUFFIX)?;
                }
                Ok(())
            }
            Marker::Unreadable { text, .. } => f.write_str(text.as_str()),
        }
    }
}

impl fmt::Display for Marker {
    /// The whole line: `[pushbot NAME DISCRIMINATOR]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OPEN}{} {}]", self.name(), Discriminator(self))
    }
}

/// A line that is not a marker line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a marker line; write it as [pushbot NAME DISCRIMINATOR]")]
pub struct NotAMarker(pub String);

impl FromStr for Marker {
    type Err = NotAMarker;

    /// A marker line (see [`Marker::parse_line`]).
    fn from_str(line: &str) -> Result<Marker, NotAMarker> {
        Marker::parse_line(line).ok_or_else(|| NotAMarker(line.to_string()))
    }
}

/// Every marker of a comment, in order: each line that is a marker line.
pub fn markers_in(comment_text: &str) -> Vec<Marker> {
    comment_text
        .lines()
        .filter_map(Marker::parse_line)
        .collect()
}

/// `2026-W49`: the one ISO week type's text ([`IsoWeekId`]).
fn write_week(f: &mut fmt::Formatter<'_>, week: IsoWeekId) -> fmt::Result {
    write!(f, "{week}")
}

/// A week as [`IsoWeekId`] reads it (`YYYY-Www`). A form it reads but
/// would print otherwise (`2026-w49`) fails the marker's print-back check
/// and is kept verbatim, as before.
fn parse_week(text: &str) -> Option<IsoWeekId> {
    text.parse().ok()
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, DATE).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn week(text: &str) -> IsoWeekId {
        parse_week(text).unwrap()
    }

    fn rule(name: &str) -> RuleName {
        RuleName::new(name).unwrap()
    }

    fn line(name: &str, disc: &str) -> String {
        format!("[pushbot {name} {disc}]")
    }

    /// Every form the bot writes, the marker it reads as, and back.
    #[test]
    fn every_form_round_trips() {
        let problem = |period, limit| ProblemKey { period, limit };
        let w49 = Period::Week(week("2026-W49"));
        let dec1 = Period::Day(date("2026-12-01"));
        let cases: Vec<(&str, &str, Marker)> = vec![
            (
                "no-owner",
                "nag-2",
                Marker::rule(&rule("no-owner"), RuleMark::Nag(2)),
            ),
            (
                "no-owner",
                "escalate",
                Marker::rule(&rule("no-owner"), RuleMark::Escalate),
            ),
            (
                "signoff",
                "request-2026-12-03",
                Marker::rule(
                    &rule("signoff"),
                    RuleMark::SignoffRequest(Some(date("2026-12-03"))),
                ),
            ),
            (
                "signoff",
                "request-unscheduled",
                Marker::rule(&rule("signoff"), RuleMark::SignoffRequest(None)),
            ),
            (
                "signoff",
                "missed-2026-12-01",
                Marker::rule(
                    &rule("signoff"),
                    RuleMark::SignoffMissed(date("2026-12-01")),
                ),
            ),
            (
                "signoff",
                "not-allowed-qa-signoff.outsider-example.test",
                Marker::rule(
                    &rule("signoff"),
                    RuleMark::signoff_not_allowed([("qa-signoff", "outsider@example.test")]),
                ),
            ),
            (
                "release-conflict",
                "2026-W49.large",
                Marker::rule(
                    &rule("release-conflict"),
                    RuleMark::Conflict(ConflictMark::Told {
                        problem: problem(w49, Limit::Large),
                        generation: 1,
                    }),
                ),
            ),
            (
                "release-conflict",
                "2026-12-01.day.2",
                Marker::rule(
                    &rule("release-conflict"),
                    RuleMark::Conflict(ConflictMark::Told {
                        problem: problem(dec1, Limit::Day),
                        generation: 2,
                    }),
                ),
            ),
            (
                "release-conflict",
                "2026-12-01.mixed.resolved",
                Marker::rule(
                    &rule("release-conflict"),
                    RuleMark::Conflict(ConflictMark::Resolved {
                        problem: problem(dec1, Limit::Mixed),
                        generation: 1,
                    }),
                ),
            ),
            (
                "release-conflict",
                "2026-W49.total.3.resolved",
                Marker::rule(
                    &rule("release-conflict"),
                    RuleMark::Conflict(ConflictMark::Resolved {
                        problem: problem(w49, Limit::Total),
                        generation: 3,
                    }),
                ),
            ),
            (
                "push-window",
                "2026-12-01T14:00",
                Marker::rule(
                    &rule("push-window"),
                    RuleMark::push_window(date("2026-12-01").and_hms_opt(14, 0, 59).unwrap()),
                ),
            ),
            (
                "overrun",
                "2026-12-01",
                Marker::rule(&rule("overrun"), RuleMark::Overrun(date("2026-12-01"))),
            ),
            (
                "unscheduled",
                "ask",
                Marker::rule(&rule("unscheduled"), RuleMark::Unscheduled),
            ),
            ("command", "c123", Marker::Reply(CommentId(123))),
            (
                "snooze",
                "until-2026-12-03T10:00Z",
                Marker::Snooze(Snooze::of(Some(
                    "2026-12-03T10:00:42Z".parse::<DateTime<Utc>>().unwrap(),
                ))),
            ),
            ("snooze", "off", Marker::Snooze(Snooze::Off)),
            (
                "summary",
                "2026-W49",
                Marker::Summary {
                    week: week("2026-W49"),
                    next: false,
                },
            ),
            (
                "summary",
                "2026-W50-next",
                Marker::Summary {
                    week: week("2026-W50"),
                    next: true,
                },
            ),
        ];
        for (name, disc, marker) in cases {
            let text = line(name, disc);
            assert_eq!(marker.to_string(), text);
            assert_eq!(marker.line(), text);
            assert_eq!(
                (marker.name(), marker.discriminator().as_str()),
                (name, disc)
            );
            assert_eq!(Marker::parse_line(&text), Some(marker.clone()), "{text}");
            assert_eq!(text.parse::<Marker>(), Ok(marker.clone()));
            assert_eq!(Marker::from_parts(name, disc), marker);
            assert!(marker.is_in(&format!("Hello.\n\n  {text}\n")));
        }
    }

    /// The conflict rule's markers from before problems had keys still
    /// read as the week they told, and print back as written.
    #[test]
    fn legacy_conflict_markers_read_as_before() {
        let w49 = week("2026-W49");
        for (disc, bugs) in [
            ("2026-W49:802-803", Some("802-803")),
            ("2026-W49:802-r1", Some("802-r1")),
            ("2026-W49:2", Some("2")),
            ("2026-W49", None),
        ] {
            let marker = Marker::from_parts("release-conflict", disc);
            assert_eq!(
                marker.said_by(&rule("release-conflict")),
                Some(&RuleMark::Conflict(ConflictMark::LegacyWeek {
                    week: w49,
                    bugs: bugs.map(|b| Text(b.to_string())),
                })),
                "{disc}"
            );
            assert_eq!(marker.discriminator(), disc);
        }
        assert_eq!(
            Marker::from_parts("release-conflict", "2026-W49.resolved"),
            Marker::rule(
                &rule("release-conflict"),
                RuleMark::Conflict(ConflictMark::LegacyResolved(w49))
            )
        );
    }

    /// What the bot never writes is kept verbatim and matches nothing it
    /// plans: a generation 1 spelt out, a zero-padded number, a per-day
    /// limit on a week, a reply to no number, a snooze without a time.
    #[test]
    fn unrecognised_discriminators_are_kept_as_written() {
        for disc in [
            "nag-02",
            "nag-",
            "nag-x",
            "request-2026-12-3",
            "missed-",
            "not-allowed-",
            "2026-W49.large.1",
            "2026-W49.large.01",
            "2026-W49.day",
            "2026-12-01.large",
            "2026-12-01",
            "2026-W9.large",
            "2026-W49.large.2.resolved.x",
            "2026-12-01T14:00:00",
            "c123",
            "a-b",
        ] {
            let marker = Marker::from_parts("release-conflict", disc);
            let mark = marker.said_by(&rule("release-conflict")).unwrap();
            // A bare date is an overrun's form, whatever the rule.
            if disc == "2026-12-01" {
                assert_eq!(mark, &RuleMark::Overrun(date("2026-12-01")));
            } else {
                assert_eq!(mark, &RuleMark::Other(Text(disc.to_string())), "{disc}");
            }
            assert_eq!(marker.discriminator(), disc);
        }
        for (name, disc) in [
            ("command", "c"),
            ("command", "c12x"),
            ("command", "c0123"),
            ("command", "123"),
            ("snooze", "until-"),
            ("snooze", "until-2026-12-03T10:00"),
            ("snooze", "later"),
            ("summary", "2026-W49-prev"),
            ("summary", "2026-W9"),
        ] {
            let marker = Marker::from_parts(name, disc);
            assert_eq!(
                marker,
                Marker::Unreadable {
                    name: Reserved::of(name).unwrap(),
                    text: Text(disc.to_string())
                },
                "{name} {disc}"
            );
            assert_eq!(marker.to_string(), line(name, disc));
        }
    }

    /// A reserved name always reads as the bot's own marker, and no rule
    /// can be named like one, in any case.
    #[test]
    fn rules_cannot_take_reserved_names() {
        for reserved in Reserved::ALL {
            let name = reserved.name();
            assert_eq!(RuleName::new(name), Err(RuleNameError::Reserved(reserved)));
            assert_eq!(
                RuleName::new(&name.to_uppercase()),
                Err(RuleNameError::Reserved(reserved))
            );
            let read = Marker::from_parts(name, "off");
            assert_eq!(read.reserved(), Some(reserved));
            assert_eq!(read.said_by(&rule("snooze-reminder")), None);
        }
        assert_eq!(RuleName::new(""), Err(RuleNameError::Alphabet));
        assert_eq!(RuleName::new("a b"), Err(RuleNameError::Alphabet));
        assert_eq!(RuleName::new("a.b"), Err(RuleNameError::Alphabet));
        assert!(RuleName::new("snooze-reminder").is_ok());
        // `Snooze` is no rule's name, so a line with it is nobody's.
        let odd = Marker::from_parts("Snooze", "off");
        assert_eq!(odd.reserved(), None);
        assert_eq!(odd.to_string(), "[pushbot Snooze off]");
    }

    #[test]
    fn lines_that_are_not_markers() {
        for text in [
            "[pushbot no-owner]",
            "[pushbot no-owner nag 1]",
            "> [pushbot no-owner nag-1]",
            "see [pushbot no-owner nag-1] above",
            "[pushbot no-owner nag-1",
            "pushbot no-owner nag-1]",
        ] {
            assert_eq!(Marker::parse_line(text), None, "{text}");
            assert!(text.parse::<Marker>().is_err());
        }
        let nag = Marker::from_parts("no-owner", "nag-1");
        assert!(!nag.is_in("> [pushbot no-owner nag-1]"));
        assert_eq!(
            markers_in("text\n[pushbot no-owner nag-1]\n\n  [pushbot command c9] \n"),
            vec![nag, Marker::Reply(CommentId(9))]
        );
    }

    #[test]
    fn not_allowed_keeps_to_the_marker_alphabet() {
        let mark = RuleMark::signoff_not_allowed([
            ("webdev-signoff", "x y@example.org"),
            ("qa-signoff", "someone"),
        ]);
        assert_eq!(
            mark.to_string(),
            "not-allowed-webdev-signoff.x-y-example.org-qa-signoff.someone"
        );
    }

    #[test]
    fn periods_know_their_week_and_last_day() {
        let w49 = Period::Week(week("2026-W49"));
        assert_eq!(w49.last_day(), date("2026-12-06"));
        assert_eq!(Period::Day(date("2026-12-01")).week(), week("2026-W49"));
        assert_eq!(
            Period::Day(date("2026-12-01")).last_day(),
            date("2026-12-01")
        );
    }

    proptest! {
        /// Any name and discriminator a line can hold make a marker that
        /// prints them back exactly (what the store and old comments
        /// need).
        #[test]
        fn any_text_prints_back(
            name in "[a-z:.-]{1,12}|command|snooze|summary|no-owner|release-conflict",
            disc in "[a-zA-Z0-9_.:-]{1,30}|c[0-9]{1,6}|nag-[0-9]{1,3}|2026-W[0-9]{1,2}(-next|\\.large|\\.day|:1-2)?|2026-1[0-2]-[0-3][0-9](T1[0-9]:[0-5][0-9])?(\\.day|\\.mixed\\.2)?|until-2026-12-0[1-9]T10:00Z"
        ) {
            let marker = Marker::from_parts(&name, &disc);
            prop_assert_eq!(marker.name(), name.as_str());
            prop_assert_eq!(marker.discriminator(), disc.clone());
            prop_assert_eq!(Marker::parse_line(&marker.line()), Some(marker));
        }
    }
}
