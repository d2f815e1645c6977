//! `release_conflict`: per ISO week in the team's time zone (and per day),
//! counts pushes by size class and flags every push in a week (or day) over
//! the limits. The comment names the other bugs involved and proposes the
//! earliest slot that satisfies every limit and the push window.
//!
//! Who counts: scheduled, not cancelled, not content-only pushes (content
//! changes "can go whenever"). A push already done still counts for its
//! week (it used the slot) but is not flagged. The key is the ISO week and
//! the other bugs involved (`2026-W49:802-803`): moving a bug out of the
//! week clears the conflict; a new conflict (another week, or a bug the bot
//! has not named yet in this week) is flagged once. A bug leaving a
//! conflict that persists causes no new comment.
//!
//! A restricted push (in a security group) counts like any other, but a
//! comment, its marker and the verdict's reason name it only on a bug
//! whose readers may see it ([`crate::redact`]); elsewhere it is counted:
//! "and 1 restricted push" in the comment, `r1` in the key
//! (`2026-W49:802-r1`), so one more restricted push in the week is a new
//! conflict too. Pure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Ctx, Decision, Finding, ParamError, Post};
use crate::bugzilla::BugId;
use crate::clock;
use crate::push::{PushBug, PushStatus, SizeClass};
use crate::redact::{Audience, Named};

/// Template: `comment` (variables: `week`; `problems`, a list of sentences;
/// `others`, the other pushes involved that the bug's readers may see;
/// `restricted_others`, how many more are involved that they may not;
/// `slot`, the proposed time in team time or none; `window`, the push
/// window in words).
pub const TEMPLATES: &[&str] = &["comment"];

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
    Ok(())
}

pub(crate) fn sample_extras() -> Value {
    json!({
        "week": "2026-W49",
        "problems": ["2 large releases in 2026-W49 (limit 1)"],
        "slot": "Tue 2026-12-08 16:00 PST",
        "window": "Tue, Thu (Wed if needed), 16:00–23:59 local time",
    })
}

/// One counted push: its bug, local date and size (large or small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub bug: BugId,
    pub date: NaiveDate,
    pub size: SizeClass,
}

/// Why one bug is in conflict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conflict {
    /// The bug's ISO week, `2026-W49`.
    pub week: String,
    /// What is over the limits, as sentences.
    pub problems: Vec<String>,
    /// The other bugs in the week or day over the limits.
    pub others: Vec<BugId>,
}

/// One week or day over the limits: the bugs counted in it and what is
/// over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Every counted bug of the week or day, by id: all of them are in
    /// conflict (the rule flags the whole week or day).
    pub bugs: Vec<BugId>,
    /// What is over the limits.
    pub problems: Vec<Problem>,
}

/// One limit exceeded and the bugs it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// E.g. "2 large releases in 2026-W49 (limit 1)".
    pub text: String,
    /// The bugs counted against this limit (the large ones for the large
    /// limit), by id.
    pub bugs: Vec<BugId>,
}

/// Every week and day over the limits (weeks first, then days, in order).
/// Content-only entries are ignored.
pub fn over_limits(p: &Params, entries: &[Entry]) -> Vec<Group> {
    let counted: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.size != SizeClass::ContentOnly)
        .collect();
    let mut by_week: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, Vec<&Entry>> = BTreeMap::new();
    for e in &counted {
        by_week
            .entry(clock::iso_week_label(e.date))
            .or_default()
            .push(e);
        by_day.entry(e.date).or_default().push(e);
    }
    let ids = |members: &[&Entry], size: Option<SizeClass>| {
        let mut bugs: Vec<BugId> = members
            .iter()
            .filter(|e| size.is_none_or(|s| e.size == s))
            .map(|e| e.bug)
            .collect();
        bugs.sort();
        bugs.dedup();
        bugs
    };
    let problem = |text: String, bugs: Vec<BugId>| Problem { text, bugs };
    let mut out = Vec::new();
    for (week, members) in &by_week {
        let large = members
            .iter()
            .filter(|e| e.size == SizeClass::Large)
            .count();
        let small = members.len() - large;
        let mut problems = Vec::new();
        if large > p.max_large_per_week as usize {
            problems.push(problem(
                format!(
                    "{large} large releases in {week} (limit {})",
                    p.max_large_per_week
                ),
                ids(members, Some(SizeClass::Large)),
            ));
        }
        if small > p.max_small_per_week as usize {
            problems.push(problem(
                format!(
                    "{small} small releases in {week} (limit {})",
                    p.max_small_per_week
                ),
                ids(members, Some(SizeClass::Small)),
            ));
        }
        if members.len() > p.max_per_week as usize {
            problems.push(problem(
                format!(
                    "{} releases in {week} (limit {})",
                    members.len(),
                    p.max_per_week
                ),
                ids(members, None),
            ));
        }
        if !problems.is_empty() {
            out.push(Group {
                bugs: ids(members, None),
                problems,
            });
        }
    }
    for (day, members) in &by_day {
        let large = members
            .iter()
            .filter(|e| e.size == SizeClass::Large)
            .count();
        let small = members.len() - large;
        let mut problems = Vec::new();
        if large > 0 && small > 0 && !p.allow_large_and_small_same_day {
            problems.push(problem(
                format!("a large and a small release on the same day ({day})"),
                ids(members, None),
            ));
        }
        if members.len() > p.max_per_day as usize {
            problems.push(problem(
                format!(
                    "{} releases on {day} (limit {})",
                    members.len(),
                    p.max_per_day
                ),
                ids(members, None),
            ));
        }
        if !problems.is_empty() {
            out.push(Group {
                bugs: ids(members, None),
                problems,
            });
        }
    }
    out
}

