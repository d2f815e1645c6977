//! The handlers without a network: comments in, one action out.

use super::*;
use crate::bugzilla::{Bug, BugId, Comment, CommentId, Flag, FlagStatus};
use crate::commands::CommandSettings;
use crate::push::PushSettings;
use crate::rules::testing::{rule_set, utc, PushBuilder, LA};

const BOT: &str = "pushbot@example.test";
const LEAD: &str = "lead@example.test";
const DEV: &str = "dev@example.test";

fn comment(id: u64, count: u32, who: &str, text: &str, at: &str) -> Comment {
    Comment {
        id: CommentId(id),
        bug_id: Some(BugId(1)),
        count,
        text: text.to_string(),
        creator: who.to_string(),
        creation_time: utc(at),
        is_private: false,
        tags: Vec::new(),
        attachment_id: None,
    }
}

fn bug() -> Bug {
    Bug {
        id: BugId(1),
        ..Bug::default()
    }
}

fn member(who: &str, m: Membership) -> Memberships {
    Memberships::from([(Lookup::member(who, "editbugs"), m)])
}

/// The answer to `c` with the given memberships, at `now`.
fn answer_at(c: &Comment, bug: &Bug, memberships: &Memberships, now: &str) -> Option<Action> {
    let settings = CommandSettings::default();
    let rules = rule_set(
        "no-owner",
        "no_owner",
        "description = \"Who owns it?\"\n[templates]\nnag = \"Who?\"\nescalate = \"Who?\"",
    );
    let push = PushBuilder::new(1).leads(&[LEAD]).build();
    let pushes = [push];
    let summary = |_: &PushBug, next: bool| format!("summary next={next}");
    let env = Env {
        settings: &settings,
        rules: &rules,
        push_settings: &PushSettings::default(),
        tz: LA,
        pushes: &pushes,
        verdicts: &[],
        memberships,
        summary: &summary,
        now: utc(now),
    };
    answer(&env, bug, c)
}

#[test]
fn unanswered_skips_the_bot_old_answered_and_plain_comments() {
    let settings = CommandSettings::default();
    let now = utc("2026-11-30T12:00:00Z");
    let comments = vec![
        comment(10, 1, DEV, "@pushbot check", "2026-11-26T11:00:00Z"), // > 72 h
        comment(11, 2, DEV, "@pushbot check", "2026-11-30T10:00:00Z"),
        comment(12, 3, BOT, "@pushbot check", "2026-11-30T10:01:00Z"),
        comment(
            13,
            4,
            DEV,
            "no command\n> @pushbot go",
            "2026-11-30T10:02:00Z",
        ),
        comment(14, 5, DEV, "@pushbot help", "2026-11-30T10:03:00Z"),
        comment(
            15,
            6,
            BOT,
            "(In reply to comment #5)\n\nhelp\n\n[pushbot command c14]",
            "2026-11-30T10:04:00Z",
        ),
        // A person pasting the marker does not answer anything.
        comment(16, 7, DEV, "[pushbot command c11]", "2026-11-30T10:05:00Z"),
    ];
    let ids: Vec<u64> = unanswered(&comments, BOT, &settings, now)
        .iter()
        .map(|c| c.id.0)
        .collect();
    assert_eq!(ids, vec![11]);
    assert_eq!(
        lookups(&comments, BOT, &settings, now),
        vec![Lookup::member(DEV, "editbugs")]
    );
}

#[test]
fn an_unknown_membership_waits_then_is_refused_as_transient() {
    let c = comment(20, 3, DEV, "@pushbot check", "2026-11-30T10:00:00Z");
    let unknown = member(DEV, Membership::Unknown);
    assert_eq!(
        answer_at(&c, &bug(), &unknown, "2026-11-30T10:10:00Z"),
        None
    );
    assert_eq!(
        answer_at(&c, &bug(), &Memberships::new(), "2026-11-30T10:29:00Z"),
        None
    );
    let late = answer_at(&c, &bug(), &unknown, "2026-11-30T10:31:00Z").unwrap();
    let text = late.comment.unwrap();
    assert!(
        text.contains("I could not confirm that you are one"),
        "{text}"
    );
    assert!(late.update.is_empty());
    assert_eq!(late.key.marker(), "[pushbot command c20]");
}

