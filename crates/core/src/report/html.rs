//! The week view: an HTML page that shows a week's pushes as a picture —
//! Monday..Sunday columns, one block per push coloured by size class, with
//! conflicts and window warnings marked (icon, red border, text), owner and
//! sign-off state on each block, and unscheduled pushes listed below. A push
//! that already went out is marked shipped (a tag, a muted block) and keeps
//! its conflict marks: it still counts toward the week's limits.
//!
//! Server-rendered with `minijinja` templates (`templates/*.html`, compiled
//! into the binary) with HTML auto-escaping on: summaries, owners and
//! sentences are user text. No JavaScript. Pure: "now" (to mark today) is an
//! argument; no I/O.

use chrono::{DateTime, Datelike, Utc, Weekday};
use minijinja::{context, Environment};
use serde::Serialize;
use thiserror::Error;

use super::model::{IsoWeekId, PushEntry, SignoffStatus, SizeClass, WeekReport};

const WEEK_TEMPLATE: &str = include_str!("templates/week.html");
const BAD_WEEK_TEMPLATE: &str = include_str!("templates/bad_week.html");

/// A template failed to compile or render: a bug in pushbot, not in the data.
#[derive(Debug, Error)]
#[error("cannot render the week page template `{template}`: {source}")]
pub struct HtmlError {
    /// Which template.
    pub template: &'static str,
    /// What minijinja said.
    #[source]
    pub source: minijinja::Error,
}

#[derive(Serialize)]
struct LegendItem {
    class: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct DayView {
    name: String,
    long: String,
    date: String,
    weekend: bool,
    today: bool,
    pushes: Vec<PushView>,
}

#[derive(Serialize)]
struct SignoffView {
    flag: String,
    /// The flag without a `-signoff` suffix: the column is narrow.
    flag_short: String,
    state: &'static str,
    who: Option<String>,
    who_short: Option<String>,
    icon: &'static str,
    /// Why a set flag counts as missing ("set + by X, who may not sign off
    /// for AMO").
    note: Option<String>,
}

#[derive(Serialize)]
struct PushView {
    bug: u64,
    url: String,
    summary: String,
    app: String,
    size: &'static str,
    size_label: &'static str,
    time: Option<String>,
    owner: Option<String>,
    owner_short: Option<String>,
    signoffs: Vec<SignoffView>,
    conflicts: Vec<String>,
    warnings: Vec<String>,
    flagged: bool,
    /// Already went out (resolved FIXED): still counted in the week.
    shipped: bool,
}

#[derive(Serialize)]
struct FindingView {
    text: String,
    bugs: Vec<u64>,
}

/// One line of the "needs attention" banner.
#[derive(Serialize)]
struct AlertView {
    /// `conflict` or `warning` (CSS class and wording).
    kind: &'static str,
    icon: &'static str,
    text: String,
    bugs: Vec<u64>,
}

fn environment() -> Result<Environment<'static>, HtmlError> {
    let mut env = Environment::new();
    // Auto-escaping is chosen by file name: `.html` escapes everything that
    // is not marked safe (macro output is).
    env.add_template("week.html", WEEK_TEMPLATE)
        .map_err(|source| HtmlError {
            template: "week.html",
            source,
        })?;
    env.add_template("bad_week.html", BAD_WEEK_TEMPLATE)
        .map_err(|source| HtmlError {
            template: "bad_week.html",
            source,
        })?;
    Ok(env)
}

fn size_label(size: SizeClass) -> &'static str {
    match size {
        SizeClass::Large => "large",
        SizeClass::Small => "small",
        SizeClass::ContentOnly => "content",
    }
}

fn signoff_icon(state: SignoffStatus) -> &'static str {
    match state {
        SignoffStatus::Granted => "✓",
        SignoffStatus::Requested => "?",
        SignoffStatus::Denied => "✗",
        SignoffStatus::Missing => "–",
    }
}

/// The part of a login before `@`: day columns are narrow, and the full
/// login is in the element's title.
fn short_login(login: &str) -> String {
    match login.split_once('@') {
        Some((name, _)) if !name.is_empty() => name.to_string(),
        _ => login.to_string(),
    }
}

/// Only http(s) links are clickable; anything else becomes `#` so a bad
/// URL can never run script.
fn safe_href(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.trim().to_string()
    } else {
        "#".to_string()
    }
}

