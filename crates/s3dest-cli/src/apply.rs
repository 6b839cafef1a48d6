//! `s3dest apply`: of one spec or saved plan as always; of several at once, each planned
//! on its own, every plan shown, then confirmed once and applied a bounded number at a
//! time. A run of several applies nothing when any of its plans cannot be made or has
//! errors: what was reviewed is applied whole or not at all.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use s3dest_aws::{ApplyConfig, ApplyEvent, Aws, Cloud};
use s3dest_core::plan::{self, Plan};
use s3dest_core::render;
use s3dest_spec::Spec;

use crate::commands::{self, Loaded, read};
use crate::planfile::{self, PlanFile};
use crate::runs;
use crate::target::Targets;
use crate::ui::Ui;
use crate::{Exit, Reported};

/// What one argument of `apply` gave: a spec, or a saved plan (and its spec).
enum Target {
    Spec(Loaded),
    Saved {
        path: PathBuf,
        file: Box<PlanFile>,
        spec: Spec,
    },
}

impl Target {
    fn spec(&self) -> &Spec {
        match self {
            Target::Spec(loaded) => &loaded.spec,
            Target::Saved { spec, .. } => spec,
        }
    }

    fn path(&self) -> &Path {
        match self {
            Target::Spec(loaded) => &loaded.path,
            Target::Saved { path, .. } => path,
        }
    }

    /// The destinations its plan is limited to: `--target`'s for a spec, those the
    /// saved plan was made with for a saved plan.
    fn limit(&self, only: &Targets) -> Targets {
        match self {
            Target::Spec(_) => only.clone(),
            Target::Saved { file, .. } => Targets::saved(&file.targets),
        }
    }
}

pub fn apply_command(
    args: &[PathBuf],
    auto_approve: bool,
    break_lock: bool,
    only: &[String],
    jobs: u16,
    ui: &Ui,
) -> Result<Exit> {
    let targets = targets(args, ui)?;
    if !only.is_empty() && targets.iter().any(|t| matches!(t, Target::Saved { .. })) {
        bail!(
            "`--target` limits the plan of a spec; a saved plan is applied as it was made (with the `--target` of its `plan`, if any); nothing was sent to AWS"
        );
    }
    let specs: Vec<&Spec> = targets.iter().map(Target::spec).collect();
    let only = Targets::parse(only, &specs)?;
    only.warn(ui);
    commands::runtime()?.block_on(async {
        let base = apply_client(break_lock).await?;
        match targets.as_slice() {
            [one] => apply_one(&base, one, auto_approve, &only, ui).await,
            several => apply_several(&base, several, auto_approve, &only, jobs, ui).await,
        }
    })
}

/// The targets the arguments name. A directory holding plan files (`*.plan`, as
/// `plan --out DIR/` writes them) gives those; any other its specs. Every target is
/// checked before any AWS call: a saved plan whose spec file changed is refused here.
fn targets(args: &[PathBuf], ui: &Ui) -> Result<Vec<Target>> {
    let mut paths = Vec::new();
    for arg in args {
        let plans = match arg.is_dir() {
            true => runs::files_in(arg, &[planfile::PLAN_EXTENSION])?,
            false => Vec::new(),
        };
        match plans.is_empty() {
            true => paths.push(arg.clone()),
            false => paths.extend(plans),
        }
    }
    let paths = runs::spec_paths(&paths)?;
    let targets = runs::load_all(&paths, "targets", ui, |path| targets_of(path, ui))?;
    runs::refuse_same_names(targets.iter().map(|t| (t.path(), t.spec())))?;
    Ok(targets)
}

