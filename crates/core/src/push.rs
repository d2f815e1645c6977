//! The push model: a Bugzilla bug (and its comments) read as a push — which
//! app ships, how big it is, when it goes out, who owns it, who signed off,
//! which checklist items are confirmed, and what the bot already said.
//!
//! Owns the `[push]` settings section ([`PushSettings`]) and [`extract`].
//! Pure: no network, no files, no clock. [`extract`] never fails: a date it
//! cannot read makes the push "unscheduled, because …", never a guess.

mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize};

use crate::bugzilla::{Bug, BugId, Comment, CommentId, FlagStatus};
use crate::config_error::ConfigError;
use crate::plan::marker::Reserved;
use crate::plan::{markers_in, Marker, RuleMark, RuleName};

pub use schedule::{Schedule, ScheduleSource};

/// How big a release is; the conflict limits count by this. The one size
/// type: the push model, the rules and the reports all use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeClass {
    /// A large application release (AMO, SUMO).
    Large,
    /// A small application release (Personas, Input).
    Small,
    /// A small content change: "can go whenever", exempt from limits and window.
    ContentOnly,
}

impl SizeClass {
    /// Every class, largest first (the week view's legend order).
    pub const ALL: [SizeClass; 3] = [SizeClass::Large, SizeClass::Small, SizeClass::ContentOnly];

    /// The stable lower-case name used in settings, comments, text and CSS
    /// classes: `large`, `small`, `content-only`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SizeClass::Large => "large",
            SizeClass::Small => "small",
            SizeClass::ContentOnly => "content-only",
        }
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A time of day written `HH:MM` in settings and rule files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HhMm(pub NaiveTime);

impl<'de> Deserialize<'de> for HhMm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map(HhMm)
            .map_err(|_| {
                serde::de::Error::custom(format!("`{text}` is not a time; write HH:MM, e.g. 16:00"))
            })
    }
}

impl fmt::Display for HhMm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

fn hh_mm(h: u32, m: u32) -> HhMm {
    HhMm(NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
}

/// One row of the app table: how to recognise an app's push bugs, how big its
/// releases are, and who leads and tests it. A bug belongs to the first row
/// that matches (any whiteboard tag, component or summary word).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// The app's name as shown in comments, e.g. `AMO`.
    pub name: String,
    /// Whiteboard tags that mark this app's push bugs, compared
    /// case-insensitively, e.g. `[push:amo]`.
    #[serde(default)]
    pub whiteboard: Vec<String>,
    /// Components whose bugs are this app's pushes (exact, case-insensitive).
    #[serde(default)]
    pub components: Vec<String>,
    /// Words that mark the app in a summary (case-insensitive substring).
    #[serde(default)]
    pub summary: Vec<String>,
    /// The app's usual release size. Default: `small`.
    #[serde(default = "default_size")]
    pub size: SizeClass,
    /// The app's webdev lead(s): they give `webdev-signoff` and get
    /// escalations. Default: none.
    #[serde(default)]
    pub leads: Vec<String>,
    /// The app's QA contact, asked for `qa-signoff`; when unset, the bug's
    /// QA contact is used.
    #[serde(default)]
    pub qa: Option<String>,
}

fn default_size() -> SizeClass {
    SizeClass::Small
}

/// When pushes may happen (the meeting: Tuesday and Thursday, Wednesday only
/// if needed, not before 4pm). Shared by `push_window` and the slot that
/// `release_conflict` proposes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushWindow {
    /// Days pushes go out. Default: `["Tue", "Thu"]`.
    #[serde(default = "default_days")]
    pub days: Vec<Weekday>,
    /// Days allowed only when the usual days are full; never warned about,
    /// proposed only when the week's usual days are taken. Default: `["Wed"]`.
    #[serde(default = "default_if_needed")]
    pub if_needed_days: Vec<Weekday>,
    /// Earliest local push time. Default: `16:00`.
    #[serde(default = "default_not_before")]
    pub not_before: HhMm,
    /// Latest local push time (inclusive). Default: `23:59`.
    #[serde(default = "default_not_after")]
    pub not_after: HhMm,
}

