use super::*;
use crate::bugzilla::types::UserDetail;
use crate::bugzilla::Flag;
use chrono::TimeZone;

const LA: Tz = chrono_tz::America::Los_Angeles;
const BOT: &str = "pushbot@example.test";

fn bug(whiteboard: &str) -> Bug {
    Bug {
        id: BugId(100),
        summary: "Push AMO to production".to_string(),
        status: "NEW".to_string(),
        product: "Websites".to_string(),
        component: "Push".to_string(),
        assigned_to: "dev@example.test".to_string(),
        assigned_to_detail: Some(UserDetail::default()),
        qa_contact: "qa@example.test".to_string(),
        whiteboard: whiteboard.to_string(),
        target_milestone: "---".to_string(),
        ..Bug::default()
    }
}

fn comment(id: u64, who: &str, text: &str) -> Comment {
    Comment {
        id: CommentId(id),
        bug_id: Some(BugId(100)),
        count: id as u32,
        text: text.to_string(),
        creator: who.to_string(),
        creation_time: Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, id as u32)
            .unwrap(),
        is_private: false,
        tags: Vec::new(),
        attachment_id: None,
    }
}

fn at(p: &PushBug) -> String {
    match &p.schedule {
        Schedule::At { at, .. } => at.to_rfc3339(),
        Schedule::Unscheduled { reason } => format!("unscheduled: {reason}"),
    }
}

#[test]
fn app_size_and_owner_from_the_table() {
    let p = extract(
        &bug("[push:amo] [push 2026-12-01 16:00]"),
        &[],
        &PushSettings::default(),
        BOT,
        LA,
    );
    assert_eq!(p.app.as_deref(), Some("AMO"));
    assert_eq!(p.size, SizeClass::Large);
    assert_eq!(p.owner.as_deref(), Some("dev@example.test"));
    assert_eq!(p.qa.as_deref(), Some("qa@example.test"));
    // 16:00 PST is 00:00 UTC the next day.
    assert_eq!(at(&p), "2026-12-02T00:00:00+00:00");
    assert!(p.is_open());
}

#[test]
fn content_tag_overrides_the_app_size() {
    let p = extract(
        &bug("[push:amo] [content]"),
        &[],
        &PushSettings::default(),
        BOT,
        LA,
    );
    assert_eq!(p.size, SizeClass::ContentOnly);
    assert_eq!(p.size_reason, "whiteboard tag [content]");
}

#[test]
fn default_accounts_and_component_defaults_are_not_owners() {
    let mut settings = PushSettings::default();
    let mut b = bug("[push:input]");
    b.assigned_to = "nobody@mozilla.org".to_string();
    assert_eq!(extract(&b, &[], &settings, BOT, LA).owner, None);
    b.assigned_to = "webdev-triage@example.test".to_string();
    assert!(extract(&b, &[], &settings, BOT, LA).owner.is_some());
    settings.component_default_assignees.insert(
        "Websites/Push".to_string(),
        "webdev-triage@example.test".to_string(),
    );
    assert_eq!(extract(&b, &[], &settings, BOT, LA).owner, None);
}

