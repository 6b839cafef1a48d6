//! The commands: load and check the spec, read AWS, plan, render, apply.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use s3dest_aws::{Aws, Cloud};
use s3dest_core::model::{Desired, Observed, TAG_SPEC};
use s3dest_core::plan::{self, Plan};
use s3dest_core::{outputs, presets, render};
use s3dest_spec::Spec;

use crate::args::{Cli, Command, OutputFormat, PlanFormat};
use crate::planfile::{self, PlanFile};
use crate::target::Targets;
use crate::ui::Ui;
use crate::{Exit, Reported};
use crate::{apply, runs};

pub fn run(cli: Cli, ui: &Ui) -> Result<Exit> {
    match cli.command {
        Command::Validate { specs, format } => validate(&specs, format, ui),
        Command::Plan {
            specs,
            format,
            out,
            detailed_exitcode,
            targets,
            jobs,
        } => plan_command(
            &specs,
            format,
            out.as_deref(),
            detailed_exitcode,
            &targets.targets,
            jobs.jobs,
            ui,
        ),
        Command::Apply {
            targets,
            auto_approve,
            break_lock,
            only,
            jobs,
        } => apply::apply_command(
            &targets,
            auto_approve,
            break_lock,
            &only.targets,
            jobs.jobs,
            ui,
        ),
        Command::Show { planfile, format } => show(&planfile, format, ui),
        Command::Init {
            spec,
            vendors,
            bucket,
        } => init(&spec, &vendors, bucket.as_deref(), ui),
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&s3dest_spec::json_schema())?;
            ui.out(&(schema + "\n"))?;
            Ok(Exit::Success)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "s3dest", &mut script);
            ui.out(&String::from_utf8_lossy(&script))?;
            Ok(Exit::Success)
        }
        Command::Outputs {
            specs,
            format,
            jobs,
        } => outputs_command(&specs, format, jobs.jobs, ui),
        Command::Access {
            specs,
            format,
            jobs,
        } => access_command(&specs, format, jobs.jobs, ui),
        Command::Import {
            name,
            buckets,
            account,
        } => import_command(&name, &buckets, account.as_deref(), ui),
    }
}

/// A spec as loaded for a run: its file, its text, and the checked spec.
pub struct Loaded {
    pub path: PathBuf,
    pub text: String,
    pub spec: Spec,
}

/// Loads every spec the arguments name, printing each one's diagnostics. Any error stops
/// the run here, before any AWS call, whichever spec it is in.
pub fn load_specs(args: &[PathBuf], ui: &Ui) -> Result<Vec<Loaded>> {
    load_specs_reporting(args, false, ui)
}

/// [`load_specs`]; with `json`, an invalid spec's diagnostics also go to stdout, as the
/// diagnostics object.
pub fn load_specs_reporting(args: &[PathBuf], json: bool, ui: &Ui) -> Result<Vec<Loaded>> {
    let paths = runs::spec_paths(args)?;
    let report = Report {
        json,
        several: paths.len() > 1,
    };
    let loaded = runs::load_all(&paths, "specs", ui, |path| {
        let text = read_spec(path, report, ui)?;
        let spec = check_spec(path, &text, report, ui)?.spec;
        Ok(vec![Loaded {
            path: path.to_owned(),
            text,
            spec,
        }])
    })?;
    runs::refuse_same_names(loaded.iter().map(|l| (l.path.as_path(), &l.spec)))?;
    Ok(loaded)
}

/// A spec's plan, and AWS as read for it.
struct Planned {
    plan: Plan,
    observed: Observed,
}

/// Reads AWS for each spec (its own clients: the role it assumes), `jobs` at once, and
/// what `then` makes of it. Configuration errors stop the run before any spec.
async fn each_read<T>(
    loaded: &[Loaded],
    purpose: Purpose,
    jobs: u16,
    ui: &Ui,
    then: impl Fn(&Loaded, Desired, Observed) -> T,
) -> Result<Vec<runs::Done<T>>> {
    let base = Aws::from_env().await?;
    let (base, then) = (&base, &then);
    Ok(runs::each(ui, loaded, jobs, |unit, ui| async move {
        let aws = runs::client_for(base, &unit.spec).await?;
        let read = read_for(&aws, &unit.spec, purpose).await;
        log_calls(&aws, &unit.spec.name, &ui);
        let (desired, observed) = read?;
        Ok(then(unit, desired, observed))
    })
    .await)
}