fn push_view(report: &WeekReport, entry: &PushEntry, with_date: bool) -> PushView {
    let time = entry.when.map(|w| {
        let local = report.local(w);
        if with_date {
            local.format("%a %-d %b %H:%M %Z").to_string()
        } else {
            // The zone is in the page header; the block stays narrow.
            local.format("%H:%M").to_string()
        }
    });
    PushView {
        bug: entry.bug.0,
        url: safe_href(&entry.url),
        summary: entry.summary.clone(),
        app: entry.app.clone(),
        size: entry.size.as_str(),
        size_label: size_label(entry.size),
        time,
        owner: entry.owner.clone(),
        owner_short: entry.owner.as_deref().map(short_login),
        signoffs: entry
            .signoffs
            .iter()
            .map(|s| SignoffView {
                flag: s.flag.clone(),
                flag_short: s
                    .flag
                    .strip_suffix("-signoff")
                    .unwrap_or(&s.flag)
                    .to_string(),
                state: s.state.as_str(),
                who: s.who.clone(),
                who_short: s.who.as_deref().map(short_login),
                icon: signoff_icon(s.state),
                note: s.note.clone(),
            })
            .collect(),
        conflicts: entry.conflicts.clone(),
        warnings: entry.warnings.clone(),
        flagged: entry.is_flagged(),
        shipped: entry.shipped,
    }
}

/// Renders the week view. `now` marks today's column when it is in the
/// week; pass `None` for a page without a "today".
pub fn render(report: &WeekReport, now: Option<DateTime<Utc>>) -> Result<String, HtmlError> {
    let today = now.map(|n| report.local(n).date_naive());
    let days: Vec<DayView> = report
        .days()
        .into_iter()
        .map(|d| DayView {
            name: d.date.format("%a").to_string(),
            long: d.date.format("%A %-d %B").to_string(),
            date: d.date.format("%-d %b").to_string(),
            weekend: matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun),
            today: today == Some(d.date),
            pushes: d
                .pushes
                .iter()
                .map(|e| push_view(report, e, false))
                .collect(),
        })
        .collect();
    let scheduled: usize = days.iter().map(|d| d.pushes.len()).sum();
    let finding = |(text, bugs): (String, Vec<crate::bugzilla::types::BugId>)| FindingView {
        text,
        bugs: bugs.into_iter().map(|b| b.0).collect(),
    };
    let week_days = report.week.days();
    let legend: Vec<LegendItem> = SizeClass::ALL
        .iter()
        .map(|s| LegendItem {
            class: s.as_str(),
            label: match s {
                SizeClass::Large => "large release",
                SizeClass::Small => "small release",
                SizeClass::ContentOnly => "content change",
            },
        })
        .collect();
    let conflicts: Vec<FindingView> = report.conflicts().into_iter().map(finding).collect();
    let warnings: Vec<FindingView> = report.warnings().into_iter().map(finding).collect();
    let alerts: Vec<AlertView> = conflicts
        .iter()
        .map(|f| ("conflict", "⚠", f))
        .chain(warnings.iter().map(|f| ("warning", "◷", f)))
        .map(|(kind, icon, f)| AlertView {
            kind,
            icon,
            text: f.text.clone(),
            bugs: f.bugs.clone(),
        })
        .collect();
    let ctx = context! {
        week => report.week.to_string(),
        prev => report.week.prev().to_string(),
        next => report.week.next().to_string(),
        range => format!("{} – {}", week_days[0].format("%a %-d %b"), week_days[6].format("%a %-d %b %Y")),
        time_zone => report.time_zone.name(),
        generated => report.local(report.generated_at).format("%a %-d %b %Y %H:%M %Z").to_string(),
        legend => legend,
        scheduled => scheduled,
        shipped => report.shipped(),
        days => days,
        unscheduled => report.unscheduled().into_iter().map(|e| push_view(report, e, false)).collect::<Vec<_>>(),
        other_weeks => report.other_weeks().into_iter().map(|e| push_view(report, e, true)).collect::<Vec<_>>(),
        alerts => alerts,
        conflicts => conflicts,
        warnings => warnings,
    };
    render_template("week.html", ctx)
}

/// The page for a week id that does not parse (served with status 400):
/// says what was wrong and links to `this_week`.
pub fn render_bad_week(message: &str, this_week: IsoWeekId) -> Result<String, HtmlError> {
    render_template(
        "bad_week.html",
        context! {
            title => "That is not a week",
            message => message,
            example => this_week.to_string(),
        },
    )
}

fn render_template(name: &'static str, ctx: minijinja::Value) -> Result<String, HtmlError> {
    let env = environment()?;
    let template = env.get_template(name).map_err(|source| HtmlError {
        template: name,
        source,
    })?;
    template.render(ctx).map_err(|source| HtmlError {
        template: name,
        source,
    })
}
