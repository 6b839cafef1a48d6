//! `s3dest access`: who can do what, as text for people and as JSON (`format_version`
//! 1, documented in `docs/access.md`).

use std::fmt::Write;

use serde_json::{Value, json};

use super::json::{FORMAT_VERSION, finding};
use super::text::finding_line;
use crate::access::{AccessReport, AssumeCheck, DestinationAccess, Reach, RequestCheck};
use s3dest_policy::Verdict;

pub fn access_json(report: &AccessReport) -> Value {
    let destinations: serde_json::Map<String, Value> = report
        .destinations
        .iter()
        .map(|d| (d.destination.clone(), destination_json(d)))
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "spec": report.spec,
        "account_id": report.account_id,
        "works": report.works(),
        "destinations": destinations,
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
    })
}

fn destination_json(access: &DestinationAccess) -> Value {
    json!({
        "vendor": access.vendor.as_str(),
        "role": access.role,
        "principal": access.principal,
        "works": access.works(),
        "not_evaluated": access.not_evaluated,
        "assume": access.assume.iter().map(|a| json!({
            "principal": a.principal,
            "external_id": a.external_id.as_str(),
            "verdict": a.verdict.decision.to_string(),
            "expected": if a.should_allow { "allowed" } else { "denied" },
            "decided_by": decided_by(&a.verdict),
            "notes": notes(&a.verdict),
        })).collect::<Vec<_>>(),
        "requests": access.requests.iter().map(|r| json!({
            "action": r.action,
            "resource": r.resource,
            "needed": r.reach.is_needed(),
            "probe": r.reach.probe(),
            "destination": match &r.reach {
                Reach::OtherFolder { destination, .. } => destination.as_deref(),
                _ => None,
            },
            "verdict": r.verdict.decision.to_string(),
            "decided_by": decided_by(&r.verdict),
            "notes": notes(&r.verdict),
        })).collect::<Vec<_>>(),
        "not_seen": access.unseen,
    })
}

fn decided_by(verdict: &Verdict) -> Vec<String> {
    verdict.decided_by.iter().map(ToString::to_string).collect()
}

fn notes(verdict: &Verdict) -> Vec<String> {
    verdict.notes.iter().map(ToString::to_string).collect()
}

/// One section per destination: the role's trust, the needed requests, the probes.
/// The statements that decide a verdict are shown where it is not what it should be.
pub fn access_text(report: &AccessReport, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Who can do what for spec `{}` (account {}), from AWS as it is now:\n",
        report.spec, report.account_id
    );
    for access in &report.destinations {
        destination_text(&mut out, access);
    }
    if !report.findings.is_empty() {
        for f in &report.findings {
            let _ = writeln!(out, "{}", finding_line(f, color));
        }
        let _ = writeln!(out);
    }
    let failing: Vec<String> = report
        .destinations
        .iter()
        .filter(|d| !d.works())
        .map(|d| format!("`{}`", d.destination))
        .collect();
    if failing.is_empty() {
        let _ = writeln!(
            out,
            "Every vendor can make the requests it needs, and no role admits a wrong or missing external ID."
        );
    } else {
        let _ = writeln!(
            out,
            "{} of {} destination(s) cannot work as specified, or admit more than their vendor: {}.",
            failing.len(),
            report.destinations.len(),
            failing.join(", ")
        );
    }
    out
}