/// `s3dest plan`: read, diff, render; optionally save the plan.
fn plan_command(
    args: &[PathBuf],
    format: PlanFormat,
    out: Option<&Path>,
    detailed_exitcode: bool,
    targets: &[String],
    jobs: u16,
    ui: &Ui,
) -> Result<Exit> {
    let loaded = load_specs_reporting(args, format == PlanFormat::Json, ui)?;
    let specs: Vec<&Spec> = loaded.iter().map(|l| &l.spec).collect();
    let targets = Targets::parse(targets, &specs)?;
    targets.warn(ui);
    let done = runtime()?.block_on(each_read(&loaded, Purpose::Plan, jobs, ui, |_, d, o| {
        Planned {
            plan: targets.limit(plan::diff(&d, &o), &d),
            observed: o,
        }
    }))?;
    let several = loaded.len() > 1;
    let planned = match (format, several) {
        (PlanFormat::Markdown, true) => combined_markdown(&loaded, done, ui)?,
        _ => runs::print_units(
            ui,
            &loaded,
            done,
            format == PlanFormat::Json,
            |unit, p, out| {
                out.stdout.push_str(&match format {
                    PlanFormat::Text => render::text(&p.plan, ui.color_stdout),
                    PlanFormat::Json => runs::json_text(render::json(&p.plan), unit, several)?,
                    PlanFormat::Markdown => render::markdown(&p.plan),
                });
                Ok(())
            },
        )?,
    };
    if several && format == PlanFormat::Text {
        ui.out(&runs::summary(planned.iter().map(|p| {
            p.as_ref()
                .map(|p| (!p.plan.is_empty(), p.plan.has_errors()))
        })))?;
    }
    // Errors and error findings are in the output; a plan that cannot work is not saved.
    let workable: Option<Vec<(&Loaded, &Planned)>> = loaded
        .iter()
        .zip(&planned)
        .map(|(unit, p)| {
            p.as_ref()
                .filter(|p| !p.plan.has_errors())
                .map(|p| (unit, p))
        })
        .collect();
    match (out, &workable) {
        (Some(out), Some(workable)) => save(out, workable, &targets, ui)?,
        (Some(out), None) if several => ui.error(&format!(
            "not saved to `{}`: not every spec could be planned without errors",
            out.display()
        )),
        _ => {}
    }
    let exits = planned.iter().map(|p| match p {
        None => Exit::Error,
        Some(p) if p.plan.has_errors() => Exit::Error,
        Some(p) if detailed_exitcode && !p.plan.is_empty() => Exit::Changes,
        Some(_) => Exit::Success,
    });
    match (several, runs::combine(exits)) {
        (false, Exit::Error) => Err(Reported.into()),
        (_, exit) => Ok(exit),
    }
}

/// The markdown comment of several specs, and their messages on stderr.
fn combined_markdown(
    loaded: &[Loaded],
    done: Vec<runs::Done<Planned>>,
    ui: &Ui,
) -> Result<Vec<Option<Planned>>> {
    let files: Vec<String> = loaded
        .iter()
        .map(|l| l.path.display().to_string())
        .collect();
    let errors: Vec<String> = done
        .iter()
        .map(|d| {
            d.result
                .as_ref()
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        })
        .collect();
    let sections: Vec<render::SpecSection<'_>> = loaded
        .iter()
        .zip(&done)
        .zip(files.iter().zip(&errors))
        .map(|((unit, done), (file, error))| render::SpecSection {
            file,
            spec: &unit.spec.name,
            outcome: done
                .result
                .as_ref()
                .map(|p| &p.plan)
                .map_err(|_| error.as_str()),
        })
        .collect();
    ui.out(&render::markdown_several(&sections))?;
    let mut planned = Vec::new();
    for (unit, done) in loaded.iter().zip(done) {
        let section = done.section.unwrap_or_default();
        runs::print_stderr(ui, &runs::who(unit), &section, done.result.as_ref().err());
        planned.push(done.result.ok());
    }
    Ok(planned)
}

