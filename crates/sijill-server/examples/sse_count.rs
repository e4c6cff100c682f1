//! Subscribes to `GET /v1/events/stream` from the start and reports how long the first N
//! events took to arrive (the stream benchmark in `docs/performance.md`):
//!
//! ```text
//! cargo run --release -p sijill-server --example sse_count -- URL TOKEN N
//! ```

use std::time::Instant;

use futures::StreamExt;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, token, n] = &args[..] else {
        return Err("usage: sse_count URL TOKEN N".into());
    };
    let want: u64 = n.parse()?;
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/events/stream"))
        .bearer_auth(token)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("the stream answered {}", response.status()).into());
    }
    let mut body = response.bytes_stream();
    let (mut events, mut bytes) = (0u64, 0u64);
    let mut scanner = IdLines::default();
    while events < want {
        let Some(chunk) = body.next().await else {
            break;
        };
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        events += scanner.count(&chunk);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{events} events ({:.0} MB) in {seconds:.2} s: {:.0} events/s",
        bytes as f64 / 1e6,
        events as f64 / seconds
    );
    Ok(())
}

/// Counts lines that start with `id:` across chunk boundaries.
#[derive(Default)]
struct IdLines {
    /// Bytes of `id:` matched at the start of the current line; `None` once it cannot match.
    matched: Option<usize>,
    mid_line: bool,
}

impl IdLines {
    fn count(&mut self, chunk: &[u8]) -> u64 {
        const PREFIX: &[u8] = b"id:";
        let mut found = 0;
        for &byte in chunk {
            if byte == b'\n' {
                self.mid_line = false;
                self.matched = Some(0);
                continue;
            }
            if !self.mid_line {
                self.matched = Some(0);
                self.mid_line = true;
            }
            self.matched = match self.matched {
                Some(i) if PREFIX[i] == byte && i + 1 == PREFIX.len() => {
                    found += 1;
                    None
                }
                Some(i) if PREFIX[i] == byte => Some(i + 1),
                _ => None,
            };
        }
        found
    }
}
