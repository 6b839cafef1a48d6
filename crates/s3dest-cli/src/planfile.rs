//! Saved plans (`plan --out`): the spec as it was, the plan as shown, and a
//! fingerprint of every AWS object read. Holds no secret.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use s3dest_core::fingerprint;
use s3dest_core::model::Observed;
use s3dest_core::plan::Plan;
use s3dest_core::render;

/// Bumped whenever the file's meaning changes; older files are refused, never guessed at.
const PLANFILE_VERSION: u64 = 1;
const MARKER: &str = "s3dest_plan";

pub struct PlanFile {
    pub spec_path: String,
    pub spec_text: String,
    pub plan: Value,
    pub fingerprints: BTreeMap<String, String>,
    /// The planner's clock when the plan was made: re-planning with it gives the same
    /// plan (access-key ages) as long as AWS has not changed.
    pub read_at: jiff::Timestamp,
}

impl PlanFile {
    pub fn new(spec_path: &Path, spec_text: &str, plan: &Plan, observed: &Observed) -> PlanFile {
        PlanFile {
            spec_path: spec_path.display().to_string(),
            spec_text: spec_text.to_owned(),
            plan: render::json(plan),
            fingerprints: fingerprint::fingerprints(observed),
            read_at: observed.read_at,
        }
    }

    /// Objects that changed in AWS since the plan was made.
    pub fn changed_objects(&self, now: &Observed) -> Vec<String> {
        fingerprint::changed(&self.fingerprints, &fingerprint::fingerprints(now))
    }
}

pub fn save(path: &Path, file: &PlanFile) -> Result<()> {
    let value = json!({
        MARKER: PLANFILE_VERSION,
        "spec_path": file.spec_path,
        "spec": file.spec_text,
        "fingerprints": file.fingerprints,
        "read_at": file.read_at.to_string(),
        "plan": file.plan,
    });
    let text = serde_json::to_string_pretty(&value)? + "\n";
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the plan file `{}`", path.display()))
}

/// The largest plan file `apply` reads. A plan file holds the spec (at most
/// [`s3dest_spec::MAX_SPEC_BYTES`]) and the plan of it, policies written out in full: a
/// plan of 1,000 new destinations is about 3 MB.
pub const MAX_PLAN_BYTES: usize = 32 * 1024 * 1024;

/// `None` when the bytes are not a plan file (then they are a spec).
pub fn parse(bytes: &[u8]) -> Option<Result<PlanFile>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let version = value.get(MARKER)?;
    Some(from_value(version, &value))
}

fn from_value(version: &Value, value: &Value) -> Result<PlanFile> {
    if version.as_u64() != Some(PLANFILE_VERSION) {
        bail!(
            "this plan file has format {version}; this s3dest reads format {PLANFILE_VERSION}. Make a new plan."
        );
    }
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("the plan file has no `{key}`"))
    };
    let fingerprints = value
        .get("fingerprints")
        .and_then(Value::as_object)
        .context("the plan file has no `fingerprints`")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    Ok(PlanFile {
        spec_path: text("spec_path")?,
        spec_text: text("spec")?,
        plan: value.get("plan").cloned().unwrap_or(Value::Null),
        fingerprints,
        read_at: text("read_at")?
            .parse()
            .context("the plan file's `read_at` is not a time")?,
    })
}
