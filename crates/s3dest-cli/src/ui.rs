//! The one output channel: stdout for results, stderr for diagnostics, colour
//! decided once (a terminal or `CLICOLOR_FORCE`/`FORCE_COLOR`, and no `NO_COLOR`), a
//! progress bar during apply only
//! when stderr is a terminal. When one run has several specs, each spec's output is
//! collected in a [`Section`] and printed whole when the spec is done, so that specs run
//! at once do not interleave their lines.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone)]
pub struct Ui {
    pub color_stdout: bool,
    pub color_stderr: bool,
    stderr_is_terminal: bool,
    verbose: u8,
    /// The progress bar on screen, if any: whatever is written to stderr meanwhile
    /// (messages and logs) is written above it, not through it.
    bar: ActiveBar,
    /// Set for one spec of several: its output, kept until the spec is done.
    section: Option<Arc<Mutex<Section>>>,
}

/// One spec's output in a run of several: what it wrote to stdout and to stderr.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub stdout: String,
    pub stderr: String,
}

/// The progress bar shown at the moment, shared with the log writer.
#[derive(Clone, Default)]
struct ActiveBar(Arc<Mutex<Option<ProgressBar>>>);

impl ActiveBar {
    fn get(&self) -> Option<ProgressBar> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, bar: Option<ProgressBar>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = bar;
    }

    /// Writes to stderr, above the bar when one is shown.
    fn write_stderr(&self, bytes: &[u8]) -> std::io::Result<()> {
        let write = || {
            let mut stderr = std::io::stderr().lock();
            stderr.write_all(bytes)?;
            stderr.flush()
        };
        match self.get() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// The log writer: stderr, above the progress bar.
impl std::io::Write for ActiveBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_stderr(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ActiveBar {
    type Writer = ActiveBar;

    fn make_writer(&'a self) -> ActiveBar {
        self.clone()
    }
}

impl Ui {
    pub fn new(verbose: u8) -> Ui {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let no_color = set("NO_COLOR");
        // CI logs show colour but are no terminal: `CLICOLOR_FORCE` and `FORCE_COLOR`
        // (any value but `0`) ask for it; `NO_COLOR`, the user's own refusal, wins.
        let forced = ["CLICOLOR_FORCE", "FORCE_COLOR"]
            .iter()
            .any(|name| set(name) && std::env::var_os(name).is_some_and(|v| v != "0"));
        let stderr_is_terminal = std::io::stderr().is_terminal();
        Ui {
            color_stdout: !no_color && (forced || std::io::stdout().is_terminal()),
            color_stderr: !no_color && (forced || stderr_is_terminal),
            stderr_is_terminal,
            verbose,
            bar: ActiveBar::default(),
            section: None,
        }
    }

    /// A `Ui` for one spec of several: the same colours, no progress bar, and its
    /// output kept in the returned section instead of printed.
    pub fn section(&self) -> (Ui, Arc<Mutex<Section>>) {
        let section = Arc::new(Mutex::new(Section::default()));
        let ui = Ui {
            color_stdout: self.color_stdout,
            color_stderr: self.color_stderr,
            stderr_is_terminal: false,
            verbose: self.verbose,
            bar: ActiveBar::default(),
            section: Some(section.clone()),
        };
        (ui, section)
    }

    /// Text for stderr as it is (a section's, printed when its spec is done).
    pub fn stderr_text(&self, text: &str) {
        self.write_stderr(text);
    }

    /// Whether this is one spec's section of a run of several.
    pub fn in_section(&self) -> bool {
        self.section.is_some()
    }

    /// Writes to stderr, or into the section.
    fn write_stderr(&self, text: &str) {
        match &self.section {
            Some(section) => lock(section).stderr.push_str(text),
            None => {
                let _ = self.bar.write_stderr(text.as_bytes());
            }
        }
    }

    pub fn init_logging(&self) {
        let level = match self.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        };
        // Our crates at the chosen level; the SDK's warnings from -v on (s3dest reports
        // what they are about as errors of its own), its internals at -vv and above.
        let filter = match self.verbose {
            0 | 1 => format!(
                "{},s3dest={level},s3dest_cli={level},s3dest_aws={level},s3dest_core={level}",
                if self.verbose == 0 { "error" } else { "warn" }
            ),
            _ => format!(
                "info,s3dest_cli=debug,s3dest_aws=debug,s3dest_core=debug{}",
                if self.verbose > 2 { ",aws=debug" } else { "" }
            ),
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(self.bar.clone())
            .with_ansi(self.color_stderr)
            .without_time()
            .with_target(false)
            .try_init();
    }

    /// Results (plans, outputs) go to stdout.
    pub fn out(&self, text: &str) -> std::io::Result<()> {
        if let Some(section) = &self.section {
            lock(section).stdout.push_str(text);
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// Progress and messages for the person at the terminal go to stderr.
    pub fn info(&self, text: &str) {
        self.write_stderr(&format!("{text}\n"));
    }

    pub fn warn(&self, message: &str) {
        let text = if self.color_stderr {
            format!("\x1b[1;33mwarning\x1b[0m: {message}\n")
        } else {
            format!("warning: {message}\n")
        };
        self.write_stderr(&text);
    }

    pub fn error(&self, message: &str) {
        let text = if self.color_stderr {
            format!("\x1b[1;31merror\x1b[0m: {message}\n")
        } else {
            format!("error: {message}\n")
        };
        self.write_stderr(&text);
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

    /// Progress over `total` steps: on a terminal, a bar of steps done with the step
    /// under way, with messages printed above it; otherwise nothing but the messages.
    /// The bar goes away when the returned value is dropped.
    pub fn progress(&self, total: usize) -> Progress<'_> {
        let bar = self.stderr_is_terminal.then(|| {
            let template = if self.color_stderr {
                "{spinner:.cyan} [{bar:20.cyan/blue}] {pos}/{len} changes  {wide_msg}"
            } else {
                "{spinner} [{bar:20}] {pos}/{len} changes  {wide_msg}"
            };
            let style = ProgressStyle::with_template(template)
                .expect("the template is valid")
                .progress_chars("=> ");
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
                    .with_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar.set(Some(bar.clone()));
            bar
        });
        Progress {
            ui: self,
            bar,
            running: Mutex::new(Vec::new()),
            failed: Mutex::new(Vec::new()),
        }
    }
}

fn lock(section: &Mutex<Section>) -> std::sync::MutexGuard<'_, Section> {
    section.lock().unwrap_or_else(PoisonError::into_inner)
}

/// See [`Ui::progress`].
pub struct Progress<'u> {
    ui: &'u Ui,
    bar: Option<ProgressBar>,
    /// Steps started and not finished, oldest first: the bar names the oldest.
    running: Mutex<Vec<String>>,
    /// Steps whose failure was printed, so that it is printed once.
    failed: Mutex<Vec<String>>,
}

impl Progress<'_> {
    /// `step` has started.
    pub fn start(&self, step: &str) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.push(step.to_owned());
        self.show(&running);
    }

    /// `step` is done: the bar moves on, and `line` is printed.
    pub fn done(&self, step: &str, line: &str) {
        self.finish_step(step);
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        self.ui.info(line);
    }

    /// `step` failed: `message` is printed as an error, at once and only here.
    pub fn failed(&self, step: &str, message: &str) {
        self.finish_step(step);
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(step.to_owned());
        self.ui.error(message);
    }

    /// Whether the failure of `step` was printed.
    pub fn printed_failure(&self, step: &str) -> bool {
        let failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        failed.iter().any(|s| s == step)
    }

    fn finish_step(&self, step: &str) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = running.iter().position(|s| s == step) {
            running.remove(i);
        }
        self.show(&running);
    }

    fn show(&self, running: &[String]) {
        let Some(bar) = &self.bar else { return };
        let message = match running {
            [] => String::new(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
        };
        bar.set_message(message);
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            self.ui.bar.set(None);
            bar.finish_and_clear();
        }
    }
}
