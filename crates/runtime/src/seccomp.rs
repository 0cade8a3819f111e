//! Seccomp: berth's default profile and the conversion of Docker-format profiles into the
//! OCI runtime spec's `linux.seccomp` object.
//!
//! # The profile format
//!
//! Profiles use the JSON format Docker reads from `--security-opt seccomp=FILE`:
//!
//! ```json
//! {
//!   "defaultAction": "SCMP_ACT_ERRNO",
//!   "defaultErrnoRet": 1,
//!   "archMap": [{ "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] }],
//!   "syscalls": [
//!     { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" },
//!     { "names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
//!       "excludes": { "caps": ["CAP_SYS_ADMIN"] } },
//!     { "names": ["socket"], "action": "SCMP_ACT_ALLOW",
//!       "args": [{ "index": 0, "value": 40, "valueTwo": 0, "op": "SCMP_CMP_NE" }] }
//!   ]
//! }
//! ```
//!
//! * `defaultAction` (required) applies to every syscall no rule matches; `defaultErrnoRet`
//!   is the errno for `SCMP_ACT_ERRNO`/`SCMP_ACT_TRACE` (EPERM when absent).
//! * `archMap` lists, per native architecture, the sub-architectures whose syscall ABIs the
//!   filter must also cover (x86-64 hosts run i386 and x32 binaries). The older flat
//!   `architectures` list is accepted instead (not both).
//! * Each rule has `names` (or the legacy single `name`), an `action`, an optional
//!   `errnoRet`, optional `args` conditions (`index` 0..=5, `value`, `valueTwo`, `op` among
//!   `SCMP_CMP_NE/LT/LE/EQ/GE/GT/MASKED_EQ`; several conditions must all hold; for
//!   `MASKED_EQ` the condition is `(arg & value) == valueTwo`), and optional `includes`
//!   (`caps`: all must be held, `arches`: the host must be one of them, `minKernel`:
//!   `"major.minor"` the host must reach) and `excludes` (the rule is dropped when any listed
//!   cap is held, the host is one of the `arches`, or the kernel reaches `minKernel`).
//!   `comment` and unknown keys are ignored. `flags`, `listenerPath` and `listenerMetadata`
//!   are passed through.
//!
//! # The conversion
//!
//! [`to_oci`] resolves a profile for one container on one host: it evaluates
//! `includes`/`excludes` against the container's capabilities, the host's architecture
//! (Go's `GOARCH` spelling, as Docker uses: `amd64`, `arm64`, `s390x`, ...) and the kernel
//! version, keeps the `archMap` entry of the host's native architecture (it and its
//! sub-architectures become the OCI `architectures`), validates actions, operators and
//! architectures, and emits the OCI runtime-spec (1.0.2+) object: `defaultAction`,
//! `defaultErrnoRet`, `architectures`, `syscalls[].names/action/errnoRet/args`. Rules that
//! end up with the same action, errno and conditions are merged into one (libseccomp's
//! filter does not depend on rule order, so this is safe), and duplicate names dropped;
//! fewer rules make the filter faster to compile.
//!
//! # The default profile
//!
//! [`default_profile_json`] is berth's own rendering of the policy Docker applies by
//! default, authored for berth from the syscall semantics (see `seccomp_default.json`, one
//! commented rule per topic): deny with EPERM by default; allow the ordinary syscalls a
//! program needs; `socket` for every family but AF_VSOCK; `personality` only for the
//! Linux, Linux32 and UNAME26 personas and the query value; `clone` only without
//! namespace-creating flags and `clone3` answered with ENOSYS (its flags are out of the
//! filter's reach, and ENOSYS makes libc fall back to `clone`), both unrestricted with
//! CAP_SYS_ADMIN; `ptrace` from Linux 4.8 on (older kernels let it bypass seccomp);
//! privileged syscalls only with the capability that governs them (CAP_SYS_ADMIN,
//! CAP_SYS_BOOT, CAP_SYS_CHROOT, CAP_SYS_MODULE, CAP_SYS_PACCT, CAP_SYS_PTRACE,
//! CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_SYS_TTY_CONFIG, CAP_SYS_NICE, CAP_SYSLOG, CAP_BPF,
//! CAP_PERFMON, CAP_DAC_READ_SEARCH); architecture-specific syscalls only on their
//! architecture. `io_uring_*`, keyring, `userfaultfd`, `kexec_*`, `swapon`, `pivot_root`
//! and other host-global operations stay denied.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

const DEFAULT_PROFILE: &str = include_str!("seccomp_default.json");

/// An invalid profile (bad JSON, unknown action, operator or architecture, missing names).
#[derive(Debug, thiserror::Error)]
#[error("seccomp profile: {0}")]
pub struct SeccompError(String);

impl SeccompError {
    fn new(msg: impl Into<String>) -> Self {
        SeccompError(msg.into())
    }
}

/// Docker's default seccomp profile (berth's rendering of it), in Docker's JSON format.
pub fn default_profile_json() -> &'static str {
    DEFAULT_PROFILE
}

