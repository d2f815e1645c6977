//! `pushbot doctor`: checks what it can before the bot runs, and prints a
//! pass/fail list with what to do for each failure: the settings and rule
//! files; that the URL answers as a Bugzilla; that the key is valid,
//! belongs to `bot_login` and travels where the server reads it; that the
//! push query finds bugs the bot can see; that the sign-off and needinfo
//! flag types are on the push components, active and requestable (the
//! sign-off ones not multiplicable); that the bot is in every group the
//! settings name (else every membership lookup fails with 400/804); that
//! the configured leads and QA are real accounts; that the tracking bug
//! exists, is open and visible; and the webhooks, where the server has
//! them. Exit code 0 only when nothing failed; warnings do not fail.
//! Recordings 133–144 show what a stock 5.2 server answers.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pushbot::bugzilla::{BugId, BugzillaError, Client, SearchQuery};
use pushbot::commands::Who;
use pushbot::config::Settings;
use pushbot::rules::{RuleKind, RuleSet};
use pushbot::webhook::WebhookSettings;

/// Whether the bot is in Bugzilla's insider group, and what that means for
/// commands in private comments. A warning, never a failure: a team
/// without private comments needs nothing here.
async fn insider(client: &Client, settings: &Settings) {
    let bot = &settings.bugzilla.bot_login;
    // The bot sees its own groups (recording 138), unlike other users'.
    let groups: Vec<String> = match client.users(std::slice::from_ref(bot)).await {
        Ok(users) => users
            .into_iter()
            .filter(|u| u.name.eq_ignore_ascii_case(bot))
            .flat_map(|u| u.groups)
            .map(|g| g.name)
            .collect(),
        Err(e) => {
            println!("insider: unknown (cannot read the bot's groups: {e})");
            return;
        }
    };
    let listed = if groups.is_empty() {
        "none visible".to_string()
    } else {
        groups.join(", ")
    };
    match &settings.commands.insider_group {
        None => println!(
            "insider: not checked; the bot is in: {listed}. Bugzilla's REST API does not show its `insidergroup` parameter: set `commands.insider_group` to it to have this checked. Only insiders see private comments, so a command written in a private comment is answered only if the bot is one (its reply is private too)"
        ),
        Some(group) if groups.iter().any(|g| g.eq_ignore_ascii_case(group)) => println!(
            "insider: yes (in `{group}`): the bot sees private comments and answers commands in them with private replies"
        ),
        Some(group) => println!(
            "insider: NO, warning: the bot is not in `{group}` (it is in: {listed}), so it cannot see private comments and never answers commands written in them (Bugzilla refuses its private replies with 401/113); add {bot} to `{group}` if private commands should work"
        ),
    }
}

/// One line of the report.
enum Outcome {
    Pass(String),
    Warn(String),
    Fail(String),
}

