//! Seccomp filters: the OCI `linux.seccomp` object compiled to BPF with libseccomp, cached
//! by content, and loaded by the container's process itself just before exec.
//!
//! Compiling Docker's default profile for three architectures costs libseccomp 15-20 ms,
//! more than the rest of a container start; the compiled program depends only on the JSON,
//! so it is compiled once per distinct filter and kept under `<root>/seccomp/`.
//! Conditions read like runc's: for `SCMP_CMP_MASKED_EQ`, `value` is the mask and
//! `valueTwo` the datum.

use libseccomp::{ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall};
use serde_json::Value;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::str::FromStr;

/// A compiled filter, ready to load.
#[derive(Clone)]
pub struct Program {
    /// `struct sock_filter` instructions, 8 bytes each.
    pub bpf: Vec<u8>,
    /// `SECCOMP_FILTER_FLAG_*` bits.
    pub flags: u64,
}

/// The program for `seccomp` (an OCI `linux.seccomp` object), from the cache in `dir` or
/// compiled (and cached).
pub fn program(seccomp: &Value, dir: &Path) -> Result<Program, String> {
    let text = serde_json::to_string(seccomp).map_err(|e| e.to_string())?;
    let flags = flags(seccomp)?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    let key = format!("{:016x}", h.finish());
    let (bpf_path, json_path) = (dir.join(format!("{key}.bpf")), dir.join(format!("{key}.json")));
    // A hit must be the very same filter, not merely the same hash.
    if std::fs::read(&json_path).is_ok_and(|j| j == text.as_bytes()) {
        if let Ok(bpf) = std::fs::read(&bpf_path) {
            if !bpf.is_empty() && bpf.len() % 8 == 0 {
                return Ok(Program { bpf, flags });
            }
        }
    }
    let bpf = compile(seccomp)?;
    // Best effort: a cache that cannot be written only costs time.
    if std::fs::create_dir_all(dir).is_ok() {
        let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, &bpf).is_ok() && std::fs::rename(&tmp, &bpf_path).is_ok() {
            let _ = std::fs::write(&tmp, text.as_bytes()).and_then(|_| std::fs::rename(&tmp, &json_path));
        }
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(Program { bpf, flags })
}

fn flags(seccomp: &Value) -> Result<u64, String> {
    let mut bits = 0;
    for f in seccomp.get("flags").and_then(Value::as_array).into_iter().flatten() {
        bits |= match f.as_str().unwrap_or("") {
            "SECCOMP_FILTER_FLAG_TSYNC" => 1,
            "SECCOMP_FILTER_FLAG_LOG" => 2,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => 4,
            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => 32,
            other => return Err(format!("seccomp: unsupported flag {other:?}")),
        };
    }
    Ok(bits)
}

fn action(name: &str, errno: Option<u64>) -> Result<ScmpAction, String> {
    Ok(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ScmpAction::KillThread,
        "SCMP_ACT_KILL_PROCESS" => ScmpAction::KillProcess,
        "SCMP_ACT_TRAP" => ScmpAction::Trap,
        "SCMP_ACT_ERRNO" => ScmpAction::Errno(errno.map_or(libc::EPERM, |e| e as i32)),
        "SCMP_ACT_TRACE" => ScmpAction::Trace(errno.map_or(libc::EPERM as u16, |e| e as u16)),
        "SCMP_ACT_ALLOW" => ScmpAction::Allow,
        "SCMP_ACT_LOG" => ScmpAction::Log,
        "SCMP_ACT_NOTIFY" => return Err("seccomp: SCMP_ACT_NOTIFY (a user-space listener) is not supported by berth-oci".into()),
        other => return Err(format!("seccomp: unknown action {other:?}")),
    })
}

fn compare(arg: &Value) -> Result<ScmpArgCompare, String> {
    let index = arg.get("index").and_then(Value::as_u64).ok_or("seccomp: a condition without an index")?;
    let value = arg.get("value").and_then(Value::as_u64).unwrap_or(0);
    let two = arg.get("valueTwo").and_then(Value::as_u64).unwrap_or(0);
    let op = arg.get("op").and_then(Value::as_str).unwrap_or("");
    let (op, datum) = match op {
        "SCMP_CMP_NE" => (ScmpCompareOp::NotEqual, value),
        "SCMP_CMP_LT" => (ScmpCompareOp::Less, value),
        "SCMP_CMP_LE" => (ScmpCompareOp::LessOrEqual, value),
        "SCMP_CMP_EQ" => (ScmpCompareOp::Equal, value),
        "SCMP_CMP_GE" => (ScmpCompareOp::GreaterEqual, value),
        "SCMP_CMP_GT" => (ScmpCompareOp::Greater, value),
        "SCMP_CMP_MASKED_EQ" => (ScmpCompareOp::MaskedEqual(value), two),
        other => return Err(format!("seccomp: unknown operator {other:?}")),
    };
    Ok(ScmpArgCompare::new(index as u32, op, datum))
}

