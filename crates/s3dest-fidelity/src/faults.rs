//! Which request gets a fault, and what the fault looks like to the client.
//!
//! Errors mirror each service's documented throttling and server errors (IAM API
//! Reference: Common Errors, `Throttling`, `ServiceFailure`; Amazon S3: Error
//! responses, `SlowDown`, `InternalError`, `ServiceUnavailable`; Secrets Manager API
//! Reference: Common Errors, `ThrottlingException`, `InternalServiceError`); resets
//! mirror what the SDKs' retry guides call transient I/O errors, the lost reply of a
//! write that happened above all.

use std::collections::BTreeMap;
use std::time::Duration;

use http::StatusCode;

use crate::config::{FaultKind, FaultPlan};
use crate::operation::{Operation, Service};
use crate::reply::{self, Reply};

/// What the proxy does about one request.
#[derive(Debug)]
pub enum Injection {
    /// Answer this instead of forwarding.
    Reply(Reply),
    CloseBeforeForward,
    CloseAfterForward,
    CloseMidResponse,
    Delay(Duration),
}

/// Counters and the generator: reset whenever a plan is set.
#[derive(Debug, Clone)]
pub struct FaultState {
    rng: u64,
    seen: BTreeMap<String, u64>,
    total: u64,
}

impl FaultState {
    pub fn new(plan: Option<&FaultPlan>) -> FaultState {
        FaultState {
            rng: plan.map_or(0, |p| p.seed),
            seen: BTreeMap::new(),
            total: 0,
        }
    }

    /// The fault for this request, if any; counts it towards the schedule either way.
    pub fn decide(&mut self, plan: &FaultPlan, op: &Operation) -> Option<FaultKind> {
        let seen = self.seen.entry(op.name.clone()).or_insert(0);
        *seen += 1;
        let nth = *seen;
        self.total += 1;
        let scheduled = plan.schedule.iter().find(|s| {
            (s.operation == op.name && s.nth == nth) || (s.operation == "*" && s.nth == self.total)
        });
        if let Some(entry) = scheduled {
            return Some(entry.fault);
        }
        let in_scope = plan.rate > 0.0
            && (plan.operations.is_empty() || plan.operations.contains(&op.name))
            && (!plan.writes_only || op.is_write());
        if !in_scope || self.next_unit() >= plan.rate {
            return None;
        }
        let defaults = default_kinds(op.service);
        let kinds = if plan.kinds.is_empty() {
            defaults
        } else {
            &plan.kinds[..]
        };
        let index = (self.next_u64() % kinds.len() as u64) as usize;
        kinds.get(index).copied()
    }

    /// splitmix64: small, seedable, and the same everywhere.
    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The mix a rate picks from when the plan names no kinds.
fn default_kinds(service: Service) -> &'static [FaultKind] {
    use FaultKind::*;
    match service {
        Service::Iam | Service::Sts => &[
            Throttling,
            InternalError,
            ResetBeforeForward,
            ResetAfterForward,
        ],
        Service::S3 => &[
            SlowDown,
            InternalError,
            ServiceUnavailable,
            ResetBeforeForward,
            ResetAfterForward,
            ResetMidResponse,
        ],
        Service::SecretsManager => &[
            ThrottlingException,
            InternalError,
            ResetBeforeForward,
            ResetAfterForward,
        ],
    }
}

/// How a fault shows for the operation `op` of this service.
pub fn injection(kind: FaultKind, service: Service, op: &str) -> Injection {
    use FaultKind::*;
    match kind {
        AccessDenied => Injection::Reply(access_denied(service, op)),
        Throttling | SlowDown | ThrottlingException => Injection::Reply(throttle(service)),
        InternalError => Injection::Reply(internal_error(service)),
        ServiceUnavailable => Injection::Reply(reply::error(
            service,
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service is unable to handle request.",
        )),
        ResetBeforeForward => Injection::CloseBeforeForward,
        ResetAfterForward => Injection::CloseAfterForward,
        ResetMidResponse => Injection::CloseMidResponse,
        Latency(duration) => Injection::Delay(duration),
    }
}

/// AWS's denial: its code in each service, and the message form of IAM and STS
/// ("User: ... is not authorized to perform: ACTION"; the proxy does not know the caller).
fn access_denied(service: Service, op: &str) -> Reply {
    let prefix = match service {
        Service::Iam => "iam",
        Service::Sts => "sts",
        Service::S3 => "s3",
        Service::SecretsManager => "secretsmanager",
    };
    let message = format!("User is not authorized to perform: {prefix}:{op}");
    match service {
        Service::Iam | Service::Sts => {
            reply::query_error(StatusCode::FORBIDDEN, "AccessDenied", &message)
        }
        Service::S3 => reply::s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"),
        Service::SecretsManager => {
            reply::json_error(StatusCode::BAD_REQUEST, "AccessDeniedException", &message)
        }
    }
}

