//! Time helpers shared by the push model, the rules and the command line:
//! reading `--now`, turning a team-local date and time into UTC (DST-correct),
//! the ISO week ([`IsoWeekId`], in `clock/week.rs`) and display formats in
//! the team's zone.
//!
//! Pure: never reads the clock; "now" is always an argument.

mod team;
mod week;

pub use team::TeamSettings;
pub use week::{local_midnight, IsoWeekId, ParseWeekError};

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use thiserror::Error;

/// A local time that does not name exactly one instant, or text that is not
/// a time at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// The text is neither RFC 3339 nor `YYYY-MM-DD HH:MM`.
    #[error("`{0}` is not a time; write RFC 3339 (2026-11-30T17:00:00Z) or a local `YYYY-MM-DD HH:MM` in the team's zone")]
    Unreadable(String),
    /// The local time falls into a spring-forward gap.
    #[error("{local} does not exist in {tz} (the clocks skip it when daylight saving time starts); pick another time")]
    Nonexistent { local: NaiveDateTime, tz: Tz },
}

/// How a local time was resolved to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The local time names one instant.
    Exact,
    /// The local time happens twice (the fall-back hour); the first (daylight
    /// time) occurrence was taken, because a push announced for "1:30" is
    /// expected at the first 1:30 people reach.
    AmbiguousTookEarlier,
}

/// Turns a team-local date and time into UTC. A time in the spring-forward gap
/// is an error (never shifted silently); a time in the fall-back hour takes the
/// earlier instant and says so.
pub fn local_to_utc(
    local: NaiveDateTime,
    tz: Tz,
) -> Result<(DateTime<Utc>, Resolution), TimeError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok((t.with_timezone(&Utc), Resolution::Exact)),
        LocalResult::Ambiguous(first, _) => {
            Ok((first.with_timezone(&Utc), Resolution::AmbiguousTookEarlier))
        }
        LocalResult::None => Err(TimeError::Nonexistent { local, tz }),
    }
}

/// Parses `--now`: RFC 3339 (`2026-11-30T17:00:00Z`, any offset) or a local
/// date and time in the team's zone (`2026-11-30 09:00`, `2026-11-30T09:00`,
/// seconds optional).
pub fn parse_now(text: &str, tz: Tz) -> Result<DateTime<Utc>, TimeError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local =
        parse_local_date_time(text).ok_or_else(|| TimeError::Unreadable(text.to_string()))?;
    local_to_utc(local, tz).map(|(t, _)| t)
}

/// Parses `YYYY-MM-DD HH:MM[:SS]` or the same with `T`; `None` otherwise.
pub fn parse_local_date_time(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text.trim(), f).ok())
}

/// The team-local calendar date of an instant.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// How the bot writes a time in comments: `Tue 2026-12-01 16:00 PST`.
pub fn format_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const LA: Tz = chrono_tz::America::Los_Angeles;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn now_accepts_rfc3339_and_local_times() {
        let utc = parse_now("2026-11-30T17:00:00Z", LA).unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-30T17:00:00+00:00");
        // 09:00 PST is 17:00 UTC.
        assert_eq!(parse_now("2026-11-30 09:00", LA).unwrap(), utc);
        assert_eq!(parse_now("2026-11-30T09:00:00", LA).unwrap(), utc);
        assert!(matches!(
            parse_now("next tuesday", LA),
            Err(TimeError::Unreadable(_))
        ));
    }

    #[test]
    fn spring_forward_gap_is_an_error_and_fall_back_takes_the_first() {
        let gap = parse_local_date_time("2027-03-14 02:30").unwrap();
        let err = local_to_utc(gap, LA).unwrap_err();
        assert!(err
            .to_string()
            .contains("does not exist in America/Los_Angeles"));
        let twice = parse_local_date_time("2026-11-01 01:30").unwrap();
        let (t, how) = local_to_utc(twice, LA).unwrap();
        assert_eq!(how, Resolution::AmbiguousTookEarlier);
        // 01:30 PDT (UTC-7) is 08:30 UTC; the later 01:30 PST would be 09:30.
        assert_eq!(t.to_rfc3339(), "2026-11-01T08:30:00+00:00");
    }

    #[test]
    fn iso_weeks_around_new_year() {
        assert_eq!(IsoWeekId::of_date(d(2026, 11, 30)).to_string(), "2026-W49");
        assert_eq!(IsoWeekId::of_date(d(2026, 12, 6)).to_string(), "2026-W49");
        assert_eq!(IsoWeekId::of_date(d(2026, 12, 31)).to_string(), "2026-W53");
        assert_eq!(IsoWeekId::of_date(d(2027, 1, 3)).to_string(), "2026-W53");
        assert_eq!(IsoWeekId::of_date(d(2027, 1, 4)).to_string(), "2027-W01");
        assert_eq!(IsoWeekId::of_date(d(2025, 12, 29)).to_string(), "2026-W01");
    }

    #[test]
    fn local_date_follows_the_team_zone() {
        // Monday 07:30 UTC is still Sunday evening in Los Angeles.
        let t = parse_now("2026-11-30T07:30:00Z", LA).unwrap();
        assert_eq!(local_date(t, LA), d(2026, 11, 29));
        assert_eq!(format_local(t, LA), "Sun 2026-11-29 23:30 PST");
    }
}