/// The targets of one file: a spec, a saved plan, or a file of saved plans.
fn targets_of(path: &Path, ui: &Ui) -> Result<Vec<Target>> {
    // A plan file holds a spec and more, so it may be larger than a spec.
    let bytes = commands::read_file(path, &commands::SPEC_OR_PLAN)?;
    let Some(files) = planfile::parse_any(&bytes) else {
        let text = commands::spec_text(path, &bytes, ui)?;
        let spec = commands::load_spec(path, text, ui)?;
        return Ok(vec![Target::Spec(Loaded {
            path: path.to_owned(),
            text: text.to_owned(),
            spec,
        })]);
    };
    let files = files.with_context(|| format!("`{}`", path.display()))?;
    files
        .into_iter()
        .map(|file| {
            check_spec_unchanged(path, &file, ui)?;
            let spec = saved_spec(path, &file, ui)?;
            Ok(Target::Saved {
                path: path.to_owned(),
                file: Box::new(file),
                spec,
            })
        })
        .collect()
}

/// The spec saved in a plan file, checked again.
fn saved_spec(path: &Path, file: &PlanFile, ui: &Ui) -> Result<Spec> {
    let (spec_path, spec_name) = file.spec_file(path);
    match s3dest_spec::parse(&spec_name, &file.spec_text) {
        // Where the spec is (or was) is the file its resources record.
        Ok(checked) => Ok(crate::spec_file::with_file(checked.spec, &spec_path)),
        Err(diags) => {
            ui.info(&s3dest_spec::render_diagnostics(
                &spec_name,
                &file.spec_text,
                &diags,
                ui.color_stderr,
            ));
            bail!("the spec saved in `{}` no longer validates", path.display());
        }
    }
}

/// The client for apply; `--break-lock` decides what a stale bucket-policy lock does.
async fn apply_client(break_lock: bool) -> Result<Aws> {
    let config = ApplyConfig {
        break_stale_lock: break_lock,
        ..ApplyConfig::default()
    };
    Ok(Aws::from_env().await?.with_apply_config(config))
}

/// The plan to apply: of a spec, as AWS is now; of a saved plan, the same plan again,
/// or an error when AWS changed since it was made.
async fn prepare(aws: &Aws, target: &Target, limit: &Targets, ui: &Ui) -> Result<Plan> {
    let (desired, mut observed) = read(aws, target.spec()).await?;
    let Target::Saved { path, file, .. } = target else {
        return Ok(limit.limit(plan::diff(&desired, &observed), &desired));
    };
    let changed = file.changed_objects(&observed);
    if !changed.is_empty() {
        for object in &changed {
            ui.error(&format!("changed since the plan was made: {object}"));
        }
        bail!(
            "the saved plan `{}` is stale: AWS changed since it was made; nothing was changed. Make a new plan.",
            path.display()
        );
    }
    // The same inputs, the same clock: the same plan. Checked anyway, so that nothing
    // but exactly the reviewed plan is ever applied.
    observed.read_at = file.read_at;
    let plan = limit.limit(plan::diff(&desired, &observed), &desired);
    if render::json(&plan)["changes"] != file.plan["changes"] {
        bail!(
            "the saved plan `{}` is stale: planning again now gives other changes; nothing was changed. Make a new plan.",
            path.display()
        );
    }
    Ok(plan)
}

/// One spec or saved plan: its plan shown, confirmed (a spec's, unless `--auto-approve`),
/// applied.
async fn apply_one(
    base: &Aws,
    target: &Target,
    auto_approve: bool,
    only: &Targets,
    ui: &Ui,
) -> Result<Exit> {
    let aws = runs::client_for(base, target.spec()).await?;
    let limit = target.limit(only);
    let result = async {
        let plan = prepare(&aws, target, &limit, ui).await?;
        ui.out(&render::text(&plan, ui.color_stdout))?;
        if plan.has_errors() {
            if let Target::Spec(_) = target {
                ui.error("the plan has errors; nothing was changed");
            }
            return Err(Reported.into());
        }
        if plan.is_empty() {
            return Ok(Exit::Success);
        }
        if matches!(target, Target::Spec(_)) && !auto_approve && !confirm(ui, None)? {
            return Ok(Exit::Error);
        }
        execute(&aws, target.spec(), &plan, &limit, ui).await
    }
    .await;
    commands::log_calls(&aws, &target.spec().name, ui);
    result
}

