//! Commands that people write in push bugs' comments (`@pushbot check`, …):
//! the typed [`Command`], the `[commands]` settings, the parser
//! ([`parse`]), the authorisation policy ([`auth`]) and the reply texts
//! ([`messages`]).
//!
//! Pure: no I/O, no clock, no tokio. Handlers that act through Bugzilla sit
//! on top of this module: they parse a comment, ask Bugzilla for the group
//! memberships [`auth::groups_to_ask`] names, call [`auth::authorize`],
//! act, and post exactly one reply keyed by [`reply_key`] (DESIGN.md,
//! invariant 2). This module must not read settings files, talk to
//! Bugzilla or look at the time.

pub mod auth;
pub mod handle;
pub mod messages;
pub mod parse;

use std::fmt;

use chrono::TimeDelta;
use serde::Deserialize;

use crate::bugzilla::{BugId, CommentId};
use crate::config_error::ConfigError;
use crate::plan::{ActionKey, Marker};

pub use auth::{authorize, groups_to_ask, Decision, Membership, Refusal};
pub use parse::{parse, ParseError, ParsedLine};

/// The exactly-once key of the reply to one command comment (invariant 2):
/// `[pushbot command c<comment id>]` ([`Marker::Reply`]). Comment ids are
/// global in a Bugzilla instance, so the id alone names the comment; the
/// bug is in the key so the executor knows where to look for the marker.
pub fn reply_key(bug: BugId, comment_id: CommentId) -> ActionKey {
    ActionKey::of(bug, Marker::Reply(comment_id))
}

/// One command, parsed and checked for shape (not yet authorised).
/// Dispatch is a plain `match`, so the compiler checks every command is
/// handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// List the commands, who may use them and the rules for this bug.
    Help,
    /// Re-evaluate the rules on this bug now and answer with the result.
    Check,
    /// Request the sign-off flags now instead of waiting for the rule.
    Signoff,
    /// Post the conflict summary of this week (`next: false`) or of next
    /// week (`summary next`).
    Summary { next: bool },
    /// Stop the bot's nags on this bug for a while.
    Snooze { duration: SnoozeDuration },
    /// Undo a snooze.
    Unsnooze,
    /// The lead's go decision for the push.
    Go,
    /// The lead's no-go decision, with the reason if one was given (a
    /// missing reason must not cost a recorded no-go).
    NoGo { reason: Option<String> },
    /// Assign the bug: to the commenter or to the given login.
    Owner(OwnerArg),
}

impl Command {
    /// The command's kind, for permissions and texts.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Help => CommandKind::Help,
            Command::Check => CommandKind::Check,
            Command::Signoff => CommandKind::Signoff,
            Command::Summary { .. } => CommandKind::Summary,
            Command::Snooze { .. } => CommandKind::Snooze,
            Command::Unsnooze => CommandKind::Unsnooze,
            Command::Go => CommandKind::Go,
            Command::NoGo { .. } => CommandKind::NoGo,
            Command::Owner(_) => CommandKind::Owner,
        }
    }
}

/// Whom `owner` assigns the bug to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerArg {
    /// `owner me`: the commenter.
    Me,
    /// `owner someone@example.org`: a login, checked for shape only;
    /// Bugzilla decides whether the account exists.
    Email(String),
}

/// The commands without their arguments: what permissions and help texts
/// are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommandKind {
    Help,
    Check,
    Signoff,
    Summary,
    Snooze,
    Unsnooze,
    Go,
    NoGo,
    Owner,
}

impl CommandKind {
    /// Every kind, in the order help lists them.
    pub const ALL: [CommandKind; 9] = [
        CommandKind::Help,
        CommandKind::Check,
        CommandKind::Summary,
        CommandKind::Signoff,
        CommandKind::Go,
        CommandKind::NoGo,
        CommandKind::Owner,
        CommandKind::Snooze,
        CommandKind::Unsnooze,
    ];

    /// The word people write after the prefix.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Help => "help",
            CommandKind::Check => "check",
            CommandKind::Signoff => "signoff",
            CommandKind::Summary => "summary",
            CommandKind::Snooze => "snooze",
            CommandKind::Unsnooze => "unsnooze",
            CommandKind::Go => "go",
            CommandKind::NoGo => "no-go",
            CommandKind::Owner => "owner",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long a snooze lasts, in whole hours (the finest unit people write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnoozeDuration {
    hours: u32,
}

impl SnoozeDuration {
    /// A duration of `hours` hours; `None` for zero.
    pub fn from_hours(hours: u32) -> Option<Self> {
        (hours > 0).then_some(SnoozeDuration { hours })
    }

    /// For the handler that adds it to "now".
    pub fn as_time_delta(self) -> TimeDelta {
        TimeDelta::hours(i64::from(self.hours))
    }
}

/// The shortest exact form: `1w`, `2d`, `36h`.
impl fmt::Display for SnoozeDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.hours.is_multiple_of(168) {
            write!(f, "{}w", self.hours / 168)
        } else if self.hours.is_multiple_of(24) {
            write!(f, "{}d", self.hours / 24)
        } else {
            write!(f, "{}h", self.hours)
        }
    }
}

