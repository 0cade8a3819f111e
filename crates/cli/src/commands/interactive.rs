//! Commands that join the terminal to a container: `start` (with `-a`/`-i`), `attach`,
//! `exec`.

use super::run::{attach_hijack, local_detach_keys, wait_exit, AttachPlan};
use super::stream::{self, End, Streams};
use super::{opts, tty};
use crate::client::{Body, Client};
use api::container::{ExecConfig, ExecStartConfig, WaitResponse};
use clap::{ArgAction, Args};
use serde_json::Value;
use std::io::IsTerminal;

/// What `start`, `attach` and `exec` need from `GET /containers/{id}/json`.
struct Inspected {
    id: String,
    tty: bool,
    open_stdin: bool,
    auto_remove: bool,
    running: bool,
    paused: bool,
    restarting: bool,
}

fn inspect(c: &Client, name: &str) -> Result<Inspected, crate::client::Error> {
    let v: Value = c.get_json(&format!("/containers/{name}/json"))?;
    let b = |x: &Value| x.as_bool().unwrap_or(false);
    Ok(Inspected {
        id: v["Id"].as_str().unwrap_or(name).to_string(),
        tty: b(&v["Config"]["Tty"]),
        open_stdin: b(&v["Config"]["OpenStdin"]),
        auto_remove: b(&v["HostConfig"]["AutoRemove"]),
        running: b(&v["State"]["Running"]),
        paused: b(&v["State"]["Paused"]),
        restarting: b(&v["State"]["Restarting"]),
    })
}

#[derive(Args, Debug)]
pub struct StartArgs {
    /// Containers to start
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short = 'a', long = "attach")]
    attach: bool,
    /// Attach container's STDIN
    #[arg(short = 'i', long = "interactive")]
    interactive: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    detach_keys: Option<String>,
}

pub fn start(c: &Client, a: &StartArgs) -> anyhow::Result<i32> {
    if !(a.attach || a.interactive) {
        let mut failed = Vec::new();
        for name in &a.containers {
            match c.request("POST", &format!("/containers/{name}/start"), Body::None) {
                Ok(_) => println!("{name}"),
                Err(e) => {
                    eprintln!("{e}");
                    failed.push(name.as_str());
                }
            }
        }
        if !failed.is_empty() {
            anyhow::bail!("Error: failed to start containers: {}", failed.join(", "));
        }
        return Ok(0);
    }
    if a.containers.len() > 1 {
        anyhow::bail!("you cannot start and attach multiple containers at once");
    }
    let ci = inspect(c, &a.containers[0])?;
    if !ci.tty {
        tty::proxy_signals(c, &ci.id);
    }
    let plan = AttachPlan { stdin: a.interactive && ci.open_stdin, stdout: true, stderr: true, detach_keys: a.detach_keys.clone() };
    let h = attach_hijack(c, &ci.id, &plan)?;
    let raw = if plan.stdin && ci.tty { tty::RawTerminal::enable(0) } else { None };
    if raw.is_some() {
        tty::restore_on_fatal_signals();
    }
    let status = wait_exit(c, &ci.id, ci.auto_remove);
    if let Err(e) = c.request("POST", &format!("/containers/{}/start", ci.id), Body::None) {
        drop(raw);
        if ci.auto_remove {
            let _ = status.recv();
        }
        return Err(e.into());
    }
    if ci.tty && std::io::stdout().is_terminal() {
        tty::monitor_size(c, tty::Target::Container(ci.id.clone()));
    }
    let end = stream::pump(h, Streams { stdin: plan.stdin, tty: ci.tty, detach_keys: Some(local_detach_keys(a.detach_keys.as_deref())) });
    drop(raw);
    match end? {
        End::Detached => Ok(0),
        End::Done => Ok(status.recv().unwrap_or(125)),
    }
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Container
    container: String,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    detach_keys: Option<String>,
    /// Do not attach STDIN
    #[arg(long = "no-stdin")]
    no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    sig_proxy: bool,
}

pub fn attach(c: &Client, a: &AttachArgs) -> anyhow::Result<i32> {
    // Docker asks for the exit status first, then checks the state.
    let wait = {
        let c = c.clone();
        let path = format!("/containers/{}/wait", a.container);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(c.request("POST", &path, Body::None).and_then(|r| r.json::<WaitResponse>()));
        });
        rx
    };
    let ci = inspect(c, &a.container)?;
    if !ci.running {
        anyhow::bail!("You cannot attach to a stopped container, start it first");
    }
    if ci.paused {
        anyhow::bail!("You cannot attach to a paused container, unpause it first");
    }
    if ci.restarting {
        anyhow::bail!("You cannot attach to a restarting container, wait until it is running");
    }
    let plan = AttachPlan { stdin: !a.no_stdin && ci.open_stdin, stdout: true, stderr: true, detach_keys: a.detach_keys.clone() };
    if a.sig_proxy && !ci.tty {
        tty::proxy_signals(c, &ci.id);
    }
    let h = attach_hijack(c, &a.container, &plan)?;
    if ci.tty && std::io::stdout().is_terminal() {
        tty::monitor_size(c, tty::Target::Container(ci.id.clone()));
    }
    let raw = if plan.stdin && ci.tty { tty::RawTerminal::enable(0) } else { None };
    if raw.is_some() {
        tty::restore_on_fatal_signals();
    }
    let end = stream::pump(h, Streams { stdin: plan.stdin, tty: ci.tty, detach_keys: Some(local_detach_keys(a.detach_keys.as_deref())) });
    drop(raw);
    if let End::Detached = end? {
        // Docker reports the detach as an error here (unlike `run` and `start`).
        anyhow::bail!("read escape sequence");
    }
    match wait.recv() {
        Ok(Ok(w)) => {
            if let Some(e) = w.error.filter(|e| !e.message.is_empty()) {
                anyhow::bail!("{}", e.message);
            }
            Ok(w.status_code as i32)
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Ok(0),
    }
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long = "detach")]
    detach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    detach_keys: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    env_file: Vec<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long = "interactive")]
    interactive: bool,
    /// Give extended privileges to the command
    #[arg(long = "privileged")]
    privileged: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long = "tty")]
    tty: bool,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short = 'u', long = "user", default_value = "", hide_default_value = true)]
    user: String,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir", default_value = "", hide_default_value = true)]
    workdir: String,
    /// CONTAINER COMMAND [ARG...]
    #[arg(value_name = "CONTAINER", required = true, num_args = 2.., trailing_var_arg = true, allow_hyphen_values = true)]
    container_and_command: Vec<String>,
}