fn throttle(service: Service) -> Reply {
    match service {
        Service::Iam | Service::Sts => {
            reply::query_error(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
        }
        Service::S3 => reply::s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Service::SecretsManager => reply::json_error(
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate exceeded",
        ),
    }
}

fn internal_error(service: Service) -> Reply {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    match service {
        Service::Iam => reply::query_error(
            status,
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        Service::Sts => reply::query_error(
            status,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        Service::S3 => reply::s3_error(
            status,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        Service::SecretsManager => reply::json_error(
            status,
            "InternalServiceError",
            "An error occurred on the server side.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ScheduledFault;

    fn op(service: Service, name: &str) -> Operation {
        Operation {
            service,
            name: name.into(),
            bucket: None,
            key: None,
        }
    }

    #[test]
    fn a_schedule_hits_exactly_the_nth_request() {
        let plan = FaultPlan {
            schedule: vec![ScheduledFault {
                operation: "CreateRole".into(),
                nth: 2,
                fault: FaultKind::ResetAfterForward,
            }],
            ..FaultPlan::default()
        };
        let mut state = FaultState::new(Some(&plan));
        let create = op(Service::Iam, "CreateRole");
        assert_eq!(state.decide(&plan, &op(Service::Iam, "GetRole")), None);
        assert_eq!(state.decide(&plan, &create), None);
        assert_eq!(
            state.decide(&plan, &create),
            Some(FaultKind::ResetAfterForward)
        );
        assert_eq!(state.decide(&plan, &create), None);
    }

    #[test]
    fn a_rate_is_deterministic_and_scoped() {
        let plan = FaultPlan {
            rate: 0.5,
            seed: 42,
            operations: ["CreateAccessKey".to_owned()].into(),
            ..FaultPlan::default()
        };
        let run = || {
            let mut state = FaultState::new(Some(&plan));
            (0..200)
                .map(|_| state.decide(&plan, &op(Service::Iam, "CreateAccessKey")))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run(), "same seed, same faults");
        let hits = first.iter().filter(|f| f.is_some()).count();
        assert!((60..140).contains(&hits), "{hits} of 200 at rate 0.5");
        let kinds = default_kinds(Service::Iam);
        assert!(first.iter().flatten().all(|k| kinds.contains(k)));
        let mut state = FaultState::new(Some(&plan));
        assert!((0..50).all(|_| {
            state
                .decide(&plan, &op(Service::Iam, "ListRoles"))
                .is_none()
        }));
    }

    #[test]
    fn writes_only_spares_reads() {
        let plan = FaultPlan {
            rate: 1.0,
            writes_only: true,
            kinds: vec![FaultKind::SlowDown],
            ..FaultPlan::default()
        };
        let mut state = FaultState::new(Some(&plan));
        assert_eq!(state.decide(&plan, &op(Service::S3, "GetObject")), None);
        assert_eq!(
            state.decide(&plan, &op(Service::S3, "PutObject")),
            Some(FaultKind::SlowDown)
        );
    }

    #[test]
    fn a_denial_names_the_action_in_iam_and_sts_form() {
        let Injection::Reply(sts) = injection(FaultKind::AccessDenied, Service::Sts, "AssumeRole")
        else {
            panic!()
        };
        assert_eq!(sts.status, StatusCode::FORBIDDEN);
        let text = sts.text().unwrap();
        assert!(text.contains("<Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message>"), "{text}");
        let Injection::Reply(s3) = injection(FaultKind::AccessDenied, Service::S3, "PutObject")
        else {
            panic!()
        };
        assert!(s3.text().unwrap().contains("<Code>AccessDenied</Code>"));
    }

    #[test]
    fn throttling_speaks_each_services_dialect() {
        let Injection::Reply(s3) = injection(FaultKind::Throttling, Service::S3, "PutObject")
        else {
            panic!()
        };
        assert_eq!(s3.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(s3.text().unwrap().contains("<Code>SlowDown</Code>"));
        let Injection::Reply(iam) = injection(FaultKind::SlowDown, Service::Iam, "GetRole") else {
            panic!()
        };
        assert!(iam.text().unwrap().contains("<Code>Throttling</Code>"));
        let Injection::Reply(sm) = injection(
            FaultKind::Throttling,
            Service::SecretsManager,
            "ListSecrets",
        ) else {
            panic!()
        };
        assert!(sm.text().unwrap().contains("ThrottlingException"));
    }
}
