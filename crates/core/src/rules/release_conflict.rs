//! `release_conflict`: per ISO week in the team's time zone (and per day),
//! counts pushes by size class and tells each push about the limits it
//! breaks, once per problem; proposes the earliest slot that satisfies
//! every limit and the push window.
//!
//! Who counts: scheduled, not cancelled, not content-only pushes (content
//! changes "can go whenever"). A push already done still counts for its
//! week (it used the slot) but is never commented on, nor is a push whose
//! time has passed.
//!
//! **A problem** is one limit broken in one week or on one day, named by
//! its key ([`ProblemKey`]): `2026-W49.large` (large releases per week),
//! `2026-W49.small`, `2026-W49.total` (large and small together),
//! `2026-12-01.day` (releases on one day) and `2026-12-01.mixed` (a large
//! and a small release on one day). A push is *counted in* a problem when
//! the limit counts it: the large pushes of the week for `large`, the
//! small ones for `small`, every counted push of the week for `total`, of
//! the day for `day` and `mixed`. A push is told only the problems it is
//! counted in: a small push hears nothing of the large limit, but of the
//! total limit when the week is over it. [`analyse`] computes the problems
//! and who is counted in each, once per evaluation; the comments, the
//! week view and the summary ([`findings`]) all read it.
//!
//! **Markers.** A comment carries one marker line per problem it tells
//! (the first is the action's key, the others ride in `Action::also`):
//! `[pushbot release-conflict 2026-W49.large]`. The key holds no count
//! and no bug: three large releases becoming four is the same problem,
//! and the bugs already told hear nothing; a push newly counted in it was
//! never told, so it gets the full comment.
//!
//! **Resolved.** When a bug was told a problem and is no longer counted
//! in it (a push moved out of the week or was cancelled, the limit was
//! raised, the bug itself moved or lost its date), the bug gets one short
//! note from the `resolved` template, marked `2026-W49.large.resolved`
//! (in the same comment as a new conflict when there is one). No note
//! once the problem's week or day is over (a push that shipped resolves
//! nothing), and none on a bug that is done, cancelled or past its push
//! time. A problem that comes back after its resolved note is a new
//! generation, told again: `2026-W49.large.2`, resolved
//! `2026-W49.large.2.resolved`, and so on. A problem is "told" on a bug
//! while its latest generation's marker stands without that
//! generation's resolved marker.
//!
//! **Older markers.** Before problems had keys, the marker named the week
//! and the other bugs (`2026-W49:802-803`, `2026-W49:802-r1`, or a bare
//! `2026-W49`). Such a marker counts as having told every problem of that
//! week (its days included) that the bug is counted in and that has no
//! per-problem marker on it yet. When the bug is counted in none of that
//! week's problems any more, it gets one resolved note marked
//! `2026-W49.resolved`, after which the old marker counts for nothing (a
//! later problem is told afresh).
//!
//! **Naming.** A comment names the other pushes counted in the problems
//! it tells, at most `max_named` of them (lowest bug ids first), then says
//! how many more there are (`more_others`) and links the week view
//! (`week_url`) when `[web] public_url` is set. A restricted push (in a
//! security group) counts like any other but is named only on a bug whose
//! readers may see it ([`crate::redact`]); elsewhere it is counted: "and 1
//! restricted push". Markers and reasons name no bug.
//!
//! **Cost.** The problems are computed once per evaluation, each with one
//! shared list of its bugs. Per bug the rule looks only at its own
//! problems (at most four): their first `max_named` visible bugs, the
//! restricted pushes among them, a count from per-week tallies, and the
//! slot from the same tallies. Nothing per bug walks the whole week, so a
//! week of 1,000 pushes costs about ten times one of 100. Pure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Ctx, Decision, Finding, ParamError, Post};
use crate::bugzilla::BugId;
use crate::clock::{self, IsoWeekId};
use crate::plan::marker::ConflictMark;
pub use crate::plan::marker::{Limit, Period, ProblemKey};
use crate::plan::{RuleMark, RuleName};
use crate::push::{PushBug, PushStatus, SeenMarker, SizeClass};
use crate::redact::{restricted_pushes, Audience};

/// Templates: `comment` (variables: `week`; `problems`, the problems told
/// now, as sentences; `others`, the other pushes counted in them that the
/// bug's readers may see, at most `max_named`; `more_others`, how many
/// more of those there are; `week_url`, the week view's page of the week
/// or none; `restricted_others`, how many more are involved that the
/// readers may not see; `slot`, the proposed time in team time or none;
/// `window`, the push window in words) and `resolved` (`resolved`, the
/// problems the bug is no longer counted in, as sentences; `still`, the
/// problems it is still counted in and was already told).
pub const TEMPLATES: &[&str] = &["comment", "resolved"];

/// `[params]` of a `release_conflict` rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Large releases (AMO, SUMO) per ISO week, at most. Default: 1.
    pub max_large_per_week: u32,
    /// Small releases (Personas, Input) per ISO week, at most. Default: 2.
    pub max_small_per_week: u32,
    /// Large and small releases together per ISO week, at most. Default: 3.
    pub max_per_week: u32,
    /// Releases on one local day, at most. Default: 2.
    pub max_per_day: u32,
    /// Whether a large and a small release may share a day. Default: false.
    pub allow_large_and_small_same_day: bool,
    /// How many weeks ahead to look for a free slot. Default: 8.
    pub slot_search_weeks: u32,
    /// How many other pushes a comment names, at most; the rest are "and
    /// 7 more". Default: 5.
    pub max_named: u32,
    /// The week view's public address (`[web] public_url`), set by
    /// [`crate::rules::RuleSet::with_week_view`]; not a rule-file key.
    #[serde(skip)]
    pub week_view_url: Option<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_large_per_week: 1,
            max_small_per_week: 2,
            max_per_week: 3,
            max_per_day: 2,
            allow_large_and_small_same_day: false,
            slot_search_weeks: 8,
            max_named: 5,
            week_view_url: None,
        }
    }
}

pub fn validate(p: &Params) -> Result<(), ParamError> {
    if p.max_per_week == 0 {
        return Err(ParamError::new(
            "max_per_week",
            "must be at least 1, or no push could ever go out",
        ));
    }
    if p.max_per_day == 0 {
        return Err(ParamError::new(
            "max_per_day",
            "must be at least 1, or no push could ever go out",
        ));
    }
    if p.slot_search_weeks == 0 || p.slot_search_weeks > 52 {
        return Err(ParamError::new(
            "slot_search_weeks",
            "must be between 1 and 52",
        ));
    }
    if p.max_named > 100 {
        return Err(ParamError::new(
            "max_named",
            "must be at most 100, so that a comment stays readable (the rest are \"and N more\")",
        ));
    }
    Ok(())
}

pub(crate) fn sample_extras() -> Value {
    json!({
        "week": "2026-W49",
        "problems": ["2 large releases in 2026-W49 (limit 1)"],
        "more_others": 7,
        "week_url": "https://pushbot.example.org/week/2026-W49",
        "slot": "Tue 2026-12-08 16:00 PST",
        "window": "Tue, Thu (Wed if needed), 16:00–23:59 local time",
        "resolved": ["more large releases in 2026-W49 than allowed (1)"],
        "still": ["4 releases in 2026-W49 (limit 3)"],
    })
}

/// One counted push: its bug, local date and size (large or small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub bug: BugId,
    pub date: NaiveDate,
    pub size: SizeClass,
}

/// `2026-W49`, as every report names a week ([`IsoWeekId`]).
fn week_label(week: IsoWeekId) -> String {
    week.to_string()
}

/// The problem without its count, for the resolved note: "more large
/// releases in 2026-W49 than allowed (1)".
fn describe(key: &ProblemKey, p: &Params) -> String {
    let period = key.period;
    match key.limit {
        Limit::Large => format!(
            "more large releases in {period} than allowed ({})",
            p.max_large_per_week
        ),
        Limit::Small => format!(
            "more small releases in {period} than allowed ({})",
            p.max_small_per_week
        ),
        Limit::Total => format!(
            "more releases in {period} than allowed ({})",
            p.max_per_week
        ),
        Limit::Day => format!("more releases on {period} than allowed ({})", p.max_per_day),
        Limit::Mixed => format!("a large and a small release on the same day ({period})"),
    }
}

