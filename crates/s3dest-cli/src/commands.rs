//! The commands: load and check the spec, read AWS, plan, render, apply.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use s3dest_aws::{ApplyConfig, ApplyEvent, Aws, Cloud};
use s3dest_core::model::{Desired, Observed, TAG_SPEC};
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
        } => plan_command(&spec, format, out.as_deref(), detailed_exitcode, ui),
        Command::Apply {
            target,
            auto_approve,
            break_lock,
        } => {
            let text = read_file(&target)?;
            let runtime = runtime()?;
            match planfile::parse(&text) {
                Some(file) => runtime.block_on(apply_saved(&target, file?, break_lock, ui)),
                None => {
                    let checked = load_spec(&target, &text, ui)?;
                    runtime.block_on(apply_spec(&checked, auto_approve, break_lock, ui))
                }
            }
        }
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
        Command::Outputs { spec, format } => outputs_command(&spec, format, ui),
    }
}

/// What `plan` and `outputs` start from: the spec, checked before any AWS call, and
/// AWS as read for it.
struct Read {
    spec_text: String,
    desired: Desired,
    observed: Observed,
}

fn load_and_read(spec: &Path, ui: &Ui) -> Result<Read> {
    let spec_text = read_file(spec)?;
    let checked = load_spec(spec, &spec_text, ui)?;
    runtime()?.block_on(async {
        let aws = Aws::from_env().await?;
        let (desired, observed) = read(&aws, &checked).await?;
        log_calls(&aws);
        Ok(Read {
            spec_text,
            desired,
            observed,
        })
    })
}

/// `s3dest plan`: read, diff, render; optionally save the plan.
fn plan_command(
    spec: &Path,
    format: PlanFormat,
    out: Option<&Path>,
    detailed_exitcode: bool,
    ui: &Ui,
) -> Result<Exit> {
    let Read {
        spec_text,
        desired,
        observed,
    } = load_and_read(spec, ui)?;
    let plan = plan::diff(&desired, &observed);
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
        planfile::save(out, &PlanFile::new(spec, &spec_text, &plan, &observed))?;
        ui.info(&format!(
            "Saved the plan to {}. Apply exactly it with: s3dest apply {}",
            out.display(),
            out.display()
        ));
    }
    let changes = detailed_exitcode && !plan.is_empty();
    Ok(if changes {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// `s3dest outputs`: what to enter in each vendor's UI.
fn outputs_command(spec: &Path, format: OutputFormat, ui: &Ui) -> Result<Exit> {
    let Read {
        desired, observed, ..
    } = load_and_read(spec, ui)?;
    let list = outputs::outputs(&desired, &observed);
    let rendered = match format {
        OutputFormat::Text => outputs::to_text(&list),
        OutputFormat::Json => {
            serde_json::to_string_pretty(&outputs::to_json(&desired.spec, &list))? + "\n"
        }
    };
    ui.out(&rendered)?;
    let plan = plan::diff(&desired, &observed);
    if !plan.is_empty() || !plan.errors.is_empty() {
        ui.info(
            "note: AWS does not match the spec yet; run `s3dest apply` before entering these values.",
        );
    }
    Ok(Exit::Success)
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

/// Reads everything the plan needs: IAM (and the spec's secrets) first, because the
/// identities' tags name the folders prune may delete; then S3.
pub async fn read(aws: &impl Cloud, spec: &Spec) -> Result<(Desired, Observed)> {
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
    let request = s3dest_core::read_request(&desired, tags.filter(|t| owned(t)));
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

fn log_calls(aws: &impl Cloud) {
    tracing::info!("AWS calls made: {}", aws.calls());
}

/// The client for apply; `--break-lock` decides what a stale bucket-policy lock does.
async fn apply_client(break_lock: bool) -> Result<Aws> {
    let config = ApplyConfig {
        break_stale_lock: break_lock,
        ..ApplyConfig::default()
    };
    Ok(Aws::from_env().await?.with_apply_config(config))
}

async fn apply_spec(spec: &Spec, auto_approve: bool, break_lock: bool, ui: &Ui) -> Result<Exit> {
    let aws = apply_client(break_lock).await?;
    let result = apply_spec_with(&aws, spec, auto_approve, ui).await;
    log_calls(&aws);
    result
}

async fn apply_spec_with(aws: &Aws, spec: &Spec, auto_approve: bool, ui: &Ui) -> Result<Exit> {
    let (desired, observed) = read(aws, spec).await?;
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
    execute(aws, spec, &plan, ui).await
}

async fn apply_saved(path: &Path, file: PlanFile, break_lock: bool, ui: &Ui) -> Result<Exit> {
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
    let aws = apply_client(break_lock).await?;
    let result = apply_saved_with(&aws, path, &file, &spec, ui).await;
    log_calls(&aws);
    result
}

async fn apply_saved_with(
    aws: &Aws,
    path: &Path,
    file: &PlanFile,
    spec: &Spec,
    ui: &Ui,
) -> Result<Exit> {
    let (desired, mut observed) = read(aws, spec).await?;
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
    let plan = plan::diff(&desired, &observed);
    if render::json(&plan)["changes"] != file.plan["changes"] {
        bail!(
            "the saved plan `{}` is stale: planning again now gives other changes; nothing was changed. Make a new plan.",
            path.display()
        );
    }
    ui.out(&render::text(&plan, ui.color_stdout))?;
    if !plan.errors.is_empty() {
        return Err(Reported.into());
    }
    if plan.is_empty() {
        return Ok(Exit::Success);
    }
    execute(aws, spec, &plan, ui).await
}

async fn execute(aws: &Aws, spec: &Spec, plan: &Plan, ui: &Ui) -> Result<Exit> {
    // A bar on a terminal; one line per change either way.
    let progress = ui.progress(plan.changes.len());
    let on_event = |event: ApplyEvent| match event {
        ApplyEvent::Started(change) => {
            tracing::debug!("{}: {}", change.address, change.action.as_str());
            progress.start(&change.address);
        }
        ApplyEvent::Done(change) => progress.done(
            &change.address,
            &format!(
                "{} {}: {} done",
                render::symbol(change.action),
                change.address,
                change.action.as_str()
            ),
        ),
        ApplyEvent::Failed(change, err) => progress.failed(
            &change.address,
            &format!(
                "{}: {} failed: {err}",
                change.address,
                change.action.as_str()
            ),
        ),
        ApplyEvent::Warning(message) => ui.warn(message),
    };
    let result = aws.apply(plan, &on_event).await;
    drop(progress);
    let report = result.context("apply did not start; nothing was changed")?;
    tracing::info!("AWS calls made by the apply itself: {}", report.calls);
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
    // Re-read: the next plan must be empty, but for the one step the rules leave to a
    // later apply: deleting an access key that this apply deactivated.
    let (desired, observed) = read(aws, spec).await?;
    let after = plan::diff(&desired, &observed);
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
