//! Flags on a bug: how the `flags` array of a create or update reaches an
//! existing flag or makes a new one, and what that changes.
//!
//! Bugzilla 5.2 first resolves every entry against the bug's flags as they
//! were (`id` names a flag; `type_id` or `name` names the one flag of that
//! type if there is one, else makes a new one; `new: true` always makes a
//! new one), then applies the entries that reached existing flags, then the
//! new ones. So a request by name while a non-multiplicable flag is granted
//! turns the `+` back into `?` instead of adding a flag (recordings
//! 112–115), and an answer goes to the flag's `id` (112, 116). A flag's
//! setter changes only when its status or requestee does, and a new
//! requestee is added to CC (110, 130). History and the update answer list
//! the flags that differ before and after, in the bug's flag order (type
//! sort key, then name, then flag id).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ApiError, Bug, Change, Flag, FlagType, Model, User};
use crate::bugzilla::FlagChangeStatus;

/// Keys a `flags` entry may hold; others are refused (404/32614) rather
/// than ignored (guess, see `guesses`).
const FLAG_KEYS: [&str; 6] = ["id", "type_id", "name", "new", "status", "requestee"];

/// What one `flags` entry reached.
enum Target {
    /// The flag with this id.
    Existing(u64),
    /// A new flag of the type with this id.
    New(u64),
}

/// One `flags` entry, resolved against the bug's flags before any change.
struct Resolved {
    target: Target,
    /// As sent: Bugzilla checks it only when it sets the flag.
    status: String,
    requestee: Option<String>,
}

/// What the `flags` array of one request changed.
#[derive(Debug, Default)]
pub(super) struct FlagOutcome {
    /// The `flagtypes.name` change, if any flag differs.
    pub change: Option<Change>,
    /// Requestees added to CC, in the order they were asked.
    pub cc_added: Vec<String>,
}

