//! Stock Bugzilla 5.2's status workflow and who may change what.
//!
//! The workflow is recording 60 (`GET /rest/field/bug/bug_status`). A
//! status change must follow it, and the caller must be allowed to make it:
//! anyone in `editbugs`; the assignee, except confirming or unconfirming;
//! the reporter, except between two open statuses or (un)confirming.
//! Anyone else is refused with 400/123 (recording 131: an outsider
//! reopening a bug). Other fields follow Bugzilla's `check_can_change_field`
//! (401/115, recording 90). The QA contact gets no rights of its own here,
//! and the reporter none over assignee, QA contact, target milestone and
//! priority (see `guesses`).

use super::{ApiError, Bug, Model, User, OPEN_STATUSES};

/// Each status (None = a new bug), its sort key, and where it may go.
pub const WORKFLOW: [(Option<&str>, i64, &[&str]); 6] = [
    (None, 0, &["UNCONFIRMED", "CONFIRMED", "IN_PROGRESS"]),
    (
        Some("UNCONFIRMED"),
        100,
        &["CONFIRMED", "IN_PROGRESS", "RESOLVED"],
    ),
    (Some("CONFIRMED"), 200, &["IN_PROGRESS", "RESOLVED"]),
    (Some("IN_PROGRESS"), 300, &["CONFIRMED", "RESOLVED"]),
    (
        Some("RESOLVED"),
        400,
        &["UNCONFIRMED", "CONFIRMED", "VERIFIED"],
    ),
    (Some("VERIFIED"), 500, &["UNCONFIRMED", "CONFIRMED"]),
];

/// Stock 5.2 resolutions (`DUPLICATE` needs a duplicate-of bug, which the
/// sandbox does not model).
pub const RESOLUTIONS: [&str; 5] = ["FIXED", "INVALID", "WONTFIX", "DUPLICATE", "WORKSFORME"];

/// Whether the workflow leads from `from` (None = new bug) to `to`.
pub fn workflow_allows(from: Option<&str>, to: &str) -> bool {
    WORKFLOW
        .iter()
        .find(|(name, _, _)| *name == from)
        .is_some_and(|(_, _, targets)| targets.contains(&to))
}

fn is_open(status: &str) -> bool {
    OPEN_STATUSES.contains(&status)
}

/// Why a field change is refused: what the 115 message says is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// The reporter, the assignee or more (recording 90's wording).
    Reporter,
    /// More than the reporter has.
    Empowered,
}

impl Model {
    /// Whether `caller` may move `bug` to status `to` (workflow and rights).
    pub(super) fn may_change_status(&self, caller: &User, bug: &Bug, to: &str) -> bool {
        if !workflow_allows(Some(&bug.status), to) {
            return false;
        }
        if self.can_edit_all(caller) {
            return true;
        }
        // Moving an unconfirmed bug to an open status confirms it; moving a
        // confirmed one to UNCONFIRMED unconfirms it: `canconfirm` only.
        let changes_confirmation = if bug.everconfirmed {
            to == "UNCONFIRMED"
        } else {
            is_open(to) && to != "UNCONFIRMED"
        };
        if changes_confirmation {
            return false;
        }
        if caller.login == bug.assigned_to {
            return true;
        }
        caller.login == bug.creator && !(is_open(&bug.status) && is_open(to))
    }

    /// Whether `caller` may change `field` (a key of `PUT /rest/bug`) of
    /// `bug`; `Err` says what is needed.
    pub(super) fn may_change_field(
        &self,
        caller: &User,
        bug: &Bug,
        field: &str,
    ) -> Result<(), Needs> {
        if self.can_edit_all(caller) || caller.login == bug.assigned_to {
            return Ok(());
        }
        if caller.login == bug.creator {
            return match field {
                "assigned_to" | "qa_contact" | "target_milestone" | "priority" => {
                    Err(Needs::Empowered)
                }
                _ => Ok(()),
            };
        }
        Err(Needs::Reporter)
    }
}

/// Bugzilla's `illegal_change` error (401/115).
pub(super) fn illegal_change(display: &str, old: &str, new: &str, needs: Needs) -> ApiError {
    let who = match needs {
        Needs::Reporter => {
            "the assignee or reporter of the bug, or a user with the required permissions"
        }
        Needs::Empowered => "a user with the required permissions",
    };
    ApiError::new(
        401,
        115,
        format!(
            "You tried to change the {display} field from {old} to {new}, but only {who} may change that field."
        ),
    )
}

/// Bugzilla's `illegal_bug_status_transition` (400/123, recording 131).
pub(super) fn illegal_transition(from: &str, to: &str) -> ApiError {
    ApiError::new(
        400,
        123,
        format!("You are not allowed to change the bug status from {from} to {to}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_is_the_recorded_one() {
        assert!(workflow_allows(Some("RESOLVED"), "CONFIRMED"));
        assert!(workflow_allows(Some("CONFIRMED"), "RESOLVED"));
        assert!(!workflow_allows(Some("RESOLVED"), "IN_PROGRESS"));
        assert!(!workflow_allows(Some("CONFIRMED"), "UNCONFIRMED"));
        assert!(workflow_allows(None, "UNCONFIRMED"));
        assert!(!workflow_allows(None, "RESOLVED"));
    }
}
