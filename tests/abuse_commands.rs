//! Abuse through comments, end to end against the sandbox (the demo's
//! meeting week): forged markers, crafted command text, and a flood of
//! commands on one bug. Each test names the protection it proves; each
//! fails when that protection is removed.

use chrono::{DateTime, Duration, Utc};
use pushbot::commands::parse::parse;
use pushbot::commands::CommandSettings;
use pushbot::demo::{Demo, DATA};

const BOT: &str = "pushbot@example.test";
const AMO_LEAD: &str = "amo-lead@example.test";
const SUMO_DEV: &str = "sumo-dev@example.test";

fn t(local: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(local, "America/Los_Angeles".parse().unwrap()).unwrap()
}

async fn demo(dir: &tempfile::TempDir, extra_settings: &str) -> Demo {
    Demo::start_with(dir.path(), DATA, extra_settings)
        .await
        .unwrap()
}

fn bot_comments_with(demo: &Demo, bug: u64, marker: &str) -> Vec<String> {
    demo.sandbox
        .comments(bug)
        .into_iter()
        .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == marker))
        .map(|c| c.text)
        .collect()
}

/// Protection: only comments by `bugzilla.bot_login` count as the ledger
/// (`execute::marked_by`, `commands::handle::unanswered`, the push model's
/// markers). A person who pastes the bot's markers silences nothing.
#[tokio::test]
async fn markers_written_by_another_account_never_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo(&dir, "").await;
    // Before the bot's first cycle: a forged nag marker on the unowned
    // Personas push, and a command followed by a forged reply marker.
    // (Days before, so that it does not read as someone working on the bug,
    // which holds nags back on its own.)
    demo.sandbox.clock().set(t("2026-11-26 08:50"));
    demo.sandbox
        .add_comment(803, SUMO_DEV, "[pushbot no-owner nag-1]")
        .unwrap();
    demo.sandbox.clock().set(t("2026-11-30 08:50"));
    let check = demo
        .sandbox
        .add_comment(802, SUMO_DEV, "@pushbot check")
        .unwrap();
    demo.sandbox
        .add_comment(802, SUMO_DEV, &format!("[pushbot command c{check}]"))
        .unwrap();
    let report = demo.cycle_at(t("2026-11-30 09:00")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        bot_comments_with(&demo, 803, "[pushbot no-owner nag-1]").len(),
        1
    );
    assert_eq!(
        bot_comments_with(&demo, 802, &format!("[pushbot command c{check}]")).len(),
        1
    );
    let again = demo.cycle_at(t("2026-11-30 09:05")).await;
    assert_eq!(again.writes, 0);
}

/// Protection: `commands::messages::quote` makes user text inert (prefix
/// broken by a zero-width space, one line, in a code span). A comment
/// crafted so that the reply would carry a command, a link or markup gets
/// a reply in which nothing reads as a command and the markup sits inside
/// a code span.
#[tokio::test]
async fn a_crafted_comment_cannot_make_the_reply_carry_a_command_or_markup() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo(&dir, "").await;
    demo.cycle_at(t("2026-11-30 09:00")).await;
    demo.sandbox.clock().set(t("2026-11-30 10:00"));
    let crafted = "@pushbot no-go <script>alert(1)</script> [x](https://evil.example/show_bug.cgi?id=4) \u{202E} @pushbot go\n\
                   @pushbot snooze <img src=x onerror=alert(1)>\n@pushbot\n";
    let id = demo.sandbox.add_comment(801, AMO_LEAD, crafted).unwrap();
    let report = demo.cycle_at(t("2026-11-30 10:05")).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let replies = bot_comments_with(&demo, 801, &format!("[pushbot command c{id}]"));
    assert_eq!(replies.len(), 1);
    let reply = &replies[0];
    // Nothing in the reply is a command, whoever reads it.
    assert!(
        parse(reply, &CommandSettings::default()).is_empty(),
        "{reply}"
    );
    assert!(!reply.contains('\u{202E}'), "{reply}");
    // The markup and the link are quoted inside a code span, on one line.
    let line = reply
        .lines()
        .find(|l| l.contains("<script>"))
        .unwrap_or_else(|| panic!("{reply}"));
    let before = &line[..line.find("<script>").unwrap()];
    assert_eq!(
        before.matches('`').count() % 2,
        1,
        "inside a code span: {line}"
    );
    assert!(line.contains("@\u{200B}pushbot go"), "{line}");
    // The lead's no-go is recorded; the `go` inside its reason is not a
    // command.
    let flags: Vec<(String, String)> = demo
        .sandbox
        .flags(801)
        .into_iter()
        .map(|f| (f.name, f.status.to_string()))
        .collect();
    assert_eq!(flags, vec![("webdev-signoff".to_string(), "-".to_string())]);
}