/// Docker's `parseExec`: the `POST /containers/{id}/exec` body for these flags.
fn exec_config(a: &ExecArgs, console: (u32, u32)) -> Result<ExecConfig, String> {
    let env = opts::env_list(&a.env_file, &a.env)?;
    Ok(ExecConfig {
        attach_stdin: !a.detach && a.interactive,
        attach_stdout: !a.detach,
        attach_stderr: !a.detach,
        detach_keys: a.detach_keys.clone().unwrap_or_default(),
        tty: a.tty,
        console_size: a.tty.then(|| vec![console.0, console.1]),
        env: (!env.is_empty()).then_some(env),
        cmd: Some(a.container_and_command[1..].to_vec()),
        privileged: a.privileged,
        user: a.user.clone(),
        working_dir: a.workdir.clone(),
    })
}

pub fn exec(c: &Client, a: &ExecArgs) -> anyhow::Result<i32> {
    let container = &a.container_and_command[0];
    if let Some(k) = &a.detach_keys {
        opts::detach_keys(k).map_err(anyhow::Error::msg)?;
    }
    let console = if a.tty { tty::size() } else { (0, 0) };
    let cfg = exec_config(a, console).map_err(anyhow::Error::msg)?;
    // A missing container is reported before anything else, as Docker does.
    c.get_json::<Value>(&format!("/containers/{container}/json"))?;
    if !a.detach && cfg.tty && cfg.attach_stdin && !std::io::stdin().is_terminal() {
        anyhow::bail!("the input device is not a TTY");
    }
    let created: Value = c.post_json(&format!("/containers/{container}/exec"), &cfg)?;
    let id = created["Id"].as_str().unwrap_or("").to_string();
    if id.is_empty() {
        anyhow::bail!("exec ID empty");
    }
    let start = ExecStartConfig { detach: a.detach, tty: cfg.tty, console_size: cfg.console_size.clone() };
    if a.detach {
        c.request("POST", &format!("/exec/{id}/start"), Body::json(&start))?;
        return Ok(0);
    }
    let h = c.hijack("POST", &format!("/exec/{id}/start"), Body::json(&start))?;
    let raw = if cfg.attach_stdin && cfg.tty { tty::RawTerminal::enable(0) } else { None };
    if raw.is_some() {
        tty::restore_on_fatal_signals();
    }
    if cfg.tty && std::io::stdin().is_terminal() {
        tty::monitor_size(c, tty::Target::Exec(id.clone()));
    }
    let end = stream::pump(h, Streams { stdin: cfg.attach_stdin, tty: cfg.tty, detach_keys: Some(local_detach_keys(a.detach_keys.as_deref())) });
    drop(raw);
    if let End::Detached = end? {
        anyhow::bail!("read escape sequence");
    }
    match c.get_json::<Value>(&format!("/exec/{id}/json")) {
        Ok(v) => Ok(v["ExitCode"].as_i64().unwrap_or(0) as i32),
        // The daemon went away: Docker exits with -1, saying nothing more.
        Err(crate::client::Error::Connect(..)) => Ok(-1),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use serde_json::json;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        exec: ExecArgs,
    }

    #[test]
    fn exec_body_matches_docker() {
        let a = T::try_parse_from(["exec", "-i", "-e", "A=b", "-u", "root", "-w", "/tmp", "--privileged", "web", "sh", "-c", "echo"]).unwrap().exec;
        assert_eq!(a.container_and_command[0], "web");
        let v = serde_json::to_value(exec_config(&a, (0, 0)).unwrap()).unwrap();
        // Captured from `docker exec -i -e A=b -u root -w /tmp --privileged web sh -c echo`.
        let docker = json!({"User": "root", "Privileged": true, "Tty": false, "AttachStdin": true, "AttachStderr": true,
            "AttachStdout": true, "Detach": false, "DetachKeys": "", "Env": ["A=b"], "WorkingDir": "/tmp", "Cmd": ["sh", "-c", "echo"]});
        for (k, want) in docker.as_object().unwrap() {
            if k == "Detach" {
                continue;
            }
            assert_eq!(&v[k], want, "{k}");
        }
        assert_eq!(v["ConsoleSize"], Value::Null);

        let a = T::try_parse_from(["exec", "-it", "web", "sh"]).unwrap().exec;
        let v = serde_json::to_value(exec_config(&a, (30, 100)).unwrap()).unwrap();
        assert_eq!(v["ConsoleSize"], json!([30, 100]));
        assert_eq!(v["Env"], Value::Null);

        let a = T::try_parse_from(["exec", "-d", "web", "sleep", "1"]).unwrap().exec;
        let v = serde_json::to_value(exec_config(&a, (0, 0)).unwrap()).unwrap();
        assert_eq!((v["AttachStdin"].clone(), v["AttachStdout"].clone(), v["AttachStderr"].clone()), (json!(false), json!(false), json!(false)));
        assert!(T::try_parse_from(["exec", "web"]).is_err());
    }
}
