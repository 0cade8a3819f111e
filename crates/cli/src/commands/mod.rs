//! One module per command group.

pub mod containers;
pub mod images;
pub mod interactive;
pub mod opts;
pub mod run;
pub mod stats;
pub mod stream;
pub mod system;
pub mod tty;

/// An error that carries the process exit status.
#[derive(Debug)]
pub struct StatusError(pub i32);

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for StatusError {}

/// Reads JSON progress messages (`load`, `import`), printing them; fails on an error message.
pub fn print_stream(resp: crate::client::Response, quiet: bool) -> anyhow::Result<Vec<api::JsonMessage>> {
    use std::io::BufRead;
    let mut resp = resp;
    let mut out = Vec::new();
    for line in resp.body().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let m: api::JsonMessage = serde_json::from_str(&line).map_err(|e| anyhow::anyhow!("invalid message from daemon: {e}"))?;
        if let Some(err) = &m.error {
            anyhow::bail!("{err}");
        }
        if !quiet {
            if let Some(s) = &m.stream {
                print!("{s}");
            }
        }
        out.push(m);
    }
    Ok(out)
}
