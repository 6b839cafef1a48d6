//! The fidelity layer: a loopback HTTP proxy in front of moto that makes it behave
//! like real AWS where s3dest depends on it. moto accepts almost anything and never
//! fails; real AWS pages, throttles, drops connections and takes time to know a new
//! principal.
//!
//! ```no_run
//! use s3dest_fidelity::{Behaviours, Fidelity};
//! let proxy = Fidelity::start("http://127.0.0.1:5000")?; // moto's endpoint
//! proxy.set(Behaviours { page_size: Some(2), ..Behaviours::default() });
//! let endpoint = proxy.endpoint(); // point the AWS SDK here
//! # Ok::<(), String>(())
//! ```
//!
//! Every behaviour is off by default: [`Behaviours::default()`] is a transparent
//! proxy (bodies, including `aws-chunked` uploads, are passed through untouched
//! unless a behaviour needs them). [`Fidelity::set`] takes effect on the next
//! request; [`Fidelity::reset`] turns everything off and forgets what was learned.
//! Subprocesses drive the same proxy over HTTP: `POST /_fidelity/config` (JSON
//! [`Behaviours`]), `POST /_fidelity/reset`, `GET /_fidelity/stats`. Paths under
//! `/moto-api/` are forwarded untouched and never faulted or counted. The JSON is
//! [`Behaviours`] with serde's defaults (durations in milliseconds, or `"2s"`):
//!
//! ```json
//! {"page_size": 2, "propagation_delay": "2s",
//!  "faults": {"rate": 0.05, "seed": 7, "writes_only": true,
//!             "schedule": [{"operation": "CreateRole", "nth": 1, "fault": "ResetAfterForward"}],
//!             "kinds": ["Throttling", {"Latency": 200}]}}
//! ```
//!
//! # Behaviours, and the AWS documentation each mirrors
//!
//! - **Pagination** (`page_size`, or `iam_page_size` / `s3_page_size` /
//!   `secrets_page_size`). The proxy removes the client's marker and maximum, asks
//!   moto for everything, and cuts the page out, with an opaque marker; a marker that
//!   is not one of the proxy's is refused as AWS refuses it.
//!   - IAM API Reference, "Using pagination" and each action's
//!     `Marker`/`MaxItems`/`IsTruncated`: GetAccountAuthorizationDetails (its
//!     UserDetailList, GroupDetailList, RoleDetailList and Policies paged as one
//!     sequence), ListRoles, ListUsers, ListAccessKeys, ListRolePolicies,
//!     ListUserPolicies, ListAttachedRolePolicies, ListAttachedUserPolicies.
//!     `MaxItems` smaller than the page wins. Bad marker: 400 `ValidationError`.
//!   - Amazon S3 API Reference, ListObjectsV2: `continuation-token`, `max-keys`,
//!     `KeyCount`, `IsTruncated`, `NextContinuationToken`; keys and common prefixes
//!     are counted together. Bad token: 400 `InvalidArgument`.
//!   - AWS Secrets Manager API Reference, ListSecrets: `MaxResults`, `NextToken`.
//!     Bad token: 400 `InvalidNextTokenException`.
//! - **IAM eventual consistency** (`propagation_delay`). IAM User Guide,
//!   "Troubleshooting IAM: Changes that I make are not always immediately visible",
//!   and Amazon S3 User Guide, "Bucket policy examples" (an unknown principal is
//!   `MalformedPolicy: Invalid principal in policy`). A role or user created through
//!   the proxy is not a valid principal until the delay has passed: PutBucketPolicy
//!   answers 400 `MalformedPolicy`; CreateRole and UpdateAssumeRolePolicy answer 400
//!   `MalformedPolicyDocument` `Invalid principal in policy: "AWS":"ARN"`.
//! - **Faults** (`faults`, a [`FaultPlan`]: a seeded rate, a schedule of "the Nth
//!   request of operation X", a scope of operations or writes only). IAM API
//!   Reference, "Common Errors" (`Throttling` 400, `ServiceFailure` 500,
//!   `ServiceUnavailable` 503); Amazon S3 API Reference, "Error responses" (`SlowDown`
//!   503, `InternalError` 500, `ServiceUnavailable` 503); Secrets Manager API
//!   Reference, "Common Errors" (`ThrottlingException`, `InternalServiceError`); the
//!   AWS SDKs and Tools Reference Guide, "Retry behavior" (transient errors include
//!   I/O errors: connections reset before, after, or in the middle of a reply). See
//!   [`FaultKind`]. `ResetAfterForward` is the one that matters most: the write
//!   happened, the reply was lost, and the retry finds it done.
//! - **SSE-KMS buckets** (`kms_buckets`, and learned from PutBucketEncryption with
//!   `aws:kms` or `aws:kms:dsse`). Amazon S3 API Reference, "Object" (`ETag`: "Objects
//!   encrypted by SSE-KMS … have ETags that are not an MD5 digest of their object
//!   data"), and PutObject/HeadObject/GetObject response headers
//!   `x-amz-server-side-encryption` and `x-amz-server-side-encryption-aws-kms-key-id`.
//!   ETags of PutObject, HeadObject, GetObject, CopyObject and ListObjects(V2) become a
//!   stable 32-hex value that is not the MD5; conditional headers naming that value
//!   are translated back for moto. GetBucketEncryption reports the algorithm as put,
//!   and `KMSMasterKeyID` only when the configuration named a key (none for the AWS
//!   managed `aws/s3`; Amazon S3 API Reference, ServerSideEncryptionByDefault).
//! - **SSE-S3 by default** (`sse_s3_by_default`). Amazon S3 API Reference,
//!   GetBucketEncryption ("By default, all buckets have a default encryption
//!   configuration that uses server-side encryption with Amazon S3 managed keys
//!   (SSE-S3)", since January 2023). moto answers a bucket without a configuration
//!   with 404 `ServerSideEncryptionConfigurationNotFoundError`; the proxy answers
//!   `AES256` instead. (Object Lock needs nothing: moto answers
//!   GetObjectLockConfiguration as AWS does, 404 `ObjectLockConfigurationNotFoundError`
//!   without it and `ObjectLockEnabled` `Enabled` with it.)
//! - **Deleted principals** (`rewrite_deleted_principals`). IAM User Guide, "AWS JSON
//!   policy elements: Principal" ("If you delete the role … the principal ARN … is
//!   replaced with the role's unique ID"), and "IAM identifiers: Unique
//!   identifiers". Before a DeleteRole the proxy asks moto for the role (one GetRole,
//!   see below); after it, policy documents in GetBucketPolicy, GetRole,
//!   GetRolePolicy, GetUserPolicy, ListRoles and GetAccountAuthorizationDetails show
//!   the role's `AROA…` id where it was a principal (plain or percent-encoded). A new
//!   policy naming a unique id is refused as AWS refuses it (PutBucketPolicy: 400
//!   `MalformedPolicy`; trust policies: 400 `MalformedPolicyDocument`).
//! - **Percent-encoded IAM documents** (`encode_iam_documents`). IAM API Reference,
//!   GetAccountAuthorizationDetails and RoleDetail ("The policy document returned …
//!   is URL-encoded compliant with RFC 3986"). moto sends them plain there.
//! - **Bucket policies as AWS evaluates them** (`realistic_bucket_policies`). Amazon
//!   S3 User Guide, "Bucket policy examples" (deny `aws:SecureTransport` false, deny
//!   uploads without `s3:x-amz-server-side-encryption`) and IAM User Guide, "Condition
//!   operators" (`...IfExists`, `Null`, negated operators with a missing key). The
//!   proxy keeps each bucket's whole policy; moto gets only the statements that do
//!   not name everyone (`"*"`), and GetBucketPolicy answers the whole document. Object
//!   writes are evaluated by a small evaluator: see [`bucket_policy`] for exactly
//!   what it understands; what it does not understand is not evaluated.
//! - **Conditional deletes not implemented** (`conditional_delete_not_implemented`),
//!   as LocalStack answers: DeleteObject with `If-Match` → 501 `NotImplemented`, not
//!   forwarded (Amazon S3 API Reference, DeleteObject, `If-Match`, supported by S3
//!   but not by every S3-compatible store).
//!
//! # Requests the proxy adds
//!
//! Only one: with `rewrite_deleted_principals`, a `GetRole` before each `DeleteRole`.
//! It carries the header [`INTERNAL_HEADER`], so that a recorder can leave it out,
//! and it is not counted in [`Stats`]. With `realistic_bucket_policies`, a
//! PutBucketPolicy whose statements all name everyone reaches moto as a
//! DeleteBucketPolicy (one request for one). Pages cost one moto request each.
//! Faults and refusals (`ResetBeforeForward`, error faults, refused principals,
//! denied writes, not-implemented deletes) never reach moto.

pub mod bucket_policy;
mod config;
mod control;
mod faults;
mod kms;
mod operation;
mod pagination;
mod principals;
mod proxy;
mod reply;
mod server;
mod state;
mod steps;
mod xml;

pub use config::{Behaviours, FaultKind, FaultPlan, ScheduledFault, Stats, duration};
pub use proxy::INTERNAL_HEADER;
pub use server::Fidelity;
