//! `version`, `info`, `system df`, and the backend trait implementations.

use crate::backend::{ImageBackend, SystemBackend};
use crate::images::{ImportOptions, ListOptions};
use crate::{Engine, Result};
use api::image::{DeleteItem, HistoryItem, ImageSummary, PruneReport};
use api::system::{Component, Platform, Version};
use api::Filters;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};

fn kernel_version() -> String {
    rustix::system::uname().release().to_string_lossy().into_owned()
}

fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        })
        .unwrap_or_else(|| "Linux".into())
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

/// `1` or `2`: which cgroup hierarchy the host uses.
pub fn cgroup_version() -> &'static str {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "2"
    } else {
        "1"
    }
}

impl Engine {
    /// A stable ID for this engine, created on first use.
    fn engine_id(&self) -> String {
        let p = self.config.data_root.join("engine-id");
        if let Ok(s) = std::fs::read_to_string(&p) {
            if !s.trim().is_empty() {
                return s.trim().to_string();
            }
        }
        let h = store::random_hex(16);
        let id = format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]);
        let _ = std::fs::write(&p, &id);
        id
    }

    /// `GET /version`.
    pub fn version(&self) -> Version {
        let mut details = BTreeMap::new();
        details.insert("ApiVersion".into(), api::API_VERSION.into());
        details.insert("MinAPIVersion".into(), api::MIN_API_VERSION.into());
        details.insert("GitCommit".into(), option_env!("BERTH_GIT_COMMIT").unwrap_or("unknown").into());
        details.insert("Os".into(), "linux".into());
        details.insert("Arch".into(), crate::images::import::host_arch().into());
        details.insert("KernelVersion".into(), kernel_version());
        Version {
            platform: Platform { name: format!("berth {}", api::VERSION) },
            components: vec![Component { name: "Engine".into(), version: api::VERSION.into(), details }],
            version: api::VERSION.into(),
            api_version: api::API_VERSION.into(),
            min_api_version: api::MIN_API_VERSION.into(),
            git_commit: option_env!("BERTH_GIT_COMMIT").unwrap_or("unknown").into(),
            go_version: format!("rust (berth {})", api::VERSION),
            os: "linux".into(),
            arch: crate::images::import::host_arch().into(),
            kernel_version: kernel_version(),
            build_time: String::new(),
        }
    }

    /// `GET /info`.
    pub fn info(&self) -> Result<serde_json::Value> {
        let images = self.store.images()?.len();
        let cg = cgroup_version();
        let (containers, running, paused, stopped) = self.container_counts();
        Ok(json!({
            "ID": self.engine_id(),
            "Containers": containers,
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": stopped,
            "Images": images,
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Using metacopy", "false"], ["Native Overlay Diff", "true"], ["userxattr", "false"]],
            "Plugins": {
                "Volume": ["local"],
                "Network": ["bridge", "host", "none"],
                "Authorization": null,
                "Log": ["json-file"],
            },
            "MemoryLimit": true,
            "SwapLimit": true,
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "CPUShares": true,
            "CPUSet": true,
            "PidsLimit": true,
            "IPv4Forwarding": true,
            "Debug": self.config.debug,
            "NFd": std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0),
            "OomKillDisable": cg == "1",
            "NGoroutines": 0,
            "SystemTime": store::now_rfc3339(),
            "LoggingDriver": self.default_log_driver(),
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": cg,
            "NEventsListener": self.events.listeners(),
            "KernelVersion": kernel_version(),
            "OperatingSystem": os_name(),
            "OSVersion": "",
            "OSType": "linux",
            "Architecture": std::env::consts::ARCH,
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": self.config.registry_mirrors, "Secure": true, "Official": true}},
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "Mirrors": self.config.registry_mirrors,
            },
            "NCPU": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "MemTotal": mem_total(),
            "GenericResources": null,
            "DockerRootDir": self.config.data_root.display().to_string(),
            "HttpProxy": std::env::var("HTTP_PROXY").unwrap_or_default(),
            "HttpsProxy": std::env::var("HTTPS_PROXY").unwrap_or_default(),
            "NoProxy": std::env::var("NO_PROXY").unwrap_or_default(),
            "Name": rustix::system::uname().nodename().to_string_lossy(),
            "Labels": self.config.labels,
            "ExperimentalBuild": false,
            "ServerVersion": api::VERSION,
            "Runtimes": self.runtimes(),
            "DefaultRuntime": self.default_runtime(),
            "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": null},
            "LiveRestoreEnabled": true,
            "Isolation": "",
            "InitBinary": "",
            "ContainerdCommit": {"ID": ""},
            "RuncCommit": {"ID": ""},
            "InitCommit": {"ID": ""},
            "SecurityOptions": (["name=seccomp,profile=builtin", "name=cgroupns"].into_iter().map(String::from).chain(self.config.userns_remap.is_some().then(|| "name=userns".to_string())).collect::<Vec<_>>()),
            "Warnings": [],
        }))
    }

    /// `GET /system/df`.
    pub fn disk_usage(&self) -> Result<serde_json::Value> {
        let mut images = self.list_images(&ListOptions { all: true, ..Default::default() })?;
        let layers: HashMap<_, _> = self.store.layers()?.into_iter().collect();
        // How many images use each layer.
        let mut users: HashMap<store::Digest, u32> = HashMap::new();
        let mut chains = HashMap::new();
        for (id, rec) in self.store.images()? {
            let chain: Vec<store::Digest> = match &rec.top_layer {
                Some(t) => self.store.layer_chain(t)?.into_iter().map(|(c, _)| c).collect(),
                None => Vec::new(),
            };
            for c in &chain {
                *users.entry(c.clone()).or_default() += 1;
            }
            chains.insert(id.to_string(), chain);
        }
        for img in &mut images {
            img.containers = 0;
            img.shared_size = chains
                .get(&img.id)
                .map(|ch| ch.iter().filter(|c| users.get(*c).copied().unwrap_or(0) > 1).map(|c| layers.get(c).map_or(0, |l| l.size as i64)).sum())
                .unwrap_or(0);
        }
        let layers_size: u64 = layers.values().map(|l| l.size).sum();
        Ok(json!({
            "LayersSize": layers_size,
            "Images": images,
            "Containers": [],
            "Volumes": [],
            "BuildCache": [],
        }))
    }
}

