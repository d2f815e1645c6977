//! Commands in bug comments, end to end: people write comments in the
//! sandbox (the demo's meeting week), the bot's normal cycle answers them.
//! Every command authorised and refused, unknown, quoted, private, by the
//! bot itself, several in one comment; exactly one reply across a lost
//! answer and a restart without the state file.

use chrono::{DateTime, Utc};
use pushbot::demo::{Demo, DATA};
use pushbot::sandbox::{FaultKind, FaultPlan, FaultRule, LostAnswer};

const BOT: &str = "pushbot@example.test";

// The demo's people (`src/demo/meeting-week.toml`): developers are in
// `editbugs`, each app has a lead; nobody@ is neither.
const AMO_DEV: &str = "amo-dev@example.test";
const AMO_LEAD: &str = "amo-lead@example.test";
const SUMO_DEV: &str = "sumo-dev@example.test";
const SUMO_LEAD: &str = "sumo-lead@example.test";
const PERSONAS_DEV: &str = "personas-dev@example.test";
const INPUT_DEV: &str = "input-dev@example.test";
const NOBODY: &str = "nobody@example.test";

/// Local time in the demo's team zone.
fn t(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

/// The demo's data, with private comments visible to `editbugs` (the bot
/// is a member), as on bugzilla.mozilla.org's insider groups.
fn data() -> String {
    DATA.replacen(
        "version = \"5.2\"",
        "version = \"5.2\"\ninsider_group = \"editbugs\"",
        1,
    )
}

/// The demo started, its first cycle (Monday 09:00) run.
async fn started(extra_settings: &str) -> (tempfile::TempDir, Demo) {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start_with(dir.path(), &data(), extra_settings)
        .await
        .unwrap();
    let first = demo.cycle_at(t("2026-11-30 09:00")).await;
    if extra_settings.is_empty() {
        assert!(first.errors.is_empty(), "{:?}", first.errors);
    }
    (dir, demo)
}

/// `login` writes `text` on `bug` at local time `at`; returns the comment id.
fn say(demo: &Demo, bug: u64, login: &str, text: &str, at: &str) -> u64 {
    demo.sandbox.clock().set(t(at));
    demo.sandbox.add_comment(bug, login, text).unwrap()
}

/// The bot's replies to comment `id` on `bug`.
fn replies(demo: &Demo, bug: u64, id: u64) -> Vec<pushbot::sandbox::model::Comment> {
    let marker = format!("[pushbot command c{id}]");
    demo.sandbox
        .comments(bug)
        .into_iter()
        .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == marker))
        .collect()
}

/// The one reply to comment `id`, after a cycle at `at`; a second cycle
/// adds nothing.
async fn answered(demo: &mut Demo, bug: u64, id: u64, at: &str) -> String {
    answered_at(demo, bug, id, t(at)).await
}

/// `login` writes `text` on `bug` at local time `at`; the one reply to it,
/// from the cycle five minutes later (see [`answered`]).
async fn ask(demo: &mut Demo, bug: u64, login: &str, text: &str, at: &str) -> String {
    let id = say(demo, bug, login, text, at);
    answered_at(demo, bug, id, t(at) + chrono::Duration::minutes(5)).await
}

/// [`answered`], at an instant.
async fn answered_at(demo: &mut Demo, bug: u64, id: u64, at: DateTime<Utc>) -> String {
    let report = demo.cycle_at(at).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found = replies(demo, bug, id);
    assert_eq!(found.len(), 1, "one reply to comment {id}");
    let before = demo.sandbox.comments(bug).len();
    let again = demo.cycle_at(at + chrono::Duration::minutes(1)).await;
    assert_eq!(again.writes, 0, "a second cycle writes nothing");
    assert_eq!(demo.sandbox.comments(bug).len(), before);
    found[0].text.clone()
}

fn bot_comments(demo: &Demo, bug: u64) -> usize {
    demo.sandbox
        .comments(bug)
        .iter()
        .filter(|c| c.creator == BOT)
        .count()
}

/// Who owns `bug` (its assignee) in the sandbox.
fn assignee(demo: &Demo, bug: u64) -> String {
    demo.sandbox.bug(bug).unwrap().assigned_to
}

/// The state of flag `name` on `bug`: (status, requestee) per flag.
fn flag(demo: &Demo, bug: u64, name: &str) -> Vec<(String, Option<String>)> {
    demo.sandbox
        .flags(bug)
        .into_iter()
        .filter(|f| f.name == name)
        .map(|f| (f.status.to_string(), f.requestee))
        .collect()
}

