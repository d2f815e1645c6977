//! The report renderers on fixed weeks: Markdown text, JSON fields, HTML
//! escaping and size, and the iCalendar feed read back by a real parser.

mod support;

use chrono::{DateTime, Utc};
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use pushbot::report::ics::IcsOptions;
use pushbot::report::{html, ics, json, markdown, SizeClass, WeekReport};
use support::week::*;

const MEETING_WEEK_MARKDOWN: &str = "\
## Push summary for 2026-W49 (Mon 30 Nov – Sun 6 Dec 2026, times in America/Los_Angeles)

5 pushes scheduled, 1 unscheduled; 1 conflict, 1 warning.

### Conflicts

- 2 large releases in 2026-W49 (limit 1): bug 1001, bug 1002

### Warnings

- push on Monday at 14:00 is outside the push window (Tuesday to Thursday, from 16:00) — bug 1004

### Monday 30 Nov

- 14:00 PST bug 1004 (Input, small): Input dashboard update
  - https://bugzilla.example.org/show_bug.cgi?id=1004
  - owner: fwenzel@example.org
  - sign-off: webdev-signoff requested (fwenzel@example.org)
  - WARNING: push on Monday at 14:00 is outside the push window (Tuesday to Thursday, from 16:00)

### Tuesday 1 Dec

- 16:00 PST bug 1001 (AMO, large): AMO 6.3 release
  - https://bugzilla.example.org/show_bug.cgi?id=1001
  - owner: wclouser@example.org
  - sign-off: webdev-signoff granted (morgamic@example.org), qa-signoff requested (krupa@example.org)
  - CONFLICT: 2 large releases in 2026-W49 (limit 1): bug 1001, bug 1002

### Wednesday 2 Dec

- 16:30 PST bug 1003 (Personas, small): Personas gallery fixes
  - https://bugzilla.example.org/show_bug.cgi?id=1003
  - owner: NONE (needs an owner)
  - sign-off: webdev-signoff missing, qa-signoff missing

### Thursday 3 Dec

- 17:00 PST bug 1002 (SUMO, large): SUMO 2.4 release
  - https://bugzilla.example.org/show_bug.cgi?id=1002
  - owner: jsocol@example.org
  - sign-off: webdev-signoff granted (jsocol@example.org), qa-signoff denied (stephend@example.org)
  - CONFLICT: 2 large releases in 2026-W49 (limit 1): bug 1001, bug 1002

### Friday 4 Dec

- 11:00 PST bug 1005 (SUMO, content-only): Update the Firefox 4 beta help article
  - https://bugzilla.example.org/show_bug.cgi?id=1005
  - owner: cww@example.org
  - sign-off: none requested

### Not scheduled yet

- bug 1006 (AMO, large): Move AMO to the new Zeus cluster
  - https://bugzilla.example.org/show_bug.cgi?id=1006
  - owner: NONE (needs an owner)
  - sign-off: none requested
";

#[test]
fn markdown_summary_of_the_meeting_week() {
    let text = markdown::render(&meeting_week());
    assert_eq!(text, MEETING_WEEK_MARKDOWN);
}

#[test]
fn markdown_keeps_multi_line_summaries_on_one_line() {
    let mut report = meeting_week();
    report.pushes[0].summary = "Move AMO\n- to the new cluster".into();
    let text = markdown::render(&report);
    assert!(
        text.contains("bug 1006 (AMO, large): Move AMO - to the new cluster\n"),
        "{text}"
    );
}

#[test]
fn markdown_of_an_empty_week() {
    let report = WeekReport::empty(
        week("2027-W01"),
        chrono_tz::Europe::Berlin,
        utc(2027, 1, 1, 0, 0),
    );
    assert_eq!(
        markdown::render(&report),
        "## Push summary for 2027-W01 (Mon 4 Jan – Sun 10 Jan 2027, times in Europe/Berlin)\n\n\
         0 pushes scheduled, 0 unscheduled; 0 conflicts, 0 warnings.\n\n\
         No pushes scheduled in 2027-W01.\n"
    );
}

