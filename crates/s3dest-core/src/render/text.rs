//! The human plan: Terraform-like symbols, a reason per change, unified diffs of
//! canonical JSON. Colour only when the caller says the output is a terminal.

use std::fmt::Write;

use super::{diff_lines, symbol, verb};
use crate::findings::{Finding, FindingSeverity};
use crate::plan::{Action, Plan};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

fn colour(action: Action) -> &'static str {
    match action {
        Action::Create => "\x1b[32m",
        Action::Update => "\x1b[33m",
        Action::Replace => "\x1b[35m",
        Action::Delete => "\x1b[31m",
    }
}

fn sign_colour(sign: char) -> &'static str {
    match sign {
        '+' => "\x1b[32m",
        '-' => "\x1b[31m",
        '@' => "\x1b[36m",
        _ => "",
    }
}

pub fn text(plan: &Plan, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color && !code.is_empty() {
            format!("{code}{s}{RESET}")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                BOLD,
                &format!("No changes. AWS matches spec `{}`.", plan.spec)
            )
        );
    } else {
        let _ = writeln!(
            out,
            "s3dest will make these changes for spec `{}` (account {}):",
            plan.spec, plan.account_id
        );
        let _ = writeln!(
            out,
            "Symbols: + create, ~ update in place, -/+ replace, - destroy\n"
        );
    }
    for change in &plan.changes {
        let head = format!("{} {}", symbol(change.action), change.address);
        let _ = writeln!(
            out,
            "  # {} will be {}: {}",
            change.address,
            verb(change.action),
            change.reason
        );
        let _ = writeln!(
            out,
            "  {}",
            paint(colour(change.action), &paint(BOLD, &head))
        );
        for (sign, line) in diff_lines(change) {
            let line = if sign == '@' {
                line
            } else {
                format!("{sign} {line}")
            };
            let _ = writeln!(out, "      {}", paint(sign_colour(sign), &line));
        }
        let _ = writeln!(out);
    }
    for note in &plan.notes {
        let _ = writeln!(out, "note: {}: {}", note.address, note.message);
    }
    // A warning that is also a finding is shown once, as the finding.
    let warnings: Vec<_> = plan.warnings.iter().filter(|w| !w.is_finding()).collect();
    for warning in &warnings {
        let _ = writeln!(
            out,
            "{} {}: {}",
            paint("\x1b[33m", "warning:"),
            warning.address,
            warning.message
        );
    }
    // Error findings come last, with the errors.
    let (errors, others): (Vec<&Finding>, Vec<&Finding>) = plan
        .findings
        .iter()
        .partition(|f| f.severity == FindingSeverity::Error);
    for finding in &others {
        let _ = writeln!(out, "{}", finding_line(finding, color));
    }
    if !warnings.is_empty() || !others.is_empty() {
        let _ = writeln!(out);
    }
    if !plan.changes.is_empty() {
        let s = plan.summary();
        let _ = writeln!(
            out,
            "{}",
            paint(
                BOLD,
                &format!(
                    "Plan: {} to create, {} to update, {} to replace, {} to destroy.",
                    s.create, s.update, s.replace, s.delete
                )
            )
        );
    }
    // Errors last, next to the summary, where nobody scrolls past them.
    for error in &plan.errors {
        let _ = writeln!(
            out,
            "{} {}: {}",
            paint("\x1b[31m", "error:"),
            error.address,
            error.message
        );
    }
    for finding in &errors {
        let _ = writeln!(out, "{}", finding_line(finding, color));
    }
    // An error finding stops the plan as an error does.
    let count = plan.errors.len() + errors.len();
    if count > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                BOLD,
                &format!(
                    "This plan has {count} error(s) and cannot be applied; nothing was changed."
                )
            )
        );
    }
    out
}

/// `warning[access-widens]: ADDRESS: message`: the severity and kind first, as a
/// compiler's diagnostics read.
pub(super) fn finding_line(finding: &Finding, color: bool) -> String {
    let label = format!("{}[{}]:", finding.severity.as_str(), finding.kind.as_str());
    let colour = match finding.severity {
        FindingSeverity::Error => "\x1b[31m",
        FindingSeverity::Warning => "\x1b[33m",
        FindingSeverity::Info => "\x1b[36m",
    };
    let label = if color {
        format!("{colour}{label}{RESET}")
    } else {
        label
    };
    format!("{label} {}: {}", finding.address, finding.message)
}
