//! Typed Bugzilla objects: bugs, comments, flags, users, and the
//! bodies the bot writes.
//!
//! Bugzilla instances differ (stock 5.x, bugzilla.mozilla.org, Red Hat's), so
//! every field that is not the object's id is optional or defaulted, unknown
//! fields are kept rather than refused, and custom fields (`cf_*`) land in
//! [`Bug::extra`]. All times are UTC.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A bug's numeric id.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct BugId(pub u64);

impl fmt::Display for BugId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A comment's id. Comment ids are global across the instance (not per bug);
/// the per-bug index is [`Comment::count`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct CommentId(pub u64);

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A flag's state as Bugzilla spells it: `?` requested, `+` granted,
/// `-` denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlagStatus {
    #[serde(rename = "?")]
    Requested,
    #[serde(rename = "+")]
    Granted,
    #[serde(rename = "-")]
    Denied,
}

impl FlagStatus {
    /// The one-character form used on the wire and in comments.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagStatus::Requested => "?",
            FlagStatus::Granted => "+",
            FlagStatus::Denied => "-",
        }
    }

    /// The status spelt `text` (`?`, `+`, `-`).
    pub fn from_wire(text: &str) -> Option<FlagStatus> {
        [
            FlagStatus::Requested,
            FlagStatus::Granted,
            FlagStatus::Denied,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for FlagStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a flag change does to its flag: set a status, or clear the flag
/// (`X` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlagChangeStatus {
    #[serde(rename = "?")]
    Requested,
    #[serde(rename = "+")]
    Granted,
    #[serde(rename = "-")]
    Denied,
    /// Remove the flag.
    #[serde(rename = "X")]
    Clear,
}

impl FlagChangeStatus {
    /// The form used on the wire: `?`, `+`, `-`, `X`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagChangeStatus::Clear => "X",
            FlagChangeStatus::Requested => "?",
            FlagChangeStatus::Granted => "+",
            FlagChangeStatus::Denied => "-",
        }
    }

    /// The change spelt `text`, if Bugzilla knows it.
    pub fn from_wire(text: &str) -> Option<FlagChangeStatus> {
        match text {
            "X" => Some(FlagChangeStatus::Clear),
            _ => FlagStatus::from_wire(text).map(FlagChangeStatus::from),
        }
    }

    /// The status the flag has after the change; `None`: it is gone.
    pub fn target(self) -> Option<FlagStatus> {
        match self {
            FlagChangeStatus::Requested => Some(FlagStatus::Requested),
            FlagChangeStatus::Granted => Some(FlagStatus::Granted),
            FlagChangeStatus::Denied => Some(FlagStatus::Denied),
            FlagChangeStatus::Clear => None,
        }
    }
}

impl From<FlagStatus> for FlagChangeStatus {
    fn from(status: FlagStatus) -> Self {
        match status {
            FlagStatus::Requested => FlagChangeStatus::Requested,
            FlagStatus::Granted => FlagChangeStatus::Granted,
            FlagStatus::Denied => FlagChangeStatus::Denied,
        }
    }
}

impl fmt::Display for FlagChangeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A flag set on a bug (`webdev-signoff?`, `needinfo?(someone)`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    #[serde(default)]
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub type_id: Option<u64>,
    pub status: FlagStatus,
    #[serde(default)]
    pub setter: Option<String>,
    /// Present only when the flag was requested from someone.
    #[serde(default)]
    pub requestee: Option<String>,
    #[serde(default)]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modification_date: Option<DateTime<Utc>>,
}

/// The `*_detail` object Bugzilla attaches to people fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserDetail {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub real_name: Option<String>,
    /// BMO only.
    #[serde(default)]
    pub nick: Option<String>,
}

