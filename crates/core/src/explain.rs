//! What `pushbot explain` shows: the push model of each bug and every
//! rule's verdict with its reason and, when it fires, the exact comment and
//! flag changes. Also reads bug JSON files (a `GET /rest/bug/ID` response or
//! a bare bug object, optionally with its comments) for `explain --file`.
//!
//! Pure: text in, text out; the command line does the reading and the
//! network.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::bugzilla::{Bug, BugId, Comment};
use crate::clock;
use crate::push::{PushBug, Schedule, Signoff};
use crate::rules::Verdict;

/// A bug and its comments, as read from a file.
pub type BugWithComments = (Bug, Vec<Comment>);

/// Reads a bug file: a `GET /rest/bug/ID` (or search) response
/// `{"bugs": [...]}`, or one bug object. Comments may come as a `comments`
/// array inside a bug object, or as a top-level `comments` value shaped like
/// the `GET /rest/bug/ID/comment` response (`{"bugs": {"ID": {"comments":
/// [...]}}}`). Errors say what is wrong in words.
pub fn parse_bug_json(text: &str) -> Result<Vec<BugWithComments>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let mut by_bug: BTreeMap<String, Vec<Comment>> = BTreeMap::new();
    if let Some(Value::Object(top)) = value.get("comments") {
        if let Some(Value::Object(bugs)) = top.get("bugs") {
            for (id, entry) in bugs {
                let list = entry
                    .get("comments")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                let comments: Vec<Comment> = serde_json::from_value::<Vec<Comment>>(list)
                    .map_err(|e| format!("comments of bug {id} are not Bugzilla comments ({e})"))?;
                by_bug.insert(id.clone(), comments);
            }
        }
    }
    let bug_values: Vec<Value> = match value.get("bugs") {
        Some(Value::Array(bugs)) => bugs.clone(),
        Some(_) => return Err("`bugs` is not a list of bug objects".to_string()),
        None if value.get("id").is_some() => vec![value.clone()],
        None => {
            return Err("neither a bug object (with `id`) nor a response with `bugs`".to_string())
        }
    };
    if bug_values.is_empty() {
        return Err("the response holds no bugs (a missing or invisible bug?)".to_string());
    }
    let mut out = Vec::new();
    for mut bv in bug_values {
        let inline = match bv.as_object_mut().and_then(|o| o.remove("comments")) {
            Some(list @ Value::Array(_)) => Some(list),
            _ => None,
        };
        let bug: Bug = serde_json::from_value(bv)
            .map_err(|e| format!("a bug object could not be read ({e})"))?;
        let mut comments = match inline {
            Some(list) => serde_json::from_value::<Vec<Comment>>(list).map_err(|e| {
                format!("comments of bug {} are not Bugzilla comments ({e})", bug.id)
            })?,
            None => Vec::new(),
        };
        if let Some(more) = by_bug.remove(&bug.id.to_string()) {
            comments.extend(more);
        }
        comments.sort_by_key(|c: &Comment| (c.creation_time, c.id));
        out.push((bug, comments));
    }
    Ok(out)
}

fn signoff(s: &Signoff, app: &str) -> String {
    match s {
        Signoff::Missing => "missing".to_string(),
        Signoff::Requested { requestee: Some(r) } => format!("requested from {r}"),
        Signoff::Requested { requestee: None } => "requested".to_string(),
        Signoff::Granted { by } => format!("granted by {}", by.as_deref().unwrap_or("?")),
        Signoff::Denied { by } => format!("denied by {}", by.as_deref().unwrap_or("?")),
        Signoff::NotAllowed { granted, by } => format!(
            "missing: {}",
            crate::push::not_allowed_words(*granted, by.as_deref(), app)
        ),
    }
}

