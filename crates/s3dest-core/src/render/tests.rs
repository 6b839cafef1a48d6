//! Renderer details; whole plans are covered by the folder cases in `tests/cases/`.

use std::collections::BTreeMap;

use super::diff_lines;
use crate::plan::{Action, Address, Change, Resource, UserKeys};

fn change(before: Option<Resource>, after: Option<Resource>) -> Change {
    Change {
        address: Address::bucket("a"),
        action: Action::Update,
        before,
        after,
        reason: "r".into(),
        ops: vec![],
    }
}

/// A user with tags `a`…`i` set to 1…9: a view of many lines.
fn user(tags: BTreeMap<String, String>) -> Resource {
    Resource::User {
        name: "u".into(),
        path: "/s3dest/".into(),
        arn: "arn:aws:iam::111111111111:user/s3dest/u".into(),
        tags,
        keys: UserKeys::Held { ids: Vec::new() },
    }
}

#[test]
fn update_shows_only_the_changed_hunk() {
    let before: BTreeMap<String, String> = ('a'..='i')
        .zip(1..)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut after = before.clone();
    after.insert("i".into(), "10".into());
    let lines = diff_lines(&change(Some(user(before)), Some(user(after))));
    let signs: String = lines.iter().map(|(s, _)| *s).collect();
    assert_eq!(signs, "@   -+   ", "{lines:?}");
    assert!(lines.contains(&('-', "    \"i\": \"9\"".to_owned())));
    assert!(lines.contains(&('+', "    \"i\": \"10\"".to_owned())));
}

#[test]
fn create_and_delete_show_every_line() {
    let folder = Resource::Folder {
        bucket: "b".into(),
        key: "x/".into(),
    };
    let created = diff_lines(&change(None, Some(folder.clone())));
    assert!(created.iter().all(|(s, _)| *s == '+') && created.len() == 4);
    let deleted = diff_lines(&change(Some(folder), None));
    assert!(deleted.iter().all(|(s, _)| *s == '-') && deleted.len() == 4);
}