/// The default profile for these capabilities on this host: the architecture comes from
/// the build target (mapped to Go's `GOARCH` names), the kernel version from
/// `/proc/sys/kernel/osrelease` (unreadable: treated as 0.0, so kernel-gated rules drop).
pub fn default_for(caps: &[String]) -> Value {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    to_oci(DEFAULT_PROFILE, caps, host_goarch(), parse_kernel_release(&release).unwrap_or((0, 0)))
        .expect("the built-in seccomp profile is valid")
}

/// Converts a profile in Docker's format into the OCI runtime spec's `linux.seccomp`
/// object, for a container with the given effective capabilities (`CAP_SYS_ADMIN`,
/// `sys_admin`, ...; `ALL` counts as every capability), on a host of the given
/// architecture (Go's `GOARCH`: `amd64`, `arm64`, ...) and kernel version (major, minor).
///
/// Rules whose `includes` are not met or whose `excludes` are met are dropped; the
/// `archMap` entry of the host's native architecture becomes the `architectures` list;
/// rules keep `names`, `action`, `errnoRet` and `args`, merged where they share action,
/// errno and conditions.
pub fn to_oci(profile: &str, caps: &[String], arch: &str, kernel: (u32, u32)) -> Result<Value, SeccompError> {
    let profile: Profile = serde_json::from_str(profile).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            SeccompError::new(format!("invalid JSON: {e}"))
        } else {
            SeccompError::new(format!("invalid profile: {e}"))
        }
    })?;
    let host = Host::new(caps, arch, kernel);

    let mut out = Map::new();

    let default_action = profile.default_action.ok_or_else(|| SeccompError::new("missing \"defaultAction\""))?;
    check_action(&default_action)?;
    if default_action == "SCMP_ACT_NOTIFY" {
        return Err(SeccompError::new("SCMP_ACT_NOTIFY cannot be the default action"));
    }
    out.insert("defaultAction".into(), json!(default_action));
    if let Some(errno) = profile.default_errno_ret {
        out.insert("defaultErrnoRet".into(), json!(errno));
    }

    let architectures =
        resolve_architectures(profile.architectures.unwrap_or_default(), profile.arch_map.unwrap_or_default(), &host)?;
    if !architectures.is_empty() {
        out.insert("architectures".into(), json!(architectures));
    }

    let flags = profile.flags.unwrap_or_default();
    for f in &flags {
        if !FLAGS.contains(&f.as_str()) {
            return Err(SeccompError::new(format!("unknown flag {f:?}")));
        }
    }
    if !flags.is_empty() {
        out.insert("flags".into(), json!(flags));
    }
    if let Some(p) = profile.listener_path.filter(|p| !p.is_empty()) {
        out.insert("listenerPath".into(), json!(p));
    }
    if let Some(m) = profile.listener_metadata.filter(|m| !m.is_empty()) {
        out.insert("listenerMetadata".into(), json!(m));
    }

    let mut merged = Merger::default();
    for (i, rule) in profile.syscalls.unwrap_or_default().into_iter().enumerate() {
        let names = rule_names(i, rule.name, rule.names)?;
        check_action(&rule.action)?;
        let mut args = Vec::new();
        for a in rule.args.unwrap_or_default() {
            if !OPERATORS.contains(&a.op.as_str()) {
                return Err(SeccompError::new(format!("unknown operator {:?}", a.op)));
            }
            if a.index > 5 {
                return Err(SeccompError::new(format!(
                    "argument index {} out of range (0-5) in the rule for {}",
                    a.index,
                    names.join(",")
                )));
            }
            args.push((a.index, a.value, a.value_two.unwrap_or(0), a.op));
        }
        if !host.included(rule.includes.as_ref())? || host.excluded(rule.excludes.as_ref())? {
            continue;
        }
        merged.add(RuleKey { action: rule.action, errno: rule.errno_ret, args }, names);
    }
    out.insert("syscalls".into(), Value::Array(merged.into_json()));

    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------
// Profile (input) types

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    default_action: Option<String>,
    default_errno_ret: Option<u32>,
    architectures: Option<Vec<String>>,
    arch_map: Option<Vec<ArchEntry>>,
    syscalls: Option<Vec<Rule>>,
    flags: Option<Vec<String>>,
    listener_path: Option<String>,
    listener_metadata: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchEntry {
    architecture: String,
    sub_architectures: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    name: Option<String>,
    names: Option<Vec<String>>,
    action: String,
    errno_ret: Option<u32>,
    args: Option<Vec<Arg>>,
    includes: Option<Filter>,
    excludes: Option<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Arg {
    index: u32,
    value: u64,
    value_two: Option<u64>,
    op: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    caps: Option<Vec<String>>,
    arches: Option<Vec<String>>,
    min_kernel: Option<String>,
}

const ACTIONS: [&str; 9] = [
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
];

const OPERATORS: [&str; 7] =
    ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];

const FLAGS: [&str; 4] = [
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
];

