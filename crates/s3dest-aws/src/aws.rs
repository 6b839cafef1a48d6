//! The real cloud: SDK clients built from the standard AWS configuration chain, one
//! S3 client per region, and a counter of every request sent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{
    ConfigBag, Credentials, Intercept, ProvideCredentials, RuntimeComponents,
    SharedCredentialsProvider,
};
use aws_smithy_types::retry::RetryConfig;

use s3dest_core::model::{
    BucketEncryption, IdentityNames, ObservedBucket, ObservedSecret, ReadRequest,
};
use s3dest_core::plan::Plan;

use crate::{ApplyConfig, ApplyEvent, ApplyReport, Cloud, CloudError, IamSnapshot, ReadConfig};

/// Where buckets and calls go when nothing configures a region.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";
/// Attempts per call (the first included) for throttling, 5xx and transient network
/// errors, unless `AWS_MAX_ATTEMPTS` or `AWS_RETRY_MODE` says otherwise.
const MAX_ATTEMPTS: u32 = 5;

/// [`Cloud`] on AWS (or on an emulator such as moto server, via `AWS_ENDPOINT_URL`).
#[derive(Debug)]
pub struct Aws {
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) secrets: aws_sdk_secretsmanager::Client,
    sdk_config: SdkConfig,
    /// Emulators serve buckets by path, not by virtual host name.
    path_style: bool,
    default_region: String,
    counter: CallCounter,
    s3_clients: Mutex<BTreeMap<String, aws_sdk_s3::Client>>,
    /// Learned from `GetBucketLocation` (or `CreateBucket`), so that apply after a read
    /// in the same process does not ask again.
    bucket_regions: Mutex<BTreeMap<String, String>>,
    /// Learned from `GetBucketEncryption` (by the read, or by apply before it writes an
    /// object), so that apply after a read in the same process does not ask again.
    bucket_encryption: Mutex<BTreeMap<String, BucketEncryption>>,
    /// Whether the endpoint implements `DeleteObject` with `If-Match` (until it says not).
    pub(crate) conditional_deletes: AtomicBool,
    pub(crate) read_config: ReadConfig,
    pub(crate) apply_config: ApplyConfig,
}

impl Aws {
    /// Clients from the standard chain: environment, profiles, SSO, web identity (CI
    /// OIDC), container and instance metadata. The region defaults to `us-east-1`.
    /// With `AWS_ENDPOINT_URL` (an emulator) S3 is addressed path-style.
    ///
    /// Retries: the SDK's standard mode with 5 attempts (throttling, 5xx and network
    /// errors, with exponential backoff and jitter), unless `AWS_MAX_ATTEMPTS` or
    /// `AWS_RETRY_MODE` is set, which are then honoured.
    ///
    /// Settings the SDK would trip over are errors here, before any request and each with
    /// a hint: an empty or schemeless endpoint URL (the SDK panics on an empty one), an
    /// empty or malformed region, an `AWS_PROFILE` that names no profile.
    pub async fn from_env() -> Result<Aws, CloudError> {
        let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        check_environment(&env)?;
        // `default` need not exist: the SDK and the AWS CLI take it to mean "no profile".
        if let Some(profile) = env("AWS_PROFILE").filter(|p| p != "default") {
            check_profile(&profile).await?;
        }
        let region =
            RegionProviderChain::default_provider().or_else(Region::from_static(DEFAULT_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
        if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
            && std::env::var_os("AWS_RETRY_MODE").is_none()
        {
            loader = loader.retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        }
        let sdk_config = loader.load().await;
        check_loaded(&sdk_config, &env)?;
        let path_style = sdk_config.endpoint_url().is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        Aws::from_sdk_config(sdk_config, path_style)
    }

    /// Clients for an emulator at `endpoint` with the static credentials
    /// `testing`/`testing`, whatever the environment says (for tests).
    pub async fn from_endpoint(endpoint: &str, region: &str) -> Result<Aws, CloudError> {
        let sdk_config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "s3dest-static",
            ))
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .load()
            .await;
        Aws::from_sdk_config(sdk_config, true)
    }