impl ImageBackend for Engine {
    fn list_images(&self, opts: &ListOptions) -> Result<Vec<ImageSummary>> {
        Engine::list_images(self, opts)
    }
    fn inspect_image(&self, name: &str) -> Result<serde_json::Value> {
        Engine::inspect_image(self, name)
    }
    fn image_history(&self, name: &str) -> Result<Vec<HistoryItem>> {
        Engine::image_history(self, name)
    }
    fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        Engine::tag_image(self, name, repo, tag)
    }
    fn remove_image(&self, name: &str, force: bool, noprune: bool) -> Result<Vec<DeleteItem>> {
        Engine::remove_image(self, name, force, noprune)
    }
    fn prune_images(&self, filters: &Filters) -> Result<PruneReport> {
        Engine::prune_images(self, filters)
    }
    fn import_image(&self, src: &mut dyn Read, opts: &ImportOptions) -> Result<String> {
        Engine::import_image(self, src, opts)
    }
    fn import_image_url(&self, url: &str, opts: &ImportOptions) -> Result<String> {
        Engine::import_image_url(self, url, opts)
    }
    fn load_images(&self, src: &mut dyn Read) -> Result<Vec<String>> {
        Engine::load_images(self, src)
    }
    fn check_save(&self, names: &[String]) -> Result<()> {
        Engine::check_save(self, names)
    }
    fn save_images(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        Engine::save_images(self, names, out)
    }
}