/// A bug as returned by `GET /rest/bug` and `GET /rest/bug/ID`.
///
/// Only `id` is required: searches with `include_fields` return a subset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Bug {
    pub id: BugId,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub status: String,
    /// `""` while the bug is open.
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub is_open: Option<bool>,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub component: String,
    #[serde(default)]
    pub assigned_to: String,
    #[serde(default)]
    pub assigned_to_detail: Option<UserDetail>,
    #[serde(default)]
    pub creator: String,
    /// `""` when unset.
    #[serde(default)]
    pub qa_contact: String,
    #[serde(default)]
    pub whiteboard: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Names of the groups that restrict who may see the bug.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `"---"` when unset; Mozilla's web projects named milestones after
    /// release dates (`2010-09-14`).
    #[serde(default)]
    pub target_milestone: String,
    #[serde(default)]
    pub creation_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_change_time: Option<DateTime<Utc>>,
    /// Upstream 5.x sends an array, BMO a string or `null`: both become a list.
    #[serde(default, deserialize_with = "alias_list")]
    pub alias: Vec<String>,
    /// Custom fields (`cf_*`) and any field this type does not name.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Bug {
    /// A custom field's value as text, if it is set. Bugzilla marks an unset
    /// single-select as `"---"` and an unset date as `null`.
    pub fn custom_field(&self, name: &str) -> Option<String> {
        match self.extra.get(name)? {
            Value::String(s) if s.is_empty() || s == "---" => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Whether the bug is still open; falls back to the resolution when the
    /// server did not send `is_open`.
    pub fn open(&self) -> bool {
        self.is_open.unwrap_or(self.resolution.is_empty())
    }
}

fn alias_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Alias {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Alias>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(Alias::One(s)) if s.is_empty() => Vec::new(),
        Some(Alias::One(s)) => vec![s],
        Some(Alias::Many(v)) => v,
    })
}

/// One comment of a bug.
///
/// Bugzilla sends the time twice (`creation_time` and `time`) and BMO the
/// author twice (`creator` and `author`); serde aliases would reject such a
/// body as a duplicate field, so [`Comment`] deserializes through
/// [`RawComment`] and takes whichever is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawComment")]
pub struct Comment {
    pub id: CommentId,
    pub bug_id: Option<BugId>,
    /// The per-bug index: 0 is the description.
    pub count: u32,
    pub text: String,
    /// The author's login.
    pub creator: String,
    pub creation_time: DateTime<Utc>,
    pub is_private: bool,
    pub tags: Vec<String>,
    pub attachment_id: Option<u64>,
}

/// The wire shape of a comment, with both spellings of the doubled fields.
#[derive(Deserialize)]
struct RawComment {
    id: CommentId,
    #[serde(default)]
    bug_id: Option<BugId>,
    #[serde(default)]
    count: u32,
    #[serde(default)]
    text: String,
    #[serde(default)]
    creator: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    creation_time: Option<DateTime<Utc>>,
    #[serde(default)]
    time: Option<DateTime<Utc>>,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    attachment_id: Option<u64>,
}

impl From<RawComment> for Comment {
    fn from(raw: RawComment) -> Self {
        Comment {
            id: raw.id,
            bug_id: raw.bug_id,
            count: raw.count,
            text: raw.text,
            creator: raw.creator.or(raw.author).unwrap_or_default(),
            // A comment without any time is not one Bugzilla sends; the
            // epoch keeps it parseable and sorts it first.
            creation_time: raw
                .creation_time
                .or(raw.time)
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            is_private: raw.is_private,
            tags: raw.tags,
            attachment_id: raw.attachment_id,
        }
    }
}

/// A group membership as returned by `GET /rest/user` (an object upstream,
/// a plain name from BMO's `whoami`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserGroup {
    pub name: String,
    pub id: Option<u64>,
}

impl<'de> Deserialize<'de> for UserGroup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Object {
                name: String,
                #[serde(default)]
                id: Option<u64>,
            },
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Name(name) => UserGroup { name, id: None },
            Raw::Object { name, id } => UserGroup { name, id },
        })
    }
}

/// A Bugzilla account.
///
/// Careful: a caller that is not an admin sees `groups: []` for every other
/// user, so an empty list says nothing about membership.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct User {
    #[serde(default)]
    pub id: Option<u64>,
    /// The login.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub nick: Option<String>,
    #[serde(default)]
    pub can_login: Option<bool>,
    #[serde(default)]
    pub groups: Vec<UserGroup>,
}