impl Default for PushWindow {
    fn default() -> Self {
        PushWindow {
            days: default_days(),
            if_needed_days: default_if_needed(),
            not_before: default_not_before(),
            not_after: default_not_after(),
        }
    }
}

fn default_days() -> Vec<Weekday> {
    vec![Weekday::Tue, Weekday::Thu]
}
fn default_if_needed() -> Vec<Weekday> {
    vec![Weekday::Wed]
}
fn default_not_before() -> HhMm {
    hh_mm(16, 0)
}
fn default_not_after() -> HhMm {
    hh_mm(23, 59)
}

impl PushWindow {
    /// The window in words, for comments: `Tue, Thu (Wed if needed), 16:00–23:59`.
    pub fn describe(&self) -> String {
        let days: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        let mut text = days.join(", ");
        if !self.if_needed_days.is_empty() {
            let extra: Vec<String> = self.if_needed_days.iter().map(|d| d.to_string()).collect();
            text.push_str(&format!(" ({} if needed)", extra.join(", ")));
        }
        format!("{text}, {}–{} local time", self.not_before, self.not_after)
    }
}

/// A pre-push checklist item and how a person confirms it: by adding
/// `tag` to the whiteboard, or by writing `tag` on a line of its own in a
/// comment (the bot's own comments do not count).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Short id used in templates, e.g. `backup`.
    pub id: String,
    /// What must be done, as listed in the sign-off request.
    pub text: String,
    /// The confirmation tag, e.g. `[backup-done]`.
    pub tag: String,
}

/// The flags that carry sign-off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignoffFlags {
    /// The webdev lead's go/no-go flag. Default: `webdev-signoff`.
    #[serde(default = "default_webdev_flag")]
    pub webdev: String,
    /// QA's flag. Default: `qa-signoff`.
    #[serde(default = "default_qa_flag")]
    pub qa: String,
}

impl Default for SignoffFlags {
    fn default() -> Self {
        SignoffFlags {
            webdev: default_webdev_flag(),
            qa: default_qa_flag(),
        }
    }
}

fn default_webdev_flag() -> String {
    "webdev-signoff".to_string()
}
fn default_qa_flag() -> String {
    "qa-signoff".to_string()
}

