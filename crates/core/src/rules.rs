//! The rule engine: rule files (`rules/*.toml`, one rule per file) and the
//! pure function [`evaluate`] that decides, for every push and every rule,
//! whether the bot should say something now and what.
//!
//! A rule file names its kind, its parameters and its comment templates
//! (minijinja). Parsing is strict: unknown keys, unknown kinds, bad
//! parameters and templates that do not render against a sample push are
//! errors with the file, line and reason ([`RuleError`]).
//!
//! "Has the bot already said this?" is read from Bugzilla, not local state:
//! every action's [`ActionKey`] becomes a marker line, and the markers the
//! bot already posted are in [`PushBug::markers`]. A rule fires once per
//! key; nag counts and back-off derive from those markers.
//!
//! Pure: no network, no files (the bot reads the rule directory and hands
//! the texts to [`RuleSet::from_files`]), no clock — `now` is an argument.
//! One module per rule kind under `src/rules/`.

pub mod no_owner;
pub mod overrun;
pub mod push_window;
pub mod release_conflict;
pub mod signoff;
pub mod unscheduled;

mod now;
mod settings;
mod shipped;
mod view;

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::bugzilla::{BugId, BugUpdate, FlagChange};
use crate::plan::marker::RuleNameError;
use crate::plan::{Action, ActionKey, Marker, RuleMark, RuleName};
use crate::push::{PushBug, PushSettings};
use crate::redact::{Audience, Restrictions};

pub use now::{Horizon, Now};
pub use settings::RulesSettings;
pub use shipped::SHIPPED_RULES;
pub use view::{sample_pushes, PushView};

/// A problem in a rule file: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    /// The rule file (or the directory, for directory-wide problems).
    pub file: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong, in words that say what to do.
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

/// A rule kind with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Nag pushes without an owner; see [`no_owner`].
    NoOwner(no_owner::Params),
    /// Too many releases in a week or day; see [`release_conflict`].
    ReleaseConflict(release_conflict::Params),
    /// Request sign-off before the push; see [`signoff`].
    Signoff(signoff::Params),
    /// Pushes outside the window; see [`push_window`].
    PushWindow(push_window::Params),
    /// Ask for a push date; see [`unscheduled`].
    Unscheduled(unscheduled::Params),
    /// Status after the outage window; see [`overrun`].
    Overrun(overrun::Params),
}

/// Every kind's name as written in `kind = "…"`.
pub const KINDS: [&str; 6] = [
    "no_owner",
    "release_conflict",
    "signoff",
    "push_window",
    "unscheduled",
    "overrun",
];

impl RuleKind {
    /// The kind's name as written in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::NoOwner(_) => "no_owner",
            RuleKind::ReleaseConflict(_) => "release_conflict",
            RuleKind::Signoff(_) => "signoff",
            RuleKind::PushWindow(_) => "push_window",
            RuleKind::Unscheduled(_) => "unscheduled",
            RuleKind::Overrun(_) => "overrun",
        }
    }

    fn template_names(&self) -> &'static [&'static str] {
        match self {
            RuleKind::NoOwner(_) => no_owner::TEMPLATES,
            RuleKind::ReleaseConflict(_) => release_conflict::TEMPLATES,
            RuleKind::Signoff(_) => signoff::TEMPLATES,
            RuleKind::PushWindow(_) => push_window::TEMPLATES,
            RuleKind::Unscheduled(_) => unscheduled::TEMPLATES,
            RuleKind::Overrun(_) => overrun::TEMPLATES,
        }
    }
}

/// One loaded rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The file stem, e.g. `no-owner`; it names the rule in markers
    /// (`[pushbot no-owner nag-1]`), so renaming a file re-arms the rule.
    /// Never a reserved marker name ([`RuleName::new`]).
    pub name: RuleName,
    /// Where the rule came from.
    pub file: PathBuf,
    /// One line for `rules check` and `explain`.
    pub description: String,
    /// The kind and its parameters.
    pub kind: RuleKind,
    /// Template name → source.
    pub templates: BTreeMap<String, String>,
}

/// The loaded rule set, in file-name order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    /// The rules, in file-name order.
    pub rules: Vec<Rule>,
}