#[test]
fn json_has_stable_fields() {
    let doc: serde_json::Value =
        serde_json::from_str(&json::render(&meeting_week()).unwrap()).unwrap();
    assert_eq!(doc["week"], "2026-W49");
    assert_eq!(doc["time_zone"], "America/Los_Angeles");
    assert_eq!(doc["starts_at"], "2026-11-30T08:00:00Z");
    assert_eq!(doc["days"].as_array().unwrap().len(), 7);
    let monday = &doc["days"][0];
    assert_eq!(monday["date"], "2026-11-30");
    assert_eq!(monday["weekday"], "Mon");
    let input = &monday["pushes"][0];
    assert_eq!(input["bug"], 1004);
    assert_eq!(input["size"], "small");
    assert_eq!(input["when"], "2026-11-30T22:00:00Z");
    assert_eq!(input["local_time"], "2026-11-30T14:00:00-08:00");
    assert_eq!(input["signoffs"][0]["flag"], "webdev-signoff");
    assert_eq!(input["signoffs"][0]["state"], "requested");
    assert_eq!(input["warnings"][0], WINDOW);
    assert_eq!(doc["days"][4]["pushes"][0]["size"], "content_only");
    assert_eq!(
        doc["days"][2]["pushes"][0]["owner"],
        serde_json::Value::Null
    );
    assert_eq!(doc["unscheduled"][0]["bug"], 1006);
    assert_eq!(doc["unscheduled"][0]["when"], serde_json::Value::Null);
    assert_eq!(doc["conflicts"][0]["text"], CONFLICT);
    assert_eq!(doc["conflicts"][0]["bugs"], serde_json::json!([1001, 1002]));
}

#[test]
fn html_shows_every_push_and_marks_problems() {
    let page = html::render(&meeting_week(), Some(utc(2026, 12, 1, 20, 0))).unwrap();
    for bug in 1001..=1006 {
        assert!(
            page.contains(&format!("data-bug=\"{bug}\"")),
            "bug {bug} missing"
        );
    }
    // Conflicting and window-warned blocks get the red border class and text.
    assert_eq!(page.matches("class=\"push large flagged\"").count(), 2);
    assert_eq!(page.matches("class=\"push small flagged\"").count(), 1);
    assert!(page.contains("⚠ Conflict: 2 large releases in 2026-W49"));
    assert!(page.contains("◷ push on Monday at 14:00"));
    assert!(page.contains("no owner"));
    assert!(page.contains("Not scheduled yet (1)"));
    // Prev/next links and today's column (Tue 1 Dec, 12:00 PST).
    assert!(page.contains("href=\"/week/2026-W48\""));
    assert!(page.contains("href=\"/week/2026-W50\""));
    assert_eq!(page.matches(" today\"").count(), 1);
    assert!(page.contains("Tue · today"));
    assert!(!page.contains("<script"), "no JavaScript");
}

#[test]
fn html_escapes_user_text() {
    let mut report = meeting_week();
    report.pushes[0].summary = "<script>alert(1)</script> & \"quotes\"".into();
    report.pushes[1].owner = Some("<b>eve</b>".into());
    report.pushes[2].warnings = vec!["<img src=x onerror=alert(2)>".into()];
    report.pushes[3].url = "javascript:alert(3)".into();
    let page = html::render(&report, None).unwrap();
    assert!(!page.contains("<script>"), "summary not escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;quotes&quot;"));
    assert!(!page.contains("<b>eve</b>"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("javascript:"));
}

#[test]
fn html_of_an_empty_week_says_so() {
    let report = WeekReport::empty(
        week("2031-W07"),
        chrono_tz::America::Los_Angeles,
        utc(2031, 2, 1, 0, 0),
    );
    let page = html::render(&report, None).unwrap();
    assert!(page.contains("No pushes scheduled in 2031-W07."));
    assert_eq!(page.matches("no pushes</div>").count(), 7);
    assert!(!page.contains("Not scheduled yet"));
}

#[test]
fn html_of_a_200_push_week() {
    let report = bulk_week(200);
    let page = html::render(&report, None).unwrap();
    for bug in 2000..2200 {
        assert!(
            page.contains(&format!("id=\"bug-{bug}\"")),
            "bug {bug} missing"
        );
    }
    assert_eq!(page.matches("<article").count(), 200);
    assert_eq!(page.matches("</article>").count(), 200);
    assert_eq!(page.matches("<section class=\"day").count(), 7);
    assert!(page.trim_end().ends_with("</html>"));
}

fn parse_ics(text: &str) -> Vec<icalendar::Event> {
    let calendar: Calendar = text.parse().unwrap();
    calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn start_of(event: &icalendar::Event) -> DateTime<Utc> {
    match event.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        other => panic!("DTSTART is not UTC: {other:?}"),
    }
}

fn assert_wire_format(text: &str) {
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line end in {line:?}"
        );
    }
}

