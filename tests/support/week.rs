//! Report fixtures shared by the report, web and browser tests: a week like
//! the one in the seed meeting (AMO and SUMO large releases colliding, a
//! Personas push without an owner, an Input push on Monday 2pm outside the
//! push window, a content-only change on Friday) and bulk weeks.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;
use pushbot::bugzilla::types::BugId;
use pushbot::report::{IsoWeekId, PushEntry, SignoffState, SignoffStatus, SizeClass, WeekReport};

pub const CONFLICT: &str = "2 large releases in 2026-W49 (limit 1): bug 1001, bug 1002";
pub const WINDOW: &str =
    "push on Monday at 14:00 is outside the push window (Tuesday to Thursday, from 16:00)";

pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub fn week(s: &str) -> IsoWeekId {
    s.parse().unwrap()
}

pub fn signoff(flag: &str, state: SignoffStatus, who: Option<&str>) -> SignoffState {
    SignoffState {
        flag: flag.to_string(),
        state,
        who: who.map(str::to_string),
        note: None,
    }
}

/// A push with defaults: owned, no sign-offs, nothing flagged.
pub fn push(
    bug: u64,
    app: &str,
    size: SizeClass,
    when: Option<DateTime<Utc>>,
    summary: &str,
) -> PushEntry {
    PushEntry {
        bug: BugId(bug),
        url: format!("https://bugzilla.example.org/show_bug.cgi?id={bug}"),
        summary: summary.to_string(),
        app: app.to_string(),
        size,
        when,
        owner: Some("dev@example.org".to_string()),
        signoffs: Vec::new(),
        conflicts: Vec::new(),
        warnings: Vec::new(),
        shipped: false,
    }
}

/// The seed meeting's week, 2026-W49 (Mon 30 Nov .. Sun 6 Dec), PST.
pub fn meeting_week() -> WeekReport {
    let mut amo = push(
        1001,
        "AMO",
        SizeClass::Large,
        Some(utc(2026, 12, 2, 0, 0)),
        "AMO 6.3 release",
    );
    amo.owner = Some("wclouser@example.org".into());
    amo.signoffs = vec![
        signoff(
            "webdev-signoff",
            SignoffStatus::Granted,
            Some("morgamic@example.org"),
        ),
        signoff(
            "qa-signoff",
            SignoffStatus::Requested,
            Some("krupa@example.org"),
        ),
    ];
    amo.conflicts = vec![CONFLICT.into()];

    let mut sumo = push(
        1002,
        "SUMO",
        SizeClass::Large,
        Some(utc(2026, 12, 4, 1, 0)),
        "SUMO 2.4 release",
    );
    sumo.owner = Some("jsocol@example.org".into());
    sumo.signoffs = vec![
        signoff(
            "webdev-signoff",
            SignoffStatus::Granted,
            Some("jsocol@example.org"),
        ),
        signoff(
            "qa-signoff",
            SignoffStatus::Denied,
            Some("stephend@example.org"),
        ),
    ];
    sumo.conflicts = vec![CONFLICT.into()];

    let mut personas = push(
        1003,
        "Personas",
        SizeClass::Small,
        Some(utc(2026, 12, 3, 0, 30)),
        "Personas gallery fixes",
    );
    personas.owner = None;
    personas.signoffs = vec![
        signoff("webdev-signoff", SignoffStatus::Missing, None),
        signoff("qa-signoff", SignoffStatus::Missing, None),
    ];

    let mut input = push(
        1004,
        "Input",
        SizeClass::Small,
        Some(utc(2026, 11, 30, 22, 0)),
        "Input dashboard update",
    );
    input.owner = Some("fwenzel@example.org".into());
    input.signoffs = vec![signoff(
        "webdev-signoff",
        SignoffStatus::Requested,
        Some("fwenzel@example.org"),
    )];
    input.warnings = vec![WINDOW.into()];

    let mut content = push(
        1005,
        "SUMO",
        SizeClass::ContentOnly,
        Some(utc(2026, 12, 4, 19, 0)),
        "Update the Firefox 4 beta help article",
    );
    content.owner = Some("cww@example.org".into());

    let mut zeus = push(
        1006,
        "AMO",
        SizeClass::Large,
        None,
        "Move AMO to the new Zeus cluster",
    );
    zeus.owner = None;

    WeekReport {
        week: week("2026-W49"),
        time_zone: Los_Angeles,
        pushes: vec![zeus, content, input, personas, sumo, amo],
        generated_at: utc(2026, 11, 26, 12, 0),
    }
}

/// A week with `n` pushes spread over its days (every third one flagged).
pub fn bulk_week(n: u64) -> WeekReport {
    let mut pushes = Vec::new();
    for i in 0..n {
        let day = (i % 7) as u32;
        let hour = 16 + (i % 6) as u32;
        // 2026-W49 Monday is 30 Nov; 16:00 PST = 00:00Z the next day.
        let when = utc(2026, 12, 1, 0, 0)
            + chrono::Duration::days(day as i64)
            + chrono::Duration::hours((hour - 16) as i64);
        let size = [SizeClass::Large, SizeClass::Small, SizeClass::ContentOnly][(i % 3) as usize];
        let mut p = push(
            2000 + i,
            "App",
            size,
            Some(when),
            &format!("Release number {i}"),
        );
        if i % 3 == 0 {
            p.conflicts.push(format!("conflict sentence {i}"));
        }
        pushes.push(p);
    }
    WeekReport {
        week: week("2026-W49"),
        time_zone: Los_Angeles,
        pushes,
        generated_at: utc(2026, 11, 26, 12, 0),
    }
}
