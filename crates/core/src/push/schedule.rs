//! Reading the push time from a bug: a custom field, a whiteboard tag, a
//! dated target milestone or a date in the summary, in the configured order.
//!
//! The first source that holds something decides. If what it holds cannot be
//! read (a bad date, two different dates, a local time that does not exist)
//! the push is unscheduled with that reason; the bot never falls through to a
//! lower source, because that would be a guess. Pure.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::PushSettings;
use crate::bugzilla::Bug;
use crate::clock::{self, Resolution};

/// Where a push time may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleSource {
    /// The custom field named by `push.date_field`.
    CustomField,
    /// A whiteboard tag `[push 2026-12-01 16:00]` (or `[push 2026-12-01]`).
    Whiteboard,
    /// A target milestone named after a date, `2010-09-14`.
    Milestone,
    /// An ISO date (and time) in the summary.
    Summary,
}

/// When the push goes out, or why that is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Schedule {
    /// The push goes out at this instant.
    At {
        /// The push time (UTC).
        at: DateTime<Utc>,
        /// Where it was read, e.g. `whiteboard tag `2026-12-01 16:00``.
        source: String,
        /// Anything assumed: a default time, the earlier of two ambiguous
        /// local times.
        note: Option<String>,
    },
    /// No readable push time.
    Unscheduled {
        /// Why, in words a person can act on.
        reason: String,
    },
}

/// What a source found, before parsing.
enum Probe {
    Absent,
    Found { label: String, text: String },
    Unreadable(String),
}

pub(super) fn read(bug: &Bug, settings: &PushSettings, tz: Tz) -> Schedule {
    for source in &settings.schedule_sources {
        let probe = match source {
            ScheduleSource::CustomField => match bug.custom_field(&settings.date_field) {
                Some(text) => Probe::Found {
                    label: format!("field {}", settings.date_field),
                    text,
                },
                None => Probe::Absent,
            },
            ScheduleSource::Whiteboard => {
                whiteboard(&bug.whiteboard, &settings.whiteboard_date_word)
            }
            ScheduleSource::Milestone => milestone(&bug.target_milestone),
            ScheduleSource::Summary => summary(&bug.summary),
        };
        match probe {
            Probe::Absent => continue,
            Probe::Unreadable(reason) => return Schedule::Unscheduled { reason },
            Probe::Found { label, text } => return parse(&label, &text, settings, tz),
        }
    }
    Schedule::Unscheduled {
        reason: format!(
            "no push date found: no {} field, no whiteboard tag [{} YYYY-MM-DD HH:MM], no dated target milestone, no YYYY-MM-DD in the summary",
            settings.date_field, settings.whiteboard_date_word
        ),
    }
}

fn parse(label: &str, text: &str, settings: &PushSettings, tz: Tz) -> Schedule {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Schedule::At {
            at: t.with_timezone(&Utc),
            source: format!("{label} `{text}`"),
            note: None,
        };
    }
    let (local, mut note) = if let Some(local) = clock::parse_local_date_time(text) {
        (local, None)
    } else if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let time = settings.default_push_time;
        (
            NaiveDateTime::new(date, time.0),
            Some(format!("no time given; took the default push time {time}")),
        )
    } else {
        return Schedule::Unscheduled {
            reason: format!(
                "{label} `{text}` is not a date; write YYYY-MM-DD or YYYY-MM-DD HH:MM (team time)"
            ),
        };
    };
    match clock::local_to_utc(local, tz) {
        Ok((at, resolution)) => {
            if resolution == Resolution::AmbiguousTookEarlier {
                let extra = format!(
                    "{} happens twice in {tz} (clocks fall back); took the first",
                    local.format("%Y-%m-%d %H:%M")
                );
                note = Some(match note {
                    Some(n) => format!("{n}; {extra}"),
                    None => extra,
                });
            }
            Schedule::At {
                at,
                source: format!("{label} `{text}`"),
                note,
            }
        }
        Err(e) => Schedule::Unscheduled {
            reason: format!("{label} `{text}`: {e}"),
        },
    }
}

