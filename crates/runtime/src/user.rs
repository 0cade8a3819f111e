//! Resolving `--user name[:group]` and `--group-add` against the image's `/etc/passwd` and
//! `/etc/group`, as Docker does at container start.

use std::path::PathBuf;

/// The process identity a container runs with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecUser {
    /// User ID.
    pub uid: u32,
    /// Primary group ID.
    pub gid: u32,
    /// Supplementary groups.
    pub additional_gids: Vec<u32>,
    /// Home directory (for `HOME`).
    pub home: String,
}

/// A user or group that cannot be resolved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

struct Passwd {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn read_text(layers: &[PathBuf], path: &str) -> String {
    crate::rootfs::read_file(layers, path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

fn read_passwd(layers: &[PathBuf]) -> Vec<Passwd> {
    let text = read_text(layers, "/etc/passwd");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(Passwd { name: f[0].into(), uid: f[2].parse().ok()?, gid: f[3].parse().ok()?, home: f[5].into() })
        })
        .collect()
}

fn read_group(layers: &[PathBuf]) -> Vec<Group> {
    let text = read_text(layers, "/etc/group");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            Some(Group {
                name: f[0].into(),
                gid: f[2].parse().ok()?,
                members: f[3].split(',').filter(|m| !m.is_empty()).map(String::from).collect(),
            })
        })
        .collect()
}

/// Resolves `spec` (`""`, `user`, `uid`, `user:group`, `uid:gid`) and extra groups in the
/// root filesystem made of `layers` (top first; see [`crate::rootfs::read_file`]: links in
/// it resolve inside it). Numeric IDs need no entry; names must exist.
pub fn resolve(layers: &[PathBuf], spec: &str, group_add: &[String]) -> Result<ExecUser, UserError> {
    let passwd = read_passwd(layers);
    let groups = read_group(layers);
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let u = if u.is_empty() { "0" } else { u };
    let (uid, mut gid, home, name) = if let Ok(n) = u.parse::<u32>() {
        match passwd.iter().find(|p| p.uid == n) {
            Some(p) => (n, p.gid, p.home.clone(), Some(p.name.clone())),
            None => (n, 0, "/".to_string(), None),
        }
    } else {
        match passwd.iter().find(|p| p.name == u) {
            Some(p) => (p.uid, p.gid, p.home.clone(), Some(p.name.clone())),
            None => return Err(UserError(format!("unable to find user {u}: no matching entries in passwd file"))),
        }
    };
    if let Some(g) = g {
        gid = if let Ok(n) = g.parse::<u32>() {
            n
        } else {
            groups
                .iter()
                .find(|x| x.name == g)
                .map(|x| x.gid)
                .ok_or_else(|| UserError(format!("unable to find group {g}: no matching entries in group file")))?
        };
    }
    let mut additional: Vec<u32> = Vec::new();
    if g.is_none() {
        if let Some(name) = &name {
            for grp in groups.iter().filter(|x| x.members.iter().any(|m| m == name)) {
                if grp.gid != gid && !additional.contains(&grp.gid) {
                    additional.push(grp.gid);
                }
            }
        }
    }
    for a in group_add {
        let n = match a.parse::<u32>() {
            Ok(n) => n,
            Err(_) => groups
                .iter()
                .find(|x| x.name == *a)
                .map(|x| x.gid)
                .ok_or_else(|| UserError(format!("unable to find group {a}: no matching entries in group file")))?,
        };
        if !additional.contains(&n) {
            additional.push(n);
        }
    }
    Ok(ExecUser { uid, gid, additional_gids: additional, home })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("berth-user-test-{}", std::process::id()));
        std::fs::create_dir_all(d.join("etc")).unwrap();
        std::fs::write(d.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n").unwrap();
        std::fs::write(d.join("etc/group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:\n").unwrap();
        d
    }

    #[test]
    fn names_ids_and_groups_resolve_like_docker() {
        let r = [root()];
        assert_eq!(resolve(&r, "", &[]).unwrap(), ExecUser { uid: 0, gid: 0, additional_gids: vec![], home: "/root".into() });
        let app = resolve(&r, "app", &[]).unwrap();
        assert_eq!((app.uid, app.gid, app.additional_gids.clone(), app.home.as_str()), (1000, 1000, vec![50], "/home/app"));
        assert_eq!(resolve(&r, "app:wheel", &[]).unwrap().gid, 10);
        assert_eq!(resolve(&r, "1234:5678", &[]).unwrap(), ExecUser { uid: 1234, gid: 5678, additional_gids: vec![], home: "/".into() });
        assert_eq!(resolve(&r, "0", &["wheel".into(), "77".into()]).unwrap().additional_gids, vec![10, 77]);
        assert!(resolve(&r, "nobody", &[]).unwrap_err().0.contains("unable to find user nobody"));
        assert!(resolve(&r, "app:nogroup", &[]).unwrap_err().0.contains("unable to find group nogroup"));
        std::fs::remove_dir_all(&r[0]).unwrap();
    }
}
