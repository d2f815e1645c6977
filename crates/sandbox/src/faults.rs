//! Fault injection: which requests the sandbox answers badly, and how.
//!
//! A [`FaultPlan`] is a list of rules tried in order; the first rule whose
//! route matches and whose trigger fires decides the request's fate.
//! Triggers are deterministic: "the next N requests" or a share drawn from
//! a seeded generator. This module only decides; the HTTP layer
//! (`server.rs`) carries the fault out.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with a `Retry-After` header (seconds).
    TooManyRequests { retry_after_secs: u64 },
    /// A 5xx answer with a non-JSON body, as a proxy in front would send.
    ServerError { status: u16 },
    /// Wait this long (milliseconds) before answering normally: past the
    /// client's timeout.
    Delay { millis: u64 },
    /// Close the socket without answering; the request is not applied.
    DropConnection,
    /// Answer normally but cut the body in half and close the socket.
    TruncateBody,
    /// Apply the request (a write succeeds) but lose the answer.
    LostResponse { then: LostAnswer },
    /// Accept the request but apply it only later, in the background,
    /// whether or not the client is still there: a real Bugzilla finishes
    /// a request the client (or a proxy) gave up on. When it is applied is
    /// `land`; until then the answer is held or replaced per `answer`.
    /// `SandboxHandle::land_late_writes` applies every waiting one at once
    /// and waits for them; `SandboxHandle::wait_late_writes_accepted`
    /// waits until one is being held, so a test acts while a write is in
    /// flight by construction, not after a guessed delay. Reads work the
    /// same way (nothing changes when one is applied; its answer waits).
    LateWrite { land: Landing, answer: LateAnswer },
}

/// When a [`FaultKind::LateWrite`] is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// By itself, this long (milliseconds) after it was accepted.
    AfterMillis(u64),
    /// Just before the sandbox answers the next request it receives,
    /// whatever its route. A client that sends one request at a time and
    /// gets [`LateAnswer::Hold`] has given up on this one (its timeout)
    /// before it sends the next, so the write lands after the client gave
    /// up and before its re-read by construction: no delay races a timeout.
    BeforeNextRequest,
    /// Only when the test calls `SandboxHandle::land_late_writes`.
    WhenLanded,
}

/// What the client sees of a [`FaultKind::LateWrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateAnswer {
    /// No answer until the write is applied, then the real one: a client
    /// whose timeout is shorter (or that sends another request meanwhile,
    /// with [`Landing::BeforeNextRequest`]) has given up by then.
    Hold,
    /// 504 Gateway Timeout at once, as a proxy that stopped waiting for a
    /// slow backend which still finishes the write.
    GatewayTimeout,
}

/// How the answer of a [`FaultKind::LostResponse`] is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// Close the socket without answering.
    Drop,
    /// Answer 502 Bad Gateway.
    BadGateway,
}

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// The next `n` matching requests.
    Next(u32),
    /// Each matching request with this probability (0.0–1.0), drawn from the
    /// plan's seeded generator.
    Share(f64),
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Route to match, as the request log names it: `"PUT /rest/bug/{id}"`,
    /// or without the method (`"/rest/bug"`) for any method; `None` matches
    /// every request.
    pub route: Option<String>,
    pub kind: FaultKind,
    pub trigger: Trigger,
}

impl FaultRule {
    /// A rule for the next `n` requests of `route`.
    pub fn next(n: u32, route: &str, kind: FaultKind) -> Self {
        Self {
            route: Some(route.to_owned()),
            kind,
            trigger: Trigger::Next(n),
        }
    }

    /// A rule for a share (0.0–1.0) of all requests.
    pub fn share(share: f64, kind: FaultKind) -> Self {
        Self {
            route: None,
            kind,
            trigger: Trigger::Share(share),
        }
    }

    fn matches(&self, route: &str) -> bool {
        match &self.route {
            None => true,
            Some(wanted) => {
                wanted == route
                    || route
                        .split_once(' ')
                        .is_some_and(|(_, path)| path == wanted)
            }
        }
    }
}

/// The faults of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    /// Seed for [`Trigger::Share`] draws, so a run can be repeated.
    pub seed: u64,
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// A plan with these rules and seed 0.
    pub fn with_rules(rules: Vec<FaultRule>) -> Self {
        Self { seed: 0, rules }
    }
}

/// A plan being carried out: counts what is left of each `Next` rule.
#[derive(Debug)]
pub(crate) struct FaultState {
    rules: Vec<(FaultRule, u32)>,
    rng: StdRng,
}

impl FaultState {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let rules = plan
            .rules
            .into_iter()
            .map(|rule| {
                let left = match rule.trigger {
                    Trigger::Next(n) => n,
                    Trigger::Share(_) => 0,
                };
                (rule, left)
            })
            .collect();
        Self {
            rules,
            rng: StdRng::seed_from_u64(plan.seed),
        }
    }

    /// The fault for a request to `route`, if any.
    pub(crate) fn decide(&mut self, route: &str) -> Option<FaultKind> {
        for (rule, left) in &mut self.rules {
            if !rule.matches(route) {
                continue;
            }
            match rule.trigger {
                Trigger::Next(_) if *left > 0 => {
                    *left -= 1;
                    return Some(rule.kind);
                }
                Trigger::Next(_) => {}
                Trigger::Share(share) => {
                    if self.rng.random_bool(share.clamp(0.0, 1.0)) {
                        return Some(rule.kind);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_rule_fires_exactly_n_times_on_its_route() {
        let mut state = FaultState::new(FaultPlan::with_rules(vec![FaultRule::next(
            2,
            "GET /rest/bug",
            FaultKind::DropConnection,
        )]));
        assert_eq!(state.decide("GET /rest/version"), None);
        assert_eq!(
            state.decide("GET /rest/bug"),
            Some(FaultKind::DropConnection)
        );
        assert_eq!(
            state.decide("GET /rest/bug"),
            Some(FaultKind::DropConnection)
        );
        assert_eq!(state.decide("GET /rest/bug"), None);
    }

    #[test]
    fn shares_repeat_with_the_same_seed() {
        let plan = FaultPlan {
            seed: 7,
            rules: vec![FaultRule::share(
                0.5,
                FaultKind::ServerError { status: 503 },
            )],
        };
        let draw = |plan: FaultPlan| {
            let mut state = FaultState::new(plan);
            (0..64)
                .map(|_| state.decide("GET /rest/bug").is_some())
                .collect::<Vec<_>>()
        };
        let first = draw(plan.clone());
        assert_eq!(first, draw(plan));
        assert!(first.iter().any(|hit| *hit) && first.iter().any(|hit| !hit));
    }

    #[test]
    fn a_route_without_method_matches_every_method() {
        let rule = FaultRule::next(1, "/rest/bug/{id}", FaultKind::TruncateBody);
        assert!(rule.matches("PUT /rest/bug/{id}"));
        assert!(!rule.matches("PUT /rest/bug/{id}/comment"));
    }
}