/// One limit broken in one week or on one day, and the bugs it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: ProblemKey,
    /// With the count: "2 large releases in 2026-W49 (limit 1)".
    pub text: String,
    /// The bugs counted against the limit (the large ones for `large`),
    /// ascending. Shared with the week report's findings.
    pub bugs: Arc<[BugId]>,
    /// The (weekday, size) cells of its week the limit counts ([`cell`]).
    cells: u16,
}

/// Cells of a week: weekday (Monday first) × size (large, small).
const CELLS: usize = 14;
const LARGE_CELLS: u16 = 0b01_0101_0101_0101;
const SMALL_CELLS: u16 = 0b10_1010_1010_1010;
const ALL_CELLS: u16 = 0b11_1111_1111_1111;

/// The cell of a push on `date` of `size` (large or small).
fn cell(date: NaiveDate, size: SizeClass) -> usize {
    date.weekday().num_days_from_monday() as usize * 2 + usize::from(size == SizeClass::Small)
}

fn day_cells(date: NaiveDate) -> u16 {
    0b11 << (2 * date.weekday().num_days_from_monday())
}

/// Every problem of a set of entries and who is counted in each: the one
/// computation behind the comments, the week view and the summary.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Week problems first (by week: large, small, total), then day
    /// problems (by day: mixed, day).
    pub problems: Vec<Problem>,
    /// The problems each bug is counted in, as indices into `problems`.
    of_bug: HashMap<BugId, Vec<usize>>,
    /// How many counted pushes each week holds, per [`cell`].
    weeks: HashMap<IsoWeekId, [usize; CELLS]>,
    /// Each counted bug's entry.
    counted: HashMap<BugId, Entry>,
}

impl Analysis {
    /// The problems `bug` is counted in, in `problems` order.
    pub fn problems_of(&self, bug: BugId) -> impl Iterator<Item = &Problem> + '_ {
        self.indices_of(bug).iter().map(|i| &self.problems[*i])
    }

    fn indices_of(&self, bug: BugId) -> &[usize] {
        self.of_bug.get(&bug).map(Vec::as_slice).unwrap_or_default()
    }

    /// How many distinct pushes the problems at `indices` count together
    /// (they are of one week: a bug's problems are): the pushes of the
    /// cells any of them counts.
    fn union_count(&self, indices: &[usize]) -> usize {
        let Some(first) = indices.first() else {
            return 0;
        };
        let mask = indices
            .iter()
            .fold(0u16, |m, i| m | self.problems[*i].cells);
        let week = self.problems[*first].key.period.week();
        let Some(cells) = self.weeks.get(&week) else {
            return 0;
        };
        (0..CELLS)
            .filter(|c| mask & (1 << c) != 0)
            .map(|c| cells[c])
            .sum()
    }

    /// Whether `bug`, moved to `date` as a push of `size`, would be
    /// counted in no problem, the other pushes staying where they are:
    /// the week's and the day's tallies without the bug, plus the trial.
    pub fn fits(&self, p: &Params, bug: BugId, date: NaiveDate, size: SizeClass) -> bool {
        if size == SizeClass::ContentOnly {
            return true;
        }
        let week = IsoWeekId::of_date(date);
        let mut cells = self.weeks.get(&week).copied().unwrap_or([0; CELLS]);
        if let Some(own) = self.counted.get(&bug) {
            if IsoWeekId::of_date(own.date) == week {
                let c = cell(own.date, own.size);
                cells[c] = cells[c].saturating_sub(1);
            }
        }
        cells[cell(date, size)] += 1;
        let large: usize = cells.iter().step_by(2).sum();
        let small: usize = cells.iter().skip(1).step_by(2).sum();
        let d = 2 * date.weekday().num_days_from_monday() as usize;
        let (day_large, day_small) = (cells[d], cells[d + 1]);
        let over_size = match size {
            SizeClass::Large => large > p.max_large_per_week as usize,
            _ => small > p.max_small_per_week as usize,
        };
        let over = over_size
            || large + small > p.max_per_week as usize
            || day_large + day_small > p.max_per_day as usize
            || (!p.allow_large_and_small_same_day && day_large > 0 && day_small > 0);
        !over
    }
}

/// Every week and day over the limits among `entries`, and who is counted
/// in each. Content-only entries are ignored; a bug listed twice counts
/// once (its first entry).
pub fn analyse(p: &Params, entries: &[Entry]) -> Analysis {
    let mut counted: HashMap<BugId, Entry> = HashMap::with_capacity(entries.len());
    for e in entries.iter().filter(|e| e.size != SizeClass::ContentOnly) {
        counted.entry(e.bug).or_insert(*e);
    }
    let mut by_week: BTreeMap<IsoWeekId, Vec<Entry>> = BTreeMap::new();
    for e in counted.values() {
        by_week
            .entry(IsoWeekId::of_date(e.date))
            .or_default()
            .push(*e);
    }
    let mut weeks = HashMap::with_capacity(by_week.len());
    let mut problems = Vec::new();
    let mut day_problems = Vec::new();
    let ids = |members: &[&Entry], size: Option<SizeClass>| -> Arc<[BugId]> {
        members
            .iter()
            .filter(|e| size.is_none_or(|s| e.size == s))
            .map(|e| e.bug)
            .collect()
    };
    for (week, mut members) in by_week {
        members.sort_by_key(|e| e.bug);
        let members: Vec<&Entry> = members.iter().collect();
        let mut cells = [0usize; CELLS];
        for e in &members {
            cells[cell(e.date, e.size)] += 1;
        }
        weeks.insert(week, cells);
        let label = week_label(week);
        let large = members
            .iter()
            .filter(|e| e.size == SizeClass::Large)
            .count();
        let small = members.len() - large;
        let key = |limit| ProblemKey {
            period: Period::Week(week),
            limit,
        };
        if large > p.max_large_per_week as usize {
            problems.push(Problem {
                key: key(Limit::Large),
                text: format!(
                    "{large} large releases in {label} (limit {})",
                    p.max_large_per_week
                ),
                bugs: ids(&members, Some(SizeClass::Large)),
                cells: LARGE_CELLS,
            });
        }
        if small > p.max_small_per_week as usize {
            problems.push(Problem {
                key: key(Limit::Small),
                text: format!(
                    "{small} small releases in {label} (limit {})",
                    p.max_small_per_week
                ),
                bugs: ids(&members, Some(SizeClass::Small)),
                cells: SMALL_CELLS,
            });
        }
        if members.len() > p.max_per_week as usize {
            problems.push(Problem {
                key: key(Limit::Total),
                text: format!(
                    "{} releases in {label} (limit {})",
                    members.len(),
                    p.max_per_week
                ),
                bugs: ids(&members, None),
                cells: ALL_CELLS,
            });
        }
        let mut by_day: BTreeMap<NaiveDate, Vec<&Entry>> = BTreeMap::new();
        for e in &members {
            by_day.entry(e.date).or_default().push(e);
        }
        for (day, members) in by_day {
            let large = members
                .iter()
                .filter(|e| e.size == SizeClass::Large)
                .count();
            let small = members.len() - large;
            let key = |limit| ProblemKey {
                period: Period::Day(day),
                limit,
            };
            if large > 0 && small > 0 && !p.allow_large_and_small_same_day {
                day_problems.push(Problem {
                    key: key(Limit::Mixed),
                    text: format!("a large and a small release on the same day ({day})"),
                    bugs: ids(&members, None),
                    cells: day_cells(day),
                });
            }
            if members.len() > p.max_per_day as usize {
                day_problems.push(Problem {
                    key: key(Limit::Day),
                    text: format!(
                        "{} releases on {day} (limit {})",
                        members.len(),
                        p.max_per_day
                    ),
                    bugs: ids(&members, None),
                    cells: day_cells(day),
                });
            }
        }
    }
    problems.extend(day_problems);
    let mut of_bug: HashMap<BugId, Vec<usize>> = HashMap::new();
    for (i, problem) in problems.iter().enumerate() {
        for bug in problem.bugs.iter() {
            of_bug.entry(*bug).or_default().push(i);
        }
    }
    Analysis {
        problems,
        of_bug,
        weeks,
        counted,
    }
}

