//! The human plan, which `apply` also shows before it asks. In order:
//! 1. one line: the plan cannot be applied (N errors), or there are no changes, or
//!    s3dest will make the changes below;
//! 2. errors, then warnings, then information and notes: each once (a warning that
//!    is also a finding is shown as the finding);
//! 3. a line per changed destination (and per bucket-wide change): what happens to it
//!    and why;
//! 4. the changes grouped by destination, bucket-wide first, each with Terraform's
//!    symbol, its reason, what an update means (statements, actions, principals,
//!    external ID…) and the unified diff of the canonical JSON;
//! 5. `Plan: N to create, …`, and, when there are errors, that nothing was changed.
//!
//! Colour only when the caller says the output is a terminal.

use std::fmt::Write;

use super::meaning;
use super::outline::{self, SummaryLine};
use super::{diff_lines, symbol, verb};
use crate::findings::{Finding, FindingSeverity};
use crate::plan::{Action, Change, Plan};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";

fn colour(action: Action) -> &'static str {
    match action {
        Action::Create => GREEN,
        Action::Update => YELLOW,
        Action::Replace => MAGENTA,
        Action::Delete => RED,
    }
}

fn sign_colour(sign: char) -> &'static str {
    match sign {
        '+' => GREEN,
        '-' => RED,
        '~' => YELLOW,
        '@' => CYAN,
        _ => "",
    }
}

/// Paints text with ANSI codes, or leaves it plain.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn with(self, code: &str, s: &str) -> String {
        if self.color && !code.is_empty() {
            format!("{code}{s}{RESET}")
        } else {
            s.to_owned()
        }
    }
}

pub fn text(plan: &Plan, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    let errors = error_count(plan);
    let _ = writeln!(out, "{}", headline(plan, errors, paint));
    let diagnostics = diagnostics(plan, paint);
    if !diagnostics.is_empty() {
        let _ = writeln!(out);
        for line in diagnostics {
            let _ = writeln!(out, "{line}");
        }
    }
    if !plan.changes.is_empty() {
        changes(&mut out, plan, errors, paint);
    }
    if errors > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint.with(
                BOLD,
                &format!(
                    "This plan has {errors} error(s) (listed at the top) and cannot be applied; nothing was changed."
                )
            )
        );
    }
    out
}

/// Errors of the plan and `error` findings: either stops it from being applied.
fn error_count(plan: &Plan) -> usize {
    let findings = plan
        .findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Error)
        .count();
    plan.errors.len() + findings
}

/// The first line: what the reader is looking at.
fn headline(plan: &Plan, errors: usize, paint: Paint) -> String {
    if errors > 0 {
        let line =
            format!("This plan cannot be applied: {errors} error(s); nothing will be changed.");
        return paint.with(BOLD, &paint.with(RED, &line));
    }
    if plan.changes.is_empty() {
        return paint.with(
            BOLD,
            &format!("No changes. AWS matches spec `{}`.", plan.spec),
        );
    }
    format!(
        "s3dest will make the changes below for spec `{}` (account {}).",
        plan.spec, plan.account_id
    )
}

/// Errors first, then warnings, information and notes; a warning that is also a
/// finding once, as the finding.
fn diagnostics(plan: &Plan, paint: Paint) -> Vec<String> {
    let of = |severity: FindingSeverity| {
        plan.findings
            .iter()
            .filter(move |f| f.severity == severity)
            .map(move |f| finding_line(f, paint.color))
    };
    let notice = |label: &str, code: &str, address: &dyn std::fmt::Display, message: &str| {
        format!("{} {address}: {message}", paint.with(code, label))
    };
    let mut lines: Vec<String> = plan
        .errors
        .iter()
        .map(|e| notice("error:", RED, &e.address, &e.message))
        .collect();
    lines.extend(of(FindingSeverity::Error));
    lines.extend(of(FindingSeverity::Warning));
    lines.extend(
        plan.warnings
            .iter()
            .filter(|w| !w.is_finding())
            .map(|w| notice("warning:", YELLOW, &w.address, &w.message)),
    );
    lines.extend(of(FindingSeverity::Info));
    lines.extend(
        plan.notes
            .iter()
            .map(|n| notice("note:", "", &n.address, &n.message)),
    );
    lines
}

/// The summary per destination, then the changes grouped, then the counts.
fn changes(out: &mut String, plan: &Plan, errors: usize, paint: Paint) {
    let _ = writeln!(out);
    if errors > 0 {
        let _ = writeln!(
            out,
            "The changes below for spec `{}` (account {}) are shown for review only.",
            plan.spec, plan.account_id
        );
    }
    let (lines, unchanged) = outline::summary(plan);
    let _ = writeln!(out, "Summary by destination:");
    for SummaryLine {
        symbol,
        address,
        text,
    } in lines
    {
        let code = match symbol {
            "+" => GREEN,
            "-" => RED,
            "-/+" => MAGENTA,
            _ => YELLOW,
        };
        let _ = writeln!(out, "  {} {address}: {text}", paint.with(code, symbol));
    }
    if let Some(unchanged) = unchanged {
        let _ = writeln!(out, "  {unchanged}");
    }
    let _ = writeln!(
        out,
        "\nSymbols: + create, ~ update in place, -/+ replace, - destroy\n"
    );
    for group in outline::groups(plan) {
        let _ = writeln!(out, "{}:\n", paint.with(BOLD, &group.title()));
        for change in group.changes {
            write_change(out, change, paint);
        }
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "{}",
        paint.with(
            BOLD,
            &format!(
                "Plan: {} to create, {} to update, {} to replace, {} to destroy.",
                s.create, s.update, s.replace, s.delete
            )
        )
    );
}

/// One change: why, its symbol and address, what it means, and its diff.
fn write_change(out: &mut String, change: &Change, paint: Paint) {
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
        paint.with(colour(change.action), &paint.with(BOLD, &head))
    );
    for line in meaning::lines(change) {
        let sign = line.sign.as_char();
        let indent = "    ".repeat(line.depth);
        let text = paint.with(sign_colour(sign), &format!("{sign} {}", line.text));
        let _ = writeln!(out, "      {indent}{text}");
    }
    for (sign, line) in diff_lines(change) {
        let line = if sign == '@' {
            line
        } else {
            format!("{sign} {line}")
        };
        let _ = writeln!(out, "      {}", paint.with(sign_colour(sign), &line));
    }
    let _ = writeln!(out);
}

/// `warning[access-widens]: ADDRESS: message`: the severity and kind first, as a
/// compiler's diagnostics read.
pub(super) fn finding_line(finding: &Finding, color: bool) -> String {
    let label = format!("{}[{}]:", finding.severity.as_str(), finding.kind.as_str());
    let colour = match finding.severity {
        FindingSeverity::Error => RED,
        FindingSeverity::Warning => YELLOW,
        FindingSeverity::Info => CYAN,
    };
    let label = if color {
        format!("{colour}{label}{RESET}")
    } else {
        label
    };
    format!("{label} {}: {}", finding.address, finding.message)
}
