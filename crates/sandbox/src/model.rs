//! The sandbox's live data and the changes Bugzilla would make to it:
//! creating bugs, adding comments, updating fields and flags, and the
//! permission and visibility rules of stock Bugzilla 5.2.
//!
//! Pure: no I/O and no clock (every change takes `now`). Errors are
//! [`ApiError`]s carrying Bugzilla's HTTP status and error code, so the HTTP
//! layer only has to render them. Rendering JSON is not done here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::data::{BugData, SandboxData};
use super::SandboxError;
use crate::bugzilla::FlagStatus;

mod flags;
mod history;
mod users;
pub mod workflow;

pub use users::UserUpdate;

/// Bugzilla's error: HTTP status, numeric code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Bugzilla error {code} (HTTP {status}): {message}")]
pub struct ApiError {
    /// HTTP status sent with the error.
    pub status: u16,
    /// Bugzilla's numeric error code (`101` no such bug, …).
    pub code: i64,
    /// The human-readable message, worded like Bugzilla's.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn login_required() -> Self {
        Self::new(
            401,
            410,
            "You must log in before using this part of Bugzilla.",
        )
    }

    pub(crate) fn missing_argument(name: &str) -> Self {
        Self::new(
            400,
            50,
            format!("The function requires a {name} argument, and that argument was not set."),
        )
    }

    pub(crate) fn no_such_user(login: &str) -> Self {
        Self::new(
            404,
            51,
            format!(
                "There is no user named '{login}'. Either you mis-typed the name or that user has not yet registered for a Bugzilla account."
            ),
        )
    }
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub description: String,
}

/// An account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub real_name: String,
    pub api_key: Option<String>,
    pub password: Option<String>,
    pub groups: Vec<String>,
    pub admin: bool,
}

impl User {
    /// Whether the user is a member of `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// A version or milestone of a product.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub id: u64,
    pub name: String,
    pub sort_key: i64,
}

/// A product.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub versions: Vec<Named>,
    pub milestones: Vec<Named>,
    pub components: Vec<Component>,
}

/// A component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub default_assignee: String,
    /// `""` when there is none.
    pub default_qa_contact: String,
}

/// A bug flag type.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagType {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub sort_key: i64,
    pub multiplicable: bool,
    pub requesteeble: bool,
    /// Empty = every product.
    pub products: Vec<String>,
}

impl FlagType {
    /// Whether the type can be set on bugs of `product`.
    pub fn applies_to(&self, product: &str) -> bool {
        self.products.is_empty() || self.products.iter().any(|p| p == product)
    }
}

/// A flag on a bug.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Global flag id.
    pub id: u64,
    pub type_id: u64,
    pub name: String,
    pub status: FlagStatus,
    pub setter: String,
    pub requestee: Option<String>,
    pub creation_date: DateTime<Utc>,
    pub modification_date: DateTime<Utc>,
}

impl Flag {
    /// The form Bugzilla writes in history: `name?(requestee)`, `name+`.
    pub fn describe(&self) -> String {
        match &self.requestee {
            Some(requestee) => format!("{}{}({})", self.name, self.status, requestee),
            None => format!("{}{}", self.name, self.status),
        }
    }
}

/// A comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Global comment id.
    pub id: u64,
    pub bug_id: u64,
    /// Per-bug index; 0 is the description.
    pub count: u64,
    pub creator: String,
    pub time: DateTime<Utc>,
    pub text: String,
    pub is_private: bool,
}

/// One field change in a history entry or an update answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field_name: String,
    pub removed: String,
    pub added: String,
}

/// One history entry: who changed what, when.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub when: DateTime<Utc>,
    pub who: String,
    pub changes: Vec<Change>,
}

/// A bug with everything attached to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bug {
    pub id: u64,
    pub product: String,
    pub component: String,
    pub summary: String,
    pub status: String,
    /// `""` while open.
    pub resolution: String,
    pub assigned_to: String,
    /// `""` when unset.
    pub qa_contact: String,
    pub creator: String,
    pub whiteboard: String,
    pub keywords: Vec<String>,
    pub cc: Vec<String>,
    pub groups: Vec<String>,
    pub priority: String,
    pub severity: String,
    pub version: String,
    pub op_sys: String,
    pub platform: String,
    pub url: String,
    pub target_milestone: String,
    /// Whether the bug was ever confirmed (`is_confirmed`).
    pub everconfirmed: bool,
    pub creation_time: DateTime<Utc>,
    pub last_change_time: DateTime<Utc>,
    pub comments: Vec<Comment>,
    pub flags: Vec<Flag>,
    pub history: Vec<HistoryEntry>,
}

/// Stock 5.2 statuses that count as open.
pub const OPEN_STATUSES: [&str; 3] = ["UNCONFIRMED", "CONFIRMED", "IN_PROGRESS"];
/// Stock 5.2 statuses that count as closed.
pub const CLOSED_STATUSES: [&str; 2] = ["RESOLVED", "VERIFIED"];

impl Bug {
    /// Whether the status is one of the open ones.
    pub fn is_open(&self) -> bool {
        OPEN_STATUSES.contains(&self.status.as_str())
    }
}

/// What an update did: the answer of `PUT /rest/bug/ID`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    pub bug_id: u64,
    pub last_change_time: DateTime<Utc>,
    /// Empty for a no-op update (or one that only added a comment).
    pub changes: Vec<Change>,
}