/// What the server's webhooks (`None`: the server has none, stock 5.x)
/// say beside `[webhook]`: each registered one enabled or disabled, and a
/// warning when the settings wait for events that cannot come, or
/// Bugzilla sends events the bot does not take.
fn webhook_findings(
    hooks: Option<&[serde_json::Value]>,
    webhook: &WebhookSettings,
) -> Vec<Outcome> {
    let waiting = format!(
        "commands wait for the poll every {} s (`webhook.poll_interval_secs`)",
        webhook.poll_interval_secs
    );
    let Some(hooks) = hooks else {
        return vec![if webhook.enabled {
            Outcome::Warn(format!(
                "`webhook.enabled` is on, but this server has no webhooks (stock 5.x): no event will come and {waiting}; set `webhook.enabled = false` to poll every `poll.interval_secs`"
            ))
        } else {
            Outcome::Pass(
                "not available on this server (stock 5.x); polling carries everything".to_string(),
            )
        }];
    };
    if hooks.is_empty() {
        return vec![if webhook.enabled {
            Outcome::Warn(format!(
                "`webhook.enabled` is on, but none is registered for this account: no event will come and {waiting}; register one (docs/webhooks.md)"
            ))
        } else {
            Outcome::Pass(
                "none registered for this account; polling carries everything".to_string(),
            )
        }];
    }
    let mut out = Vec::new();
    for hook in hooks {
        let name = hook.get("name").and_then(|v| v.as_str()).unwrap_or("?");
        let enabled = hook
            .get("enabled")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        out.push(match (enabled, webhook.enabled) {
            (true, true) => Outcome::Pass(format!("`{name}` enabled")),
            (true, false) => Outcome::Warn(format!(
                "`{name}` is enabled but `webhook.enabled` is off: its deliveries find no endpoint, and Bugzilla disables a webhook whose deliveries keep failing; turn `[webhook]` on (docs/webhooks.md) or remove the webhook in your Bugzilla preferences"
            )),
            (false, _) => Outcome::Warn(format!(
                "`{name}` is disabled (Bugzilla disables a webhook whose deliveries keep failing); polling still carries everything; re-enable it in your Bugzilla preferences once the endpoint answers"
            )),
        });
    }
    out
}

/// The checks' lines, printed as they come.
#[derive(Default)]
struct Report {
    failed: usize,
    warned: usize,
}

impl Report {
    fn say(&mut self, check: &str, outcome: Outcome) {
        match outcome {
            Outcome::Pass(detail) => println!("PASS {check}: {detail}"),
            Outcome::Warn(detail) => {
                self.warned += 1;
                println!("WARN {check}: {detail}");
            }
            Outcome::Fail(detail) => {
                self.failed += 1;
                println!("FAIL {check}: {detail}");
            }
        }
    }
}

