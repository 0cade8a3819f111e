//! berthd: reads its configuration, opens the engine, serves the API on its sockets.

mod config;

use anyhow::{bail, Context, Result};
use clap::Parser;
use config::{Config, Flags};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

static LOG_LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

fn level_num(level: &str) -> u8 {
    match level {
        "debug" => 0,
        "info" => 1,
        "warn" => 2,
        "error" => 3,
        _ => 4,
    }
}

fn log(level: &str, msg: impl std::fmt::Display) {
    if level_num(level) < LOG_LEVEL.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    eprintln!("time=\"{}\" level={level} msg=\"{msg}\"", store::now_rfc3339());
}

fn main() {
    let flags = Flags::parse();
    if flags.version {
        println!("berthd version {}", api::VERSION);
        return;
    }
    if let Err(e) = run(flags) {
        log("fatal", format!("{e:#}"));
        std::process::exit(1);
    }
}

/// Refuses to start when another berthd holds the PID file; writes ours.
fn write_pidfile(path: &Path) -> Result<()> {
    if let Ok(s) = std::fs::read_to_string(path) {
        if let Ok(pid) = s.trim().parse::<i32>() {
            let alive = pid > 0 && unsafe { libc::kill(pid, 0) } == 0;
            let is_berthd = std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "berthd");
            // A killed daemon not yet reaped by its parent is a zombie: not running.
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')));
            let alive = alive && !zombie;
            if alive && is_berthd && pid != std::process::id() as i32 {
                bail!("pid file found, ensure berthd is not running or delete {}", path.display());
            }
        }
    }
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
    }
    std::fs::write(path, format!("{}\n", std::process::id())).with_context(|| format!("write {}", path.display()))
}

fn group_id(name: &str) -> Option<u32> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then(|| f.nth(1)?.parse().ok()).flatten()
    })
}

/// Binds a unix socket, replacing a stale one (refusing if something answers on it).
fn bind(path: &Path, group: &str) -> Result<std::os::unix::net::UnixListener> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            bail!("{} is in use by another daemon", path.display());
        }
        std::fs::remove_file(path).with_context(|| format!("remove stale socket {}", path.display()))?;
    }
    let l = std::os::unix::net::UnixListener::bind(path).with_context(|| format!("listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(gid) = group_id(group) {
        let _ = std::os::unix::fs::chown(path, None, Some(gid));
    }
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Resolves `--userns-remap` from /etc/passwd, /etc/group, /etc/subuid and /etc/subgid
/// (`BERTH_SUBUID`/`BERTH_SUBGID` name other files). For `default`, like dockerd, the user
/// `dockremap` gets a range of 65536 IDs if it has none.
fn userns_remap(setting: &str) -> Result<runtime::userns::Remap> {
    let subuid = std::env::var_os("BERTH_SUBUID").map_or_else(|| PathBuf::from("/etc/subuid"), PathBuf::from);
    let subgid = std::env::var_os("BERTH_SUBGID").map_or_else(|| PathBuf::from("/etc/subgid"), PathBuf::from);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    let (passwd, group) = (read("/etc/passwd".as_ref()), read("/etc/group".as_ref()));
    if setting.trim() == "default" {
        for file in [&subuid, &subgid] {
            let text = read(file);
            if runtime::userns::ranges(&text, &["dockremap"]).is_empty() {
                let line = format!("dockremap:{}:65536\n", runtime::userns::free_start(&text, 65536));
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file).with_context(|| format!("open {}", file.display()))?;
                std::io::Write::write_all(&mut f, line.as_bytes()).with_context(|| format!("write {}", file.display()))?;
            }
        }
    }
    runtime::userns::resolve(setting, &passwd, &group, &read(&subuid), &read(&subgid)).map_err(anyhow::Error::msg)
}

fn run(flags: Flags) -> Result<()> {
    let cfg = Config::load(&flags)?;
    LOG_LEVEL.store(level_num(&cfg.log_level), std::sync::atomic::Ordering::Relaxed);
    for d in [&cfg.data_root, &cfg.exec_root] {
        std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
    }
    // Remapped roots must be able to pass through the data root to their root filesystems
    // (as with dockerd: 0711 then, 0710 otherwise).
    let mode = if cfg.userns_remap.is_some() { 0o711 } else { 0o710 };
    std::fs::set_permissions(&cfg.data_root, std::fs::Permissions::from_mode(mode))?;
    write_pidfile(&cfg.pidfile)?;
    let engine_cfg = engine::Config {
        data_root: cfg.data_root.clone(),
        exec_root: cfg.exec_root.clone(),
        registry_mirrors: cfg.registry_mirrors.clone(),
        insecure_registries: cfg.insecure_registries.clone(),
        debug: cfg.debug,
        labels: cfg.labels.clone(),
        bridge: cfg.bridge.clone(),
        bip: cfg.bip.clone(),
        default_address_pools: cfg.default_address_pools.clone(),
        daemon_json: cfg.file.clone(),
        cgroup_parent: cfg.cgroup_parent.clone(),
        userns_remap: cfg.userns_remap.as_deref().map(userns_remap).transpose()?,
    };
    let (engine, recovery) = engine::Engine::open(engine_cfg).context("opening the data root")?;
    if recovery != store::Recovery::default() {
        log("info", format!("recovered from an unclean shutdown: {recovery:?}"));
    }
    let listeners: Vec<(PathBuf, std::os::unix::net::UnixListener)> =
        cfg.sockets.iter().map(|p| bind(p, &cfg.group).map(|l| (p.clone(), l))).collect::<Result<_>>()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .max_blocking_threads(64)
        .thread_stack_size(1 << 20)
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let backends = server::Backends { images: engine.clone(), system: engine.clone(), containers: engine.clone() };
        let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
        let mut tasks = Vec::new();
        for (path, l) in listeners {
            let l = tokio::net::UnixListener::from_std(l)?;
            let mut stop = stop_tx.subscribe();
            log("info", format!("API listen on {}", path.display()));
            tasks.push(tokio::spawn(server::serve(l, backends.clone(), async move {
                let _ = stop.recv().await;
            })));
        }
        log("info", format!("berthd {} started (data root {})", api::VERSION, cfg.data_root.display()));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        log("info", "shutting down");
        let _ = stop_tx.send(());
        for t in tasks {
            let _ = t.await;
        }
        anyhow::Ok(())
    });
    for p in &cfg.sockets {
        let _ = std::fs::remove_file(p);
    }
    let _ = std::fs::remove_file(&cfg.pidfile);
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}
