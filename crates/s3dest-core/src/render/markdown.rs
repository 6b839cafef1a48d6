//! The plan as a pull-request comment: a one-line summary, then each change with
//! its diff in a collapsible section.

use std::fmt::Write;

use super::{diff_lines, symbol};
use crate::plan::Plan;

pub fn markdown(plan: &Plan) -> String {
    let s = plan.summary();
    let mut out = String::new();
    if plan.changes.is_empty() {
        let _ = writeln!(out, "**s3dest** `{}`: no changes.", plan.spec);
    } else {
        let _ = writeln!(
            out,
            "**s3dest** `{}`: **{}** to create, **{}** to update, **{}** to replace, **{}** to destroy.",
            plan.spec, s.create, s.update, s.replace, s.delete
        );
    }
    for error in &plan.errors {
        let _ = writeln!(
            out,
            "\n> [!CAUTION]\n> `{}`: {}",
            error.address, error.message
        );
    }
    for warning in &plan.warnings {
        let _ = writeln!(
            out,
            "\n> [!WARNING]\n> `{}`: {}",
            warning.address, warning.message
        );
    }
    for change in &plan.changes {
        let _ = writeln!(
            out,
            "\n<details><summary><code>{} {}</code>: {}</summary>\n",
            symbol(change.action),
            change.address,
            change.reason
        );
        let _ = writeln!(out, "```diff");
        for (sign, line) in diff_lines(change) {
            let _ = writeln!(
                out,
                "{}",
                if sign == '@' {
                    line
                } else {
                    format!("{sign} {line}")
                }
            );
        }
        let _ = writeln!(out, "```\n</details>");
    }
    out
}
