//! User-namespace remapping (`--userns-remap`): which host IDs a container's IDs map to.
//!
//! Like dockerd, the setting names a user (and group) whose subordinate ID ranges in
//! `/etc/subuid` and `/etc/subgid` become the container's IDs, consecutively from 0:
//! container root is the first subordinate ID. `default` means the user `dockremap`.

/// One range of a mapping: `size` IDs from `container` inside are `host` outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMap {
    /// First ID inside the namespace.
    pub container: u32,
    /// First ID on the host.
    pub host: u32,
    /// How many.
    pub size: u32,
}

/// A resolved remapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remap {
    /// The user and group named by the setting (`dockremap` for `default`).
    pub user: String,
    /// The group.
    pub group: String,
    /// UID ranges.
    pub uids: Vec<IdMap>,
    /// GID ranges.
    pub gids: Vec<IdMap>,
}

impl Remap {
    /// The host UID of the container's root.
    pub fn root_uid(&self) -> u32 {
        self.uids[0].host
    }

    /// The host GID of the container's root.
    pub fn root_gid(&self) -> u32 {
        self.gids[0].host
    }

    /// `/proc/<pid>/uid_map` text.
    pub fn uid_map(&self) -> String {
        map_text(&self.uids)
    }

    /// `/proc/<pid>/gid_map` text.
    pub fn gid_map(&self) -> String {
        map_text(&self.gids)
    }
}

fn map_text(m: &[IdMap]) -> String {
    m.iter().map(|r| format!("{} {} {}\n", r.container, r.host, r.size)).collect()
}

/// The user and group a `--userns-remap` value names: `default`, `user`, `user:group`,
/// `uid`, `uid:gid`.
pub fn parse_setting(s: &str) -> Result<(String, String), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("userns-remap: empty value".into());
    }
    if s == "default" {
        return Ok(("dockremap".into(), "dockremap".into()));
    }
    let (user, group) = s.split_once(':').unwrap_or((s, s));
    if user.is_empty() || group.is_empty() || user.contains(':') || group.contains(':') {
        return Err(format!("userns-remap: invalid value {s:?}: expected user[:group], uid[:gid] or default"));
    }
    if user == "root" || user == "0" {
        return Err("userns-remap: cannot remap to root".into());
    }
    Ok((user.into(), group.into()))
}

/// The ranges `/etc/subuid`-format `text` gives any of `names` (a name or a numeric ID),
/// ordered by host start and numbered consecutively from container ID 0.
pub fn ranges(text: &str, names: &[&str]) -> Vec<IdMap> {
    let mut found: Vec<(u32, u32)> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let mut f = l.split(':');
            let (who, start, size) = (f.next()?, f.next()?.trim().parse().ok()?, f.next()?.trim().parse::<u32>().ok()?);
            (names.contains(&who) && size > 0).then_some((start, size))
        })
        .collect();
    found.sort();
    found.dedup();
    let mut next = 0u32;
    found
        .into_iter()
        .map(|(host, size)| {
            let r = IdMap { container: next, host, size };
            next = next.saturating_add(size);
            r
        })
        .collect()
}

/// Where a new range of `size` IDs can start in an `/etc/subuid`-format file: after every
/// range already given out, and at 100000 at the lowest.
pub fn free_start(text: &str, size: u32) -> u32 {
    let end = text
        .lines()
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let _ = f.next()?;
            let start: u64 = f.next()?.trim().parse().ok()?;
            let len: u64 = f.next()?.trim().parse().ok()?;
            Some(start + len)
        })
        .max()
        .unwrap_or(0);
    let start = end.max(100_000);
    u32::try_from(start).ok().filter(|s| s.checked_add(size).is_some()).unwrap_or(100_000)
}

/// The numeric ID for a name in `/etc/passwd` or `/etc/group` format text.
pub fn id_of(text: &str, name: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then(|| f.nth(1)?.parse().ok())?
    })
}

/// Resolves a remap setting from the contents of the passwd, group, subuid and subgid files.
pub fn resolve(setting: &str, passwd: &str, group: &str, subuid: &str, subgid: &str) -> Result<Remap, String> {
    let (user, grp) = parse_setting(setting)?;
    let uid = id_of(passwd, &user).map(|u| u.to_string());
    let gid = id_of(group, &grp).map(|g| g.to_string());
    let mut unames = vec![user.as_str()];
    unames.extend(uid.as_deref());
    let mut gnames = vec![grp.as_str()];
    gnames.extend(gid.as_deref());
    let uids = ranges(subuid, &unames);
    let gids = ranges(subgid, &gnames);
    if uids.is_empty() {
        return Err(format!("userns-remap: no subordinate UID ranges for {user} in /etc/subuid"));
    }
    if gids.is_empty() {
        return Err(format!("userns-remap: no subordinate GID ranges for {grp} in /etc/subgid"));
    }
    Ok(Remap { user, group: grp, uids, gids })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_a_user_and_group() {
        assert_eq!(parse_setting("default").unwrap(), ("dockremap".into(), "dockremap".into()));
        assert_eq!(parse_setting("alice").unwrap(), ("alice".into(), "alice".into()));
        assert_eq!(parse_setting("alice:staff").unwrap(), ("alice".into(), "staff".into()));
        assert_eq!(parse_setting("1000:1000").unwrap(), ("1000".into(), "1000".into()));
        assert!(parse_setting("").is_err());
        assert!(parse_setting("a:b:c").is_err());
        assert!(parse_setting("root").unwrap_err().contains("root"));
    }

    #[test]
    fn ranges_are_numbered_from_zero_in_host_order() {
        let sub = "# comment\nalice:300000:1000\nbob:100000:65536\nalice:200000:65536\n1001:400000:10\nbad line\n";
        assert_eq!(
            ranges(sub, &["alice", "1001"]),
            vec![
                IdMap { container: 0, host: 200000, size: 65536 },
                IdMap { container: 65536, host: 300000, size: 1000 },
                IdMap { container: 66536, host: 400000, size: 10 },
            ]
        );
        assert!(ranges(sub, &["carol"]).is_empty());
    }

    #[test]
    fn a_new_range_starts_after_the_others() {
        assert_eq!(free_start("", 65536), 100000);
        assert_eq!(free_start("a:100000:65536\nb:231072:65536\n", 65536), 296608);
    }

    #[test]
    fn resolution_accepts_names_and_ids() {
        let passwd = "root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n";
        let group = "root:x:0:\nalice:x:1001:\n";
        let r = resolve("alice", passwd, group, "1001:165536:65536\n", "alice:165536:65536\n").unwrap();
        assert_eq!((r.root_uid(), r.root_gid()), (165536, 165536));
        assert_eq!(r.uid_map(), "0 165536 65536\n");
        let e = resolve("nobody-here", passwd, group, "", "").unwrap_err();
        assert!(e.contains("no subordinate UID ranges for nobody-here"), "{e}");
    }
}