/// Architectures the OCI runtime spec (and libseccomp) know.
const ARCHES: [&str; 24] = [
    "SCMP_ARCH_NATIVE",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",
    "SCMP_ARCH_SH",
    "SCMP_ARCH_SHEB",
];

fn check_action(action: &str) -> Result<(), SeccompError> {
    if ACTIONS.contains(&action) {
        Ok(())
    } else {
        Err(SeccompError::new(format!("unknown action {action:?}")))
    }
}

fn check_arch(arch: &str) -> Result<(), SeccompError> {
    if ARCHES.contains(&arch) {
        Ok(())
    } else {
        Err(SeccompError::new(format!("unknown architecture {arch:?}")))
    }
}

fn rule_names(i: usize, name: Option<String>, names: Option<Vec<String>>) -> Result<Vec<String>, SeccompError> {
    let name = name.filter(|n| !n.is_empty());
    let names = names.unwrap_or_default();
    let names = match (name, names.is_empty()) {
        (Some(_), false) => {
            return Err(SeccompError::new(format!("syscall rule {i}: use either \"name\" or \"names\", not both")))
        }
        (Some(n), true) => vec![n],
        (None, false) => names,
        (None, true) => return Err(SeccompError::new(format!("syscall rule {i} has no names"))),
    };
    if let Some(bad) = names.iter().find(|n| n.trim().is_empty()) {
        return Err(SeccompError::new(format!("syscall rule {i}: invalid syscall name {bad:?}")));
    }
    Ok(names)
}

fn resolve_architectures(flat: Vec<String>, map: Vec<ArchEntry>, host: &Host) -> Result<Vec<String>, SeccompError> {
    if !flat.is_empty() && !map.is_empty() {
        return Err(SeccompError::new("use either \"architectures\" or \"archMap\", not both"));
    }
    let mut out: Vec<String> = Vec::new();
    for a in &flat {
        check_arch(a)?;
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    for entry in &map {
        check_arch(&entry.architecture)?;
        let subs = entry.sub_architectures.as_deref().unwrap_or_default();
        for s in subs {
            check_arch(s)?;
        }
        if Some(entry.architecture.as_str()) != host.native_arch {
            continue;
        }
        for a in std::iter::once(&entry.architecture).chain(subs) {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Host facts and filter evaluation

struct Host {
    caps: HashSet<String>,
    all_caps: bool,
    goarch: String,
    native_arch: Option<&'static str>,
    kernel: (u32, u32),
}

impl Host {
    fn new(caps: &[String], arch: &str, kernel: (u32, u32)) -> Host {
        let caps: HashSet<String> = caps.iter().map(|c| normalize_cap(c)).collect();
        let goarch = normalize_goarch(arch);
        Host { all_caps: caps.contains("ALL"), caps, native_arch: native_scmp_arch(&goarch), goarch, kernel }
    }

    fn has_cap(&self, cap: &str) -> bool {
        self.all_caps || self.caps.contains(&normalize_cap(cap))
    }

    fn arch_in(&self, arches: &[String]) -> bool {
        arches.iter().any(|a| normalize_goarch(a) == self.goarch)
    }

    fn kernel_at_least(&self, min: &str) -> Result<bool, SeccompError> {
        let v = parse_min_kernel(min).ok_or_else(|| SeccompError::new(format!("invalid minKernel {min:?}")))?;
        Ok(self.kernel >= v)
    }

    /// All of `includes` hold (an absent or empty filter holds).
    fn included(&self, f: Option<&Filter>) -> Result<bool, SeccompError> {
        let Some(f) = f else { return Ok(true) };
        if let Some(min) = f.min_kernel.as_deref().filter(|m| !m.is_empty()) {
            if !self.kernel_at_least(min)? {
                return Ok(false);
            }
        }
        if let Some(arches) = f.arches.as_deref().filter(|a| !a.is_empty()) {
            if !self.arch_in(arches) {
                return Ok(false);
            }
        }
        Ok(f.caps.as_deref().unwrap_or_default().iter().all(|c| self.has_cap(c)))
    }

    /// Any of `excludes` holds (an absent or empty filter never does).
    fn excluded(&self, f: Option<&Filter>) -> Result<bool, SeccompError> {
        let Some(f) = f else { return Ok(false) };
        if let Some(min) = f.min_kernel.as_deref().filter(|m| !m.is_empty()) {
            if self.kernel_at_least(min)? {
                return Ok(true);
            }
        }
        if self.arch_in(f.arches.as_deref().unwrap_or_default()) {
            return Ok(true);
        }
        Ok(f.caps.as_deref().unwrap_or_default().iter().any(|c| self.has_cap(c)))
    }
}

/// `sys_admin`, `SYS_ADMIN`, `cap_sys_admin` → `CAP_SYS_ADMIN`; `all` → `ALL`.
fn normalize_cap(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    if up == "ALL" || up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    }
}

/// Go's `GOARCH` spelling for common aliases (`x86_64`, `aarch64`, `x86`, `i686`, ...).
fn normalize_goarch(a: &str) -> String {
    let a = a.trim().to_ascii_lowercase();
    match a.as_str() {
        "x86_64" | "x86-64" => "amd64".into(),
        "x86" | "i386" | "i486" | "i586" | "i686" => "386".into(),
        "aarch64" => "arm64".into(),
        "powerpc64le" => "ppc64le".into(),
        "powerpc64" => "ppc64".into(),
        "powerpc" => "ppc".into(),
        "loongarch64" => "loong64".into(),
        "mips64el" => "mips64le".into(),
        "mipsel" => "mipsle".into(),
        _ => a,
    }
}

/// libseccomp's name for a `GOARCH`'s native ABI.
fn native_scmp_arch(goarch: &str) -> Option<&'static str> {
    Some(match goarch {
        "amd64" => "SCMP_ARCH_X86_64",
        "386" => "SCMP_ARCH_X86",
        "arm64" => "SCMP_ARCH_AARCH64",
        "arm" => "SCMP_ARCH_ARM",
        "mips" => "SCMP_ARCH_MIPS",
        "mipsle" => "SCMP_ARCH_MIPSEL",
        "mips64" => "SCMP_ARCH_MIPS64",
        "mips64le" => "SCMP_ARCH_MIPSEL64",
        "mips64p32" => "SCMP_ARCH_MIPS64N32",
        "mips64p32le" => "SCMP_ARCH_MIPSEL64N32",
        "ppc" => "SCMP_ARCH_PPC",
        "ppc64" => "SCMP_ARCH_PPC64",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "s390" => "SCMP_ARCH_S390",
        "s390x" => "SCMP_ARCH_S390X",
        "riscv64" => "SCMP_ARCH_RISCV64",
        "loong64" => "SCMP_ARCH_LOONGARCH64",
        "m68k" => "SCMP_ARCH_M68K",
        _ => return None,
    })
}

/// This build's architecture in Go's `GOARCH` spelling.
fn host_goarch() -> &'static str {
    let little = cfg!(target_endian = "little");
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if little => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        "mips" | "mips32r6" if little => "mipsle",
        "mips" | "mips32r6" => "mips",
        "mips64" | "mips64r6" if little => "mips64le",
        "mips64" | "mips64r6" => "mips64",
        other => other,
    }
}

