//! Saved plans (`plan --out`): the spec as it was, the plan as shown, and a
//! fingerprint of every AWS object read. Holds no secret.
//!
//! The file is JSON. Its last member, `digest`, is the SHA-256 of the rest (the object
//! without `digest`, as compact JSON in the file's key order): `apply` refuses a file
//! whose content no longer matches it, that is, one edited by hand or damaged. It detects
//! edits, it does not sign: anyone can compute a digest.
//!
//! `spec_path` names the spec file relative to the plan file's folder (absolute only when
//! there is no relative path between them), so that `apply` finds the spec whatever folder
//! it runs from, and when plan file and spec were copied together elsewhere (a CI
//! artifact downloaded into a checkout).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use s3dest_core::fingerprint;
use s3dest_core::model::Observed;
use s3dest_core::plan::Plan;
use s3dest_core::render;

/// Bumped whenever the file's meaning changes; other formats are refused, never guessed
/// at. Format 2 added the digest and made `spec_path` relative to the plan file.
const PLANFILE_VERSION: u64 = 2;
const MARKER: &str = "s3dest_plan";
/// A file of several plans, each a plan file's object.
const BUNDLE_MARKER: &str = "s3dest_plans";
const BUNDLE_VERSION: u64 = 1;
const DIGEST: &str = "digest";
const DIGEST_PREFIX: &str = "sha256:";

/// The largest plan file `apply` reads. A plan file holds the spec (at most
/// [`s3dest_spec::MAX_SPEC_BYTES`]) and the plan of it, policies written out in full: a
/// plan of 1,000 new destinations is about 3 MB.
pub const MAX_PLAN_BYTES: usize = 32 * 1024 * 1024;

pub struct PlanFile {
    /// The spec file, relative to the plan file's folder (see the module's doc).
    pub spec_path: String,
    pub spec_text: String,
    pub plan: Value,
    pub fingerprints: BTreeMap<String, String>,
    /// The planner's clock when the plan was made: re-planning with it gives the same
    /// plan (access-key ages) as long as AWS has not changed.
    pub read_at: jiff::Timestamp,
    /// The destinations `--target` limited the plan to (none: all of them): `apply`
    /// plans again with the same limit.
    pub targets: Vec<String>,
    /// The plan as `plan` showed it, for `s3dest show`; `None` in a file of a release
    /// before `show`.
    pub rendered: Option<Rendered>,
}

/// A plan's text (with and without colour) and markdown, as `plan` rendered them. The
/// JSON plan is the file's `plan` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub text_color: String,
    pub markdown: String,
}

impl PlanFile {
    /// The plan of `spec_text`, read from `spec_path`, to be saved at `plan_path`.
    pub fn new(
        plan_path: &Path,
        spec_path: &Path,
        spec_text: &str,
        plan: &Plan,
        observed: &Observed,
        targets: &[String],
    ) -> PlanFile {
        PlanFile {
            spec_path: spec_path_from(plan_path, spec_path).display().to_string(),
            spec_text: spec_text.to_owned(),
            plan: render::json(plan),
            fingerprints: fingerprint::fingerprints(observed),
            read_at: observed.read_at,
            targets: targets.to_vec(),
            rendered: Some(Rendered {
                text: render::text(plan, false),
                text_color: render::text(plan, true),
                markdown: render::markdown(plan),
            }),
        }
    }

    /// Objects that changed in AWS since the plan was made.
    pub fn changed_objects(&self, now: &Observed) -> Vec<String> {
        fingerprint::changed(&self.fingerprints, &fingerprint::fingerprints(now))
    }

    /// Where the spec file is, for the plan file at `plan_path`: the path to open, and the
    /// same tidied up for messages (`plans/../s3dest.yaml` is shown `s3dest.yaml`). A
    /// spec read from standard input is `-`, shown `<stdin>`.
    pub fn spec_file(&self, plan_path: &Path) -> (PathBuf, String) {
        let spec = Path::new(&self.spec_path);
        if crate::commands::is_stdin(spec) {
            return (spec.to_owned(), crate::commands::shown(spec));
        }
        let folder = plan_path.parent().unwrap_or(Path::new(""));
        let path = folder.join(&self.spec_path);
        let shown = tidy(&path).display().to_string();
        (path, shown)
    }
}

