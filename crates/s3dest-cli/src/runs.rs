//! Runs over several specs: which spec files the arguments name, and each spec worked on
//! as its own unit (its own clients and account, its lock, its ownership), a bounded
//! number at once. A run of one spec shows exactly what it always showed; with several,
//! each spec's output is a section printed whole, in the order of the arguments, and the
//! exit codes combine: 1 if any spec erred, else 2 if any has changes (with
//! `--detailed-exitcode`), else 0.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use futures::StreamExt;

use s3dest_aws::Aws;
use s3dest_spec::Spec;

use crate::commands::Loaded;
use crate::ui::{Section, Ui};
use crate::{Exit, Reported};

/// A spec file's name ends so.
const SPEC_EXTENSIONS: [&str; 2] = ["yaml", "yml"];

/// The spec files the arguments name: a file as given; a directory's `*.yaml` and `*.yml`
/// files, in name order (not its subdirectories'). A file named twice is refused: each
/// spec runs once.
pub fn spec_paths(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    if args.iter().filter(|a| crate::commands::is_stdin(a)).count() > 1 {
        bail!("`-` (standard input) is named twice: it holds one spec; nothing was sent to AWS");
    }
    for arg in args {
        if arg.is_dir() {
            let found = files_in(arg, &SPEC_EXTENSIONS)?;
            if found.is_empty() {
                bail!(
                    "`{}` is a directory without specs (`*.yaml` or `*.yml` files); nothing was sent to AWS",
                    arg.display()
                );
            }
            paths.extend(found);
        } else {
            paths.push(arg.clone());
        }
    }
    refuse_twice(&paths)?;
    Ok(paths)
}

/// The files of `dir` whose names end in `.EXT` for one of `extensions`, in name order.
pub fn files_in(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let cannot = || format!("cannot read the directory `{}`", dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(cannot)? {
        let path = entry.with_context(cannot)?.path();
        let fits = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e));
        if fits && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Refuses a file named twice (by two arguments, or by a file and its directory).
fn refuse_twice(paths: &[PathBuf]) -> Result<()> {
    let mut seen: BTreeMap<PathBuf, &Path> = BTreeMap::new();
    for path in paths {
        let Ok(real) = std::fs::canonicalize(path) else {
            continue;
        };
        if let Some(first) = seen.insert(real, path) {
            bail!(
                "`{}` is named twice (also as `{}`): each spec runs once; nothing was sent to AWS",
                path.display(),
                first.display()
            );
        }
    }
    Ok(())
}

/// What `load` makes of each path, every failure reported (diagnostics, or the error):
/// any failure stops the run before any AWS call. The error of a run of one path is
/// returned as it is.
pub fn load_all<T>(
    paths: &[PathBuf],
    what: &str,
    ui: &Ui,
    load: impl Fn(&Path) -> Result<Vec<T>>,
) -> Result<Vec<T>> {
    if let [path] = paths {
        return load(path);
    }
    let mut loaded = Vec::new();
    let mut failed = 0;
    for path in paths {
        match load(path) {
            Ok(found) => loaded.extend(found),
            Err(err) => {
                failed += 1;
                if !err.is::<Reported>() {
                    ui.error(&format!("{err:#}"));
                }
            }
        }
    }
    if failed > 0 {
        ui.error(&format!(
            "{failed} of {} {what} cannot be used; nothing was sent to AWS",
            paths.len()
        ));
        return Err(Reported.into());
    }
    Ok(loaded)
}

/// Two specs of one run with the same name would work in the same account (the run's
/// credentials, or the same role's account) and delete each other's destinations.
pub fn refuse_same_names<'s>(specs: impl IntoIterator<Item = (&'s Path, &'s Spec)>) -> Result<()> {
    let mut seen: BTreeMap<(&str, Option<&str>), &Path> = BTreeMap::new();
    for (path, spec) in specs {
        let account = spec.assume_role.as_ref().map(|r| r.account.as_str());
        if let Some(first) = seen.insert((&spec.name, account), path) {
            let place = match account {
                Some(account) => format!("account {account}"),
                None => "the account of the credentials".to_owned(),
            };
            bail!(
                "`{}` and `{}` are both spec `{}` in {place}: each would delete the other's destinations. Give one of them another `name`; nothing was sent to AWS",
                first.display(),
                path.display(),
                spec.name
            );
        }
    }
    Ok(())
}

