//! Capabilities: Docker's default set and `--cap-add`/`--cap-drop`/`--privileged`.

/// Every capability Linux defines (up to CAP_CHECKPOINT_RESTORE, 40).
pub const ALL: [&str; 41] = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
    "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

/// The 14 capabilities Docker grants by default.
pub const DEFAULT: [&str; 14] = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Normalises `sys_admin`, `SYS_ADMIN`, `CAP_SYS_ADMIN` to `CAP_SYS_ADMIN`; `ALL` stays.
pub fn normalize(name: &str) -> Result<String, String> {
    let up = name.trim().to_uppercase();
    if up == "ALL" {
        return Ok(up);
    }
    let full = if up.starts_with("CAP_") { up } else { format!("CAP_{up}") };
    if ALL.contains(&full.as_str()) {
        Ok(full)
    } else {
        Err(format!("unknown capability: {name:?}"))
    }
}

/// The capability set for a container: the default (or all when privileged), plus adds,
/// minus drops, as Docker computes it (`ALL` in either list means every capability; an
/// explicit add beats a drop of `ALL`).
pub fn compute(privileged: bool, add: &[String], drop: &[String]) -> Result<Vec<String>, String> {
    let add: Vec<String> = add.iter().map(|c| normalize(c)).collect::<Result<_, _>>()?;
    let drop: Vec<String> = drop.iter().map(|c| normalize(c)).collect::<Result<_, _>>()?;
    if privileged {
        return Ok(ALL.iter().map(|s| s.to_string()).collect());
    }
    let mut set: Vec<String> = if add.iter().any(|c| c == "ALL") {
        ALL.iter().map(|s| s.to_string()).collect()
    } else {
        DEFAULT.iter().map(|s| s.to_string()).collect()
    };
    if drop.iter().any(|c| c == "ALL") {
        set.clear();
    } else {
        set.retain(|c| !drop.contains(c));
    }
    for a in add.iter().filter(|c| *c != "ALL") {
        if !set.contains(a) {
            set.push(a.clone());
        }
    }
    Ok(set)
}

/// Capabilities this process may grant (its bounding set): containers cannot get more.
pub fn host_bounding() -> Vec<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(u64::MAX);
    ALL.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, c)| c.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_rules() {
        assert_eq!(compute(false, &[], &[]).unwrap().len(), 14);
        let c = compute(false, &["sys_admin".into()], &["NET_RAW".into()]).unwrap();
        assert!(c.contains(&"CAP_SYS_ADMIN".into()) && !c.contains(&"CAP_NET_RAW".into()));
        assert_eq!(compute(false, &["CHOWN".into()], &["ALL".into()]).unwrap(), vec!["CAP_CHOWN".to_string()]);
        assert_eq!(compute(true, &[], &[]).unwrap().len(), ALL.len());
        assert!(compute(false, &["CAP_NOPE".into()], &[]).unwrap_err().contains("unknown capability"));
    }
}
