//! Health checks: the image's `HEALTHCHECK` or `--health-*`, run as execs on a schedule.

use super::{shim, Ctr};
use crate::events::attrs;
use crate::Engine;
use api::container::HealthResult;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEFAULT_INTERVAL: i64 = 30_000_000_000;
const DEFAULT_TIMEOUT: i64 = 30_000_000_000;
const DEFAULT_RETRIES: i64 = 3;
const DEFAULT_START_INTERVAL: i64 = 5_000_000_000;
const MAX_OUTPUT: usize = 4096;

/// Reads Docker's framed output (or raw) until EOF or the deadline.
fn read_output(mut s: std::os::unix::net::UnixStream, deadline: Instant) -> (Vec<u8>, bool) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (raw, true);
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return (raw, true),
            Err(_) => break,
        }
    }
    // Strip the 8-byte frame headers.
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= raw.len() {
        let n = u32::from_be_bytes([raw[i + 4], raw[i + 5], raw[i + 6], raw[i + 7]]) as usize;
        let end = (i + 8 + n).min(raw.len());
        out.extend_from_slice(&raw[i + 8..end]);
        i = end;
    }
    (out, false)
}

impl Engine {
    /// Runs one probe; returns the result.
    fn probe(&self, c: &Ctr, test: &[String], timeout: Duration) -> HealthResult {
        let start = api::time::now_rfc3339();
        let rec = c.rec().clone();
        let args: Vec<String> = match test.first().map(String::as_str) {
            Some("CMD") => test[1..].to_vec(),
            Some("CMD-SHELL") => vec!["/bin/sh".into(), "-c".into(), test.get(1).cloned().unwrap_or_default()],
            _ => test.to_vec(),
        };
        let fail = |msg: String, code: i64| HealthResult { start: start.clone(), end: api::time::now_rfc3339(), exit_code: code, output: msg };
        let cfg = api::container::ExecConfig { attach_stdout: true, attach_stderr: true, cmd: Some(args), ..Default::default() };
        let process = match self.exec_process_public(&rec, &cfg) {
            Ok(p) => p,
            Err(e) => return fail(e.message, -1),
        };
        let paths = self.paths(&rec.id);
        let name = format!("health-{}", store::random_hex(6));
        let pfile = paths.state.join(format!("exec-{name}.json"));
        if let Err(e) = std::fs::write(&pfile, process.to_string()) {
            return fail(e.to_string(), -1);
        }
        let opened = shim::open_stream(&paths.socket(), &format!("exec {name} 0 0 {}\n", pfile.display()));
        let _ = std::fs::remove_file(&pfile);
        let stream = match opened {
            Ok((s, _)) => s,
            Err(e) => return fail(e.message, -1),
        };
        let deadline = Instant::now() + timeout;
        let (mut out, timed_out) = read_output(stream, deadline);
        if timed_out {
            let _ = shim::request(&paths.socket(), &format!("kill {name} 9\n"));
            return fail(format!("Health check exceeded timeout ({}s)", timeout.as_secs()), -1);
        }
        let code = shim::wait(&paths.socket(), &name).map_or(-1, |e| e.code);
        out.truncate(MAX_OUTPUT);
        HealthResult { start, end: api::time::now_rfc3339(), exit_code: code, output: String::from_utf8_lossy(&out).into_owned() }
    }

    /// Starts the health checker of a running container.
    pub(crate) fn spawn_health(&self, c: Arc<Ctr>) {
        let me = self.me();
        std::thread::Builder::new()
            .name("health".into())
            .stack_size(256 * 1024)
            .spawn(move || me.health_loop(c))
            .ok();
    }

    fn health_loop(&self, c: Arc<Ctr>) {
        let started = {
            let r = c.rec();
            (r.state.started_at.clone(), r.id.clone())
        };
        let running = |c: &Ctr| c.rec().state.status == "running" && c.rec().state.started_at == started.0;
        let t0 = Instant::now();
        loop {
            let Some(hc) = c.rec().config.healthcheck.clone() else { return };
            let Some(test) = hc.test.clone().filter(|t| !t.is_empty() && t[0] != "NONE") else { return };
            let interval = if hc.interval > 0 { hc.interval } else { DEFAULT_INTERVAL };
            let start_period = Duration::from_nanos(hc.start_period.max(0) as u64);
            let in_start = t0.elapsed() < start_period;
            let wait = if in_start && hc.start_interval > 0 { hc.start_interval } else if in_start { DEFAULT_START_INTERVAL.min(interval) } else { interval };
            // Sleep, waking early if the container stops.
            let stopped = self.wait_until(&c, Duration::from_nanos(wait as u64), |c| !running(c));
            if stopped {
                return;
            }
            let timeout = Duration::from_nanos(if hc.timeout > 0 { hc.timeout } else { DEFAULT_TIMEOUT } as u64);
            let result = self.probe(&c, &test, timeout);
            if !running(&c) {
                return;
            }
            let retries = if hc.retries > 0 { hc.retries } else { DEFAULT_RETRIES };
            let ok = result.exit_code == 0;
            let mut changed_to = None;
            let _ = self.update(&c, |r| {
                let h = r.state.health.get_or_insert_with(|| api::container::Health { status: "starting".into(), ..Default::default() });
                let before = h.status.clone();
                if ok {
                    h.failing_streak = 0;
                    h.status = "healthy".into();
                } else if !(in_start && h.status == "starting") {
                    h.failing_streak += 1;
                    if h.failing_streak >= retries {
                        h.status = "unhealthy".into();
                    }
                }
                h.log.push(result.clone());
                if h.log.len() > 5 {
                    h.log.remove(0);
                }
                if h.status != before {
                    changed_to = Some(h.status.clone());
                }
            });
            if let Some(s) = changed_to {
                let r = c.rec().clone();
                self.events.publish("container", &format!("health_status: {s}"), &r.id, attrs([("image", r.config.image.clone().unwrap_or_default()), ("name", r.name)]));
            }
        }
    }
}