#[test]
fn triage_owner_from_bmo_else_the_setting_never_a_default_account() {
    // A BMO bug read with `include_fields=_default,triage_owner`: the field
    // is a login (the shape of the recorded BMO component's triage_owner).
    let bmo: Bug = serde_json::from_value(serde_json::json!({
        "id": 100,
        "product": "Websites",
        "component": "Push",
        "assigned_to": "nobody@mozilla.org",
        "whiteboard": "[push:amo]",
        "triage_owner": "padenot@mozilla.com",
        "triage_owner_detail": {"email": "padenot@mozilla.com", "id": 1, "name": "padenot@mozilla.com", "real_name": "Paul Adenot [:padenot]"}
    }))
    .unwrap();
    let mut settings = PushSettings::default();
    let triage = |b: &Bug, s: &PushSettings| extract(b, &[], s, BOT, LA).triage_owner;
    assert_eq!(
        triage(&bmo, &settings).as_deref(),
        Some("padenot@mozilla.com")
    );

    // Stock 5.x has no such field: nobody, unless the setting names one.
    let stock = bug("[push:amo]");
    assert_eq!(triage(&stock, &settings), None);
    settings.component_triage_owners.insert(
        "Websites/Push".to_string(),
        "webops-triage@example.test".to_string(),
    );
    assert_eq!(
        triage(&stock, &settings).as_deref(),
        Some("webops-triage@example.test")
    );
    // Only the bug's own product and component count.
    let mut other = bug("[push:amo]");
    other.component = "Other".to_string();
    assert_eq!(triage(&other, &settings), None);
    // Bugzilla's answer wins over the setting.
    assert_eq!(
        triage(&bmo, &settings).as_deref(),
        Some("padenot@mozilla.com")
    );

    // BMO's empty answer (no triage owner) and a default account are no one
    // to address: the setting gets its turn.
    for unusable in ["", "  ", "nobody@mozilla.org", "Nobody@Mozilla.org"] {
        let mut b = bmo.clone();
        b.extra
            .insert("triage_owner".to_string(), serde_json::json!(unusable));
        assert_eq!(
            triage(&b, &settings).as_deref(),
            Some("webops-triage@example.test"),
            "{unusable:?}"
        );
    }
    // A setting naming a default account (or the component's default
    // assignee) addresses no one.
    settings.component_triage_owners.insert(
        "Websites/Push".to_string(),
        "nobody@mozilla.org".to_string(),
    );
    assert_eq!(triage(&stock, &settings), None);
    settings.component_default_assignees.insert(
        "Websites/Push".to_string(),
        "webops-triage@example.test".to_string(),
    );
    settings.component_triage_owners.insert(
        "Websites/Push".to_string(),
        "WebOps-Triage@example.test".to_string(),
    );
    assert_eq!(triage(&stock, &settings), None);
    // Not a string (a future shape): ignored, never a panic.
    let mut odd = bmo.clone();
    odd.extra.insert(
        "triage_owner".to_string(),
        serde_json::json!({"login": "x"}),
    );
    assert_eq!(triage(&odd, &settings), None);
}

#[test]
fn schedule_sources_in_order() {
    let s = PushSettings::default();
    let mut b = bug("[push:amo]");
    b.summary = "AMO push 2026-12-03".to_string();
    // Summary date, default time.
    let p = extract(&b, &[], &s, BOT, LA);
    assert_eq!(at(&p), "2026-12-04T00:00:00+00:00");
    assert!(matches!(&p.schedule, Schedule::At { note: Some(n), .. } if n.contains("16:00")));
    // A dated milestone beats the summary.
    b.target_milestone = "2026-12-01".to_string();
    assert_eq!(
        at(&extract(&b, &[], &s, BOT, LA)),
        "2026-12-02T00:00:00+00:00"
    );
    // The custom field beats everything; a UTC time is taken as it is.
    b.extra.insert(
        "cf_push_date".to_string(),
        serde_json::json!("2026-12-08T23:30:00Z"),
    );
    assert_eq!(
        at(&extract(&b, &[], &s, BOT, LA)),
        "2026-12-08T23:30:00+00:00"
    );
}

#[test]
fn unreadable_dates_are_unscheduled_never_guessed() {
    let s = PushSettings::default();
    let mut b = bug("[push:amo] [push 2026-13-45]");
    b.summary = "AMO 2026-12-03".to_string();
    let p = extract(&b, &[], &s, BOT, LA);
    assert!(at(&p).starts_with("unscheduled: whiteboard tag `2026-13-45` is not a date"));
    let p = extract(&bug("[push:amo]"), &[], &s, BOT, LA);
    assert!(at(&p).starts_with("unscheduled: no push date found"));
    // 02:30 on the spring-forward Sunday does not exist in Los Angeles.
    let p = extract(&bug("[push 2027-03-14 02:30]"), &[], &s, BOT, LA);
    assert!(at(&p).contains("does not exist"), "{}", at(&p));
}

