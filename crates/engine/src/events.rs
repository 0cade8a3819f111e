//! The event bus: recent events kept for `since`, live events broadcast to subscribers.

use api::{Actor, Event};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Events kept for replay (Docker keeps 256 too).
const HISTORY: usize = 256;

/// Publishes and replays events.
pub struct Events {
    history: Mutex<VecDeque<Event>>,
    tx: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        Events { history: Mutex::new(VecDeque::with_capacity(HISTORY)), tx: broadcast::channel(1024).0 }
    }
}

impl Events {
    /// Publishes an event about `id` of `kind` (`image`, `container`, ...).
    pub fn publish(&self, kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let legacy = kind == "image" || kind == "container";
        let ev = Event {
            status: if legacy { action.to_string() } else { String::new() },
            id: if legacy { id.to_string() } else { String::new() },
            from: if kind == "container" { attributes.get("image").cloned().unwrap_or_default() } else { String::new() },
            kind: kind.to_string(),
            action: action.to_string(),
            actor: Actor { id: id.to_string(), attributes },
            scope: "local".into(),
            time: now.as_secs() as i64,
            time_nano: now.as_nanos() as i64,
        };
        {
            let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(ev.clone());
        }
        let _ = self.tx.send(ev);
    }

    /// Past events (oldest first) and a receiver for what comes after them.
    pub fn subscribe(&self) -> (Vec<Event>, broadcast::Receiver<Event>) {
        let h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        // Subscribing under the lock: no event can fall between the replay and the stream.
        let rx = self.tx.subscribe();
        (h.iter().cloned().collect(), rx)
    }

    /// Number of live subscribers.
    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// Builds an attribute map from pairs.
pub fn attrs<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Docker's `image` filter: an image event's image, or a container event's `image`
/// attribute, with or without its tag.
fn image_matches(ev: &Event, f: &api::Filters) -> bool {
    let wanted = f.get("image");
    if wanted.is_empty() {
        return true;
    }
    let attr = if ev.kind == "image" { "name" } else { "image" };
    let image = ev.actor.attributes.get(attr).map(String::as_str).unwrap_or("");
    let untagged = |s: &str| -> String {
        match s.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') && !s.starts_with("sha256:") => repo.to_string(),
            _ => s.to_string(),
        }
    };
    let id = ev.actor.id.as_str();
    wanted.iter().any(|w| w == id || w == image || *w == untagged(id) || *w == untagged(image) || (ev.kind == "image" && id.trim_start_matches("sha256:").starts_with(w.as_str())))
}

/// Whether an event passes `/events` filters (`type`, `event`, `image`, `container`,
/// `label`, and the `scope`).
pub fn matches(ev: &Event, f: &api::Filters) -> bool {
    let any = |key: &str, pred: &dyn Fn(&str) -> bool| {
        let v = f.get(key);
        v.is_empty() || v.iter().any(|x| pred(x))
    };
    let name = ev.actor.attributes.get("name").map(String::as_str).unwrap_or("");
    any("type", &|t| t == ev.kind)
        && any("event", &|e| e == ev.action || ev.action.starts_with(&format!("{e}:")))
        && any("scope", &|s| s == ev.scope)
        && image_matches(ev, f)
        // Like Docker: a `container` filter lets only that container's events through.
        && any("container", &|c| ev.kind == "container" && (c == name || ev.actor.id.starts_with(c)))
        && f.match_labels(&ev.actor.attributes)
}
