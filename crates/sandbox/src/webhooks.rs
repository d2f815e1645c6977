//! The sandbox as a webhook sender: when a bug is created or changed or a
//! comment is added (through the REST API or a [`super::SandboxHandle`]
//! person), it POSTs the event bugzilla.mozilla.org would send (REST.md
//! §10, the documented payloads in `tests/fixtures/bmo/webhook-*.json`) to
//! a configured URL, with a configurable secret header, and can deliver it
//! late, twice, out of order or not at all, so every path of the bot's
//! webhook handling runs end to end.
//!
//! The payloads follow BMO's `Serialize.pm` shape: times in UTC without
//! the `Z`, users as `{id, login, real_name}`, flags as `{id, name, value,
//! requestee}`, `operating_system` for `op_sys`, no `cc`/`groups`;
//! `comment.create` carries `target: "comment"` and the bug with its
//! `comment`; a bug in any group is sent as `{"id": …, "is_private": true}`
//! without `changes` (the hook's owner is taken to see every bug). What no
//! recording shows is listed in [`super::guesses`].
//!
//! Events are found by comparing each bug with what was sent before
//! ([`Webhooks::observe`], called after every change with the model's lock
//! held), so every path that changes the model is covered by one hook.
//! Sending runs on a task of its own through a queue: it never blocks a
//! request the sandbox is answering.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::model::{Bug, Model};

/// How events are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Each event once, in order, at once.
    Prompt,
    /// Each event once, in order, this long after it happened.
    Late(Duration),
    /// Each event twice in a row (a redelivery).
    Twice,
    /// Each pair of events swapped: the second is sent before the first
    /// (an event with none after it within [`OUT_OF_ORDER_WAIT`] goes
    /// alone).
    OutOfOrder,
    /// None: the webhook is silent (disabled, or its endpoint unreachable).
    Off,
}

/// How long an out-of-order event waits for the one to swap with.
pub const OUT_OF_ORDER_WAIT: Duration = Duration::from_millis(200);

/// Where and how the sandbox delivers webhook events.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// The URL to POST to, e.g. `http://127.0.0.1:8091/bugzilla/webhook`.
    pub url: String,
    /// `api_key_header` and `api_key_value`, sent verbatim.
    pub header: Option<(String, String)>,
    pub delivery: Delivery,
}

/// The sender's state, shared by every connection of the sandbox.
#[derive(Debug)]
pub(crate) struct Webhooks {
    state: Mutex<State>,
    /// Events settled (sent, or dropped by [`Delivery::Off`]).
    settled: watch::Sender<u64>,
    /// POST requests answered (any status), copies included.
    posts: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    /// Delivery on: the queue to the sending task, and what was seen of
    /// each bug (comments, history entries, changes in the last entry).
    queue: Option<mpsc::UnboundedSender<Value>>,
    seen: BTreeMap<u64, Seen>,
    /// Events put in the queue since the start.
    emitted: u64,
    /// The statuses the endpoint answered, in order.
    answers: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    comments: usize,
    history: usize,
    last_changes: usize,
}

impl Seen {
    fn of(bug: &Bug) -> Seen {
        Seen {
            comments: bug.comments.len(),
            history: bug.history.len(),
            last_changes: bug.history.last().map_or(0, |h| h.changes.len()),
        }
    }
}

impl Default for Webhooks {
    fn default() -> Self {
        Webhooks {
            state: Mutex::new(State::default()),
            settled: watch::Sender::new(0),
            posts: watch::Sender::new(0),
        }
    }
}