#[tokio::test]
async fn the_demo_check_comment_is_answered_once() {
    let (_dir, mut demo) = started("").await;
    let check = demo
        .sandbox
        .comments(801)
        .into_iter()
        .find(|c| c.text.contains("@pushbot check"))
        .unwrap();
    let found = replies(&demo, 801, check.id);
    assert_eq!(found.len(), 1);
    let text = &found[0].text;
    assert!(text.starts_with("(In reply to comment #1)\n"), "{text}");
    assert!(
        text.contains("I checked this bug against the rules:"),
        "{text}"
    );
    assert!(text.contains("- `release-conflict` (acting now): 2 large releases in 2026-W49"));
    assert!(text.contains("- `no-owner` (nothing to do): owned by amo-dev@example.test"));
    assert!(!found[0].is_private);
    let again = demo.cycle_at(t("2026-11-30 09:05")).await;
    assert_eq!(again.writes, 0);
    assert_eq!(replies(&demo, 801, check.id).len(), 1);
}

#[tokio::test]
async fn help_lists_the_commands_who_may_use_them_and_the_rules() {
    let (_dir, mut demo) = started("").await;
    let id = say(&demo, 802, SUMO_DEV, "@pushbot help", "2026-11-30 10:00");
    let text = answered(&mut demo, 802, id, "2026-11-30 10:05").await;
    assert!(text.contains("- `@pushbot go`: record the lead's go for this push. Who: the app's lead (`sumo-lead@example.test`)."), "{text}");
    assert!(text.contains("- `@pushbot snooze DURATION`"), "{text}");
    assert!(text.contains("Rules that apply to this bug:"), "{text}");
    assert!(text.contains("- `no-owner`: "), "{text}");
    assert!(
        text.ends_with(&format!("[pushbot command c{id}]")),
        "{text}"
    );
}

#[tokio::test]
async fn signoff_requests_the_flags_now_and_the_rule_does_not_ask_again() {
    let (_dir, mut demo) = started("").await;
    assert!(flag(&demo, 802, "webdev-signoff").is_empty());
    let text = ask(
        &mut demo,
        802,
        SUMO_DEV,
        "@pushbot signoff",
        "2026-11-30 10:00",
    )
    .await;
    assert!(
        text.contains("This SUMO push is planned for Thu 2026-12-03 16:00 PST. Please sign off:"),
        "{text}"
    );
    assert!(
        text.contains("webdev-signoff from sumo-lead@example.test"),
        "{text}"
    );
    assert!(text.contains("Pre-push checklist"), "{text}");
    assert!(
        text.contains("[pushbot signoff request-2026-12-03]"),
        "{text}"
    );
    assert_eq!(
        flag(&demo, 802, "webdev-signoff"),
        vec![("?".to_string(), Some("sumo-lead@example.test".to_string()))]
    );
    assert_eq!(
        flag(&demo, 802, "qa-signoff"),
        vec![("?".to_string(), Some("webqa@example.test".to_string()))]
    );
    // Within the rule's lead time: the rule sees its marker, stays quiet.
    let before = bot_comments(&demo, 802);
    demo.cycle_at(t("2026-12-02 17:00")).await;
    assert_eq!(bot_comments(&demo, 802), before);
}

#[tokio::test]
async fn summary_shows_this_week_and_next() {
    let (_dir, mut demo) = started("").await;
    let text = ask(
        &mut demo,
        802,
        SUMO_DEV,
        "@pushbot summary\n@pushbot summary next",
        "2026-11-30 10:00",
    )
    .await;
    let this = text
        .find("## Push summary for 2026-W49 (Mon 30 Nov – Sun 6 Dec 2026, times in America/Los_Angeles)")
        .expect(&text);
    let next = text.find("## Push summary for 2026-W50").expect(&text);
    assert!(this < next, "{text}");
    assert!(
        text.contains("- 16:00 PST bug 801 (AMO, large): Push AMO 2026.12.01 to production"),
        "{text}"
    );
    assert!(text.contains("show_bug.cgi?id=801"), "{text}");
    // The conflict the bot already reported is still in the summary.
    assert!(text.contains("2 large releases in 2026-W49"), "{text}");
    assert!(text.contains("No pushes scheduled in 2026-W50."), "{text}");
}