/// The `[push]` settings section: how bugs are read as pushes. `Default` is
/// the shipped policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// The app table, first match wins. Default: AMO and SUMO (large),
    /// Personas and Input (small), matched by `[push:amo]`-style tags.
    #[serde(default = "default_apps")]
    pub apps: Vec<AppSpec>,
    /// Size of a push bug that matches no app. Default: `small`.
    #[serde(default = "default_size")]
    pub unknown_app_size: SizeClass,
    /// Per-bug whiteboard tag that makes a push content-only. Default: `[content]`.
    #[serde(default = "default_content_tag")]
    pub content_tag: String,
    /// Per-bug whiteboard tag that makes a push large. Default: `[large]`.
    #[serde(default = "default_large_tag")]
    pub large_tag: String,
    /// Per-bug whiteboard tag that makes a push small. Default: `[small]`.
    #[serde(default = "default_small_tag")]
    pub small_tag: String,
    /// Where the push time is read, first present source wins. Default:
    /// `["custom_field", "whiteboard", "milestone", "summary"]`.
    #[serde(default = "default_sources")]
    pub schedule_sources: Vec<ScheduleSource>,
    /// The custom field holding the push time. Default: `cf_push_date`.
    #[serde(default = "default_date_field")]
    pub date_field: String,
    /// The word opening the whiteboard date tag: `[push 2026-12-01 16:00]`.
    /// Default: `push`.
    #[serde(default = "default_whiteboard_word")]
    pub whiteboard_date_word: String,
    /// Local time used when only a date is given. Default: `16:00`.
    #[serde(default = "default_not_before")]
    pub default_push_time: HhMm,
    /// Accounts that mean "nobody owns this". Default: `nobody@mozilla.org`.
    #[serde(default = "default_accounts")]
    pub default_accounts: Vec<String>,
    /// Component default assignees, keyed `Product/Component`: a bug still
    /// assigned to its component's default has no owner. Default: none.
    #[serde(default)]
    pub component_default_assignees: BTreeMap<String, String>,
    /// Component triage owners, keyed `Product/Component`: who the
    /// `no_owner` nag addresses when Bugzilla does not say. BMO gives each
    /// bug's `triage_owner` and wins; stock Bugzilla 5.x has no such field,
    /// so there this table is the only source. Default: none.
    #[serde(default)]
    pub component_triage_owners: BTreeMap<String, String>,
    /// Sign-off flag names.
    #[serde(default)]
    pub signoff_flags: SignoffFlags,
    /// Bugzilla groups whose members may give either sign-off, besides the
    /// app's leads (`webdev-signoff`) and QA (`qa-signoff`). A flag set by
    /// anyone else counts as missing. Default: none.
    #[serde(default)]
    pub signoff_groups: Vec<String>,
    /// The pre-push checklist. Default: user data backed up
    /// (`[backup-done]`), prod/staging schemas compared (`[schemas-diffed]`),
    /// new infrastructure tested (`[infra-tested]`).
    #[serde(default = "default_checklist")]
    pub checklist: Vec<ChecklistItem>,
    /// Whiteboard tag that silences nags on one bug. Default: `[no-nag]`.
    #[serde(default = "default_opt_out")]
    pub opt_out_tag: String,
    /// When pushes may happen.
    #[serde(default)]
    pub window: PushWindow,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            apps: default_apps(),
            unknown_app_size: default_size(),
            content_tag: default_content_tag(),
            large_tag: default_large_tag(),
            small_tag: default_small_tag(),
            schedule_sources: default_sources(),
            date_field: default_date_field(),
            whiteboard_date_word: default_whiteboard_word(),
            default_push_time: default_not_before(),
            default_accounts: default_accounts(),
            component_default_assignees: BTreeMap::new(),
            component_triage_owners: BTreeMap::new(),
            signoff_flags: SignoffFlags::default(),
            signoff_groups: Vec::new(),
            checklist: default_checklist(),
            opt_out_tag: default_opt_out(),
            window: PushWindow::default(),
        }
    }
}

fn app(name: &str, tag: &str, size: SizeClass) -> AppSpec {
    AppSpec {
        name: name.to_string(),
        whiteboard: vec![tag.to_string()],
        components: Vec::new(),
        summary: Vec::new(),
        size,
        leads: Vec::new(),
        qa: None,
    }
}

fn default_apps() -> Vec<AppSpec> {
    vec![
        app("AMO", "[push:amo]", SizeClass::Large),
        app("SUMO", "[push:sumo]", SizeClass::Large),
        app("Personas", "[push:personas]", SizeClass::Small),
        app("Input", "[push:input]", SizeClass::Small),
    ]
}
fn default_content_tag() -> String {
    "[content]".to_string()
}
fn default_large_tag() -> String {
    "[large]".to_string()
}
fn default_small_tag() -> String {
    "[small]".to_string()
}
fn default_sources() -> Vec<ScheduleSource> {
    vec![
        ScheduleSource::CustomField,
        ScheduleSource::Whiteboard,
        ScheduleSource::Milestone,
        ScheduleSource::Summary,
    ]
}
fn default_date_field() -> String {
    "cf_push_date".to_string()
}
fn default_whiteboard_word() -> String {
    "push".to_string()
}
fn default_accounts() -> Vec<String> {
    vec!["nobody@mozilla.org".to_string()]
}
fn default_checklist() -> Vec<ChecklistItem> {
    let item = |id: &str, text: &str, tag: &str| ChecklistItem {
        id: id.to_string(),
        text: text.to_string(),
        tag: tag.to_string(),
    };
    vec![
        item("backup", "User data backed up", "[backup-done]"),
        item(
            "schemas",
            "Prod and staging schemas compared",
            "[schemas-diffed]",
        ),
        item("infra", "New infrastructure tested by QA", "[infra-tested]"),
    ]
}
fn default_opt_out() -> String {
    "[no-nag]".to_string()
}