/// The push model of one bug, as indented lines.
pub fn describe_push(p: &PushBug, tz: Tz) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "bug {}: {}", p.id, p.summary);
    if !p.groups.is_empty() {
        let _ = writeln!(
            s,
            "  groups:    {} (restricted: named only where readers are in all of them)",
            p.groups.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  app:       {} (size {}: {})",
        p.app.as_deref().unwrap_or("none matched"),
        p.size,
        p.size_reason
    );
    match &p.schedule {
        Schedule::At { at, source, note } => {
            let _ = writeln!(
                s,
                "  push:      {} = {} ({}), from {}{}",
                clock::format_local(*at, tz),
                at.to_rfc3339(),
                clock::IsoWeekId::of_instant(*at, tz),
                source,
                note.as_ref().map(|n| format!("; {n}")).unwrap_or_default()
            );
        }
        Schedule::Unscheduled { reason } => {
            let _ = writeln!(s, "  push:      unscheduled, because {reason}");
        }
    }
    let status = match &p.status {
        crate::push::PushStatus::Open { status } => format!("open ({status})"),
        crate::push::PushStatus::Done => {
            "done (resolved FIXED): shipped; it still counts toward its week's limits, and no rule comments on it".to_string()
        }
        crate::push::PushStatus::Cancelled { resolution } => format!("cancelled ({resolution})"),
    };
    let _ = writeln!(s, "  status:    {status}");
    let _ = writeln!(
        s,
        "  owner:     {}",
        match &p.owner {
            Some(o) => o.clone(),
            None => match &p.triage_owner {
                Some(t) => format!(
                    "none (assignee `{}` is a default account); triage owner: {t}",
                    p.assignee
                ),
                None => format!("none (assignee `{}` is a default account)", p.assignee),
            },
        }
    );
    let leads = if p.leads.is_empty() {
        "none configured".to_string()
    } else {
        p.leads.join(", ")
    };
    let _ = writeln!(
        s,
        "  lead(s):   {leads}; QA: {}",
        p.qa.as_deref().unwrap_or("none")
    );
    let _ = writeln!(
        s,
        "  sign-off:  webdev {}; QA {}",
        signoff(&p.webdev_signoff, p.app.as_deref().unwrap_or("this app")),
        signoff(&p.qa_signoff, p.app.as_deref().unwrap_or("this app"))
    );
    for item in &p.checklist {
        let _ = writeln!(
            s,
            "  checklist: [{}] {} {}{}",
            if item.confirmed_by.is_some() {
                "x"
            } else {
                " "
            },
            item.text,
            item.tag,
            item.confirmed_by
                .as_ref()
                .map(|b| format!(" (confirmed: {b})"))
                .unwrap_or_default()
        );
    }
    if p.opted_out {
        let _ = writeln!(s, "  opted out of nags");
    }
    for m in &p.markers {
        let _ = writeln!(
            s,
            "  said:      {} in comment {} at {}",
            m.marker,
            m.comment,
            m.at.to_rfc3339()
        );
    }
    s
}

/// One verdict as lines: `FIRES`/`quiet`, the rule, the reason, and for a
/// firing rule the marker, flag changes and the comment text.
pub fn describe_verdict(v: &Verdict) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {} {}: {}",
        if v.fires { "FIRES" } else { "quiet" },
        v.rule,
        v.reason
    );
    if let Some(action) = &v.action {
        for key in action.keys() {
            let _ = writeln!(s, "        marker: {}", key.marker());
        }
        for f in &action.update.flags {
            let _ = writeln!(
                s,
                "        flag:   {}{}{}",
                f.name.as_deref().unwrap_or("?"),
                f.status,
                f.requestee
                    .as_ref()
                    .map(|r| format!("({r})"))
                    .unwrap_or_default()
            );
        }
        if let Some(text) = &action.comment {
            for line in text.lines() {
                let _ = writeln!(s, "        | {line}");
            }
        }
    }
    s
}