#[tokio::test]
async fn snooze_silences_nags_until_unsnoozed() {
    let (_dir, mut demo) = started("").await;
    let text = ask(
        &mut demo,
        804,
        INPUT_DEV,
        "@pushbot snooze 2d",
        "2026-11-30 10:00",
    )
    .await;
    assert!(
        text.contains("Snoozed for 2d: no reminders on this bug until Wed 2026-12-02 10:05 PST."),
        "{text}"
    );
    assert!(
        text.contains("[pushbot snooze until-2026-12-02T18:05Z]"),
        "{text}"
    );
    // The overrun nag is due Tuesday morning, but the bug is snoozed.
    demo.cycle_at(t("2026-12-01 09:00")).await;
    let overruns = |demo: &Demo| {
        demo.sandbox
            .comments(804)
            .iter()
            .filter(|c| c.creator == BOT && c.text.contains("[pushbot overrun"))
            .count()
    };
    assert_eq!(overruns(&demo), 0);
    // `check` says why.
    let text = ask(
        &mut demo,
        804,
        INPUT_DEV,
        "@pushbot check",
        "2026-12-01 09:10",
    )
    .await;
    assert!(
        text.contains("but snoozed until Wed 2026-12-02 10:05 PST"),
        "{text}"
    );
    let id = say(
        &demo,
        804,
        INPUT_DEV,
        "@pushbot unsnooze",
        "2026-12-01 10:00",
    );
    let report = demo.cycle_at(t("2026-12-01 10:05")).await;
    let text = &replies(&demo, 804, id)[0].text;
    assert!(
        text.contains("Snooze ended: reminders on this bug are back on."),
        "{text}"
    );
    assert!(text.contains("[pushbot snooze off]"), "{text}");
    // The nag comes in the same cycle as the reply or the next one.
    if overruns(&demo) == 0 {
        demo.cycle_at(t("2026-12-01 10:10")).await;
    }
    assert_eq!(overruns(&demo), 1, "{:?}", report.errors);
    // A second unsnooze has nothing to end.
    let text = ask(
        &mut demo,
        804,
        INPUT_DEV,
        "@pushbot unsnooze",
        "2026-12-01 11:00",
    )
    .await;
    assert!(
        text.contains("This bug was not snoozed; nothing changed."),
        "{text}"
    );
}

#[tokio::test]
async fn the_lead_records_go_and_no_go_others_are_refused() {
    let (_dir, mut demo) = started("").await;
    // Not the lead: refused, the flag untouched.
    let text = ask(&mut demo, 801, AMO_DEV, "@pushbot go", "2026-11-30 10:00").await;
    assert!(text.contains("Sorry, only the app's lead (`amo-lead@example.test`) may use `@pushbot go`, so I did nothing. `@pushbot help` lists who may use which command."), "{text}");
    assert!(flag(&demo, 801, "webdev-signoff").is_empty());

    let text = ask(&mut demo, 801, AMO_LEAD, "@pushbot go", "2026-11-30 10:10").await;
    assert!(
        text.contains("Recorded: go for this push from `amo-lead@example.test`."),
        "{text}"
    );
    assert_eq!(
        flag(&demo, 801, "webdev-signoff"),
        vec![("+".to_string(), None)]
    );

    // A no-go replaces the go; its reason is quoted back inert.
    let text = ask(
        &mut demo,
        801,
        AMO_LEAD,
        "@pushbot no-go <b>db</b> migration @pushbot go",
        "2026-11-30 10:20",
    )
    .await;
    assert!(text.contains("Recorded: no-go for this push from `amo-lead@example.test`. Reason: `<b>db</b> migration @\u{200B}pushbot go`."), "{text}");
    assert_eq!(
        flag(&demo, 801, "webdev-signoff"),
        vec![("-".to_string(), None)]
    );
}

#[tokio::test]
async fn owner_me_and_owner_email_set_the_assignee() {
    let (_dir, mut demo) = started("").await;
    let text = ask(
        &mut demo,
        803,
        PERSONAS_DEV,
        "@pushbot owner me",
        "2026-11-30 10:00",
    )
    .await;
    assert!(
        text.contains("Done: `personas-dev@example.test` now owns this push bug."),
        "{text}"
    );
    assert_eq!(assignee(&demo, 803), "personas-dev@example.test");
    ask(
        &mut demo,
        803,
        PERSONAS_DEV,
        "@pushbot owner personas-lead@example.test",
        "2026-11-30 10:10",
    )
    .await;
    assert_eq!(assignee(&demo, 803), "personas-lead@example.test");
    // No such account: Bugzilla would refuse the update; the reply says so.
    let text = ask(
        &mut demo,
        803,
        PERSONAS_DEV,
        "@pushbot owner nosuch@example.test",
        "2026-11-30 10:20",
    )
    .await;
    assert!(
        text.contains(
            "Bugzilla has no account `nosuch@example.test`, so I did not change the owner."
        ),
        "{text}"
    );
    assert_eq!(assignee(&demo, 803), "personas-lead@example.test");
}