/// Asks for `yes` on the terminal; `false` (and a message) for any other answer. Without
/// a terminal there is no one to ask: an error.
fn confirm(ui: &Ui, specs: Option<usize>) -> Result<bool> {
    if !ui.stdin_is_terminal() {
        bail!(
            "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve (nothing was changed)"
        );
    }
    let question = match specs {
        None => "Do you want to perform these actions? Only 'yes' will be accepted: ".to_owned(),
        Some(n) => format!(
            "Do you want to perform these actions in {n} specs? Only 'yes' will be accepted: "
        ),
    };
    if ui.ask(&question)? != "yes" {
        ui.info("Apply cancelled; nothing was changed.");
        return Ok(false);
    }
    Ok(true)
}

/// A target planned, with its clients, ready to apply.
struct Ready<'t> {
    target: &'t Target,
    aws: Aws,
    plan: Plan,
    limit: Targets,
}

/// Several targets: every plan made and shown, then the changing ones applied.
async fn apply_several(
    base: &Aws,
    targets: &[Target],
    auto_approve: bool,
    only: &Targets,
    jobs: u16,
    ui: &Ui,
) -> Result<Exit> {
    let planned = runs::each(ui, targets, jobs, |target, ui| async move {
        let aws = runs::client_for(base, target.spec()).await?;
        let limit = target.limit(only);
        let plan = prepare(&aws, target, &limit, &ui).await;
        commands::log_calls(&aws, &target.spec().name, &ui);
        let plan = plan?;
        ui.out(&render::text(&plan, ui.color_stdout))?;
        Ok(Ready {
            target,
            aws,
            plan,
            limit,
        })
    })
    .await;
    let mut ready = Vec::new();
    let mut refused = 0;
    for (target, done) in targets.iter().zip(planned) {
        let heading = runs::heading(target.path(), &target.spec().name);
        let section = done.section.unwrap_or_default();
        runs::print_section(ui, &heading, &section, done.result.as_ref().err());
        match done.result {
            Ok(unit) if !unit.plan.has_errors() => ready.push(unit),
            _ => refused += 1,
        }
    }
    if refused > 0 {
        ui.error(&format!(
            "{refused} of {} specs could not be planned, or their plans have errors (shown above); nothing was changed",
            targets.len()
        ));
        return Err(Reported.into());
    }
    ready.retain(|unit| !unit.plan.is_empty());
    if ready.is_empty() {
        ui.out(&format!("\n{} specs: no changes.\n", targets.len()))?;
        return Ok(Exit::Success);
    }
    let asks = ready.iter().any(|u| matches!(u.target, Target::Spec(_)));
    if asks && !auto_approve && !confirm(ui, Some(ready.len()))? {
        return Ok(Exit::Error);
    }
    let applied = runs::each(ui, &ready, jobs, |unit, ui| async move {
        let result = execute(&unit.aws, unit.target.spec(), &unit.plan, &unit.limit, &ui).await;
        commands::log_calls(&unit.aws, &unit.target.spec().name, &ui);
        result
    })
    .await;
    let mut exits = Vec::new();
    for (unit, done) in ready.iter().zip(&applied) {
        let heading = runs::heading(unit.target.path(), &unit.target.spec().name);
        let section = done.section.clone().unwrap_or_default();
        runs::print_section(ui, &heading, &section, done.result.as_ref().err());
        exits.push(runs::exit_of(&done.result, |exit| *exit));
    }
    let failed = exits.iter().filter(|e| **e == Exit::Error).count();
    ui.out(&format!(
        "\nApplied {} of {} specs with changes{}.\n",
        ready.len() - failed,
        ready.len(),
        match failed {
            0 => String::new(),
            n => format!("; {n} failed (shown above): running apply again converges"),
        }
    ))?;
    Ok(runs::combine(exits))
}

