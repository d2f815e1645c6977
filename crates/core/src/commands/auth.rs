//! Who may run which command (DESIGN.md, invariant 5): a pure decision from
//! the `[commands.allow]` settings, the commenter's login, the group
//! memberships the caller looked up and the app's leads.
//!
//! The caller asks Bugzilla one group at a time for the groups
//! [`groups_to_ask`] names and reports each answer as a [`Membership`].
//! A user's `groups: []` from `GET /rest/user` must never become
//! `NotMember`: a bot that is not an admin sees an empty list for every
//! other user, so it says nothing. Anything not confirmed is
//! [`Membership::Unknown`], and unknown never allows.
//!
//! Pure: no I/O, no clock. It must not look anything up itself.

use std::collections::BTreeMap;

use super::{Command, CommandKind, CommandSettings, Who};

/// What the caller found out about one group membership of the commenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Bugzilla confirmed the commenter is in the group.
    Member,
    /// Bugzilla confirmed the commenter is not in the group (e.g. a
    /// per-group member query that does not list them).
    NotMember,
    /// Not known: the lookup failed, was not made, or could only see an
    /// empty `groups` list.
    Unknown,
}

impl Membership {
    /// The answer of a per-group lookup such as
    /// `Client::is_member(login, group)` (`/rest/user?names=LOGIN&groups=GROUP`,
    /// which returns the user only if a member): `Ok(true)` is a member,
    /// `Ok(false)` is not, and any error (e.g. 400/804 when the bot itself
    /// is not in the group) is unknown.
    pub fn from_lookup<E>(lookup: &Result<bool, E>) -> Membership {
        match lookup {
            Ok(true) => Membership::Member,
            Ok(false) => Membership::NotMember,
            Err(_) => Membership::Unknown,
        }
    }
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Answer with a polite refusal ([`super::messages::refusal`]) and do
    /// nothing else.
    Refused {
        reason: Refusal,
    },
}

/// Why a command was refused; [`super::messages`] words it for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Only the app's lead(s) may run this command.
    NotLead {
        command: CommandKind,
        leads: Vec<String>,
    },
    /// The command is for leads, and this app has no lead configured.
    NoLeadConfigured { command: CommandKind },
    /// The commenter is not in the group the command needs.
    NotInGroup { command: CommandKind, group: String },
    /// The group membership could not be confirmed.
    MembershipUnknown { command: CommandKind, group: String },
}

impl Refusal {
    /// True when asking again later may give another answer (the
    /// membership lookup failed). A handler may prefer to retry the
    /// command in a later cycle over refusing it now.
    pub fn is_transient(&self) -> bool {
        matches!(self, Refusal::MembershipUnknown { .. })
    }
}

/// The Bugzilla groups whose membership [`authorize`] needs for this
/// command (empty when the settings need none).
pub fn groups_to_ask(command: &Command, settings: &CommandSettings) -> Vec<String> {
    match settings.allow.who(command.kind()) {
        Who::Group(group) => vec![group.clone()],
        Who::Anyone | Who::Leads => Vec::new(),
    }
}