fn destination_text(out: &mut String, access: &DestinationAccess) {
    let who = match (&access.role, &access.principal) {
        (Some(role), _) => format!(", role `{role}`"),
        (None, Some(principal)) => format!(", as {principal}"),
        (None, None) => String::new(),
    };
    let _ = writeln!(
        out,
        "destination.{} ({}{who})",
        access.destination, access.vendor
    );
    if let Some(why) = &access.not_evaluated {
        let _ = writeln!(out, "  not evaluated: {why}\n");
        return;
    }
    if !access.assume.is_empty() {
        let _ = writeln!(out, "  sts:AssumeRole of the role:");
        for check in &access.assume {
            assume_line(out, check);
        }
    }
    let (needed, beyond): (Vec<&RequestCheck>, Vec<&RequestCheck>) =
        access.requests.iter().partition(|r| r.reach.is_needed());
    if !needed.is_empty() {
        let _ = writeln!(out, "  needed:");
        for check in needed {
            request_line(out, check, !check.verdict.is_allowed());
        }
    }
    if !beyond.is_empty() {
        // What it can do beyond its need one by one; what it cannot, counted.
        let _ = writeln!(out, "  beyond its need:");
        let (reached, refused): (Vec<&RequestCheck>, Vec<&RequestCheck>) =
            beyond.iter().partition(|r| !r.verdict.is_denied());
        // One line per place and verdict, with the actions it reaches there.
        let mut places: Vec<(&Reach, &str, Vec<&RequestCheck>)> = Vec::new();
        for check in reached {
            let decision = decision_word(&check.verdict);
            match places
                .iter_mut()
                .find(|(reach, d, _)| **reach == check.reach && *d == decision)
            {
                Some((_, _, checks)) => checks.push(check),
                None => places.push((&check.reach, decision, vec![check])),
            }
        }
        for (reach, decision, checks) in places {
            let actions: Vec<&str> = checks.iter().map(|c| c.action.as_str()).collect();
            let _ = writeln!(
                out,
                "  ! {decision:<8} {}  {}",
                actions.join(", "),
                place(reach, &checks[0].resource)
            );
            let mut by: Vec<String> = Vec::new();
            for line in checks
                .iter()
                .flat_map(|c| c.verdict.decided_by.iter().map(ToString::to_string))
            {
                if !by.contains(&line) {
                    by.push(line);
                }
            }
            for line in by {
                let _ = writeln!(out, "               {line}");
            }
        }
        if !refused.is_empty() {
            let _ = writeln!(
                out,
                "    denied   {} other probe(s): other folders and buckets, s3dest's lock, the bucket policy",
                refused.len()
            );
        }
    }
    for unseen in &access.unseen {
        let _ = writeln!(out, "  not seen: {unseen}");
    }
    let _ = writeln!(out);
}

fn assume_line(out: &mut String, check: &AssumeCheck) {
    let with = match check.external_id {
        crate::access::ExternalIdCase::Right => "with the right external ID",
        crate::access::ExternalIdCase::Wrong => "with a wrong external ID",
        crate::access::ExternalIdCase::None => "with no external ID",
    };
    let mark = if check.as_expected() { " " } else { "!" };
    let _ = writeln!(
        out,
        "  {mark} {:<8} {} {with}",
        decision_word(&check.verdict),
        check.principal
    );
    if !check.as_expected() {
        reasons(out, &check.verdict);
    }
}

/// A needed request: marked, with the statements that decide it, when not allowed.
fn request_line(out: &mut String, check: &RequestCheck, explain: bool) {
    let mark = if explain { "!" } else { " " };
    let _ = writeln!(
        out,
        "  {mark} {:<8} {:<20} {}",
        decision_word(&check.verdict),
        check.action,
        check.resource
    );
    if explain {
        reasons(out, &check.verdict);
    }
}

fn decision_word(verdict: &Verdict) -> &'static str {
    match verdict.decision {
        s3dest_policy::Decision::Allowed => "allowed",
        s3dest_policy::Decision::Denied => "denied",
        s3dest_policy::Decision::Unknown => "unknown",
    }
}

/// Where a probe went, in words, with one of its resources.
fn place(reach: &Reach, resource: &str) -> String {
    match reach {
        Reach::OtherFolder {
            folder,
            destination: Some(d),
        } => format!("in `{folder}/` (destination `{d}`)"),
        Reach::OtherFolder { folder, .. } => format!("in another folder (`{folder}/`)"),
        Reach::PrefixBucket => {
            format!("in a bucket whose name starts with the bucket's ({resource})")
        }
        Reach::Lock => format!("on s3dest's lock ({resource})"),
        Reach::BucketPolicy | Reach::Needed => format!("on {resource}"),
    }
}

fn reasons(out: &mut String, verdict: &Verdict) {
    for by in &verdict.decided_by {
        let _ = writeln!(out, "               {by}");
    }
}