/// The spec file a saved plan was made from must not have changed since: applying the
/// plan would not make AWS match it. When it is gone (the plan file was copied alone), the
/// spec saved in the plan is applied.
fn check_spec_unchanged(path: &Path, file: &PlanFile, ui: &Ui) -> Result<()> {
    if commands::is_stdin(&file.spec_file(path).0) {
        ui.info("note: the plan was made from a spec read from standard input; applying the spec saved in the plan.");
        return Ok(());
    }
    let (spec_path, shown) = file.spec_file(path);
    let now = match commands::read_file(&spec_path, &commands::SPEC) {
        Ok(bytes) => bytes,
        Err(_) if !spec_path.exists() => {
            ui.info(&format!(
                "note: `{shown}`, which the plan was made from, is not there; applying the spec saved in the plan."
            ));
            return Ok(());
        }
        Err(err) => {
            return Err(err.context(format!(
                "cannot compare `{shown}` with the spec saved in the plan `{}`",
                path.display()
            )));
        }
    };
    if now != file.spec_text.as_bytes() {
        bail!(
            "`{shown}` changed since the plan was made: make a new plan (`s3dest plan {shown} --out {}`); nothing was changed",
            path.display()
        );
    }
    Ok(())
}

async fn execute(aws: &Aws, spec: &Spec, plan: &Plan, limit: &Targets, ui: &Ui) -> Result<Exit> {
    // A bar on a terminal; one line per change either way.
    let progress = ui.progress(plan.changes.len());
    let on_event = |event: ApplyEvent| match event {
        ApplyEvent::Started(change) => {
            tracing::debug!("{}: {}", change.address, change.action.as_str());
            progress.start(&change.address.to_string());
        }
        ApplyEvent::Done(change) => progress.done(
            &change.address.to_string(),
            &format!(
                "{} {}: {} done",
                render::symbol(change.action),
                change.address,
                change.action.as_str()
            ),
        ),
        ApplyEvent::Failed(change, err) => progress.failed(
            &change.address.to_string(),
            &format!(
                "{}: {} failed: {err}",
                change.address,
                change.action.as_str()
            ),
        ),
        ApplyEvent::Warning(message) => ui.warn(message),
    };
    let result = aws.apply(plan, &on_event).await;
    // Each failure was printed as it happened; any other is printed now, once.
    let unprinted: Vec<String> = match &result {
        Ok(report) => report
            .failed
            .iter()
            .filter(|(address, _)| !progress.printed_failure(&address.to_string()))
            .map(|(address, err)| format!("{address}: {err}"))
            .collect(),
        Err(_) => Vec::new(),
    };
    drop(progress);
    let report = result.context("apply did not start; nothing was changed")?;
    tracing::info!("AWS calls made by the apply itself: {}", report.calls);
    if !report.is_success() {
        for message in &unprinted {
            ui.error(message);
        }
        if !report.skipped.is_empty() {
            ui.info(&format!(
                "not applied because an earlier step failed: {}",
                report
                    .skipped
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        bail!(
            "apply stopped after {} of {} changes ({} failed, shown above); what was done is kept, and running apply again converges",
            report.applied.len(),
            plan.changes.len(),
            report.failed.len()
        );
    }
    // Re-read: the next plan must be empty, but for the one step the rules leave to a
    // later apply: deleting an access key that this apply deactivated.
    let (desired, observed) = read(aws, spec).await?;
    let after = limit.limit(plan::diff(&desired, &observed), &desired);
    let deferred = |c: &plan::Change| {
        c.ops
            .iter()
            .all(|op| matches!(op, plan::Op::DeleteAccessKey { .. }))
    };
    let stuck = after.changes.iter().any(|c| !deferred(c));
    if stuck || !after.errors.is_empty() {
        ui.out(&render::text(&after, ui.color_stdout))?;
        bail!("apply finished but AWS still differs from the spec (shown above)");
    }
    let s = plan.summary();
    ui.out(&format!(
        "Apply complete: {} created, {} updated, {} replaced, {} destroyed.\n",
        s.create, s.update, s.replace, s.delete
    ))?;
    for next in &after.changes {
        ui.out(&format!(
            "Next apply: {} {} ({})\n",
            render::symbol(next.action),
            next.address,
            next.reason
        ))?;
    }
    Ok(Exit::Success)
}