/// Whether `commenter` may run `command`.
///
/// - `memberships`: the caller's answers for [`groups_to_ask`]; a group
///   missing from the map counts as [`Membership::Unknown`].
/// - `leads`: the logins of the bug's app's lead(s), compared without
///   regard to case or surrounding white space. A lead may also run every
///   command that a group may run: the lead is named by the team's own
///   configuration, which is stronger than a group.
pub fn authorize(
    command: &Command,
    commenter: &str,
    memberships: &BTreeMap<String, Membership>,
    leads: &[String],
    settings: &CommandSettings,
) -> Decision {
    let kind = command.kind();
    let is_lead = leads
        .iter()
        .any(|lead| lead.trim().eq_ignore_ascii_case(commenter.trim()));
    let refused = |reason| Decision::Refused { reason };
    match settings.allow.who(kind) {
        Who::Anyone => Decision::Allowed,
        Who::Leads if is_lead => Decision::Allowed,
        Who::Leads if leads.iter().all(|l| l.trim().is_empty()) => {
            refused(Refusal::NoLeadConfigured { command: kind })
        }
        Who::Leads => refused(Refusal::NotLead {
            command: kind,
            leads: leads.to_vec(),
        }),
        Who::Group(_) if is_lead => Decision::Allowed,
        Who::Group(group) => match memberships.get(group).copied() {
            Some(Membership::Member) => Decision::Allowed,
            Some(Membership::NotMember) => refused(Refusal::NotInGroup {
                command: kind,
                group: group.clone(),
            }),
            Some(Membership::Unknown) | None => refused(Refusal::MembershipUnknown {
                command: kind,
                group: group.clone(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{OwnerArg, SnoozeDuration};

    const LEAD: &str = "lead@example.org";
    const OTHER: &str = "dev@example.org";

    fn every_command() -> Vec<Command> {
        let Some(duration) = SnoozeDuration::from_hours(48) else {
            panic!("48 hours is a duration");
        };
        vec![
            Command::Help,
            Command::Check,
            Command::Signoff,
            Command::Summary { next: false },
            Command::Summary { next: true },
            Command::Snooze { duration },
            Command::Unsnooze,
            Command::Go,
            Command::NoGo {
                reason: Some("backups".to_string()),
            },
            Command::NoGo { reason: None },
            Command::Owner(OwnerArg::Me),
            Command::Owner(OwnerArg::Email("a@b.c".to_string())),
        ]
    }

    fn lead_only(command: &Command) -> bool {
        matches!(command, Command::Go | Command::NoGo { .. })
    }

    fn editbugs(m: Membership) -> BTreeMap<String, Membership> {
        BTreeMap::from([("editbugs".to_string(), m)])
    }

    fn decide(command: &Command, who: &str, m: Membership) -> Decision {
        let settings = CommandSettings::default();
        authorize(command, who, &editbugs(m), &[LEAD.to_string()], &settings)
    }

    #[test]
    fn groups_to_ask_follow_the_settings() {
        let settings = CommandSettings::default();
        for command in every_command() {
            let expected: Vec<String> = if lead_only(&command) {
                Vec::new()
            } else {
                vec!["editbugs".to_string()]
            };
            assert_eq!(groups_to_ask(&command, &settings), expected, "{command:?}");
        }
        let mut custom = CommandSettings::default();
        custom.allow.go = Who::Group("release".to_string());
        custom.allow.help = Who::Anyone;
        assert_eq!(groups_to_ask(&Command::Go, &custom), vec!["release"]);
        assert!(groups_to_ask(&Command::Help, &custom).is_empty());
    }

    #[test]
    fn a_group_member_may_run_everyday_commands_only() {
        for command in every_command() {
            let decision = decide(&command, OTHER, Membership::Member);
            if lead_only(&command) {
                assert_eq!(
                    decision,
                    Decision::Refused {
                        reason: Refusal::NotLead {
                            command: command.kind(),
                            leads: vec![LEAD.to_string()]
                        }
                    },
                    "{command:?}"
                );
            } else {
                assert_eq!(decision, Decision::Allowed, "{command:?}");
            }
        }
    }

    #[test]
    fn a_non_member_is_refused_everything() {
        for command in every_command() {
            let decision = decide(&command, OTHER, Membership::NotMember);
            let expected = if lead_only(&command) {
                Refusal::NotLead {
                    command: command.kind(),
                    leads: vec![LEAD.to_string()],
                }
            } else {
                Refusal::NotInGroup {
                    command: command.kind(),
                    group: "editbugs".to_string(),
                }
            };
            assert_eq!(
                decision,
                Decision::Refused { reason: expected },
                "{command:?}"
            );
        }
    }

    #[test]
    fn unknown_membership_never_allows() {
        for command in every_command() {
            for memberships in [editbugs(Membership::Unknown), BTreeMap::new()] {
                let decision = authorize(
                    &command,
                    OTHER,
                    &memberships,
                    &[LEAD.to_string()],
                    &CommandSettings::default(),
                );
                let Decision::Refused { reason } = decision else {
                    panic!("{command:?} was allowed on unknown membership");
                };
                assert_eq!(reason.is_transient(), !lead_only(&command), "{command:?}");
            }
        }
    }

    #[test]
    fn a_lead_may_run_everything_whatever_the_membership() {
        for command in every_command() {
            for m in [
                Membership::Member,
                Membership::NotMember,
                Membership::Unknown,
            ] {
                assert_eq!(
                    decide(&command, LEAD, m),
                    Decision::Allowed,
                    "{command:?} {m:?}"
                );
            }
            // Logins compare without regard to case.
            assert_eq!(
                decide(&command, " Lead@Example.org", Membership::Unknown),
                Decision::Allowed
            );
        }
    }

    #[test]
    fn leads_only_commands_without_a_lead_are_refused_as_such() {
        for command in [Command::Go, Command::NoGo { reason: None }] {
            for leads in [vec![], vec![" ".to_string()]] {
                let decision = authorize(
                    &command,
                    OTHER,
                    &editbugs(Membership::Member),
                    &leads,
                    &CommandSettings::default(),
                );
                assert_eq!(
                    decision,
                    Decision::Refused {
                        reason: Refusal::NoLeadConfigured {
                            command: command.kind()
                        }
                    }
                );
            }
        }
    }

    #[test]
    fn a_failed_lookup_is_unknown_membership() {
        assert_eq!(Membership::from_lookup::<()>(&Ok(true)), Membership::Member);
        assert_eq!(
            Membership::from_lookup::<()>(&Ok(false)),
            Membership::NotMember
        );
        assert_eq!(Membership::from_lookup(&Err("804")), Membership::Unknown);
    }

    #[test]
    fn anyone_means_anyone() {
        let mut settings = CommandSettings::default();
        settings.allow.help = Who::Anyone;
        let decision = authorize(&Command::Help, OTHER, &BTreeMap::new(), &[], &settings);
        assert_eq!(decision, Decision::Allowed);
    }

    #[test]
    fn membership_of_another_group_does_not_count() {
        let mut settings = CommandSettings::default();
        settings.allow.check = Who::Group("webdev".to_string());
        let decision = authorize(
            &Command::Check,
            OTHER,
            &editbugs(Membership::Member),
            &[],
            &settings,
        );
        assert_eq!(
            decision,
            Decision::Refused {
                reason: Refusal::MembershipUnknown {
                    command: CommandKind::Check,
                    group: "webdev".to_string()
                }
            }
        );
    }
}