impl Webhooks {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts (or replaces, or with `None` stops) delivery; what the model
    /// holds now counts as sent. Must run inside a tokio runtime.
    pub(crate) fn configure(
        self: &std::sync::Arc<Self>,
        target: Option<WebhookTarget>,
        model: &Model,
    ) {
        let mut state = self.state();
        state.seen = model.bugs.values().map(|b| (b.id, Seen::of(b))).collect();
        state.queue = target.map(|target| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(send_all(std::sync::Arc::clone(self), target, rx));
            tx
        });
    }

    /// Queues the events of every change since the last call (nothing when
    /// delivery is off). Called with the model's lock held, after each
    /// change; cheap when nothing changed.
    pub(crate) fn observe(&self, model: &Model, now: DateTime<Utc>) {
        let mut state = self.state();
        let Some(queue) = state.queue.clone() else {
            return;
        };
        let mut events = Vec::new();
        for bug in model.bugs.values() {
            let now_seen = Seen::of(bug);
            let before = state.seen.get(&bug.id).copied();
            if before == Some(now_seen) {
                continue;
            }
            match before {
                None => {
                    events.push(payload(
                        model,
                        bug,
                        "create",
                        "bug",
                        "bug.create",
                        &bug.creator,
                        None,
                        &[],
                        now,
                    ));
                    for comment in bug.comments.iter().skip(1) {
                        events.push(comment_event(model, bug, comment, now));
                    }
                }
                Some(before) => {
                    // Field changes: new history entries, or changes added
                    // to the last one (one entry per person and second).
                    let mut entries: Vec<(&str, Vec<&super::model::Change>)> = Vec::new();
                    if now_seen.history == before.history
                        && now_seen.last_changes > before.last_changes
                    {
                        if let Some(last) = bug.history.last() {
                            entries.push((
                                &last.who,
                                last.changes[before.last_changes..].iter().collect(),
                            ));
                        }
                    }
                    for entry in bug.history.iter().skip(before.history) {
                        entries.push((&entry.who, entry.changes.iter().collect()));
                    }
                    for (who, changes) in entries {
                        if changes.is_empty() {
                            continue;
                        }
                        let fields: Vec<String> =
                            changes.iter().map(|c| field_name(&c.field_name)).collect();
                        let key = format!("bug.modify:{}", fields.join(","));
                        events.push(payload(
                            model, bug, "modify", "bug", &key, who, None, &changes, now,
                        ));
                    }
                    for comment in bug.comments.iter().skip(before.comments) {
                        events.push(comment_event(model, bug, comment, now));
                    }
                }
            }
            state.seen.insert(bug.id, now_seen);
        }
        for event in events {
            state.emitted += 1;
            // A closed queue means the sending task ended: nothing to send to.
            let _ = queue.send(event);
        }
    }

    /// Events queued since delivery started (before [`Delivery`] applies).
    pub(crate) fn emitted(&self) -> u64 {
        self.state().emitted
    }

    /// POST requests the endpoint answered, and their statuses in order.
    pub(crate) fn answers(&self) -> Vec<u16> {
        self.state().answers.clone()
    }

    /// Waits until every event queued so far is sent or dropped.
    pub(crate) async fn wait_idle(&self) {
        let target = self.emitted();
        let mut settled = self.settled.subscribe();
        let _ = settled.wait_for(|n| *n >= target).await;
    }

    /// Waits until `n` POST requests have been answered since the start.
    pub(crate) async fn wait_posts(&self, n: u64) {
        let mut posts = self.posts.subscribe();
        let _ = posts.wait_for(|done| *done >= n).await;
    }
}

