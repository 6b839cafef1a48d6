//! `--target destination.NAME`: which destinations a plan or apply is limited to.

use std::collections::BTreeSet;

use anyhow::{Result, bail};

use s3dest_core::model::Desired;
use s3dest_core::plan::Plan;
use s3dest_spec::Spec;

use crate::ui::Ui;

/// The destinations a run is limited to; empty: all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets(BTreeSet<String>);

impl Targets {
    /// The `--target` arguments, checked against the spec before any AWS call: each
    /// names one of its destinations, as `destination.NAME`.
    pub fn parse(args: &[String], specs: &[&Spec]) -> Result<Targets> {
        if args.is_empty() {
            return Ok(Targets::default());
        }
        let [spec] = specs else {
            bail!(
                "`--target` works on one spec at a time, and this run has {}; nothing was sent to AWS",
                specs.len()
            );
        };
        let mut names = BTreeSet::new();
        for arg in args {
            let Some(name) = arg.strip_prefix("destination.") else {
                bail!(
                    "`--target {arg}`: a target is `destination.NAME`, such as `destination.{}`; nothing was sent to AWS",
                    spec.destinations
                        .keys()
                        .next()
                        .map_or("pendo", String::as_str)
                );
            };
            if !spec.destinations.contains_key(name) {
                let known: Vec<String> = spec
                    .destinations
                    .keys()
                    .map(|n| format!("`destination.{n}`"))
                    .collect();
                bail!(
                    "`--target {arg}`: spec `{}` has no destination `{name}` (it has {}); nothing was sent to AWS",
                    spec.name,
                    match known.is_empty() {
                        true => "none".to_owned(),
                        false => s3dest_core::phrase::and_list(known),
                    }
                );
            }
            names.insert(name.to_owned());
        }
        Ok(Targets(names))
    }

    /// The targets a saved plan was made with.
    pub fn saved(names: &[String]) -> Targets {
        Targets(names.iter().cloned().collect())
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// `plan` limited to the targets (the whole plan without any).
    pub fn limit(&self, plan: Plan, desired: &Desired) -> Plan {
        match self.0.is_empty() {
            true => plan,
            false => plan.targeted(&self.0, desired),
        }
    }

    /// The warning that a run is limited, once per run.
    pub fn warn(&self, ui: &Ui) {
        if self.0.is_empty() {
            return;
        }
        let names: Vec<String> = self.0.iter().map(|n| format!("`{n}`")).collect();
        ui.warn(&format!(
            "--target limits this run to destination(s) {}: the changes of the others are left out, so AWS still differs from the spec. It is for exceptional use, such as an urgent fix while another destination is broken; run without it next.",
            s3dest_core::phrase::and_list(names)
        ));
    }
}