/// Saves the plan of one spec to `out`; of several, one file per spec in the directory
/// `out` (one that exists, or a path ending in `/`), else one file holding them all.
fn save(out: &Path, planned: &[(&Loaded, &Planned)], targets: &Targets, ui: &Ui) -> Result<()> {
    let file_at = |path: &Path, (unit, planned): &(&Loaded, &Planned)| {
        let (plan, observed) = (&planned.plan, &planned.observed);
        PlanFile::new(
            path,
            &unit.path,
            &unit.text,
            plan,
            observed,
            &targets.names(),
        )
    };
    if let [one] = planned {
        planfile::save(out, &file_at(out, one))?;
        ui.info(&format!(
            "Saved the plan to {}. Apply exactly it with: s3dest apply {}",
            out.display(),
            out.display()
        ));
        return Ok(());
    }
    let to_dir = out.is_dir() || out.as_os_str().to_string_lossy().ends_with('/');
    if to_dir {
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot make the directory `{}`", out.display()))?;
        let names = planfile::names_in_dir(
            planned
                .iter()
                .map(|(u, p)| (u.spec.name.as_str(), p.plan.account_id.as_str())),
        );
        for (unit, name) in planned.iter().zip(names) {
            let path = out.join(name);
            planfile::save(&path, &file_at(&path, unit))?;
        }
    } else {
        let files: Vec<PlanFile> = planned.iter().map(|unit| file_at(out, unit)).collect();
        planfile::save_bundle(out, &files)?;
    }
    ui.info(&format!(
        "Saved the plans of {} specs to {}. Apply exactly them with: s3dest apply {}",
        planned.len(),
        out.display(),
        out.display()
    ));
    Ok(())
}

/// `s3dest init`: a starter spec, and the schema its first line names. Never overwrites.
fn init(path: &Path, vendors: &[String], bucket: Option<&str>, ui: &Ui) -> Result<Exit> {
    use s3dest_spec::vendors::Vendor;
    let chosen = vendors
        .iter()
        .map(|name| {
            Vendor::parse(name).with_context(|| {
                let known: Vec<&str> = Vendor::all().map(Vendor::as_str).collect();
                format!(
                    "`--vendor {name}` is not a vendor s3dest knows; it knows {}",
                    known.join(", ")
                )
            })
        })
        .collect::<Result<Vec<Vendor>>>()?;
    if let Some(bad) = bucket.filter(|b| !s3dest_spec::is_valid_bucket_name(b)) {
        bail!("`--bucket {bad}` is not a valid S3 bucket name");
    }
    let text = s3dest_spec::starter::starter(&chosen, bucket);
    if is_stdin(path) {
        ui.out(&text)?;
        return Ok(Exit::Success);
    }
    match write_new(path, &text) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "`{}` exists, and `s3dest init` never overwrites a file: remove it, or name another (`s3dest init other.yaml`)",
            path.display()
        ),
        Err(err) => return Err(err).with_context(|| format!("cannot write `{}`", path.display())),
    }
    ui.info(&format!(
        "Wrote {}. Replace each `<...>` marked `# fill in:`, then run `s3dest validate {}`.",
        path.display(),
        path.display()
    ));
    let schema = path
        .parent()
        .unwrap_or(Path::new(""))
        .join(s3dest_spec::starter::SCHEMA_FILE);
    if !schema.exists() {
        let text = serde_json::to_string_pretty(&s3dest_spec::json_schema())? + "\n";
        write_new(&schema, &text)
            .with_context(|| format!("cannot write `{}`", schema.display()))?;
        ui.info(&format!(
            "Wrote {}, the schema editors check the spec against (`s3dest schema` prints it).",
            schema.display()
        ));
    }
    Ok(Exit::Success)
}