impl PushSettings {
    /// Checks what serde cannot: names that must not be empty, a sane
    /// window. Errors name the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |setting: &str, problem: &str| {
            Err(ConfigError::Invalid {
                setting: setting.to_string(),
                problem: problem.to_string(),
            })
        };
        for (i, app) in self.apps.iter().enumerate() {
            if app.name.trim().is_empty() {
                return bad(&format!("push.apps[{i}].name"), "must not be empty");
            }
            if app.whiteboard.is_empty() && app.components.is_empty() && app.summary.is_empty() {
                return bad(
                    &format!("push.apps[{i}]"),
                    "matches nothing; give `whiteboard`, `components` or `summary`",
                );
            }
        }
        if self.schedule_sources.is_empty() {
            return bad(
                "push.schedule_sources",
                "must list at least one source (custom_field, whiteboard, milestone, summary)",
            );
        }
        if self.window.days.is_empty() {
            return bad(
                "push.window.days",
                "must list at least one day, e.g. [\"Tue\", \"Thu\"]",
            );
        }
        if self.window.not_after <= self.window.not_before {
            return bad("push.window.not_after", "must be later than `not_before`");
        }
        for (i, item) in self.checklist.iter().enumerate() {
            if item.tag.trim().is_empty() {
                return bad(&format!("push.checklist[{i}].tag"), "must not be empty");
            }
        }
        Ok(())
    }
}

/// The state of one sign-off flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Signoff {
    /// Not set at all.
    Missing,
    /// Requested (`?`), from someone or from anyone.
    Requested { requestee: Option<String> },
    /// Granted (`+`).
    Granted { by: Option<String> },
    /// Denied (`-`): a no-go.
    Denied { by: Option<String> },
    /// Set to `+` (`granted`) or `-` by someone who may not give this
    /// sign-off: counts as missing. Bugzilla lets anyone set a flag whose
    /// type has no grant group (recordings 117–118), so the setter is the
    /// only proof; the bot leaves such a flag exactly as it is.
    NotAllowed { granted: bool, by: Option<String> },
}

impl Signoff {
    /// Whether the flag is `+` from someone who may give it.
    pub fn is_granted(&self) -> bool {
        matches!(self, Signoff::Granted { .. })
    }
}

/// Who may give a sign-off: the logins named for it (the app's leads for
/// `webdev-signoff`, its QA for `qa-signoff`), and the bot when it set the
/// flag answering one of them (its reply's marker names their comment).
/// Members of `[push] signoff_groups` are confirmed later, by the planner,
/// from group lookups ([`confirm_by_groups`]).
fn judge(state: Signoff, allowed: &[&str], comments: &[Comment], bot_login: &str) -> Signoff {
    let (granted, by) = match &state {
        Signoff::Granted { by } => (true, by.clone()),
        Signoff::Denied { by } => (false, by.clone()),
        _ => return state,
    };
    let setter = by.as_deref().unwrap_or("").trim();
    let is = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if allowed.iter().any(|who| is(who, setter)) {
        return state;
    }
    if is(setter, bot_login) && answered_one_of(comments, allowed, bot_login) {
        return state;
    }
    Signoff::NotAllowed { granted, by }
}

/// Whether the bot replied (its `[pushbot command c<id>]` marker) to a
/// comment written by one of `people`.
fn answered_one_of(comments: &[Comment], people: &[&str], bot_login: &str) -> bool {
    let by_them: BTreeSet<CommentId> = comments
        .iter()
        .filter(|c| {
            people
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(c.creator.trim()))
        })
        .map(|c| c.id)
        .collect();
    comments
        .iter()
        .filter(|c| c.creator.trim().eq_ignore_ascii_case(bot_login.trim()))
        .flat_map(|c| markers_in(&c.text))
        .any(|m| matches!(m, Marker::Reply(id) if by_them.contains(&id)))
}

/// How a sign-off set by someone who may not give it reads everywhere
/// (`explain`, the summary, the week view, the signoff rule): "set + by
/// X, who may not sign off for AMO".
pub fn not_allowed_words(granted: bool, by: Option<&str>, app: &str) -> String {
    format!(
        "set {} by {}, who may not sign off for {app}",
        if granted { '+' } else { '-' },
        by.unwrap_or("someone")
    )
}