/// A rule's decision about one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The push the verdict is about.
    pub bug: BugId,
    /// The rule's name (file stem).
    pub rule: String,
    /// Whether the rule wants to act now.
    pub fires: bool,
    /// Why it fires or not, for `explain` and logs.
    pub reason: String,
    /// What to do; `None` when the rule does not fire (or its template
    /// failed to render, which the reason then says).
    pub action: Option<Action>,
}

/// The header every rule file starts with: just the kind, to pick the
/// strict parser.
#[derive(Deserialize)]
struct Header {
    kind: Option<toml::Spanned<String>>,
}

/// The full file for one kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile<P> {
    #[serde(rename = "kind")]
    _kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    params: Option<P>,
    #[serde(default)]
    templates: BTreeMap<String, toml::Spanned<String>>,
}

/// A parameter with a bad value: the key and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's key in `[params]`.
    pub key: &'static str,
    /// What is wrong and what to write instead.
    pub reason: String,
}

impl ParamError {
    pub fn new(key: &'static str, reason: impl Into<String>) -> Self {
        ParamError {
            key,
            reason: reason.into(),
        }
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

/// The line of `key = …` inside `[params]`, for errors serde cannot place.
fn line_of_param(src: &str, key: &str) -> Option<usize> {
    let mut in_params = false;
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_params = t == "[params]";
            continue;
        }
        if in_params {
            if let Some((k, _)) = t.split_once('=') {
                if k.trim() == key {
                    return Some(i + 1);
                }
            }
        }
    }
    None
}

/// Template name → source, with where the source starts in the file.
type Templates = BTreeMap<String, toml::Spanned<String>>;

fn parse_kind<P: DeserializeOwned + Default>(
    file: &Path,
    src: &str,
) -> Result<(String, P, Templates), RuleError> {
    let parsed: RuleFile<P> = toml::from_str(src).map_err(|e| RuleError {
        file: file.to_path_buf(),
        line: e.span().map(|s| line_of(src, s.start)),
        reason: e.message().trim().to_string(),
    })?;
    Ok((
        parsed.description,
        parsed.params.unwrap_or_default(),
        parsed.templates,
    ))
}

/// The environment templates render in: strict about undefined variables so
/// that `rules check` catches typos, and block tags do not leave blank lines.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env
}