/// Writes a file that must not exist yet (checked by the file system, not before).
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// `s3dest show`: a saved plan as `plan` showed it; no AWS call, not even for
/// credentials.
fn show(path: &Path, format: PlanFormat, ui: &Ui) -> Result<Exit> {
    let bytes = read_file(path, &SPEC_OR_PLAN)?;
    let files = planfile::parse_any(&bytes)
        .with_context(|| {
            format!(
                "`{}` is not a plan file: `s3dest show` shows what `s3dest plan --out` saved",
                path.display()
            )
        })?
        .with_context(|| format!("`{}`", path.display()))?;
    let several = files.len() > 1;
    for file in &files {
        let Some(rendered) = &file.rendered else {
            bail!(
                "`{}` was saved by an older s3dest, which did not keep the plan as shown: make a new plan with `s3dest plan --out`",
                path.display()
            );
        };
        let (_, spec) = file.spec_file(path);
        let name = file.plan["spec"].as_str().unwrap_or_default();
        let heading = runs::heading(Path::new(&spec), name);
        let shown = match format {
            PlanFormat::Text if ui.color_stdout => rendered.text_color.clone(),
            PlanFormat::Text => rendered.text.clone(),
            PlanFormat::Markdown => rendered.markdown.clone(),
            PlanFormat::Json if several => serde_json::to_string(&file.plan)? + "\n",
            PlanFormat::Json => serde_json::to_string_pretty(&file.plan)? + "\n",
        };
        match (several, format) {
            (true, PlanFormat::Text | PlanFormat::Markdown) => ui.out(&(heading + &shown))?,
            _ => ui.out(&shown)?,
        }
    }
    Ok(Exit::Success)
}

/// `s3dest outputs`: what to enter in each vendor's UI.
fn outputs_command(args: &[PathBuf], format: OutputFormat, jobs: u16, ui: &Ui) -> Result<Exit> {
    let loaded = load_specs(args, ui)?;
    let done = runtime()?.block_on(each_read(&loaded, Purpose::Plan, jobs, ui, |_, d, o| {
        let list = outputs::outputs(&d, &o);
        let plan = plan::diff(&d, &o);
        let converged = plan.is_empty() && plan.errors.is_empty();
        (d.spec, list, converged)
    }))?;
    let several = loaded.len() > 1;
    let json = format == OutputFormat::Json;
    let listed = runs::print_units(
        ui,
        &loaded,
        done,
        json,
        |unit, (spec, list, converged), out| {
            out.stdout.push_str(&match format {
                OutputFormat::Text => outputs::to_text(list),
                OutputFormat::Json => runs::json_text(outputs::to_json(spec, list), unit, several)?,
            });
            if !converged {
                out.stderr.push_str(
                "note: AWS does not match the spec yet; run `s3dest apply` before entering these values.\n",
            );
            }
            Ok(())
        },
    )?;
    Ok(runs::combine(listed.iter().map(|l| match l {
        Some(_) => Exit::Success,
        None => Exit::Error,
    })))
}

/// `s3dest access`: what each vendor can do in AWS as it is now. Exit 1 when one
/// cannot make a request it needs, or its role admits a wrong or missing external ID.
fn access_command(args: &[PathBuf], format: OutputFormat, jobs: u16, ui: &Ui) -> Result<Exit> {
    let loaded = load_specs(args, ui)?;
    let done = runtime()?.block_on(each_read(&loaded, Purpose::Access, jobs, ui, |_, d, o| {
        s3dest_core::access::report(&d, &o)
    }))?;
    let several = loaded.len() > 1;
    let json = format == OutputFormat::Json;
    let reports = runs::print_units(ui, &loaded, done, json, |unit, report, out| {
        out.stdout.push_str(&match format {
            OutputFormat::Text => render::access_text(report, ui.color_stdout),
            OutputFormat::Json => runs::json_text(render::access_json(report), unit, several)?,
        });
        Ok(())
    })?;
    let exits = reports.iter().map(|r| match r {
        Some(report) if report.works() => Exit::Success,
        _ => Exit::Error,
    });
    match (several, runs::combine(exits)) {
        (false, Exit::Error) => Err(Reported.into()),
        (_, exit) => Ok(exit),
    }
}

