//! Test builders: pushes with sensible defaults, rule sets from inline TOML,
//! and a fixed team zone (Los Angeles).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{evaluate, RuleSet, Verdict};
use crate::bugzilla::{BugId, CommentId};
use crate::clock;
use crate::push::{
    ChecklistState, PushBug, PushSettings, PushStatus, Schedule, SeenMarker, Signoff, SizeClass,
};

pub const LA: Tz = chrono_tz::America::Los_Angeles;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A push, by default: AMO (large), owned by dev@example.test, open,
/// scheduled Tue 2026-12-01 16:00 Los Angeles, filed 2026-11-20 18:00 UTC,
/// no sign-off, nothing confirmed, no markers.
pub struct PushBuilder(PushBug);

impl PushBuilder {
    pub fn new(id: u64) -> Self {
        let settings = PushSettings::default();
        let mut b = PushBuilder(PushBug {
            id: BugId(id),
            summary: format!("Push {id}"),
            product: "Websites".to_string(),
            component: "Push".to_string(),
            groups: Vec::new(),
            app: Some("AMO".to_string()),
            size: SizeClass::Large,
            size_reason: "app AMO".to_string(),
            schedule: Schedule::Unscheduled {
                reason: String::new(),
            },
            assignee: "dev@example.test".to_string(),
            owner: Some("dev@example.test".to_string()),
            triage_owner: None,
            leads: Vec::new(),
            qa: Some("qa@example.test".to_string()),
            webdev_signoff: Signoff::Missing,
            qa_signoff: Signoff::Missing,
            checklist: settings
                .checklist
                .iter()
                .map(|c| ChecklistState {
                    id: c.id.clone(),
                    text: c.text.clone(),
                    tag: c.tag.clone(),
                    confirmed_by: None,
                })
                .collect(),
            status: PushStatus::Open {
                status: "NEW".to_string(),
            },
            opted_out: false,
            created: Some(Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap()),
            markers: Vec::new(),
            last_human_comment: None,
        });
        b = b.at("2026-12-01 16:00");
        b
    }

    pub fn from(push: PushBug) -> Self {
        PushBuilder(push)
    }

    pub fn build(self) -> PushBug {
        self.0
    }

    /// Local time in Los Angeles, `YYYY-MM-DD HH:MM`.
    pub fn at(mut self, local: &str) -> Self {
        let naive = clock::parse_local_date_time(local).unwrap();
        let (at, _) = clock::local_to_utc(naive, LA).unwrap();
        self.0.schedule = Schedule::At {
            at,
            source: format!("test `{local}`"),
            note: None,
        };
        self
    }

    /// A bug restricted to `groups` (Bugzilla's security groups).
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.0.groups = groups.iter().map(|g| g.to_string()).collect();
        self
    }

    pub fn unscheduled(mut self) -> Self {
        self.0.schedule = Schedule::Unscheduled {
            reason: "no push date found".to_string(),
        };
        self
    }

    pub fn unowned(mut self) -> Self {
        self.0.assignee = "nobody@mozilla.org".to_string();
        self.0.owner = None;
        self
    }

    pub fn size(mut self, size: SizeClass) -> Self {
        self.0.size = size;
        self
    }

    pub fn triage_owner(mut self, login: &str) -> Self {
        self.0.triage_owner = Some(login.to_string());
        self
    }

    pub fn leads(mut self, leads: &[&str]) -> Self {
        self.0.leads = leads.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn created(mut self, t: &str) -> Self {
        self.0.created = Some(utc(t));
        self
    }

    pub fn done(mut self) -> Self {
        self.0.status = PushStatus::Done;
        self
    }

    pub fn cancelled(mut self) -> Self {
        self.0.status = PushStatus::Cancelled {
            resolution: "WONTFIX".to_string(),
        };
        self
    }

    /// A person (not the bot) commented at `t` (UTC, RFC 3339).
    pub fn human_comment(mut self, t: &str) -> Self {
        self.0.last_human_comment = Some(utc(t));
        self
    }

    pub fn opted_out(mut self) -> Self {
        self.0.opted_out = true;
        self
    }

    pub fn signoffs(mut self, webdev: Signoff, qa: Signoff) -> Self {
        self.0.webdev_signoff = webdev;
        self.0.qa_signoff = qa;
        self
    }

    pub fn confirm_all(mut self) -> Self {
        for item in &mut self.0.checklist {
            item.confirmed_by = Some("whiteboard".to_string());
        }
        self
    }

    pub fn marker(mut self, rule: &str, discriminator: &str, at: &str) -> Self {
        let n = self.0.markers.len() as u64;
        self.0.markers.push(SeenMarker {
            marker: crate::plan::Marker::from_parts(rule, discriminator),
            at: utc(at),
            comment: CommentId(9000 + n),
        });
        self
    }
}

/// A one-rule set from a file name stem, a kind and the rest of the file.
pub fn rule_set(name: &str, kind: &str, rest: &str) -> RuleSet {
    let file = format!("{name}.toml");
    let src = format!("kind = \"{kind}\"\n{rest}\n");
    match RuleSet::from_sources(&[(&file, &src)]) {
        Ok(set) => set,
        Err(e) => panic!("test rule does not load: {e}"),
    }
}

/// All verdicts with default push settings, in Los Angeles, at `now` (RFC 3339).
pub fn all(rules: &RuleSet, pushes: &[PushBug], now: &str) -> Vec<Verdict> {
    evaluate(rules, pushes, &PushSettings::default(), LA, utc(now))
}

/// The verdict about the first push.
pub fn one(rules: &RuleSet, pushes: &[PushBug], now: &str) -> Verdict {
    all(rules, pushes, now)
        .into_iter()
        .find(|v| v.bug == pushes[0].id)
        .unwrap()
}
