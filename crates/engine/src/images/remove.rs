//! Tag, untag, delete and prune images, with Docker's rules for what a delete removes.

use crate::events::attrs;
use crate::{Engine, Error, Result};
use api::image::{DeleteItem, PruneReport};
use api::Filters;
use store::{Digest, Reference};

impl Engine {
    /// Adds the reference `repo[:tag]` to an image.
    pub fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        let id = self.resolve_image(name)?;
        let target = parse_tag_target(repo, tag)?;
        {
            let _g = self.image_lock.lock().unwrap_or_else(|p| p.into_inner());
            self.store.set_ref(&target, &id)?;
        }
        self.events.publish("image", "tag", &id.to_string(), attrs([("name", target.familiar())]));
        Ok(())
    }

    /// Containers using an image: (short container ID, running).
    pub(crate) fn containers_using(&self, id: &Digest) -> Vec<(String, bool)> {
        self.containers_of_image(id)
    }

    fn has_children(&self, id: &Digest) -> Result<bool> {
        Ok(self.store.images()?.iter().any(|(_, r)| r.parent.as_ref() == Some(id)))
    }

    /// Removes an image reference, or the image: Docker's `ImageDelete`.
    pub fn remove_image(&self, name: &str, force: bool, noprune: bool) -> Result<Vec<DeleteItem>> {
        let _g = self.image_lock.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.resolve_image(name)?;
        let mut records = Vec::new();
        let refs = self.refs_by_image()?.remove(&id).unwrap_or_default();
        let by_id = id.hex().starts_with(name.trim_start_matches("sha256:")) && Reference::parse_tagged(name).ok().and_then(|r| self.store.resolve_ref(&r).ok().flatten()).is_none();
        if !by_id {
            let r = Reference::parse_tagged(name)?;
            let users = self.containers_using(&id);
            if !users.is_empty() && refs.len() == 1 && !force {
                return Err(Error::conflict(format!(
                    "conflict: unable to remove repository reference {name:?} (must force) - container {} is using its referenced image {}",
                    users[0].0,
                    id.short()
                )));
            }
            self.untag(&id, &r, &mut records)?;
            let mut remaining: Vec<Reference> = refs.into_iter().filter(|x| *x != r).collect();
            if r.digest().is_none() && !remaining.iter().any(|x| x.digest().is_none() && x.name() == r.name()) {
                // Only digest references to this repository remain: they go too.
                for x in remaining.iter().filter(|x| x.digest().is_some() && x.name() == r.name()) {
                    self.untag(&id, x, &mut records)?;
                }
                remaining.retain(|x| !(x.digest().is_some() && x.name() == r.name()));
            }
            if !remaining.is_empty() || !users.is_empty() {
                return Ok(records);
            }
            self.delete_helper(&id, &mut records, force, !noprune, false)?;
        } else {
            let tags = refs.iter().filter(|r| r.tag().is_some()).count();
            let single_repo = refs.iter().all(|r| r.name() == refs[0].name());
            if tags <= 1 && single_repo {
                self.check_conflicts(&id, !force, false)?;
                for r in &refs {
                    self.untag(&id, r, &mut records)?;
                }
            }
            self.delete_helper(&id, &mut records, force, !noprune, false)?;
        }
        Ok(records)
    }

    fn untag(&self, id: &Digest, r: &Reference, records: &mut Vec<DeleteItem>) -> Result<()> {
        self.store.remove_ref(r)?;
        records.push(DeleteItem::Untagged(r.familiar()));
        self.events.publish("image", "untag", &id.to_string(), attrs([("name", id.to_string())]));
        Ok(())
    }

    /// Hard conflicts (children, running containers) always; soft ones (stopped containers,
    /// remaining references) unless forced.
    fn check_conflicts(&self, id: &Digest, soft: bool, active_refs: bool) -> Result<()> {
        let short = id.short();
        if self.has_children(id)? {
            return Err(Error::conflict(format!(
                "conflict: unable to delete {short} (cannot be forced) - image has dependent child images"
            )));
        }
        for (c, running) in self.containers_using(id) {
            if running {
                return Err(Error::conflict(format!(
                    "conflict: unable to delete {short} (cannot be forced) - image is being used by running container {c}"
                )));
            }
            if soft {
                return Err(Error::conflict(format!(
                    "conflict: unable to delete {short} (must be forced) - image is being used by stopped container {c}"
                )));
            }
        }
        if soft && active_refs && self.refs_by_image()?.get(id).is_some_and(|r| !r.is_empty()) {
            return Err(Error::conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories"
            )));
        }
        Ok(())
    }

    fn delete_helper(&self, id: &Digest, records: &mut Vec<DeleteItem>, force: bool, prune: bool, quiet: bool) -> Result<()> {
        if let Err(e) = self.check_conflicts(id, !force, true) {
            return if quiet { Ok(()) } else { Err(e) };
        }
        let parent = self.store.image(id)?.and_then(|r| r.parent);
        for r in self.refs_by_image()?.remove(id).unwrap_or_default() {
            self.untag(id, &r, records)?;
        }
        let dead = self.store.delete_image(id)?;
        self.events.publish("image", "delete", &id.to_string(), attrs([("name", id.to_string())]));
        records.push(DeleteItem::Deleted(id.to_string()));
        for (chain, _) in dead {
            records.push(DeleteItem::Deleted(chain.to_string()));
        }
        match parent {
            Some(p) if prune && self.store.image(&p)?.is_some() => {
                let dangling = self.refs_by_image()?.get(&p).is_none_or(|r| r.is_empty());
                if dangling {
                    self.delete_helper(&p, records, false, true, true)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Removes dangling images (or, with `dangling=false`, every image no container uses).
    pub fn prune_images(&self, filters: &Filters) -> Result<PruneReport> {
        filters.check_keys(&["dangling", "until", "label", "label!"]).map_err(Error::invalid)?;
        let dangling_only = filters.bool_value("dangling").map_err(Error::invalid)?.unwrap_or(true);
        let until = filters.get("until").iter().map(|u| super::parse_time_arg(u)).collect::<Result<Vec<_>>>()?;
        let views = self.views()?;
        let parents: std::collections::HashSet<Digest> = views.iter().filter_map(|v| v.record.parent.clone()).collect();
        let layer_sizes: std::collections::HashMap<Digest, u64> =
            self.store.layers()?.into_iter().map(|(c, l)| (c, l.size)).collect();
        let mut report = PruneReport::default();
        let mut deleted = Vec::new();
        for v in views {
            if parents.contains(&v.id) || !self.containers_using(&v.id).is_empty() {
                continue; // Only heads; parents go with their children.
            }
            if dangling_only && !v.refs.is_empty() {
                continue;
            }
            let labels = v.config.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
            if !filters.match_labels(&labels) || until.iter().any(|&u| v.created() > u) {
                continue;
            }
            let mut records = Vec::new();
            let res = {
                let _g = self.image_lock.lock().unwrap_or_else(|p| p.into_inner());
                for r in &v.refs {
                    self.untag(&v.id, r, &mut records)?;
                }
                self.delete_helper(&v.id, &mut records, false, true, true)
            };
            if let Err(e) = res {
                if e.kind != crate::ErrorKind::Conflict {
                    return Err(e);
                }
            }
            for r in &records {
                if let DeleteItem::Deleted(d) = r {
                    if let Some(sz) = Digest::parse(d).ok().and_then(|d| layer_sizes.get(&d)) {
                        report.space_reclaimed += sz;
                    }
                }
            }
            deleted.extend(records);
        }
        report.images_deleted = (!deleted.is_empty()).then_some(deleted);
        self.events.publish("image", "prune", "", attrs([("reclaimed", report.space_reclaimed.to_string())]));
        Ok(report)
    }
}

/// Parses the target of a tag: `repo` may carry the tag itself when `tag` is empty.
pub(crate) fn parse_tag_target(repo: &str, tag: &str) -> Result<Reference> {
    if repo.is_empty() {
        return Err(Error::invalid("repository name must have at least one component"));
    }
    let r = Reference::parse(repo)?;
    if r.digest().is_some() {
        return Err(Error::invalid("refusing to create a tag with a digest reference"));
    }
    match (tag.is_empty(), r.tag()) {
        (true, Some(_)) => Ok(r),
        (true, None) => Ok(r.with_tag("latest")?),
        (false, Some(_)) => Err(Error::invalid(format!("invalid reference format: {repo}:{tag}"))),
        (false, None) => Ok(r.with_tag(tag)?),
    }
}