/// `s3dest import`: a commented spec of what the guides made, on stdout. Read-only.
fn import_command(name: &str, buckets: &[String], account: Option<&str>, ui: &Ui) -> Result<Exit> {
    // Bad input is refused before any AWS call.
    if let Err(why) = s3dest_spec::check_spec_name(name) {
        ui.error(&format!("`--name {name}` cannot be a spec's name: {why}"));
        return Err(Reported.into());
    }
    if let Some(bad) = buckets
        .iter()
        .find(|b| !s3dest_spec::is_valid_bucket_name(b))
    {
        ui.error(&format!("`--bucket {bad}` is not a valid S3 bucket name"));
        return Err(Reported.into());
    }
    if let Some(bad) = account.filter(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        ui.error(&format!(
            "`--account {bad}` is not an AWS account ID (12 digits)"
        ));
        return Err(Reported.into());
    }
    let only: std::collections::BTreeSet<String> = buckets.iter().cloned().collect();
    let imported = runtime()?.block_on(async {
        let aws = Aws::from_env().await?;
        if let Some(pinned) = account {
            check_account(&aws, pinned, &format!("`--account` says account {pinned}")).await?;
        }
        let iam = aws.read_whole_account_iam().await?;
        let mut observed = Observed {
            account_id: iam.account_id,
            roles: iam.roles,
            users: iam.users,
            read_at: now()?,
            ..Observed::default()
        };
        let request = s3dest_core::model::ReadRequest {
            spec: name.to_owned(),
            role_names: Default::default(),
            buckets: s3dest_core::import::buckets_to_read(&observed, &only)
                .into_iter()
                .map(|b| (b, Default::default()))
                .collect(),
        };
        observed.buckets = aws.read_buckets(&request).await?;
        log_calls(&aws, name, ui);
        anyhow::Ok(s3dest_core::import::recognise(name, &observed, &only))
    })?;
    ui.out(&s3dest_core::import::to_yaml(&imported))?;
    ui.info(&format!(
        "Found {} destination(s) in account {}. Save the spec, then run `s3dest plan` on it.",
        imported.destinations.len(),
        imported.account_id
    ));
    Ok(Exit::Success)
}

/// `s3dest validate`: each spec checked offline; a spec pinned to no account is told so.
/// With `--format json`, each spec's diagnostics object on stdout instead of a sentence.
fn validate(args: &[PathBuf], format: OutputFormat, ui: &Ui) -> Result<Exit> {
    let paths = runs::spec_paths(args)?;
    let report = Report {
        json: format == OutputFormat::Json,
        several: paths.len() > 1,
    };
    let mut exits = Vec::new();
    let mut valid = Vec::new();
    for path in &paths {
        let checked = read_spec(path, report, ui).and_then(|text| {
            let checked = check_spec(path, &text, report, ui)?;
            let name = shown(path);
            if !checked.advice.is_empty() {
                ui.info(&s3dest_spec::render_diagnostics(
                    &name,
                    &text,
                    &checked.advice,
                    ui.color_stderr,
                ));
            }
            let mut diags = [checked.warnings.as_slice(), &checked.advice].concat();
            diags.sort_by_key(|d| d.span.offset);
            report.print_json(&name, &diags, ui)?;
            Ok(checked.spec)
        });
        let spec = match (checked, paths.len()) {
            (Ok(spec), _) => spec,
            (Err(err), 1) => return Err(err),
            (Err(err), _) => {
                if !err.is::<Reported>() {
                    ui.error(&format!("{err:#}"));
                }
                exits.push(Exit::Error);
                continue;
            }
        };
        if !report.json {
            ui.out(&format!(
                "{} is valid: spec `{}`, {} bucket(s), {} destination(s).\n",
                path.display(),
                spec.name,
                spec.buckets.len(),
                spec.destinations.len()
            ))?;
        }
        exits.push(Exit::Success);
        valid.push((path, spec));
    }
    runs::refuse_same_names(valid.iter().map(|(path, spec)| (path.as_path(), spec)))?;
    match runs::combine(exits) {
        Exit::Error => Err(Reported.into()),
        exit => Ok(exit),
    }
}