/// Counts entries per ISO week and per day and returns every bug that is in
/// a week or day over the limits. Content-only entries are ignored.
pub fn conflicts(p: &Params, entries: &[Entry]) -> BTreeMap<BugId, Conflict> {
    let week_of: BTreeMap<BugId, String> = entries
        .iter()
        .map(|e| (e.bug, clock::iso_week_label(e.date)))
        .collect();
    let mut out: BTreeMap<BugId, Conflict> = BTreeMap::new();
    let mut others: BTreeMap<BugId, BTreeSet<BugId>> = BTreeMap::new();
    for g in over_limits(p, entries) {
        for bug in &g.bugs {
            let c = out.entry(*bug).or_insert_with(|| Conflict {
                week: week_of.get(bug).cloned().unwrap_or_default(),
                ..Conflict::default()
            });
            c.problems.extend(g.problems.iter().map(|p| p.text.clone()));
            others
                .entry(*bug)
                .or_default()
                .extend(g.bugs.iter().copied().filter(|b| b != bug));
        }
    }
    for (bug, c) in out.iter_mut() {
        c.others = others.remove(bug).unwrap_or_default().into_iter().collect();
    }
    out
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

/// What the week report shows: for every bug in a week or day over the
/// limits, one finding per problem with the bugs it counts ("2 large
/// releases in 2026-W49 (limit 1)", bugs 802 and 803; the report names
/// them for its audience), the same finding on every bug it counts (a
/// small push is not shown under the large limit, although the rule's
/// comment, which flags the whole week, reaches it). Holds whether or not
/// the bot already commented, and for past and done pushes too: it
/// describes the plan, it does not decide a comment.
pub fn findings(
    p: &Params,
    pushes: &[PushBug],
    tz: chrono_tz::Tz,
) -> BTreeMap<BugId, Vec<Finding>> {
    let mut out: BTreeMap<BugId, Vec<Finding>> = BTreeMap::new();
    for g in over_limits(p, &entries(pushes, tz)) {
        for problem in &g.problems {
            let finding = Finding {
                text: problem.text.clone(),
                bugs: problem.bugs.clone(),
            };
            for bug in &problem.bugs {
                let list = out.entry(*bug).or_default();
                if !list.contains(&finding) {
                    list.push(finding.clone());
                }
            }
        }
    }
    out
}

/// Large and small releases counted per ISO week (by its Monday) and per
/// day: what [`propose`] checks a trial date against, so that trying a
/// slot costs two lookups instead of recounting the week (a week of 1,000
/// pushes would otherwise cost each of them a pass over all the others).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    weeks: BTreeMap<NaiveDate, Tally>,
    days: BTreeMap<NaiveDate, Tally>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    large: u32,
    small: u32,
}

impl Tally {
    fn add(&mut self, size: SizeClass, by: i32) {
        let slot = match size {
            SizeClass::Large => &mut self.large,
            SizeClass::Small => &mut self.small,
            SizeClass::ContentOnly => return,
        };
        *slot = slot.saturating_add_signed(by);
    }
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

impl Counts {
    pub(crate) fn of(entries: &[Entry]) -> Counts {
        let mut counts = Counts::default();
        for e in entries {
            counts
                .weeks
                .entry(monday_of(e.date))
                .or_default()
                .add(e.size, 1);
            counts.days.entry(e.date).or_default().add(e.size, 1);
        }
        counts
    }