#[tokio::test]
async fn non_members_unknown_commands_quotes_and_the_bot_itself() {
    let (_dir, mut demo) = started("").await;
    // nobody@ is not in editbugs.
    let text = ask(&mut demo, 802, NOBODY, "@pushbot check", "2026-11-30 10:00").await;
    assert!(text.contains("Sorry, `@pushbot check` is for members of the `editbugs` group, and you are not one, so I did nothing."), "{text}");
    assert!(!text.contains("I checked"), "{text}");

    let text = ask(
        &mut demo,
        802,
        SUMO_DEV,
        "@pushbot frobnicate",
        "2026-11-30 10:10",
    )
    .await;
    assert!(
        text.contains("I do not know the command `frobnicate`. `@pushbot help` lists them all."),
        "{text}"
    );

    let before = bot_comments(&demo, 802);
    say(
        &demo,
        802,
        SUMO_LEAD,
        "> @pushbot go\nQuoting that.",
        "2026-11-30 10:20",
    );
    say(&demo, 802, BOT, "@pushbot owner me", "2026-11-30 10:21");
    let report = demo.cycle_at(t("2026-11-30 10:25")).await;
    assert_eq!(report.writes, 0);
    assert_eq!(
        bot_comments(&demo, 802),
        before + 1,
        "only the bot's own comment"
    );
    assert!(flag(&demo, 802, "webdev-signoff").is_empty());
    assert_eq!(assignee(&demo, 802), "sumo-dev@example.test");
}

#[tokio::test]
async fn a_reply_to_a_private_comment_is_private() {
    let (_dir, mut demo) = started("").await;
    demo.sandbox.clock().set(t("2026-11-30 10:00"));
    let id = demo
        .sandbox
        .add_private_comment(802, "sumo-dev@example.test", "@pushbot owner me")
        .unwrap();
    answered(&mut demo, 802, id, "2026-11-30 10:05").await;
    assert!(replies(&demo, 802, id)[0].is_private);
}

#[tokio::test]
async fn two_commands_in_one_comment_get_one_reply_in_order() {
    let (_dir, mut demo) = started("").await;
    let text = ask(
        &mut demo,
        803,
        PERSONAS_DEV,
        "Taking this.\n@pushbot owner me\n@pushbot snooze 1d",
        "2026-11-30 10:00",
    )
    .await;
    let owner = text
        .find("Done: `personas-dev@example.test` now owns")
        .expect(&text);
    let snooze = text.find("Snoozed for 1d").expect(&text);
    assert!(owner < snooze, "{text}");
    assert_eq!(text.matches("[pushbot command").count(), 1);
    assert_eq!(assignee(&demo, 803), "personas-dev@example.test");
}

#[tokio::test]
async fn commands_older_than_max_age_are_not_answered() {
    let (_dir, mut demo) = started("").await;
    // Written four days before the cycle (max_age_hours = 72).
    let id = say(&demo, 802, SUMO_DEV, "@pushbot check", "2026-11-26 10:00");
    demo.cycle_at(t("2026-11-30 10:05")).await;
    assert!(replies(&demo, 802, id).is_empty());
}

#[tokio::test]
async fn an_unconfirmable_membership_waits_then_is_refused_as_transient() {
    // The bot is not in `admin`, so Bugzilla refuses to say who is (804).
    let (_dir, mut demo) = started("\n[commands.allow]\ncheck = \"group:admin\"\n").await;
    let id = say(&demo, 802, SUMO_DEV, "@pushbot check", "2026-11-30 10:00");
    let report = demo.cycle_at(t("2026-11-30 10:05")).await;
    assert!(replies(&demo, 802, id).is_empty(), "waits");
    assert!(
        report.errors.iter().any(|e| e.contains("group admin")),
        "{:?}",
        report.errors
    );
    demo.cycle_at(t("2026-11-30 10:45")).await;
    let found = replies(&demo, 802, id);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].text.contains(
            "I could not confirm that you are one, so I did nothing. Please try again later."
        ),
        "{}",
        found[0].text
    );
}