/// Parses and checks one rule file's text. `file` is only for messages and
/// the rule name.
pub fn parse_rule(file: &Path, src: &str) -> Result<Rule, RuleError> {
    let err = |line: Option<usize>, reason: String| RuleError {
        file: file.to_path_buf(),
        line,
        reason,
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let name = match RuleName::new(stem) {
        Ok(name) => name,
        Err(RuleNameError::Alphabet) => {
            return Err(err(
                None,
                "the file name names the rule in markers; use letters, digits, `-` and `_` only (e.g. no-owner.toml)".to_string(),
            ))
        }
        Err(RuleNameError::Reserved(reserved)) => {
            let used_for = reserved.used_for();
            return Err(err(
                None,
                format!(
                    "the name `{stem}` is reserved: the bot's `[pushbot {stem} …]` markers are {used_for}, and a rule of that name would read and write them; rename the file (e.g. {stem}-reminder.toml)"
                ),
            ));
        }
    };
    let header: Header = toml::from_str(src).map_err(|e| {
        err(
            e.span().map(|s| line_of(src, s.start)),
            e.message().trim().to_string(),
        )
    })?;
    let Some(kind) = header.kind else {
        return Err(err(
            Some(1),
            format!("missing `kind`; one of: {}", KINDS.join(", ")),
        ));
    };
    let kind_line = Some(line_of(src, kind.span().start));
    let (description, kind, templates) = match kind.get_ref().as_str() {
        "no_owner" => {
            let (d, p, t) = parse_kind::<no_owner::Params>(file, src)?;
            (d, no_owner::validate(&p).map(|_| RuleKind::NoOwner(p)), t)
        }
        "release_conflict" => {
            let (d, p, t) = parse_kind::<release_conflict::Params>(file, src)?;
            let k = release_conflict::validate(&p).map(|_| RuleKind::ReleaseConflict(p));
            (d, k, t)
        }
        "signoff" => {
            let (d, p, t) = parse_kind::<signoff::Params>(file, src)?;
            (d, signoff::validate(&p).map(|_| RuleKind::Signoff(p)), t)
        }
        "push_window" => {
            let (d, p, t) = parse_kind::<push_window::Params>(file, src)?;
            (
                d,
                push_window::validate(&p).map(|_| RuleKind::PushWindow(p)),
                t,
            )
        }
        "unscheduled" => {
            let (d, p, t) = parse_kind::<unscheduled::Params>(file, src)?;
            (
                d,
                unscheduled::validate(&p).map(|_| RuleKind::Unscheduled(p)),
                t,
            )
        }
        "overrun" => {
            let (d, p, t) = parse_kind::<overrun::Params>(file, src)?;
            (d, overrun::validate(&p).map(|_| RuleKind::Overrun(p)), t)
        }
        other => {
            return Err(err(
                kind_line,
                format!("unknown kind `{other}`; one of: {}", KINDS.join(", ")),
            ))
        }
    };
    let kind = kind.map_err(|e| {
        err(
            line_of_param(src, e.key),
            format!("parameter `{}`: {}", e.key, e.reason),
        )
    })?;

    let wanted = kind.template_names();
    for (tname, body) in &templates {
        if !wanted.contains(&tname.as_str()) {
            return Err(err(
                Some(line_of(src, body.span().start)),
                format!(
                    "unknown template `{tname}` for kind {}; expected: {}",
                    kind.name(),
                    wanted.join(", ")
                ),
            ));
        }
    }
    for w in wanted {
        if !templates.contains_key(*w) {
            return Err(err(
                None,
                format!(
                    "missing template `{w}`; kind {} needs [templates] {}",
                    kind.name(),
                    wanted.join(", ")
                ),
            ));
        }
    }
    let rule = Rule {
        name,
        file: file.to_path_buf(),
        description,
        templates: templates
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
            .collect(),
        kind,
    };
    // Render every template against sample pushes: catches syntax errors,
    // unknown filters and misspelt variables before the bot starts.
    for (tname, body) in &templates {
        let ctx = sample_context(&rule, tname);
        if let Err(e) = environment().render_named_str(tname, body.get_ref(), ctx) {
            // The string starts at the opening quote; a `"""` string drops
            // the newline right after it, so its first line is the next one.
            let start = body.span().start;
            let starts_below = src[start..].starts_with("\"\"\"\n")
                || src[start..].starts_with("'''\n")
                || src[start..].starts_with("\"\"\"\r\n");
            let base = line_of(src, start) + usize::from(starts_below);
            let line = e.line().map(|l| base + l - 1).or(Some(base));
            let mut reason = format!("template `{tname}`: {}", e.kind());
            if let Some(detail) = e.detail() {
                reason.push_str(&format!(": {detail}"));
            }
            return Err(err(line, reason));
        }
    }
    Ok(rule)
}

fn sample_context(rule: &Rule, template: &str) -> minijinja::Value {
    let settings = PushSettings::default();
    let tz = chrono_tz::America::Los_Angeles;
    let pushes = sample_pushes(&settings, tz);
    let extras = match &rule.kind {
        RuleKind::NoOwner(_) => no_owner::sample_extras(template),
        RuleKind::ReleaseConflict(_) => release_conflict::sample_extras(),
        RuleKind::Signoff(_) => signoff::sample_extras(template),
        RuleKind::PushWindow(_) => push_window::sample_extras(&settings),
        RuleKind::Unscheduled(_) => unscheduled::sample_extras(),
        RuleKind::Overrun(_) => overrun::sample_extras(),
    };
    // One restricted push among the others, so that a template's
    // `restricted_others` branch is checked too.
    let view = |p: &PushBug| minijinja::Value::from_serialize(PushView::new(p, tz));
    let others = pushes[1..].iter().map(view).collect();
    context(rule.name.as_str(), view(&pushes[0]), others, 1, extras, tz)
}

/// The variables of a template: `bug` (the push the comment is posted
/// on), `others` (the other pushes it may name: already redacted for the
/// bug's readers) and `restricted_others` (how many more it may only
/// count), `rule`, `tz`, and the kind's own.
fn context(
    rule: &str,
    bug: minijinja::Value,
    others: Vec<minijinja::Value>,
    restricted_others: usize,
    extras: Value,
    tz: Tz,
) -> minijinja::Value {
    let mut vars: Vec<(String, minijinja::Value)> = vec![
        ("rule".to_string(), rule.into()),
        ("tz".to_string(), tz.name().into()),
        ("bug".to_string(), bug),
        ("others".to_string(), minijinja::Value::from(others)),
        ("restricted_others".to_string(), restricted_others.into()),
    ];
    if let Value::Object(extra) = extras {
        vars.extend(
            extra
                .into_iter()
                .map(|(k, v)| (k, minijinja::Value::from_serialize(v))),
        );
    }
    vars.into_iter().collect()
}

impl RuleSet {
    /// Rules parsed from the files of a rule directory, as the bot read
    /// them (`pushbot::rule_files`: every `*.toml`, in file-name order),
    /// collecting every problem (never an empty error list).
    pub fn from_files(files: &[(PathBuf, String)]) -> Result<RuleSet, Vec<RuleError>> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (file, src) in files {
            match parse_rule(file, src) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(RuleSet { rules })
        } else {
            Err(errors)
        }
    }

    /// The rules with the week view's public address (`[web] public_url`,
    /// e.g. `https://pushbot.example.org`): the `release_conflict` comments
    /// link their week's page (`…/week/2026-W49`) when they cannot name
    /// every push involved. `None` leaves them without a link.
    pub fn with_week_view(mut self, public_url: Option<&str>) -> RuleSet {
        for rule in &mut self.rules {
            if let RuleKind::ReleaseConflict(p) = &mut rule.kind {
                p.week_view_url = public_url.map(|u| u.trim_end_matches('/').to_string());
            }
        }
        self
    }

    /// Rules built from `(file name, text)` pairs, for tests and embedding.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<RuleSet, RuleError> {
        let rules = sources
            .iter()
            .map(|(name, src)| parse_rule(Path::new(name), src))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RuleSet { rules })
    }
}