/// What a file may be, for the error about one too large to read.
pub(crate) struct Limit {
    bytes: usize,
    /// ``a spec``
    what: &'static str,
    /// ``the limit is 4194304 bytes (4 MiB)``: it must say what `bytes` is.
    rule: &'static str,
}

// The limits as the messages below spell them.
const _: () =
    assert!(s3dest_spec::MAX_SPEC_BYTES == 4 << 20 && planfile::MAX_PLAN_BYTES == 32 << 20);

/// A spec: [`s3dest_spec::MAX_SPEC_BYTES`].
pub(crate) const SPEC: Limit = Limit {
    bytes: s3dest_spec::MAX_SPEC_BYTES,
    what: "a spec",
    rule: "the limit is 4194304 bytes (4 MiB)",
};

/// What `apply` reads: a spec or a plan file, which holds a spec and more.
pub(crate) const SPEC_OR_PLAN: Limit = Limit {
    bytes: planfile::MAX_PLAN_BYTES,
    what: "a spec or a plan file",
    rule: "a spec may have at most 4 MiB, a plan file 32 MiB",
};

/// Reads a whole file of at most `limit.bytes`. A larger one is refused by its size before
/// anything is read, and, when it has no size (a pipe) or grows meanwhile, after one byte
/// more than the limit: never more is read.
pub(crate) fn read_file(path: &Path, limit: &Limit) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let cannot_read = || format!("cannot read `{}`", shown(path));
    let mut bytes = Vec::new();
    if is_stdin(path) {
        std::io::stdin()
            .lock()
            .take(limit.bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(cannot_read)?;
    } else {
        let file = std::fs::File::open(path).with_context(cannot_read)?;
        let size = file.metadata().with_context(cannot_read)?.len();
        if size > limit.bytes as u64 {
            return Err(too_large(path, limit, &format!("{size} bytes")));
        }
        bytes.reserve(size as usize);
        file.take(limit.bytes as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(cannot_read)?;
    }
    if bytes.len() > limit.bytes {
        return Err(too_large(
            path,
            limit,
            &format!("over {} bytes", limit.bytes),
        ));
    }
    Ok(bytes)
}

/// `-` stands for standard input, as a spec (or a plan file for `apply`).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A file's name in messages: `<stdin>` for `-`.
pub(crate) fn shown(path: &Path) -> String {
    match is_stdin(path) {
        true => "<stdin>".to_owned(),
        false => path.display().to_string(),
    }
}

/// The error for a file of `size` over its limit.
fn too_large(path: &Path, limit: &Limit, size: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`{}` is too large for {}: {size}, and {}. Is it the right file? Nothing was sent to AWS.",
        shown(path),
        limit.what,
        limit.rule
    )
}

/// Reads a spec file: at most [`s3dest_spec::MAX_SPEC_BYTES`], UTF-8. With `--format
/// json`, a file that cannot be read gets its diagnostics object too.
fn read_spec(path: &Path, report: Report, ui: &Ui) -> Result<String> {
    let text = read_file(path, &SPEC)
        .and_then(|bytes| Ok(decode_spec(path, &bytes, report, ui)?.to_owned()));
    if let Err(err) = &text
        && !err.is::<Reported>()
    {
        let unreadable = s3dest_spec::Diagnostic::whole_file(format!("{err:#}"));
        report.print_json(&shown(path), &[unreadable], ui)?;
    }
    text
}

/// The text of a spec file's bytes; an error located at the first byte that is not UTF-8
/// is printed like any other error in the spec.
pub(crate) fn spec_text<'b>(path: &Path, bytes: &'b [u8], ui: &Ui) -> Result<&'b str> {
    decode_spec(path, bytes, Report::TEXT, ui)
}

fn decode_spec<'b>(path: &Path, bytes: &'b [u8], report: Report, ui: &Ui) -> Result<&'b str> {
    if bytes.len() > s3dest_spec::MAX_SPEC_BYTES {
        return Err(too_large(path, &SPEC, &format!("{} bytes", bytes.len())));
    }
    s3dest_spec::decode(bytes).map_err(|err| {
        let name = shown(path);
        report_spec_errors(&name, &err.text, &[err.diagnostic], report, ui)
    })
}