pub fn run(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)
        .with_context(|| format!("settings in {} are not usable", config.display()))?;
    let mut report = Report::default();
    report.say(
        "settings",
        Outcome::Pass(format!(
            "{} (bugzilla {}, bot account {})",
            config.display(),
            settings.rest_base()?,
            settings.bugzilla.bot_login
        )),
    );
    let rules = match pushbot::rule_files::load_all(&settings.rules.dir) {
        Ok(rules) => {
            report.say(
                "rules",
                Outcome::Pass(format!(
                    "{} rule files in {}",
                    rules.rules.len(),
                    settings.rules.dir.display()
                )),
            );
            Some(rules)
        }
        Err(errors) => {
            for e in errors {
                report.say(
                    "rules",
                    Outcome::Fail(format!("{e}; fix the file (pushbot rules check)")),
                );
            }
            None
        }
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = Client::new(&settings).context("cannot set up the Bugzilla client")?;
    runtime.block_on(async {
        server_checks(&client, &settings, rules.as_ref(), &mut report).await;
    });
    println!(
        "{} failed, {} warnings; {} requests made",
        report.failed,
        report.warned,
        client.request_count()
    );
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Everything that asks the server, in order; the first two failing stop
/// the rest (nothing else can be asked without a Bugzilla and a key).
async fn server_checks(
    client: &Client,
    settings: &Settings,
    rules: Option<&RuleSet>,
    report: &mut Report,
) {
    match client.version().await {
        Ok(version) => report.say("server", Outcome::Pass(format!("Bugzilla {version}"))),
        // 5.2 checks a key sent with any call, `/version` included: the
        // server answered as a Bugzilla, and the key is the problem.
        Err(e @ BugzillaError::BadApiKey { .. }) => {
            report.say(
                "server",
                Outcome::Pass("answers as a Bugzilla (it refused the key)".to_string()),
            );
            report.say("key", Outcome::Fail(e.to_string()));
            return;
        }
        Err(e) => {
            report.say(
                "server",
                Outcome::Fail(format!(
                    "{} does not answer as a Bugzilla (GET /version: {e}); check `bugzilla.url` and `bugzilla.rest_path`",
                    settings.rest_base().map(|u| u.to_string()).unwrap_or_default()
                )),
            );
            return;
        }
    }
    let me = match client.verify_login().await {
        Ok(user) => {
            report.say(
                "key",
                Outcome::Pass(format!(
                    "valid, acts as {} (sent as `bugzilla.auth` = {:?})",
                    user.name, settings.bugzilla.auth
                )),
            );
            user
        }
        Err(e) => {
            report.say("key", Outcome::Fail(e.to_string()));
            return;
        }
    };

    let query = SearchQuery::from_settings(&settings.query);
    match client.finds_any(&query).await {
        Ok(true) => report.say("push query", Outcome::Pass("finds push bugs the bot can see".to_string())),
        Ok(false) => report.say(
            "push query",
            Outcome::Warn(
                "finds no bug the bot can see: check `[query]` and the bot's groups (fine if there are no push bugs yet)"
                    .to_string(),
            ),
        ),
        Err(e) => report.say("push query", Outcome::Fail(format!("the search failed: {e}; check `[query]`"))),
    }

    flag_types(client, settings, rules, report).await;

    // The bot sees its own groups (recording 138).
    let bot = &settings.bugzilla.bot_login;
    let groups: Vec<String> = match client.users(std::slice::from_ref(bot)).await {
        Ok(users) => users
            .into_iter()
            .filter(|u| u.name.eq_ignore_ascii_case(&me.name))
            .flat_map(|u| u.groups)
            .map(|g| g.name)
            .collect(),
        Err(e) => {
            report.say(
                "groups",
                Outcome::Fail(format!("cannot read the bot's groups: {e}")),
            );
            Vec::new()
        }
    };
    let mut needed: Vec<(String, &str)> = Vec::new();
    let allow = &settings.commands.allow;
    for (who, what) in [
        (&allow.help, "commands.allow.help"),
        (&allow.check, "commands.allow.check"),
        (&allow.signoff, "commands.allow.signoff"),
        (&allow.summary, "commands.allow.summary"),
        (&allow.snooze, "commands.allow.snooze"),
        (&allow.unsnooze, "commands.allow.unsnooze"),
        (&allow.owner, "commands.allow.owner"),
        (&allow.go, "commands.allow.go"),
        (&allow.no_go, "commands.allow.no_go"),
    ] {
        if let Who::Group(group) = who {
            if !needed.iter().any(|(g, _)| g == group) {
                needed.push((group.clone(), what));
            }
        }
    }
    for group in &settings.push.signoff_groups {
        if !needed.iter().any(|(g, _)| g == group) {
            needed.push((group.clone(), "push.signoff_groups"));
        }
    }
    for (group, setting) in &needed {
        if groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
            report.say(
                "groups",
                Outcome::Pass(format!("the bot is in `{group}` ({setting})")),
            );
        } else {
            report.say(
                "groups",
                Outcome::Fail(format!(
                    "the bot is not in `{group}`, which `{setting}` names: Bugzilla refuses it every membership lookup for that group (400/804), so those commands would never be allowed; add {bot} to `{group}` or change `{setting}`"
                )),
            );
        }
    }

    accounts(client, settings, report).await;
    tracking_bug(client, settings, &groups, report).await;

    match client.webhooks().await {
        Ok(hooks) => {
            for outcome in webhook_findings(hooks.as_deref(), &settings.webhook) {
                report.say("webhooks", outcome);
            }
        }
        Err(e) => report.say("webhooks", Outcome::Warn(format!("cannot list them: {e}"))),
    }

    insider(client, settings).await;
}