#[test]
fn ics_feed_parses_with_one_event_per_scheduled_push() {
    let report = meeting_week();
    let text = ics::render([&report], report.generated_at, &IcsOptions::default());
    assert_wire_format(&text);
    let events = parse_ics(&text);
    assert_eq!(events.len(), 5, "the unscheduled push has no event");
    let uids: Vec<&str> = events.iter().filter_map(|e| e.get_uid()).collect();
    assert_eq!(
        uids,
        [
            "push-1004@pushbot",
            "push-1001@pushbot",
            "push-1003@pushbot",
            "push-1002@pushbot",
            "push-1005@pushbot"
        ]
    );
    let amo = &events[1];
    assert_eq!(start_of(amo), utc(2026, 12, 2, 0, 0));
    assert_eq!(
        amo.get_end(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc(
            2026, 12, 2, 1, 0
        ))))
    );
    assert_eq!(
        amo.get_summary(),
        Some("AMO large push: bug 1001 AMO 6.3 release")
    );
    assert_eq!(
        amo.property_value("URL"),
        Some("https://bugzilla.example.org/show_bug.cgi?id=1001")
    );
    let description = amo.get_description().unwrap();
    assert!(
        description.contains(&format!("CONFLICT: {CONFLICT}")),
        "{description}"
    );
    assert!(
        description.contains("qa-signoff: requested (krupa@example.org)"),
        "{description}"
    );
    assert!(events[0]
        .get_description()
        .unwrap()
        .contains(&format!("WARNING: {WINDOW}")));
    assert!(text.contains("DESCRIPTION:bug 1001: AMO 6.3 release\\nhttps://"));
}