/// The clients for `spec`: the run's credentials, or the role of its `assume_role`
/// assumed with them (session `s3dest-<spec>`). Each spec counts its own calls.
pub async fn client_for(base: &Aws, spec: &Spec) -> Result<Aws> {
    let Some(role) = &spec.assume_role else {
        return Ok(base.split()?);
    };
    let session = session_name(&spec.name);
    base.assuming(&role.arn, role.external_id.as_deref(), &session)
        .await
        .with_context(|| {
            format!(
                "spec `{}`: cannot assume the role `{}` (`assume_role`), so nothing was read or changed; the credentials s3dest runs with need `sts:AssumeRole` on it, and its trust policy must admit them{}",
                spec.name,
                role.arn,
                match role.external_id {
                    Some(_) => " with the external ID of the spec",
                    None => " (add `external_id` if it asks for one)",
                }
            )
        })
}

/// `s3dest-<spec>`, within STS's 64 characters (a spec name's characters are all
/// allowed in a session name).
pub fn session_name(spec: &str) -> String {
    format!("s3dest-{spec}").chars().take(64).collect()
}

/// One unit's result, and its output when it was one of several.
pub struct Done<T> {
    pub result: Result<T>,
    pub section: Option<Section>,
}

/// Runs `work` on each unit, at most `jobs` at once; the results in the units' order. A
/// single unit writes straight to `ui`; each of several into a section of its own.
pub async fn each<'a, U, T, F, Fut>(ui: &Ui, units: &'a [U], jobs: u16, work: F) -> Vec<Done<T>>
where
    F: Fn(&'a U, Ui) -> Fut,
    Fut: Future<Output = Result<T>> + 'a,
{
    if let [unit] = units {
        return vec![Done {
            result: work(unit, ui.clone()).await,
            section: None,
        }];
    }
    futures::stream::iter(units)
        .map(|unit| {
            let (section_ui, section) = ui.section();
            let work = work(unit, section_ui);
            async move {
                let result = work.await;
                let section = std::mem::take(
                    &mut *section
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                Done {
                    result,
                    section: Some(section),
                }
            }
        })
        .buffered(usize::from(jobs))
        .collect()
        .await
}

/// Prints each unit's output, which `render` adds to its section from its result; returns each unit's
/// result (`None` for one that failed). The single unit of a run prints as it always did,
/// and its error is returned as it is. Of several, each prints a section (text), or its
/// JSON line and, on stderr, its messages under its name.
pub fn print_units<T>(
    ui: &Ui,
    loaded: &[Loaded],
    done: Vec<Done<T>>,
    json: bool,
    render: impl Fn(&Loaded, &T, &mut Section) -> Result<()>,
) -> Result<Vec<Option<T>>> {
    let several = loaded.len() > 1;
    let mut results = Vec::new();
    for (unit, done) in loaded.iter().zip(done) {
        let mut section = done.section.unwrap_or_default();
        let result = done.result.and_then(|value| {
            render(unit, &value, &mut section)?;
            Ok(value)
        });
        match (several, json, result) {
            (false, _, result) => {
                ui.out(&section.stdout)?;
                ui.stderr_text(&section.stderr);
                results.push(Some(result?));
            }
            (true, false, result) => {
                let heading = heading(&unit.path, &unit.spec.name);
                print_section(ui, &heading, &section, result.as_ref().err());
                results.push(result.ok());
            }
            (true, true, result) => {
                match &result {
                    Ok(_) => ui.out(&section.stdout)?,
                    Err(err) => {
                        ui.out(&(serde_json::to_string(&failed_json(unit, err))? + "\n"))?
                    }
                }
                print_stderr(ui, &who(unit), &section, result.as_ref().err());
                results.push(result.ok());
            }
        }
    }
    Ok(results)
}

/// A JSON output: pretty for the single spec of a run; for one of several, one line,
/// with the spec's `file` (two specs of one name, in two accounts, are told apart by it).
pub fn json_text(mut value: serde_json::Value, unit: &Loaded, several: bool) -> Result<String> {
    if !several {
        return Ok(serde_json::to_string_pretty(&value)? + "\n");
    }
    if let Some(object) = value.as_object_mut() {
        object.insert("file".to_owned(), unit.path.display().to_string().into());
    }
    Ok(serde_json::to_string(&value)? + "\n")
}

/// The JSON line of a spec that could not be read.
fn failed_json(unit: &Loaded, err: &anyhow::Error) -> serde_json::Value {
    serde_json::json!({
        "format_version": s3dest_core::render::FORMAT_VERSION,
        "spec": unit.spec.name,
        "file": unit.path.display().to_string(),
        "error": format!("{err:#}"),
    })
}

/// `specs/prod.yaml (spec `acme-prod`)`.
pub fn who(unit: &Loaded) -> String {
    format!("{} (spec `{}`)", unit.path.display(), unit.spec.name)
}

/// The last line of a text run over several specs, from each spec's (has changes, has
/// errors), or `None` for one that failed.
pub fn summary(specs: impl Iterator<Item = Option<(bool, bool)>>) -> String {
    let (mut total, mut changes, mut errors, mut failed) = (0, 0, 0, 0);
    for spec in specs {
        total += 1;
        match spec {
            Some((changed, erred)) => {
                changes += usize::from(changed);
                errors += usize::from(erred);
            }
            None => failed += 1,
        }
    }
    let mut line = format!("\n{total} specs: {changes} with changes");
    if errors > 0 {
        line.push_str(&format!(", {errors} with errors"));
    }
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    line + ".\n"
}

/// Prints a unit's section: `heading` and what it wrote to stdout (unless `stdout` is
/// false: JSON Lines print their own line), what it wrote to stderr, and its error.
pub fn print_section(ui: &Ui, heading: &str, done: &Section, error: Option<&anyhow::Error>) {
    let _ = ui.out(heading);
    ui.stderr_text(&done.stderr);
    let _ = ui.out(&done.stdout);
    print_error(ui, error);
}

/// Prints what a unit wrote to stderr, under a line naming it when it wrote anything,
/// and its error; for JSON Lines, whose stdout is one line per unit.
pub fn print_stderr(ui: &Ui, who: &str, done: &Section, error: Option<&anyhow::Error>) {
    if !done.stderr.is_empty() || error.is_some() {
        ui.stderr_text(&format!("{who}:\n"));
    }
    ui.stderr_text(&done.stderr);
    print_error(ui, error);
}

fn print_error(ui: &Ui, error: Option<&anyhow::Error>) {
    if let Some(err) = error.filter(|e| !e.is::<Reported>()) {
        ui.error(&format!("{err:#}"));
    }
}

/// The heading of a spec's section in text output.
pub fn heading(path: &Path, spec: &str) -> String {
    format!("\n=== {} (spec `{spec}`) ===\n\n", path.display())
}

/// The exit of a run: 1 if any unit erred, else 2 if any had changes, else 0.
pub fn combine(exits: impl IntoIterator<Item = Exit>) -> Exit {
    exits
        .into_iter()
        .fold(Exit::Success, |run, unit| match (run, unit) {
            (Exit::Error, _) | (_, Exit::Error) => Exit::Error,
            (Exit::Changes, _) | (_, Exit::Changes) => Exit::Changes,
            _ => Exit::Success,
        })
}

/// A unit's exit, from its result and, when it worked, what it found.
pub fn exit_of<T>(result: &Result<T>, exit: impl FnOnce(&T) -> Exit) -> Exit {
    match result {
        Ok(value) => exit(value),
        Err(_) => Exit::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_combine_error_first_then_changes() {
        use Exit::*;
        assert_eq!(combine([]), Success);
        assert_eq!(combine([Success, Success]), Success);
        assert_eq!(combine([Success, Changes, Success]), Changes);
        assert_eq!(combine([Changes, Error, Success]), Error);
        assert_eq!(combine([Error, Changes]), Error);
    }

    #[test]
    fn session_names_say_s3dest_and_the_spec_within_64_characters() {
        assert_eq!(session_name("acme-prod"), "s3dest-acme-prod");
        let long = "a".repeat(64);
        assert_eq!(session_name(&long).len(), 64);
        assert!(session_name(&long).starts_with("s3dest-aaa"));
    }

    #[test]
    fn directories_give_their_specs_in_name_order_and_a_file_runs_once() {
        let dir = std::env::temp_dir().join(format!("s3dest-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        for name in ["b.yml", "a.yaml", "notes.md", "nested/c.yaml"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let found = spec_paths(std::slice::from_ref(&dir)).unwrap();
        assert_eq!(found, vec![dir.join("a.yaml"), dir.join("b.yml")]);
        let err = spec_paths(&[dir.clone(), dir.join("a.yaml")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` is named twice (also as `{}`): each spec runs once; nothing was sent to AWS",
                dir.join("a.yaml").display(),
                dir.join("a.yaml").display()
            )
        );
        let empty = dir.join("nested").join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let err = spec_paths(std::slice::from_ref(&empty)).unwrap_err();
        assert!(err.to_string().starts_with(&format!(
            "`{}` is a directory without specs",
            empty.display()
        )));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