impl SystemBackend for Engine {
    fn version(&self) -> Version {
        Engine::version(self)
    }
    fn info(&self) -> Result<serde_json::Value> {
        Engine::info(self)
    }
    fn disk_usage(&self) -> Result<serde_json::Value> {
        Engine::disk_usage(self)
    }
    fn events(&self) -> &crate::Events {
        Engine::events(self)
    }
}

impl crate::backend::ContainerBackend for Engine {
    fn create(&self, name: Option<&str>, req: api::container::CreateRequest) -> Result<api::container::CreateResponse> {
        self.create_container(name, req)
    }
    fn start(&self, name: &str) -> Result<()> {
        self.start_container(name)
    }
    fn stop(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()> {
        self.stop_container(name, timeout, signal)
    }
    fn restart(&self, name: &str, timeout: Option<i64>, signal: Option<&str>) -> Result<()> {
        self.restart_container(name, timeout, signal)
    }
    fn kill(&self, name: &str, signal: &str) -> Result<()> {
        self.kill_container(name, signal)
    }
    fn remove(&self, name: &str, force: bool, volumes: bool) -> Result<()> {
        self.remove_container(name, force, volumes)
    }
    fn wait(&self, name: &str, condition: &str) -> Result<Box<dyn FnOnce() -> i64 + Send>> {
        self.wait_container(name, condition)
    }
    fn inspect(&self, name: &str, size: bool) -> Result<serde_json::Value> {
        self.inspect_container(name, size)
    }
    fn list(&self, opts: &crate::containers::ListOptions) -> Result<Vec<api::container::ContainerSummary>> {
        self.list_containers(opts)
    }
    fn logs(&self, name: &str, opts: &crate::containers::LogOptions, out: &mut dyn Write, gone: &dyn Fn() -> bool) -> Result<()> {
        self.container_logs(name, opts, out, gone)
    }
    fn has_tty(&self, name: &str) -> Result<bool> {
        Ok(self.container(name)?.rec().config.tty == Some(true))
    }
    fn check_logs(&self, name: &str) -> Result<bool> {
        self.check_container_logs(name)
    }
    fn attach(&self, name: &str, req: crate::containers::AttachRequest) -> Result<tokio::sync::oneshot::Receiver<Result<std::os::unix::net::UnixStream>>> {
        self.attach_container(name, req)
    }
    fn resize(&self, name: &str, h: u16, w: u16) -> Result<()> {
        self.resize_container(name, h, w)
    }
    fn pause(&self, name: &str) -> Result<()> {
        self.pause_container(name)
    }
    fn unpause(&self, name: &str) -> Result<()> {
        self.unpause_container(name)
    }
    fn rename(&self, name: &str, new: &str) -> Result<()> {
        self.rename_container(name, new)
    }
    fn prune(&self, filters: &Filters) -> Result<(Vec<String>, u64)> {
        self.prune_containers(filters)
    }
    fn top(&self, name: &str, ps_args: &str) -> Result<serde_json::Value> {
        self.top_container(name, ps_args)
    }
    fn stats(&self, name: &str, previous: Option<&serde_json::Value>) -> Result<serde_json::Value> {
        self.container_stats(name, previous)
    }
    fn running(&self, name: &str) -> bool {
        self.container_running(name)
    }
    fn update(&self, name: &str, u: api::container::UpdateConfig) -> Result<Vec<String>> {
        self.update_container(name, u)
    }
    fn create_exec(&self, name: &str, cfg: api::container::ExecConfig) -> Result<String> {
        Engine::create_exec(self, name, cfg)
    }
    fn start_exec(&self, id: &str, start: &api::container::ExecStartConfig) -> Result<Option<std::os::unix::net::UnixStream>> {
        Engine::start_exec(self, id, start)
    }
    fn inspect_exec(&self, id: &str) -> Result<crate::containers::ExecInspect> {
        Engine::inspect_exec(self, id)
    }
    fn resize_exec(&self, id: &str, h: u16, w: u16) -> Result<()> {
        Engine::resize_exec(self, id, h, w)
    }
}