/// What a rule kind decided about one push, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub bug: BugId,
    pub reason: String,
    /// `Some` when the rule fires.
    pub post: Option<Post>,
}

/// A comment (and flag changes) a rule wants to post.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Post {
    pub template: &'static str,
    /// What the comment's marker says (`nag-2`).
    pub mark: RuleMark,
    /// Kind-specific template variables (an object).
    pub extras: Value,
    /// Other bugs the comment is about. [`render`] names only those the
    /// bug's readers may see (`others`) and counts the rest
    /// (`restricted_others`).
    pub others: Vec<BugId>,
    pub flags: Vec<FlagChange>,
    /// More markers of the same rule the comment carries: one comment
    /// that says several things, each with its own "already said"
    /// (`release_conflict`: one per problem).
    pub also: Vec<RuleMark>,
    /// More templates rendered after the first, each with its own
    /// variables (and the same `bug`, `others`, `restricted_others`),
    /// separated by a blank line.
    pub sections: Vec<(&'static str, Value)>,
}

impl Post {
    /// A post of `template` marked `mark`, without variables, other bugs,
    /// flags or more markers.
    pub fn new(template: &'static str, mark: RuleMark) -> Post {
        Post {
            template,
            mark,
            extras: Value::Null,
            others: Vec::new(),
            flags: Vec::new(),
            also: Vec::new(),
            sections: Vec::new(),
        }
    }
}

impl Decision {
    pub fn quiet(bug: BugId, reason: impl Into<String>) -> Self {
        Decision {
            bug,
            reason: reason.into(),
            post: None,
        }
    }

    pub fn fire(bug: BugId, reason: impl Into<String>, post: Post) -> Self {
        Decision {
            bug,
            reason: reason.into(),
            post: Some(post),
        }
    }
}

/// Everything a rule kind may look at.
pub(crate) struct Ctx<'a> {
    pub pushes: &'a [PushBug],
    /// The groups of every push: what a comment on one push may name of
    /// the others.
    pub restrictions: Restrictions,
    pub settings: &'a PushSettings,
    pub tz: Tz,
    /// The instant of the evaluation; comparing with it records until when
    /// the decision holds ([`Now`]).
    pub now: Now,
    /// Position of each push in `pushes` by id: a lookup per verdict must
    /// not walk every push (10,000 of them make that the whole cost).
    index: HashMap<BugId, usize>,
    /// Every rule's templates, parsed once per evaluation (`rule/name`)
    /// rather than once per comment.
    templates: minijinja::Environment<'static>,
    /// Each push as templates see it (`bug`, an entry of `others`), built
    /// the first time a comment needs it: a push named by many comments of
    /// a crowded week is serialised once.
    views: Vec<OnceCell<minijinja::Value>>,
}

