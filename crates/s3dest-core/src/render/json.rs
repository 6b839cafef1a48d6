//! The JSON plan, `format_version` 1 (documented in `docs/plan-json.md`). Built by
//! hand from the plan so that the core types never define the contract by accident.

use serde_json::{Value, json};

use super::view;
use crate::findings::Finding;
use crate::plan::Plan;

pub const FORMAT_VERSION: &str = "1";

pub fn json(plan: &Plan) -> Value {
    let s = plan.summary();
    let notices = |list: &[crate::plan::Notice]| -> Vec<Value> {
        list.iter()
            .map(|n| json!({"address": n.address.to_string(), "message": n.message}))
            .collect()
    };
    json!({
        "format_version": FORMAT_VERSION,
        "spec": plan.spec,
        "account_id": plan.account_id,
        "changes": plan.changes.iter().map(|c| json!({
            "address": c.address.to_string(),
            "action": c.action.as_str(),
            "before": c.before.as_ref().map(view),
            "after": c.after.as_ref().map(view),
            "reason": c.reason,
        })).collect::<Vec<_>>(),
        "warnings": notices(&plan.warnings),
        "notes": notices(&plan.notes),
        "errors": notices(&plan.errors),
        "findings": plan.findings.iter().map(finding).collect::<Vec<_>>(),
        "summary": {"create": s.create, "update": s.update, "replace": s.replace, "delete": s.delete},
    })
}

/// A finding, as every JSON output of s3dest has it (the plan's and `access`'s).
pub fn finding(f: &Finding) -> Value {
    json!({
        "severity": f.severity.as_str(),
        "kind": f.kind.as_str(),
        "address": f.address.to_string(),
        "destination": f.destination,
        "message": f.message,
    })
}