/// Who may run a command. In settings: `"anyone"`, `"leads"` or
/// `"group:NAME"` (a Bugzilla group, e.g. `"group:editbugs"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Who {
    /// Anyone who can comment on the bug.
    Anyone,
    /// Only the app's configured lead(s).
    Leads,
    /// Members of this Bugzilla group, and the app's leads.
    Group(String),
}

impl TryFrom<String> for Who {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("anyone") {
            return Ok(Who::Anyone);
        }
        if v.eq_ignore_ascii_case("leads") || v.eq_ignore_ascii_case("lead") {
            return Ok(Who::Leads);
        }
        if let Some(group) = v.strip_prefix("group:") {
            let group = group.trim();
            if !group.is_empty() {
                return Ok(Who::Group(group.to_string()));
            }
        }
        Err(format!(
            "`{value}` is not a permission; write \"anyone\", \"leads\" or \"group:NAME\" (e.g. \"group:editbugs\")"
        ))
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::Anyone => f.write_str("anyone"),
            Who::Leads => f.write_str("leads"),
            Who::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// The group that may run the everyday commands by default: Bugzilla's
/// stock group for people trusted to edit any bug.
pub const DEFAULT_GROUP: &str = "editbugs";

/// `[commands.allow]`: who may run each command.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Permissions {
    /// Default: `group:editbugs`.
    pub help: Who,
    /// Default: `group:editbugs`.
    pub check: Who,
    /// Default: `group:editbugs`.
    pub signoff: Who,
    /// Default: `group:editbugs`.
    pub summary: Who,
    /// Default: `group:editbugs`.
    pub snooze: Who,
    /// Default: `group:editbugs`.
    pub unsnooze: Who,
    /// `owner me` and `owner someone@…`. Default: `group:editbugs`.
    pub owner: Who,
    /// Default: `leads` (the webdev lead makes the go/no-go call).
    pub go: Who,
    /// Default: `leads`.
    pub no_go: Who,
}

impl Default for Permissions {
    fn default() -> Self {
        let group = || Who::Group(DEFAULT_GROUP.to_string());
        Permissions {
            help: group(),
            check: group(),
            signoff: group(),
            summary: group(),
            snooze: group(),
            unsnooze: group(),
            owner: group(),
            go: Who::Leads,
            no_go: Who::Leads,
        }
    }
}

impl Permissions {
    /// Who may run commands of this kind.
    pub fn who(&self, kind: CommandKind) -> &Who {
        match kind {
            CommandKind::Help => &self.help,
            CommandKind::Check => &self.check,
            CommandKind::Signoff => &self.signoff,
            CommandKind::Summary => &self.summary,
            CommandKind::Snooze => &self.snooze,
            CommandKind::Unsnooze => &self.unsnooze,
            CommandKind::Owner => &self.owner,
            CommandKind::Go => &self.go,
            CommandKind::NoGo => &self.no_go,
        }
    }
}

/// `[commands]`: how comment commands are recognised and who may run them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandSettings {
    /// What a command line starts with; matched case-insensitively.
    /// Printable ASCII without spaces. Default: `@pushbot`.
    pub prefix: String,
    /// The longest snooze allowed, in days. Default: 14.
    pub max_snooze_days: u32,
    /// Command lines read per comment; lines after that get one "too many
    /// commands" answer. Bounds the work a huge comment can cause.
    /// Default: 10.
    pub max_per_comment: usize,
    /// Command comments answered per bug per cycle, oldest first; the rest
    /// wait for later cycles. Bounds what a flood of command comments on
    /// one bug costs per cycle, and keeps the bot's one comment per bug and
    /// cycle short: the replies are its sections
    /// ([`crate::plan::merge`]). With the merge's size bound (a section
    /// that would push the comment over 65,535 characters waits for the
    /// next cycle) this answers each command exactly once: a reply that
    /// waits carries no marker yet and is planned again; a reply written
    /// is found by its marker and never planned again. Default: 5.
    pub max_answers_per_bug: usize,
    /// Commands in comments older than this many hours are never answered,
    /// so that a bot started for the first time (or after a long stop)
    /// does not answer commands from long ago. Default: 72.
    pub max_age_hours: u32,
    /// How long a group membership looked up in Bugzilla is trusted, in
    /// minutes (a failed lookup is never cached). Default: 10.
    pub membership_cache_minutes: u32,
    /// When a membership cannot be looked up (Bugzilla error), the command
    /// waits for a later cycle; after this many minutes since the comment
    /// it is refused with "could not confirm, please try again later".
    /// Default: 30.
    pub membership_wait_minutes: u32,
    /// Who may run which command.
    pub allow: Permissions,
    /// The value of Bugzilla's `insidergroup` parameter, which the REST
    /// API does not show, for `pushbot doctor` to check: only its members
    /// see private comments (recordings 161, 162) and may post private
    /// replies (401/113 otherwise, 160). Default: unset (not checked).
    pub insider_group: Option<String>,
}

/// Default for [`CommandSettings::prefix`].
pub const DEFAULT_PREFIX: &str = "@pushbot";