impl<'a> Ctx<'a> {
    fn new(
        rules: &RuleSet,
        pushes: &'a [PushBug],
        settings: &'a PushSettings,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Ctx<'a> {
        let mut templates = environment();
        for rule in &rules.rules {
            for (name, source) in &rule.templates {
                // Checked at load; one that fails here fails its render
                // below with the engine's reason.
                let _ = templates
                    .add_template_owned(template_id(rule.name.as_str(), name), source.clone());
            }
        }
        Ctx {
            pushes,
            restrictions: Restrictions::of(pushes),
            settings,
            tz,
            now: Now::new(now),
            index: pushes.iter().enumerate().map(|(i, p)| (p.id, i)).collect(),
            templates,
            views: pushes.iter().map(|_| OnceCell::new()).collect(),
        }
    }

    /// The push with id `bug`, if it is one of `pushes`.
    pub fn push(&self, bug: BugId) -> Option<&'a PushBug> {
        self.index.get(&bug).map(|&i| &self.pushes[i])
    }

    /// `bug` as templates see it, built once per evaluation.
    fn view(&self, bug: BugId) -> Option<minijinja::Value> {
        let i = *self.index.get(&bug)?;
        let cell = self.views.get(i)?;
        Some(
            cell.get_or_init(|| {
                minijinja::Value::from_serialize(PushView::new(&self.pushes[i], self.tz))
            })
            .clone(),
        )
    }
}

/// The name a rule's template has in [`Ctx::templates`].
fn template_id(rule: &str, template: &str) -> String {
    format!("{rule}/{template}")
}

/// "Already said": the reason a rule stays quiet because its marker is on
/// the bug.
pub(crate) fn already_said(push: &PushBug, rule: &RuleName, mark: &RuleMark) -> Option<String> {
    push.said(rule, mark).map(|m| {
        format!(
            "already said ({} in comment {} at {})",
            m.marker,
            m.comment,
            m.at.to_rfc3339()
        )
    })
}