/// A sign-off set by a member of one of `[push] signoff_groups` counts:
/// `is_member(login, group)` answers from this cycle's group lookups
/// (`None`: not known, which never counts).
pub fn confirm_by_groups(
    push: &mut PushBug,
    groups: &[String],
    is_member: impl Fn(&str, &str) -> Option<bool>,
) {
    for state in [&mut push.webdev_signoff, &mut push.qa_signoff] {
        let Signoff::NotAllowed { granted, by } = state else {
            continue;
        };
        let Some(setter) = by.as_deref() else {
            continue;
        };
        if groups.iter().any(|g| is_member(setter, g) == Some(true)) {
            *state = if *granted {
                Signoff::Granted { by: by.clone() }
            } else {
                Signoff::Denied { by: by.clone() }
            };
        }
    }
}

/// A checklist item and who confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistState {
    /// The item's id from `[[push.checklist]]`.
    pub id: String,
    /// What must be done.
    pub text: String,
    /// The tag that confirms it.
    pub tag: String,
    /// `whiteboard` or the login of the person whose comment confirmed it.
    pub confirmed_by: Option<String>,
}

/// Whether the push is still to happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum PushStatus {
    /// The bug is open.
    Open { status: String },
    /// Resolved FIXED: the push happened.
    Done,
    /// Resolved any other way (WONTFIX, INVALID, DUPLICATE, …): it will not
    /// happen.
    Cancelled { resolution: String },
}

/// A marker the bot already posted on the bug, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenMarker {
    /// What it says.
    pub marker: Marker,
    /// When the comment was posted; back-off counts from here.
    pub at: DateTime<Utc>,
    /// The comment that carries the marker.
    pub comment: CommentId,
}

impl Serialize for SeenMarker {
    /// As `{rule, discriminator, at, comment}`: the marker's two parts as
    /// written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("SeenMarker", 4)?;
        s.serialize_field("rule", self.marker.name())?;
        s.serialize_field("discriminator", &self.marker.discriminator())?;
        s.serialize_field("at", &self.at)?;
        s.serialize_field("comment", &self.comment)?;
        s.end()
    }
}

/// A push bug as the rules see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushBug {
    /// The push bug.
    pub id: BugId,
    /// The bug's summary, for comments and reports.
    pub summary: String,
    /// Bugzilla product and component (component defaults are keyed by them).
    pub product: String,
    pub component: String,
    /// The groups that restrict who may see the bug (Bugzilla's `groups`;
    /// empty: public). Rules count a restricted push like any other, but
    /// only a destination whose readers are in all of these groups names it
    /// ([`crate::redact`]).
    pub groups: Vec<String>,
    /// The app's name from the app table; `None` when no row matched.
    pub app: Option<String>,
    /// How big the release is; the conflict limits count by this.
    pub size: SizeClass,
    /// Why this size: `app AMO`, `whiteboard tag [content]`, ….
    pub size_reason: String,
    /// When the push goes out, or why that is unknown.
    pub schedule: Schedule,
    /// The assignee, as Bugzilla has it.
    pub assignee: String,
    /// The assignee unless it is a default account; `None` means no owner.
    pub owner: Option<String>,
    /// Who finds owners for the bug's component: BMO's `triage_owner`
    /// field, else `component_triage_owners`; never a default account.
    /// The `no_owner` nag addresses them.
    pub triage_owner: Option<String>,
    /// The app's lead(s), from the app table.
    pub leads: Vec<String>,
    /// QA for the sign-off: the app's QA contact, else the bug's.
    pub qa: Option<String>,
    /// The webdev lead's go/no-go flag.
    pub webdev_signoff: Signoff,
    /// QA's flag.
    pub qa_signoff: Signoff,
    /// The pre-push checklist and who confirmed each item.
    pub checklist: Vec<ChecklistState>,
    /// Open, done or cancelled.
    pub status: PushStatus,
    /// The per-bug opt-out tag is on the whiteboard.
    pub opted_out: bool,
    /// When the bug was filed; the `no_owner` grace period counts from here.
    pub created: Option<DateTime<Utc>>,
    /// The bot's markers already on the bug, oldest first.
    pub markers: Vec<SeenMarker>,
    /// When a person (not the bot) last commented, the description left
    /// out: nags hold back while someone is already on the bug.
    pub last_human_comment: Option<DateTime<Utc>>,
}