/// Finds `[WORD value]` tags on the whiteboard.
fn whiteboard(whiteboard: &str, word: &str) -> Probe {
    let word = word.trim().to_lowercase();
    let mut found: Vec<String> = Vec::new();
    let mut rest = whiteboard;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = after[..close].trim();
        let is_ours = inner
            .get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&word))
            && inner[word.len()..].starts_with(char::is_whitespace);
        if is_ours {
            let value = inner[word.len()..].trim().to_string();
            if !found.contains(&value) {
                found.push(value);
            }
        }
        rest = &after[close + 1..];
    }
    match found.len() {
        0 => Probe::Absent,
        1 => Probe::Found {
            label: "whiteboard tag".to_string(),
            text: found.remove(0),
        },
        _ => Probe::Unreadable(format!(
            "the whiteboard has {} different push dates ({}); keep one",
            found.len(),
            found.join(", ")
        )),
    }
}

fn milestone(milestone: &str) -> Probe {
    let m = milestone.trim();
    // Only milestones that look like dates count; `---`, `Future` or `1.2`
    // are simply not a schedule.
    let looks_dated = m.len() >= 5
        && m.as_bytes()[..4].iter().all(|c| c.is_ascii_digit())
        && m.as_bytes()[4] == b'-';
    if looks_dated {
        Probe::Found {
            label: "target milestone".to_string(),
            text: m.to_string(),
        }
    } else {
        Probe::Absent
    }
}

/// Every `YYYY-MM-DD`, optionally followed by ` HH:MM` or `THH:MM`.
fn date_spans(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    let mut out = Vec::new();
    let mut i = 0;
    while i + 10 <= b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let is_date = boundary
            && (0..4).all(|k| digit(i + k))
            && b[i + 4] == b'-'
            && digit(i + 5)
            && digit(i + 6)
            && b[i + 7] == b'-'
            && digit(i + 8)
            && digit(i + 9)
            && !digit(i + 10);
        if !is_date {
            i += 1;
            continue;
        }
        let mut end = i + 10;
        let has_time = matches!(b.get(end), Some(b' ') | Some(b'T'))
            && digit(end + 1)
            && digit(end + 2)
            && b.get(end + 3) == Some(&b':')
            && digit(end + 4)
            && digit(end + 5)
            && !digit(end + 6);
        if has_time {
            end += 6;
        }
        // All matched bytes are ASCII, so these are char boundaries.
        out.push(text[i..end].to_string());
        i = end;
    }
    out
}

fn summary(summary: &str) -> Probe {
    let mut found = date_spans(summary);
    found.dedup();
    match found.len() {
        0 => Probe::Absent,
        1 => Probe::Found {
            label: "summary date".to_string(),
            text: found.remove(0),
        },
        _ => Probe::Unreadable(format!(
            "the summary names {} dates ({}); set the push date in a whiteboard tag or the date field",
            found.len(),
            found.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_dates_in_text() {
        assert_eq!(
            date_spans("Push AMO 2026-12-01 16:00 please"),
            vec!["2026-12-01 16:00"]
        );
        assert_eq!(date_spans("2026-12-01T09:30"), vec!["2026-12-01T09:30"]);
        assert!(date_spans("tag 2026.11.26, bug 12026-12-01x").is_empty());
        assert_eq!(
            date_spans("a 2026-12-01 and 2026-12-03"),
            vec!["2026-12-01", "2026-12-03"]
        );
    }

    #[test]
    fn whiteboard_tags_are_told_apart_from_app_tags() {
        assert!(matches!(
            whiteboard("[push:amo] [qa+]", "push"),
            Probe::Absent
        ));
        match whiteboard("[push:amo] [PUSH 2026-12-01 16:00]", "push") {
            Probe::Found { text, .. } => assert_eq!(text, "2026-12-01 16:00"),
            _ => panic!("tag not found"),
        }
        assert!(matches!(
            whiteboard("[push 2026-12-01] [push 2026-12-02]", "push"),
            Probe::Unreadable(_)
        ));
    }

    #[test]
    fn milestones_count_only_when_dated() {
        assert!(matches!(milestone("---"), Probe::Absent));
        assert!(matches!(milestone("Future"), Probe::Absent));
        assert!(matches!(milestone("2010-09-14"), Probe::Found { .. }));
    }
}
