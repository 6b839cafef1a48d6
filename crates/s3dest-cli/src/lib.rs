//! The `s3dest` command line: argument parsing, the commands, and the one place
//! where errors become messages and exit codes.

mod args;
mod commands;
mod planfile;
mod ui;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// Exit codes of the contract: 0 success (no changes with `--detailed-exitcode`),
/// 1 error, 2 changes present (`--detailed-exitcode` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    Error,
    Changes,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Error => ExitCode::from(1),
            Exit::Changes => ExitCode::from(2),
        }
    }
}

/// An error whose message was already shown (spec diagnostics, plan conflicts).
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors reported above")
    }
}

impl std::error::Error for Reported {}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and succeed; a usage error is an error: exit 1,
        // never clap's 2, which `--detailed-exitcode` reserves for "changes present".
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let ui = ui::Ui::new(cli.verbose);
    ui.init_logging();
    let result = commands::run(cli, &ui);
    match result {
        Ok(exit) => exit.into(),
        Err(err) if err.is::<Reported>() => ExitCode::from(1),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            ui.error(&format!("{err:#}"));
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