/// Decides, for every rule and every push, whether the bot should act now.
/// One verdict per (rule, push), in rule order then push order.
pub fn evaluate(
    rules: &RuleSet,
    pushes: &[PushBug],
    settings: &PushSettings,
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<Verdict> {
    evaluate_some(rules, pushes, settings, tz, now, &|_, _| true)
        .into_iter()
        .map(|(_, _, verdict, _)| verdict)
        .collect()
}

/// One decision of [`evaluate_some`]: the rule's index in the set, the
/// push's index in `pushes`, the verdict, and until when it holds if the
/// push does not change (a firing verdict holds only now: it is acted on,
/// or decided again).
pub type Decided = (usize, usize, Verdict, Horizon);

/// [`evaluate`] for the (rule, push) pairs `due` names, by their indexes,
/// each with its horizon ([`Now`]): what the planner needs to keep quiet
/// decisions across cycles (`bot::memo`). A rule that compares pushes
/// with each other ([`compares_pushes`]) is decided for every push when
/// any is due, and each of its decisions gets the horizon of the whole
/// pass.
pub fn evaluate_some(
    rules: &RuleSet,
    pushes: &[PushBug],
    settings: &PushSettings,
    tz: Tz,
    now: DateTime<Utc>,
    due: &dyn Fn(usize, usize) -> bool,
) -> Vec<Decided> {
    let ctx = Ctx::new(rules, pushes, settings, tz, now);
    let mut out = Vec::new();
    for (r, rule) in rules.rules.iter().enumerate() {
        let decisions: Vec<(usize, Decision, Horizon)> = match &rule.kind {
            RuleKind::ReleaseConflict(p) => {
                if !(0..pushes.len()).any(|i| due(r, i)) {
                    continue;
                }
                ctx.now.start();
                let all = release_conflict::decide(p, &rule.name, &ctx);
                let horizon = ctx.now.horizon();
                all.into_iter()
                    .enumerate()
                    .map(|(i, d)| (i, d, horizon))
                    .collect()
            }
            kind => pushes
                .iter()
                .enumerate()
                .filter(|(i, _)| due(r, *i))
                .map(|(i, push)| {
                    ctx.now.start();
                    let d = match kind {
                        RuleKind::NoOwner(p) => no_owner::decide(p, &rule.name, &ctx, push),
                        RuleKind::Signoff(p) => signoff::decide(p, &rule.name, &ctx, push),
                        RuleKind::PushWindow(p) => push_window::decide(p, &rule.name, &ctx, push),
                        RuleKind::Unscheduled(p) => unscheduled::decide(p, &rule.name, &ctx, push),
                        RuleKind::Overrun(p) => overrun::decide(p, &rule.name, &ctx, push),
                        RuleKind::ReleaseConflict(_) => {
                            Decision::quiet(push.id, "evaluated for all pushes at once")
                        }
                    };
                    (i, d, ctx.now.horizon())
                })
                .collect(),
        };
        for (i, d, horizon) in decisions {
            // The snooze check reads the time too: the earlier horizon wins.
            ctx.now.start();
            let d = respect_snooze(&rule.kind, &ctx, d);
            let mut horizon = horizon.min(ctx.now.horizon());
            let verdict = render(rule, &ctx, d);
            if verdict.fires {
                horizon = Horizon::Until(now);
            }
            out.push((r, i, verdict, horizon));
        }
    }
    out
}

/// Whether a rule kind decides about a push from the other pushes too
/// (`release_conflict`): its decisions change when any push changes.
pub fn compares_pushes(kind: &RuleKind) -> bool {
    matches!(kind, RuleKind::ReleaseConflict(_))
}

/// Whether a rule kind is a nag, which the `snooze` command silences:
/// `no_owner`, `unscheduled` and `overrun`. Conflicts, sign-off and the
/// push window are safety checks and are never snoozed.
pub fn is_nag(kind: &RuleKind) -> bool {
    matches!(
        kind,
        RuleKind::NoOwner(_) | RuleKind::Unscheduled(_) | RuleKind::Overrun(_)
    )
}

/// A nag that would fire on a snoozed bug stays quiet, saying until when.
fn respect_snooze(kind: &RuleKind, ctx: &Ctx<'_>, d: Decision) -> Decision {
    if d.post.is_none() || !is_nag(kind) {
        return d;
    }
    let until = ctx
        .push(d.bug)
        .and_then(PushBug::snooze_end)
        .filter(|until| ctx.now.is_before(*until));
    match until {
        Some(until) => Decision::quiet(
            d.bug,
            format!(
                "{}; but snoozed until {}",
                d.reason,
                crate::clock::format_local(until, ctx.tz)
            ),
        ),
        None => d,
    }
}

/// The sign-off request of the first `signoff` rule for `bug`, made now
/// whatever the lead time (the `signoff` command), rendered with the
/// rule's `request` template: the comment, the flags and the key the rule
/// itself would use. `None` when no `signoff` rule is loaded or the bug is
/// not among `pushes`.
pub fn signoff_request(
    rules: &RuleSet,
    pushes: &[PushBug],
    settings: &PushSettings,
    tz: Tz,
    now: DateTime<Utc>,
    bug: BugId,
) -> Option<Verdict> {
    let ctx = Ctx::new(rules, pushes, settings, tz, now);
    let push = ctx.push(bug)?;
    rules.rules.iter().find_map(|rule| match &rule.kind {
        RuleKind::Signoff(p) => Some(render(rule, &ctx, signoff::request_now(p, &ctx, push))),
        _ => None,
    })
}

/// What the rules find about the plan, whether or not the bot already said
/// it: what the week report and summary show. `evaluate` answers "act
/// now?" (false once the marker is posted); this answers "does the
/// condition hold?".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Conflicts by bug (`release_conflict` rules); the same finding sits
    /// on every bug it counts.
    pub conflicts: BTreeMap<BugId, Vec<Finding>>,
    /// Other warnings by bug (`push_window` rules); they name no other bug.
    pub warnings: BTreeMap<BugId, Vec<String>>,
}

/// One thing found about the plan: a sentence and the bugs it counts
/// ("2 large releases in 2026-W49 (limit 1)", bugs 801 and 802). The bugs
/// are named only when the finding is put in words for an audience
/// ([`Finding::words`]), so a restricted push counts everywhere and is
/// named only where its groups can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What holds, without bug ids; its counts include every bug.
    pub text: String,
    /// The bugs it counts, ascending; shared by every bug's copy of the
    /// finding, so that a week of many pushes costs one list, not one per
    /// push.
    pub bugs: Arc<[BugId]>,
}