impl PushBug {
    /// Still to happen (open).
    pub fn is_open(&self) -> bool {
        matches!(self.status, PushStatus::Open { .. })
    }

    /// The scheduled time, if any.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match &self.schedule {
            Schedule::At { at, .. } => Some(*at),
            Schedule::Unscheduled { .. } => None,
        }
    }

    /// What one rule's markers on the bug say, oldest first.
    pub fn said_by<'a>(
        &'a self,
        rule: &'a RuleName,
    ) -> impl Iterator<Item = (&'a RuleMark, &'a SeenMarker)> + 'a {
        self.markers
            .iter()
            .filter_map(move |m| m.marker.said_by(rule).map(|mark| (mark, m)))
    }

    /// `rule`'s marker saying `mark`, if the bot already posted it.
    pub fn said(&self, rule: &RuleName, mark: &RuleMark) -> Option<&SeenMarker> {
        self.markers
            .iter()
            .find(|m| m.marker.said_by(rule) == Some(mark))
    }

    /// Until when the nags on this bug are snoozed, if a snooze runs at
    /// `now`. Read from the bot's own answers to `snooze`/`unsnooze`
    /// (their [`Marker::Snooze`] lines), the latest one winning: Bugzilla
    /// is the ledger, so a lost state file loses no snooze.
    pub fn snoozed_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.snooze_end().filter(|until| *until > now)
    }

    /// When the last snooze set on the bug ends, past or not (`None`: never
    /// snoozed, or `unsnooze` since).
    pub fn snooze_end(&self) -> Option<DateTime<Utc>> {
        // An unreadable snooze marker never silences the bot.
        let last = self
            .markers
            .iter()
            .rev()
            .find(|m| m.marker.reserved() == Some(Reserved::Snooze))?;
        match &last.marker {
            Marker::Snooze(snooze) => snooze.until(),
            _ => None,
        }
    }
}

fn has_tag(whiteboard: &str, tag: &str) -> bool {
    !tag.trim().is_empty()
        && whiteboard
            .to_lowercase()
            .contains(&tag.trim().to_lowercase())
}

fn matches_app(spec: &AppSpec, bug: &Bug) -> bool {
    let summary = bug.summary.to_lowercase();
    spec.whiteboard.iter().any(|t| has_tag(&bug.whiteboard, t))
        || spec
            .components
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&bug.component))
        || spec
            .summary
            .iter()
            .any(|w| !w.trim().is_empty() && summary.contains(&w.trim().to_lowercase()))
}

fn signoff(bug: &Bug, flag: &str) -> Signoff {
    // The newest flag of that name decides (a bug can carry several).
    let Some(f) = bug
        .flags
        .iter()
        .filter(|f| f.name == flag)
        .max_by_key(|f| (f.modification_date, f.id))
    else {
        return Signoff::Missing;
    };
    match f.status {
        FlagStatus::Requested => Signoff::Requested {
            requestee: f.requestee.clone(),
        },
        FlagStatus::Granted => Signoff::Granted {
            by: f.setter.clone(),
        },
        FlagStatus::Denied => Signoff::Denied {
            by: f.setter.clone(),
        },
    }
}