/// BMO names flag changes `flag.<name>`; the sandbox's history says
/// `flagtypes.name` (the bot reads neither: it re-reads the bug).
fn field_name(history: &str) -> String {
    match history {
        "flagtypes.name" => "flag".to_string(),
        "bug_group" => "groups".to_string(),
        other => other.to_string(),
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn user(model: &Model, login: &str) -> Value {
    match model.user(login) {
        Some(u) => json!({"id": u.id, "login": u.login, "real_name": u.real_name}),
        None => json!({"id": 0, "login": login, "real_name": ""}),
    }
}

fn comment_event(
    model: &Model,
    bug: &Bug,
    comment: &super::model::Comment,
    now: DateTime<Utc>,
) -> Value {
    let body = json!({
        "id": comment.id,
        "number": comment.count,
        "body": comment.text,
        "is_private": comment.is_private,
        "creation_time": time(comment.time),
    });
    payload(
        model,
        bug,
        "create",
        "comment",
        "comment.create",
        &comment.creator,
        Some(body),
        &[],
        now,
    )
}

#[allow(clippy::too_many_arguments, reason = "one payload, every part named")]
fn payload(
    model: &Model,
    bug: &Bug,
    action: &str,
    target: &str,
    routing_key: &str,
    who: &str,
    comment: Option<Value>,
    changes: &[&super::model::Change],
    now: DateTime<Utc>,
) -> Value {
    let mut event = json!({
        "action": action,
        "target": target,
        "routing_key": routing_key,
        "time": time(now),
        "user": user(model, who),
    });
    if !bug.groups.is_empty() {
        return json!({
            "webhook_id": 1,
            "webhook_name": "pushbot",
            "event": event,
            "bug": {"id": bug.id, "is_private": true},
        });
    }
    if !changes.is_empty() {
        event["changes"] = changes
            .iter()
            .map(|c| json!({"field": field_name(&c.field_name), "removed": c.removed, "added": c.added}))
            .collect();
    }
    let detail = |login: &str| (!login.is_empty()).then(|| user(model, login));
    let mut body = json!({
        "id": bug.id,
        "alias": "",
        "summary": bug.summary,
        "status": bug.status,
        "resolution": bug.resolution,
        "type": "defect",
        "product": bug.product,
        "component": bug.component,
        "classification": "Unclassified",
        "assigned_to": bug.assigned_to,
        "assigned_to_detail": detail(&bug.assigned_to),
        "creator": bug.creator,
        "creator_detail": detail(&bug.creator),
        "qa_contact": bug.qa_contact,
        "flags": bug.flags.iter().map(|f| json!({
            "id": f.id,
            "name": f.name,
            "value": f.status.to_string(),
            "requestee": f.requestee.as_deref().map(|r| user(model, r)),
        })).collect::<Vec<_>>(),
        "is_private": false,
        "keywords": bug.keywords,
        "whiteboard": bug.whiteboard,
        "see_also": [],
        "priority": if bug.priority == "---" { "" } else { bug.priority.as_str() },
        "severity": bug.severity,
        "target_milestone": bug.target_milestone,
        "version": bug.version,
        "operating_system": bug.op_sys,
        "platform": bug.platform,
        "url": bug.url,
        "creation_time": time(bug.creation_time),
        "last_change_time": time(bug.last_change_time),
    });
    if let Some(comment) = comment {
        body["comment"] = comment;
    }
    json!({"webhook_id": 1, "webhook_name": "pushbot", "event": event, "bug": body})
}

/// The sending task: one event at a time, as `target.delivery` says.
async fn send_all(
    hooks: std::sync::Arc<Webhooks>,
    target: WebhookTarget,
    mut queue: mpsc::UnboundedReceiver<Value>,
) {
    let client = reqwest::Client::new();
    let post = |event: Value| {
        let client = client.clone();
        let target = target.clone();
        let hooks = std::sync::Arc::clone(&hooks);
        async move {
            let mut request = client.post(&target.url).json(&event);
            if let Some((name, value)) = &target.header {
                request = request.header(name.as_str(), value.as_str());
            }
            // An unreachable endpoint counts as an answer of 0.
            let status = request.send().await.map_or(0, |r| r.status().as_u16());
            hooks.state().answers.push(status);
            hooks.posts.send_modify(|n| *n += 1);
        }
    };
    let settle = |n: u64| hooks.settled.send_modify(|done| *done += n);
    while let Some(event) = queue.recv().await {
        match target.delivery {
            Delivery::Prompt => {
                post(event).await;
                settle(1);
            }
            Delivery::Late(delay) => {
                tokio::time::sleep(delay).await;
                post(event).await;
                settle(1);
            }
            Delivery::Twice => {
                post(event.clone()).await;
                post(event).await;
                settle(1);
            }
            Delivery::OutOfOrder => {
                match tokio::time::timeout(OUT_OF_ORDER_WAIT, queue.recv()).await {
                    Ok(Some(next)) => {
                        post(next).await;
                        post(event).await;
                        settle(2);
                    }
                    Ok(None) | Err(_) => {
                        post(event).await;
                        settle(1);
                    }
                }
            }
            Delivery::Off => settle(1),
        }
    }
}