/// The whole instance.
#[derive(Debug, Clone)]
pub struct Model {
    pub version: String,
    pub editbugs_group: String,
    pub insider_group: Option<String>,
    pub groups: Vec<Group>,
    pub users: Vec<User>,
    pub products: Vec<Product>,
    pub flag_types: Vec<FlagType>,
    pub bugs: BTreeMap<u64, Bug>,
    /// Login tokens handed out by `GET /rest/login`: token → login.
    pub tokens: BTreeMap<String, String>,
    next_bug_id: u64,
    next_comment_id: u64,
    next_flag_id: u64,
}

/// Keys a `PUT /rest/bug/ID` body may hold besides [`EDITABLE_FIELDS`].
/// Other keys are refused (404/32614) instead of silently ignored, so a
/// test never passes on a change the sandbox did not make.
/// `ids` is not one of them: 5.2 would update every bug it names, the
/// sandbox only the one of the path.
const UPDATE_EXTRA_KEYS: [&str; 8] = [
    "reset_assigned_to",
    "keywords",
    "cc",
    "flags",
    "comment",
    "api_key",
    "Bugzilla_api_key",
    "token",
];

/// Keys the `comment` object of a `PUT /rest/bug/ID` may hold.
/// `is_markdown` is accepted and ignored, as 5.2 does (recording 126).
const COMMENT_KEYS: [&str; 3] = ["body", "is_private", "is_markdown"];

/// Bugzilla's longest comment (recordings 155, 156).
pub const MAX_COMMENT_LENGTH: usize = 65_535;

/// Keys a `POST /rest/bug` body may hold.
const CREATE_KEYS: [&str; 23] = [
    "product",
    "component",
    "summary",
    "version",
    "description",
    "whiteboard",
    "assigned_to",
    "qa_contact",
    "status",
    "resolution",
    "priority",
    "severity",
    "keywords",
    "cc",
    "flags",
    "groups",
    "op_sys",
    "platform",
    "url",
    "target_milestone",
    "comment_is_private",
    "api_key",
    "Bugzilla_api_key",
];

fn refuse_unknown_keys(
    params: &Value,
    known: &dyn Fn(&str) -> bool,
    method: &str,
) -> Result<(), ApiError> {
    if let Value::Object(map) = params {
        if let Some(key) = map.keys().find(|k| !known(k)) {
            return Err(ApiError::new(
                404,
                32614,
                format!("The sandbox does not implement the parameter '{key}' of {method}."),
            ));
        }
    }
    Ok(())
}

/// Bug fields a `PUT` may change directly, with Bugzilla's display names
/// (used in the "you tried to change" error). The order is the order in
/// which changes are listed in history.
const EDITABLE_FIELDS: [(&str, &str); 12] = [
    ("status", "Status"),
    ("resolution", "Resolution"),
    ("whiteboard", "Whiteboard"),
    ("assigned_to", "Assignee"),
    ("qa_contact", "QA Contact"),
    ("summary", "Summary"),
    ("priority", "Priority"),
    ("severity", "Severity"),
    ("version", "Version"),
    ("target_milestone", "Target Milestone"),
    ("url", "URL"),
    ("component", "Component"),
];

