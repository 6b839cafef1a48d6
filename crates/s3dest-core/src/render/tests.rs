//! Renderer details; whole plans are covered by the folder cases in `tests/cases/`.

use serde_json::json;

use super::diff_lines;
use crate::plan::{Action, Change};

fn change(before: Option<serde_json::Value>, after: Option<serde_json::Value>) -> Change {
    Change {
        address: "a".into(),
        action: Action::Update,
        before,
        after,
        reason: "r".into(),
        ops: vec![],
    }
}

#[test]
fn update_shows_only_the_changed_hunk() {
    let before = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9});
    let mut after = before.clone();
    after["i"] = json!(10);
    let lines = diff_lines(&change(Some(before), Some(after)));
    let signs: String = lines.iter().map(|(s, _)| *s).collect();
    assert_eq!(signs, "@   -+ ", "{lines:?}");
    assert!(lines.contains(&('-', "  \"i\": 9".to_owned())));
    assert!(lines.contains(&('+', "  \"i\": 10".to_owned())));
}

#[test]
fn create_and_delete_show_every_line() {
    let value = json!({"name": "x"});
    let created = diff_lines(&change(None, Some(value.clone())));
    assert!(created.iter().all(|(s, _)| *s == '+') && created.len() == 3);
    let deleted = diff_lines(&change(Some(value), None));
    assert!(deleted.iter().all(|(s, _)| *s == '-') && deleted.len() == 3);
}