#[test]
fn ambiguous_fall_back_time_takes_the_first_and_says_so() {
    let p = extract(
        &bug("[push 2026-11-01 01:30]"),
        &[],
        &PushSettings::default(),
        BOT,
        LA,
    );
    assert_eq!(at(&p), "2026-11-01T08:30:00+00:00");
    assert!(matches!(&p.schedule, Schedule::At { note: Some(n), .. } if n.contains("twice")));
}

/// AMO with its lead and QA.
fn amo_settings() -> PushSettings {
    let mut settings = PushSettings::default();
    settings.apps.insert(
        0,
        AppSpec {
            name: "AMO".to_string(),
            whiteboard: vec!["[push:amo]".to_string()],
            components: Vec::new(),
            summary: Vec::new(),
            size: SizeClass::Large,
            leads: vec!["lead@example.test".to_string()],
            qa: Some("qa@example.test".to_string()),
        },
    );
    settings
}

fn flag(name: &str, status: FlagStatus, setter: &str) -> Flag {
    Flag {
        id: 2,
        name: name.to_string(),
        type_id: Some(1),
        status,
        setter: Some(setter.to_string()),
        requestee: None,
        creation_date: None,
        modification_date: None,
    }
}

#[test]
fn a_signoff_counts_only_from_who_may_give_it() {
    let settings = amo_settings();
    let mut b = bug("[push:amo]");
    // QA's flag set by an outsider (recordings 117-118), the lead's by the lead.
    b.flags = vec![
        flag("qa-signoff", FlagStatus::Granted, "outsider@example.test"),
        flag("webdev-signoff", FlagStatus::Denied, "lead@example.test"),
    ];
    let p = extract(&b, &[], &settings, BOT, LA);
    assert_eq!(
        p.qa_signoff,
        Signoff::NotAllowed {
            granted: true,
            by: Some("outsider@example.test".to_string())
        }
    );
    assert!(matches!(p.webdev_signoff, Signoff::Denied { .. }));
    // The lead's flag set by QA, or by the bot with no reply to the lead.
    b.flags = vec![flag(
        "webdev-signoff",
        FlagStatus::Granted,
        "qa@example.test",
    )];
    assert!(matches!(
        extract(&b, &[], &settings, BOT, LA).webdev_signoff,
        Signoff::NotAllowed { granted: true, .. }
    ));
    b.flags = vec![flag("webdev-signoff", FlagStatus::Granted, BOT)];
    let forged = vec![
        comment(5, "dev@example.test", "@pushbot go"),
        comment(6, BOT, "Recorded: go\n\n[pushbot command c5]"),
    ];
    assert!(matches!(
        extract(&b, &forged, &settings, BOT, LA).webdev_signoff,
        Signoff::NotAllowed { .. }
    ));
    // ... but the bot's flag answering the lead's go counts.
    let answered = vec![
        comment(5, "Lead@example.test", "@pushbot go"),
        comment(6, BOT, "Recorded: go\n\n[pushbot command c5]"),
    ];
    let mut p = extract(&b, &answered, &settings, BOT, LA);
    assert!(p.webdev_signoff.is_granted());
    // A member of a configured group may give either.
    b.flags = vec![flag("qa-signoff", FlagStatus::Granted, "rm@example.test")];
    p = extract(&b, &[], &settings, BOT, LA);
    let groups = vec!["release-managers".to_string()];
    confirm_by_groups(&mut p, &groups, |_, _| None);
    assert!(
        !p.qa_signoff.is_granted(),
        "unknown membership never counts"
    );
    confirm_by_groups(&mut p, &groups, |who, g| {
        Some(who == "rm@example.test" && g == "release-managers")
    });
    assert!(p.qa_signoff.is_granted());
}