impl Model {
    /// Builds the live model from a data file, checking that every user,
    /// group, product and component it names exists.
    pub fn from_data(data: SandboxData, now: DateTime<Utc>) -> Result<Self, SandboxError> {
        let invalid = |what: String| SandboxError::InvalidData { reason: what };
        let groups: Vec<Group> = data
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| Group {
                id: g.id.unwrap_or(i as u64 + 1),
                name: g.name.clone(),
                description: g.description.clone(),
            })
            .collect();
        let mut users = Vec::new();
        for (i, u) in data.users.iter().enumerate() {
            for group in &u.groups {
                if !groups.iter().any(|g| &g.name == group) {
                    return Err(invalid(format!(
                        "user {} is in group '{group}', which is not in [[groups]]",
                        u.login
                    )));
                }
            }
            users.push(User {
                id: u.id.unwrap_or(i as u64 + 1),
                login: u.login.clone(),
                real_name: u.real_name.clone(),
                api_key: u.api_key.clone(),
                password: u.password.clone(),
                groups: u.groups.clone(),
                admin: u.admin,
            });
        }
        let mut products = Vec::new();
        let mut next_component = 1;
        let mut next_named = 1;
        for (i, p) in data.products.iter().enumerate() {
            let mut named = |list: &[super::data::NamedData], default: &str| -> Vec<Named> {
                let mut out: Vec<Named> = list
                    .iter()
                    .map(|n| {
                        let id = n.id.unwrap_or(next_named);
                        next_named = id + 1;
                        Named {
                            id,
                            name: n.name.clone(),
                            sort_key: n.sort_key,
                        }
                    })
                    .collect();
                if out.is_empty() {
                    out.push(Named {
                        id: next_named,
                        name: default.to_owned(),
                        sort_key: 0,
                    });
                    next_named += 1;
                }
                out
            };
            let versions = named(&p.versions, "unspecified");
            let milestones = named(&p.milestones, "---");
            let mut components = Vec::new();
            for c in &p.components {
                for login in std::iter::once(&c.default_assignee).chain(&c.default_qa_contact) {
                    if !users.iter().any(|u| &u.login == login) {
                        return Err(invalid(format!(
                            "component {}/{} names user {login}, who is not in [[users]]",
                            p.name, c.name
                        )));
                    }
                }
                let id = c.id.unwrap_or(next_component);
                next_component = id + 1;
                components.push(Component {
                    id,
                    name: c.name.clone(),
                    description: c.description.clone(),
                    default_assignee: c.default_assignee.clone(),
                    default_qa_contact: c.default_qa_contact.clone().unwrap_or_default(),
                });
            }
            products.push(Product {
                id: p.id.unwrap_or(i as u64 + 1),
                name: p.name.clone(),
                description: p.description.clone(),
                versions,
                milestones,
                components,
            });
        }
        let flag_types = data
            .flag_types
            .iter()
            .enumerate()
            .map(|(i, f)| FlagType {
                id: f.id.unwrap_or(i as u64 + 1),
                name: f.name.clone(),
                description: f.description.clone(),
                sort_key: f.sort_key,
                multiplicable: f.multiplicable,
                requesteeble: f.requesteeble,
                products: f.products.clone(),
            })
            .collect();
        if let Some(group) = &data.instance.insider_group {
            if !groups.iter().any(|g| &g.name == group) {
                return Err(invalid(format!(
                    "[instance] insider_group is '{group}', which is not in [[groups]]"
                )));
            }
        }
        let mut model = Model {
            version: data.instance.version.clone(),
            editbugs_group: data.instance.editbugs_group.clone(),
            insider_group: data.instance.insider_group.clone(),
            groups,
            users,
            products,
            flag_types,
            bugs: BTreeMap::new(),
            tokens: BTreeMap::new(),
            next_bug_id: 1,
            next_comment_id: 1,
            next_flag_id: 1,
        };
        for bug in &data.bugs {
            model
                .seed_bug(bug, now)
                .map_err(|err| invalid(format!("bug '{}': {}", bug.summary, err.message)))?;
        }
        Ok(model)
    }

    fn seed_bug(&mut self, data: &BugData, now: DateTime<Utc>) -> Result<(), ApiError> {
        let created = data.creation_time.unwrap_or(now);
        let creator = self
            .user(&data.creator)
            .cloned()
            .ok_or_else(|| ApiError::no_such_user(&data.creator))?;
        let mut params = serde_json::json!({
            "product": data.product,
            "component": data.component,
            "summary": data.summary,
            "description": data.description,
            "whiteboard": data.whiteboard,
            "keywords": data.keywords,
            "cc": data.cc,
            "groups": data.groups,
            "flags": data.flags.iter().map(|f| serde_json::json!({
                "name": f.name, "status": f.status, "requestee": f.requestee,
            })).collect::<Vec<_>>(),
        });
        let optional = [
            ("assigned_to", &data.assigned_to),
            ("qa_contact", &data.qa_contact),
            ("priority", &data.priority),
            ("severity", &data.severity),
            ("target_milestone", &data.target_milestone),
            ("version", &data.version),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                params[key] = Value::String(value.clone());
            }
        }
        if let Some(id) = data.id {
            if self.bugs.contains_key(&id) {
                return Err(ApiError::new(400, 0, format!("bug id {id} is used twice")));
            }
            self.next_bug_id = id;
        }
        let id = self.create_bug(&creator, &params, created)?;
        // A data file may start a bug in any status: set it as it is.
        if let Some(bug) = self.bugs.get_mut(&id) {
            if let Some(status) = &data.status {
                check_status(status)?;
                bug.everconfirmed |= status != "UNCONFIRMED";
                bug.status = status.clone();
            }
            let resolution = data.resolution.clone().unwrap_or_default();
            if bug.is_open() && !resolution.is_empty() {
                return Err(ApiError::new(
                    400,
                    122,
                    format!("an open bug ({}) cannot have a resolution", bug.status),
                ));
            }
            if !bug.is_open() {
                check_resolution(&bug.status, &resolution)?;
            }
            bug.resolution = resolution;
        }
        for comment in &data.comments {
            let author = self
                .user(&comment.creator)
                .cloned()
                .ok_or_else(|| ApiError::no_such_user(&comment.creator))?;
            self.push_comment(
                &author,
                id,
                &comment.text,
                comment.is_private,
                comment.time.unwrap_or(created),
            )?;
        }
        self.next_bug_id = self.bugs.keys().max().map_or(1, |max| max + 1);
        Ok(())
    }

    /// The user with this login.
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.iter().find(|u| u.login == login)
    }

    /// The user this API key belongs to.
    pub fn user_by_key(&self, key: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.api_key.as_deref() == Some(key))
    }

    /// Whether the user may edit every field and confirm bugs.
    pub fn can_edit_all(&self, user: &User) -> bool {
        user.admin || user.in_group(&self.editbugs_group)
    }

    /// Bugzilla's visibility rule: a bug in groups is visible to members of
    /// all of them, and to its reporter and CC list.
    pub fn can_see(&self, caller: Option<&User>, bug: &Bug) -> bool {
        if bug.groups.is_empty() {
            return true;
        }
        let Some(user) = caller else {
            return false;
        };
        bug.groups.iter().all(|g| user.in_group(g))
            || bug.creator == user.login
            || bug.cc.contains(&user.login)
    }

    /// Whether `caller` may read this (possibly private) comment.
    /// Not even its author: a bot outside the group does not see its own
    /// private replies (recording 162).
    pub fn can_see_comment(&self, caller: Option<&User>, comment: &Comment) -> bool {
        !comment.is_private || caller.is_some_and(|user| self.is_insider(user))
    }

    /// Parses a bug id from a URL segment (`notanumber` → 400/100).
    pub fn parse_bug_id(text: &str) -> Result<u64, ApiError> {
        text.trim().parse::<u64>().map_err(|_| {
            ApiError::new(
                400,
                100,
                format!("'{text}' is not a valid bug number nor an alias to a bug."),
            )
        })
    }

    /// The bug, if it exists and `caller` may see it (404/101, 401/102).
    pub fn visible_bug(&self, caller: Option<&User>, id: u64) -> Result<&Bug, ApiError> {
        let bug = self
            .bugs
            .get(&id)
            .ok_or_else(|| ApiError::new(404, 101, format!("Bug #{id} does not exist.")))?;
        if self.can_see(caller, bug) {
            return Ok(bug);
        }
        let mut message = format!("You are not authorized to access bug #{id}.");
        if caller.is_none() {
            message.push_str(
                " To see this bug, you must first log in to an account with the appropriate permissions.",
            );
        }
        Err(ApiError::new(401, 102, message))
    }

    /// Creates a bug from `POST /rest/bug` parameters; returns its id.
    pub fn create_bug(
        &mut self,
        caller: &User,
        params: &Value,
        now: DateTime<Utc>,
    ) -> Result<u64, ApiError> {
        refuse_unknown_keys(params, &|k| CREATE_KEYS.contains(&k), "Bug.create")?;
        let text = |key: &str| params.get(key).and_then(Value::as_str).map(str::to_owned);
        let product_name = text("product").ok_or_else(|| ApiError::missing_argument("product"))?;
        let product = self
            .products
            .iter()
            .find(|p| p.name == product_name)
            .cloned()
            .ok_or_else(|| {
                // Worded like recording 135 (an unknown product's flag types).
                ApiError::new(
                    401,
                    106,
                    format!(
                        "Either the product '{product_name}' does not exist or you don't have access to it."
                    ),
                )
            })?;
        let component_name = text("component").unwrap_or_default();
        let component = product
            .components
            .iter()
            .find(|c| c.name == component_name)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    51,
                    format!(
                        "There is no component named '{component_name}' in the '{product_name}' product."
                    ),
                )
            })?;
        let summary = text("summary").unwrap_or_default();
        if summary.trim().is_empty() {
            return Err(ApiError::new(
                400,
                107,
                "You must enter a summary for this bug.",
            ));
        }
        let assigned_to = text("assigned_to").unwrap_or(component.default_assignee.clone());
        let qa_contact = text("qa_contact").unwrap_or(component.default_qa_contact.clone());
        for login in [&assigned_to, &qa_contact] {
            if !login.is_empty() && self.user(login).is_none() {
                return Err(ApiError::no_such_user(login));
            }
        }
        let default_status = if self.can_edit_all(caller) {
            "CONFIRMED"
        } else {
            "UNCONFIRMED"
        };
        let status = text("status").unwrap_or_else(|| default_status.to_owned());
        check_status(&status)?;
        let may_choose = self.can_edit_all(caller) || status == "UNCONFIRMED";
        if !may_choose || !workflow::workflow_allows(None, &status) {
            return Err(ApiError::new(
                400,
                123,
                format!("You are not allowed to file new bugs with the {status} status."),
            ));
        }
        if text("resolution").is_some_and(|r| !r.is_empty()) {
            return Err(ApiError::new(
                400,
                122,
                format!("A bug with the status {status} cannot have a resolution."),
            ));
        }
        let description = text("description").unwrap_or_default();
        let is_private = params
            .get("comment_is_private")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.check_comment(caller, &description, is_private)?;
        let list = |key: &str| -> Vec<String> {
            match params.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            }
        };
        let groups = list("groups");
        for group in &groups {
            if !self.groups.iter().any(|g| &g.name == group) {
                return Err(ApiError::new(
                    400,
                    804,
                    format!("The group you specified, {group}, is not valid here."),
                ));
            }
        }
        let mut cc = list("cc");
        sort_logins(&mut cc);
        for login in &cc {
            if self.user(login).is_none() {
                return Err(ApiError::no_such_user(login));
            }
        }
        let id = self.next_bug_id;
        let mut bug = Bug {
            id,
            product: product.name.clone(),
            component: component.name.clone(),
            summary,
            everconfirmed: status != "UNCONFIRMED",
            status,
            resolution: String::new(),
            assigned_to,
            qa_contact,
            creator: caller.login.clone(),
            whiteboard: text("whiteboard").unwrap_or_default(),
            keywords: list("keywords"),
            cc,
            groups,
            priority: text("priority").unwrap_or_else(|| "---".to_owned()),
            severity: text("severity").unwrap_or_else(|| "normal".to_owned()),
            version: text("version")
                .or_else(|| product.versions.first().map(|v| v.name.clone()))
                .unwrap_or_default(),
            op_sys: text("op_sys").unwrap_or_else(|| "All".to_owned()),
            platform: text("platform").unwrap_or_else(|| "All".to_owned()),
            url: text("url").unwrap_or_default(),
            target_milestone: text("target_milestone")
                .or_else(|| product.milestones.first().map(|m| m.name.clone()))
                .unwrap_or_default(),
            creation_time: now,
            last_change_time: now,
            comments: Vec::new(),
            flags: Vec::new(),
            history: Vec::new(),
        };
        for (field, value) in [
            ("priority", &bug.priority),
            ("severity", &bug.severity),
            ("version", &bug.version),
            ("op_sys", &bug.op_sys),
            ("platform", &bug.platform),
            ("target_milestone", &bug.target_milestone),
        ] {
            check_choice(&product, field, value)?;
        }
        let cc_before = bug.cc.clone();
        let mut next_flag = self.next_flag_id;
        let flags = self.apply_flags(&mut bug, caller, params, now, &mut next_flag)?;
        bug.comments.push(Comment {
            id: self.next_comment_id,
            bug_id: id,
            count: 0,
            creator: caller.login.clone(),
            time: now,
            text: description,
            is_private,
        });
        // Bugzilla logs a new bug's flags first, then the CC entries their
        // requestees caused (recording 41, first entry).
        let mut changes = Vec::new();
        changes.extend(flags.change);
        changes.extend(cc_change(&cc_before, &bug.cc));
        sort_logins(&mut bug.cc);
        history::record(&mut bug.history, &caller.login, now, changes);
        self.next_comment_id += 1;
        self.next_flag_id = next_flag;
        self.next_bug_id = id + 1;
        self.bugs.insert(id, bug);
        Ok(id)
    }

    /// Adds a comment (`POST /rest/bug/ID/comment`); returns its id.
    pub fn add_comment(
        &mut self,
        caller: &User,
        bug_id: u64,
        text: &str,
        is_private: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, ApiError> {
        self.visible_bug(Some(caller), bug_id)?;
        if text.trim().is_empty() {
            return Err(ApiError::missing_argument("comment"));
        }
        self.check_comment(caller, text, is_private)?;
        self.push_comment(caller, bug_id, text, is_private, now)
    }

    /// Appends a comment without the checks of [`Model::add_comment`]: for
    /// data files, which describe what is there, not who may add it.
    fn push_comment(
        &mut self,
        caller: &User,
        bug_id: u64,
        text: &str,
        is_private: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, ApiError> {
        let id = self.next_comment_id;
        let bug = self
            .bugs
            .get_mut(&bug_id)
            .ok_or_else(|| ApiError::new(404, 101, format!("Bug #{bug_id} does not exist.")))?;
        bug.comments.push(Comment {
            id,
            bug_id,
            count: bug.comments.len() as u64,
            creator: caller.login.clone(),
            time: now,
            text: text.to_owned(),
            is_private,
        });
        bug.last_change_time = now;
        self.next_comment_id += 1;
        Ok(id)
    }

    /// Applies a `PUT /rest/bug/ID` body. All or nothing: on error the bug
    /// is unchanged.
    pub fn update_bug(
        &mut self,
        caller: &User,
        bug_id: u64,
        params: &Value,
        now: DateTime<Utc>,
    ) -> Result<UpdateOutcome, ApiError> {
        let original = self.visible_bug(Some(caller), bug_id)?.clone();
        let mut bug = original.clone();
        let known = |k: &str| {
            UPDATE_EXTRA_KEYS.contains(&k) || EDITABLE_FIELDS.iter().any(|(f, _)| *f == k)
        };
        refuse_unknown_keys(params, &known, "Bug.update")?;
        let comment = self.update_comment(caller, params)?;
        let mut wanted: Vec<(&str, &str, String)> = EDITABLE_FIELDS
            .iter()
            .filter(|(key, _)| *key != "status" && *key != "resolution")
            .filter_map(|(key, display)| {
                params
                    .get(*key)
                    .and_then(Value::as_str)
                    .map(|v| (*key, *display, v.to_owned()))
            })
            .collect();
        if params.get("reset_assigned_to").and_then(Value::as_bool) == Some(true) {
            let default = self
                .component_of(&bug)
                .map(|c| c.default_assignee.clone())
                .unwrap_or_default();
            wanted.push(("assigned_to", "Assignee", default));
        }
        // Status and resolution first, as Bugzilla checks the transition
        // before any field permission (recording 131).
        let (status, resolution) = self.status_and_resolution(caller, &bug, params)?;
        wanted.insert(0, ("resolution", "Resolution", resolution));
        wanted.insert(0, ("status", "Status", status));
        let mut field_changes = Vec::new();
        for (key, display, new) in wanted {
            let slot = match key {
                "status" => &mut bug.status,
                "resolution" => &mut bug.resolution,
                "whiteboard" => &mut bug.whiteboard,
                "assigned_to" => &mut bug.assigned_to,
                "qa_contact" => &mut bug.qa_contact,
                "summary" => &mut bug.summary,
                "priority" => &mut bug.priority,
                "severity" => &mut bug.severity,
                "version" => &mut bug.version,
                "target_milestone" => &mut bug.target_milestone,
                "url" => &mut bug.url,
                _ => &mut bug.component,
            };
            if *slot == new {
                continue;
            }
            if key != "status" {
                self.may_change_field(caller, &original, key)
                    .map_err(|needs| workflow::illegal_change(display, slot, &new, needs))?;
            }
            if let Some(product) = self.products.iter().find(|p| p.name == original.product) {
                check_choice(product, key, &new)?;
            }
            match key {
                "assigned_to" if new.is_empty() => {
                    return Err(ApiError::new(
                        400,
                        50,
                        "A bug cannot be assigned to nobody: name an assignee.",
                    ));
                }
                "assigned_to" | "qa_contact" if !new.is_empty() && self.user(&new).is_none() => {
                    return Err(ApiError::no_such_user(&new));
                }
                _ => {}
            }
            field_changes.push(Change {
                field_name: key.to_owned(),
                removed: std::mem::replace(slot, new.clone()),
                added: new,
            });
        }
        if let Some(keywords) = params.get("keywords") {
            let before = bug.keywords.join(", ");
            apply_list_edit(&mut bug.keywords, keywords);
            let after = bug.keywords.join(", ");
            if before != after {
                self.may_change_field(caller, &original, "keywords")
                    .map_err(|needs| {
                        workflow::illegal_change("Keywords", &before, &after, needs)
                    })?;
                field_changes.push(Change {
                    field_name: "keywords".to_owned(),
                    removed: before,
                    added: after,
                });
            }
        }
        if let Some(cc) = params.get("cc") {
            apply_list_edit(&mut bug.cc, cc);
            for login in &bug.cc {
                if self.user(login).is_none() {
                    return Err(ApiError::no_such_user(login));
                }
            }
        }
        let mut next_flag = self.next_flag_id;
        let flags = self.apply_flags(&mut bug, caller, params, now, &mut next_flag)?;
        // Bugzilla lists activity rows in the order it wrote them, which
        // follows Perl's hash order and so varies; fields, then CC, then
        // flags agrees with every recording (41, 125, 153).
        let mut changes = field_changes;
        changes.extend(cc_change(&original.cc, &bug.cc));
        changes.extend(flags.change);
        if changes.is_empty() && comment.is_none() {
            return Ok(UpdateOutcome {
                bug_id,
                last_change_time: bug.last_change_time,
                changes,
            });
        }
        if let Some((body, is_private)) = comment {
            bug.comments.push(Comment {
                id: self.next_comment_id,
                bug_id,
                count: bug.comments.len() as u64,
                creator: caller.login.clone(),
                time: now,
                text: body,
                is_private,
            });
            self.next_comment_id += 1;
        }
        sort_logins(&mut bug.cc);
        history::record(&mut bug.history, &caller.login, now, changes.clone());
        bug.everconfirmed |= bug.status != "UNCONFIRMED";
        bug.last_change_time = now;
        self.next_flag_id = next_flag;
        self.bugs.insert(bug_id, bug);
        Ok(UpdateOutcome {
            bug_id,
            last_change_time: now,
            changes,
        })
    }

    /// The `comment` of an update: its text and privacy, or None when there
    /// is none or it is empty.
    fn update_comment(
        &self,
        caller: &User,
        params: &Value,
    ) -> Result<Option<(String, bool)>, ApiError> {
        let Some(comment) = params.get("comment") else {
            return Ok(None);
        };
        // 5.2 reads `comment` as a hash with a `body` string; anything else
        // would be silently a change without its comment here (guesses, 1).
        let body_is_text = comment
            .get("body")
            .is_none_or(|body| body.is_string() || body.is_null());
        if !comment.is_object() || !body_is_text {
            return Err(ApiError::new(
                404,
                32614,
                "The sandbox does not implement a 'comment' of Bug.update other than an object with a 'body' string.",
            ));
        }
        refuse_unknown_keys(
            comment,
            &|k| COMMENT_KEYS.contains(&k),
            "Bug.update's comment",
        )?;
        let body = comment.get("body").and_then(Value::as_str).unwrap_or("");
        let is_private = comment
            .get("is_private")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.check_comment(caller, body, is_private)?;
        Ok((!body.trim().is_empty()).then(|| (body.to_owned(), is_private)))
    }

    /// What every new comment must pass: at most 65,535 characters
    /// (400/114, recording 155) and privacy only for the insider group
    /// (401/113, recordings 149 and 160).
    fn check_comment(&self, caller: &User, text: &str, is_private: bool) -> Result<(), ApiError> {
        if text.chars().count() > MAX_COMMENT_LENGTH {
            return Err(ApiError::new(
                400,
                114,
                format!("Comments cannot be longer than {MAX_COMMENT_LENGTH} characters."),
            ));
        }
        if is_private && !self.is_insider(caller) {
            return Err(ApiError::new(
                401,
                113,
                "Sorry, but you are not allowed to (un)mark comments or attachments as private.",
            ));
        }
        Ok(())
    }

    /// Whether `user` is in the insider group (none set: nobody is).
    pub fn is_insider(&self, user: &User) -> bool {
        self.insider_group
            .as_deref()
            .is_some_and(|group| user.in_group(group))
    }

    /// The status and resolution an update asks for, checked: the status
    /// must follow the workflow and the caller may make that change
    /// (400/123); a closed bug needs a valid resolution and an open one has
    /// none.
    fn status_and_resolution(
        &self,
        caller: &User,
        bug: &Bug,
        params: &Value,
    ) -> Result<(String, String), ApiError> {
        let text = |key: &str| params.get(key).and_then(Value::as_str);
        let status = text("status").unwrap_or(&bug.status).to_owned();
        if status != bug.status {
            check_status(&status)?;
            if !self.may_change_status(caller, bug, &status) {
                return Err(workflow::illegal_transition(&bug.status, &status));
            }
        }
        let asked = text("resolution");
        if OPEN_STATUSES.contains(&status.as_str()) {
            if asked.is_some_and(|r| !r.is_empty()) {
                return Err(ApiError::new(
                    400,
                    122,
                    format!("A bug with the status {status} cannot have a resolution."),
                ));
            }
            return Ok((status, String::new()));
        }
        let resolution = asked.unwrap_or(&bug.resolution).to_owned();
        check_resolution(&status, &resolution)?;
        Ok((status, resolution))
    }

    fn component_of(&self, bug: &Bug) -> Option<&Component> {
        self.products
            .iter()
            .find(|p| p.name == bug.product)
            .and_then(|p| p.components.iter().find(|c| c.name == bug.component))
    }

    /// Checks a login/password pair and hands out a login token.
    pub fn login(&mut self, login: &str, password: &str) -> Result<(u64, String), ApiError> {
        let user = self
            .users
            .iter()
            .find(|u| u.login == login && u.password.as_deref() == Some(password))
            .ok_or_else(|| {
                ApiError::new(
                    401,
                    300,
                    "The username or password you entered is not valid.",
                )
            })?;
        let token = format!("{}-sandbox{}", user.id, self.tokens.len() + 1);
        let id = user.id;
        self.tokens.insert(token.clone(), login.to_owned());
        Ok((id, token))
    }
}

/// The `cc` change between two CC lists, names sorted like Bugzilla's.
fn cc_change(before: &[String], after: &[String]) -> Option<Change> {
    let mut added: Vec<String> = after
        .iter()
        .filter(|l| !before.contains(l))
        .cloned()
        .collect();
    let mut removed: Vec<String> = before
        .iter()
        .filter(|l| !after.contains(l))
        .cloned()
        .collect();
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    sort_logins(&mut added);
    sort_logins(&mut removed);
    Some(Change {
        field_name: "cc".to_owned(),
        removed: removed.join(", "),
        added: added.join(", "),
    })
}

/// Bugzilla lists users (CC) by login.
fn sort_logins(logins: &mut [String]) {
    logins.sort();
}

/// A closed bug needs one of the stock resolutions (`DUPLICATE` needs a
/// duplicate-of bug, which the sandbox does not model).
fn check_resolution(status: &str, resolution: &str) -> Result<(), ApiError> {
    if resolution.is_empty() {
        return Err(ApiError::new(
            400,
            121,
            format!("A valid resolution is required to mark bugs as {status}."),
        ));
    }
    if resolution == "DUPLICATE" {
        return Err(ApiError::new(
            404,
            32614,
            "The sandbox does not implement duplicates (resolution DUPLICATE).",
        ));
    }
    if !workflow::RESOLUTIONS.contains(&resolution) {
        return Err(ApiError::new(
            404,
            51,
            format!("There is no resolution named '{resolution}'."),
        ));
    }
    Ok(())
}

/// Stock 5.2 values of the select fields that are not per product.
const CHOICES: [(&str, &str, &[&str]); 4] = [
    (
        "priority",
        "Priority",
        &["Highest", "High", "Normal", "Low", "Lowest", "---"],
    ),
    (
        "severity",
        "Severity",
        &[
            "blocker",
            "critical",
            "major",
            "normal",
            "minor",
            "trivial",
            "enhancement",
        ],
    ),
    (
        "op_sys",
        "OS",
        &["All", "Windows", "Mac OS", "Linux", "Other"],
    ),
    ("platform", "Hardware", &["All", "PC", "Macintosh", "Other"]),
];

/// A select field's value must be one of its values: the stock lists
/// above, or the product's components, versions and milestones (an unknown
/// component is recording 82; the rest are guesses).
fn check_choice(product: &Product, field: &str, value: &str) -> Result<(), ApiError> {
    let in_product = |kind: &str, names: Vec<&str>| {
        if names.contains(&value) {
            Ok(())
        } else {
            Err(ApiError::new(
                404,
                51,
                format!(
                    "There is no {kind} named '{value}' in the '{}' product.",
                    product.name
                ),
            ))
        }
    };
    match field {
        "component" => in_product(
            "component",
            product.components.iter().map(|c| c.name.as_str()).collect(),
        ),
        "version" => in_product(
            "version",
            product.versions.iter().map(|v| v.name.as_str()).collect(),
        ),
        "target_milestone" => in_product(
            "milestone",
            product.milestones.iter().map(|m| m.name.as_str()).collect(),
        ),
        _ => match CHOICES.iter().find(|(name, _, _)| *name == field) {
            Some((_, display, values)) if !values.contains(&value) => Err(ApiError::new(
                404,
                51,
                format!("There is no {display} named '{value}'."),
            )),
            _ => Ok(()),
        },
    }
}

fn check_status(status: &str) -> Result<(), ApiError> {
    if OPEN_STATUSES.contains(&status) || CLOSED_STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(ApiError::new(
            404,
            51,
            format!("There is no status named '{status}'."),
        ))
    }
}