    /// Clients from an SDK configuration the caller built.
    pub fn from_sdk_config(sdk_config: SdkConfig, path_style: bool) -> Result<Aws, CloudError> {
        let default_region = sdk_config
            .region()
            .map(|r| r.as_ref().to_owned())
            .ok_or_else(|| CloudError::Config("no region is configured".to_owned()))?;
        let counter = CallCounter::default();
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk_config)
                .interceptor(counter.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk_config)
                .interceptor(counter.clone())
                .build(),
        );
        let secrets = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&sdk_config)
                .interceptor(counter.clone())
                .build(),
        );
        Ok(Aws {
            iam,
            sts,
            secrets,
            sdk_config,
            path_style,
            default_region,
            counter,
            s3_clients: Mutex::new(BTreeMap::new()),
            bucket_regions: Mutex::new(BTreeMap::new()),
            bucket_encryption: Mutex::new(BTreeMap::new()),
            conditional_deletes: AtomicBool::new(true),
            read_config: ReadConfig::default(),
            apply_config: ApplyConfig::default(),
        })
    }

    /// Clients of the same configuration and credentials, with their own count of calls
    /// and what they learn (bucket regions): one spec's, in a run of several.
    pub fn split(&self) -> Result<Aws, CloudError> {
        let aws = Aws::from_sdk_config(self.sdk_config.clone(), self.path_style)?;
        Ok(Aws {
            read_config: self.read_config.clone(),
            apply_config: self.apply_config.clone(),
            ..aws
        })
    }

    /// The same configuration with the credentials of the role `arn`, assumed now with
    /// these clients' credentials (and refreshed before they expire, for a long apply).
    /// Assuming it now makes a role that cannot be assumed an error before anything is
    /// read, one that says why. The `AssumeRole` call counts as the new clients' first.
    pub async fn assuming(
        &self,
        arn: &str,
        external_id: Option<&str>,
        session_name: &str,
    ) -> Result<Aws, CloudError> {
        let role = || format!("role `{arn}`");
        let out = self
            .sts
            .assume_role()
            .role_arn(arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("AssumeRole", role(), e))?;
        let first = out
            .credentials()
            .map(|c| {
                Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_owned()),
                    std::time::SystemTime::try_from(*c.expiration()).ok(),
                    "s3dest-assume-role",
                )
            })
            .ok_or_else(|| CloudError::Conflict {
                resource: role(),
                message: "AssumeRole returned no credentials".to_owned(),
            })?;
        let mut refresh = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name(session_name)
            .configure(&self.sdk_config);
        if let Some(id) = external_id {
            refresh = refresh.external_id(id);
        }
        let credentials = AssumedCredentials {
            first: Mutex::new(Some(first)),
            refresh: refresh.build().await,
        };
        let config = self
            .sdk_config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        let aws = Aws::from_sdk_config(config, self.path_style)?;
        aws.counter.0.store(1, Ordering::Relaxed);
        Ok(Aws {
            read_config: self.read_config.clone(),
            apply_config: self.apply_config.clone(),
            ..aws
        })
    }

    pub fn with_read_config(mut self, config: ReadConfig) -> Aws {
        self.read_config = config;
        self
    }

    pub fn with_apply_config(mut self, config: ApplyConfig) -> Aws {
        self.apply_config = config;
        self
    }

    /// Every role and user of the account with their policies, in bulk
    /// (`GetAccountAuthorizationDetails`; no access keys): what `s3dest import`
    /// recognises vendor setups in. Read-only.
    pub async fn read_whole_account_iam(&self) -> Result<IamSnapshot, CloudError> {
        crate::read::whole_account_iam(self).await
    }

    /// The region calls go to when nothing else decides it.
    pub fn region(&self) -> &str {
        &self.default_region
    }

    /// The S3 client for the configured region (used for `GetBucketLocation`, which
    /// answers for a bucket in any region).
    pub(crate) fn s3_default(&self) -> aws_sdk_s3::Client {
        self.s3(&self.default_region)
    }

    /// The S3 client for `region`, built once. Requests about a bucket must go to the
    /// bucket's region (AWS redirects them otherwise).
    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let mut clients = self
            .s3_clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let config = aws_sdk_s3::config::Builder::from(&self.sdk_config)
                    .region(Region::new(region.to_owned()))
                    .force_path_style(self.path_style)
                    .interceptor(self.counter.clone())
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .clone()
    }

    pub(crate) fn remember_region(&self, bucket: &str, region: &str) {
        let mut regions = self
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        regions.insert(bucket.to_owned(), region.to_owned());
    }

    pub(crate) fn known_region(&self, bucket: &str) -> Option<String> {
        let regions = self
            .bucket_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        regions.get(bucket).cloned()
    }

    pub(crate) fn remember_encryption(&self, bucket: &str, encryption: &BucketEncryption) {
        let mut known = self
            .bucket_encryption
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.insert(bucket.to_owned(), encryption.clone());
    }

    pub(crate) fn known_encryption(&self, bucket: &str) -> Option<BucketEncryption> {
        let known = self
            .bucket_encryption
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        known.get(bucket).cloned()
    }

    /// The client for a bucket's region, asking AWS only when it is not known yet.
    pub(crate) async fn s3_for_bucket(
        &self,
        bucket: &str,
    ) -> Result<aws_sdk_s3::Client, CloudError> {
        if let Some(region) = self.known_region(bucket) {
            return Ok(self.s3(&region));
        }
        match self.bucket_location(bucket).await? {
            Some(region) => Ok(self.s3(&region)),
            None => Err(CloudError::Conflict {
                resource: format!("bucket `{bucket}`"),
                message: "the bucket does not exist".to_owned(),
            }),
        }
    }

    /// The bucket's region, `None` when it does not exist. Remembered for later calls.
    pub(crate) async fn bucket_location(&self, bucket: &str) -> Result<Option<String>, CloudError> {
        let result = self
            .s3_default()
            .get_bucket_location()
            .bucket(bucket)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let err =
                    CloudError::from_sdk("GetBucketLocation", format!("bucket `{bucket}`"), e);
                return if err.is_code("NoSuchBucket") {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        let region = region_of_location(out.location_constraint().map(|c| c.as_str()));
        self.remember_region(bucket, &region);
        Ok(Some(region))
    }
}