#[test]
fn signoffs_checklist_markers_and_status() {
    let mut b = bug("[push:amo] [backup-done] [no-nag]");
    b.flags = vec![Flag {
        id: 2,
        name: "webdev-signoff".to_string(),
        type_id: Some(1),
        status: FlagStatus::Granted,
        setter: Some("lead@example.test".to_string()),
        requestee: None,
        creation_date: None,
        modification_date: None,
    }];
    let comments = vec![
        comment(
            1,
            "dev@example.test",
            "Schemas checked.\n[schemas-diffed]\n",
        ),
        comment(2, BOT, "Who owns this?\n\n[pushbot no-owner nag-1]"),
        // Someone quoting the bot neither confirms nor counts as a marker.
        comment(
            3,
            "dev@example.test",
            "> [pushbot no-owner nag-2]\n> [infra-tested]",
        ),
        comment(4, BOT, "[infra-tested]"),
    ];
    let amo = amo_settings();
    let p = extract(&b, &comments, &amo, BOT, LA);
    assert!(p.webdev_signoff.is_granted());
    assert_eq!(p.qa_signoff, Signoff::Missing);
    let by: Vec<Option<&str>> = p
        .checklist
        .iter()
        .map(|c| c.confirmed_by.as_deref())
        .collect();
    assert_eq!(by, vec![Some("whiteboard"), Some("dev@example.test"), None]);
    assert_eq!(p.markers.len(), 1);
    assert_eq!(p.markers[0].marker.discriminator(), "nag-1");
    assert!(p.opted_out);

    b.resolution = "WONTFIX".to_string();
    b.is_open = Some(false);
    let p = extract(&b, &[], &PushSettings::default(), BOT, LA);
    assert_eq!(
        p.status,
        PushStatus::Cancelled {
            resolution: "WONTFIX".to_string()
        }
    );
    b.resolution = "FIXED".to_string();
    assert_eq!(
        extract(&b, &[], &PushSettings::default(), BOT, LA).status,
        PushStatus::Done
    );
}

#[test]
fn settings_parse_strictly_and_validate() {
    let s: PushSettings = toml::from_str(
        r#"
        content_tag = "[content-only]"
        [window]
        days = ["Tue", "Thu"]
        not_before = "17:00"
        [[apps]]
        name = "AMO"
        whiteboard = ["[push:amo]"]
        size = "large"
        leads = ["amo-lead@example.test"]
        "#,
    )
    .unwrap();
    assert_eq!(s.window.not_before.to_string(), "17:00");
    assert_eq!(s.apps[0].leads, vec!["amo-lead@example.test".to_string()]);
    assert!(s.validate().is_ok());
    let err = toml::from_str::<PushSettings>("colour = 1").unwrap_err();
    assert!(err.to_string().contains("unknown field `colour`"));
    let err = toml::from_str::<PushSettings>("default_push_time = \"4pm\"").unwrap_err();
    assert!(err.to_string().contains("write HH:MM"));
    let bad: PushSettings =
        toml::from_str("[window]\nnot_before = \"18:00\"\nnot_after = \"17:00\"").unwrap();
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("push.window.not_after"));
}

#[test]
fn the_example_settings_spell_out_the_defaults() {
    let text = include_str!("../../../../pushbot.example.toml");
    let table: toml::Table = toml::from_str(text).unwrap();
    let push = table["push"].clone();
    let parsed: PushSettings = push.try_into().unwrap();
    assert_eq!(parsed, PushSettings::default());
}

#[test]
fn last_human_comment_leaves_out_the_description_and_the_bot() {
    let b = bug("[push:amo]");
    let mut description = comment(0, "lead@example.test", "Please push.");
    description.count = 0;
    let only_description = extract(
        &b,
        &[description.clone()],
        &PushSettings::default(),
        BOT,
        LA,
    );
    assert_eq!(only_description.last_human_comment, None);
    let comments = vec![
        description,
        comment(1, "dev@example.test", "On stage."),
        comment(2, BOT, "Who owns this?\n\n[pushbot no-owner nag-1]"),
        // The bot's login in another case is still the bot.
        comment(3, "PushBot@example.test", "Reminder."),
    ];
    let p = extract(&b, &comments, &PushSettings::default(), BOT, LA);
    assert_eq!(p.last_human_comment, Some(comments[1].creation_time));
}
