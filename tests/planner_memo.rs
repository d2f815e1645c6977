//! The planner's memo (`bot::Memo`) is only speed: across a whole week of
//! cycles in the sandbox (people assigning, commenting, moving and
//! cancelling pushes, writing commands; time crossing every lead time,
//! nag, push time and midnight), the plan made with the memo kept from
//! cycle to cycle is the plan made from scratch, at every step.
//!
//! How the guard was shown to matter: with `Memo::due` answering "no" for
//! every kept decision whatever its horizon, this test fails at Monday
//! 09:30, the first step after a kept decision's horizon passed.

use chrono::{DateTime, Duration, Utc};
use pushbot::bot::{Decider, Memo};
use pushbot::demo::{Demo, SHIPPED_RULES};
use pushbot::rules::RuleSet;
use serde_json::json;

fn local(text: &str) -> DateTime<Utc> {
    pushbot::clock::parse_now(text, chrono_tz::America::Los_Angeles).unwrap()
}

fn decider(demo: &Demo) -> Decider {
    pushbot::bot::decider(
        &demo.settings,
        RuleSet::from_sources(SHIPPED_RULES).unwrap(),
    )
    .unwrap()
}

/// Plans with the memo and from scratch at `at` and compares.
fn same_plan(decider: &Decider, memo: &mut Memo, demo: &Demo, at: DateTime<Utc>) -> usize {
    let snapshot = demo.poller.snapshot();
    let kept = decider.decide_with(memo, snapshot, at);
    let fresh = decider.decide(snapshot, at);
    assert_eq!(kept, fresh, "plans differ at {at}");
    fresh.len()
}

#[tokio::test]
async fn the_memo_never_changes_the_plan_over_a_week_of_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(dir.path()).await.unwrap();
    let decider = decider(&demo);
    let mut memo = Memo::default();
    let start = local("2026-11-30 08:00");
    let mut planned = 0;
    // Every 90 minutes for six days; the bot's own cycle runs too, so the
    // snapshot holds its writes read back.
    for step in 0..96 {
        let at = start + Duration::minutes(90 * step);
        demo.sandbox.clock().set(at);
        match step {
            3 => {
                demo.sandbox
                    .update_bug(
                        803,
                        "personas-dev@example.test",
                        &json!({ "assigned_to": "personas-dev@example.test" }),
                    )
                    .unwrap();
            }
            5 => {
                demo.sandbox
                    .add_comment(802, "sumo-lead@example.test", "@pushbot summary")
                    .unwrap();
            }
            8 => {
                // 802 moves into next week: the conflict with 801 resolves.
                demo.sandbox
                    .update_bug(
                        802,
                        "sumo-lead@example.test",
                        &json!({ "whiteboard": "[push:sumo] [push 2026-12-08 16:00]" }),
                    )
                    .unwrap();
            }
            12 => {
                demo.sandbox
                    .add_comment(
                        801,
                        "amo-lead@example.test",
                        "@pushbot snooze 1d\n@pushbot check",
                    )
                    .unwrap();
            }
            20 => {
                // And back: the conflict comes again.
                demo.sandbox
                    .update_bug(
                        802,
                        "sumo-lead@example.test",
                        &json!({ "whiteboard": "[push:sumo] [push 2026-12-03 16:00]" }),
                    )
                    .unwrap();
            }
            30 => {
                demo.sandbox
                    .update_bug(
                        804,
                        "input-lead@example.test",
                        &json!({ "status": "RESOLVED", "resolution": "WONTFIX" }),
                    )
                    .unwrap();
            }
            _ => {}
        }
        // Between the cycles too: the memo must see time pass without a
        // read (a horizon crossed while nothing changed).
        planned += same_plan(&decider, &mut memo, &demo, at);
        let report = demo.cycle_at(at).await;
        assert!(report.errors.is_empty(), "step {step}: {:?}", report.errors);
        planned += same_plan(&decider, &mut memo, &demo, at + Duration::minutes(1));
    }
    assert!(planned > 10, "the week planned something: {planned}");
}
