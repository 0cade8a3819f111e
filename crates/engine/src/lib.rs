//! The engine: image (and, later, container, volume and network) services over the store,
//! and the event bus. Everything here is synchronous and blocking; the server runs it on
//! blocking threads. The server reaches the engine only through the traits in [`backend`].
#![deny(missing_docs)]
#![recursion_limit = "256"]

pub mod backend;
pub mod containers;
mod error;
pub mod events;
mod fetch;
pub mod images;
pub mod system;

pub use error::{Error, ErrorKind, Result};
pub use events::Events;

use std::path::PathBuf;
use store::Store;

/// Settings the daemon passes in.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Persistent state (`/var/lib/berth`).
    pub data_root: PathBuf,
    /// Runtime state (`/run/berth`).
    pub exec_root: PathBuf,
    /// Registry mirrors.
    pub registry_mirrors: Vec<String>,
    /// Registries reached over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// Debug logging on.
    pub debug: bool,
    /// Engine labels (`info`).
    pub labels: Vec<String>,
    /// Default bridge name (`--bridge`), for the network service.
    pub bridge: Option<String>,
    /// Default bridge address (`--bip`).
    pub bip: Option<String>,
    /// Address pools for new networks.
    pub default_address_pools: Vec<String>,
    /// The daemon.json keys, for settings read by later services (runtimes, log options).
    pub daemon_json: serde_json::Map<String, serde_json::Value>,
    /// Parent cgroup of containers without `--cgroup-parent` (`/berth`).
    pub cgroup_parent: String,
    /// `--userns-remap`: containers run in a user namespace with these mappings (unless
    /// `--userns host`).
    pub userns_remap: Option<runtime::userns::Remap>,
}

/// The engine.
pub struct Engine {
    store: Store,
    events: Events,
    config: Config,
    /// Serialises image deletions and tag moves against each other.
    image_lock: std::sync::Mutex<()>,
    /// Containers.
    containers: containers::Registry,
    /// Serialises name reservations (create, rename).
    name_lock: std::sync::Mutex<()>,
    /// Exec instances.
    execs: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<containers::ExecEntry>>>,
    /// This engine, for threads it starts.
    me: std::sync::OnceLock<std::sync::Weak<Engine>>,
    /// The thread watching running containers for their exits.
    monitor: std::sync::OnceLock<std::sync::Arc<containers::monitor::Monitor>>,
}

impl Engine {
    /// Opens the engine on its data root: recovers the store from an unclean shutdown, loads
    /// containers and reconnects to the ones still running.
    pub fn open(config: Config) -> Result<(std::sync::Arc<Engine>, store::Recovery)> {
        let (store, recovery) = Store::open(&config.data_root)?;
        let tmp = config.data_root.join("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        for d in [tmp.clone(), config.data_root.join("containers"), config.exec_root.join("containers")] {
            std::fs::create_dir_all(&d).map_err(|e| Error::internal(format!("create {}: {e}", d.display())))?;
        }
        let engine = std::sync::Arc::new(Engine {
            store,
            events: Events::default(),
            config,
            image_lock: Default::default(),
            containers: Default::default(),
            name_lock: Default::default(),
            execs: Default::default(),
            me: Default::default(),
            monitor: Default::default(),
        });
        let _ = engine.me.set(std::sync::Arc::downgrade(&engine));
        let weak = std::sync::Arc::downgrade(&engine);
        let monitor = containers::monitor::Monitor::start(Box::new(move |c, exit| {
            if let Some(me) = weak.upgrade() {
                me.exited(c, exit);
            }
        }))
        .map_err(|e| Error::internal(format!("starting the exit monitor: {e}")))?;
        let _ = engine.monitor.set(monitor);
        engine.check_daemon_defaults()?;
        engine.load_containers()?;
        Ok((engine, recovery))
    }

    /// This engine as an `Arc`, for threads it starts.
    pub(crate) fn me(&self) -> std::sync::Arc<Engine> {
        self.me.get().and_then(|w| w.upgrade()).expect("the engine is alive while it runs")
    }

    /// The event bus.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// The store (for tests and tools).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A fresh temporary directory under the data root (same filesystem as the store).
    pub(crate) fn temp_dir(&self, prefix: &str) -> Result<TempDir> {
        let p = self.config.data_root.join("tmp").join(format!("{prefix}-{}", store::random_hex(8)));
        std::fs::create_dir_all(&p).map_err(|e| Error::internal(format!("create {}: {e}", p.display())))?;
        Ok(TempDir(p))
    }
}

/// A directory removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