/// The longest comment Bugzilla takes, in characters: one more is refused
/// with 400/114 (recordings 155, 156), whether posted or inside an update.
pub const MAX_COMMENT_CHARS: usize = 65_535;

/// A bug flag type of a component (`GET /flag_type/PRODUCT/COMPONENT`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FlagType {
    pub name: String,
    #[serde(default)]
    pub is_active: bool,
    /// Bugzilla's spelling.
    #[serde(default)]
    pub is_requesteeble: bool,
    #[serde(default)]
    pub is_multiplicable: bool,
}

/// A comment the bot posts: alone (`POST /rest/bug/ID/comment`) or inside
/// an update (`"comment": {"body": …}` of `PUT /rest/bug/ID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewComment {
    pub text: String,
    #[serde(default)]
    pub is_private: bool,
    /// Ask for markdown rendering (BMO); servers without it ignore the field.
    #[serde(default)]
    pub is_markdown: bool,
}

/// A flag change in a bug update: set, request, or clear (`X`) a flag by
/// name (new flag) or by id (existing flag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `?`, `+`, `-`, or `X` to clear.
    pub status: FlagChangeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requestee: Option<String>,
    /// Always add a new flag (`"new": true`), as a needinfo request must:
    /// by name without it, Bugzilla changes the one flag of that type
    /// already on the bug, so a pending needinfo to someone else would be
    /// moved to the new person (REST.md §flags, recordings 112–115 for the
    /// non-multiplicable case).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new: bool,
}

/// The fields of a bug the bot may change in one `PUT /rest/bug/ID`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BugUpdate {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FlagChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whiteboard: Option<String>,
}

impl BugUpdate {
    /// True when the update would change nothing.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.assigned_to.is_none() && self.whiteboard.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_is_a_list_in_both_flavours() {
        let up: Bug = serde_json::from_str(r#"{"id":1,"alias":[]}"#).unwrap();
        assert!(up.alias.is_empty());
        let bmo: Bug = serde_json::from_str(r#"{"id":2,"alias":"CVE-1"}"#).unwrap();
        assert_eq!(bmo.alias, vec!["CVE-1".to_string()]);
        let null: Bug = serde_json::from_str(r#"{"id":3,"alias":null}"#).unwrap();
        assert!(null.alias.is_empty());
    }

    #[test]
    fn custom_fields_are_kept() {
        let bug: Bug = serde_json::from_str(
            r#"{"id":1,"cf_push_date":"2026-12-01 16:00","cf_status":"---","unknown":true}"#,
        )
        .unwrap();
        assert_eq!(
            bug.custom_field("cf_push_date").as_deref(),
            Some("2026-12-01 16:00")
        );
        assert_eq!(bug.custom_field("cf_status"), None);
        assert_eq!(bug.extra.get("unknown"), Some(&Value::Bool(true)));
    }

    #[test]
    fn comment_with_doubled_fields_parses() {
        let c: Comment = serde_json::from_str(
            r#"{"id":6,"bug_id":1,"count":1,"text":"hi","creator":"a@x","author":"a@x",
                "creation_time":"2026-11-26T03:49:22Z","time":"2026-11-26T03:49:22Z",
                "is_private":false,"tags":[],"attachment_id":null}"#,
        )
        .unwrap();
        assert_eq!(c.creator, "a@x");
        assert_eq!(c.creation_time.to_rfc3339(), "2026-11-26T03:49:22+00:00");
        let only_time: Comment =
            serde_json::from_str(r#"{"id":7,"author":"b@x","time":"2026-11-26T03:49:23Z"}"#)
                .unwrap();
        assert_eq!(only_time.creator, "b@x");
    }

    #[test]
    fn group_is_a_name_or_an_object() {
        let user: User = serde_json::from_str(
            r#"{"name":"a@x","groups":["editbugs",{"name":"admin","id":1,"description":"d"}]}"#,
        )
        .unwrap();
        assert_eq!(user.groups[0].name, "editbugs");
        assert_eq!(user.groups[1].id, Some(1));
    }
}
