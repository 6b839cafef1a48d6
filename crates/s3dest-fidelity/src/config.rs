//! What a test switches on ([`Behaviours`]) and what the proxy counts ([`Stats`]).
//! Both are serde types: the control API (`/_fidelity/config`, `/_fidelity/stats`)
//! speaks them as JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Every behaviour is off by default: `Behaviours::default()` is a transparent proxy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviours {
    /// Page every paginated operation the proxy knows at this size (see the crate docs).
    pub page_size: Option<usize>,
    /// Overrides `page_size` for IAM.
    pub iam_page_size: Option<usize>,
    /// Overrides `page_size` for S3 `ListObjectsV2`.
    pub s3_page_size: Option<usize>,
    /// Overrides `page_size` for Secrets Manager `ListSecrets`.
    pub secrets_page_size: Option<usize>,
    /// How long a new role or user is not yet a valid principal. JSON: milliseconds as
    /// a number, or a string such as `"2s"` or `"1500ms"`.
    #[serde(with = "duration_opt")]
    pub propagation_delay: Option<Duration>,
    pub faults: Option<FaultPlan>,
    /// Bucket → KMS key ARN: buckets whose default encryption is SSE-KMS.
    pub kms_buckets: BTreeMap<String, String>,
    /// GetBucketEncryption of a bucket without a configuration answers SSE-S3
    /// (`AES256`), as AWS does for every bucket since January 2023; moto answers
    /// `ServerSideEncryptionConfigurationNotFoundError`.
    pub sse_s3_by_default: bool,
    pub rewrite_deleted_principals: bool,
    pub encode_iam_documents: bool,
    pub realistic_bucket_policies: bool,
    pub conditional_delete_not_implemented: bool,
}

impl Behaviours {
    pub(crate) fn page_size(&self, service: crate::operation::Service) -> Option<usize> {
        use crate::operation::Service;
        let specific = match service {
            Service::Iam => self.iam_page_size,
            Service::S3 => self.s3_page_size,
            Service::SecretsManager => self.secrets_page_size,
            Service::Sts => None,
        };
        specific.or(self.page_size).map(|size| size.max(1))
    }
}

/// Faults to inject: a random rate, a schedule, or both (the schedule wins).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Probability (0..=1) that a request in scope gets a fault.
    pub rate: f64,
    /// Seeds the deterministic generator behind `rate` (the same seed and the same
    /// request sequence give the same faults).
    pub seed: u64,
    /// Kinds that `rate` picks from; empty: a mix appropriate to each service.
    pub kinds: Vec<FaultKind>,
    /// Operation names (`CreateRole`, `PutObject`, …) in scope for `rate`; empty: all.
    pub operations: BTreeSet<String>,
    /// Only writes are in scope for `rate` (anything but Get/List/Head/Describe…).
    pub writes_only: bool,
    /// Exact faults: the `nth` request of `operation` gets `fault`.
    pub schedule: Vec<ScheduledFault>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    /// An operation name, or `*` for any request.
    pub operation: String,
    /// 1-based, counted from when the plan was set.
    pub nth: u64,
    pub fault: FaultKind,
}

/// One injected fault. The three throttling kinds are each service's own way of
/// saying "slow down"; asked of another service, each renders as that service's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// IAM/STS: 400 `Throttling`, "Rate exceeded".
    Throttling,
    /// S3: 503 `SlowDown`.
    SlowDown,
    /// Secrets Manager: 400 `ThrottlingException`.
    ThrottlingException,
    /// 500 in the service's format (IAM `ServiceFailure`, STS `InternalFailure`,
    /// S3 `InternalError`, Secrets Manager `InternalServiceError`).
    InternalError,
    /// 503 `ServiceUnavailable`.
    ServiceUnavailable,
    /// The connection is closed without a reply; moto never sees the request.
    ResetBeforeForward,
    /// moto carries the request out, then the connection is closed without a reply.
    ResetAfterForward,
    /// moto carries the request out; the status line, headers and half the body are
    /// sent, then the connection is closed.
    ResetMidResponse,
    /// The request waits this long, then goes on normally.
    Latency(#[serde(with = "duration")] Duration),
    /// 403 `AccessDenied` (Secrets Manager: 400 `AccessDeniedException`), as AWS answers
    /// a request no policy allows, such as `AssumeRole` of a role whose trust policy does
    /// not admit the caller (which moto never checks). Never part of a default mix: a
    /// denial is not transient, and is asked for by name.
    AccessDenied,
}

impl FaultKind {
    /// The name faults are counted under in [`Stats::faults`].
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Throttling => "Throttling",
            FaultKind::SlowDown => "SlowDown",
            FaultKind::ThrottlingException => "ThrottlingException",
            FaultKind::InternalError => "InternalError",
            FaultKind::ServiceUnavailable => "ServiceUnavailable",
            FaultKind::ResetBeforeForward => "ResetBeforeForward",
            FaultKind::ResetAfterForward => "ResetAfterForward",
            FaultKind::ResetMidResponse => "ResetMidResponse",
            FaultKind::Latency(_) => "Latency",
            FaultKind::AccessDenied => "AccessDenied",
        }
    }
}