pub fn save(path: &Path, file: &PlanFile) -> Result<()> {
    write(path, with_digest(to_value(file)))
}

/// The plans of several specs in one file (`plan --out FILE` with several specs): each
/// plan as [`save`] writes it, in a list with a digest of its own, so that a plan left
/// out or added is refused like an edit.
pub fn save_bundle(path: &Path, files: &[PlanFile]) -> Result<()> {
    let plans: Vec<Value> = files.iter().map(|f| with_digest(to_value(f))).collect();
    write(
        path,
        with_digest(json!({BUNDLE_MARKER: BUNDLE_VERSION, "plans": plans})),
    )
}

/// The extension of the plan files `plan --out DIR/` writes, and `apply DIR` reads.
pub const PLAN_EXTENSION: &str = "plan";

/// The names of the plan files of specs (name, account) in one directory: `NAME.plan`,
/// or `NAME-ACCOUNT.plan` for a name that two specs of the run have (in two accounts).
pub fn names_in_dir<'s>(specs: impl IntoIterator<Item = (&'s str, &'s str)>) -> Vec<String> {
    let specs: Vec<(&str, &str)> = specs.into_iter().collect();
    specs
        .iter()
        .map(
            |(name, account)| match specs.iter().filter(|(other, _)| other == name).count() {
                1 => format!("{name}.{PLAN_EXTENSION}"),
                _ => format!("{name}-{account}.{PLAN_EXTENSION}"),
            },
        )
        .collect()
}

fn to_value(file: &PlanFile) -> Value {
    let mut value = json!({
        MARKER: PLANFILE_VERSION,
        "spec_path": file.spec_path,
        "spec": file.spec_text,
        "fingerprints": file.fingerprints,
        "read_at": file.read_at.to_string(),
        "plan": file.plan,
    });
    if let Some(object) = value.as_object_mut() {
        if !file.targets.is_empty() {
            object.insert("targets".to_owned(), json!(file.targets));
        }
        if let Some(rendered) = &file.rendered {
            object.insert(
                "rendered".to_owned(),
                json!({"text": rendered.text, "text_color": rendered.text_color,
                       "markdown": rendered.markdown}),
            );
        }
    }
    value
}

/// The object with its digest as last member.
fn with_digest(mut value: Value) -> Value {
    let digest = digest_of(&value);
    if let Some(object) = value.as_object_mut() {
        object.insert(DIGEST.to_owned(), Value::String(digest));
    }
    value
}

fn write(path: &Path, value: Value) -> Result<()> {
    let text = serde_json::to_string_pretty(&value)? + "\n";
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the plan file `{}`", path.display()))
}

/// `sha256:` and the hex SHA-256 of the value as compact JSON.
fn digest_of(value: &Value) -> String {
    let bytes = serde_json::to_vec(value).expect("a JSON value serializes");
    let hash = Sha256::digest(&bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("{DIGEST_PREFIX}{hex}")
}

/// The plans of a plan file, or of a file of several ([`save_bundle`]); `None` when the
/// bytes are neither (then they are a spec).
pub fn parse_any(bytes: &[u8]) -> Option<Result<Vec<PlanFile>>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    if let Some(version) = value.get(MARKER).cloned() {
        return Some(from_value(&version, value).map(|file| vec![file]));
    }
    let version = value.get(BUNDLE_MARKER)?.clone();
    Some(bundle_from_value(&version, value))
}

fn bundle_from_value(version: &Value, value: Value) -> Result<Vec<PlanFile>> {
    if version.as_u64() != Some(BUNDLE_VERSION) {
        bail!(
            "this file of plans has format {version}; this s3dest reads format {BUNDLE_VERSION}: {MAKE_A_NEW_PLAN}"
        );
    }
    let Value::Object(mut object) = value else {
        bail!("a file of plans is a JSON object: {MAKE_A_NEW_PLAN}")
    };
    check_digest(&mut object)?;
    let Some(Value::Array(plans)) = object.shift_remove("plans") else {
        bail!("this file of plans has no `plans`: {MAKE_A_NEW_PLAN}")
    };
    plans
        .into_iter()
        .enumerate()
        .map(|(i, plan)| {
            let version = plan.get(MARKER).cloned().unwrap_or(Value::Null);
            from_value(&version, plan).with_context(|| format!("plan {} of the file", i + 1))
        })
        .collect()
}