#[test]
fn several_commands_make_one_reply_and_one_update() {
    let mut c = comment(
        21,
        4,
        LEAD,
        "@pushbot go\n@pushbot no-go tests fail\n@pushbot owner me\n@pushbot chek\n@pushbot snooze 1d\n@pushbot summary next",
        "2026-11-30T10:00:00Z",
    );
    c.is_private = true;
    let mut b = bug();
    b.flags.push(Flag {
        id: 77,
        name: "webdev-signoff".to_string(),
        type_id: None,
        status: FlagStatus::Requested,
        setter: None,
        requestee: Some(LEAD.to_string()),
        creation_date: None,
        modification_date: None,
    });
    let action = answer_at(&c, &b, &Memberships::new(), "2026-11-30T10:05:00Z").unwrap();
    assert!(action.private);
    // The later no-go replaces the go on the same flag.
    assert_eq!(action.update.flags.len(), 1);
    assert_eq!(action.update.flags[0].id, Some(77));
    assert_eq!(action.update.flags[0].status, FlagChangeStatus::Denied);
    assert_eq!(action.update.assigned_to.as_deref(), Some(LEAD));
    let text = action.comment_text().unwrap();
    let order = [
        "(In reply to comment #4)",
        "Recorded: go",
        "Recorded: no-go",
        "now owns this push bug",
        "Did you mean `@pushbot check`?",
        "Snoozed for 1d",
        "summary next=true",
        "[pushbot snooze until-2026-12-01T10:05Z]",
    ];
    let mut from = 0;
    for part in order {
        let at = text[from..]
            .find(part)
            .unwrap_or_else(|| panic!("{part} in {text}"));
        from += at + part.len();
    }
}

#[test]
fn a_non_member_is_refused_and_nothing_changes() {
    let c = comment(22, 3, DEV, "@pushbot owner me", "2026-11-30T10:00:00Z");
    let action = answer_at(
        &c,
        &bug(),
        &member(DEV, Membership::NotMember),
        "2026-11-30T10:05:00Z",
    )
    .unwrap();
    assert!(action.update.is_empty());
    assert!(action
        .comment
        .unwrap()
        .contains("is for members of the `editbugs` group, and you are not one"));
}

#[test]
fn snooze_markers_round_trip_and_the_latest_wins() {
    let until = utc("2026-12-02T18:05:00Z");
    let marker = Marker::Snooze(Snooze::of(Some(until)));
    let disc = marker.discriminator();
    assert_eq!(disc, "until-2026-12-02T18:05Z");
    assert_eq!(Marker::from_parts("snooze", &disc), marker);
    assert_eq!(
        Marker::from_parts("snooze", "off"),
        Marker::Snooze(Snooze::of(None))
    );
    let snoozed = PushBuilder::new(1)
        .marker("snooze", &disc, "2026-11-30T18:05:00Z")
        .build();
    let now = utc("2026-12-01T00:00:00Z");
    assert_eq!(snoozed.snoozed_until(now), Some(until));
    assert_eq!(snoozed.snoozed_until(utc("2026-12-03T00:00:00Z")), None);
    let ended = PushBuilder::from(snoozed)
        .marker("snooze", "off", "2026-11-30T19:00:00Z")
        .build();
    assert_eq!(ended.snoozed_until(now), None);
}

#[test]
fn owner_email_needs_the_account_confirmed() {
    let c = comment(
        23,
        3,
        LEAD,
        "@pushbot owner new@example.test",
        "2026-11-30T10:00:00Z",
    );
    let none = Memberships::new();
    assert_eq!(answer_at(&c, &bug(), &none, "2026-11-30T10:05:00Z"), None);
    let late = answer_at(&c, &bug(), &none, "2026-11-30T11:00:00Z").unwrap();
    assert!(late.update.is_empty());
    assert!(late
        .comment
        .unwrap()
        .contains("I could not check with Bugzilla that `new@example.test` is an account"));
    let missing = Memberships::from([(Lookup::account("New@example.test"), Membership::NotMember)]);
    let action = answer_at(&c, &bug(), &missing, "2026-11-30T10:05:00Z").unwrap();
    assert!(action.update.is_empty());
    assert!(action
        .comment
        .unwrap()
        .contains("Bugzilla has no account `new@example.test`"));
    let exists = Memberships::from([(Lookup::account("new@example.test"), Membership::Member)]);
    let action = answer_at(&c, &bug(), &exists, "2026-11-30T10:05:00Z").unwrap();
    assert_eq!(
        action.update.assigned_to.as_deref(),
        Some("new@example.test")
    );
}