/// The endpoint variables the SDK reads: the global one, then one per service s3dest uses.
const ENDPOINT_VARS: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
];

/// An example for the hints.
const EXAMPLE_ENDPOINT: &str = "http://127.0.0.1:5000";

/// The environment variables, as `env` reads them, that the SDK would otherwise panic on
/// or turn into a request that cannot be built.
fn check_environment(env: &dyn Fn(&str) -> Option<String>) -> Result<(), CloudError> {
    let ignore_endpoints = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !ignore_endpoints {
        for name in ENDPOINT_VARS {
            if let Some(url) = env(name) {
                check_endpoint(&url, name)?;
            }
        }
    }
    if env("AWS_PROFILE").is_some_and(|p| p.trim().is_empty()) {
        return Err(CloudError::Config(
            "AWS_PROFILE is set but empty: unset it to use the default profile, or name a profile"
                .to_owned(),
        ));
    }
    // The SDK reads AWS_REGION, and AWS_DEFAULT_REGION only when AWS_REGION is unset.
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(region) = env(name) {
            return check_region(&region, &Source::Variable(name));
        }
    }
    Ok(())
}

/// Where a setting came from, for its error.
enum Source<'a> {
    Variable(&'a str),
    Profile(&'a str),
}

/// An endpoint URL the SDK can use: `http://` or `https://` and a host.
fn check_endpoint(url: &str, name: &str) -> Result<(), CloudError> {
    let problem = if url.trim().is_empty() {
        return Err(CloudError::Config(format!(
            "{name} is set but empty: unset it to use AWS, or set it to an endpoint such as \
             {EXAMPLE_ENDPOINT}"
        )));
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "it has a space or a control character in it"
    } else {
        match url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
        {
            None => "it must start with http:// or https://",
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '#']) => {
                "it names no host"
            }
            Some(_) => return Ok(()),
        }
    };
    Err(CloudError::Config(format!(
        "{name}=`{url}` is not an endpoint URL ({problem}): write a whole URL, such as \
         {EXAMPLE_ENDPOINT}"
    )))
}