impl Default for CommandSettings {
    fn default() -> Self {
        CommandSettings {
            prefix: DEFAULT_PREFIX.to_string(),
            max_snooze_days: 14,
            max_per_comment: 10,
            max_answers_per_bug: 5,
            max_age_hours: 72,
            membership_cache_minutes: 10,
            membership_wait_minutes: 30,
            allow: Permissions::default(),
            insider_group: None,
        }
    }
}

impl CommandSettings {
    /// Checks the values a start-up must refuse; the error names the
    /// setting and what to write instead.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &str, problem: &str| ConfigError::Invalid {
            setting: setting.to_string(),
            problem: problem.to_string(),
        };
        let prefix_ok = !self.prefix.is_empty()
            && self.prefix.len() <= 64
            && self.prefix.bytes().all(|b| b.is_ascii_graphic());
        if !prefix_ok {
            return Err(invalid(
                "commands.prefix",
                "must be 1 to 64 printable ASCII characters without spaces, e.g. \"@pushbot\"",
            ));
        }
        if self.prefix.starts_with('>') {
            return Err(invalid(
                "commands.prefix",
                "must not start with `>`: quoted lines are never commands",
            ));
        }
        if self.max_snooze_days == 0 {
            return Err(invalid(
                "commands.max_snooze_days",
                "must be at least 1 (default 14)",
            ));
        }
        if self.max_per_comment == 0 {
            return Err(invalid(
                "commands.max_per_comment",
                "must be at least 1 (default 10)",
            ));
        }
        if self.max_answers_per_bug == 0 {
            return Err(invalid(
                "commands.max_answers_per_bug",
                "must be at least 1 (default 5)",
            ));
        }
        if self.max_age_hours == 0 {
            return Err(invalid(
                "commands.max_age_hours",
                "must be at least 1 (default 72)",
            ));
        }
        Ok(())
    }

    /// The longest snooze allowed, in hours.
    pub fn max_snooze_hours(&self) -> u64 {
        u64::from(self.max_snooze_days) * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_key_is_marked_with_the_comment_id() {
        let key = reply_key(BugId(42), CommentId(9001));
        assert_eq!(key.marker(), "[pushbot command c9001]");
        assert_eq!(key.bug, BugId(42));
    }

    #[test]
    fn snooze_duration_shows_the_shortest_exact_form() {
        let show = |h| SnoozeDuration::from_hours(h).map(|d| d.to_string());
        assert_eq!(show(168).as_deref(), Some("1w"));
        assert_eq!(show(48).as_deref(), Some("2d"));
        assert_eq!(show(36).as_deref(), Some("36h"));
        assert_eq!(show(0), None);
        let d = SnoozeDuration::from_hours(12).map(SnoozeDuration::as_time_delta);
        assert_eq!(d, Some(TimeDelta::hours(12)));
    }

    #[test]
    fn settings_parse_from_toml_with_defaults() {
        let s: CommandSettings = toml::from_str(
            r#"
            prefix = "@relbot"
            [allow]
            go = "group:release-managers"
            help = "anyone"
            "#,
        )
        .unwrap();
        assert_eq!(s.prefix, "@relbot");
        assert_eq!(s.max_snooze_days, 14);
        assert_eq!(s.allow.go, Who::Group("release-managers".to_string()));
        assert_eq!(s.allow.help, Who::Anyone);
        assert_eq!(s.allow.no_go, Who::Leads);
        assert_eq!(s.allow.check, Who::Group("editbugs".to_string()));
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_example_settings_file_ships_the_defaults() {
        let example: toml::Table =
            toml::from_str(include_str!("../../../pushbot.example.toml")).unwrap();
        let section = example.get("commands").cloned().unwrap();
        let settings: CommandSettings = section.try_into().unwrap();
        assert_eq!(settings, CommandSettings::default());
    }

    #[test]
    fn settings_refuse_unknown_keys_and_bad_permissions() {
        let unknown = toml::from_str::<CommandSettings>("prefx = \"@x\"");
        assert!(unknown.is_err());
        let bad = toml::from_str::<CommandSettings>("[allow]\ngo = \"admins\"")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("group:NAME"), "{bad}");
    }

    #[test]
    fn validate_names_the_bad_setting() {
        for (settings, name) in [
            (
                CommandSettings {
                    prefix: "@push bot".to_string(),
                    ..CommandSettings::default()
                },
                "commands.prefix",
            ),
            (
                CommandSettings {
                    prefix: ">bot".to_string(),
                    ..CommandSettings::default()
                },
                "commands.prefix",
            ),
            (
                CommandSettings {
                    max_snooze_days: 0,
                    ..CommandSettings::default()
                },
                "commands.max_snooze_days",
            ),
            (
                CommandSettings {
                    max_per_comment: 0,
                    ..CommandSettings::default()
                },
                "commands.max_per_comment",
            ),
        ] {
            match settings.validate() {
                Err(ConfigError::Invalid { setting, .. }) => assert_eq!(setting, name),
                other => panic!("{name}: expected an error, got {other:?}"),
            }
        }
    }
}