impl Model {
    /// Applies the `flags` array of a create or update to `bug`.
    pub(super) fn apply_flags(
        &self,
        bug: &mut Bug,
        caller: &User,
        params: &Value,
        now: DateTime<Utc>,
        next_flag: &mut u64,
    ) -> Result<FlagOutcome, ApiError> {
        let requests = match params.get("flags") {
            None | Some(Value::Null) => return Ok(FlagOutcome::default()),
            Some(Value::Array(requests)) => requests,
            Some(other) => {
                return Err(ApiError::new(
                    400,
                    32000,
                    format!("The 'flags' parameter must be an array of flags, not {other}."),
                ))
            }
        };
        let before = self.flag_snapshot(bug);
        let mut existing = Vec::new();
        let mut new = Vec::new();
        for request in requests {
            let resolved = self.resolve_flag(bug, request)?;
            match resolved.target {
                Target::Existing(_) => existing.push(resolved),
                Target::New(_) => new.push(resolved),
            }
        }
        let mut out = FlagOutcome::default();
        for resolved in existing.into_iter().chain(new) {
            self.set_flag(bug, caller, resolved, now, next_flag, &mut out.cc_added)?;
        }
        self.sort_flags(bug);
        let after = self.flag_snapshot(bug);
        let (removed, added) = diff_arrays(&before, &after);
        // The snapshot names the setter (`setter:name+`) so that a change of
        // setter alone counts; history does not show it.
        let strip = |items: Vec<String>| -> String {
            items
                .iter()
                .map(|s| s.split_once(':').map_or(s.as_str(), |(_, rest)| rest))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !removed.is_empty() || !added.is_empty() {
            out.change = Some(Change {
                field_name: "flagtypes.name".to_owned(),
                removed: strip(removed),
                added: strip(added),
            });
        }
        Ok(out)
    }

    /// The flag types that apply to the bug, in Bugzilla's order.
    fn types_for<'a>(&'a self, bug: &Bug) -> Vec<&'a FlagType> {
        let mut types: Vec<&FlagType> = self
            .flag_types
            .iter()
            .filter(|t| t.applies_to(&bug.product))
            .collect();
        types.sort_by(|a, b| (a.sort_key, &a.name).cmp(&(b.sort_key, &b.name)));
        types
    }

    /// Puts the bug's flags in Bugzilla's order: by type (sort key, name),
    /// then by id.
    pub(super) fn sort_flags(&self, bug: &mut Bug) {
        let order: Vec<u64> = self.types_for(bug).iter().map(|t| t.id).collect();
        let rank = |flag: &Flag| {
            order
                .iter()
                .position(|id| *id == flag.type_id)
                .unwrap_or(usize::MAX)
        };
        bug.flags.sort_by_key(|f| (rank(f), f.id));
    }

    /// `setter:name?(requestee)` for every flag, in the bug's flag order.
    fn flag_snapshot(&self, bug: &Bug) -> Vec<String> {
        let mut copy = bug.clone();
        self.sort_flags(&mut copy);
        copy.flags
            .iter()
            .map(|f| format!("{}:{}", f.setter, f.describe()))
            .collect()
    }

    /// Which flag one `flags` entry reaches (`extract_flags` of 5.2).
    fn resolve_flag(&self, bug: &Bug, request: &Value) -> Result<Resolved, ApiError> {
        if let Value::Object(map) = request {
            if let Some(key) = map.keys().find(|k| !FLAG_KEYS.contains(&k.as_str())) {
                return Err(ApiError::new(
                    404,
                    32614,
                    format!("The sandbox does not implement the flag parameter '{key}'."),
                ));
            }
        }
        let status = request
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::missing_argument("status"))?
            .to_owned();
        let requestee = request
            .get("requestee")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let new = request.get("new").and_then(Value::as_bool) == Some(true);
        let types = self.types_for(bug);
        let target = if let Some(id) = id_value(request.get("id")) {
            let flag = id
                .parse::<u64>()
                .ok()
                .and_then(|id| bug.flags.iter().find(|f| f.id == id))
                .ok_or_else(|| {
                    ApiError::new(404, 51, format!("There is no flag with the id '{id}'."))
                })?;
            Target::Existing(flag.id)
        } else if let Some(type_id) = id_value(request.get("type_id")) {
            let flag_type = type_id
                .parse::<u64>()
                .ok()
                .and_then(|id| types.iter().find(|t| t.id == id))
                .ok_or_else(|| {
                    ApiError::new(
                        404,
                        51,
                        format!("There is no flagtype with the id '{type_id}'."),
                    )
                })?;
            one_of_type(bug, flag_type, new, &type_id)?
        } else if let Some(name) = request.get("name").and_then(Value::as_str) {
            // Only the types of the bug's product count (an unknown name is
            // recording 84).
            let flag_type = types.iter().find(|t| t.name == name).ok_or_else(|| {
                ApiError::new(404, 51, format!("There is no flagtype named '{name}'."))
            })?;
            one_of_type(bug, flag_type, new, name)?
        } else {
            return Err(ApiError::new(
                400,
                50,
                "The function Bugzilla::Flag->set_flag requires a id/type_id argument, and that argument was not set.",
            ));
        };
        Ok(Resolved {
            target,
            status,
            requestee,
        })
    }

    /// Applies one resolved entry (`Flag::set_flag` and `_validate`).
    fn set_flag(
        &self,
        bug: &mut Bug,
        caller: &User,
        resolved: Resolved,
        now: DateTime<Utc>,
        next_flag: &mut u64,
        cc_added: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let Resolved {
            target,
            status,
            requestee,
        } = resolved;
        // The wire text stays for the error naming it.
        let change = FlagChangeStatus::from_wire(&status);
        let (index, type_id) = match target {
            Target::Existing(id) => {
                let index = bug.flags.iter().position(|f| f.id == id).ok_or_else(|| {
                    ApiError::new(404, 51, format!("There is no flag with the id '{id}'."))
                })?;
                (Some(index), bug.flags[index].type_id)
            }
            // A new flag set to X is no flag at all.
            Target::New(_) if change == Some(FlagChangeStatus::Clear) => return Ok(()),
            Target::New(type_id) => (None, type_id),
        };
        let Some(status) = change else {
            let id = index
                .map(|i| bug.flags[i].id.to_string())
                .unwrap_or_default();
            return Err(ApiError::new(
                400,
                129,
                format!("The flag status {status} for flag ID #{id} is invalid."),
            ));
        };
        let flag_type = self
            .flag_types
            .iter()
            .find(|t| t.id == type_id)
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    51,
                    format!("There is no flagtype with the id '{type_id}'."),
                )
            })?;
        if let Some(login) = &requestee {
            if self.user(login).is_none() {
                return Err(ApiError::no_such_user(login));
            }
        }
        // Only a request has a requestee.
        let requestee = requestee.filter(|_| status == FlagChangeStatus::Requested);
        let old_requestee = index.and_then(|i| bug.flags[i].requestee.clone());
        let requestee_changed = requestee != old_requestee;
        if let Some(login) = requestee.as_ref().filter(|_| requestee_changed) {
            self.check_requestee(bug, flag_type, login)?;
        }
        let Some(status) = status.target() else {
            // `X`: the flag goes.
            if let Some(index) = index {
                bug.flags.remove(index);
            }
            return Ok(());
        };
        match index {
            Some(index) => {
                let flag = &mut bug.flags[index];
                if flag.status != status || requestee_changed {
                    flag.status = status;
                    flag.requestee = requestee.clone();
                    flag.setter = caller.login.clone();
                    flag.modification_date = now;
                }
            }
            None => {
                if !flag_type.multiplicable && bug.flags.iter().any(|f| f.type_id == type_id) {
                    return Err(ApiError::new(
                        400,
                        32000,
                        format!(
                            "You cannot have several {} flags for this bug.",
                            flag_type.name
                        ),
                    ));
                }
                bug.flags.push(Flag {
                    id: *next_flag,
                    type_id,
                    name: flag_type.name.clone(),
                    status,
                    setter: caller.login.clone(),
                    requestee: requestee.clone(),
                    creation_date: now,
                    modification_date: now,
                });
                *next_flag += 1;
            }
        }
        if let Some(login) = requestee.filter(|_| requestee_changed) {
            if !bug.cc.contains(&login) {
                bug.cc.push(login.clone());
                cc_added.push(login);
            }
        }
        Ok(())
    }

    /// A new requestee must be allowed by the type and able to see the bug.
    fn check_requestee(
        &self,
        bug: &Bug,
        flag_type: &FlagType,
        login: &str,
    ) -> Result<(), ApiError> {
        if !flag_type.requesteeble {
            return Err(ApiError::new(
                400,
                131,
                format!("You can't ask a specific person for {}.", flag_type.name),
            ));
        }
        let user = self
            .user(login)
            .ok_or_else(|| ApiError::no_such_user(login))?;
        let involved = bug.assigned_to == login || bug.qa_contact == login;
        if !involved && !self.can_see(Some(user), bug) {
            return Err(ApiError::new(
                400,
                32000,
                format!(
                    "You asked {login} for {} on bug {}, but that bug is restricted to users in certain groups, and the user you asked isn't in all the groups to which the bug is restricted.",
                    flag_type.name, bug.id
                ),
            ));
        }
        Ok(())
    }
}