/// Applies Bugzilla's `{"add": [...], "remove": [...], "set": [...]}` list
/// edit (or a plain array, meaning `set`).
fn apply_list_edit(list: &mut Vec<String>, edit: &Value) {
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    if edit.is_array() {
        *list = strings(Some(edit));
        return;
    }
    if edit.get("set").is_some() {
        *list = strings(edit.get("set"));
    }
    for item in strings(edit.get("add")) {
        if !list.contains(&item) {
            list.push(item);
        }
    }
    let remove = strings(edit.get("remove"));
    list.retain(|item| !remove.contains(item));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0)
            .single()
            .unwrap()
    }

    const BASE: &str = r#"
        [[groups]]
        name = "editbugs"
        [[users]]
        login = "lead@example.test"
        groups = ["editbugs"]
        [[users]]
        login = "nobody@example.test"
        [[users]]
        login = "outsider@example.test"
        [[products]]
        name = "Websites"
        [[products.components]]
        name = "Push"
        default_assignee = "nobody@example.test"
        [[flag_types]]
        name = "qa-signoff"
    "#;

    fn model(extra: &str) -> Result<Model, SandboxError> {
        let data = SandboxData::from_toml_str(&format!("{BASE}{extra}"))?;
        Model::from_data(data, now())
    }

    /// The base data with bug 1, "Push AMO", filed by the lead.
    fn one_bug() -> Model {
        model(
            r#"
            [[bugs]]
            product = "Websites"
            component = "Push"
            summary = "Push AMO"
            creator = "lead@example.test"
        "#,
        )
        .unwrap()
    }

    #[test]
    fn a_bug_in_an_unknown_component_is_refused_with_its_summary() {
        let err = model(
            r#"
            [[bugs]]
            product = "Websites"
            component = "Nope"
            summary = "Push AMO"
            creator = "lead@example.test"
        "#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Push AMO") && text.contains("Nope"), "{text}");
    }

    #[test]
    fn unknown_keys_in_the_data_file_are_refused() {
        let err =
            SandboxData::from_toml_str("[[users]]\nlogin = \"a\"\napikey = \"k\"\n").unwrap_err();
        assert!(err.to_string().contains("apikey"), "{err}");
    }

    #[test]
    fn people_without_editbugs_may_not_change_others_bugs_but_may_comment() {
        let mut m = one_bug();
        let outsider = m.user("outsider@example.test").cloned().unwrap();
        let err = m
            .update_bug(&outsider, 1, &serde_json::json!({"summary": "x"}), now())
            .unwrap_err();
        assert_eq!((err.status, err.code), (401, 115));
        let id = m.add_comment(&outsider, 1, "when?", false, now()).unwrap();
        assert_eq!(m.bugs[&1].comments.last().map(|c| c.id), Some(id));
        assert_eq!(m.bugs[&1].comments.last().map(|c| c.count), Some(1));
    }

    #[test]
    fn private_comments_are_for_the_insider_group_only() {
        let mut m = one_bug();
        let outsider = m.user("outsider@example.test").cloned().unwrap();
        let lead = m.user("lead@example.test").cloned().unwrap();
        // With no insider group nobody may mark a comment private (149).
        let err = m.add_comment(&lead, 1, "secret", true, now()).unwrap_err();
        assert_eq!((err.status, err.code), (401, 113));
        m.insider_group = Some("editbugs".to_owned());
        let err = m
            .add_comment(&outsider, 1, "my secret", true, now())
            .unwrap_err();
        assert_eq!((err.status, err.code), (401, 113));
        m.add_comment(&lead, 1, "secret", true, now()).unwrap();
        let comment = m.bugs[&1].comments[1].clone();
        assert!(m.can_see_comment(Some(&lead), &comment));
        assert!(!m.can_see_comment(Some(&outsider), &comment));
        assert!(!m.can_see_comment(None, &comment));
        // The author who leaves the group loses sight of it too (162).
        m.insider_group = Some("admin".to_owned());
        assert!(!m.can_see_comment(Some(&lead), &comment));
    }

    #[test]
    fn an_update_takes_its_comment_as_an_object_only() {
        let mut m = one_bug();
        let lead = m.user("lead@example.test").cloned().unwrap();
        for body in [
            serde_json::json!({ "comment": "flat text" }),
            serde_json::json!({ "comment": { "body": 5 } }),
            serde_json::json!({ "comment": { "body": "x", "text": "y" } }),
        ] {
            let err = m.update_bug(&lead, 1, &body, now()).unwrap_err();
            assert_eq!((err.status, err.code), (404, 32614), "{body}");
        }
        let before = m.bugs[&1].comments.len();
        let out = m
            .update_bug(
                &lead,
                1,
                &serde_json::json!({ "comment": { "body": "one\n\n[pushbot a b]\n\ntwo\n\n[pushbot c d]" } }),
                now(),
            )
            .unwrap();
        assert!(out.changes.is_empty(), "a comment alone changes no field");
        assert_eq!(m.bugs[&1].comments.len(), before + 1);
    }

    #[test]
    fn a_comment_may_have_65535_characters_but_not_more() {
        let mut m = one_bug();
        let lead = m.user("lead@example.test").cloned().unwrap();
        let longest = "y".repeat(MAX_COMMENT_LENGTH);
        m.add_comment(&lead, 1, &longest, false, now()).unwrap();
        let err = m
            .update_bug(
                &lead,
                1,
                &serde_json::json!({ "comment": { "body": format!("{longest}x") } }),
                now(),
            )
            .unwrap_err();
        assert_eq!((err.status, err.code), (400, 114));
    }

    #[test]
    fn status_changes_follow_the_workflow_and_the_callers_rights() {
        let mut m = one_bug();
        let lead = m.user("lead@example.test").cloned().unwrap();
        let outsider = m.user("outsider@example.test").cloned().unwrap();
        let close = serde_json::json!({ "status": "RESOLVED" });
        let err = m.update_bug(&lead, 1, &close, now()).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (400, 121),
            "closing needs a resolution"
        );
        let fixed = serde_json::json!({ "status": "RESOLVED", "resolution": "FIXED" });
        m.update_bug(&lead, 1, &fixed, now()).unwrap();
        let reopen = serde_json::json!({ "status": "CONFIRMED", "resolution": "" });
        let err = m.update_bug(&outsider, 1, &reopen, now()).unwrap_err();
        assert_eq!((err.status, err.code), (400, 123));
        let skip = serde_json::json!({ "status": "IN_PROGRESS" });
        let err = m.update_bug(&lead, 1, &skip, now()).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (400, 123),
            "RESOLVED cannot go to IN_PROGRESS"
        );
        let outcome = m.update_bug(&lead, 1, &reopen, now()).unwrap();
        let fields: Vec<&str> = outcome
            .changes
            .iter()
            .map(|c| c.field_name.as_str())
            .collect();
        assert_eq!(fields, ["status", "resolution"]);
        assert_eq!(m.bugs[&1].resolution, "");
    }

    #[test]
    fn the_reporter_may_not_reassign() {
        let mut m = model(
            r#"
            [[bugs]]
            product = "Websites"
            component = "Push"
            summary = "Push AMO"
            creator = "outsider@example.test"
        "#,
        )
        .unwrap();
        let outsider = m.user("outsider@example.test").cloned().unwrap();
        let summary = serde_json::json!({ "summary": "Push AMO today" });
        m.update_bug(&outsider, 1, &summary, now()).unwrap();
        let reassign = serde_json::json!({ "assigned_to": "lead@example.test" });
        let err = m.update_bug(&outsider, 1, &reassign, now()).unwrap_err();
        assert_eq!((err.status, err.code), (401, 115));
        assert!(
            err.message
                .contains("only a user with the required permissions"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_update_changes_nothing() {
        let mut m = one_bug();
        let lead = m.user("lead@example.test").cloned().unwrap();
        let before = m.bugs[&1].clone();
        let err = m
            .update_bug(
                &lead,
                1,
                &serde_json::json!({
                    "whiteboard": "[push:amo]",
                    "flags": [{"name": "qa-signoff", "status": "?", "requestee": "ghost@example.test"}],
                }),
                now(),
            )
            .unwrap_err();
        assert_eq!((err.status, err.code), (404, 51));
        assert_eq!(m.bugs[&1], before);
    }
}