/// A region the SDK can put in a host name (`us-east-1`).
fn check_region(region: &str, source: &Source<'_>) -> Result<(), CloudError> {
    let valid = !region.is_empty()
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        return Ok(());
    }
    let message = match (source, region.trim().is_empty()) {
        (Source::Variable(name), true) => format!(
            "{name} is set but empty: set it to a region such as {DEFAULT_REGION}, or unset it"
        ),
        (Source::Variable(name), false) => {
            format!("{name}=`{region}` is not a region name such as {DEFAULT_REGION}")
        }
        (Source::Profile(profile), true) => format!(
            "the AWS profile `{profile}` has an empty `region`: set it to a region such as \
             {DEFAULT_REGION}, or remove it"
        ),
        (Source::Profile(profile), false) => format!(
            "the AWS profile `{profile}` has `region = {region}`, which is not a region name \
             such as {DEFAULT_REGION}"
        ),
    };
    Err(CloudError::Config(message))
}

/// `AWS_PROFILE` must name a profile of the config or credentials file: the SDK would
/// otherwise carry on without it, and fail later with a message that does not say why.
async fn check_profile(profile: &str) -> Result<(), CloudError> {
    use aws_types::os_shim_internal::{Env, Fs};
    // The default files, or those AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name.
    let files = Default::default();
    let profiles = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| CloudError::Config(format!("cannot read the AWS config files: {e}")))?;
    if profiles.get_profile(profile).is_some() {
        return Ok(());
    }
    let mut names: Vec<&str> = profiles.profiles().collect();
    names.sort_unstable();
    let known = match names.is_empty() {
        true => "they hold none".to_owned(),
        false => format!("they hold {}", names.join(", ")),
    };
    Err(CloudError::Config(format!(
        "AWS_PROFILE=`{profile}` names no profile of the AWS config files (~/.aws/config and \
         ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE): {known}"
    )))
}

/// What the configuration chain found in the profile: its region and endpoint.
fn check_loaded(
    config: &SdkConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), CloudError> {
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_owned());
    if let Some(region) = config.region() {
        check_region(region.as_ref(), &Source::Profile(&profile))?;
    }
    if let Some(url) = config.endpoint_url() {
        check_endpoint(url, &format!("the AWS profile `{profile}`'s endpoint_url"))?;
    }
    Ok(())
}

/// `GetBucketLocation` answers nothing for us-east-1 and the legacy `EU` for eu-west-1.
fn region_of_location(location: Option<&str>) -> String {
    match location {
        None | Some("") => DEFAULT_REGION.to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

impl Cloud for Aws {
    async fn caller_account(&self) -> Result<String, CloudError> {
        crate::read::account_id(self).await
    }

    async fn read_iam(&self, names: &IdentityNames) -> Result<IamSnapshot, CloudError> {
        crate::read::iam(self, names).await
    }

    async fn read_secrets(
        &self,
        spec: &str,
    ) -> Result<BTreeMap<String, ObservedSecret>, CloudError> {
        crate::read::secrets(self, spec).await
    }

    async fn read_buckets(
        &self,
        request: &ReadRequest,
    ) -> Result<BTreeMap<String, ObservedBucket>, CloudError> {
        crate::read::buckets(self, request).await
    }

    async fn apply(
        &self,
        plan: &Plan,
        events: &(dyn Fn(ApplyEvent<'_>) + Sync),
    ) -> Result<ApplyReport, CloudError> {
        crate::apply::apply(self, plan, events).await
    }

    fn calls(&self) -> u64 {
        self.counter.0.load(Ordering::Relaxed)
    }
}

/// Counts requests sent, on every client: `read_before_transmit` runs once per attempt,
/// so retries count too, and requests that fail before sending (no credentials) do not.
/// Each request is logged at debug level (`-vv`).
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<AtomicU64>);

/// An assumed role's credentials: those of the `AssumeRole` call that checked the role
/// could be assumed, then fresh ones from the provider whenever they run out.
#[derive(Debug)]
struct AssumedCredentials {
    first: Mutex<Option<Credentials>>,
    refresh: aws_config::sts::AssumeRoleProvider,
}

impl ProvideCredentials for AssumedCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match first {
            Some(credentials) => {
                aws_credential_types::provider::future::ProvideCredentials::ready(Ok(credentials))
            }
            None => self.refresh.provide_credentials(),
        }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "s3dest::CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        if tracing::enabled!(tracing::Level::DEBUG) {
            let request = context.request();
            tracing::debug!(
                "AWS call {n}: {}",
                describe_request(
                    request.method(),
                    request.uri(),
                    request.headers().get("x-amz-target"),
                    request.body().bytes()
                )
            );
        }
        Ok(())
    }
}