/// Parses and checks the spec; prints every diagnostic. Errors stop here, before any AWS call.
pub fn load_spec(path: &Path, text: &str, ui: &Ui) -> Result<Spec> {
    Ok(check_spec(path, text, Report::TEXT, ui)?.spec)
}

/// Where a spec's diagnostics go: rendered on stderr always; with `--format json`, also
/// as the diagnostics object on stdout, pretty, or on one line with its `file` when the
/// run has several specs (JSON Lines, as their plans are).
#[derive(Debug, Clone, Copy)]
struct Report {
    json: bool,
    several: bool,
}

impl Report {
    const TEXT: Report = Report {
        json: false,
        several: false,
    };

    fn print_json(self, file: &str, diags: &[s3dest_spec::Diagnostic], ui: &Ui) -> Result<()> {
        if !self.json {
            return Ok(());
        }
        let mut value = s3dest_spec::diagnostics_json(file, diags);
        let text = if self.several {
            if let Some(object) = value.as_object_mut() {
                object.insert("file".to_owned(), file.into());
            }
            serde_json::to_string(&value)?
        } else {
            serde_json::to_string_pretty(&value)?
        };
        ui.out(&(text + "\n"))?;
        Ok(())
    }
}

/// [`load_spec`], with the advice only `validate` shows.
fn check_spec(path: &Path, text: &str, report: Report, ui: &Ui) -> Result<s3dest_spec::Checked> {
    let name = shown(path);
    match s3dest_spec::parse(&name, text) {
        Ok(checked) => {
            if !checked.warnings.is_empty() {
                ui.info(&s3dest_spec::render_diagnostics(
                    &name,
                    text,
                    &checked.warnings,
                    ui.color_stderr,
                ));
            }
            Ok(s3dest_spec::Checked {
                spec: crate::spec_file::with_file(checked.spec, path),
                ..checked
            })
        }
        Err(diags) => Err(report_spec_errors(&name, text, &diags, report, ui)),
    }
}

/// Prints a spec's diagnostics and the line that closes them.
fn report_spec_errors(
    name: &str,
    text: &str,
    diags: &[s3dest_spec::Diagnostic],
    report: Report,
    ui: &Ui,
) -> anyhow::Error {
    if let Err(err) = report.print_json(name, diags, ui) {
        return err;
    }
    ui.info(&s3dest_spec::render_diagnostics(
        name,
        text,
        diags,
        ui.color_stderr,
    ));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    ui.error(&format!(
        "{name}: {errors} error(s) in the spec; nothing was sent to AWS"
    ));
    Reported.into()
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// What AWS is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A plan (and apply, outputs): what the planner needs.
    Plan,
    /// `s3dest access`: also every destination bucket's default encryption, since an
    /// SSE-KMS key decides whether any vendor can write.
    Access,
}

/// Reads everything the plan needs: IAM (and the spec's secrets) first, because the
/// identities' tags name the folders prune may delete; then S3.
pub async fn read(aws: &impl Cloud, spec: &Spec) -> Result<(Desired, Observed)> {
    read_for(aws, spec, Purpose::Plan).await
}

