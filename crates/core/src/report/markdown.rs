//! The weekly summary as Markdown that also reads well as plain text: the
//! comment the bot posts on a tracking bug (stock Bugzilla shows comments as
//! plain text, bugzilla.mozilla.org renders Markdown).
//!
//! Pure and deterministic: the same report gives the same bytes, so the
//! executor's marker check and tests can compare texts. It does not add the
//! `[pushbot …]` marker line: the action that posts the text does.
//!
//! A push already shipped (resolved FIXED) is listed on its day as
//! `(AMO, large, shipped)` with its conflicts: it still counts toward the
//! week's limits. The count line says how many shipped.

use std::fmt::Write as _;

use super::model::{PushEntry, SignoffState, WeekReport};

/// Renders the summary. Lines end with `\n`; the text ends with one.
pub fn render(report: &WeekReport) -> String {
    let mut out = String::new();
    let days = report.week.days();
    let _ = writeln!(
        out,
        "## Push summary for {} ({} – {}, times in {})",
        report.week,
        days[0].format("%a %-d %b"),
        days[6].format("%a %-d %b %Y"),
        report.time_zone.name()
    );
    out.push('\n');

    let by_day = report.days();
    let scheduled: usize = by_day.iter().map(|d| d.pushes.len()).sum();
    let unscheduled = report.unscheduled();
    let other = report.other_weeks();
    let conflicts = report.conflicts();
    let warnings = report.warnings();
    let shipped = match report.shipped() {
        0 => String::new(),
        n => format!(" ({n} shipped)"),
    };
    let _ = writeln!(
        out,
        "{} scheduled{shipped}, {} unscheduled; {}, {}.",
        plural(scheduled, "push", "pushes"),
        unscheduled.len(),
        plural(conflicts.len(), "conflict", "conflicts"),
        plural(warnings.len(), "warning", "warnings"),
    );

    if !conflicts.is_empty() {
        out.push_str("\n### Conflicts\n\n");
        for (text, _) in &conflicts {
            let _ = writeln!(out, "- {}", one_line(text));
        }
    }
    if !warnings.is_empty() {
        out.push_str("\n### Warnings\n\n");
        for (text, bugs) in &warnings {
            let names: Vec<String> = bugs.iter().map(|b| format!("bug {b}")).collect();
            let _ = writeln!(out, "- {} — {}", one_line(text), names.join(", "));
        }
    }

    if scheduled == 0 {
        let _ = writeln!(out, "\nNo pushes scheduled in {}.", report.week);
    }
    for day in by_day.iter().filter(|d| !d.pushes.is_empty()) {
        let _ = writeln!(out, "\n### {}\n", day.date.format("%A %-d %b"));
        for entry in &day.pushes {
            write_entry(&mut out, report, entry, false);
        }
    }
    if !unscheduled.is_empty() {
        out.push_str("\n### Not scheduled yet\n\n");
        for entry in unscheduled {
            write_entry(&mut out, report, entry, true);
        }
    }
    if !other.is_empty() {
        out.push_str("\n### Scheduled in other weeks\n\n");
        for entry in other {
            write_entry(&mut out, report, entry, true);
        }
    }
    out
}

/// One push as a list item; `with_date` for pushes listed outside their
/// day's heading.
fn write_entry(out: &mut String, report: &WeekReport, entry: &PushEntry, with_date: bool) {
    let when = match entry.when {
        Some(w) if with_date => format!("{} ", report.local(w).format("%a %-d %b %Y %H:%M %Z")),
        Some(w) => format!("{} ", report.local(w).format("%H:%M %Z")),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "- {when}bug {} ({}, {}{}): {}",
        entry.bug,
        one_line(&entry.app),
        entry.size,
        if entry.shipped { ", shipped" } else { "" },
        one_line(&entry.summary)
    );
    let _ = writeln!(out, "  - {}", one_line(&entry.url));
    let owner = match &entry.owner {
        Some(o) => one_line(o),
        // A push that went out needs no owner any more.
        None if entry.shipped => "none".to_string(),
        None => "NONE (needs an owner)".to_string(),
    };
    let _ = writeln!(out, "  - owner: {owner}");
    let _ = writeln!(out, "  - sign-off: {}", signoffs(&entry.signoffs));
    for c in &entry.conflicts {
        let _ = writeln!(out, "  - CONFLICT: {}", one_line(c));
    }
    for w in &entry.warnings {
        let _ = writeln!(out, "  - WARNING: {}", one_line(w));
    }
}

fn signoffs(list: &[SignoffState]) -> String {
    if list.is_empty() {
        return "none requested".to_string();
    }
    let parts: Vec<String> = list
        .iter()
        .map(|s| match (&s.who, &s.note) {
            (_, Some(note)) => format!("{} {} ({})", one_line(&s.flag), s.state, one_line(note)),
            (Some(who), None) => format!("{} {} ({})", one_line(&s.flag), s.state, one_line(who)),
            (None, None) => format!("{} {}", one_line(&s.flag), s.state),
        })
        .collect();
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// User text on one line: a summary with a newline must not break the list.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
