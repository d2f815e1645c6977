//! What templates see of a push: plain strings and lists, with times
//! already formatted in the team's zone. Also the sample pushes that
//! `rules check` renders every template against. Pure.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::bugzilla::{Bug, BugId, Flag, FlagStatus};
use crate::clock;
use crate::push::{extract, PushBug, PushSettings, PushStatus, Schedule, Signoff};

/// A checklist item as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub id: String,
    pub text: String,
    pub tag: String,
    pub confirmed_by: Option<String>,
}

/// A push as templates see it (`bug` and each of `others`).
#[derive(Debug, Clone, Serialize)]
pub struct PushView {
    pub id: u64,
    pub summary: String,
    /// The app's name, or `unknown app`.
    pub app: String,
    /// `large`, `small` or `content-only`.
    pub size: String,
    /// `Tue 2026-12-01 16:00 PST`, or none when unscheduled.
    pub when: Option<String>,
    /// ISO week of the push in the team's zone, `2026-W49`.
    pub week: Option<String>,
    /// Where the date was read.
    pub source: Option<String>,
    /// Why there is no date.
    pub unscheduled_reason: Option<String>,
    pub owner: Option<String>,
    pub assignee: String,
    /// Who finds owners for the component (BMO's field or the setting).
    pub triage_owner: Option<String>,
    pub leads: Vec<String>,
    /// The first lead, for "@lead" style addressing.
    pub lead: Option<String>,
    pub qa: Option<String>,
    /// `open (NEW)`, `done`, `cancelled (WONTFIX)`.
    pub status: String,
    /// `missing`, `requested from …`, `granted by …`, `denied by …`.
    pub webdev_signoff: String,
    pub qa_signoff: String,
    pub checklist: Vec<ItemView>,
    /// The checklist items nobody has confirmed yet.
    pub unconfirmed: Vec<ItemView>,
}

fn signoff_words(s: &Signoff) -> String {
    let who = |w: &Option<String>| w.clone().unwrap_or_else(|| "anyone".to_string());
    match s {
        Signoff::Missing => "missing".to_string(),
        Signoff::Requested { requestee } => format!("requested from {}", who(requestee)),
        Signoff::Granted { by } => format!("granted by {}", who(by)),
        Signoff::Denied { by } => format!("denied by {}", who(by)),
        Signoff::NotAllowed { granted, by } => format!(
            "missing: set {} by {}, who may not give it",
            if *granted { '+' } else { '-' },
            who(by)
        ),
    }
}

impl PushView {
    pub fn new(p: &PushBug, tz: Tz) -> PushView {
        let (when, week, source, unscheduled_reason) = match &p.schedule {
            Schedule::At { at, source, .. } => (
                Some(clock::format_local(*at, tz)),
                Some(clock::IsoWeekId::of_instant(*at, tz).to_string()),
                Some(source.clone()),
                None,
            ),
            Schedule::Unscheduled { reason } => (None, None, None, Some(reason.clone())),
        };
        let items: Vec<ItemView> = p
            .checklist
            .iter()
            .map(|c| ItemView {
                id: c.id.clone(),
                text: c.text.clone(),
                tag: c.tag.clone(),
                confirmed_by: c.confirmed_by.clone(),
            })
            .collect();
        PushView {
            id: p.id.0,
            summary: p.summary.clone(),
            app: p.app.clone().unwrap_or_else(|| "unknown app".to_string()),
            size: p.size.to_string(),
            when,
            week,
            source,
            unscheduled_reason,
            owner: p.owner.clone(),
            assignee: p.assignee.clone(),
            triage_owner: p.triage_owner.clone(),
            leads: p.leads.clone(),
            lead: p.leads.first().cloned(),
            qa: p.qa.clone(),
            status: match &p.status {
                PushStatus::Open { status } => format!("open ({status})"),
                PushStatus::Done => "done".to_string(),
                PushStatus::Cancelled { resolution } => format!("cancelled ({resolution})"),
            },
            webdev_signoff: signoff_words(&p.webdev_signoff),
            qa_signoff: signoff_words(&p.qa_signoff),
            unconfirmed: items
                .iter()
                .filter(|i| i.confirmed_by.is_none())
                .cloned()
                .collect(),
            checklist: items,
        }
    }
}

/// Two sample pushes (an AMO push with a lead and QA, and a SUMO push in
/// the same week) that `rules check` renders every template against.
pub fn sample_pushes(settings: &PushSettings, tz: Tz) -> Vec<PushBug> {
    let created = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).single();
    let amo = Bug {
        id: BugId(1001),
        summary: "Push AMO 2026.12.01 to production".to_string(),
        status: "NEW".to_string(),
        product: "Websites".to_string(),
        component: "Push".to_string(),
        assigned_to: "nobody@mozilla.org".to_string(),
        qa_contact: "qa@example.test".to_string(),
        whiteboard: "[push:amo] [push 2026-12-01 16:00] [backup-done]".to_string(),
        target_milestone: "---".to_string(),
        creation_time: created,
        flags: vec![Flag {
            id: 1,
            name: settings.signoff_flags.qa.clone(),
            type_id: None,
            status: FlagStatus::Requested,
            setter: Some("lead@example.test".to_string()),
            requestee: Some("qa@example.test".to_string()),
            creation_date: created,
            modification_date: created,
        }],
        ..Bug::default()
    };
    let sumo = Bug {
        id: BugId(1002),
        summary: "Push SUMO 2026-12-03 to production".to_string(),
        status: "ASSIGNED".to_string(),
        component: "Push".to_string(),
        assigned_to: "dev@example.test".to_string(),
        whiteboard: "[push:sumo]".to_string(),
        creation_time: created,
        ..Bug::default()
    };
    let mut pushes = vec![
        extract(&amo, &[], settings, "pushbot@example.test", tz),
        extract(&sumo, &[], settings, "pushbot@example.test", tz),
    ];
    // Give the sample a lead and a triage owner even when the settings
    // name none, so templates that use `bug.lead` or `bug.triage_owner`
    // are exercised.
    if pushes[0].leads.is_empty() {
        pushes[0].leads = vec!["lead@example.test".to_string()];
    }
    if pushes[0].triage_owner.is_none() {
        pushes[0].triage_owner = Some("triage@example.test".to_string());
    }
    pushes
}
