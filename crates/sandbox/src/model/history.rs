//! A bug's history as Bugzilla 5.2 reports it: one entry per person and
//! second, not per request.
//!
//! Bugzilla stores one activity row per changed field and groups them when
//! it reads them back: rows by the same person in the same second form one
//! entry, and a row for the same field as the row before it is joined into
//! that change (`join_activity_entries`). So three flag changes the bot
//! made in one second read as one entry with one `flagtypes.name` change
//! (recording 125).

use chrono::{DateTime, Utc};

use super::{Change, HistoryEntry};

/// Adds the changes of one request made by `who` at `when` (whole seconds).
pub(super) fn record(
    history: &mut Vec<HistoryEntry>,
    who: &str,
    when: DateTime<Utc>,
    changes: Vec<Change>,
) {
    if changes.is_empty() {
        return;
    }
    let entry = match history.last_mut() {
        Some(last) if last.who == who && last.when == when => last,
        _ => {
            history.push(HistoryEntry {
                when,
                who: who.to_owned(),
                changes: Vec::new(),
            });
            let Some(entry) = history.last_mut() else {
                return;
            };
            entry
        }
    };
    for change in changes {
        match entry.changes.last_mut() {
            Some(previous) if previous.field_name == change.field_name => {
                previous.removed = join(&change.field_name, &previous.removed, &change.removed);
                previous.added = join(&change.field_name, &previous.added, &change.added);
            }
            _ => entry.changes.push(change),
        }
    }
}

/// `join_activity_entries`: a space between the parts, unless the second
/// starts with a comma or space; bug lists get a comma, URLs nothing.
fn join(field: &str, current: &str, new: &str) -> String {
    if current.is_empty() {
        return new.to_owned();
    }
    let starts_with_separator = new.starts_with(',') || new.starts_with(' ');
    match field {
        "depends_on" | "blocks" | "see_also" if !starts_with_separator => {
            format!("{current}, {new}")
        }
        "url" => format!("{current}{new}"),
        _ if starts_with_separator => format!("{current}{new}"),
        _ => format!("{current} {new}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn change(field: &str, removed: &str, added: &str) -> Change {
        Change {
            field_name: field.to_owned(),
            removed: removed.to_owned(),
            added: added.to_owned(),
        }
    }

    #[test]
    fn one_person_in_one_second_is_one_entry_with_same_fields_joined() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 16, 25, 50)
            .single()
            .unwrap();
        let mut history = Vec::new();
        record(
            &mut history,
            "bot",
            at,
            vec![
                change("cc", "", "lead"),
                change("flagtypes.name", "", "a?(lead), b?(qa)"),
            ],
        );
        record(
            &mut history,
            "bot",
            at,
            vec![change("flagtypes.name", "a?(lead)", "a+")],
        );
        record(
            &mut history,
            "bot",
            at,
            vec![change("flagtypes.name", "a+", "a?(lead)")],
        );
        record(
            &mut history,
            "lead",
            at,
            vec![change("flagtypes.name", "a?(lead)", "a-")],
        );
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].changes.len(), 2);
        assert_eq!(
            history[0].changes[1],
            change(
                "flagtypes.name",
                "a?(lead) a+",
                "a?(lead), b?(qa) a+ a?(lead)"
            )
        );
        record(
            &mut history,
            "lead",
            at + chrono::Duration::seconds(1),
            vec![change("cc", "x", "")],
        );
        assert_eq!(history.len(), 3);
    }
}