/// Refused with this advice: a plan file that cannot be trusted is never repaired.
const MAKE_A_NEW_PLAN: &str = "make a new plan with `s3dest plan --out PLANFILE`";

fn from_value(version: &Value, value: Value) -> Result<PlanFile> {
    if version.as_u64() == Some(1) {
        bail!(
            "this plan file was made by an older s3dest (plan file format 1, without a digest; this one reads format {PLANFILE_VERSION}): {MAKE_A_NEW_PLAN}"
        );
    }
    if version.as_u64() != Some(PLANFILE_VERSION) {
        bail!(
            "this plan file has format {version}; this s3dest reads format {PLANFILE_VERSION}: {MAKE_A_NEW_PLAN}"
        );
    }
    let Value::Object(mut object) = value else {
        bail!("a plan file is a JSON object: {MAKE_A_NEW_PLAN}")
    };
    check_digest(&mut object)?;
    let value = Value::Object(object);
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
    let targets = match value.get("targets") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| n.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .context("the plan file's `targets` are not names")?,
        Some(_) => bail!("the plan file's `targets` are not names"),
    };
    let rendered = value.get("rendered").map(|r| {
        let part = |key: &str| r.get(key).and_then(Value::as_str).map(str::to_owned);
        match (part("text"), part("text_color"), part("markdown")) {
            (Some(text), Some(text_color), Some(markdown)) => Ok(Rendered {
                text,
                text_color,
                markdown,
            }),
            _ => Err(anyhow::anyhow!("the plan file's `rendered` is incomplete")),
        }
    });
    Ok(PlanFile {
        spec_path: text("spec_path")?,
        spec_text: text("spec")?,
        plan: value.get("plan").cloned().unwrap_or(Value::Null),
        fingerprints,
        read_at: text("read_at")?
            .parse()
            .context("the plan file's `read_at` is not a time")?,
        targets,
        rendered: rendered.transpose()?,
    })
}

/// Takes the digest out of the object and checks it against the rest.
fn check_digest(object: &mut Map<String, Value>) -> Result<()> {
    let digest = match object.shift_remove(DIGEST) {
        Some(Value::String(digest)) if digest.starts_with(DIGEST_PREFIX) => digest,
        Some(_) | None => bail!(
            "this plan file has no valid `{DIGEST}`: it was not written by `s3dest plan --out`, or it was edited; {MAKE_A_NEW_PLAN}"
        ),
    };
    let rest = Value::Object(std::mem::take(object));
    if digest_of(&rest) != digest {
        bail!(
            "this plan file was changed after `s3dest plan --out` wrote it (its content no longer matches its digest); never edit a plan file: {MAKE_A_NEW_PLAN}"
        );
    }
    let Value::Object(rest) = rest else {
        unreachable!()
    };
    *object = rest;
    Ok(())
}

/// The spec's path relative to the plan file's folder, both as the file system resolves
/// them (symbolic links, `..`); the spec's absolute path when either cannot be resolved or
/// no relative path joins them, and the spec's path as given if even that fails.
fn spec_path_from(plan_path: &Path, spec_path: &Path) -> PathBuf {
    // A spec read from standard input has no file to compare with at apply.
    if crate::commands::is_stdin(spec_path) {
        return spec_path.to_owned();
    }
    let folder = match plan_path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let spec = std::fs::canonicalize(spec_path)
        .or_else(|_| std::path::absolute(spec_path))
        .unwrap_or_else(|_| spec_path.to_owned());
    match std::fs::canonicalize(folder) {
        Ok(folder) => relative(&folder, &spec).unwrap_or(spec),
        Err(_) => spec,
    }
}

/// `to` relative to the folder `from`, both absolute; `None` when they share no root.
fn relative(from: &Path, to: &Path) -> Option<PathBuf> {
    if !from.is_absolute() || !to.is_absolute() {
        return None;
    }
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for component in &to[common..] {
        path.push(component);
    }
    Some(path)
}

