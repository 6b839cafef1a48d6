//! The commands: load and check the spec, read AWS, plan, render, apply.

use std::path::Path;

use anyhow::{Context, Result, bail};

use s3dest_aws::{ApplyEvent, Aws, Cloud};
use s3dest_core::model::{Desired, Observed, ObservedBucket};
use s3dest_core::plan::{self, Plan};
use s3dest_core::{outputs, presets, render};
use s3dest_spec::Spec;

use crate::args::{Cli, Command, OutputFormat, PlanFormat};
use crate::planfile::{self, PlanFile};
use crate::ui::Ui;
use crate::{Exit, Reported};

pub fn run(cli: Cli, ui: &Ui) -> Result<Exit> {
    match cli.command {
        Command::Validate { spec } => validate(&spec, ui),
        Command::Plan {
            spec,
            format,
            out,
            detailed_exitcode,
        } => {
            let spec_text = read_file(&spec)?;
            let checked = load_spec(&spec, &spec_text, ui)?;
            let runtime = runtime()?;
            runtime.block_on(async {
                let aws = Aws::from_env().await?;
                let (desired, observed) = read(&aws, &checked).await?;
                let plan = plan::diff(&desired, &observed);
                log_calls(&aws);
                let rendered = match format {
                    PlanFormat::Text => render::text(&plan, ui.color_stdout),
                    PlanFormat::Json => serde_json::to_string_pretty(&render::json(&plan))? + "\n",
                    PlanFormat::Markdown => render::markdown(&plan),
                };
                ui.out(&rendered)?;
                if !plan.errors.is_empty() {
                    return Err(Reported.into());
                }
                if let Some(out) = out {
                    let file = PlanFile::new(&spec, &spec_text, &plan, &observed);
                    planfile::save(&out, &file)?;
                    ui.info(&format!(
                        "Saved the plan to {}. Apply exactly it with: s3dest apply {}",
                        out.display(),
                        out.display()
                    ));
                }
                Ok(if detailed_exitcode && !plan.is_empty() {
                    Exit::Changes
                } else {
                    Exit::Success
                })
            })
        }
        Command::Apply {
            target,
            auto_approve,
        } => {
            let text = read_file(&target)?;
            let runtime = runtime()?;
            match planfile::parse(&text) {
                Some(file) => runtime.block_on(apply_saved(&target, file?, ui)),
                None => {
                    let checked = load_spec(&target, &text, ui)?;
                    runtime.block_on(apply_spec(&checked, auto_approve, ui))
                }
            }
        }
        Command::Outputs { spec, format } => {
            let spec_text = read_file(&spec)?;
            let checked = load_spec(&spec, &spec_text, ui)?;
            let runtime = runtime()?;
            runtime.block_on(async {
                let aws = Aws::from_env().await?;
                let (desired, observed) = read(&aws, &checked).await?;
                let regions = observed
                    .buckets
                    .iter()
                    .filter_map(|(name, b)| match b {
                        ObservedBucket::Present(info) => Some((name.clone(), info.region.clone())),
                        ObservedBucket::Missing => desired.buckets.get(name)?.region.clone().map(|r| (name.clone(), r)),
                    })
                    .collect();
                let list = outputs::outputs(&desired, &regions);
                let rendered = match format {
                    OutputFormat::Text => outputs::to_text(&list),
                    OutputFormat::Json => serde_json::to_string_pretty(&outputs::to_json(&desired.spec, &list))? + "\n",
                };
                ui.out(&rendered)?;
                let plan = plan::diff(&desired, &observed);
                if !plan.is_empty() || !plan.errors.is_empty() {
                    ui.info("note: AWS does not match the spec yet; run `s3dest apply` before entering these values.");
                }
                log_calls(&aws);
                Ok(Exit::Success)
            })
        }
    }
}

fn validate(path: &Path, ui: &Ui) -> Result<Exit> {
    let text = read_file(path)?;
    let checked = load_spec(path, &text, ui)?;
    ui.out(&format!(
        "{} is valid: spec `{}`, {} bucket(s), {} destination(s).\n",
        path.display(),
        checked.name,
        checked.buckets.len(),
        checked.destinations.len()
    ))?;
    Ok(Exit::Success)
}

fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Parses and checks the spec; prints every diagnostic. Errors stop here, before any AWS call.
pub fn load_spec(path: &Path, text: &str, ui: &Ui) -> Result<Spec> {
    let name = path.display().to_string();
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
            Ok(checked.spec)
        }
        Err(diags) => {
            ui.info(&s3dest_spec::render_diagnostics(
                &name,
                text,
                &diags,
                ui.color_stderr,
            ));
            let errors = diags.iter().filter(|d| d.is_error()).count();
            ui.error(&format!(
                "{name}: {errors} error(s) in the spec; nothing was sent to AWS"
            ));
            Err(Reported.into())
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Reads everything the plan needs: IAM first (it names the folders prune may delete), then S3.
pub async fn read(aws: &impl Cloud, spec: &Spec) -> Result<(Desired, Observed)> {
    let iam = aws.read_iam(&s3dest_core::wanted_role_names(spec)).await?;
    let desired = presets::expand(spec, &iam.account_id);
    let request = s3dest_core::read_request(&desired, &iam.roles);
    let buckets = aws.read_buckets(&request).await?;
    let observed = Observed {
        account_id: iam.account_id,
        roles: iam.roles,
        buckets,
    };
    Ok((desired, observed))
}

fn log_calls(aws: &impl Cloud) {
    tracing::info!("AWS calls made: {}", aws.calls());
}

async fn apply_spec(spec: &Spec, auto_approve: bool, ui: &Ui) -> Result<Exit> {
    let aws = Aws::from_env().await?;
    let (desired, observed) = read(&aws, spec).await?;
    let plan = plan::diff(&desired, &observed);
    ui.out(&render::text(&plan, ui.color_stdout))?;
    if !plan.errors.is_empty() {
        ui.error("the plan has errors; nothing was changed");
        return Err(Reported.into());
    }
    if plan.is_empty() {
        return Ok(Exit::Success);
    }
    if !auto_approve {
        if !ui.stdin_is_terminal() {
            bail!(
                "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve (nothing was changed)"
            );
        }
        let answer =
            ui.ask("Do you want to perform these actions? Only 'yes' will be accepted: ")?;
        if answer != "yes" {
            ui.info("Apply cancelled; nothing was changed.");
            return Ok(Exit::Error);
        }
    }
    execute(&aws, spec, &plan, ui).await
}

async fn apply_saved(path: &Path, file: PlanFile, ui: &Ui) -> Result<Exit> {
    let spec_name = file.spec_path.clone();
    let spec = match s3dest_spec::parse(&spec_name, &file.spec_text) {
        Ok(checked) => checked.spec,
        Err(diags) => {
            ui.info(&s3dest_spec::render_diagnostics(
                &spec_name,
                &file.spec_text,
                &diags,
                ui.color_stderr,
            ));
            bail!("the spec saved in `{}` no longer validates", path.display());
        }
    };
    let aws = Aws::from_env().await?;
    let (desired, observed) = read(&aws, &spec).await?;
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
    let plan = plan::diff(&desired, &observed);
    if !plan.errors.is_empty() {
        ui.out(&render::text(&plan, ui.color_stdout))?;
        return Err(Reported.into());
    }
    ui.out(&render::text(&plan, ui.color_stdout))?;
    if plan.is_empty() {
        return Ok(Exit::Success);
    }
    execute(&aws, &spec, &plan, ui).await
}

async fn execute(aws: &Aws, spec: &Spec, plan: &Plan, ui: &Ui) -> Result<Exit> {
    let on_event = |event: ApplyEvent| match event {
        ApplyEvent::Started(change) => {
            tracing::debug!("{}: {}", change.address, change.action.as_str())
        }
        ApplyEvent::Done(change) => ui.info(&format!(
            "{} {}: {} done",
            render::symbol(change.action),
            change.address,
            change.action.as_str()
        )),
        ApplyEvent::Failed(change, err) => ui.error(&format!(
            "{}: {} failed: {err}",
            change.address,
            change.action.as_str()
        )),
    };
    let report = aws
        .apply(plan, &on_event)
        .await
        .context("apply did not start; nothing was changed")?;
    if !report.is_success() {
        for (address, err) in &report.failed {
            ui.error(&format!("{address}: {err}"));
        }
        if !report.skipped.is_empty() {
            ui.info(&format!(
                "not applied because an earlier step failed: {}",
                report.skipped.join(", ")
            ));
        }
        bail!(
            "apply stopped after {} of {} changes; what was done is kept, and running apply again converges",
            report.applied.len(),
            plan.changes.len()
        );
    }
    // Re-read: the apply is done only when the next plan is empty.
    let (desired, observed) = read(aws, spec).await?;
    let after = plan::diff(&desired, &observed);
    log_calls(aws);
    if !after.is_empty() || !after.errors.is_empty() {
        ui.out(&render::text(&after, ui.color_stdout))?;
        bail!("apply finished but AWS still differs from the spec (shown above)");
    }
    let s = plan.summary();
    ui.out(&format!(
        "Apply complete: {} created, {} updated, {} replaced, {} destroyed.\n",
        s.create, s.update, s.replace, s.delete
    ))?;
    Ok(Exit::Success)
}