/// The operation of a call: the `X-Amz-Target` of a JSON-protocol call (Secrets
/// Manager), the `Action` of a query-protocol call (IAM, STS), else the method and path
/// of a REST call (S3). Never another header, and never a body but the action's name.
fn describe_request(method: &str, uri: &str, target: Option<&str>, body: Option<&[u8]>) -> String {
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let action = body
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|b| b.split('&').find_map(|kv| kv.strip_prefix("Action=")));
    match action {
        Some(action) => action.to_owned(),
        None => {
            let path = uri
                .split_once("://")
                .map_or(uri, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
            // The query's parameters, without values (continuation tokens and the like).
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let keys: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("x-id="))
                .map(|kv| kv.split('=').next().unwrap_or(kv))
                .collect();
            match keys.is_empty() {
                true => format!("{method} {path}"),
                false => format!("{method} {path}?{}", keys.join("&")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_described_without_values() {
        let iam_body = b"Action=GetAccountAuthorizationDetails&Version=2010-05-08&Marker=abc";
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a [u8]>, &'a str);
        let cases: [Case; 5] = [
            (
                "POST",
                "https://iam.amazonaws.com/",
                None,
                Some(iam_body),
                "GetAccountAuthorizationDetails",
            ),
            (
                "GET",
                "http://127.0.0.1:5000/bucket?list-type=2&prefix=pendo%2F&max-keys=2",
                None,
                None,
                "GET /bucket?list-type&prefix&max-keys",
            ),
            (
                "PUT",
                "https://b.s3.amazonaws.com/key?x-id=PutObject",
                None,
                Some(b""),
                "PUT /key",
            ),
            ("HEAD", "https://b.s3.amazonaws.com", None, None, "HEAD /"),
            (
                "POST",
                "https://secretsmanager.us-east-1.amazonaws.com/",
                Some("secretsmanager.PutSecretValue"),
                Some(br#"{"SecretString":"never logged"}"#),
                "PutSecretValue",
            ),
        ];
        for (method, uri, target, body, expected) in cases {
            assert_eq!(describe_request(method, uri, target, body), expected);
        }
    }

    fn checked(vars: &[(&str, &str)]) -> Result<(), String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        check_environment(&env).map_err(|e| e.to_string())
    }

    #[test]
    fn environments_the_sdk_trips_over_are_errors() {
        assert_eq!(checked(&[]), Ok(()));
        let fine = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_S3", "https://s3.example.com/"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", ""),
            ("AWS_PROFILE", "dev"),
        ];
        assert_eq!(
            checked(&fine),
            Ok(()),
            "AWS_REGION wins over AWS_DEFAULT_REGION"
        );
        let cases = [
            ("AWS_ENDPOINT_URL", " ", "AWS_ENDPOINT_URL is set but empty"),
            (
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                "",
                "AWS_ENDPOINT_URL_SECRETS_MANAGER is set but empty",
            ),
            (
                "AWS_ENDPOINT_URL",
                "localhost:5000",
                "(it must start with http:// or https://)",
            ),
            ("AWS_ENDPOINT_URL", "http://", "(it names no host)"),
            (
                "AWS_ENDPOINT_URL",
                "http://a b",
                "(it has a space or a control character in it)",
            ),
            ("AWS_REGION", "", "AWS_REGION is set but empty"),
            ("AWS_REGION", "-x", "AWS_REGION=`-x` is not a region name"),
            (
                "AWS_DEFAULT_REGION",
                "",
                "AWS_DEFAULT_REGION is set but empty",
            ),
            ("AWS_PROFILE", "", "AWS_PROFILE is set but empty"),
        ];
        for (name, value, expected) in cases {
            let err = checked(&[(name, value)]).unwrap_err();
            assert!(err.contains(expected), "{name}={value:?}: {err}");
        }
        // Endpoints the SDK is told to ignore are not checked.
        assert_eq!(
            checked(&[
                ("AWS_ENDPOINT_URL", ""),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")
            ]),
            Ok(())
        );
    }

    #[test]
    fn bucket_locations_map_to_regions() {
        assert_eq!(region_of_location(None), "us-east-1");
        assert_eq!(region_of_location(Some("")), "us-east-1");
        assert_eq!(region_of_location(Some("EU")), "eu-west-1");
        assert_eq!(region_of_location(Some("eu-central-1")), "eu-central-1");
    }
}