/// The flag types the bot sets on every push component of `[query]`.
async fn flag_types(
    client: &Client,
    settings: &Settings,
    rules: Option<&RuleSet>,
    report: &mut Report,
) {
    let flags = &settings.push.signoff_flags;
    // (name, why, must be single)
    let mut wanted: Vec<(String, String, bool)> = vec![
        (
            flags.webdev.clone(),
            "[push] signoff_flags.webdev".to_string(),
            true,
        ),
        (
            flags.qa.clone(),
            "[push] signoff_flags.qa".to_string(),
            true,
        ),
    ];
    for rule in rules.map(|r| r.rules.as_slice()).unwrap_or_default() {
        let flag = match &rule.kind {
            RuleKind::NoOwner(p) => Some(p.escalate_flag.clone()),
            RuleKind::Overrun(p) => Some(p.needinfo_flag.clone()),
            _ => None,
        };
        if let Some(flag) = flag {
            if !wanted.iter().any(|(n, _, _)| *n == flag) {
                wanted.push((flag, format!("rule `{}`", rule.name), false));
            }
        }
    }
    let q = &settings.query;
    if q.product.is_empty() || q.component.is_empty() {
        report.say(
            "flag types",
            Outcome::Warn("not checked: `[query]` names no product or no component".to_string()),
        );
        return;
    }
    for product in &q.product {
        for component in &q.component {
            let place = format!("{product}/{component}");
            let types = match client.flag_types(product, component).await {
                Ok(types) => types,
                Err(e) => {
                    report.say(
                        "flag types",
                        Outcome::Fail(format!(
                            "cannot read the flag types of {place}: {e}; check `[query]` product and component and that the bot can see the product"
                        )),
                    );
                    continue;
                }
            };
            for (name, why, single) in &wanted {
                let Some(t) = types.iter().find(|t| t.name == *name) else {
                    report.say(
                        "flag types",
                        Outcome::Fail(format!(
                            "`{name}` ({why}) is not a flag type of {place}: create it (Administration → Flags) for that component, or name an existing one in {why}"
                        )),
                    );
                    continue;
                };
                let mut problems = Vec::new();
                if !t.is_active {
                    problems.push("inactive");
                }
                if !t.is_requesteeble {
                    problems.push("not requestable from a person");
                }
                if *single && t.is_multiplicable {
                    problems.push("multiplicable (a sign-off must be one flag per bug)");
                }
                if problems.is_empty() {
                    report.say("flag types", Outcome::Pass(format!("`{name}` on {place}")));
                } else {
                    report.say(
                        "flag types",
                        Outcome::Fail(format!(
                            "`{name}` ({why}) on {place} is {}: fix it in Administration → Flags",
                            problems.join(", ")
                        )),
                    );
                }
            }
        }
    }
}

/// The leads and QA of every app are Bugzilla accounts.
async fn accounts(client: &Client, settings: &Settings, report: &mut Report) {
    let mut logins: Vec<(String, String)> = Vec::new();
    for app in &settings.push.apps {
        for lead in &app.leads {
            logins.push((lead.clone(), format!("a lead of app {}", app.name)));
        }
        if let Some(qa) = &app.qa {
            logins.push((qa.clone(), format!("the QA of app {}", app.name)));
        }
    }
    logins.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
    if logins.is_empty() {
        return;
    }
    // One unknown login fails a whole batch on 5.2 (recording 140): ask one
    // by one.
    let mut known = 0;
    for (login, role) in &logins {
        match client.user_exists(login).await {
            Ok(true) => known += 1,
            Ok(false) => report.say(
                "accounts",
                Outcome::Fail(format!(
                    "`{login}` ({role}) is not a Bugzilla account: fix the login in `[[push.apps]]`"
                )),
            ),
            Err(e) => report.say(
                "accounts",
                Outcome::Warn(format!("cannot check `{login}` ({role}): {e}")),
            ),
        }
    }
    if known == logins.len() {
        report.say(
            "accounts",
            Outcome::Pass(format!("{known} leads and QA are accounts")),
        );
    }
}

