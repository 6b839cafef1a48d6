//! `s3dest-fidelity --upstream URL [--config JSON]`: starts the proxy in front of
//! moto at URL, prints its endpoint on one line, and serves until killed, or until
//! its stdin (when it is a pipe) closes.

use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::process::ExitCode;

use s3dest_fidelity::{Behaviours, Fidelity};

const USAGE: &str = "usage: s3dest-fidelity --upstream URL [--config JSON]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "s3dest-fidelity: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut upstream = None;
    let mut config = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--upstream" => upstream = Some(args.next().ok_or(USAGE)?),
            "--config" => config = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                let _ = writeln!(std::io::stdout(), "{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let upstream = upstream.ok_or(USAGE)?;
    let behaviours: Behaviours = match config {
        Some(json) => serde_json::from_str(&json).map_err(|e| format!("invalid --config: {e}"))?,
        None => Behaviours::default(),
    };
    let proxy = Fidelity::start(&upstream)?;
    proxy.set(behaviours);
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", proxy.endpoint()).map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())?;
    drop(stdout);
    // A pipe on stdin ties the proxy's life to its parent's. Anything else
    // (a terminal, /dev/null from a shell's `&`) would end it at once: wait instead.
    let stdin_is_pipe = std::fs::metadata("/dev/stdin")
        .map(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .unwrap_or(false);
    if stdin_is_pipe {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        return Ok(());
    }
    loop {
        std::thread::park();
    }
}
