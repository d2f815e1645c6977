//! Changes to accounts and to the instance's parameters: what an
//! administrator does between recordings (adding the bot to the insider
//! group, recording 163; setting `insidergroup`, between 158 and 159).
//!
//! Only group membership is modelled: `PUT /rest/user/NAME` with
//! `{"groups": {"add": [...], "remove": [...]}}` (5.2's `User.update`).
//! Other account fields are refused like any parameter the sandbox does not
//! implement.

use serde_json::Value;

use super::super::SandboxError;
use super::{ApiError, Model, User};

/// Keys a `PUT /rest/user/NAME` body may hold.
const UPDATE_USER_KEYS: [&str; 4] = ["groups", "api_key", "Bugzilla_api_key", "token"];

/// Keys of its `groups` object (5.2 also takes `set`; not modelled).
const GROUP_CHANGE_KEYS: [&str; 2] = ["add", "remove"];

/// What `PUT /rest/user/NAME` changed: the user's id and, when membership
/// changed, the groups added and removed (`", "`-joined, sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUpdate {
    pub id: u64,
    pub groups: Option<(String, String)>,
}

impl Model {
    /// `PUT /rest/user/NAME` (or `/rest/user/ID`) as `caller`. Only members
    /// of `editusers` may call it (5.2's `User.update`); the sandbox's
    /// administrators are. Membership changes take effect at once: the
    /// user sees what the group's members see.
    pub fn update_user(
        &mut self,
        caller: &User,
        name_or_id: &str,
        body: &Value,
    ) -> Result<UserUpdate, ApiError> {
        if !caller.admin {
            // 5.2: ThrowUserError("auth_failure", {group => "editusers",
            // action => "edit", object => "users"}); a guess, see `guesses`.
            return Err(ApiError::new(
                401,
                304,
                "Sorry, you aren't a member of the 'editusers' group, and you are not authorized to edit users.",
            ));
        }
        let body = match body {
            Value::Object(map) => map,
            _ => return Err(ApiError::missing_argument("groups")),
        };
        if let Some(key) = body
            .keys()
            .find(|k| !UPDATE_USER_KEYS.contains(&k.as_str()))
        {
            return Err(ApiError::new(
                404,
                32614,
                format!("The sandbox does not implement the parameter '{key}' of User.update."),
            ));
        }
        let index = self.user_index(name_or_id)?;
        let (add, remove) = match body.get("groups") {
            None => (Vec::new(), Vec::new()),
            Some(Value::Object(change)) => {
                if let Some(key) = change
                    .keys()
                    .find(|k| !GROUP_CHANGE_KEYS.contains(&k.as_str()))
                {
                    return Err(ApiError::new(
                        404,
                        32614,
                        format!(
                            "The sandbox does not implement '{key}' in the groups of User.update."
                        ),
                    ));
                }
                (
                    self.group_names(change.get("add"))?,
                    self.group_names(change.get("remove"))?,
                )
            }
            Some(_) => {
                return Err(ApiError::new(
                    400,
                    32000,
                    "The groups of User.update must be an object with 'add' and/or 'remove'.",
                ))
            }
        };
        let user = &mut self.users[index];
        let mut added: Vec<String> = add
            .into_iter()
            .filter(|g| !user.groups.contains(g))
            .collect();
        added.sort();
        added.dedup();
        let mut removed: Vec<String> = remove
            .into_iter()
            .filter(|g| user.groups.contains(g) && !added.contains(g))
            .collect();
        removed.sort();
        removed.dedup();
        user.groups.retain(|g| !removed.contains(g));
        user.groups.extend(added.iter().cloned());
        let groups = (!added.is_empty() || !removed.is_empty())
            .then(|| (added.join(", "), removed.join(", ")));
        Ok(UserUpdate {
            id: user.id,
            groups,
        })
    }

    /// Sets the instance's `insidergroup` parameter (an administrator's
    /// setting in 5.2's `editparams.cgi`; there is no REST call for it):
    /// its members may mark comments private and see them. `None`: nobody
    /// may, as in a stock install.
    pub fn set_insider_group(&mut self, group: Option<&str>) -> Result<(), SandboxError> {
        if let Some(name) = group {
            if !self.groups.iter().any(|g| g.name == name) {
                return Err(SandboxError::UnknownGroup {
                    group: name.to_owned(),
                });
            }
        }
        self.insider_group = group.map(str::to_owned);
        Ok(())
    }