/// The tracking bug of the weekly summary exists, is open and visible.
async fn tracking_bug(
    client: &Client,
    settings: &Settings,
    bot_groups: &[String],
    report: &mut Report,
) {
    let Some(id) = settings.summary.tracking_bug else {
        return;
    };
    let bug = match client.get_bugs(&[BugId(id)]).await {
        Ok(found) => found.bugs.into_iter().find(|b| b.id == BugId(id)),
        Err(e) => {
            report.say(
                "tracking bug",
                Outcome::Fail(format!("cannot read bug {id}: {e}")),
            );
            return;
        }
    };
    let Some(bug) = bug else {
        report.say(
            "tracking bug",
            Outcome::Fail(format!(
                "bug {id} (`summary.tracking_bug`) does not exist or the bot cannot see it: file a tracking bug the bot can read and set its id"
            )),
        );
        return;
    };
    if bug.is_open == Some(false) {
        report.say(
            "tracking bug",
            Outcome::Fail(format!(
                "bug {id} (`summary.tracking_bug`) is closed ({}): reopen it or set a new one",
                bug.status
            )),
        );
        return;
    }
    let outside: Vec<&String> = bug
        .groups
        .iter()
        .filter(|g| !bot_groups.iter().any(|b| b.eq_ignore_ascii_case(g)))
        .collect();
    if !outside.is_empty() {
        report.say(
            "tracking bug",
            Outcome::Fail(format!(
                "bug {id} is restricted to groups the bot is not in ({}): use a bug the bot can read",
                outside.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", ")
            )),
        );
    } else if !bug.groups.is_empty() {
        report.say(
            "tracking bug",
            Outcome::Warn(format!(
                "bug {id} is restricted ({}): the summary names only the pushes its readers may see",
                bug.groups.join(", ")
            )),
        );
    } else {
        report.say(
            "tracking bug",
            Outcome::Pass(format!("bug {id} is open and public")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn on(enabled: bool) -> WebhookSettings {
        WebhookSettings {
            enabled,
            ..WebhookSettings::default()
        }
    }

    fn texts(found: &[Outcome]) -> Vec<(&'static str, &str)> {
        found
            .iter()
            .map(|o| match o {
                Outcome::Pass(t) => ("PASS", t.as_str()),
                Outcome::Warn(t) => ("WARN", t.as_str()),
                Outcome::Fail(t) => ("FAIL", t.as_str()),
            })
            .collect()
    }

    #[test]
    fn waiting_for_events_that_cannot_come_is_a_warning() {
        let none = webhook_findings(None, &on(true));
        let [("WARN", text)] = texts(&none)[..] else {
            panic!("{:?}", texts(&none))
        };
        assert!(text.contains("no webhooks") && text.contains("webhook.enabled = false"));
        let empty = webhook_findings(Some(&[]), &on(true));
        let [("WARN", text)] = texts(&empty)[..] else {
            panic!("{:?}", texts(&empty))
        };
        assert!(text.contains("none is registered") && text.contains("900 s"));
    }

    #[test]
    fn without_webhooks_in_the_settings_none_on_the_server_is_fine() {
        assert_eq!(texts(&webhook_findings(None, &on(false)))[0].0, "PASS");
        assert_eq!(texts(&webhook_findings(Some(&[]), &on(false)))[0].0, "PASS");
    }

    #[test]
    fn each_registered_webhook_is_checked_against_the_settings() {
        let hooks = [
            json!({"name": "pushbot", "enabled": true}),
            json!({"name": "old", "enabled": false}),
        ];
        let found = webhook_findings(Some(&hooks), &on(true));
        assert_eq!(
            texts(&found).iter().map(|t| t.0).collect::<Vec<_>>(),
            ["PASS", "WARN"]
        );
        let found = webhook_findings(Some(&hooks[..1]), &on(false));
        let [("WARN", text)] = texts(&found)[..] else {
            panic!("{:?}", texts(&found))
        };
        assert!(text.contains("`pushbot` is enabled but `webhook.enabled` is off"));
    }
}
