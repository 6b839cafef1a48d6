//! The one output channel: stdout for results, stderr for diagnostics, colour
//! decided once (a terminal, and no `NO_COLOR`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

pub struct Ui {
    pub color_stdout: bool,
    pub color_stderr: bool,
    verbose: u8,
}

impl Ui {
    pub fn new(verbose: u8) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui {
            color_stdout: !no_color && std::io::stdout().is_terminal(),
            color_stderr: !no_color && std::io::stderr().is_terminal(),
            verbose,
        }
    }

    pub fn init_logging(&self) {
        let level = match self.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        };
        // Our crates at the chosen level; the SDK's internals only at -vv and above.
        let filter = match self.verbose {
            0 | 1 => format!(
                "warn,s3dest={level},s3dest_cli={level},s3dest_aws={level},s3dest_core={level}"
            ),
            _ => format!(
                "info,s3dest_cli=debug,s3dest_aws=debug,s3dest_core=debug{}",
                if self.verbose > 2 { ",aws=debug" } else { "" }
            ),
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .with_ansi(self.color_stderr)
            .without_time()
            .with_target(false)
            .try_init();
    }

    /// Results (plans, outputs) go to stdout.
    pub fn out(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Progress and messages for the person at the terminal go to stderr.
    pub fn info(&self, text: &str) {
        eprintln!("{text}");
    }

    pub fn error(&self, message: &str) {
        if self.color_stderr {
            eprintln!("\x1b[1;31merror\x1b[0m: {message}");
        } else {
            eprintln!("error: {message}");
        }
    }

    pub fn stdin_is_terminal(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    /// Asks a question on stderr and reads one line from stdin.
    pub fn ask(&self, question: &str) -> std::io::Result<String> {
        eprint!("{question}");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(answer.trim().to_owned())
    }
}
