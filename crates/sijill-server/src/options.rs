//! `sijill serve`'s flags.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How to run the server. The binary flattens this into its `serve` subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeOptions {
    /// Address and port to listen on (port 0 picks a free port; the URL is printed)
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080",
        env = "SIJILL_LISTEN"
    )]
    pub listen: SocketAddr,

    /// Token file (TOML: name, role, sha256 of each token; see docs/api.md)
    #[arg(long, value_name = "FILE", env = "SIJILL_TOKENS")]
    pub tokens: Option<PathBuf>,

    /// Let requests without a token read (queries, the log, the stream); writing still needs a token
    #[arg(long)]
    pub anonymous_read: bool,

    /// Demo: serve the founding example and print a token per role, made at start and kept only as hashes
    #[arg(long)]
    pub demo: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tokens: None,
            anonymous_read: false,
            demo: false,
        }
    }
}
