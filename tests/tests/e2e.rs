//! The single end-to-end test binary: each module drives sijill's built programs as a user
//! or an operator would. Modules live in `tests/e2e/`, one per feature area, registered here
//! with a `#[path]` (this file is the crate root, so a plain `mod x;` would look beside it).

#[path = "e2e/cli.rs"]
mod cli;
#[path = "e2e/cli_bad_input.rs"]
mod cli_bad_input;
#[path = "e2e/crash.rs"]
mod crash;
#[path = "e2e/interop_cli.rs"]
mod interop_cli;
#[path = "e2e/interop_org.rs"]
mod interop_org;
#[path = "e2e/interop_popolo.rs"]
mod interop_popolo;
#[path = "e2e/postgres.rs"]
mod postgres;
#[path = "e2e/remote_cli.rs"]
mod remote_cli;
#[path = "e2e/server.rs"]
mod server;
#[path = "e2e/web.rs"]
mod web;
