//! `sijill`: the command line of the registry.
//!
//! Every invocation goes the same way: parse the arguments, turn them into a request (a
//! `Submission` of commands, or a `Query`), execute it through a [`backend::Backend`], and
//! render the typed answer as a table or as JSON. `main` only maps the outcome to an exit
//! code (see [`exit`]).

mod backend;
mod cli;
mod commands;
mod examples;
mod exit;
mod interop;
mod place;
mod progress;
mod record_file;
mod remote;
mod render;
mod run;
mod table;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

/// See the workspace manifest for why the binary does not use the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Regular pages make the writer faster (see `sijill_engine::disable_transparent_huge_pages`);
    // a kernel that refuses leaves the defaults, which only cost speed.
    let _ = sijill_engine::disable_transparent_huge_pages();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` come through here too, and are not failures.
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run_cli(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if exit::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e:#}");
            ExitCode::from(exit::code_of(&e))
        }
    }
}

fn run_cli(cli: cli::Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut out = io::BufWriter::new(io::stdout());
    let result = runtime.block_on(run::execute(cli, &mut out));
    // Flush even after an error: what was printed before it belongs to the output.
    let flushed = out.flush();
    result?;
    Ok(flushed?)
}