/// The whole `explain` report for the bugs in `show` (others in `pushes`
/// still count for conflicts).
pub fn report(
    pushes: &[PushBug],
    verdicts: &[Verdict],
    show: &[BugId],
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let mut s = format!(
        "now: {} ({}), team zone {}\n",
        clock::format_local(now, tz),
        now.to_rfc3339(),
        tz.name()
    );
    for p in pushes.iter().filter(|p| show.contains(&p.id)) {
        s.push('\n');
        s.push_str(&describe_push(p, tz));
        let _ = writeln!(s, "  verdicts:");
        for v in verdicts.iter().filter(|v| v.bug == p.id) {
            s.push_str(&describe_verdict(v));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_rest_response_a_bare_bug_and_inline_comments() {
        let rest = r#"{"faults":[],"bugs":[{"id":2,"summary":"Push","whiteboard":"[push:amo]"}]}"#;
        let bugs = parse_bug_json(rest).unwrap();
        assert_eq!(bugs[0].0.id, BugId(2));
        assert!(bugs[0].1.is_empty());
        let bare = r#"{"id":3,"comments":[{"id":9,"text":"hi","creator":"a@x","creation_time":"2026-11-26T03:49:10Z"}]}"#;
        let bugs = parse_bug_json(bare).unwrap();
        assert_eq!(bugs[0].1[0].text, "hi");
        assert!(!bugs[0].0.extra.contains_key("comments"));
        let with_response = r#"{"bugs":[{"id":4}],"comments":{"bugs":{"4":{"comments":[{"id":1,"text":"x","creator":"a@x","time":"2026-11-26T03:49:10Z"}]}}}}"#;
        assert_eq!(parse_bug_json(with_response).unwrap()[0].1.len(), 1);
    }

    #[test]
    fn an_unowned_push_names_its_triage_owner() {
        let bug: crate::bugzilla::Bug = serde_json::from_str(
            r#"{"id":5,"summary":"Push AMO 2026-12-01","whiteboard":"[push:amo]",
                "assigned_to":"nobody@mozilla.org","triage_owner":"triage@example.org"}"#,
        )
        .unwrap();
        let push = crate::push::extract(
            &bug,
            &[],
            &crate::push::PushSettings::default(),
            "pushbot@example.org",
            chrono_tz::America::Los_Angeles,
        );
        let text = describe_push(&push, chrono_tz::America::Los_Angeles);
        assert!(
            text.contains("owner:     none (assignee `nobody@mozilla.org` is a default account); triage owner: triage@example.org"),
            "{text}"
        );
    }

    #[test]
    fn a_shipped_push_is_done_still_counted_and_named_by_the_open_one() {
        let tz = chrono_tz::America::Los_Angeles;
        let bugs = parse_bug_json(
            r#"{"bugs":[
                {"id":901,"summary":"Push AMO","whiteboard":"[push:amo] [push 2026-12-01 16:00]",
                 "assigned_to":"amo-dev@example.org","status":"RESOLVED","resolution":"FIXED",
                 "is_open":false},
                {"id":902,"summary":"Push SUMO","whiteboard":"[push:sumo] [push 2026-12-03 16:00]",
                 "assigned_to":"sumo-dev@example.org","status":"CONFIRMED","resolution":"",
                 "is_open":true}
            ]}"#,
        )
        .unwrap();
        let settings = crate::push::PushSettings::default();
        let pushes: Vec<PushBug> = bugs
            .iter()
            .map(|(b, c)| crate::push::extract(b, c, &settings, "pushbot@example.org", tz))
            .collect();
        let rules = crate::rules::RuleSet::from_sources(crate::rules::SHIPPED_RULES).unwrap();
        let now = clock::parse_now("2026-12-01 18:00", tz).unwrap();
        let verdicts = crate::rules::evaluate(&rules, &pushes, &settings, tz, now);
        let text = report(&pushes, &verdicts, &[BugId(901), BugId(902)], tz, now);
        let shipped = &text[text.find("bug 901:").unwrap()..text.find("bug 902:").unwrap()];
        assert!(
            shipped.contains("status:    done (resolved FIXED): shipped; it still counts toward its week's limits"),
            "{shipped}"
        );
        assert!(
            shipped.contains("quiet release-conflict: done; still counted for 2026-W49"),
            "{shipped}"
        );
        assert!(!shipped.contains("FIRES"), "{shipped}");
        let open = &text[text.find("bug 902:").unwrap()..];
        assert!(
            open.contains(
                "FIRES release-conflict: 2 large releases in 2026-W49 (limit 1) (with bug 901)"
            ),
            "{open}"
        );
        assert!(
            open.contains("- bug 901: AMO (large), Tue 2026-12-01 16:00 PST (shipped)"),
            "{open}"
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(parse_bug_json("{").unwrap_err().starts_with("not JSON"));
        assert!(parse_bug_json(r#"{"bugs":[]}"#)
            .unwrap_err()
            .contains("no bugs"));
        assert!(parse_bug_json(r#"{"x":1}"#)
            .unwrap_err()
            .contains("neither a bug"));
    }
}