#[tokio::test]
async fn a_lost_answer_and_a_lost_state_file_still_give_exactly_one_reply() {
    let (dir, mut demo) = started("").await;
    let id = say(
        &demo,
        803,
        PERSONAS_DEV,
        "@pushbot owner me",
        "2026-11-30 10:00",
    );
    demo.sandbox
        .set_faults(FaultPlan::with_rules(vec![FaultRule::next(
            1,
            "POST /rest/bug/{id}/comment",
            FaultKind::LostResponse {
                then: LostAnswer::Drop,
            },
        )]));
    let report = demo.cycle_at(t("2026-11-30 10:05")).await;
    assert!(
        report.errors.is_empty(),
        "settled by re-reading: {:?}",
        report.errors
    );
    assert_eq!(replies(&demo, 803, id).len(), 1);
    // Restart without the state file: Bugzilla's marker is the ledger.
    let mut removed = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("pushbot.sqlite") {
            std::fs::remove_file(path).unwrap();
            removed += 1;
        }
    }
    assert!(removed > 0, "no state file in {}", dir.path().display());
    demo.restart().await.unwrap();
    demo.cycle_at(t("2026-11-30 10:10")).await;
    demo.cycle_at(t("2026-11-30 10:15")).await;
    assert_eq!(replies(&demo, 803, id).len(), 1);
    assert_eq!(assignee(&demo, 803), "personas-dev@example.test");
}

#[tokio::test]
async fn memberships_are_cached_between_cycles() {
    let (_dir, mut demo) = started("").await;
    let lookups = |demo: &Demo| demo.sandbox.request_count("GET /rest/user");
    let id = say(&demo, 802, SUMO_DEV, "@pushbot check", "2026-11-30 10:00");
    let before = lookups(&demo);
    answered(&mut demo, 802, id, "2026-11-30 10:01").await;
    assert_eq!(lookups(&demo), before + 1);
    // Five minutes later: the same person, the same group, no new lookup.
    let id = say(&demo, 802, SUMO_DEV, "@pushbot help", "2026-11-30 10:05");
    answered(&mut demo, 802, id, "2026-11-30 10:06").await;
    assert_eq!(lookups(&demo), before + 1);
    // After membership_cache_minutes (10): asked again.
    let id = say(&demo, 802, SUMO_DEV, "@pushbot help", "2026-11-30 10:20");
    answered(&mut demo, 802, id, "2026-11-30 10:21").await;
    assert_eq!(lookups(&demo), before + 2);
}

#[tokio::test]
async fn every_command_is_refused_to_someone_not_allowed() {
    let (_dir, mut demo) = started("").await;
    // nobody@ is neither in editbugs nor a lead.
    let commands = [
        ("help", "members of the `editbugs` group"),
        ("check", "members of the `editbugs` group"),
        ("signoff", "members of the `editbugs` group"),
        ("summary", "members of the `editbugs` group"),
        ("summary next", "members of the `editbugs` group"),
        ("snooze 1d", "members of the `editbugs` group"),
        ("unsnooze", "members of the `editbugs` group"),
        ("owner me", "members of the `editbugs` group"),
        ("go", "only the app's lead (`sumo-lead@example.test`)"),
        (
            "no-go broken",
            "only the app's lead (`sumo-lead@example.test`)",
        ),
    ];
    let ids: Vec<u64> = commands
        .iter()
        .map(|(words, _)| {
            say(
                &demo,
                802,
                NOBODY,
                &format!("@pushbot {words}"),
                "2026-11-30 10:00",
            )
        })
        .collect();
    // Ten comments on one bug: five answered per cycle
    // (`commands.max_answers_per_bug`), oldest first.
    demo.cycle_at(t("2026-11-30 10:05")).await;
    let first: Vec<usize> = ids
        .iter()
        .map(|id| replies(&demo, 802, *id).len())
        .collect();
    assert_eq!(first, [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    demo.cycle_at(t("2026-11-30 10:06")).await;
    for (id, (words, why)) in ids.iter().zip(commands) {
        let found = replies(&demo, 802, *id);
        assert_eq!(found.len(), 1, "{words}");
        let text = &found[0].text;
        assert!(text.contains("Sorry, "), "{words}: {text}");
        assert!(text.contains(why), "{words}: {text}");
        assert!(text.contains("so I did nothing"), "{words}: {text}");
        assert!(!text.contains("[pushbot snooze"), "{words}: {text}");
        assert!(!text.contains("[pushbot signoff"), "{words}: {text}");
    }
    assert!(demo.sandbox.flags(802).is_empty());
    assert_eq!(assignee(&demo, 802), "sumo-dev@example.test");
    let again = demo.cycle_at(t("2026-11-30 10:10")).await;
    assert_eq!(again.writes, 0);
}
