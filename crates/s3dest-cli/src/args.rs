//! What the user typed: the clap definition of every command and flag.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// The exit codes of the commands that plan, for their help (a macro: `concat!` takes
/// literals only).
macro_rules! plan_exit_codes {
    () => {
        "Exit codes:
  0  success (with --detailed-exitcode: and no changes)
  1  error: bad input, AWS refused, or a plan with errors
  2  changes present (with --detailed-exitcode only)"
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "s3dest",
    version,
    max_term_width = 100,
    about = "Plan and apply S3 export destinations for SaaS vendors (Pendo, Braze, WalkMe, …)",
    after_help = concat!(
        "Examples:
  s3dest init --vendor braze-currents --bucket acme-exports
  s3dest validate
  s3dest plan --out tfplan          # review it, then:
  s3dest apply tfplan
  s3dest plan accounts/ --format markdown --detailed-exitcode

",
        plan_exit_codes!()
    )
)]
pub struct Cli {
    /// More logging on stderr: -v info (with the number of AWS calls), -vv debug.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec offline: no AWS call, not even for credentials.
    #[command(after_help = "Examples:
  s3dest validate
  s3dest validate specs/ other.yaml

Exit codes: 0 every spec is valid, 1 otherwise.")]
    Validate {
        /// Spec files, or directories of `*.yaml`/`*.yml` specs.
        #[arg(default_value = "s3dest.yaml", value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// `json`: each spec's diagnostics as a JSON object on stdout (one line per spec
        /// when there are several); they are still rendered on stderr.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Show what apply would change in AWS.
    #[command(after_help = concat!("Examples:
  s3dest plan
  s3dest plan --out tfplan --detailed-exitcode
  s3dest plan accounts/ --format markdown > comment.md
  cat s3dest.yaml | s3dest plan -

", plan_exit_codes!()))]
    Plan {
        /// Spec files, or directories of `*.yaml`/`*.yml` specs: each is planned on its
        /// own (its account, its lock), and with `--format json` each printed on one line.
        #[arg(default_value = "s3dest.yaml", value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// `text` for people, `json` for programs (one line per spec with several),
        /// `markdown` for a pull-request comment.
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Save the plan, to apply exactly it later with `s3dest apply PLANFILE`. With
        /// several specs: a directory (existing, or ending in `/`) gets one plan file per
        /// spec; any other path one file holding them all.
        #[arg(long, value_name = "PLANFILE")]
        out: Option<PathBuf>,
        /// Exit 2 when there are changes, 0 when there are none, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        #[command(flatten)]
        targets: Targets,
        #[command(flatten)]
        jobs: Jobs,
    },
    /// Make AWS match the spec (or apply a saved plan file).
    #[command(after_help = "Examples:
  s3dest apply                      # shows the plan, asks for `yes`
  s3dest apply tfplan               # exactly the saved plan, if AWS did not change
  s3dest apply accounts/ --auto-approve

Exit codes: 0 applied (or nothing to do), 1 error or cancelled.")]
    Apply {
        /// Spec files, plan files saved with `plan --out` (refused when edited, or when
        /// their spec file changed since), or directories of either. With several, every
        /// plan is shown and confirmed at once, and nothing is applied if one has errors.
        #[arg(default_value = "s3dest.yaml", value_name = "SPEC|PLANFILE")]
        targets: Vec<PathBuf>,
        /// Apply without asking for confirmation (for pipelines).
        #[arg(long)]
        auto_approve: bool,
        /// Take over a bucket-policy lock whose lease ran out (left by an apply that
        /// died). Without it such a lock stops the apply, naming its owner. A live lock
        /// is waited for and never broken.
        #[arg(long)]
        break_lock: bool,
        #[command(flatten)]
        only: Targets,
        #[command(flatten)]
        jobs: Jobs,
    },
    /// Show a plan saved with `plan --out` exactly as `plan` showed it, without any
    /// AWS call.
    #[command(after_help = "Example:
  s3dest show tfplan --format markdown

Exit codes: 0 success, 1 error (not a plan file, or one that was edited).")]
    Show {
        /// A plan file saved with `plan --out` (or a file of several plans).
        planfile: PathBuf,
        /// As `plan --format`: `text`, `json` or `markdown`.
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// Show, per destination, what to enter in the vendor's UI.
    #[command(after_help = "Example:
  s3dest outputs --format json

Exit codes: 0 success, 1 error.")]
    Outputs {
        /// Spec files, or directories of `*.yaml`/`*.yml` specs.
        #[arg(default_value = "s3dest.yaml", value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// `text` for people, `json` for programs (one line per spec with several).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        jobs: Jobs,
    },
    /// Show what each destination's vendor can actually do in AWS now.
    ///
    /// Per destination: the role's trust with the right, a wrong and no external ID;
    /// each request the vendor needs; probes beyond its need (other folders, a bucket
    /// named like it, s3dest's lock, the bucket policy). Each is allowed, denied or
    /// unknown, with the statements that decide it. Read-only.
    ///
    /// Exit 0 when every needed request is allowed and no wrong or missing external ID
    /// is admitted where the vendor uses one; 1 otherwise.
    #[command(after_help = "Example:
  s3dest access --format json

Exit codes: 0 every vendor can do what it needs and no more is admitted, 1 otherwise.")]
    Access {
        /// Spec files, or directories of `*.yaml`/`*.yml` specs.
        #[arg(default_value = "s3dest.yaml", value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// `text` for people, `json` for programs (one line per spec with several).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        jobs: Jobs,
    },
    /// Print a spec of the vendor setups made by hand from the guides.
    ///
    /// Reads every role and user of the account and the policies of the buckets they
    /// are granted (or of the buckets named with `--bucket`), recognises each vendor,
    /// and prints a commented spec with `adopt: true` where s3dest would take a
    /// resource over. Read-only: it makes no write call.
    #[command(after_help = "Example:
  s3dest import --name acme-exports --account 123456789012 > s3dest.yaml

Exit codes: 0 success, 1 error.")]
    Import {
        /// The spec's `name` (what s3dest tags everything it owns with).
        #[arg(long, default_value = "imported")]
        name: String,
        /// Only destinations in this bucket (repeatable); its policy is read even when
        /// no role is granted it (Cloudflare's statement).
        #[arg(long = "bucket", value_name = "BUCKET")]
        buckets: Vec<String>,
        /// Refuse to read unless the credentials are of this account (12 digits); the
        /// printed spec is pinned to the account read either way.
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
    },
    /// Write a commented starter spec for the chosen vendors.
    ///
    /// Values only the vendor's UI can tell are left as `<...>` marked `# fill in:`;
    /// `validate` refuses them until they are filled in. The spec's first line points
    /// editors at `s3dest.schema.json`, written next to it when it is missing. Never
    /// overwrites a file.
    #[command(after_help = "Examples:
  s3dest init --vendor pendo-data-sync --vendor braze-currents --bucket acme-exports
  s3dest init - --vendor walkme     # print it instead

Exit codes: 0 written, 1 error (the file exists, an unknown vendor).")]
    Init {
        /// Where to write the spec; `-` prints it instead.
        #[arg(default_value = "s3dest.yaml")]
        spec: PathBuf,
        /// A vendor to add a destination for (repeatable), such as `braze-currents`.
        #[arg(long = "vendor", value_name = "VENDOR")]
        vendors: Vec<String>,
        /// The bucket the destinations write into.
        #[arg(long, value_name = "BUCKET")]
        bucket: Option<String>,
    },
    /// Print the JSON Schema of the spec format, for editors and linters.
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// How many specs of a run are worked on at once.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Jobs {
    /// With several specs: how many are read, planned or applied at once.
    #[arg(long = "jobs", short = 'j', value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

/// `--target`: a plan or apply limited to some destinations.
#[derive(Debug, Clone, clap::Args)]
pub struct Targets {
    /// Only this destination's changes (and its bucket's), for exceptional use: AWS
    /// then still differs from the spec elsewhere. Repeatable.
    #[arg(long = "target", id = "target", value_name = "destination.NAME")]
    pub targets: Vec<String>,
}

#[cfg(test)]
mod tests {
    /// clap checks the definition (unique names, valid defaults) only when a command is
    /// parsed, in debug builds: check it for every command at once.
    #[test]
    fn the_command_line_definition_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