    /// Whether a push of `size` on `date` keeps every limit of its week
    /// and day, `own` (the push's current entry, if counted) taken out
    /// first: the same answer as `conflicts` over the others plus the
    /// trial, which the tests check.
    fn fits(&self, p: &Params, own: Option<&Entry>, date: NaiveDate, size: SizeClass) -> bool {
        let tally = |map: &BTreeMap<NaiveDate, Tally>, at: NaiveDate, same: bool| {
            let mut t = map.get(&at).copied().unwrap_or_default();
            if let Some(own) = own.filter(|_| same) {
                t.add(own.size, -1);
            }
            t.add(size, 1);
            t
        };
        let week = tally(
            &self.weeks,
            monday_of(date),
            own.is_some_and(|o| monday_of(o.date) == monday_of(date)),
        );
        let day = tally(&self.days, date, own.is_some_and(|o| o.date == date));
        let week_ok = week.large <= p.max_large_per_week
            && week.small <= p.max_small_per_week
            && week.large + week.small <= p.max_per_week;
        let day_ok = (p.allow_large_and_small_same_day || day.large == 0 || day.small == 0)
            && day.large + day.small <= p.max_per_day;
        week_ok && day_ok
    }
}

/// The earliest window slot where `bug` (of `size`) would be in no
/// conflict, the others staying where they are. It is after `now` and not
/// before the day the push is planned for (a release is rarely ready
/// sooner). Usual push days first; an if-needed day only when the usual
/// days of that week do not fit.
fn propose(
    p: &Params,
    ctx: &Ctx<'_>,
    counts: &Counts,
    own: Option<&Entry>,
    size: SizeClass,
    planned: NaiveDate,
) -> Option<DateTime<Utc>> {
    let window = &ctx.settings.window;
    let today = clock::local_date(ctx.now.get(), ctx.tz).max(planned);
    let monday = monday_of(today);
    for w in 0..i64::from(p.slot_search_weeks) {
        let week_start = monday + Duration::weeks(w);
        for days in [&window.days, &window.if_needed_days] {
            for d in 0..7 {
                let date = week_start + Duration::days(d);
                // The counts first: they are cheaper than the time zone.
                if date < today
                    || !days.contains(&date.weekday())
                    || !counts.fits(p, own, date, size)
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

/// The key: the week and the other bugs the bug's readers may see, then
/// how many more they may not (`2026-W49:802-803`, `2026-W49:802-r1`).
fn discriminator(week: &str, named: &Named) -> String {
    let mut parts: Vec<String> = named.shown.iter().map(|b| b.to_string()).collect();
    if named.hidden > 0 {
        parts.push(format!("r{}", named.hidden));
    }
    format!("{week}:{}", parts.join("-"))
}

/// "Already said" when earlier markers for this week named every bug
/// involved now, and counted at least as many restricted ones as there are
/// now (a restricted push an older marker named by id counts as named). A
/// bare-week marker (`2026-W49`) covers the whole week.
fn already_named(
    push: &PushBug,
    rule: &str,
    conflict: &Conflict,
    named_now: &Named,
) -> Option<String> {
    let mut named: BTreeSet<BugId> = BTreeSet::new();
    let mut counted = 0usize;
    let mut whole_week = false;
    let mut last = None;
    for m in push.markers_of(rule) {
        let (week, ids) = m
            .discriminator
            .split_once(':')
            .unwrap_or((m.discriminator.as_str(), "*"));
        if week != conflict.week {
            continue;
        }
        last = Some(m);
        whole_week |= ids == "*";
        for part in ids.split('-') {
            match part.strip_prefix('r') {
                Some(n) => counted = counted.max(n.parse().unwrap_or(0)),
                None => named.extend(part.parse().ok().map(BugId)),
            }
        }
    }
    let m = last?;
    let hidden_unnamed = conflict
        .others
        .iter()
        .filter(|b| !named_now.shown.contains(b) && !named.contains(b))
        .count();
    let covered = whole_week
        || (named_now.shown.iter().all(|b| named.contains(b)) && hidden_unnamed <= counted);
    covered.then(|| {
        format!(
            "already said for these bugs ([pushbot {rule} {}] in comment {} at {})",
            m.discriminator,
            m.comment,
            m.at.to_rfc3339()
        )
    })
}

pub(crate) fn decide(p: &Params, rule: &str, ctx: &Ctx<'_>) -> Vec<Decision> {
    let entries = entries(ctx.pushes, ctx.tz);
    let found = conflicts(p, &entries);
    let counts = Counts::of(&entries);
    let own: BTreeMap<BugId, &Entry> = entries.iter().map(|e| (e.bug, e)).collect();
    ctx.pushes
        .iter()
        .map(|push| {
            let own = own.get(&push.id).copied();
            decide_one(p, rule, ctx, push, (&counts, own), &found)
        })
        .collect()
}

fn decide_one(
    p: &Params,
    rule: &str,
    ctx: &Ctx<'_>,
    push: &PushBug,
    (counts, own): (&Counts, Option<&Entry>),
    found: &BTreeMap<BugId, Conflict>,
) -> Decision {
    let quiet = |reason: String| Decision::quiet(push.id, reason);
    if let PushStatus::Cancelled { resolution } = &push.status {
        return quiet(format!("cancelled ({resolution}); not counted"));
    }
    if push.size == SizeClass::ContentOnly {
        return quiet("content-only changes are exempt and not counted".to_string());
    }
    let Some(at) = push.at() else {
        return quiet("no push date; not counted".to_string());
    };
    let week = clock::iso_week_label(clock::local_date(at, ctx.tz));
    if push.status == PushStatus::Done {
        return quiet(format!("done; still counted for {week}"));
    }
    if ctx.now.is_after(at) {
        return quiet("the push time has passed".to_string());
    }
    let Some(conflict) = found.get(&push.id) else {
        return quiet(format!("within the limits for {week}"));
    };
    // The comment, its key and this reason are read on `push`: they name
    // only what its readers may see.
    let named = ctx
        .restrictions
        .name(&Audience::of_bug(&push.groups), &conflict.others);
    if let Some(said) = already_named(push, rule, conflict, &named) {
        return quiet(said);
    }
    let planned = clock::local_date(at, ctx.tz);
    let slot = propose(p, ctx, counts, own, push.size, planned);
    Decision::fire(
        push.id,
        format!(
            "{} (with {}); proposed slot: {}",
            conflict.problems.join("; "),
            named.words(),
            slot.map(|s| clock::format_local(s, ctx.tz))
                .unwrap_or_else(|| "none in reach".to_string())
        ),
        Post {
            template: "comment",
            discriminator: discriminator(&conflict.week, &named),
            extras: json!({
                "week": conflict.week,
                "problems": conflict.problems,
                "slot": slot.map(|s| clock::format_local(s, ctx.tz)),
                "window": ctx.settings.window.describe(),
            }),
            others: conflict.others.clone(),
            flags: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::SizeClass::{ContentOnly, Large, Small};
    use crate::rules::testing::*;
    use proptest::prelude::*;

    fn rules() -> crate::rules::RuleSet {
        rule_set(
            "release-conflict",
            "release_conflict",
            "[templates]\ncomment = \"{{ problems | join('; ') }} | others: {% for o in others %}{{ o.id }} {% endfor %}| slot: {{ slot }}\"",
        )
    }
    const NOW: &str = "2026-11-26T12:00:00Z";

    fn push(id: u64, local: &str, size: SizeClass) -> PushBug {
        PushBuilder::new(id).at(local).size(size).build()
    }

    fn fired(verdicts: &[crate::rules::Verdict]) -> Vec<u64> {
        verdicts
            .iter()
            .filter(|v| v.fires)
            .map(|v| v.bug.0)
            .collect()
    }

    #[test]
    fn two_large_in_a_week_flags_both_names_the_other_and_proposes_a_slot() {
        let pushes = [
            push(1, "2026-12-01 16:00", Large),
            push(2, "2026-12-03 16:00", Large),
        ];
        let v = all(&rules(), &pushes, NOW);
        assert_eq!(fired(&v), vec![1, 2]);
        let action = v[0].action.clone().unwrap();
        assert_eq!(action.key.marker(), "[pushbot release-conflict 2026-W49:2]");
        assert_eq!(
            action.comment.as_deref(),
            Some("2 large releases in 2026-W49 (limit 1) | others: 2 | slot: Tue 2026-12-08 16:00 PST")
        );
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

    fn counting_rules() -> crate::rules::RuleSet {
        rule_set(
            "release-conflict",
            "release_conflict",
            "[templates]\ncomment = \"{{ problems | join('; ') }} | others: {% for o in others %}{{ o.id }} {% endfor %}| restricted: {{ restricted_others }}\"",
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
        assert_eq!(action.key.discriminator, "2026-W49:2-r2");
        assert!(!action.restricted);
        assert!(
            v[0].reason.contains("(with bug 2 and 2 restricted pushes)"),
            "{}",
            v[0].reason
        );
        // Bug 3 (security): names the public pushes and itself is not
        // listed; bug 4 (legal) stays a count.
        let action = v[2].action.clone().unwrap();
        assert_eq!(action.key.discriminator, "2026-W49:1-2-r1");
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
    }

    #[test]
    fn a_count_of_restricted_pushes_is_said_once_and_again_when_it_grows() {
        let mut pushes = with_restricted();
        pushes.truncate(3);
        pushes[0] = PushBuilder::from(pushes[0].clone())
            .marker("release-conflict", "2026-W49:2-r1", NOW)
            .build();
        let v = all(&counting_rules(), &pushes, NOW);
        assert!(v[0].reason.starts_with("already said"), "{}", v[0].reason);
        // A second restricted push joins the week: a new conflict for bug 1.
        pushes.push(with_restricted()[3].clone());
        let v = all(&counting_rules(), &pushes, NOW);
        assert_eq!(
            v[0].action.clone().unwrap().key.discriminator,
            "2026-W49:2-r2"
        );
        // A key written before redaction named bug 3 by id: still said.
        let mut pushes = with_restricted();
        pushes.truncate(3);
        pushes[0] = PushBuilder::from(pushes[0].clone())
            .marker("release-conflict", "2026-W49:2-3", NOW)
            .build();
        let v = all(&counting_rules(), &pushes, NOW);
        assert!(v[0].reason.starts_with("already said"), "{}", v[0].reason);
    }

    #[test]
    fn findings_keep_the_bugs_apart_from_the_sentence() {
        let found = findings(&Params::default(), &with_restricted(), LA);
        let large = &found[&BugId(1)][0];
        assert_eq!(large.text, "4 large releases in 2026-W49 (limit 1)");
        assert_eq!(large.bugs, vec![BugId(1), BugId(2), BugId(3), BugId(4)]);
        let restrictions = crate::redact::Restrictions::of(&with_restricted());
        assert_eq!(
            large.words(&Audience::public(), &restrictions),
            "4 large releases in 2026-W49 (limit 1): bug 1, bug 2 and 2 restricted pushes"
        );
        assert_eq!(
            large.words(&Audience::trusted(), &restrictions),
            "4 large releases in 2026-W49 (limit 1): bug 1, bug 2, bug 3, bug 4"
        );
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
    fn fires_once_per_week_and_clears_when_moved_out() {
        let first = PushBuilder::new(1)
            .at("2026-12-01 16:00")
            .marker("release-conflict", "2026-W49:2", NOW)
            .build();
        let second = push(2, "2026-12-03 16:00", Large);
        let v = all(&rules(), &[first.clone(), second.clone()], NOW);
        assert!(v[0].reason.starts_with("already said"));
        assert!(v[1].fires);
        // A third large push joins the week: a new conflict for bug 1.
        let third = push(3, "2026-12-03 18:00", Large);
        let v = all(&rules(), &[first.clone(), second, third.clone()], NOW);
        assert_eq!(
            v[0].action.clone().unwrap().key.discriminator,
            "2026-W49:2-3"
        );
        // Bug 2 leaves but bug 3 stays: nothing new to say to bug 1.
        let first_told = PushBuilder::from(first.clone())
            .marker("release-conflict", "2026-W49:2-3", NOW)
            .build();
        let v = all(&rules(), &[first_told, third], NOW);
        assert!(v[0].reason.starts_with("already said"), "{}", v[0].reason);
        // Bug 2 moves to the next week: no conflict left in either.
        let moved = push(2, "2026-12-08 16:00", Large);
        let v = all(&rules(), &[first.clone(), moved], NOW);
        assert_eq!(fired(&v), Vec::<u64>::new());
        assert_eq!(v[0].reason, "within the limits for 2026-W49");
        // Bug 1 moves into a week that is full: a new conflict, a new key.
        let moved_first = PushBuilder::from(first).at("2026-12-10 16:00").build();
        let v = all(
            &rules(),
            &[moved_first, push(2, "2026-12-08 16:00", Large)],
            NOW,
        );
        assert_eq!(fired(&v), vec![1, 2]);
        assert_eq!(v[0].action.clone().unwrap().key.discriminator, "2026-W50:2");
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
        assert_eq!(v[0].action.clone().unwrap().key.discriminator, "2026-W53:2");
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
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = Params {
            max_per_day: 0,
            ..Params::default()
        };
        assert_eq!(validate(&bad).unwrap_err().key, "max_per_day");
    }

    fn entry_strategy() -> impl Strategy<Value = Vec<(u8, bool)>> {
        // (day offset within two weeks starting Mon 2026-11-30, large?)
        proptest::collection::vec((0u8..14, any::<bool>()), 0..12)
    }

    proptest! {
        #[test]
        fn week_limits_flag_exactly_the_weeks_over_them(
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
                slot_search_weeks: 1,
            };
            let start = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
            let entries: Vec<Entry> = raw.iter().enumerate().map(|(i, (day, large))| Entry {
                bug: BugId(i as u64 + 1),
                date: start + Duration::days(i64::from(*day)),
                size: if *large { Large } else { Small },
            }).collect();
            let found = conflicts(&p, &entries);
            for week in ["2026-W49", "2026-W50"] {
                let in_week: Vec<&Entry> = entries.iter()
                    .filter(|e| clock::iso_week_label(e.date) == week).collect();
                let large = in_week.iter().filter(|e| e.size == Large).count() as u32;
                let small = in_week.len() as u32 - large;
                let over = large > max_large || small > max_small || large + small > max_total;
                for e in &in_week {
                    prop_assert_eq!(found.contains_key(&e.bug), over, "bug {} in {}", e.bug, week);
                }
            }
        }

        /// The counted check `propose` makes is the full recount it
        /// replaced: the others where they are plus the trial date.
        #[test]
        fn counts_fit_exactly_when_a_recount_finds_no_conflict(
            raw in entry_strategy(),
            moved in 0usize..12,
            trial_day in 0u8..14,
            large in any::<bool>(),
            allow_mix in any::<bool>(),
            max_day in 1u32..4,
        ) {
            let p = Params {
                max_per_day: max_day,
                allow_large_and_small_same_day: allow_mix,
                ..Params::default()
            };
            let start = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
            let entries: Vec<Entry> = raw.iter().enumerate().map(|(i, (day, large))| Entry {
                bug: BugId(i as u64 + 1),
                date: start + Duration::days(i64::from(*day)),
                size: if *large { Large } else { Small },
            }).collect();
            // The bug tried: one of the entries, or a push not counted yet.
            let bug = BugId(moved as u64 + 1);
            let own = entries.iter().find(|e| e.bug == bug);
            let size = if large { Large } else { Small };
            let date = start + Duration::days(i64::from(trial_day));
            let mut trial: Vec<Entry> = entries.iter().filter(|e| e.bug != bug).copied().collect();
            trial.push(Entry { bug, date, size });
            let recount = !conflicts(&p, &trial).contains_key(&bug);
            prop_assert_eq!(Counts::of(&entries).fits(&p, own, date, size), recount);
        }

        #[test]
        fn a_flag_always_has_a_reason_within_its_week_or_day(raw in entry_strategy()) {
            let p = Params::default();
            let start = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
            let entries: Vec<Entry> = raw.iter().enumerate().map(|(i, (day, large))| Entry {
                bug: BugId(i as u64 + 1),
                date: start + Duration::days(i64::from(*day)),
                size: if *large { Large } else { Small },
            }).collect();
            let found = conflicts(&p, &entries);
            for e in &entries {
                let week: Vec<&Entry> = entries.iter()
                    .filter(|o| clock::iso_week_label(o.date) == clock::iso_week_label(e.date)).collect();
                let day: Vec<&Entry> = entries.iter().filter(|o| o.date == e.date).collect();
                let wl = week.iter().filter(|o| o.size == Large).count();
                let ws = week.len() - wl;
                let dl = day.iter().filter(|o| o.size == Large).count();
                let ds = day.len() - dl;
                let over = wl > 1 || ws > 2 || week.len() > 3 || (dl > 0 && ds > 0) || day.len() > 2;
                prop_assert_eq!(found.contains_key(&e.bug), over);
            }
        }
    }
}