/// A path with `.` and `name/..` taken out, for messages only (the file system may
/// resolve `..` after a symbolic link otherwise).
fn tidy(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    match out.is_empty() {
        true => PathBuf::from("."),
        false => out.iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_walk_up_and_down() {
        let r = |from: &str, to: &str| relative(Path::new(from), Path::new(to));
        assert_eq!(r("/w", "/w/s3dest.yaml"), Some("s3dest.yaml".into()));
        assert_eq!(
            r("/w/plans", "/w/s3dest.yaml"),
            Some("../s3dest.yaml".into())
        );
        assert_eq!(
            r("/w/plans/pr", "/w/specs/a.yaml"),
            Some("../../specs/a.yaml".into())
        );
        assert_eq!(r("w", "/w/a.yaml"), None);
    }

    #[test]
    fn paths_are_tidied_for_messages() {
        let t = |p: &str| tidy(Path::new(p)).display().to_string();
        assert_eq!(t("plans/../s3dest.yaml"), "s3dest.yaml");
        assert_eq!(t("./s3dest.yaml"), "s3dest.yaml");
        assert_eq!(t("../specs/./a.yaml"), "../specs/a.yaml");
        assert_eq!(t("/w/plans/../../s.yaml"), "/s.yaml");
    }

    fn file(content: &str) -> Result<PlanFile> {
        let mut files = parse_any(content.as_bytes()).expect("a plan file")?;
        assert_eq!(files.len(), 1);
        Ok(files.remove(0))
    }

    fn saved() -> String {
        let dir = std::env::temp_dir().join(format!("s3dest-planfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tfplan");
        let plan = PlanFile {
            spec_path: "s3dest.yaml".to_owned(),
            spec_text: "version: 1\nname: café\n".to_owned(),
            plan: json!({"changes": [{"address": "a", "n": 1.5}]}),
            fingerprints: BTreeMap::from([("role.a".to_owned(), "f1".to_owned())]),
            read_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            targets: vec!["partner".to_owned()],
            rendered: Some(Rendered {
                text: "t".to_owned(),
                text_color: "c".to_owned(),
                markdown: "m".to_owned(),
            }),
        };
        save(&path, &plan).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text
    }

    #[test]
    fn a_saved_plan_reads_back_and_any_edit_is_refused() {
        let text = saved();
        let back = file(&text).unwrap();
        assert_eq!(back.spec_text, "version: 1\nname: café\n");
        assert_eq!(back.plan["changes"][0]["n"], 1.5);
        assert_eq!(back.targets, ["partner"]);
        assert_eq!(
            back.rendered.as_ref().map(|r| r.markdown.as_str()),
            Some("m")
        );
        // Whitespace and escapes are not content: reformatting the JSON keeps the digest.
        let value: Value = serde_json::from_str(&text).unwrap();
        file(&serde_json::to_string(&value).unwrap()).unwrap();
        for (what, edited) in [
            ("a change", text.replace("\"a\"", "\"b\"")),
            ("the spec", text.replace("café", "cafe")),
            ("a fingerprint", text.replace("\"f1\"", "\"f2\"")),
        ] {
            let err = file(&edited).err().unwrap().to_string();
            assert!(
                err.starts_with("this plan file was changed after `s3dest plan --out` wrote it"),
                "{what}: {err}"
            );
        }
        let mut value: Value = serde_json::from_str(&text).unwrap();
        value.as_object_mut().unwrap().remove(DIGEST);
        let err = file(&value.to_string()).err().unwrap().to_string();
        assert!(
            err.starts_with("this plan file has no valid `digest`"),
            "{err}"
        );
        let old = json!({MARKER: 1, "spec_path": "s3dest.yaml", "spec": ""}).to_string();
        let err = file(&old).err().unwrap().to_string();
        assert!(err.contains("plan file format 1"), "{err}");
        assert!(err.ends_with(MAKE_A_NEW_PLAN), "{err}");
        assert!(
            parse_any(b"version: 1\n").is_none(),
            "a spec is not a plan file"
        );
    }
}