/// What the proxy saw since it started or was last reset. Only clients' requests
/// count: neither the control API, nor `/moto-api/`, nor the proxy's own requests to
/// moto.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub requests: u64,
    /// Operation name → requests received.
    pub operations: BTreeMap<String, u64>,
    /// Body bytes sent to clients.
    pub bytes_sent: u64,
    /// Fault kind name ([`FaultKind::name`]) → faults injected.
    pub faults: BTreeMap<String, u64>,
}

impl Stats {
    /// Requests received for one operation.
    pub fn count(&self, operation: &str) -> u64 {
        self.operations.get(operation).copied().unwrap_or(0)
    }

    /// Faults injected of one kind ([`FaultKind::name`]).
    pub fn faults_of(&self, kind: &str) -> u64 {
        self.faults.get(kind).copied().unwrap_or(0)
    }
}

/// Durations in JSON: a number of milliseconds, or a string with a unit (`ms`, `s`).
pub mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Millis(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Millis(ms) => Ok(Duration::from_millis(ms)),
            Raw::Text(text) => parse(&text).map_err(D::Error::custom),
        }
    }

    /// `"250ms"`, `"2s"`, `"1.5s"`, or a bare number of milliseconds.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        let invalid = || format!("invalid duration `{text}` (use e.g. 250ms or 2s)");
        let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
            (ms, 0.001)
        } else if let Some(s) = text.strip_suffix('s') {
            (s, 1.0)
        } else {
            (text, 0.001)
        };
        let value: f64 = number.trim().parse().map_err(|_| invalid())?;
        Duration::try_from_secs_f64(value * scale).map_err(|_| invalid())
    }
}

mod duration_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => super::duration::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::duration")] Duration);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(d)| d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_milliseconds_or_with_a_unit() {
        let b: Behaviours = serde_json::from_str(r#"{"propagation_delay": 1500}"#).unwrap();
        assert_eq!(b.propagation_delay, Some(Duration::from_millis(1500)));
        let b: Behaviours = serde_json::from_str(r#"{"propagation_delay": "2s"}"#).unwrap();
        assert_eq!(b.propagation_delay, Some(Duration::from_secs(2)));
        let b: Behaviours = serde_json::from_str(r#"{"propagation_delay": "0.5s"}"#).unwrap();
        assert_eq!(b.propagation_delay, Some(Duration::from_millis(500)));
        assert!(serde_json::from_str::<Behaviours>(r#"{"propagation_delay": "soon"}"#).is_err());
    }

    #[test]
    fn behaviours_round_trip_through_json() {
        let b = Behaviours {
            page_size: Some(2),
            propagation_delay: Some(Duration::from_millis(250)),
            faults: Some(FaultPlan {
                rate: 0.1,
                seed: 7,
                kinds: vec![FaultKind::Latency(Duration::from_millis(30))],
                schedule: vec![ScheduledFault {
                    operation: "CreateRole".into(),
                    nth: 1,
                    fault: FaultKind::ResetAfterForward,
                }],
                ..FaultPlan::default()
            }),
            ..Behaviours::default()
        };
        let json = serde_json::to_string(&b).unwrap();
        assert!(json.contains(r#""propagation_delay":250"#), "{json}");
        assert_eq!(serde_json::from_str::<Behaviours>(&json).unwrap(), b);
    }

    #[test]
    fn the_documented_example_reads() {
        let example = r#"{"page_size": 2, "propagation_delay": "2s",
            "faults": {"rate": 0.05, "seed": 7, "writes_only": true,
                       "schedule": [{"operation": "CreateRole", "nth": 1, "fault": "ResetAfterForward"}],
                       "kinds": ["Throttling", {"Latency": 200}]}}"#;
        let b: Behaviours = serde_json::from_str(example).unwrap();
        let plan = b.faults.unwrap();
        assert_eq!(
            plan.kinds,
            [
                FaultKind::Throttling,
                FaultKind::Latency(Duration::from_millis(200))
            ]
        );
        assert_eq!(plan.schedule[0].fault, FaultKind::ResetAfterForward);
        assert!(plan.writes_only);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Behaviours>(r#"{"page_sise": 2}"#).is_err());
    }

    #[test]
    fn specific_page_sizes_override_the_general_one() {
        use crate::operation::Service;
        let b = Behaviours {
            page_size: Some(5),
            s3_page_size: Some(2),
            ..Behaviours::default()
        };
        assert_eq!(b.page_size(Service::S3), Some(2));
        assert_eq!(b.page_size(Service::Iam), Some(5));
        assert_eq!(Behaviours::default().page_size(Service::Iam), None);
    }
}