#[test]
fn ics_times_follow_dst() {
    // 16:00 in Los Angeles on Fri 30 Oct 2026 (PDT, UTC-7) and on
    // Mon 2 Nov 2026 (PST, UTC-8): the clocks went back on Sun 1 Nov.
    let before = push(
        1,
        "AMO",
        SizeClass::Large,
        Some(utc(2026, 10, 30, 23, 0)),
        "before",
    );
    let after = push(
        2,
        "AMO",
        SizeClass::Large,
        Some(utc(2026, 11, 3, 0, 0)),
        "after",
    );
    // The UTC instants above are what 16:00 local means on those dates.
    let la = chrono_tz::America::Los_Angeles;
    use chrono::TimeZone;
    assert_eq!(
        la.with_ymd_and_hms(2026, 10, 30, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
        before.when.unwrap()
    );
    assert_eq!(
        la.with_ymd_and_hms(2026, 11, 2, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
        after.when.unwrap()
    );
    let w44 = WeekReport {
        week: week("2026-W44"),
        time_zone: la,
        pushes: vec![before],
        generated_at: utc(2026, 10, 1, 0, 0),
    };
    let w45 = WeekReport {
        week: week("2026-W45"),
        time_zone: la,
        pushes: vec![after],
        generated_at: utc(2026, 10, 1, 0, 0),
    };
    let options = IcsOptions {
        duration: chrono::Duration::minutes(90),
        ..IcsOptions::default()
    };
    let text = ics::render([&w44, &w45], utc(2026, 10, 1, 0, 0), &options);
    assert!(text.contains("DTSTART:20261030T230000Z\r\n"), "{text}");
    assert!(text.contains("DTSTART:20261103T000000Z\r\n"), "{text}");
    assert!(text.contains("DTEND:20261103T013000Z\r\n"), "{text}");
    let events = parse_ics(&text);
    assert_eq!(events.len(), 2);
    assert_eq!(start_of(&events[0]).format("%H:%M").to_string(), "23:00");
    assert_eq!(start_of(&events[1]).format("%H:%M").to_string(), "00:00");
    // Both are 16:00 on the team's wall clock.
    for e in &events {
        assert_eq!(
            start_of(e).with_timezone(&la).format("%H:%M").to_string(),
            "16:00"
        );
    }
}

#[test]
fn ics_escapes_and_folds_user_text() {
    let mut p = push(7, "AMO", SizeClass::Small, Some(utc(2026, 12, 2, 0, 0)), "");
    p.summary = "Fix a, b; and c\\d\nsecond line — with ünïcödé and a long tail that certainly needs folding".into();
    let report = WeekReport {
        week: week("2026-W49"),
        time_zone: chrono_tz::America::Los_Angeles,
        pushes: vec![p.clone(), p],
        generated_at: utc(2026, 11, 1, 0, 0),
    };
    let text = ics::render(
        [&report, &report],
        report.generated_at,
        &IcsOptions::default(),
    );
    assert_wire_format(&text);
    assert!(text.contains("Fix a\\, b\\; and c\\\\d\\nsecond line"));
    let events = parse_ics(&text);
    assert_eq!(events.len(), 1, "one event per bug");
    let summary = events[0].get_summary().unwrap();
    assert!(
        summary.contains("Fix a, b; and c\\d\nsecond line — with ünïcödé"),
        "{summary:?}"
    );
    assert!(summary.ends_with("certainly needs folding"), "{summary:?}");
}

/// The meeting week after the AMO push went out on Tuesday (its bug
/// resolved FIXED): still in the week, still in the conflict.
fn week_with_amo_shipped() -> WeekReport {
    let mut report = meeting_week();
    let amo = report.pushes.iter_mut().find(|e| e.bug.0 == 1001).unwrap();
    amo.shipped = true;
    amo.owner = None;
    report
}

#[test]
fn markdown_marks_a_shipped_push_and_keeps_its_conflict() {
    let text = markdown::render(&week_with_amo_shipped());
    assert!(
        text.contains("5 pushes scheduled (1 shipped), 1 unscheduled; 1 conflict, 1 warning.\n"),
        "{text}"
    );
    let amo = "- 16:00 PST bug 1001 (AMO, large, shipped): AMO 6.3 release\n\
               \x20 - https://bugzilla.example.org/show_bug.cgi?id=1001\n\
               \x20 - owner: none\n";
    assert!(text.contains(amo), "{text}");
    assert!(
        text.contains(&format!("- {CONFLICT}\n")),
        "the week's conflict still counts the shipped push: {text}"
    );
    // Only the shipped push changed.
    assert_eq!(
        text.replace(" (1 shipped)", "")
            .replace(", shipped)", ")")
            .replace(
                "owner: none\n  - sign-off: webdev-signoff granted (morgamic",
                "owner: wclouser@example.org\n  - sign-off: webdev-signoff granted (morgamic"
            ),
        MEETING_WEEK_MARKDOWN
    );
}

#[test]
fn json_says_which_pushes_shipped() {
    let doc: serde_json::Value =
        serde_json::from_str(&json::render(&week_with_amo_shipped()).unwrap()).unwrap();
    assert_eq!(doc["shipped"], 1);
    let tuesday = &doc["days"][1]["pushes"][0];
    assert_eq!(tuesday["bug"], 1001);
    assert_eq!(tuesday["shipped"], true);
    assert_eq!(tuesday["conflicts"][0], CONFLICT);
    assert_eq!(doc["days"][3]["pushes"][0]["shipped"], false);
    assert_eq!(doc["unscheduled"][0]["shipped"], false);
    assert_eq!(doc["conflicts"][0]["bugs"], serde_json::json!([1001, 1002]));
    // The plain meeting week has the field too, all false.
    let plain: serde_json::Value =
        serde_json::from_str(&json::render(&meeting_week()).unwrap()).unwrap();
    assert_eq!(plain["shipped"], 0);
    assert_eq!(plain["days"][1]["pushes"][0]["shipped"], false);
}

#[test]
fn html_marks_a_shipped_push_without_asking_for_an_owner() {
    let page = html::render(&week_with_amo_shipped(), None).unwrap();
    let start = page.find("data-bug=\"1001\"").unwrap();
    let card = &page[start..start + page[start..].find("</article>").unwrap()];
    assert!(card.contains("data-shipped=\"true\""), "{card}");
    assert!(card.contains("✓ shipped"), "{card}");
    assert!(
        card.contains("⚠ Conflict: 2 large releases in 2026-W49"),
        "{card}"
    );
    assert!(!card.contains("no owner"), "{card}");
    assert_eq!(page.matches("data-shipped=").count(), 1);
    assert!(page.contains("class=\"push large flagged shipped\""));
    assert!(page.contains("(<strong>1</strong> shipped)"));
    assert!(page.contains("shipped (still counts)"));
    let plain = html::render(&meeting_week(), None).unwrap();
    for said in ["data-shipped", "✓ shipped", "still counts"] {
        assert!(
            !plain.contains(said),
            "nothing shipped, nothing said: {said}"
        );
    }
}

#[test]
fn ics_keeps_a_shipped_push_and_says_so() {
    let report = week_with_amo_shipped();
    let text = ics::render([&report], report.generated_at, &IcsOptions::default());
    assert_wire_format(&text);
    let events = parse_ics(&text);
    assert_eq!(events.len(), 5);
    let amo = events
        .iter()
        .find(|e| e.get_uid() == Some("push-1001@pushbot"))
        .unwrap();
    assert_eq!(
        amo.get_summary(),
        Some("Shipped: AMO large push: bug 1001 AMO 6.3 release")
    );
    // CATEGORIES is a value list: two categories, not one with a comma.
    assert_eq!(
        text.matches("CATEGORIES:large,shipped\r\n").count(),
        1,
        "{text}"
    );
    let description = amo.get_description().unwrap();
    assert!(description.contains("owner: none\n"), "{description}");
    assert!(
        description.contains("shipped: resolved FIXED; still counts toward the week's limits"),
        "{description}"
    );
    assert!(
        description.contains(&format!("CONFLICT: {CONFLICT}")),
        "{description}"
    );
    assert_eq!(
        text.matches("CATEGORIES:large\r\n").count(),
        1,
        "SUMO: {text}"
    );
    assert_eq!(text.matches("SUMMARY:Shipped").count(), 1);
}