/// `id` / `type_id` as text: a number or a string (`"1"`, recording 112).
/// Absent, null, `0`, `""` and `false` count as not given, as in Perl.
fn id_value(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) if n.as_u64() == Some(0) => None,
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.is_empty() || s == "0" => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("1".to_owned()),
        _ => None,
    }
}

/// Without `new`, a type names the one flag of that type on the bug (two or
/// more: 400/132), or a new flag if there is none.
fn one_of_type(
    bug: &Bug,
    flag_type: &FlagType,
    new: bool,
    named: &str,
) -> Result<Target, ApiError> {
    if new {
        return Ok(Target::New(flag_type.id));
    }
    let matches: Vec<&Flag> = bug
        .flags
        .iter()
        .filter(|f| f.type_id == flag_type.id)
        .collect();
    match matches.as_slice() {
        [] => Ok(Target::New(flag_type.id)),
        [one] => Ok(Target::Existing(one.id)),
        _ => Err(ApiError::new(
            400,
            132,
            format!(
                "The flag value '{named}' matches more than one flag; name the flag by its id."
            ),
        )),
    }
}

/// Bugzilla's `diff_arrays`: items of `old` not in `new` (removed) and of
/// `new` not in `old` (added), counting repeats, in list order.
fn diff_arrays(old: &[String], new: &[String]) -> (Vec<String>, Vec<String>) {
    let mut left: Vec<Option<&String>> = old.iter().map(Some).collect();
    let mut added = Vec::new();
    for item in new {
        match left.iter().position(|o| *o == Some(item)) {
            Some(i) => left[i] = None,
            None => added.push(item.clone()),
        }
    }
    let removed = left.into_iter().flatten().cloned().collect();
    (removed, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_arrays_counts_repeats_and_keeps_order() {
        let s = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (removed, added) = diff_arrays(&s(&["a", "b", "b", "c"]), &s(&["b", "d", "c", "e"]));
        assert_eq!(removed, s(&["a", "b"]));
        assert_eq!(added, s(&["d", "e"]));
    }

    #[test]
    fn ids_are_numbers_or_strings_and_zero_is_none() {
        assert_eq!(id_value(Some(&serde_json::json!(4))), Some("4".to_owned()));
        assert_eq!(
            id_value(Some(&serde_json::json!("1"))),
            Some("1".to_owned())
        );
        assert_eq!(id_value(Some(&serde_json::json!(0))), None);
        assert_eq!(id_value(Some(&serde_json::json!(""))), None);
        assert_eq!(id_value(None), None);
    }
}