/// The counted entries of `pushes`: scheduled, not cancelled, not
/// content-only (a done push still used its slot).
pub fn entries(pushes: &[PushBug], tz: chrono_tz::Tz) -> Vec<Entry> {
    pushes
        .iter()
        .filter(|push| !matches!(push.status, PushStatus::Cancelled { .. }))
        .filter(|push| push.size != SizeClass::ContentOnly)
        .filter_map(|push| {
            push.at().map(|at| Entry {
                bug: push.id,
                date: clock::local_date(at, tz),
                size: push.size,
            })
        })
        .collect()
}

/// What the week report and the summary show: for every bug, one finding
/// per problem it is counted in, with the bugs that problem counts ("2
/// large releases in 2026-W49 (limit 1)", bugs 802 and 803; the report
/// names them for its audience). The same problems, on the same bugs, as
/// the comments tell ([`analyse`]); a small push is not shown under the
/// large limit. Holds whether or not the bot already commented, and for
/// past and done pushes too: it describes the plan, it does not decide a
/// comment.
pub fn findings(
    p: &Params,
    pushes: &[PushBug],
    tz: chrono_tz::Tz,
) -> BTreeMap<BugId, Vec<Finding>> {
    let analysis = analyse(p, &entries(pushes, tz));
    let mut out: BTreeMap<BugId, Vec<Finding>> = BTreeMap::new();
    for problem in &analysis.problems {
        let finding = Finding {
            text: problem.text.clone(),
            bugs: Arc::clone(&problem.bugs),
        };
        for bug in problem.bugs.iter() {
            out.entry(*bug).or_default().push(finding.clone());
        }
    }
    out
}

/// The earliest window slot where `bug` (of `size`) would be counted in
/// no problem, the others staying where they are. It is after `now` and
/// not before the day the push is planned for (a release is rarely ready
/// sooner). Usual push days first; an if-needed day only when the usual
/// days of that week do not fit. Each trial reads the week's and the
/// day's tallies ([`Analysis::fits`]): no pass over the week's pushes.
fn propose(
    p: &Params,
    ctx: &Ctx<'_>,
    analysis: &Analysis,
    bug: BugId,
    size: SizeClass,
    planned: NaiveDate,
) -> Option<DateTime<Utc>> {
    let window = &ctx.settings.window;
    let today = ctx.now.today(ctx.tz).max(planned);
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    for w in 0..i64::from(p.slot_search_weeks) {
        let week_start = monday + Duration::weeks(w);
        for days in [&window.days, &window.if_needed_days] {
            for d in 0..7 {
                let date = week_start + Duration::days(d);
                // The tallies first: they are cheaper than the time zone.
                if date < today
                    || !days.contains(&date.weekday())
                    || !analysis.fits(p, bug, date, size)
                {
                    continue;
                }
                let Ok((at, _)) =
                    clock::local_to_utc(NaiveDateTime::new(date, window.not_before.0), ctx.tz)
                else {
                    continue;
                };
                if ctx.now.is_before(at) {
                    return Some(at);
                }
            }
        }
    }
    None
}

/// A problem's generations as the bug's markers tell them.
#[derive(Debug, Clone, Copy, Default)]
struct Generations<'a> {
    /// The latest generation told (0: never).
    told: u32,
    /// Its marker.
    marker: Option<&'a SeenMarker>,
    /// The latest generation resolved (0: never).
    resolved: u32,
}

impl Generations<'_> {
    /// Told, and not resolved since.
    fn holds(&self) -> bool {
        self.told > self.resolved
    }

    fn next(&self) -> u32 {
        self.told.max(self.resolved) + 1
    }

    fn never(&self) -> bool {
        self.told == 0 && self.resolved == 0
    }
}

/// What the bot already told one bug: per problem, and per week for
/// older markers.
#[derive(Debug, Default)]
struct Told<'a> {
    problems: BTreeMap<ProblemKey, Generations<'a>>,
    /// Weeks with an older marker: its marker, and whether its resolved
    /// note was posted.
    legacy: BTreeMap<IsoWeekId, (Option<&'a SeenMarker>, bool)>,
}

impl<'a> Told<'a> {
    fn read(push: &'a PushBug, rule: &'a RuleName) -> Told<'a> {
        let mut told = Told::default();
        for (mark, m) in push.said_by(rule) {
            let RuleMark::Conflict(mark) = mark else {
                continue;
            };
            match mark {
                ConflictMark::Told {
                    problem,
                    generation,
                } => {
                    let g = told.problems.entry(*problem).or_default();
                    if *generation >= g.told {
                        g.told = *generation;
                        g.marker = Some(m);
                    }
                }
                ConflictMark::Resolved {
                    problem,
                    generation,
                } => {
                    let g = told.problems.entry(*problem).or_default();
                    g.resolved = g.resolved.max(*generation);
                }
                ConflictMark::LegacyWeek { week, .. } => {
                    told.legacy.entry(*week).or_default().0 = Some(m);
                }
                ConflictMark::LegacyResolved(week) => {
                    told.legacy.entry(*week).or_default().1 = true;
                }
            }
        }
        told
    }

    /// The older marker of `week`, while its resolved note is not posted.
    fn legacy(&self, week: IsoWeekId) -> Option<&'a SeenMarker> {
        match self.legacy.get(&week) {
            Some((Some(m), false)) => Some(m),
            _ => None,
        }
    }
}

/// The other pushes a comment is about, as its bug's readers may know
/// them.
#[derive(Debug, Default)]
struct Involved {
    /// Named: visible to the readers, lowest ids first, at most
    /// `max_named`.
    shown: Vec<BugId>,
    /// Visible but not named.
    more: usize,
    /// Not visible to the readers: counted only.
    hidden: Vec<BugId>,
}

impl Involved {
    /// `bug 802, bug 803 and 7 more and 1 restricted push`.
    fn words(&self) -> String {
        let names: Vec<String> = self.shown.iter().map(|b| format!("bug {b}")).collect();
        let mut tail = Vec::new();
        if self.more > 0 {
            tail.push(format!("{} more", self.more));
        }
        if !self.hidden.is_empty() {
            tail.push(restricted_pushes(self.hidden.len()));
        }
        match (names.is_empty(), tail.is_empty()) {
            (_, true) => names.join(", "),
            (true, false) => tail.join(" and "),
            (false, false) => format!("{} and {}", names.join(", "), tail.join(" and ")),
        }
    }
}

/// Per evaluation: the analysis and, per problem, its restricted pushes
/// (few: only those are checked against each bug's readers).
struct Week<'a> {
    p: &'a Params,
    rule: &'a RuleName,
    analysis: Analysis,
    restricted_of: Vec<Vec<BugId>>,
    today: NaiveDate,
    /// The push window in words, for every comment (made once).
    window: String,
}

impl Week<'_> {
    /// The other pushes counted in the problems at `told_now` (all of
    /// `bug`'s): a merge of their sorted lists up to `max_named` visible
    /// ones, the restricted ones among them, the rest counted from the
    /// week's tallies.
    fn involved(
        &self,
        ctx: &Ctx<'_>,
        bug: BugId,
        audience: &Audience,
        told_now: &[usize],
    ) -> Involved {
        let lists: Vec<&[BugId]> = told_now
            .iter()
            .map(|i| &self.analysis.problems[*i].bugs[..])
            .collect();
        let mut restricted: Vec<BugId> = told_now
            .iter()
            .flat_map(|i| self.restricted_of[*i].iter().copied())
            .filter(|b| *b != bug)
            .collect();
        restricted.sort_unstable();
        restricted.dedup();
        let hidden: Vec<BugId> = restricted
            .into_iter()
            .filter(|b| !ctx.restrictions.visible(audience, *b))
            .collect();
        let mut shown = Vec::new();
        let mut at = vec![0usize; lists.len()];
        let limit = self.p.max_named as usize;
        while shown.len() < limit {
            let Some(next) = lists
                .iter()
                .zip(&at)
                .filter_map(|(list, i)| list.get(*i))
                .min()
                .copied()
            else {
                break;
            };
            for (list, i) in lists.iter().zip(at.iter_mut()) {
                if list.get(*i) == Some(&next) {
                    *i += 1;
                }
            }
            if next != bug && hidden.binary_search(&next).is_err() {
                shown.push(next);
            }
        }
        let others = self.analysis.union_count(told_now).saturating_sub(1);
        let more = others.saturating_sub(hidden.len() + shown.len());
        Involved {
            shown,
            more,
            hidden,
        }
    }
}

