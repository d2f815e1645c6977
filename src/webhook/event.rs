//! One webhook delivery read as a trigger: which bug it announces, what
//! kind of event it is, who caused it, and the identity that makes a
//! redelivered copy recognisable. Nothing else of the payload is used: the
//! bot re-reads the bug over REST before acting (payloads can be stale,
//! and a private bug arrives as just its id).
//!
//! The shape is bugzilla.mozilla.org's (`extensions/Push/lib/Serialize.pm`,
//! REST.md §10): `{webhook_id, webhook_name, event: {action, target,
//! routing_key, time, user: {id, login, real_name}, changes?}, bug: {id,
//! product, component, …, comment?, attachment?}}`, times in UTC without
//! the `Z`; a private bug is `{"id": …, "is_private": true}`.
//!
//! Must not: decide anything about push bugs, or keep the body.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

use crate::bugzilla::BugId;

/// What the event says happened, from its `routing_key` (`bug.create`,
/// `bug.modify:status,flag.needinfo`, `comment.create`,
/// `attachment.create`, `attachment.modify:…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BugCreate,
    BugModify,
    CommentCreate,
    /// An attachment added or changed: nothing the bot reads, but its
    /// comment or flags may come with it, so it is a trigger too.
    Attachment,
}

/// A delivery read as a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub bug: BugId,
    pub kind: Kind,
    /// `event.user.login`: who caused it (the bot's own changes are
    /// delivered too).
    pub user: Option<String>,
    /// `bug.product` and `bug.component`; absent for a private bug.
    pub product: Option<String>,
    pub component: Option<String>,
    /// The identity of this event: equal for a redelivered copy, different
    /// for another event (webhook, bug, routing key, time, user, comment or
    /// attachment id, changes).
    pub key: u64,
}

/// Why a delivery is not a trigger; answered 2xx all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Not JSON, or no usable bug id.
    Malformed(String),
    /// A routing key the bot does not know (left to polling).
    UnknownKind(String),
}

/// Reads `body` (see the module doc).
pub fn parse(body: &[u8]) -> Result<Event, Rejected> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Rejected::Malformed(format!("not JSON: {e}")))?;
    let event = value
        .get("event")
        .filter(|e| e.is_object())
        .ok_or_else(|| Rejected::Malformed("no `event` object".to_string()))?;
    let bug = value
        .get("bug")
        .filter(|b| b.is_object())
        .ok_or_else(|| Rejected::Malformed("no `bug` object".to_string()))?;
    let id = bug
        .get("id")
        .and_then(Value::as_u64)
        .filter(|id| *id > 0)
        .ok_or_else(|| Rejected::Malformed("`bug.id` is not a bug number".to_string()))?;
    let routing_key = event
        .get("routing_key")
        .and_then(Value::as_str)
        .ok_or_else(|| Rejected::Malformed("no `event.routing_key`".to_string()))?;
    let kind = match routing_key.split(':').next().unwrap_or_default() {
        "bug.create" => Kind::BugCreate,
        "bug.modify" => Kind::BugModify,
        "comment.create" => Kind::CommentCreate,
        "attachment.create" | "attachment.modify" => Kind::Attachment,
        _ => return Err(Rejected::UnknownKind(short(routing_key))),
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let user = text(event.get("user").and_then(|u| u.get("login")));
    let mut hasher = DefaultHasher::new();
    (
        value.get("webhook_id").map(Value::to_string),
        id,
        routing_key,
        text(event.get("time")),
        user.as_deref(),
        event
            .get("user")
            .and_then(|u| u.get("id"))
            .map(Value::to_string),
        bug.get("comment")
            .and_then(|c| c.get("id"))
            .map(Value::to_string),
        bug.get("attachment")
            .and_then(|a| a.get("id"))
            .map(Value::to_string),
        event.get("changes").map(Value::to_string),
    )
        .hash(&mut hasher);
    Ok(Event {
        bug: BugId(id),
        kind,
        user,
        product: text(bug.get("product")).filter(|p| !p.is_empty()),
        component: text(bug.get("component")).filter(|c| !c.is_empty()),
        key: hasher.finish(),
    })
}

/// A routing key for a log line: at most 80 characters.
fn short(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGE: &str = include_str!("../../tests/fixtures/bmo/webhook-public-bug-change.json");
    const PRIVATE: &str = include_str!("../../tests/fixtures/bmo/webhook-private-bug.json");
    const COMMENT: &str = include_str!("../../tests/fixtures/bmo/webhook-new-comment.json");
    const ATTACHMENT: &str = include_str!("../../tests/fixtures/bmo/webhook-new-attachment.json");

    #[test]
    fn the_documented_payloads_read_as_triggers() {
        let change = parse(CHANGE.as_bytes()).unwrap();
        assert_eq!(change.bug, BugId(1629704));
        assert_eq!(change.kind, Kind::BugModify);
        assert_eq!(change.user.as_deref(), Some("nobody@mozilla.org"));
        assert_eq!(change.product.as_deref(), Some("Firefox"));
        assert_eq!(change.component.as_deref(), Some("Sync"));

        let private = parse(PRIVATE.as_bytes()).unwrap();
        assert_eq!(private.bug, BugId(2));
        assert_eq!(private.product, None);

        let comment = parse(COMMENT.as_bytes()).unwrap();
        assert_eq!(comment.kind, Kind::CommentCreate);
        let attachment = parse(ATTACHMENT.as_bytes()).unwrap();
        assert_eq!(attachment.kind, Kind::Attachment);

        // Each a different event; a copy is the same one.
        let keys = [change.key, private.key, comment.key, attachment.key];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(parse(COMMENT.as_bytes()).unwrap().key, comment.key);
    }

    #[test]
    fn a_reindented_copy_is_the_same_event() {
        let value: Value = serde_json::from_str(COMMENT).unwrap();
        let compact = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            parse(&compact).unwrap().key,
            parse(COMMENT.as_bytes()).unwrap().key
        );
    }

    #[test]
    fn bad_bodies_say_why() {
        let malformed = |body: &str| match parse(body.as_bytes()) {
            Err(Rejected::Malformed(reason)) => reason,
            other => panic!("{body}: {other:?}"),
        };
        assert!(malformed("{not json").contains("not JSON"));
        assert!(malformed("{}").contains("event"));
        assert!(malformed(r#"{"event":{"routing_key":"bug.create"}}"#).contains("bug"));
        assert!(
            malformed(r#"{"event":{"routing_key":"bug.create"},"bug":{"id":"x"}}"#)
                .contains("bug.id")
        );
        assert!(malformed(r#"{"event":{},"bug":{"id":5}}"#).contains("routing_key"));
        assert_eq!(
            parse(br#"{"event":{"routing_key":"user.login"},"bug":{"id":5}}"#),
            Err(Rejected::UnknownKind("user.login".to_string()))
        );
    }
}