/// `(major, minor)` from a release string such as `6.8.0-45-generic` or `5.10`.
fn parse_kernel_release(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = leading_number(parts.next()?)?;
    let minor = parts.next().and_then(leading_number).unwrap_or(0);
    Some((major, minor))
}

/// A profile's `minKernel`: `"4.8"` (a patch level, if given, is ignored).
fn parse_min_kernel(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

fn leading_number(s: &str) -> Option<u32> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

// ---------------------------------------------------------------------------------------
// Output rules, merged by (action, errno, conditions)

#[derive(PartialEq, Eq, Hash, Clone)]
struct RuleKey {
    action: String,
    errno: Option<u32>,
    args: Vec<(u32, u64, u64, String)>,
}

#[derive(Default)]
struct Merger {
    index: HashMap<RuleKey, usize>,
    rules: Vec<(RuleKey, Vec<String>, HashSet<String>)>,
}

impl Merger {
    fn add(&mut self, key: RuleKey, names: Vec<String>) {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.rules.push((key.clone(), Vec::new(), HashSet::new()));
                self.index.insert(key, self.rules.len() - 1);
                self.rules.len() - 1
            }
        };
        let (_, list, seen) = &mut self.rules[i];
        for n in names {
            if seen.insert(n.clone()) {
                list.push(n);
            }
        }
    }

    fn into_json(self) -> Vec<Value> {
        self.rules
            .into_iter()
            .map(|(key, names, _)| {
                let mut r = Map::new();
                r.insert("names".into(), json!(names));
                r.insert("action".into(), json!(key.action));
                if let Some(e) = key.errno {
                    r.insert("errnoRet".into(), json!(e));
                }
                if !key.args.is_empty() {
                    let args: Vec<Value> = key
                        .args
                        .into_iter()
                        .map(|(index, value, two, op)| json!({"index": index, "value": value, "valueTwo": two, "op": op}))
                        .collect();
                    r.insert("args".into(), Value::Array(args));
                }
                Value::Object(r)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS_MASK: u64 = 0x0002_0000 // CLONE_NEWNS
        | 0x0200_0000 // CLONE_NEWCGROUP
        | 0x0400_0000 // CLONE_NEWUTS
        | 0x0800_0000 // CLONE_NEWIPC
        | 0x1000_0000 // CLONE_NEWUSER
        | 0x2000_0000 // CLONE_NEWPID
        | 0x4000_0000; // CLONE_NEWNET

    fn caps(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn oci(c: &[&str], arch: &str, kernel: (u32, u32)) -> Value {
        to_oci(default_profile_json(), &caps(c), arch, kernel).unwrap()
    }

    fn rules(v: &Value) -> &Vec<Value> {
        v["syscalls"].as_array().unwrap()
    }

    fn has_name(rule: &Value, name: &str) -> bool {
        rule["names"].as_array().unwrap().iter().any(|n| n == name)
    }

    /// Rules naming `name`.
    fn rules_for<'a>(v: &'a Value, name: &str) -> Vec<&'a Value> {
        rules(v).iter().filter(|r| has_name(r, name)).collect()
    }

    fn allowed_unconditionally(v: &Value, name: &str) -> bool {
        rules_for(v, name).iter().any(|r| r["action"] == "SCMP_ACT_ALLOW" && r.get("args").is_none())
    }

    fn allowed_somehow(v: &Value, name: &str) -> bool {
        rules_for(v, name).iter().any(|r| r["action"] == "SCMP_ACT_ALLOW")
    }

    fn err(profile: &str) -> String {
        to_oci(profile, &[], "amd64", (6, 1)).unwrap_err().to_string()
    }

    #[test]
    fn default_profile_parses_and_denies_with_eperm() {
        let raw: Value = serde_json::from_str(default_profile_json()).unwrap();
        assert_eq!(raw["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(raw["defaultErrnoRet"], 1);
        for arch in ["amd64", "386", "arm64", "arm", "ppc64le", "s390x", "riscv64", "loong64", "mips64le", "sparc64"] {
            let v = oci(&[], arch, (6, 1));
            assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
            assert_eq!(v["defaultErrnoRet"], 1);
            assert!(rules(&v).len() > 5, "{arch}");
        }
    }

    #[test]
    fn profile_is_well_formed() {
        // Every rule has names in kernel spelling, and no syscall is listed twice among the
        // unconditional allow rules (a sign of a copy-and-paste slip).
        let raw: Value = serde_json::from_str(default_profile_json()).unwrap();
        let mut plain = HashSet::new();
        for r in raw["syscalls"].as_array().unwrap() {
            let names = r["names"].as_array().unwrap();
            assert!(!names.is_empty());
            for n in names {
                let n = n.as_str().unwrap();
                assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{n}");
                let unconditional =
                    r.get("args").is_none() && r.get("includes").is_none() && r.get("excludes").is_none();
                if unconditional {
                    assert!(plain.insert(n.to_string()), "{n} listed twice");
                }
            }
        }
        // Nothing granted by a capability is also granted unconditionally.
        for gated in ["mount", "unshare", "setns", "reboot", "chroot", "ptrace", "bpf", "clone", "clone3", "syslog"] {
            assert!(!plain.contains(gated), "{gated}");
        }
        assert!(plain.len() > 300, "{}", plain.len());
    }

    #[test]
    fn without_sys_admin_namespaces_are_out_of_reach() {
        let v = oci(&["CAP_CHOWN", "CAP_KILL", "CAP_SYS_CHROOT"], "amd64", (6, 1));
        for name in ["mount", "umount2", "unshare", "setns", "bpf", "fsopen", "move_mount", "sethostname"] {
            assert!(rules_for(&v, name).is_empty(), "{name} must not appear");
        }
        let clone = rules_for(&v, "clone");
        assert_eq!(clone.len(), 1);
        assert_eq!(clone[0]["action"], "SCMP_ACT_ALLOW");
        assert_eq!(
            clone[0]["args"],
            json!([{"index": 0, "value": NS_MASK, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}])
        );
        assert_eq!(NS_MASK, 2114060288);
        let clone3 = rules_for(&v, "clone3");
        assert_eq!(clone3.len(), 1);
        assert_eq!(clone3[0]["action"], "SCMP_ACT_ERRNO");
        assert_eq!(clone3[0]["errnoRet"], 38);
        assert!(clone3[0].get("args").is_none());
    }

    #[test]
    fn sys_admin_unlocks_mounts_and_plain_clone() {
        for spelling in ["CAP_SYS_ADMIN", "sys_admin", "SYS_ADMIN", "cap_sys_admin"] {
            let v = oci(&[spelling], "amd64", (6, 1));
            for name in ["mount", "umount2", "unshare", "setns", "clone3", "fsmount", "sethostname"] {
                assert!(allowed_unconditionally(&v, name), "{name} with {spelling}");
            }
            let clone = rules_for(&v, "clone");
            assert_eq!(clone.len(), 1, "{spelling}");
            assert!(clone[0].get("args").is_none());
            assert!(rules_for(&v, "clone3").iter().all(|r| r["action"] == "SCMP_ACT_ALLOW"));
        }
        // ALL means every capability.
        let v = oci(&["ALL"], "amd64", (6, 1));
        assert!(allowed_unconditionally(&v, "mount"));
        assert!(allowed_unconditionally(&v, "reboot"));
    }

    #[test]
    fn capability_gated_syscalls() {
        let none = oci(&[], "amd64", (6, 1));
        let cases: [(&str, &[&str]); 14] = [
            ("CAP_SYS_BOOT", &["reboot"]),
            ("CAP_SYS_CHROOT", &["chroot"]),
            ("CAP_SYS_MODULE", &["init_module", "finit_module", "delete_module"]),
            ("CAP_SYS_PACCT", &["acct"]),
            ("CAP_SYS_PTRACE", &["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev"]),
            ("CAP_SYS_RAWIO", &["iopl", "ioperm"]),
            ("CAP_SYS_TIME", &["settimeofday", "stime", "clock_settime", "clock_settime64"]),
            ("CAP_SYS_TTY_CONFIG", &["vhangup"]),
            ("CAP_SYS_NICE", &["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
            ("CAP_SYSLOG", &["syslog"]),
            ("CAP_BPF", &["bpf"]),
            ("CAP_PERFMON", &["perf_event_open"]),
            ("CAP_DAC_READ_SEARCH", &["open_by_handle_at"]),
            ("CAP_SYS_ADMIN", &["quotactl", "lookup_dcookie", "fanotify_init", "name_to_handle_at", "umount"]),
        ];
        for (cap, names) in cases {
            let with = oci(&[cap], "amd64", (6, 1));
            for name in names {
                assert!(rules_for(&none, name).is_empty(), "{name} without {cap}");
                assert!(allowed_unconditionally(&with, name), "{name} with {cap}");
            }
        }
        // reboot: only CAP_SYS_BOOT, not some other capability.
        assert!(rules_for(&oci(&["CAP_SYS_ADMIN", "CAP_SYS_TIME"], "amd64", (6, 1)), "reboot").is_empty());
        assert!(allowed_unconditionally(&oci(&["sys_boot"], "amd64", (6, 1)), "reboot"));
    }

    #[test]
    fn ptrace_depends_on_kernel_or_capability() {
        assert!(allowed_unconditionally(&oci(&[], "amd64", (5, 10)), "ptrace"));
        assert!(allowed_unconditionally(&oci(&[], "amd64", (4, 8)), "ptrace"));
        assert!(rules_for(&oci(&[], "amd64", (4, 4)), "ptrace").is_empty());
        assert!(rules_for(&oci(&[], "amd64", (3, 19)), "ptrace").is_empty());
        assert!(allowed_unconditionally(&oci(&["CAP_SYS_PTRACE"], "amd64", (4, 4)), "ptrace"));
        // Both rules apply on a new kernel with the capability; the name is listed once.
        let v = oci(&["CAP_SYS_PTRACE"], "amd64", (6, 1));
        assert_eq!(rules_for(&v, "ptrace").len(), 1);
    }

    #[test]
    fn architectures_and_arch_specific_syscalls() {
        let amd64 = oci(&[], "amd64", (6, 1));
        assert_eq!(amd64["architectures"], json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]));
        assert!(allowed_unconditionally(&amd64, "arch_prctl"));
        assert!(allowed_unconditionally(&amd64, "modify_ldt"));
        assert!(rules_for(&amd64, "arm_fadvise64_64").is_empty());
        assert!(rules_for(&amd64, "s390_runtime_instr").is_empty());
        // Aliases of the GOARCH name resolve the same way.
        assert_eq!(oci(&[], "x86_64", (6, 1))["architectures"], amd64["architectures"]);

        let arm64 = oci(&[], "arm64", (6, 1));
        assert_eq!(arm64["architectures"], json!(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]));
        assert!(rules_for(&arm64, "arch_prctl").is_empty());
        assert!(rules_for(&arm64, "modify_ldt").is_empty());
        for name in
            ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"]
        {
            assert!(allowed_unconditionally(&arm64, name), "{name}");
        }

        let ppc = oci(&[], "ppc64le", (6, 1));
        assert_eq!(ppc["architectures"], json!(["SCMP_ARCH_PPC64LE"]));
        assert!(allowed_unconditionally(&ppc, "swapcontext"));
        assert!(allowed_unconditionally(&ppc, "sync_file_range2"));

        let s390x = oci(&[], "s390x", (6, 1));
        assert_eq!(s390x["architectures"], json!(["SCMP_ARCH_S390X", "SCMP_ARCH_S390"]));
        assert!(allowed_unconditionally(&s390x, "s390_pci_mmio_read"));
        // clone's flags are its second argument on s390.
        let clone = rules_for(&s390x, "clone");
        assert_eq!(clone.len(), 1);
        assert_eq!(clone[0]["args"][0]["index"], 1);
        assert_eq!(clone[0]["args"][0]["value"], NS_MASK);

        let riscv = oci(&[], "riscv64", (6, 1));
        assert_eq!(riscv["architectures"], json!(["SCMP_ARCH_RISCV64"]));
        assert!(allowed_unconditionally(&riscv, "riscv_flush_icache"));

        // An architecture without an archMap entry: no list (libseccomp uses the native ABI).
        assert!(oci(&[], "sparc64", (6, 1)).get("architectures").is_none());
    }

    #[test]
    fn a_shell_has_what_it_needs() {
        let v = oci(&[], "amd64", (6, 1));
        for name in [
            "read",
            "write",
            "open",
            "openat",
            "close",
            "execve",
            "execveat",
            "wait4",
            "waitid",
            "exit",
            "exit_group",
            "rt_sigaction",
            "rt_sigprocmask",
            "rt_sigreturn",
            "getdents64",
            "fstat",
            "newfstatat",
            "statx",
            "lstat",
            "stat",
            "pipe",
            "pipe2",
            "dup",
            "dup2",
            "dup3",
            "fcntl",
            "ioctl",
            "mmap",
            "munmap",
            "mprotect",
            "brk",
            "futex",
            "clock_gettime",
            "gettimeofday",
            "nanosleep",
            "clock_nanosleep",
            "connect",
            "bind",
            "listen",
            "accept4",
            "sendto",
            "recvfrom",
            "getpid",
            "getppid",
            "getuid",
            "geteuid",
            "setpgid",
            "getcwd",
            "chdir",
            "access",
            "faccessat2",
            "readlink",
            "uname",
            "prlimit64",
            "set_tid_address",
            "set_robust_list",
            "rseq",
            "getrandom",
            "sigaltstack",
            "kill",
            "tgkill",
            "umask",
            "lseek",
            "poll",
            "epoll_wait",
            "fork",
            "vfork",
            "madvise",
            "unlinkat",
            "mkdirat",
            "renameat2",
            "fchownat",
            "utimensat",
            "sched_getaffinity",
            "prctl",
            "capget",
            "capset",
            "setuid",
            "setgid",
            "setgroups",
            "socketpair",
            "sendmsg",
            "recvmsg",
            "mremap",
            "clock_nanosleep_time64",
            "futex_time64",
            "close_range",
            "openat2",
            "epoll_pwait2",
            "membarrier",
        ] {
            assert!(allowed_unconditionally(&v, name), "{name}");
        }
        assert!(allowed_somehow(&v, "socket"));
        assert!(allowed_somehow(&v, "clone"));
        assert!(allowed_somehow(&v, "personality"));
    }

    #[test]
    fn socket_personality_and_denied_families() {
        let v = oci(&[], "amd64", (6, 1));
        let socket = rules_for(&v, "socket");
        assert_eq!(socket.len(), 1);
        assert_eq!(socket[0]["args"], json!([{"index": 0, "value": 40, "valueTwo": 0, "op": "SCMP_CMP_NE"}]));

        let mut personas: Vec<u64> = rules_for(&v, "personality")
            .iter()
            .map(|r| {
                assert_eq!(r["args"].as_array().unwrap().len(), 1);
                assert_eq!(r["args"][0]["op"], "SCMP_CMP_EQ");
                r["args"][0]["value"].as_u64().unwrap()
            })
            .collect();
        personas.sort();
        assert_eq!(personas, [0, 8, 0x20000, 0x20008, 0xffff_ffff]);

        for name in [
            "io_uring_setup",
            "io_uring_enter",
            "io_uring_register",
            "keyctl",
            "add_key",
            "request_key",
            "userfaultfd",
            "kexec_load",
            "swapon",
            "pivot_root",
            "move_pages",
            "migrate_pages",
            "open_by_handle_at",
            "perf_event_open",
        ] {
            assert!(rules_for(&v, name).is_empty(), "{name}");
        }
    }

    #[test]
    fn rules_are_merged() {
        let v = oci(&["CAP_SYS_BOOT", "CAP_SYS_CHROOT"], "amd64", (6, 1));
        let plain: Vec<&Value> = rules(&v)
            .iter()
            .filter(|r| r["action"] == "SCMP_ACT_ALLOW" && r.get("args").is_none() && r.get("errnoRet").is_none())
            .collect();
        assert_eq!(plain.len(), 1, "one unconditional allow rule");
        assert!(has_name(plain[0], "reboot") && has_name(plain[0], "chroot") && has_name(plain[0], "arch_prctl"));
        for r in rules(&v) {
            let names = r["names"].as_array().unwrap();
            let unique: HashSet<&str> = names.iter().map(|n| n.as_str().unwrap()).collect();
            assert_eq!(unique.len(), names.len());
        }
        // socket, clone, clone3 and five personalities remain separate.
        assert_eq!(rules(&v).len(), 1 + 1 + 1 + 1 + 5);
    }

    #[test]
    fn output_uses_oci_field_names_only() {
        let v = oci(&[], "amd64", (6, 1));
        let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(top, ["defaultAction", "defaultErrnoRet", "architectures", "syscalls"]);
        for r in rules(&v) {
            for k in r.as_object().unwrap().keys() {
                assert!(["names", "action", "errnoRet", "args"].contains(&k.as_str()), "{k}");
            }
            for a in r.get("args").and_then(Value::as_array).into_iter().flatten() {
                let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["index", "value", "valueTwo", "op"]);
            }
        }
    }

    #[test]
    fn custom_profiles() {
        let profile = r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG"],
            "syscalls": [
                {"name": "chmod", "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": null, "comment": "x"},
                {"names": ["chown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                {"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS", "includes": {"arches": ["arm64"]}},
                {"names": ["rmdir"], "action": "SCMP_ACT_LOG", "excludes": {"caps": ["CAP_FOWNER"]}},
                {"names": ["link"], "action": "SCMP_ACT_TRAP", "includes": {"minKernel": "5.4", "caps": ["net_admin"]}},
                {"names": ["write"], "action": "SCMP_ACT_ERRNO",
                 "args": [{"index": 2, "value": 4096, "op": "SCMP_CMP_GT"}]}
            ]
        }"#;
        let v = to_oci(profile, &caps(&["CAP_FOWNER", "CAP_NET_ADMIN"]), "amd64", (5, 15)).unwrap();
        assert_eq!(
            v,
            json!({
                "defaultAction": "SCMP_ACT_ALLOW",
                "architectures": ["SCMP_ARCH_X86_64"],
                "flags": ["SECCOMP_FILTER_FLAG_LOG"],
                "syscalls": [
                    {"names": ["chmod", "chown"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                    {"names": ["link"], "action": "SCMP_ACT_TRAP"},
                    {"names": ["write"], "action": "SCMP_ACT_ERRNO",
                     "args": [{"index": 2, "value": 4096, "valueTwo": 0, "op": "SCMP_CMP_GT"}]}
                ]
            })
        );
        // The same profile on an older kernel without CAP_FOWNER.
        let v = to_oci(profile, &[], "amd64", (5, 3)).unwrap();
        let names: Vec<&Value> = rules(&v).iter().map(|r| &r["names"][0]).collect();
        assert_eq!(names, [&json!("chmod"), &json!("rmdir"), &json!("write")]);
    }

    #[test]
    fn errors_name_the_problem() {
        let e = err(r#"{"defaultAction": "SCMP_ACT_FOO", "syscalls": []}"#);
        assert_eq!(e, "seccomp profile: unknown action \"SCMP_ACT_FOO\"");
        let e =
            err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BAR"}]}"#);
        assert!(e.contains("unknown action \"SCMP_ACT_BAR\""), "{e}");
        let e =
            err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_SOMETIMES"}]}]}"#);
        assert!(e.contains("unknown operator \"SCMP_CMP_SOMETIMES\""), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [ {"names": ["read"]"#);
        assert!(e.starts_with("seccomp profile: invalid JSON"), "{e}");
        let e = err("not json");
        assert!(e.starts_with("seccomp profile: invalid JSON"), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}"#);
        assert!(e.contains("has no names"), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}"#);
        assert!(e.contains("has no names"), "{e}");
        let e = err(r#"{"syscalls": []}"#);
        assert!(e.contains("missing \"defaultAction\""), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]}"#);
        assert!(e.contains("unknown architecture \"SCMP_ARCH_VAX\""), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}]}"#);
        assert!(e.contains("either \"architectures\" or \"archMap\""), "{e}");
        let e =
            err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#);
        assert!(e.contains("argument index 6"), "{e}");
        let e =
            err(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                "includes": {"minKernel": "four"}}]}"#);
        assert!(e.contains("invalid minKernel \"four\""), "{e}");
        let e = err(r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#);
        assert!(e.contains("SCMP_ACT_NOTIFY"), "{e}");
        let e = err(r#"{"defaultAction": 5}"#);
        assert!(e.starts_with("seccomp profile: invalid profile"), "{e}");
    }

    #[test]
    fn kernel_and_arch_helpers() {
        assert_eq!(parse_kernel_release("6.18.44-fc-v669\n"), Some((6, 18)));
        assert_eq!(parse_kernel_release("5.10.0-28-amd64"), Some((5, 10)));
        assert_eq!(parse_kernel_release("4.4"), Some((4, 4)));
        assert_eq!(parse_kernel_release("6"), Some((6, 0)));
        assert_eq!(parse_kernel_release(""), None);
        assert_eq!(parse_min_kernel("4.8"), Some((4, 8)));
        assert_eq!(parse_min_kernel("5.4.1"), Some((5, 4)));
        assert_eq!(parse_min_kernel("x.1"), None);
        assert_eq!(normalize_cap(" sys_admin "), "CAP_SYS_ADMIN");
        assert_eq!(normalize_cap("Cap_Bpf"), "CAP_BPF");
        assert_eq!(normalize_goarch("aarch64"), "arm64");
        assert_eq!(native_scmp_arch(&normalize_goarch("x86")), Some("SCMP_ARCH_X86"));
        assert!(native_scmp_arch(host_goarch()).is_some() || cfg!(not(target_os = "linux")));
    }

    #[test]
    fn default_for_this_host() {
        let v = default_for(&caps(&["CAP_CHOWN", "CAP_SYS_CHROOT"]));
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert!(allowed_unconditionally(&v, "read"));
        assert!(allowed_unconditionally(&v, "chroot"));
        assert!(rules_for(&v, "mount").is_empty());
        if cfg!(target_arch = "x86_64") {
            assert_eq!(v["architectures"][0], "SCMP_ARCH_X86_64");
            assert!(allowed_unconditionally(&v, "arch_prctl"));
        }
    }
}
