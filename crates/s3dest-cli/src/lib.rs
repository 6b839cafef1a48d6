//! The `s3dest` command line: argument parsing, the commands, and the one place
//! where errors become messages and exit codes.

mod apply;
mod args;
mod commands;
mod planfile;
mod runs;
mod spec_file;
mod target;
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
    install_panic_hook();
    guard(run).into()
}

fn run() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and succeed; a usage error is an error: exit 1,
        // never clap's 2, which `--detailed-exitcode` reserves for "changes present".
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                Exit::Error
            } else {
                Exit::Success
            };
        }
    };
    let ui = ui::Ui::new(cli.verbose);
    ui.init_logging();
    let result = commands::run(cli, &ui);
    match result {
        Ok(exit) => exit,
        Err(err) if err.is::<Reported>() => Exit::Error,
        Err(err) => {
            if is_broken_pipe(&err) {
                return Exit::Success;
            }
            ui.error(&format!("{err:#}"));
            Exit::Error
        }
    }
}

/// Runs `f`; a panic (which the hook has reported) is exit 1, never Rust's 101. The last
/// resort: every known cause of a panic is checked for before it can happen.
fn guard(f: impl FnOnce() -> Exit) -> Exit {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(Exit::Error)
}

/// Reports a panic, on any thread, as one line; Rust's own report (and backtrace) only
/// with `RUST_BACKTRACE`.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        use std::io::Write as _;
        let line = panic_line(info.payload(), info.location());
        let _ = writeln!(std::io::stderr(), "error: {line}");
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default(info);
        }
    }));
}

/// `internal error: MESSAGE at FILE:LINE:COL (please report it)`.
fn panic_line(
    payload: &(dyn std::any::Any + Send),
    location: Option<&std::panic::Location<'_>>,
) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic");
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = location.map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()));
    format!(
        "internal error: {message}{} (please report it, with the command and what it printed; \
         RUST_BACKTRACE=1 shows more)",
        at.unwrap_or_default()
    )
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_one_line_and_exit_1() {
        assert_eq!(guard(|| Exit::Changes), Exit::Changes);
        assert_eq!(guard(|| panic!("assertion failed\n  left: 1")), Exit::Error);
        let payload = std::panic::catch_unwind(|| panic!("boom {}", 42)).unwrap_err();
        let line = panic_line(payload.as_ref(), None);
        assert_eq!(
            line,
            "internal error: boom 42 (please report it, with the command and what it printed; \
             RUST_BACKTRACE=1 shows more)"
        );
        let payload = std::panic::catch_unwind(|| panic!("multi\nline")).unwrap_err();
        let location = std::panic::Location::caller();
        let line = panic_line(payload.as_ref(), Some(location));
        assert!(line.starts_with("internal error: multi line at "), "{line}");
        assert!(!line.contains('\n'));
    }
}