/// [`read`], for `purpose`.
pub async fn read_for(
    aws: &impl Cloud,
    spec: &Spec,
    purpose: Purpose,
) -> Result<(Desired, Observed)> {
    // Before any other call: credentials of the wrong account read nothing.
    if let Some(pinned) = &spec.account {
        let pinned_by = format!(
            "spec `{}` is pinned to account {pinned} (`account:`)",
            spec.name
        );
        check_account(aws, pinned, &pinned_by).await?;
    }
    let read_at = now()?;
    let identities = s3dest_core::wanted_identities(spec);
    let owned = |tags: &BTreeMap<String, String>| tags.get(TAG_SPEC) == Some(&spec.name);
    // Secrets matter only to access-key destinations, and to users left to prune: a
    // spec of roles alone needs no Secrets Manager permission and makes no such call.
    let secrets_now = !identities.users.is_empty();
    let secrets = async {
        match secrets_now {
            true => aws.read_secrets(&spec.name).await.map(Some),
            false => Ok(None),
        }
    };
    let (iam, secrets) = tokio::try_join!(aws.read_iam(&identities), secrets)?;
    let desired = presets::expand(spec, &iam.account_id);
    let tags = iam
        .roles
        .values()
        .map(|r| &r.tags)
        .chain(iam.users.values().map(|u| &u.tags));
    let mut request = s3dest_core::read_request(&desired, tags.filter(|t| owned(t)));
    if purpose == Purpose::Access {
        for dest in desired.destinations.values() {
            if let Some(read) = request.buckets.get_mut(&dest.bucket) {
                read.encryption = true;
            }
        }
    }
    let secrets_later = secrets.is_none() && iam.users.values().any(|u| owned(&u.tags));
    let late_secrets = async {
        match secrets_later {
            true => aws.read_secrets(&spec.name).await,
            false => Ok(BTreeMap::new()),
        }
    };
    let (buckets, late_secrets) = tokio::try_join!(aws.read_buckets(&request), late_secrets)?;
    let observed = Observed {
        account_id: iam.account_id,
        roles: iam.roles,
        users: iam.users,
        secrets: secrets.unwrap_or(late_secrets),
        buckets,
        read_at,
    };
    Ok((desired, observed))
}

/// Refuses credentials of another account than `pinned`; `pinned_by` says who asked for
/// it (``spec `acme` is pinned to account 1… (`account:`)``). Asks STS, and nothing else.
async fn check_account(aws: &impl Cloud, pinned: &str, pinned_by: &str) -> Result<()> {
    let actual = aws.caller_account().await?;
    if actual != pinned {
        bail!(
            "the credentials are of account {actual}, and {pinned_by}: nothing was read or \
             changed; use credentials of account {pinned}"
        );
    }
    Ok(())
}

/// The planner's clock. `S3DEST_NOW` (an RFC 3339 time) overrides it, so that tests
/// against an emulator can show key rotation without waiting months.
fn now() -> Result<jiff::Timestamp> {
    match std::env::var("S3DEST_NOW") {
        Ok(text) => text
            .parse()
            .with_context(|| format!("S3DEST_NOW=`{text}` is not an RFC 3339 time")),
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

pub(crate) fn log_calls(aws: &impl Cloud, spec: &str, ui: &Ui) {
    match ui.in_section() {
        false => tracing::info!("AWS calls made: {}", aws.calls()),
        true => tracing::info!("spec `{spec}`: AWS calls made: {}", aws.calls()),
    }
}

#[cfg(test)]
mod tests {
    use s3dest_aws::Cloud;
    use s3dest_core::plan;
    use s3dest_testkit::MemoryCloud;

    use super::read;

    /// The read sequence over the in-memory cloud: plan, apply, read again, nothing left.
    #[tokio::test]
    async fn the_read_sequence_converges_over_the_memory_cloud() {
        let yaml = "version: 1\nname: acme\nbuckets:\n  acme-exports: { create: true }\ndestinations:\n  \
                    partner: { vendor: custom, bucket: acme-exports, folder: partner, principal: \"111122223333\", external_id: x-1, actions: [s3:PutObject] }\n  \
                    keys: { vendor: walkme, auth: access-key, bucket: acme-exports, folder: keys }\n";
        let spec = s3dest_spec::parse("s3dest.yaml", yaml).unwrap().spec;
        let cloud = MemoryCloud::new();
        let (desired, observed) = read(&cloud, &spec).await.unwrap();
        let first = plan::diff(&desired, &observed);
        assert!(first.errors.is_empty(), "{:#?}", first.errors);
        assert!(!first.is_empty());
        let report = cloud.apply(&first, &|_| {}).await.unwrap();
        assert!(report.is_success(), "{report:#?}");
        let (desired, observed) = read(&cloud, &spec).await.unwrap();
        assert_eq!(observed.secrets.len(), 1);
        let next = plan::diff(&desired, &observed);
        assert!(next.is_empty(), "{:#?}", next.changes);
    }
}
