//! End-to-end tests: drive the built `sijill` binary and server as a user would.
//!
//! This library holds what the test modules share for driving the binary: finding it,
//! running it against a data folder with a clean environment, and reading what it printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `sijill` binary under test: `$SIJILL_BIN` if set, else `debug/sijill` in the target
/// folder (`$CARGO_TARGET_DIR`, or `target/` of the workspace). `scripts/test` builds it
/// with `cargo build -p sijill` before running the tests.
///
/// Panics with the command to run when the binary is missing, because a stale or absent
/// binary would make every end-to-end test fail for a reason unrelated to what it tests.
pub fn sijill_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("SIJILL_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "SIJILL_BIN is {}, which is not a file: build it, or unset SIJILL_BIN",
            bin.display()
        );
        return bin;
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|t| !t.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    let bin = target
        .join("debug")
        .join(format!("sijill{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "the sijill binary is missing at {}: build it first with `cargo build -p sijill` \
         (scripts/test does), or point SIJILL_BIN at it",
        bin.display()
    );
    bin
}

/// The folder of the founding example's record files.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/khemisset")
}

/// The example's record files, in recording order.
pub fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(example_dir())
        .expect("examples/khemisset/ exists")
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("sijill prints UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("sijill prints UTF-8"),
        }
    }

    /// Panics, showing both streams, unless the run exited 0.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "sijill failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `sijill --data <folder> <args>` as registrar `registrar`, with an environment that
/// does not depend on the machine: no `SIJILL_DATA`, `NO_COLOR` set, a fixed `USER`.
pub fn sijill(folder: &Path, args: &[&str]) -> Run {
    let output = base_command(folder)
        .args(args)
        .output()
        .expect("the sijill binary runs");
    Run::from_output(output)
}

/// The command [`sijill`] runs, for callers that need to add to it (stdin, env).
pub fn base_command(folder: &Path) -> Command {
    let mut command = clean_command();
    command.arg("--data").arg(folder);
    command
}

/// Runs `sijill <global> <args>` with the same environment as [`sijill`], for registries
/// named by other global flags (`--store postgres://...`) or none (`copy-log`).
pub fn sijill_with(global: &[&str], args: &[&str]) -> Run {
    let output = clean_command()
        .args(global)
        .args(args)
        .output()
        .expect("the sijill binary runs");
    Run::from_output(output)
}

/// The binary with an environment that names no registry and does not depend on the machine.
fn clean_command() -> Command {
    let mut command = Command::new(sijill_bin());
    command
        .env_remove("SIJILL_DATA")
        .env_remove("SIJILL_STORE")
        .env("NO_COLOR", "1")
        .env("USER", "registrar");
    command
}