impl Finding {
    /// The sentence for `audience`: "2 large releases in 2026-W49 (limit
    /// 1): bug 801, bug 802", or "…: bug 801 and 1 restricted push" when
    /// it may not see bug 802.
    pub fn words(&self, audience: &Audience, restrictions: &Restrictions) -> String {
        let named = restrictions.name(audience, &self.bugs);
        if named.shown.is_empty() && named.hidden == 0 {
            return self.text.clone();
        }
        format!("{}: {}", self.text, named.words())
    }
}

impl Findings {
    /// The conflicts of one bug (none when it has no conflict).
    pub fn conflicts_of(&self, bug: BugId) -> &[Finding] {
        self.conflicts
            .get(&bug)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The warning sentences of one bug.
    pub fn warnings_of(&self, bug: BugId) -> &[String] {
        self.warnings
            .get(&bug)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// The conflicts and window warnings of the loaded rules over `pushes`,
/// with each rule's own parameters. Independent of markers and of "now";
/// never changes what the rules post.
pub fn findings(rules: &RuleSet, pushes: &[PushBug], settings: &PushSettings, tz: Tz) -> Findings {
    fn add<T: PartialEq>(map: &mut BTreeMap<BugId, Vec<T>>, bug: BugId, item: T) {
        let list = map.entry(bug).or_default();
        if !list.contains(&item) {
            list.push(item);
        }
    }
    let mut out = Findings::default();
    for rule in &rules.rules {
        match &rule.kind {
            RuleKind::ReleaseConflict(p) => {
                for (bug, found) in release_conflict::findings(p, pushes, tz) {
                    for finding in found {
                        add(&mut out.conflicts, bug, finding);
                    }
                }
            }
            RuleKind::PushWindow(p) => {
                for push in pushes {
                    if let Some(text) = push_window::finding(p, settings, push, tz) {
                        add(&mut out.warnings, push.id, text);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn render(rule: &Rule, ctx: &Ctx<'_>, d: Decision) -> Verdict {
    let Some(post) = d.post else {
        return Verdict {
            bug: d.bug,
            rule: rule.name.to_string(),
            fires: false,
            reason: d.reason,
            action: None,
        };
    };
    let push = ctx.push(d.bug);
    // The comment goes on `push`: it names only the other pushes its
    // readers may see, and counts the rest.
    let audience = Audience::of_bug(push.map(|p| p.groups.as_slice()).unwrap_or_default());
    let named = ctx.restrictions.name(&audience, &post.others);
    let others: Vec<minijinja::Value> = named.shown.iter().filter_map(|id| ctx.view(*id)).collect();
    let parts = std::iter::once((post.template, post.extras)).chain(post.sections);
    let rendered = parts
        .map(|(template, extras)| match (push, ctx.view(d.bug)) {
            (Some(_), Some(bug)) => {
                let vars = context(
                    rule.name.as_str(),
                    bug,
                    others.clone(),
                    named.hidden,
                    extras,
                    ctx.tz,
                );
                ctx.templates
                    .get_template(&template_id(rule.name.as_str(), template))
                    .and_then(|t| t.render(vars))
                    .map_err(|e| format!("template `{template}` failed: {e}"))
            }
            _ => Err(format!("template `{template}` or bug missing")),
        })
        .collect::<Result<Vec<String>, String>>()
        .map(|mut texts| match texts.len() {
            1 => texts.remove(0),
            _ => texts
                .iter()
                .map(|t| t.trim_end())
                .collect::<Vec<_>>()
                .join("\n\n"),
        });
    match rendered {
        Ok(text) => Verdict {
            bug: d.bug,
            rule: rule.name.to_string(),
            fires: true,
            reason: d.reason,
            action: Some(Action {
                key: ActionKey::of(d.bug, Marker::rule(&rule.name, post.mark)),
                comment: Some(text),
                also: post
                    .also
                    .into_iter()
                    .map(|mark| ActionKey::of(d.bug, Marker::rule(&rule.name, mark)))
                    .collect(),
                private: false,
                update: BugUpdate {
                    flags: post.flags,
                    ..BugUpdate::default()
                },
                restricted: push.is_some_and(|p| !p.groups.is_empty()),
            }),
        },
        Err(problem) => Verdict {
            bug: d.bug,
            rule: rule.name.to_string(),
            fires: true,
            reason: format!("{}; but {problem} (fix the rule file)", d.reason),
            action: None,
        },
    }
}

#[cfg(test)]
pub(crate) mod testing;