    /// The user a `/rest/user/…` path names: a number is an id, anything
    /// else a login (5.2's REST resource does the same).
    fn user_index(&self, name_or_id: &str) -> Result<usize, ApiError> {
        match name_or_id.parse::<u64>() {
            Ok(id) => self.users.iter().position(|u| u.id == id).ok_or_else(|| {
                ApiError::new(404, 51, format!("There is no user with the id '{id}'."))
            }),
            Err(_) => self
                .users
                .iter()
                .position(|u| u.login == name_or_id)
                .ok_or_else(|| ApiError::no_such_user(name_or_id)),
        }
    }

    /// The group names of an `add`/`remove` list, each checked (404/51
    /// "There is no group named …", as `Bugzilla::Group->check` words it).
    fn group_names(&self, list: Option<&Value>) -> Result<Vec<String>, ApiError> {
        let names: Vec<&str> = match list {
            None => Vec::new(),
            Some(Value::String(name)) => vec![name.as_str()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().ok_or_else(|| {
                        ApiError::new(400, 32000, format!("'{item}' is not a group name."))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(ApiError::new(
                    400,
                    32000,
                    format!("'{other}' is not a list of group names."),
                ))
            }
        };
        names
            .into_iter()
            .map(|name| {
                if self.groups.iter().any(|g| g.name == name) {
                    Ok(name.to_owned())
                } else {
                    Err(ApiError::new(
                        404,
                        51,
                        format!("There is no group named '{name}'."),
                    ))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::SandboxData;

    fn model() -> Model {
        let data = SandboxData::from_toml_str(
            r#"
            [[groups]]
            name = "websites-security"
            [[users]]
            login = "admin@example.test"
            admin = true
            [[users]]
            login = "pushbot@example.test"
            "#,
        )
        .unwrap();
        Model::from_data(data, chrono::Utc::now()).unwrap()
    }

    #[test]
    fn an_administrator_adds_and_removes_a_member() {
        let mut m = model();
        let admin = m.user("admin@example.test").unwrap().clone();
        let body = json!({ "groups": { "add": ["websites-security"] } });
        let update = m
            .update_user(&admin, "pushbot@example.test", &body)
            .unwrap();
        assert_eq!(update.id, 2);
        assert_eq!(
            update.groups,
            Some(("websites-security".to_owned(), String::new()))
        );
        assert!(m
            .user("pushbot@example.test")
            .unwrap()
            .in_group("websites-security"));
        // Adding again changes nothing.
        let again = m.update_user(&admin, "2", &body).unwrap();
        assert_eq!(again.groups, None);
        let body = json!({ "groups": { "remove": ["websites-security"] } });
        let update = m
            .update_user(&admin, "pushbot@example.test", &body)
            .unwrap();
        assert_eq!(
            update.groups,
            Some((String::new(), "websites-security".to_owned()))
        );
        assert!(!m
            .user("pushbot@example.test")
            .unwrap()
            .in_group("websites-security"));
    }

    #[test]
    fn only_administrators_change_accounts_and_names_are_checked() {
        let mut m = model();
        let bot = m.user("pushbot@example.test").unwrap().clone();
        let admin = m.user("admin@example.test").unwrap().clone();
        let body = json!({ "groups": { "add": ["websites-security"] } });
        assert_eq!(
            m.update_user(&bot, "pushbot@example.test", &body)
                .unwrap_err()
                .code,
            304
        );
        assert_eq!(
            m.update_user(&admin, "nobody@example.test", &body)
                .unwrap_err()
                .code,
            51
        );
        let unknown = json!({ "groups": { "add": ["nope"] } });
        let err = m
            .update_user(&admin, "pushbot@example.test", &unknown)
            .unwrap_err();
        assert_eq!((err.status, err.code), (404, 51));
        let other = json!({ "real_name": "Bot" });
        assert_eq!(
            m.update_user(&admin, "pushbot@example.test", &other)
                .unwrap_err()
                .code,
            32614
        );
        assert!(!m
            .user("pushbot@example.test")
            .unwrap()
            .in_group("websites-security"));
    }

    #[test]
    fn the_insider_group_must_exist() {
        let mut m = model();
        assert!(m.set_insider_group(Some("nope")).is_err());
        assert_eq!(m.insider_group, None);
        m.set_insider_group(Some("websites-security")).unwrap();
        assert_eq!(m.insider_group.as_deref(), Some("websites-security"));
        m.set_insider_group(None).unwrap();
        assert_eq!(m.insider_group, None);
    }
}
