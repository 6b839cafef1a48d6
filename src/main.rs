//! The `s3dest` binary: everything lives in `s3dest-cli`.
fn main() -> std::process::ExitCode {
    s3dest_cli::main()
}