pub(crate) fn decide(p: &Params, rule: &RuleName, ctx: &Ctx<'_>) -> Vec<Decision> {
    let analysis = analyse(p, &entries(ctx.pushes, ctx.tz));
    let restricted: HashSet<BugId> = ctx
        .pushes
        .iter()
        .filter(|push| !push.groups.is_empty())
        .map(|push| push.id)
        .collect();
    let restricted_of = analysis
        .problems
        .iter()
        .map(|problem| match restricted.is_empty() {
            true => Vec::new(),
            false => problem
                .bugs
                .iter()
                .filter(|b| restricted.contains(b))
                .copied()
                .collect(),
        })
        .collect();
    let week = Week {
        p,
        rule,
        analysis,
        restricted_of,
        today: ctx.now.today(ctx.tz),
        window: ctx.settings.window.describe(),
    };
    ctx.pushes
        .iter()
        .map(|push| decide_one(&week, ctx, push))
        .collect()
}

/// `[pushbot RULE KEY] in comment N at T`.
fn said(m: &SeenMarker) -> String {
    format!(
        "{} in comment {} at {}",
        m.marker,
        m.comment,
        m.at.to_rfc3339()
    )
}

fn decide_one(week: &Week<'_>, ctx: &Ctx<'_>, push: &PushBug) -> Decision {
    let (p, rule, analysis) = (week.p, week.rule, &week.analysis);
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    if let PushStatus::Cancelled { resolution } = &push.status {
        return quiet(format!("cancelled ({resolution}); not counted"));
    }
    let at = push.at();
    let not_counted = if push.size == SizeClass::ContentOnly {
        Some("content-only changes are exempt and not counted")
    } else if at.is_none() {
        Some("no push date; not counted")
    } else {
        None
    };
    let week_of = at.map(|at| IsoWeekId::of_date(clock::local_date(at, ctx.tz)).to_string());
    if push.status == PushStatus::Done {
        return quiet(match (not_counted, &week_of) {
            (None, Some(w)) => format!("done; still counted for {w}"),
            (reason, _) => reason.unwrap_or("done").to_string(),
        });
    }
    if at.is_some_and(|at| ctx.now.is_after(at)) {
        return quiet(
            not_counted
                .unwrap_or("the push time has passed")
                .to_string(),
        );
    }
    let current = analysis.indices_of(push.id);
    let told = Told::read(push, rule);
    // What is new to the bug, and what it was already told.
    let mut new: Vec<(usize, u32)> = Vec::new();
    let mut already: Vec<&SeenMarker> = Vec::new();
    for &i in current {
        let key = analysis.problems[i].key;
        let generations = told.problems.get(&key).copied().unwrap_or_default();
        if generations.holds() {
            already.extend(generations.marker);
        } else if let Some(m) = told
            .legacy(key.period.week())
            .filter(|_| generations.never())
        {
            already.push(m);
        } else {
            new.push((i, generations.next()));
        }
    }
    // What the bug was told and is no longer counted in, while its week
    // or day is not over.
    let counted_in = |key: &ProblemKey| current.iter().any(|i| analysis.problems[*i].key == *key);
    let mut resolved: Vec<(RuleMark, String)> = Vec::new();
    for (key, generations) in &told.problems {
        if generations.holds() && !counted_in(key) && key.period.last_day() >= week.today {
            let mark = ConflictMark::Resolved {
                problem: *key,
                generation: generations.told,
            };
            resolved.push((RuleMark::Conflict(mark), describe(key, p)));
        }
    }
    for iso in told.legacy.keys() {
        let in_week = current
            .iter()
            .any(|i| analysis.problems[*i].key.period.week() == *iso);
        if told.legacy(*iso).is_some() && !in_week && Period::Week(*iso).last_day() >= week.today {
            resolved.push((
                RuleMark::Conflict(ConflictMark::LegacyResolved(*iso)),
                format!("the release conflict in {}", week_label(*iso)),
            ));
        }
    }
    let still: Vec<&str> = current
        .iter()
        .filter(|i| !new.iter().any(|(n, _)| n == *i))
        .map(|i| analysis.problems[*i].text.as_str())
        .collect();
    let resolved_section = (!resolved.is_empty()).then(|| {
        (
            "resolved",
            json!({
                "resolved": resolved.iter().map(|(_, text)| text).collect::<Vec<_>>(),
                "still": still,
            }),
        )
    });
    let resolved_words = resolved
        .iter()
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("; ");

    if new.is_empty() {
        let Some(section) = resolved_section else {
            if !already.is_empty() {
                // By comment, then as the markers read (a day's problem
                // before a week's).
                already.sort_by_cached_key(|m| (m.comment, m.marker.discriminator()));
                already.dedup_by(|a, b| a.comment == b.comment && a.marker == b.marker);
                let list: Vec<String> = already.iter().map(|m| said(m)).collect();
                return quiet(format!("already said ({})", list.join("; ")));
            }
            return quiet(match (not_counted, week_of) {
                (None, Some(w)) => format!("within the limits for {w}"),
                (reason, _) => reason.unwrap_or("not counted").to_string(),
            });
        };
        let mut markers = resolved.into_iter().map(|(marker, _)| marker);
        let Some(mark) = markers.next() else {
            return quiet("nothing to resolve".to_string());
        };
        return Decision::fire(
            push.id,
            format!("no longer counted in: {resolved_words}"),
            Post {
                extras: section.1,
                also: markers.collect(),
                ..Post::new(section.0, mark)
            },
        );
    }

    // A conflict to tell (and perhaps resolved notes with it): the bug is
    // counted and scheduled in the future here.
    let (Some(at), Some(week_label)) = (at, week_of) else {
        return quiet("no push date; not counted".to_string());
    };
    let told_now: Vec<usize> = new.iter().map(|(i, _)| *i).collect();
    let audience = Audience::of_bug(&push.groups);
    let involved = week.involved(ctx, push.id, &audience, &told_now);
    let planned = clock::local_date(at, ctx.tz);
    let slot = propose(p, ctx, analysis, push.id, push.size, planned);
    let problems: Vec<&str> = told_now
        .iter()
        .map(|i| analysis.problems[*i].text.as_str())
        .collect();
    let mut reason = format!("{} (with {})", problems.join("; "), involved.words());
    reason.push_str(&format!(
        "; proposed slot: {}",
        slot.map(|s| clock::format_local(s, ctx.tz))
            .unwrap_or_else(|| "none in reach".to_string())
    ));
    if !resolved.is_empty() {
        reason.push_str(&format!("; no longer counted in: {resolved_words}"));
    }
    let mut markers: Vec<RuleMark> = new
        .iter()
        .map(|(i, generation)| {
            RuleMark::Conflict(ConflictMark::Told {
                problem: analysis.problems[*i].key,
                generation: *generation,
            })
        })
        .collect();
    markers.extend(resolved.into_iter().map(|(marker, _)| marker));
    let mark = markers.remove(0);
    let week_url = p
        .week_view_url
        .as_ref()
        .map(|base| format!("{base}/week/{week_label}"));
    // `render` names the shown ones and counts the hidden ones (none of
    // which the bug's readers may see).
    let mut others = involved.shown;
    others.extend(involved.hidden);
    Decision::fire(
        push.id,
        reason,
        Post {
            extras: json!({
                "week": week_label,
                "problems": problems,
                "more_others": involved.more,
                "week_url": week_url,
                "slot": slot.map(|s| clock::format_local(s, ctx.tz)),
                "window": week.window,
            }),
            others,
            also: markers,
            sections: resolved_section.into_iter().collect(),
            ..Post::new("comment", mark)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::SizeClass::{ContentOnly, Large, Small};
    use crate::rules::testing::*;
    use crate::rules::{RuleSet, Verdict};
    use proptest::prelude::*;

    const RESOLVED: &str =
        "resolved = \"resolved: {{ resolved | join('; ') }} | still: {{ still | join('; ') }}\"";

    fn rules_with(params: &str) -> RuleSet {
        rule_set(
            "release-conflict",
            "release_conflict",
            &format!(
                "[params]\n{params}\n[templates]\ncomment = \"{{{{ problems | join('; ') }}}} | others: {{% for o in others %}}{{{{ o.id }}}} {{% endfor %}}| more: {{{{ more_others }}}} {{{{ week_url }}}} | slot: {{{{ slot }}}}\"\n{RESOLVED}"
            ),
        )
    }

    fn rules() -> RuleSet {
        rules_with("")
    }
    const NOW: &str = "2026-11-26T12:00:00Z";

    fn push(id: u64, local: &str, size: SizeClass) -> PushBug {
        PushBuilder::new(id).at(local).size(size).build()
    }

    fn fired(verdicts: &[Verdict]) -> Vec<u64> {
        verdicts
            .iter()
            .filter(|v| v.fires)
            .map(|v| v.bug.0)
            .collect()
    }

    /// Every marker of the verdict's action: its key, then `also`.
    fn markers(v: &Verdict) -> Vec<String> {
        v.action
            .iter()
            .flat_map(|a| a.keys())
            .map(|k| k.mark.discriminator())
            .collect()
    }

    fn verdict(verdicts: &[Verdict], bug: u64) -> &Verdict {
        verdicts.iter().find(|v| v.bug.0 == bug).unwrap()
    }

    /// The pushes after the bot posted every action of `verdicts`: their
    /// markers read back, as the next cycle sees them.
    fn told(pushes: &[PushBug], verdicts: &[Verdict], at: &str) -> Vec<PushBug> {
        pushes
            .iter()
            .map(|push| {
                let mut b = PushBuilder::from(push.clone());
                for v in verdicts.iter().filter(|v| v.bug == push.id) {
                    for m in markers(v) {
                        b = b.marker("release-conflict", &m, at);
                    }
                }
                b.build()
            })
            .collect()
    }

    #[test]
    fn two_large_in_a_week_tells_both_names_the_other_and_proposes_a_slot() {
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        let action = v[0].action.clone().unwrap();
        assert_eq!(
            action.key.marker(),
            "[pushbot release-conflict 2026-W49.large]"
        );
        assert!(action.also.is_empty());
        assert_eq!(
            action.comment.as_deref(),
            Some("2 large releases in 2026-W49 (limit 1) | others: 2 | more: 0 None | slot: Tue 2026-12-08 16:00 PST")
        );
    }

    #[test]
    fn a_small_push_is_told_only_the_limits_it_counts_in() {
        // The meeting's week: two large, two small. The large limit counts
        // 1 and 2, the total limit all four.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
            push(3, "2026-12-02 17:00", Small),
            push(4, "2026-12-03 17:00", Small),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2, 3, 4]);
        assert_eq!(markers(&v[0]), vec!["2026-W49.large", "2026-W49.total"]);
        assert_eq!(markers(&v[2]), vec!["2026-W49.total"]);
        let small = v[2].action.clone().unwrap().comment.unwrap();
        assert!(
            small.starts_with("4 releases in 2026-W49 (limit 3) |"),
            "{small}"
        );
        assert!(!small.contains("large"), "{small}");
        assert!(
            v[2].reason
                .starts_with("4 releases in 2026-W49 (limit 3) (with bug 1, bug 2, bug 4)"),
            "{}",
            v[2].reason
        );
        // The week view's findings put the same problems on the same bugs.
        let found = findings(&Params::default(), &pushes, LA);
        let texts = |bug: u64| -> Vec<String> {
            found[&BugId(bug)].iter().map(|f| f.text.clone()).collect()
        };
        assert_eq!(
            texts(1),
            vec![
                "2 large releases in 2026-W49 (limit 1)",
                "4 releases in 2026-W49 (limit 3)"
            ]
        );
        assert_eq!(texts(3), vec!["4 releases in 2026-W49 (limit 3)"]);
    }

    /// Bug 3 is in `security`, bug 4 in `legal`: both count everywhere,
    /// each is named only on bugs whose readers are in its group.
    fn with_restricted() -> Vec<PushBug> {
        vec![
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
            PushBuilder::new(3)
                .at("2026-12-02 16:00")
                .groups(&["security"])
                .build(),
            PushBuilder::new(4)
                .at("2026-12-03 18:00")
                .groups(&["legal"])
                .build(),
        ]
    }

    fn counting_rules() -> RuleSet {
        counting_rules_with("")
    }

    fn counting_rules_with(params: &str) -> RuleSet {
        rule_set(
            "release-conflict",
            "release_conflict",
            &format!("[params]\n{params}\n[templates]\ncomment = \"{{{{ problems | join('; ') }}}} | others: {{% for o in others %}}{{{{ o.id }}}} {{% endfor %}}| restricted: {{{{ restricted_others }}}}\"\n{RESOLVED}"),
        )
    }

    #[test]
    fn a_restricted_push_counts_but_is_named_only_where_its_groups_read() {
        let v = all(&counting_rules(), &with_restricted(), NOW);
        assert_eq!(fired(&v), vec![1, 2, 3, 4]);
        // Public bug 1: both restricted pushes counted, neither named.
        let action = v[0].action.clone().unwrap();
        assert_eq!(
            action.comment.as_deref(),
            Some("4 large releases in 2026-W49 (limit 1); 4 releases in 2026-W49 (limit 3) | others: 2 | restricted: 2")
        );
        assert_eq!(markers(&v[0]), vec!["2026-W49.large", "2026-W49.total"]);
        assert!(!action.restricted);
        assert!(
            v[0].reason.contains("(with bug 2 and 2 restricted pushes)"),
            "{}",
            v[0].reason
        );
        // Bug 3 (security): names the public pushes and itself is not
        // listed; bug 4 (legal) stays a count.
        let action = v[2].action.clone().unwrap();
        assert!(action.restricted);
        assert!(
            action
                .comment
                .as_deref()
                .unwrap()
                .ends_with("| others: 1 2 | restricted: 1"),
            "{:?}",
            action.comment
        );
        assert!(v[2]
            .reason
            .contains("(with bug 1, bug 2 and 1 restricted push)"));
        for verdict in [&v[0], &v[1], &v[3]] {
            let text = verdict.action.clone().unwrap().comment.unwrap();
            assert!(!text.contains(" 3 "), "{text}");
            assert!(!verdict.reason.contains("bug 3"), "{}", verdict.reason);
        }
        // Markers name problems, never bugs.
        for verdict in &v {
            for m in markers(verdict) {
                assert!(!m.contains(':'), "{m}");
            }
        }
    }

    #[test]
    fn one_more_restricted_push_in_a_problem_already_told_says_nothing_new() {
        // The total limit out of the way: the fourth push joins only the
        // large problem.
        let counting_rules = || counting_rules_with("max_per_week = 9");
        let mut pushes = with_restricted();
        pushes.truncate(3);
        let v = all(&counting_rules(), &pushes, NOW);
        let mut pushes = told(&pushes, &v, NOW);
        assert!(all(&counting_rules(), &pushes, NOW)
            .iter()
            .all(|v| !v.fires));
        // A second restricted push joins the week: only it hears of it.
        pushes.push(with_restricted()[3].clone());
        let v = all(&counting_rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![4]);
        assert!(v[0].reason.starts_with("already said"), "{}", v[0].reason);
        // A key written before problems had keys, naming bug 3 by id or
        // counting it: still said.
        for old in ["2026-W49:2-3", "2026-W49:2-r1", "2026-W49"] {
            let mut pushes = with_restricted();
            pushes.truncate(3);
            pushes[0] = PushBuilder::from(pushes[0].clone())
                .marker("release-conflict", old, NOW)
                .build();
            let v = all(&counting_rules(), &pushes, NOW);
            assert!(
                v[0].reason.starts_with("already said"),
                "{old}: {}",
                v[0].reason
            );
        }
    }

    #[test]
    fn findings_keep_the_bugs_apart_from_the_sentence() {
        let found = findings(&Params::default(), &with_restricted(), LA);
        let large = &found[&BugId(1)][0];
        assert_eq!(large.text, "4 large releases in 2026-W49 (limit 1)");
        assert_eq!(&large.bugs[..], &[BugId(1), BugId(2), BugId(3), BugId(4)]);
        let restrictions = crate::redact::Restrictions::of(&with_restricted());
        assert_eq!(
            large.words(&Audience::public(), &restrictions),
            "4 large releases in 2026-W49 (limit 1): bug 1, bug 2 and 2 restricted pushes"
        );
        assert_eq!(
            large.words(&Audience::trusted(), &restrictions),
            "4 large releases in 2026-W49 (limit 1): bug 1, bug 2, bug 3, bug 4"
        );
        // One list per problem, shared by every bug's finding.
        assert!(Arc::ptr_eq(
            &found[&BugId(1)][0].bugs,
            &found[&BugId(4)][0].bugs
        ));
    }

    #[test]
    fn the_proposed_slot_counts_the_pushes_already_in_that_week() {
        // W50 already holds a large push: bug 1 is offered W51, not W50.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
            push(3, "2026-12-10 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        let text = v[0].action.clone().unwrap().comment.unwrap();
        assert!(text.ends_with("slot: Tue 2026-12-15 16:00 PST"), "{text}");
    }

    #[test]
    fn the_slot_of_a_small_push_ignores_a_large_limit_it_would_not_count_in() {
        // W49 has two large pushes (a large problem) and two small ones on
        // Wednesday: small bug 3 may go on Thursday of the same week
        // (small 2, total 4 > 3: no). With the total limit at 5 it can.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-01 18:00", Large),
            push(3, "2026-12-02 16:00", Small),
            push(4, "2026-12-02 17:00", Small),
            push(5, "2026-12-02 18:00", Small),
        ];
        let v = all(&rules_with("max_per_week = 5"), &pushes, NOW);
        let three = verdict(&v, 3);
        // Wednesday holds three releases (limit 2) and three small ones in
        // the week (limit 2): bug 3 is counted in both.
        assert_eq!(markers(three), vec!["2026-W49.small", "2026-12-02.day"]);
        assert!(
            three
                .reason
                .ends_with("proposed slot: Tue 2026-12-08 16:00 PST"),
            "{}",
            three.reason
        );
        // Without bug 5 there is no small problem; moved to Thursday, bug 4
        // would fit, and 1 and 2 (large, Tuesday) do not concern it.
        let v = all(&rules_with("max_per_week = 5"), &pushes[..4], NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(markers(verdict(&v, 1)), vec!["2026-W49.large"]);
    }

    #[test]
    fn told_once_per_problem_and_resolved_once_when_it_no_longer_holds() {
        let rules = rules();
        let one = push(1, "2026-12-01 16:00", Large);
        let two = push(2, "2026-12-03 16:00", Large);
        let v = all(&rules, &[one.clone(), two.clone()], NOW);
        let pushes = told(&[one, two], &v, NOW);
        let (one, two) = (pushes[0].clone(), pushes[1].clone());
        // A third large push joins: the same problem, only it is told.
        let three = push(3, "2026-12-03 18:00", Large);
        let v = all(&rules, &[one.clone(), two.clone(), three.clone()], NOW);
        assert_eq!(fired(&v), vec![3]);
        assert!(v[0].reason.starts_with(
            "already said ([pushbot release-conflict 2026-W49.large] in comment 9000"
        ));
        assert_eq!(markers(&v[2]), vec!["2026-W49.large"]);
        let three = told(&[three], &v, NOW).remove(0);
        // Bug 2 leaves but bug 3 stays: bug 1 is still counted; bug 2 (now
        // in W50, alone) is no longer: one resolved note, for it only.
        let moved = PushBuilder::from(two.clone())
            .at("2026-12-08 16:00")
            .build();
        let v = all(&rules, &[one.clone(), moved.clone(), three.clone()], NOW);
        assert_eq!(fired(&v), vec![2]);
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.resolved"]);
        assert_eq!(
            v[1].action.clone().unwrap().comment.as_deref(),
            Some("resolved: more large releases in 2026-W49 than allowed (1) | still: ")
        );
        assert_eq!(
            v[1].reason,
            "no longer counted in: more large releases in 2026-W49 than allowed (1)"
        );
        let moved = told(&[moved], &v, NOW).remove(0);
        // Once: the next cycle says nothing.
        let v = all(&rules, &[one.clone(), moved.clone(), three.clone()], NOW);
        assert_eq!(fired(&v), Vec::<u64>::new());
        // Bug 3 is cancelled: bug 1 alone, resolved once; 3 gets nothing.
        let cancelled = PushBuilder::from(three.clone()).cancelled().build();
        let v = all(&rules, &[one.clone(), moved.clone(), cancelled], NOW);
        assert_eq!(fired(&v), vec![1]);
        assert_eq!(markers(&v[0]), vec!["2026-W49.large.resolved"]);
        let one = told(&[one], &v, NOW).remove(0);
        // Bug 2 comes back: the problem holds again, a new generation,
        // told to both; then resolved again with its own marker.
        let back = PushBuilder::from(moved).at("2026-12-03 16:00").build();
        let v = all(&rules, &[one.clone(), back.clone()], NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(markers(&v[0]), vec!["2026-W49.large.2"]);
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.2"]);
        let pushes = told(&[one, back], &v, NOW);
        assert!(all(&rules, &pushes, NOW).iter().all(|v| !v.fires));
        let gone = PushBuilder::from(pushes[1].clone()).cancelled().build();
        let v = all(&rules, &[pushes[0].clone(), gone], NOW);
        assert_eq!(markers(&v[0]), vec!["2026-W49.large.2.resolved"]);
    }

    #[test]
    fn a_raised_limit_resolves_and_a_move_into_a_full_week_tells_both_at_once() {
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        let pushes = told(&pushes, &v, NOW);
        let v = all(&rules_with("max_large_per_week = 2"), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(
            v[0].action.clone().unwrap().comment.as_deref(),
            Some("resolved: more large releases in 2026-W49 than allowed (2) | still: ")
        );
        // Bug 1 moves into W50, where bug 3 already is: in one comment,
        // the new problem and the old one resolved, each with its marker.
        let moved = PushBuilder::from(pushes[0].clone())
            .at("2026-12-08 16:00")
            .build();
        let three = push(3, "2026-12-10 16:00", Large);
        let v = all(&rules(), &[moved, pushes[1].clone(), three], NOW);
        assert_eq!(fired(&v), vec![1, 2, 3]);
        assert_eq!(
            markers(&v[0]),
            vec!["2026-W50.large", "2026-W49.large.resolved"]
        );
        assert_eq!(
            v[0].action.clone().unwrap().comment.as_deref(),
            Some("2 large releases in 2026-W50 (limit 1) | others: 3 | more: 0 None | slot: Tue 2026-12-15 16:00 PST\n\nresolved: more large releases in 2026-W49 than allowed (1) | still:")
        );
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.resolved"]);
    }

    #[test]
    fn no_resolved_note_once_the_week_or_day_is_over() {
        // Told on Tuesday of W49 about Wednesday (day limit, 3 pushes) and
        // the week; on Thursday one of them moves to W50: Wednesday is
        // over, the week is not.
        let p = "max_large_per_week = 9\nmax_small_per_week = 9\nmax_per_week = 3";
        let pushes = [
            push(1, "2026-12-02 16:00", Large),
            push(2, "2026-12-02 17:00", Large),
            push(3, "2026-12-02 18:00", Large),
            push(4, "2026-12-05 16:00", Large),
            push(5, "2026-12-05 17:00", Large),
        ];
        let v = all(&rules_with(p), &pushes, "2026-12-01T20:00:00Z");
        assert_eq!(markers(&v[3]), vec!["2026-W49.total"]);
        assert_eq!(markers(&v[0]), vec!["2026-W49.total", "2026-12-02.day"]);
        let pushes = told(&pushes, &v, "2026-12-01T20:00:00Z");
        // Thursday: bug 1 (not yet out: say it slipped to Saturday) and
        // bug 4 moves to next week.
        let thursday = "2026-12-03T20:00:00Z";
        let slipped = PushBuilder::from(pushes[0].clone())
            .at("2026-12-05 18:00")
            .build();
        let moved = PushBuilder::from(pushes[3].clone())
            .at("2026-12-08 16:00")
            .build();
        let v = all(
            &rules_with(p),
            &[
                slipped,
                pushes[1].clone(),
                pushes[2].clone(),
                moved,
                pushes[4].clone(),
            ],
            thursday,
        );
        // Bug 1: still in the week's total (four pushes), no longer on
        // Wednesday, which is over: nothing. Bug 4: out of W49, which is
        // not over: resolved. Bug 5: still counted.
        assert!(!verdict(&v, 1).fires, "{}", verdict(&v, 1).reason);
        assert!(!verdict(&v, 5).fires, "{}", verdict(&v, 5).reason);
        assert_eq!(markers(verdict(&v, 4)), vec!["2026-W49.total.resolved"]);
        // The next Monday W49 is over: a push leaving it resolves nothing.
        let pushes = [
            push(1, "2026-12-03 16:00", Large),
            PushBuilder::new(2)
                .at("2026-12-09 16:00")
                .marker("release-conflict", "2026-W49.large", NOW)
                .build(),
        ];
        let v = all(&rules(), &pushes, "2026-12-07T20:00:00Z");
        assert_eq!(fired(&v), Vec::<u64>::new());
    }

    #[test]
    fn an_older_week_marker_counts_as_told_and_is_resolved_once() {
        let one = PushBuilder::new(1)
            .at("2026-12-01 16:00")
            .marker("release-conflict", "2026-W49:2-3", NOW)
            .build();
        let two = push(2, "2026-12-03 16:00", Large);
        let v = all(&rules(), &[one.clone(), two.clone()], NOW);
        assert_eq!(fired(&v), vec![2]);
        assert!(
            v[0].reason.starts_with(
                "already said ([pushbot release-conflict 2026-W49:2-3] in comment 9000"
            ),
            "{}",
            v[0].reason
        );
        // Bug 2 moves out: bug 1 is in no problem of W49 any more.
        let moved = PushBuilder::from(told(&[two], &v, NOW).remove(0))
            .at("2026-12-08 16:00")
            .build();
        let v = all(&rules(), &[one.clone(), moved.clone()], NOW);
        assert_eq!(markers(&v[0]), vec!["2026-W49.resolved"]);
        assert_eq!(
            v[0].action.clone().unwrap().comment.as_deref(),
            Some("resolved: the release conflict in 2026-W49 | still: ")
        );
        let one = told(&[one], &v, NOW).remove(0);
        let moved = told(&[moved], &v, NOW).remove(0);
        assert!(all(&rules(), &[one.clone(), moved.clone()], NOW)
            .iter()
            .all(|v| !v.fires));
        // A new conflict in W49 later: told afresh, the old marker spent.
        let back = PushBuilder::from(moved).at("2026-12-03 16:00").build();
        let v = all(&rules(), &[one, back], NOW);
        assert_eq!(markers(&v[0]), vec!["2026-W49.large"]);
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.2"]);
    }

    #[test]
    fn a_comment_names_at_most_max_named_others_then_counts_and_links() {
        let pushes: Vec<PushBug> = (1..=9)
            .map(|i| push(i, &format!("2026-12-0{} 16:00", 1 + i % 3), Large))
            .collect();
        let rules = rules_with("max_named = 3\nmax_per_day = 9")
            .with_week_view(Some("https://pushbot.example.org/"));
        let v = all(&rules, &pushes, NOW);
        let text = v[0].action.clone().unwrap().comment.unwrap();
        assert_eq!(
            text,
            "9 large releases in 2026-W49 (limit 1); 9 releases in 2026-W49 (limit 3) | others: 2 3 4 | more: 5 https://pushbot.example.org/week/2026-W49 | slot: Tue 2026-12-08 16:00 PST"
        );
        assert!(
            v[0].reason
                .contains("(with bug 2, bug 3, bug 4 and 5 more)"),
            "{}",
            v[0].reason
        );
        let last = v[8].action.clone().unwrap().comment.unwrap();
        assert!(last.contains("| others: 1 2 3 | more: 5 "), "{last}");
    }

    #[test]
    fn the_shipped_templates_render_the_more_line_with_and_without_a_link() {
        let src = include_str!("../../../../rules/release-conflict.toml");
        let shipped = RuleSet::from_sources(&[("release-conflict.toml", src)]).unwrap();
        let pushes: Vec<PushBug> = (1..=8)
            .map(|i| push(i, &format!("2026-12-0{} 16:00", 1 + i % 3), Large))
            .collect();
        let text = |rules: &RuleSet| {
            all(rules, &pushes, NOW)[0]
                .action
                .clone()
                .unwrap()
                .comment
                .unwrap()
        };
        let plain = text(&shipped);
        assert!(
            plain.contains("- and 2 more (see the week view)"),
            "{plain}"
        );
        let linked = text(&shipped.with_week_view(Some("https://pushbot.example.org")));
        assert!(
            linked.contains("- and 2 more: https://pushbot.example.org/week/2026-W49"),
            "{linked}"
        );
        assert_eq!(plain.matches("\n- bug ").count(), 5, "{plain}");
    }

    #[test]
    fn weeks_are_iso_weeks_in_the_team_zone() {
        // Sunday 20:00 in Los Angeles is Monday in UTC (next ISO week there),
        // but still 2026-W49 for the team.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-06 20:00", Large),
        ];
        assert_eq!(fired(&all(&rules(), &pushes, NOW)), vec![1, 2]);
        // Monday 00:30 local is the next week.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-07 00:30", Large),
        ];
        assert_eq!(fired(&all(&rules(), &pushes, NOW)), Vec::<u64>::new());
    }

    #[test]
    fn new_year_week_53() {
        // Thu 2026-12-31 and Fri 2027-01-01 are both in 2026-W53.
        let pushes = [
            push(1, "2026-12-31 16:00", Large),
            push(2, "2027-01-01 16:00", Large),
            push(3, "2027-01-05 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(markers(&v[0]), vec!["2026-W53.large"]);
        let rule = RuleName::new("release-conflict").unwrap();
        let conflict = |disc: &str| match crate::plan::Marker::from_parts("release-conflict", disc)
            .said_by(&rule)
        {
            Some(RuleMark::Conflict(mark)) => Some(mark.clone()),
            _ => None,
        };
        assert_eq!(
            conflict("2026-W53.large.3.resolved"),
            Some(ConflictMark::Resolved {
                problem: ProblemKey {
                    period: Period::Week(IsoWeekId::of_date(
                        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
                    )),
                    limit: Limit::Large
                },
                generation: 3
            })
        );
        // 2027 has no week 53; a day limit is not a week's.
        assert_eq!(conflict("2027-W53.large"), None);
        assert_eq!(conflict("2026-W49.day"), None);
        assert_eq!(conflict("2026-12-01.large"), None);
        assert_eq!(conflict("2026-W49.large.1"), None);
    }

    #[test]
    fn dst_week() {
        // The week of Mon 2027-03-08 .. Sun 2027-03-14 spans the spring-forward.
        let pushes = [
            push(1, "2027-03-09 16:00", Large),
            push(2, "2027-03-14 16:00", Large),
            push(3, "2027-03-15 16:00", Large),
        ];
        assert_eq!(fired(&all(&rules(), &pushes, NOW)), vec![1, 2]);
    }

    #[test]
    fn large_and_small_on_one_day() {
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-01 18:00", Small),
            push(3, "2026-12-03 16:00", Small),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(markers(&v[1]), vec!["2026-12-01.mixed"]);
        assert!(v[1]
            .reason
            .contains("a large and a small release on the same day (2026-12-01)"));
        // Thursday already holds small bug 3, and two small releases may
        // share a day, so the small push is proposed for Thu 2026-12-03.
        assert!(
            v[1].reason
                .ends_with("proposed slot: Thu 2026-12-03 16:00 PST"),
            "{}",
            v[1].reason
        );
    }

    #[test]
    fn done_counts_cancelled_and_content_and_unscheduled_do_not() {
        let pushes = [
            PushBuilder::new(1).at("2026-12-01 16:00").done().build(),
            push(2, "2026-12-03 16:00", Large),
        ];
        let v = all(&rules(), &pushes, "2026-12-02T12:00:00Z");
        assert_eq!(fired(&v), vec![2]);
        assert_eq!(v[0].reason, "done; still counted for 2026-W49");
        let pushes = [
            PushBuilder::new(1)
                .at("2026-12-01 16:00")
                .cancelled()
                .build(),
            push(2, "2026-12-03 16:00", Large),
            push(3, "2026-12-03 16:00", ContentOnly),
            PushBuilder::new(4).unscheduled().build(),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), Vec::<u64>::new());
        assert!(v[2].reason.starts_with("content-only changes are exempt"));
        assert_eq!(v[3].reason, "no push date; not counted");
        // A bug told about W49 that loses its date, or becomes
        // content-only, is no longer counted: resolved once.
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        let pushes = told(&pushes, &v, NOW);
        let unscheduled = PushBuilder::from(pushes[1].clone()).unscheduled().build();
        let v = all(&rules(), &[pushes[0].clone(), unscheduled], NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.resolved"]);
        let content = PushBuilder::from(pushes[1].clone())
            .size(ContentOnly)
            .build();
        let v = all(&rules(), &[pushes[0].clone(), content], NOW);
        assert_eq!(markers(&v[1]), vec!["2026-W49.large.resolved"]);
        // A done one is never commented on.
        let done = PushBuilder::from(pushes[1].clone())
            .at("2026-12-08 16:00")
            .done()
            .build();
        let v = all(&rules(), &[pushes[0].clone(), done], NOW);
        assert_eq!(fired(&v), vec![1]);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = Params {
            max_per_day: 0,
            ..Params::default()
        };
        assert_eq!(validate(&bad).unwrap_err().key, "max_per_day");
        let bad = Params {
            max_named: 101,
            ..Params::default()
        };
        assert_eq!(validate(&bad).unwrap_err().key, "max_named");
    }

    #[test]
    fn a_thousand_pushes_in_one_week_share_their_lists() {
        // 1,000 large pushes in W50: four problems per bug at most, each
        // bug's finding pointing at the same list, and every comment names
        // five others and counts the rest.
        let pushes: Vec<PushBug> = (0..1000u64)
            .map(|i| {
                let day = [8, 9, 10][(i % 3) as usize];
                push(1000 + i, &format!("2026-12-{day:02} 16:00"), Large)
            })
            .collect();
        let analysis = analyse(&Params::default(), &entries(&pushes, LA));
        assert_eq!(analysis.problems.len(), 5, "large, total, three days");
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v).len(), 1000);
        let text = v[0].action.clone().unwrap().comment.unwrap();
        assert!(
            text.contains("| others: 1001 1002 1003 1004 1005 | more: 994 "),
            "{text}"
        );
    }

    fn entry_strategy() -> impl Strategy<Value = Vec<(u8, bool)>> {
        // (day offset within two weeks starting Mon 2026-11-30, large?)
        proptest::collection::vec((0u8..14, any::<bool>()), 0..12)
    }

    fn to_entries(raw: &[(u8, bool)]) -> Vec<Entry> {
        let start = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        raw.iter()
            .enumerate()
            .map(|(i, (day, large))| Entry {
                bug: BugId(i as u64 + 1),
                date: start + Duration::days(i64::from(*day)),
                size: if *large { Large } else { Small },
            })
            .collect()
    }

    proptest! {
        #[test]
        fn week_limits_count_exactly_the_pushes_they_count(
            raw in entry_strategy(),
            max_large in 0u32..4,
            max_small in 0u32..4,
            max_total in 1u32..6,
        ) {
            let p = Params {
                max_large_per_week: max_large,
                max_small_per_week: max_small,
                max_per_week: max_total,
                // Day rules off: this property is about weeks.
                max_per_day: 1000,
                allow_large_and_small_same_day: true,
                ..Params::default()
            };
            let entries = to_entries(&raw);
            let analysis = analyse(&p, &entries);
            for e in &entries {
                let week: Vec<&Entry> = entries.iter()
                    .filter(|o| IsoWeekId::of_date(o.date) == IsoWeekId::of_date(e.date)).collect();
                let large = week.iter().filter(|o| o.size == Large).count() as u32;
                let small = week.len() as u32 - large;
                let over_own = match e.size {
                    Large => large > max_large,
                    _ => small > max_small,
                };
                let counted = over_own || large + small > max_total;
                prop_assert_eq!(analysis.problems_of(e.bug).next().is_some(), counted, "bug {}", e.bug);
            }
        }

        #[test]
        fn every_problem_counts_only_pushes_of_its_week_or_day(raw in entry_strategy()) {
            let entries = to_entries(&raw);
            let analysis = analyse(&Params::default(), &entries);
            for problem in &analysis.problems {
                for bug in problem.bugs.iter() {
                    let e = entries.iter().find(|e| e.bug == *bug).unwrap();
                    match problem.key.period {
                        Period::Week(w) => prop_assert_eq!(IsoWeekId::of_date(e.date), w),
                        Period::Day(d) => prop_assert_eq!(e.date, d),
                    }
                    if problem.key.limit == Limit::Large {
                        prop_assert_eq!(e.size, Large);
                    }
                    if problem.key.limit == Limit::Small {
                        prop_assert_eq!(e.size, Small);
                    }
                }
                // The tallies count what the lists hold.
                let idx = analysis.problems.iter().position(|p| p == problem).unwrap();
                prop_assert_eq!(analysis.union_count(&[idx]), problem.bugs.len());
            }
        }

        #[test]
        fn a_trial_fits_exactly_when_the_moved_push_would_be_in_no_problem(
            raw in entry_strategy(),
            pick in 0usize..12,
            day in 0u8..14,
            large in any::<bool>(),
        ) {
            let entries = to_entries(&raw);
            let p = Params::default();
            let analysis = analyse(&p, &entries);
            let bug = BugId(pick as u64 + 1);
            let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap() + Duration::days(i64::from(day));
            let size = if large { Large } else { Small };
            let mut trial: Vec<Entry> = entries.iter().filter(|e| e.bug != bug).copied().collect();
            trial.push(Entry { bug, date, size });
            let moved = analyse(&p, &trial);
            prop_assert_eq!(analysis.fits(&p, bug, date, size), moved.problems_of(bug).next().is_none());
        }

        /// Pushes move about a week cycle after cycle; after each cycle's
        /// comments, every open future push has been told exactly the
        /// problems it is counted in, and the next evaluation is quiet.
        #[test]
        fn told_problems_follow_the_plan_and_each_is_said_once(
            steps in proptest::collection::vec(
                proptest::collection::vec((0u8..8, any::<bool>()), 6),
                1..6,
            ),
        ) {
            let rules = rules();
            let now = "2026-11-27T12:00:00Z";
            let mut pushes: Vec<PushBug> = (1..=6).map(|i| push(i, "2026-12-01 16:00", Large)).collect();
            for step in steps {
                for (push, (day, large)) in pushes.iter_mut().zip(step) {
                    let mut b = PushBuilder::from(push.clone());
                    b = match day {
                        // 7: called off for now (no date).
                        7 => b.unscheduled(),
                        d => b.at(&format!("2026-12-{:02} 16:00", 7 + u32::from(d))),
                    };
                    *push = b.size(if large { Large } else { Small }).build();
                }
                let v = all(&rules, &pushes, now);
                pushes = told(&pushes, &v, now);
                let again = all(&rules, &pushes, now);
                prop_assert!(again.iter().all(|v| !v.fires), "{:?}", again.iter().filter(|v| v.fires).collect::<Vec<_>>());
                let analysis = analyse(&Params::default(), &entries(&pushes, LA));
                let rule = RuleName::new("release-conflict").unwrap();
                for push in &pushes {
                    let told = Told::read(push, &rule);
                    let holding: Vec<ProblemKey> = told.problems.iter()
                        .filter(|(_, g)| g.holds()).map(|(k, _)| *k).collect();
                    let mut current: Vec<ProblemKey> = analysis.problems_of(push.id).map(|p| p.key).collect();
                    current.sort();
                    prop_assert_eq!(holding, current, "bug {}", push.id);
                }
            }
        }
    }
}