/// Reads a bug and its comments as a push. Never fails: what cannot be read
/// is recorded with the reason (an unreadable date makes the push
/// [`Schedule::Unscheduled`]).
pub fn extract(
    bug: &Bug,
    comments: &[Comment],
    settings: &PushSettings,
    bot_login: &str,
    tz: Tz,
) -> PushBug {
    let spec = settings.apps.iter().find(|a| matches_app(a, bug));
    let (size, size_reason) = if has_tag(&bug.whiteboard, &settings.content_tag) {
        (
            SizeClass::ContentOnly,
            format!("whiteboard tag {}", settings.content_tag),
        )
    } else if has_tag(&bug.whiteboard, &settings.large_tag) {
        (
            SizeClass::Large,
            format!("whiteboard tag {}", settings.large_tag),
        )
    } else if has_tag(&bug.whiteboard, &settings.small_tag) {
        (
            SizeClass::Small,
            format!("whiteboard tag {}", settings.small_tag),
        )
    } else if let Some(spec) = spec {
        (spec.size, format!("app {}", spec.name))
    } else {
        (
            settings.unknown_app_size,
            "no app matched; the default for unknown apps".to_string(),
        )
    };

    let assignee = bug.assigned_to.trim().to_string();
    let component_key = format!("{}/{}", bug.product, bug.component);
    let component_default = settings.component_default_assignees.get(&component_key);
    let is_default = |login: &str| {
        login.is_empty()
            || settings
                .default_accounts
                .iter()
                .any(|a| a.eq_ignore_ascii_case(login))
            || component_default.is_some_and(|a| a.eq_ignore_ascii_case(login))
    };
    let owner = (!is_default(&assignee)).then(|| assignee.clone());
    // BMO answers `triage_owner` (asked for in the search's fields) with a
    // login, `""` when the component has none; a default account there is
    // no one to address either, so the setting gets its turn.
    let triage_owner = [
        bug.extra.get("triage_owner").and_then(|v| v.as_str()),
        settings
            .component_triage_owners
            .get(&component_key)
            .map(String::as_str),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|login| !is_default(login))
    .map(str::to_string);

    let qa = spec
        .and_then(|s| s.qa.clone())
        .or_else(|| (!bug.qa_contact.trim().is_empty()).then(|| bug.qa_contact.clone()));

    let leads = spec.map(|s| s.leads.clone()).unwrap_or_default();
    let mut markers = Vec::new();
    for c in comments
        .iter()
        .filter(|c| c.creator.eq_ignore_ascii_case(bot_login))
    {
        for marker in markers_in(&c.text) {
            markers.push(SeenMarker {
                marker,
                at: c.creation_time,
                comment: c.id,
            });
        }
    }
    markers.sort_by_key(|m| (m.at, m.comment));
    let last_human_comment = comments
        .iter()
        .filter(|c| c.count > 0 && !c.creator.eq_ignore_ascii_case(bot_login))
        .map(|c| c.creation_time)
        .max();

    let checklist = settings
        .checklist
        .iter()
        .map(|item| {
            let confirmed_by = if has_tag(&bug.whiteboard, &item.tag) {
                Some("whiteboard".to_string())
            } else {
                comments
                    .iter()
                    .filter(|c| !c.creator.eq_ignore_ascii_case(bot_login))
                    .find(|c| {
                        c.text
                            .lines()
                            .any(|l| l.trim().eq_ignore_ascii_case(item.tag.trim()))
                    })
                    .map(|c| c.creator.clone())
            };
            ChecklistState {
                id: item.id.clone(),
                text: item.text.clone(),
                tag: item.tag.clone(),
                confirmed_by,
            }
        })
        .collect();

    let status = if bug.open() {
        PushStatus::Open {
            status: bug.status.clone(),
        }
    } else if bug.resolution.eq_ignore_ascii_case("FIXED") {
        PushStatus::Done
    } else {
        PushStatus::Cancelled {
            resolution: bug.resolution.clone(),
        }
    };

    let webdev_signoff = judge(
        signoff(bug, &settings.signoff_flags.webdev),
        &leads.iter().map(String::as_str).collect::<Vec<_>>(),
        comments,
        bot_login,
    );
    let qa_signoff = judge(
        signoff(bug, &settings.signoff_flags.qa),
        qa.as_deref().as_slice(),
        comments,
        bot_login,
    );
    PushBug {
        id: bug.id,
        summary: bug.summary.clone(),
        product: bug.product.clone(),
        component: bug.component.clone(),
        groups: bug.groups.clone(),
        app: spec.map(|s| s.name.clone()),
        size,
        size_reason,
        schedule: schedule::read(bug, settings, tz),
        assignee,
        owner,
        triage_owner,
        leads,
        qa,
        webdev_signoff,
        qa_signoff,
        checklist,
        status,
        opted_out: has_tag(&bug.whiteboard, &settings.opt_out_tag),
        created: bug.creation_time,
        markers,
        last_human_comment,
    }
}

#[cfg(test)]
mod tests;