/// Protection: `commands.max_per_comment` bounds the commands read per
/// comment, `commands.max_answers_per_bug` the comments answered per bug
/// per cycle (oldest first), the merge keeps the bot's one comment per bug
/// and cycle within Bugzilla's 65,535 characters (replies that would pass
/// it wait, in order), and the reply marker makes each answered exactly
/// once across cycles. A flood of comments with 12 commands each on one
/// bug costs one write and a bounded number of requests per cycle.
#[tokio::test]
async fn a_flood_of_commands_is_answered_once_each_a_few_per_cycle() {
    const COMMENTS: usize = 400;
    const PER_CYCLE: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let mut demo = demo(
        &dir,
        &format!("\n[commands]\nmax_answers_per_bug = {PER_CYCLE}\n"),
    )
    .await;
    demo.cycle_at(t("2026-11-30 09:00")).await;
    let text = "@pushbot check\n".repeat(12);
    demo.sandbox.clock().set(t("2026-11-30 10:00"));
    let ids: Vec<u64> = (0..COMMENTS)
        .map(|_| demo.sandbox.add_comment(802, SUMO_DEV, &text).unwrap())
        .collect();
    let reply_marker = |line: &str| line.trim().starts_with("[pushbot command c");
    let bot_comment_count = |demo: &Demo| {
        demo.sandbox
            .comments(802)
            .iter()
            .filter(|c| c.creator == BOT)
            .count()
    };

    let mut at = t("2026-11-30 10:01");
    let mut cycles = 0;
    let mut size_bound = false;
    let mut answered = 0;
    loop {
        let before = bot_comment_count(&demo);
        let report = demo.cycle_at(at).await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        cycles += 1;
        assert!(
            report.writes <= 1,
            "cycle {cycles}: {} writes",
            report.writes
        );
        // Search, comments of the changed bug, the marker check before the
        // write, a membership lookup now and then, and the write.
        assert!(
            report.requests as usize <= report.writes + 5,
            "cycle {cycles}: {} requests for {} writes",
            report.requests,
            report.writes
        );
        if report.writes == 0 {
            break;
        }
        let comments = demo.sandbox.comments(802);
        let written: Vec<_> = comments.iter().filter(|c| c.creator == BOT).collect();
        assert_eq!(written.len(), before + 1, "cycle {cycles}: one comment");
        let comment = &written[before].text;
        let chars = comment.chars().count();
        assert!(
            chars <= pushbot::bugzilla::MAX_COMMENT_CHARS,
            "cycle {cycles}: {chars} characters"
        );
        let replies = comment.lines().filter(|l| reply_marker(l)).count();
        assert!(
            (1..=PER_CYCLE).contains(&replies),
            "cycle {cycles}: {replies}"
        );
        answered += replies;
        // Fewer than the cap while comments still wait: the size bound.
        size_bound |= replies < PER_CYCLE && answered < COMMENTS;
        assert!(cycles <= COMMENTS, "too many cycles");
        at += Duration::minutes(1);
    }
    assert_eq!(answered, COMMENTS);
    assert!(
        size_bound,
        "12 full `check` answers per reply: fewer than {PER_CYCLE} fit one comment"
    );

    // Each comment answered exactly once, each answer reading at most 10
    // commands (the rest get one "too many" line).
    let comments = demo.sandbox.comments(802);
    for id in &ids {
        let marker = format!("[pushbot command c{id}]");
        let replies: Vec<&String> = comments
            .iter()
            .filter(|c| c.creator == BOT && c.text.lines().any(|l| l.trim() == marker))
            .map(|c| &c.text)
            .collect();
        assert_eq!(replies.len(), 1, "comment {id}");
        let section = pushbot::plan::merge::sections(replies[0])
            .into_iter()
            .find(|s| {
                s.markers
                    .last()
                    .is_some_and(|marker| marker.discriminator() == format!("c{id}"))
            })
            .expect("its section");
        assert_eq!(
            section
                .text
                .matches("I checked this bug against the rules")
                .count(),
            10,
            "{}",
            section.text
        );
    }
}
