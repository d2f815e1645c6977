//! The sandbox's data file: users, groups, products, flag types and bugs to
//! start with, read from TOML or JSON.
//!
//! This module only describes and parses the file; turning it into the live
//! model (and checking that every name it refers to exists) is
//! [`super::model::Model::from_data`]'s job. Unknown keys are refused so a
//! typo in a data file is reported instead of silently ignored.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SandboxError;
use crate::bugzilla::FlagStatus;

/// Everything a sandbox starts with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxData {
    /// Instance-wide settings.
    #[serde(default)]
    pub instance: InstanceData,
    /// Groups (for bug visibility and `GET /rest/user?groups=`).
    #[serde(default)]
    pub groups: Vec<GroupData>,
    /// Accounts; ids are given out in file order unless set.
    #[serde(default)]
    pub users: Vec<UserData>,
    /// Products and their components.
    #[serde(default)]
    pub products: Vec<ProductData>,
    /// Bug flag types (`webdev-signoff`, `needinfo`, …).
    #[serde(default)]
    pub flag_types: Vec<FlagTypeData>,
    /// Bugs, created in file order as their creators at their creation time.
    #[serde(default)]
    pub bugs: Vec<BugData>,
}

/// Instance-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceData {
    /// What `GET /rest/version` answers. Default `"5.2"`.
    #[serde(default = "default_version")]
    pub version: String,
    /// Members of this group see the time-tracking fields (`actual_time`,
    /// `deadline`, …) and may edit any bug field. Default `"editbugs"`, as
    /// in a stock install.
    #[serde(default = "default_editbugs")]
    pub editbugs_group: String,
    /// Members of this group may mark comments private and see them;
    /// without it nobody may (as in a stock install), and the private
    /// comments of a data file are seen by nobody. Default: none.
    #[serde(default)]
    pub insider_group: Option<String>,
}

impl Default for InstanceData {
    fn default() -> Self {
        Self {
            version: default_version(),
            editbugs_group: default_editbugs(),
            insider_group: None,
        }
    }
}

fn default_version() -> String {
    "5.2".to_owned()
}

fn default_editbugs() -> String {
    "editbugs".to_owned()
}

/// A group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupData {
    /// Numeric id as Bugzilla reports it; default: position in the file.
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// An account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserData {
    /// Numeric id; default: position in the file (1-based).
    #[serde(default)]
    pub id: Option<u64>,
    /// The login (an e-mail address).
    pub login: String,
    #[serde(default)]
    pub real_name: String,
    /// The API key that authenticates as this user; none = cannot use the API
    /// with a key.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Password for `GET /rest/login`; none = cannot log in that way.
    #[serde(default)]
    pub password: Option<String>,
    /// Group names the user is a member of.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Administrators see every user's groups and the admin-only user fields.
    #[serde(default)]
    pub admin: bool,
}

/// A product.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductData {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Versions; the first is the default for new bugs. Default: `unspecified`.
    #[serde(default)]
    pub versions: Vec<NamedData>,
    /// Milestones; default `---`.
    #[serde(default)]
    pub milestones: Vec<NamedData>,
    pub components: Vec<ComponentData>,
}

/// A version or milestone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedData {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    /// Display order (`GET /rest/product` shows it). Default 0.
    #[serde(default)]
    pub sort_key: i64,
}

/// A component.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentData {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Login of the default assignee (e.g. `nobody@…`): new bugs get it.
    pub default_assignee: String,
    /// Login of the default QA contact; none = no QA contact.
    #[serde(default)]
    pub default_qa_contact: Option<String>,
}

/// A bug flag type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagTypeData {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Display order. Default 0.
    #[serde(default)]
    pub sort_key: i64,
    /// Whether a bug may carry several flags of this type (like `needinfo`).
    #[serde(default)]
    pub multiplicable: bool,
    /// Whether a request may name a requestee. Default true.
    #[serde(default = "yes")]
    pub requesteeble: bool,
    /// Products the type applies to; empty = all.
    #[serde(default)]
    pub products: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A bug to start with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugData {
    /// Bug id; default: the next free one.
    #[serde(default)]
    pub id: Option<u64>,
    pub product: String,
    pub component: String,
    pub summary: String,
    /// Login of the reporter.
    pub creator: String,
    /// The first comment (count 0).
    #[serde(default)]
    pub description: String,
    /// Default: the component's default assignee.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Default: the component's default QA contact.
    #[serde(default)]
    pub qa_contact: Option<String>,
    /// Any stock status. Default `CONFIRMED` (`UNCONFIRMED` when the
    /// creator is outside `editbugs`).
    #[serde(default)]
    pub status: Option<String>,
    /// Required with a closed status (`FIXED`, `INVALID`, `WONTFIX`,
    /// `WORKSFORME`), refused with an open one.
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub whiteboard: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// Restricting groups: only their members (and the reporter) see the bug.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub target_milestone: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// Creation time (UTC). Default: the sandbox clock at start.
    #[serde(default)]
    pub creation_time: Option<DateTime<Utc>>,
    /// Flags set when the bug is created (by the creator).
    #[serde(default)]
    pub flags: Vec<FlagData>,
    /// Later comments, in order.
    #[serde(default)]
    pub comments: Vec<CommentData>,
}

/// A flag on a seeded bug.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagData {
    pub name: String,
    /// `?`, `+` or `-`.
    pub status: FlagStatus,
    #[serde(default)]
    pub requestee: Option<String>,
}

/// A comment on a seeded bug.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentData {
    pub creator: String,
    pub text: String,
    /// Default: the bug's creation time.
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub is_private: bool,
}

impl SandboxData {
    /// Reads a data file: `.json` as JSON, anything else as TOML.
    pub fn from_path(path: &Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|source| SandboxError::ReadData {
            path: path.display().to_string(),
            source,
        })?;
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        let parsed = if is_json {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        };
        parsed.map_err(|err| match err {
            SandboxError::ParseData { reason, .. } => SandboxError::ParseData {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Parses TOML data.
    pub fn from_toml_str(text: &str) -> Result<Self, SandboxError> {
        toml::from_str(text).map_err(|err| SandboxError::ParseData {
            path: "(inline TOML)".to_owned(),
            reason: err.to_string(),
        })
    }

    /// Parses JSON data.
    pub fn from_json_str(text: &str) -> Result<Self, SandboxError> {
        serde_json::from_str(text).map_err(|err| SandboxError::ParseData {
            path: "(inline JSON)".to_owned(),
            reason: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_toml_describe_the_same_data() {
        let toml = SandboxData::from_toml_str(
            "[[users]]\nlogin = \"lead@example.test\"\napi_key = \"k1\"\nadmin = true\n",
        )
        .unwrap();
        let json = SandboxData::from_json_str(
            r#"{"users": [{"login": "lead@example.test", "api_key": "k1", "admin": true}]}"#,
        )
        .unwrap();
        assert_eq!(toml.users.len(), 1);
        assert_eq!(json.users[0].login, toml.users[0].login);
        assert_eq!(json.users[0].api_key.as_deref(), Some("k1"));
        assert!(json.users[0].admin && toml.users[0].admin);
        assert_eq!(toml.instance.version, "5.2");
    }

    #[test]
    fn a_missing_file_is_named_in_the_error() {
        let err = SandboxData::from_path(Path::new("no/such/sandbox.toml")).unwrap_err();
        assert!(err.to_string().contains("no/such/sandbox.toml"), "{err}");
    }
}