/// Compiles an OCI seccomp object to BPF.
pub fn compile(seccomp: &Value) -> Result<Vec<u8>, String> {
    fn e(what: &'static str) -> impl Fn(libseccomp::error::SeccompError) -> String {
        move |err| format!("seccomp: {what}: {err}")
    }
    let default_name = seccomp.get("defaultAction").and_then(Value::as_str).ok_or("seccomp: no defaultAction")?;
    let default = action(default_name, seccomp.get("defaultErrnoRet").and_then(Value::as_u64))?;
    let mut ctx = ScmpFilterContext::new(default).map_err(e("new filter"))?;
    ctx.set_ctl_nnp(false).map_err(e("no_new_privs attribute"))?;
    for a in seccomp.get("architectures").and_then(Value::as_array).into_iter().flatten() {
        let name = a.as_str().unwrap_or("");
        let arch = ScmpArch::from_str(name).map_err(|_| format!("seccomp: unknown architecture {name:?}"))?;
        ctx.add_arch(arch).map_err(e("add architecture"))?;
    }
    for rule in seccomp.get("syscalls").and_then(Value::as_array).into_iter().flatten() {
        let act = action(rule.get("action").and_then(Value::as_str).unwrap_or(""), rule.get("errnoRet").and_then(Value::as_u64))?;
        if act == default {
            continue;
        }
        let args = rule.get("args").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let conds = args.iter().map(compare).collect::<Result<Vec<_>, _>>()?;
        let mut seen = std::collections::HashSet::new();
        let repeated = args.iter().any(|a| !seen.insert(a.get("index").and_then(Value::as_u64)));
        for name in rule.get("names").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            // A name this libseccomp does not know is a system call this kernel lacks.
            let Ok(sc) = ScmpSyscall::from_name(name) else { continue };
            if conds.is_empty() {
                ctx.add_rule(act, sc).map_err(|err| format!("seccomp: rule for {name}: {err}"))?;
            } else if repeated {
                // Like runc: conditions on the same argument are alternatives, one rule each.
                for c in &conds {
                    ctx.add_rule_conditional(act, sc, std::slice::from_ref(c)).map_err(|err| format!("seccomp: rule for {name}: {err}"))?;
                }
            } else {
                ctx.add_rule_conditional(act, sc, &conds).map_err(|err| format!("seccomp: rule for {name}: {err}"))?;
            }
        }
    }
    // Through an anonymous file: this libseccomp has no export to memory.
    // SAFETY: memfd_create with a valid name; the descriptor is owned right away.
    let fd = unsafe { libc::memfd_create(c"seccomp-bpf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!("seccomp: memfd_create: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let mut file = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    ctx.export_bpf(&file).map_err(e("export"))?;
    let mut bpf = Vec::new();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).map_err(|err| format!("seccomp: {err}"))?;
    std::io::Read::read_to_end(&mut file, &mut bpf).map_err(|err| format!("seccomp: {err}"))?;
    Ok(bpf)
}

/// Loads `p` on the calling thread. Needs no_new_privs or CAP_SYS_ADMIN.
pub fn load(p: &Program) -> Result<(), String> {
    #[repr(C)]
    struct SockFprog {
        len: libc::c_ushort,
        filter: *const u8,
    }
    let prog = SockFprog { len: (p.bpf.len() / 8) as libc::c_ushort, filter: p.bpf.as_ptr() };
    const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
    // SAFETY: `prog` points at `len` sock_filter instructions that outlive the call.
    let r = unsafe { libc::syscall(libc::SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags as libc::c_ulong, &prog as *const SockFprog) };
    if r != 0 {
        return Err(format!("loading the seccomp filter: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compiles_and_caches_by_content() {
        let dir = std::env::temp_dir().join(format!("berth-oci-filter-{}", std::process::id()));
        let f = json!({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
            {"names": ["read", "write", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
        ]});
        let p = program(&f, &dir).unwrap();
        assert!(p.bpf.len() > 8 && p.bpf.len() % 8 == 0);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "program and its JSON cached");
        assert_eq!(program(&f, &dir).unwrap().bpf, p.bpf);
        let mut g = f.clone();
        g["syscalls"][0]["names"] = json!(["read"]);
        assert_ne!(program(&g, &dir).unwrap().bpf, p.bpf);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_problem() {
        let bad = |v: Value| compile(&v).unwrap_err();
        assert!(bad(json!({"defaultAction": "SCMP_ACT_NOPE"})).contains("SCMP_ACT_NOPE"));
        assert!(bad(json!({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]})).contains("SCMP_ARCH_VAX"));
        assert!(bad(json!({"defaultAction": "SCMP_ACT_NOTIFY"})).contains("not supported"));
        assert!(flags(&json!({"flags": ["SECCOMP_FILTER_FLAG_BOGUS"]})).unwrap_err().contains("BOGUS"));
    }
}
