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
            // A plan file holds a spec and more, so it may be larger than a spec.
            let bytes = read_file(&target, &SPEC_OR_PLAN)?;
            match planfile::parse(&bytes) {
                Some(file) => {
                    let file = file.with_context(|| format!("`{}`", target.display()))?;
                    runtime()?.block_on(apply_saved(&target, file, break_lock, ui))
                }
                None => {
                    let text = spec_text(&target, &bytes, ui)?;
                    let checked = load_spec(&target, text, ui)?;
                    runtime()?.block_on(apply_spec(&checked, auto_approve, break_lock, ui))
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
        Command::Access { spec, format } => access_command(&spec, format, ui),
        Command::Import { name, buckets } => import_command(&name, &buckets, ui),
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
    load_and_read_for(spec, Purpose::Plan, ui)
}

fn load_and_read_for(spec: &Path, purpose: Purpose, ui: &Ui) -> Result<Read> {
    let spec_text = read_spec(spec, ui)?;
    let checked = load_spec(spec, &spec_text, ui)?;
    runtime()?.block_on(async {
        let aws = Aws::from_env().await?;
        let (desired, observed) = read_for(&aws, &checked, purpose).await?;
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
    // Errors and error findings are in the output; a plan that cannot work is not saved.
    if plan.has_errors() {
        return Err(Reported.into());
    }
    if let Some(out) = out {
        planfile::save(out, &PlanFile::new(out, spec, &spec_text, &plan, &observed))?;
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

/// `s3dest access`: what each vendor can do in AWS as it is now. Exit 1 when one
/// cannot make a request it needs, or its role admits a wrong or missing external ID.
fn access_command(spec: &Path, format: OutputFormat, ui: &Ui) -> Result<Exit> {
    let Read {
        desired, observed, ..
    } = load_and_read_for(spec, Purpose::Access, ui)?;
    let report = s3dest_core::access::report(&desired, &observed);
    let rendered = match format {
        OutputFormat::Text => render::access_text(&report, ui.color_stdout),
        OutputFormat::Json => serde_json::to_string_pretty(&render::access_json(&report))? + "\n",
    };
    ui.out(&rendered)?;
    if report.works() {
        Ok(Exit::Success)
    } else {
        Err(Reported.into())
    }
}

/// `s3dest import`: a commented spec of what the guides made, on stdout. Read-only.
fn import_command(name: &str, buckets: &[String], ui: &Ui) -> Result<Exit> {
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
    let only: std::collections::BTreeSet<String> = buckets.iter().cloned().collect();
    let imported = runtime()?.block_on(async {
        let aws = Aws::from_env().await?;
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
        log_calls(&aws);
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

fn validate(path: &Path, ui: &Ui) -> Result<Exit> {
    let text = read_spec(path, ui)?;
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

/// What a file may be, for the error about one too large to read.
struct Limit {
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
const SPEC: Limit = Limit {
    bytes: s3dest_spec::MAX_SPEC_BYTES,
    what: "a spec",
    rule: "the limit is 4194304 bytes (4 MiB)",
};

/// What `apply` reads: a spec or a plan file, which holds a spec and more.
const SPEC_OR_PLAN: Limit = Limit {
    bytes: planfile::MAX_PLAN_BYTES,
    what: "a spec or a plan file",
    rule: "a spec may have at most 4 MiB, a plan file 32 MiB",
};

/// Reads a whole file of at most `limit.bytes`. A larger one is refused by its size before
/// anything is read, and, when it has no size (a pipe) or grows meanwhile, after one byte
/// more than the limit: never more is read.
fn read_file(path: &Path, limit: &Limit) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let cannot_read = || format!("cannot read `{}`", path.display());
    let file = std::fs::File::open(path).with_context(cannot_read)?;
    let size = file.metadata().with_context(cannot_read)?.len();
    if size > limit.bytes as u64 {
        return Err(too_large(path, limit, &format!("{size} bytes")));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit.bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot_read)?;
    if bytes.len() > limit.bytes {
        return Err(too_large(
            path,
            limit,
            &format!("over {} bytes", limit.bytes),
        ));
    }
    Ok(bytes)
}

/// The error for a file of `size` over its limit.
fn too_large(path: &Path, limit: &Limit, size: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`{}` is too large for {}: {size}, and {}. Is it the right file? Nothing was sent to AWS.",
        path.display(),
        limit.what,
        limit.rule
    )
}

/// Reads a spec file: at most [`s3dest_spec::MAX_SPEC_BYTES`], UTF-8.
fn read_spec(path: &Path, ui: &Ui) -> Result<String> {
    let bytes = read_file(path, &SPEC)?;
    Ok(spec_text(path, &bytes, ui)?.to_owned())
}

/// The text of a spec file's bytes; an error located at the first byte that is not UTF-8
/// is printed like any other error in the spec.
fn spec_text<'b>(path: &Path, bytes: &'b [u8], ui: &Ui) -> Result<&'b str> {
    if bytes.len() > s3dest_spec::MAX_SPEC_BYTES {
        return Err(too_large(path, &SPEC, &format!("{} bytes", bytes.len())));
    }
    s3dest_spec::decode(bytes).map_err(|err| {
        let name = path.display().to_string();
        report_spec_errors(&name, &err.text, &[err.diagnostic], ui)
    })
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
            Ok(crate::spec_file::with_file(checked.spec, path))
        }
        Err(diags) => Err(report_spec_errors(&name, text, &diags, ui)),
    }
}

/// Prints a spec's diagnostics and the line that closes them.
fn report_spec_errors(
    name: &str,
    text: &str,
    diags: &[s3dest_spec::Diagnostic],
    ui: &Ui,
) -> anyhow::Error {
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

fn runtime() -> Result<tokio::runtime::Runtime> {
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
        let actual = aws.caller_account().await?;
        if actual != *pinned {
            bail!(
                "the credentials are of account {actual}, and spec `{}` is pinned to account \
                 {pinned} (`account:`): nothing was read or changed; use credentials of \
                 account {pinned}",
                spec.name
            );
        }
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
    if plan.has_errors() {
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

/// The spec file a saved plan was made from must not have changed since: applying the
/// plan would not make AWS match it. When it is gone (the plan file was copied alone), the
/// spec saved in the plan is applied.
fn check_spec_unchanged(path: &Path, file: &PlanFile, ui: &Ui) -> Result<()> {
    let (spec_path, shown) = file.spec_file(path);
    let now = match read_file(&spec_path, &SPEC) {
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

async fn apply_saved(path: &Path, file: PlanFile, break_lock: bool, ui: &Ui) -> Result<Exit> {
    check_spec_unchanged(path, &file, ui)?;
    let (spec_path, spec_name) = file.spec_file(path);
    let spec = match s3dest_spec::parse(&spec_name, &file.spec_text) {
        Ok(checked) => crate::spec_file::with_file(checked.spec, &spec_path),
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
    if plan.has_errors() {
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
