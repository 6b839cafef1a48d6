//! One pull-request comment for a run over several specs: a table of every spec (file,
//! account, counts, findings), then each spec's own comment ([`super::markdown`]) as a
//! section. The whole stays within GitHub's limit: the table always comes whole (one row
//! per spec), and the sections share the room left. A section that needs less than its
//! share leaves the rest to the others; a section that does not fit even its share is
//! cut by its own renderer, which says what it left out.

use std::fmt::Write;

use super::markdown::{GITHUB_COMMENT_LIMIT, markdown_with_limit};
use crate::findings::FindingSeverity;
use crate::plan::Plan;

/// One spec of the run, as the combined comment shows it.
pub struct SpecSection<'a> {
    /// The spec file as given on the command line.
    pub file: &'a str,
    /// The spec's `name`.
    pub spec: &'a str,
    /// Its plan, or why there is none (an AWS error, credentials of another account).
    pub outcome: Result<&'a Plan, &'a str>,
}

/// The smallest room a spec's section is given, whatever the number of specs: its
/// counts and first findings still come out (the renderer keeps those whole).
const MIN_SECTION: usize = 2_000;

/// The combined comment, at most [`GITHUB_COMMENT_LIMIT`] bytes.
pub fn markdown_several(sections: &[SpecSection<'_>]) -> String {
    markdown_several_with_limit(sections, GITHUB_COMMENT_LIMIT)
}

/// [`markdown_several`] within `limit` bytes.
pub fn markdown_several_with_limit(sections: &[SpecSection<'_>], limit: usize) -> String {
    let mut out = table(sections);
    let headings: Vec<String> = sections.iter().map(heading).collect();
    let fixed: usize = out.len() + headings.iter().map(String::len).sum::<usize>();
    let room = limit.saturating_sub(fixed);
    let bodies = fit(sections, room);
    let mut left_out = 0;
    for (heading, body) in headings.iter().zip(&bodies) {
        match body {
            Some(body) if out.len() + heading.len() + body.len() <= limit => {
                out.push_str(heading);
                out.push_str(body);
            }
            _ => left_out += 1,
        }
    }
    if left_out > 0 {
        let note = format!(
            "\n> [!NOTE]\n> The sections of {left_out} spec(s) did not fit in one comment; \
             the table above counts them, and the job's log shows their plans.\n"
        );
        if out.len() + note.len() <= limit {
            out.push_str(&note);
        }
    }
    out
}

/// The sections' bodies within `room` bytes in all: the smallest whole ones first, then
/// an equal share of what is left for each of the others (never below [`MIN_SECTION`];
/// `None` for a section there is no room for at all).
fn fit(sections: &[SpecSection<'_>], room: usize) -> Vec<Option<String>> {
    let whole: Vec<String> = sections
        .iter()
        .map(|s| body(s, GITHUB_COMMENT_LIMIT))
        .collect();
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| whole[i].len());
    let mut bodies: Vec<Option<String>> = vec![None; sections.len()];
    let mut left = room;
    for (done, &i) in order.iter().enumerate() {
        let share = left / (sections.len() - done);
        let text = if whole[i].len() <= share {
            whole[i].clone()
        } else if share >= MIN_SECTION {
            body(&sections[i], share)
        } else {
            continue;
        };
        if text.len() <= left {
            left -= text.len();
            bodies[i] = Some(text);
        }
    }
    bodies
}

fn body(section: &SpecSection<'_>, limit: usize) -> String {
    match section.outcome {
        Ok(plan) => markdown_with_limit(plan, limit),
        Err(why) => {
            let mut why = why.replace('\n', " ");
            if why.len() > MIN_SECTION / 2 {
                let mut end = MIN_SECTION / 2;
                while !why.is_char_boundary(end) {
                    end -= 1;
                }
                why.truncate(end);
                why.push('…');
            }
            format!("> [!CAUTION]\n> Not planned: {why}\n")
        }
    }
}

fn heading(section: &SpecSection<'_>) -> String {
    format!("\n---\n\n#### `{}` (`{}`)\n\n", section.spec, section.file)
}

/// The run's headline and one row per spec.
fn table(sections: &[SpecSection<'_>]) -> String {
    let planned: Vec<&Plan> = sections.iter().filter_map(|s| s.outcome.ok()).collect();
    let failed = sections.len() - planned.len();
    let changing = planned.iter().filter(|p| !p.is_empty()).count();
    let mut out = format!(
        "**s3dest**: {} specs, {changing} with changes",
        sections.len()
    );
    let with_errors = planned.iter().filter(|p| p.has_errors()).count();
    if with_errors > 0 {
        let _ = write!(out, ", {with_errors} with errors");
    }
    if failed > 0 {
        let _ = write!(out, ", {failed} not planned");
    }
    out.push_str(".\n\n");
    out.push_str(
        "| Spec | File | Account | Create | Update | Replace | Destroy | Findings |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    for section in sections {
        let row = match section.outcome {
            Ok(plan) => {
                let s = plan.summary();
                format!(
                    "{} | {} | {} | {} | {} | {}",
                    plan.account_id,
                    s.create,
                    s.update,
                    s.replace,
                    s.delete,
                    findings_cell(plan)
                )
            }
            Err(_) => "— | — | — | — | — | **not planned**".to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {row} |",
            section.spec,
            section.file.replace('|', "\\|")
        );
    }
    out
}

/// `1 error, 2 warnings`; `—` for none. Plan errors count as errors.
fn findings_cell(plan: &Plan) -> String {
    let count = |severity| {
        plan.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let errors = count(FindingSeverity::Error) + plan.errors.len();
    let parts: Vec<String> = [
        (errors, "error"),
        (count(FindingSeverity::Warning), "warning"),
        (count(FindingSeverity::Info), "note"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}{}", if n == 1 { "" } else { "s" }))
    .collect();
    match parts.is_empty() {
        true => "—".to_owned(),
        false => parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Address, Change, Part, Resource};

    /// A plan of `spec` creating `folders` folder markers.
    fn plan(spec: &str, folders: usize) -> Plan {
        let changes = (0..folders)
            .map(|i| Change {
                address: Address::part(format!("d{i:04}"), Part::Folder),
                action: Action::Create,
                before: None,
                after: Some(Resource::Folder {
                    bucket: format!("{spec}-bucket"),
                    key: format!("exports/d{i:04}/"),
                }),
                reason: "folder marker is missing".into(),
                ops: vec![],
            })
            .collect();
        Plan {
            spec: spec.into(),
            account_id: "111111111111".into(),
            changes,
            warnings: vec![],
            notes: vec![],
            errors: vec![],
            access: vec![],
            findings: vec![],
        }
    }

    fn sections<'a>(plans: &'a [Plan], files: &'a [String]) -> Vec<SpecSection<'a>> {
        plans
            .iter()
            .zip(files)
            .map(|(plan, file)| SpecSection {
                file,
                spec: &plan.spec,
                outcome: Ok(plan),
            })
            .collect()
    }

    #[test]
    fn small_sections_come_whole_after_the_table() {
        let plans = [plan("prod", 1), plan("dev", 0)];
        let files = ["specs/prod.yaml".to_owned(), "specs/dev.yaml".to_owned()];
        let mut all = sections(&plans, &files);
        all.push(SpecSection {
            file: "specs/broken.yaml",
            spec: "broken",
            outcome: Err("the credentials are of account 2, and spec `broken` is pinned to 3"),
        });
        let text = markdown_several(&all);
        let table = "**s3dest**: 3 specs, 1 with changes, 1 not planned.\n\n\
            | Spec | File | Account | Create | Update | Replace | Destroy | Findings |\n\
            | --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n\
            | `prod` | `specs/prod.yaml` | 111111111111 | 1 | 0 | 0 | 0 | — |\n\
            | `dev` | `specs/dev.yaml` | 111111111111 | 0 | 0 | 0 | 0 | — |\n\
            | `broken` | `specs/broken.yaml` | — | — | — | — | — | **not planned** |\n";
        assert!(text.starts_with(table), "{text}");
        for plan in &plans {
            assert!(text.contains(&crate::render::markdown(plan)), "{text}");
        }
        assert!(text.ends_with(
            "\n---\n\n#### `broken` (`specs/broken.yaml`)\n\n> [!CAUTION]\n> Not planned: the \
             credentials are of account 2, and spec `broken` is pinned to 3\n"
        ));
        assert!(!text.contains("did not fit"));
    }

    #[test]
    fn many_large_sections_share_the_limit_and_every_spec_keeps_its_row() {
        for (specs, folders) in [(3, 2_000), (30, 300), (200, 50)] {
            let plans: Vec<Plan> = (0..specs)
                .map(|i| plan(&format!("s{i:03}"), folders))
                .collect();
            let files: Vec<String> = (0..specs).map(|i| format!("specs/s{i:03}.yaml")).collect();
            let text = markdown_several(&sections(&plans, &files));
            assert!(
                text.len() <= GITHUB_COMMENT_LIMIT,
                "{specs} specs: {} bytes",
                text.len()
            );
            for file in &files {
                assert!(
                    text.contains(&format!("| `{file}` |")),
                    "{specs} specs: row of {file}"
                );
            }
        }
        // A small spec among large ones comes whole: it leaves its share to the others.
        let mut plans: Vec<Plan> = (0..5).map(|i| plan(&format!("big{i}"), 2_000)).collect();
        plans.push(plan("small", 1));
        let files: Vec<String> = (0..6).map(|i| format!("s{i}.yaml")).collect();
        let text = markdown_several(&sections(&plans, &files));
        assert!(text.len() <= GITHUB_COMMENT_LIMIT);
        assert!(text.contains(&crate::render::markdown(&plans[5])));
    }
}
