//! An iCalendar (RFC 5545) feed of scheduled pushes (`/calendar.ics`), so
//! the team sees pushes in their own calendar.
//!
//! One `VEVENT` per scheduled push with a stable `UID` (`push-<bug>@pushbot`,
//! so a moved push updates the event instead of duplicating it), `DTSTART`
//! and `DTEND` in UTC, `SUMMARY`, `URL` and the conflicts and warnings in
//! `DESCRIPTION`. A push already shipped (resolved FIXED) stays in the feed,
//! its `SUMMARY` starting `Shipped:` and `shipped` among its `CATEGORIES`;
//! cancelled pushes never reach it. Text is escaped (RFC 5545 §3.3.11), lines are folded at 75
//! octets without splitting a UTF-8 character (§3.1), lines end in CRLF.
//! Pure: no I/O, no clock (`DTSTAMP` is the report's `generated_at`).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::model::{PushEntry, WeekReport};

/// The longest a content line may be, in octets, without its CRLF.
const MAX_LINE_OCTETS: usize = 75;

/// Feed options.
#[derive(Debug, Clone)]
pub struct IcsOptions {
    /// How long each push event lasts. Default: 1 hour.
    pub duration: Duration,
    /// The calendar's display name (`X-WR-CALNAME`). Default: "pushbot pushes".
    pub calendar_name: String,
}

impl Default for IcsOptions {
    fn default() -> Self {
        IcsOptions {
            duration: Duration::hours(1),
            calendar_name: "pushbot pushes".to_string(),
        }
    }
}

/// Renders every scheduled push of `reports` (each bug once, the first
/// report that holds it wins) as one calendar. `stamp` is the `DTSTAMP`
/// of every event: when the data was read.
pub fn render<'a>(
    reports: impl IntoIterator<Item = &'a WeekReport>,
    stamp: DateTime<Utc>,
    options: &IcsOptions,
) -> String {
    let mut seen = BTreeSet::new();
    let mut entries: Vec<&PushEntry> = Vec::new();
    for report in reports {
        for entry in &report.pushes {
            if entry.when.is_some() && seen.insert(entry.bug) {
                entries.push(entry);
            }
        }
    }
    entries.sort_by_key(|e| (e.when, e.bug));

    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//pushbot//push calendar//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!("X-WR-CALNAME:{}", escape_text(&options.calendar_name)),
    );
    for entry in entries {
        let Some(start) = entry.when else { continue };
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:push-{}@pushbot", entry.bug));
        line(&mut out, &format!("DTSTAMP:{}", utc(stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(start)));
        line(
            &mut out,
            &format!("DTEND:{}", utc(start + options.duration)),
        );
        line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                escape_text(&format!(
                    "{}{} {} push: bug {} {}",
                    if entry.shipped { "Shipped: " } else { "" },
                    entry.app,
                    entry.size,
                    entry.bug,
                    entry.summary
                ))
            ),
        );
        let url: String = entry.url.chars().filter(|c| !c.is_control()).collect();
        if !url.is_empty() {
            line(&mut out, &format!("URL:{url}"));
        }
        line(
            &mut out,
            &format!("DESCRIPTION:{}", escape_text(&description(entry))),
        );
        // CATEGORIES is a list: the commas between values stay bare.
        let mut categories = vec![escape_text(entry.size.as_str())];
        if entry.shipped {
            categories.push("shipped".to_string());
        }
        line(&mut out, &format!("CATEGORIES:{}", categories.join(",")));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

fn description(entry: &PushEntry) -> String {
    let mut text = format!(
        "bug {}: {}\n{}\napp: {}, size: {}\nowner: {}\n",
        entry.bug,
        entry.summary,
        entry.url,
        entry.app,
        entry.size,
        match (&entry.owner, entry.shipped) {
            (Some(owner), _) => owner.as_str(),
            (None, true) => "none",
            (None, false) => "NONE (needs an owner)",
        }
    );
    if entry.shipped {
        text.push_str("shipped: resolved FIXED; still counts toward the week's limits\n");
    }
    for s in &entry.signoffs {
        match &s.who {
            Some(who) => text.push_str(&format!("{}: {} ({})\n", s.flag, s.state, who)),
            None => text.push_str(&format!("{}: {}\n", s.flag, s.state)),
        }
    }
    for c in &entry.conflicts {
        text.push_str(&format!("CONFLICT: {c}\n"));
    }
    for w in &entry.warnings {
        text.push_str(&format!("WARNING: {w}\n"));
    }
    text.trim_end().to_string()
}

/// `20261202T000000Z`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value: backslash, `;`, `,` and newlines (RFC 5545
/// §3.3.11). Other control characters are dropped: they are not allowed.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded: at most 75 octets per physical line,
/// continuation lines start with a space, never inside a UTF-8 character.
fn line(out: &mut String, content: &str) {
    let mut used = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if used + len > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(
            escape_text("a,b;c\\d\ne\r\nf"),
            "a\\,b\\;c\\\\d\\ne\\nf".to_string()
        );
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let content = format!("SUMMARY:{}", "é".repeat(100));
        line(&mut out, &content);
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        for l in &lines[1..] {
            assert!(l.starts_with(' '));
        }
        let unfolded: String = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{content}\r\n"));
    }
}
