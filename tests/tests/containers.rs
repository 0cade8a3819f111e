//! Containers end to end: run semantics, isolation and default security, lifecycle, exec,
//! restart policies, health checks, and surviving a daemon crash — through the real Docker
//! CLI (and the berth CLI where noted).

use berth_tests::*;
use std::time::{Duration, Instant};

fn daemon_with_busybox() -> Daemon {
    let d = Daemon::start();
    d.import_busybox("busybox");
    d
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run_follows_dockers_semantics() {
    let d = daemon_with_busybox();
    assert_eq!(d.docker(&["run", "--rm", "busybox", "echo", "hello", "world"]).ok(), "hello world\n");
    let r = d.docker(&["run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (7, "out\n", "err\n"));
    let r = d.docker(&["run", "--rm", "busybox", "nosuchcommand"]);
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert!(r.stderr.contains("executable file not found"), "{}", r.stderr);
    let r = d.docker(&["run", "--rm", "busybox", "/etc/passwd"]);
    assert_eq!(r.code, 126, "{}", r.stderr);
    let out = d
        .docker(&["run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-h", "myhost", "-u", "nobody", "busybox", "sh", "-c", "echo $FOO $(pwd) $(hostname) $(id -u):$(id -g) $HOME"])
        .ok()
        .to_string();
    assert_eq!(out, "bar /tmp myhost 65534:65534 /home\n");
    let out = d.docker(&["run", "--rm", "--entrypoint", "echo", "busybox", "from", "entrypoint"]).ok().to_string();
    assert_eq!(out, "from entrypoint\n");
    // An empty --entrypoint resets it, and the image's CMD goes with it.
    assert_eq!(d.docker(&["run", "--rm", "--entrypoint", "", "busybox", "echo", "reset"]).ok(), "reset\n");
    assert!(d.docker(&["run", "--rm", "--entrypoint", "", "busybox"]).err().contains("no command specified"));
    // --init puts a reaping init (tini) at PID 1 in front of the command.
    let out = d.docker(&["run", "--rm", "--init", "busybox", "sh", "-c", "echo $(cat /proc/1/comm) $$; exit 3"]);
    assert_eq!((out.code, out.stdout.as_str()), (3, "docker-init 2\n"), "{}", out.stderr);
    // CMD from the image, stdin piped through.
    let out = d.docker_in(&["run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done"], Some(b"piped input\n")).ok().to_string();
    assert_eq!(out, "piped input\ndone\n");
    // Unknown image, bad flags and name conflicts are refused before anything runs.
    let r = d.docker(&["run", "--rm", "--pull", "never", "nosuchimage"]);
    assert!(r.code != 0 && r.stderr.contains("No such image"), "{}", r.stderr);
    d.docker(&["create", "--name", "taken", "busybox"]).ok();
    let r = d.docker(&["create", "--name", "taken", "busybox"]);
    assert!(r.err().contains("is already in use"), "{}", r.stderr);
    let r = d.docker(&["run", "--rm", "--memory", "1k", "busybox", "true"]);
    assert!(r.err().contains("Minimum memory limit"), "{}", r.stderr);
    let r = d.docker(&["run", "--rm", "-w", "relative", "busybox", "true"]);
    assert!(r.err().contains("the working directory 'relative' is invalid, it needs to be an absolute path"), "{}", r.stderr);
    let (status, body, _) = d.http("POST", "/containers/create", br#"{"Image":"busybox","HostConfig":{"Memory":-5}}"#);
    assert_eq!((status, body.contains("Minimum memory limit allowed is 6MB")), (400, true), "{body}");
    let r = d.docker(&["run", "--rm", "--restart", "always", "busybox", "true"]);
    assert!(r.code != 0, "--rm with a restart policy is refused");
    // --rm leaves nothing: no container, no mount.
    assert_eq!(d.docker(&["ps", "-aq", "--filter", "status=exited"]).ok(), "");
    assert!(mounts_under(d.dir.path()).is_empty(), "{:?}", mounts_under(d.dir.path()));
}

#[test]
fn containers_are_isolated_with_dockers_default_security() {
    let d = daemon_with_busybox();
    let script = "echo pid1=$(cat /proc/1/comm); grep CapEff /proc/self/status; hostname; \
                  cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | tr '\\n' ,; echo; \
                  head -c 10 /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable || echo sys-ro; \
                  ls /dev | tr '\\n' ' '; echo; mount | grep -c ' / ' ";
    let out = d.docker(&["run", "--rm", "--name", "iso", "busybox", "sh", "-c", script]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "pid1=sh", "the command is PID 1 of its own PID namespace: {out}");
    assert_eq!(lines[1], "CapEff:\t00000000a80425fb", "Docker's 14 default capabilities: {out}");
    assert_eq!(lines[2].len(), 12, "hostname is the short ID: {out}");
    assert_eq!(lines[3], "lo,", "only loopback in its network namespace: {out}");
    assert_eq!(lines[4], "0", "/proc/kcore is masked: {out}");
    assert_eq!(lines[5], "sys-ro", "/proc/sys is read-only: {out}");
    for dev in ["null", "zero", "random", "urandom", "tty", "full", "pts", "shm"] {
        assert!(lines[6].split(' ').any(|x| x == dev), "/dev/{dev} missing: {}", lines[6]);
    }
    // Privileges and limits on request.
    let out = d.docker(&["run", "--rm", "--cap-drop", "ALL", "--cap-add", "CHOWN", "busybox", "grep", "CapEff", "/proc/self/status"]).ok().to_string();
    assert_eq!(out.trim(), "CapEff:\t0000000000000001");
    let r = d.docker(&["run", "--rm", "--read-only", "busybox", "touch", "/file"]);
    assert!(r.code != 0 && r.stderr.contains("Read-only file system"), "{}", r.stderr);
    let out = d.docker(&["run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c", "touch /scratch/f && echo ok"]).ok().to_string();
    assert_eq!(out.trim(), "ok");
    let out = d.docker(&["run", "--rm", "--network", "host", "busybox", "sh", "-c", "cat /proc/net/dev | wc -l"]).ok().trim().parse::<usize>().unwrap();
    assert!(out > 3, "the host's interfaces are visible with --network host");
    let out = d.docker(&["run", "--rm", "--pids-limit", "20", "--memory", "32m", "busybox", "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"]).ok().to_string();
    assert_eq!(out, "20\n33554432\n");
    // ... which the container cannot lift: its cgroup hierarchies are read-only.
    for flags in [&[][..], &["--security-opt", "seccomp=unconfined"][..]] {
        let mut args = vec!["run", "--rm", "--pids-limit", "20"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "sh", "-c", "for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -e $f ] && { echo max > $f && echo raised || echo refused; }; done; mkdir /sys/fs/cgroup/x 2>/dev/null && echo made; true"]);
        assert_eq!(d.docker(&args).ok(), "refused\n", "{flags:?}");
    }
    let out = d.docker(&["run", "--rm", "--privileged", "busybox", "sh", "-c", "grep CapEff /proc/self/status; head -c 1 /proc/kcore | wc -c"]).ok().to_string();
    assert!(!out.contains("00000000a80425fb"), "privileged gets more capabilities: {out}");
    // ... and the host's device nodes.
    use std::os::unix::fs::FileTypeExt;
    let host_nodes: Vec<String> = std::fs::read_dir("/dev").unwrap().flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_block_device() || t.is_char_device())).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n != "console").collect();
    let seen = d.docker(&["run", "--rm", "--privileged", "busybox", "ls", "/dev"]).ok().to_string();
    let seen: Vec<&str> = seen.lines().collect();
    let missing: Vec<&String> = host_nodes.iter().filter(|n| !seen.contains(&n.as_str())).collect();
    assert!(missing.is_empty(), "host devices missing in a privileged container: {missing:?}");
    // A --device the privileged container already has is not made twice.
    if let Some(dev) = host_nodes.iter().find(|n| !["null", "zero", "full", "random", "urandom", "tty", "ptmx"].contains(&n.as_str())) {
        let path = format!("/dev/{dev}");
        assert_eq!(d.docker(&["run", "--rm", "--privileged", "--device", &path, "busybox", "ls", &path]).ok().trim(), path);
    }
    let out = d.docker(&["run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status"]).ok().to_string();
    assert_eq!(out.trim(), "NoNewPrivs:\t1");
    if std::path::Path::new("/sys/fs/cgroup/memory/memory.oom_control").exists() {
        // cgroup v1 only: v2 has no such switch (dockerd ignores the flag there too).
        let out = d.docker(&["run", "--rm", "-m", "64m", "--oom-kill-disable", "busybox", "head", "-1", "/sys/fs/cgroup/memory/memory.oom_control"]).ok().to_string();
        assert_eq!(out.trim(), "oom_kill_disable 1");
        let r = d.docker(&["run", "--rm", "--oom-kill-disable", "busybox", "true"]);
        assert!(r.stderr.contains("OOM killer is disabled for the container, but no memory limit is set"), "dockerd's warning: {}", r.stderr);
    }
    // The host's resolvers (loopback ones are unreachable from the container's network).
    let host_ns: Vec<String> = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default().lines().filter_map(|l| l.strip_prefix("nameserver ")).map(|a| a.trim().to_string()).filter(|a| !a.starts_with("127.") && a != "::1").collect();
    let resolv = d.docker(&["run", "--rm", "busybox", "cat", "/etc/resolv.conf"]).ok().to_string();
    let want: Vec<String> = if host_ns.is_empty() { vec!["8.8.8.8".into(), "8.8.4.4".into()] } else { host_ns };
    let got: Vec<String> = resolv.lines().filter_map(|l| l.strip_prefix("nameserver ")).map(String::from).collect();
    assert_eq!(got, want, "{resolv}");
    let resolv = d.docker(&["run", "--rm", "--dns", "192.0.2.1", "--dns-search", "example.test", "busybox", "cat", "/etc/resolv.conf"]).ok().to_string();
    assert!(resolv.starts_with("nameserver 192.0.2.1\nsearch example.test\n"), "{resolv}");
    let out = d.docker(&["run", "--rm", "--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"]).ok().to_string();
    assert_eq!(out, "100\n200\n");
    let out = d.docker(&["run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward"]).ok().to_string();
    assert_eq!(out.trim(), "1");
    let out = d.docker(&["run", "--rm", "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c", "echo x > /dev/mynull && echo written"]).ok().to_string();
    assert_eq!(out.trim(), "written");
    assert!(mounts_under(d.dir.path()).is_empty());
    assert!(cgroups_left(&d.cgroup_parent).is_empty(), "cgroups left: {:?}", cgroups_left(&d.cgroup_parent));
}

#[test]
fn seccomp_filters_system_calls_like_dockers_default_profile() {
    let d = daemon_with_busybox();
    // Default: filtered (mode 2), namespaces and mounts refused, ordinary forks and waits
    // fine, and no signal blocked or ignored behind the process's back.
    let script = "grep -E '^(Seccomp|SigBlk|SigIgn):' /proc/self/status; true & wait; echo forked; \
                  unshare -m true 2>/dev/null || echo unshare-denied; \
                  mkdir /m; mount -t tmpfs t /m 2>/dev/null || echo mount-denied";
    let out = d.docker(&["run", "--rm", "busybox", "sh", "-c", script]).ok().to_string();
    assert_eq!(
        out,
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSeccomp:\t2\nforked\nunshare-denied\nmount-denied\n",
    );
    // Processes started by exec are under the same filter.
    d.docker(&["run", "-d", "--name", "filtered", "busybox", "sleep", "300"]).ok();
    let out = d.docker(&["exec", "filtered", "sh", "-c", "grep '^Seccomp:' /proc/self/status; unshare -m true 2>/dev/null || echo denied"]).ok().to_string();
    assert_eq!(out, "Seccomp:\t2\ndenied\n");
    d.docker(&["rm", "-f", "filtered"]).ok();
    // unconfined and privileged containers are not filtered; CAP_SYS_ADMIN lifts the
    // profile's namespace rules.
    for flags in [&["--security-opt", "seccomp=unconfined"][..], &["--privileged"][..]] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "grep", "^Seccomp:", "/proc/self/status"]);
        assert_eq!(d.docker(&args).ok(), "Seccomp:\t0\n", "{flags:?}");
    }
    let out = d.docker(&["run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "sh", "-c", "unshare -m true && echo allowed"]).ok().to_string();
    assert_eq!(out, "allowed\n");
    // A profile of one's own, read from a file by the CLI.
    let profile = d.dir.path().join("deny-mkdir.json");
    std::fs::write(&profile, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#).unwrap();
    let opt = format!("seccomp={}", profile.display());
    let r = d.docker(&["run", "--rm", "--security-opt", &opt, "busybox", "mkdir", "/newdir"]);
    assert!(r.code != 0 && r.stderr.contains("Operation not permitted"), "{} {}", r.code, r.stderr);
    std::fs::write(&profile, r#"{"defaultAction":"SCMP_ACT_BOGUS"}"#).unwrap();
    let r = d.docker(&["run", "--rm", "--security-opt", &opt, "busybox", "true"]);
    assert!(r.code == 125 && r.stderr.contains("SCMP_ACT_BOGUS"), "{} {}", r.code, r.stderr);
    assert_eq!(d.docker(&["ps", "-aq"]).ok(), "", "nothing half-created");
}

#[test]
fn another_oci_runtime_runs_the_same_bundle() {
    let d = daemon_with_busybox();
    // runc (Debian's package) on PATH, chosen per container.
    let id = d.docker(&["run", "-d", "--runtime", "runc", "busybox", "sleep", "300"]).ok().trim().to_string();
    let root = d.dir.path().join("exec/oci");
    let list = run(std::process::Command::new("runc").arg("--root").arg(&root).args(["list", "-q"]), None);
    assert!(list.ok().lines().any(|l| l == id), "runc runs it: {}", list.stdout);
    assert_eq!(d.docker(&["inspect", "-f", "{{.HostConfig.Runtime}}", &id]).ok().trim(), "runc");
    let out = d.docker(&["exec", &id, "sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; echo $(cat /proc/1/comm)"]).ok().to_string();
    assert_eq!(out, "CapEff:\t00000000a80425fb\nSeccomp:\t2\nsleep\n");
    let r = d.docker(&["run", "--rm", "--runtime", "runc", "busybox", "sh", "-c", "exit 5"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    d.docker(&["rm", "-f", &id]).ok();
    let r = d.docker(&["run", "--rm", "--runtime", "nosuch", "busybox", "true"]);
    assert!(r.code == 125 && r.stderr.contains("unknown or invalid runtime name: nosuch"), "{}", r.stderr);
    assert_eq!(d.docker(&["ps", "-aq"]).ok(), "", "nothing half-created");
    assert_eq!(d.docker(&["run", "--rm", "busybox", "true"]).code, 0);

    // A runtime of one's own in daemon.json, with arguments, made the default: a wrapper
    // that notes its command lines and runs runc.
    let runc = d.dir.path().join("noting-runc");
    let noted = d.dir.path().join("runtime-calls");
    std::fs::write(&runc, format!("#!/bin/sh\necho \"$@\" >> {}\nexec runc \"$@\"\n", noted.display())).unwrap();
    run(std::process::Command::new("chmod").arg("755").arg(&runc), None).ok();
    let runc = runc.display().to_string();
    let cfg = serde_json::json!({"default-runtime": "debugrunc", "runtimes": {"debugrunc": {"path": runc, "runtimeArgs": ["--debug"]}}});
    std::fs::write(d.dir.path().join("daemon.json"), cfg.to_string()).unwrap();
    let mut d = d;
    d.restart();
    let info: serde_json::Value = serde_json::from_str(&d.http("GET", "/info", b"").1).unwrap();
    assert_eq!(info["DefaultRuntime"], "debugrunc");
    assert_eq!(info["Runtimes"]["debugrunc"], serde_json::json!({"path": runc, "runtimeArgs": ["--debug"]}));
    let id = d.docker(&["run", "-d", "busybox", "sleep", "300"]).ok().trim().to_string();
    assert_eq!(d.docker(&["inspect", "-f", "{{.HostConfig.Runtime}}", &id]).ok().trim(), "debugrunc");
    let list = run(std::process::Command::new("runc").arg("--root").arg(&root).args(["list", "-q"]), None);
    assert!(list.ok().lines().any(|l| l == id), "runc runs it: {}", list.stdout);
    let calls = std::fs::read_to_string(&noted).unwrap_or_default();
    assert!(calls.lines().any(|l| l.starts_with("--debug ") && l.contains(" create ")), "runtimeArgs reach the runtime: {calls}");
    d.docker(&["rm", "-f", &id]).ok();
    assert!(mounts_under(d.dir.path()).is_empty());
    assert!(cgroups_left(&d.cgroup_parent).is_empty(), "{:?}", cgroups_left(&d.cgroup_parent));
}

#[test]
fn userns_remap_runs_containers_as_unprivileged_host_users() {
    let d = Daemon::start_with(&["--userns-remap", "default"]);
    d.import_busybox("busybox");
    // `default` gave the user dockremap a range, as dockerd does.
    let subuid = std::fs::read_to_string(d.dir.path().join("subuid")).unwrap();
    assert_eq!(subuid, "dockremap:100000:65536\n");
    assert!(d.docker(&["info", "--format", "{{.SecurityOptions}}"]).ok().contains("name=userns"));
    // Root in the container is 100000 outside; the image's files (shared with other
    // containers, not copied) look root-owned inside, and root can write anywhere.
    let id = d.docker(&["run", "-d", "busybox", "sh", "-c", "touch /made-by-root /etc/also; exec sleep 300"]).ok().trim().to_string();
    let out = d.docker(&["exec", &id, "sh", "-c", "cat /proc/self/uid_map | tr -s ' '; id -u; stat -c %u /bin/sh /etc/hosts; echo x >> /etc/hosts && echo hosts-writable"]).ok().to_string();
    assert_eq!(out, " 0 100000 65536\n0\n0\n0\nhosts-writable\n");
    let pid = d.docker(&["inspect", "-f", "{{.State.Pid}}", &id]).ok().trim().to_string();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.lines().any(|l| l.starts_with("Uid:") && l.contains("100000")), "{status}");
    let made = d.data_root().join("containers").join(&id).join("diff/made-by-root");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&made).unwrap()), 100000);
    // exec'd processes, users and the default security stay as without remapping.
    let out = d.docker(&["exec", "-u", "nobody", &id, "sh", "-c", "id -u; grep -E '^(CapEff|Seccomp):' /proc/self/status"]).ok().to_string();
    assert_eq!(out, "65534\nCapEff:\t0000000000000000\nSeccomp:\t2\n");
    d.docker(&["rm", "-f", &id]).ok();
    // Opting out, and what cannot be combined with remapping.
    let out = d.docker(&["run", "--rm", "--userns", "host", "busybox", "sh", "-c", "cat /proc/self/uid_map | tr -s ' '"]).ok().to_string();
    assert_eq!(out, " 0 0 4294967295\n");
    let r = d.docker(&["run", "--rm", "--privileged", "busybox", "true"]);
    assert!(r.stderr.contains("privileged mode is incompatible with user namespaces"), "{}", r.stderr);
    let r = d.docker(&["run", "--rm", "--network", "host", "busybox", "true"]);
    assert!(r.stderr.contains("cannot share the host's network namespace"), "{}", r.stderr);
    assert_eq!(d.docker(&["ps", "-aq"]).ok(), "");
    assert!(mounts_under(d.dir.path()).is_empty(), "{:?}", mounts_under(d.dir.path()));
    assert!(cgroups_left(&d.cgroup_parent).is_empty(), "{:?}", cgroups_left(&d.cgroup_parent));
}

#[test]
fn detached_containers_go_through_their_lifecycle() {
    let d = daemon_with_busybox();
    let id = d
        .docker(&["run", "-d", "--name", "web", "-l", "tier=front", "--stop-timeout", "5", "busybox", "sh", "-c", "trap 'echo got TERM; exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"])
        .ok()
        .trim()
        .to_string();
    assert_eq!(id.len(), 64);
    let ps = d.docker(&["ps", "--format", "{{.Names}} {{.Status}} {{.Label \"tier\"}}"]).ok().to_string();
    assert!(ps.starts_with("web Up ") && ps.trim().ends_with("front"), "{ps}");
    wait_for("output", Duration::from_secs(5), || d.docker(&["logs", "web"]).stdout.contains("tick 3"));
    let tail = d.docker(&["logs", "--tail", "1", "web"]).ok().to_string();
    assert_eq!(tail.lines().count(), 1, "{tail}");
    let ts = d.docker(&["logs", "-t", "--tail", "1", "web"]).ok().to_string();
    assert!(ts.starts_with("20") && ts.contains("Z tick"), "{ts}");
    let v: serde_json::Value = serde_json::from_str(d.docker(&["inspect", "web"]).ok()).unwrap();
    let c = &v[0];
    assert_eq!(c["State"]["Status"], "running");
    assert!(c["State"]["Pid"].as_i64().unwrap() > 0);
    assert_eq!(c["Name"], "/web");
    assert_eq!(c["Config"]["Labels"]["tier"], "front");
    assert_eq!(c["HostConfig"]["NetworkMode"], "bridge");
    // pause / unpause freeze and thaw it.
    d.docker(&["pause", "web"]).ok();
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", "web"]).ok().trim(), "paused");
    let before = d.docker(&["logs", "web"]).stdout.lines().count();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(d.docker(&["logs", "web"]).stdout.lines().count(), before, "no output while paused");
    d.docker(&["unpause", "web"]).ok();
    // stop sends the signal and the container exits by itself.
    let t = Instant::now();
    d.docker(&["stop", "web"]).ok();
    assert!(t.elapsed() < Duration::from_secs(4), "the trap ends it long before the timeout");
    assert!(d.docker(&["logs", "web"]).stdout.contains("got TERM"));
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"]).ok().trim(), "exited 0");
    let ps = d.docker(&["ps", "-a", "--filter", "exited=0", "--format", "{{.Names}}: {{.Status}}"]).ok().to_string();
    assert!(ps.starts_with("web: Exited (0) "), "{ps}");
    // restart, rename, kill, wait, rm.
    d.docker(&["restart", "web"]).ok();
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", "web"]).ok().trim(), "running");
    d.docker(&["rename", "web", "site"]).ok();
    let waiter = std::process::Command::new("docker").args(["-H", &d.host(), "wait", "site"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    d.docker(&["kill", "site"]).ok();
    let out = waiter.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "137");
    let r = d.docker(&["kill", "site"]);
    assert!(r.err().contains("is not running"), "{}", r.stderr);
    d.docker(&["run", "-d", "--name", "other", "busybox", "sleep", "60"]).ok();
    let r = d.docker(&["rm", "other"]);
    assert!(r.err().contains("container is running"), "{}", r.stderr);
    d.docker(&["rm", "-f", "other"]).ok();
    let out = d.docker(&["container", "prune", "-f"]).ok().to_string();
    assert!(out.contains(&id), "{out}");
    // The whole story in the event stream, with the Go field names templates use.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 1;
    let evs = d
        .berth(&["events", "--since", "0", "--until", &now.to_string(), "--filter", &format!("container={id}"), "--format", "{{.Status}} {{.Action}} {{.Actor.Attributes.name}} {{if gt .TimeNano .Time}}ns{{end}} {{.ID}}"])
        .ok()
        .to_string();
    let actions: Vec<&str> = evs.lines().map(|l| l.split(' ').nth(1).unwrap_or("")).collect();
    for want in ["create", "start", "pause", "unpause", "kill", "die", "stop", "restart", "rename", "destroy"] {
        assert!(actions.contains(&want), "no {want} event in {evs}");
    }
    assert!(evs.lines().all(|l| l.contains(" ns ") && l.ends_with(&id)), "{evs}");
    assert_eq!(d.docker(&["ps", "-aq"]).ok(), "");
    assert!(mounts_under(d.dir.path()).is_empty());
    assert!(cgroups_left(&d.cgroup_parent).is_empty(), "{:?}", cgroups_left(&d.cgroup_parent));
}

#[test]
fn exec_runs_processes_in_a_running_container() {
    let d = daemon_with_busybox();
    d.docker(&["run", "-d", "--name", "box", "-e", "GREETING=hi", "--ulimit", "nofile=512:1024", "busybox", "sleep", "300"]).ok();
    // An exec'd process has the container's resource limits.
    assert_eq!(d.docker(&["exec", "box", "sh", "-c", "echo $(ulimit -n) $(ulimit -Hn)"]).ok().trim(), "512 1024");
    assert_eq!(d.docker(&["exec", "box", "sh", "-c", "echo $GREETING from $(hostname)"]).ok().trim(), format!("hi from {}", &d.docker(&["inspect", "-f", "{{.Id}}", "box"]).stdout[..12]));
    assert_eq!(d.docker(&["exec", "box", "sh", "-c", "exit 42"]).code, 42);
    assert_eq!(d.docker(&["exec", "-u", "nobody", "-w", "/tmp", "-e", "X=1", "box", "sh", "-c", "echo $(id -u) $(pwd) $X"]).ok().trim(), "65534 /tmp 1");
    assert_eq!(d.docker_in(&["exec", "-i", "box", "cat"], Some(b"through stdin")).ok(), "through stdin");
    let r = d.docker(&["exec", "box", "nosuch"]);
    assert_eq!(r.code, 127, "{} {}", r.stdout, r.stderr);
    assert!(format!("{}{}", r.stdout, r.stderr).contains("executable file not found"), "{} {}", r.stdout, r.stderr);
    // The exec's processes share the container's PID namespace.
    let ps = d.docker(&["exec", "box", "ps"]).ok().to_string();
    assert!(ps.contains("sleep 300"), "{ps}");
    let top = d.docker(&["top", "box"]).ok().to_string();
    assert!(top.lines().next().unwrap().contains("PID") && top.contains("sleep 300"), "{top}");
    d.docker(&["exec", "-d", "box", "sh", "-c", "echo detached > /tmp/mark"]).ok();
    wait_for("the detached exec", Duration::from_secs(5), || d.docker(&["exec", "box", "cat", "/tmp/mark"]).stdout.trim() == "detached");
    // A user added in the running container (its writable layer) is known to exec -u.
    d.docker(&["exec", "box", "sh", "-c", "echo 'late:x:4321:4321::/home/late:/bin/sh' >> /etc/passwd"]).ok();
    assert_eq!(d.docker(&["exec", "-u", "late", "box", "sh", "-c", "echo $(id -u) $HOME"]).ok().trim(), "4321 /home/late");
    // The container's root filesystem is mounted in the shim's mount namespace only: the
    // host's mount table does not grow with the containers running.
    assert_eq!(mounts_under(&d.data_root()), Vec::<String>::new());
    let root_ls = d.docker(&["exec", "box", "ls", "/"]).ok().to_string();
    assert!(root_ls.contains("bin") && root_ls.contains("etc"), "{root_ls}");
    let stats = d.docker(&["stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "box"]).ok().to_string();
    assert!(stats.starts_with("box "), "{stats}");
    d.docker(&["stop", "-t", "1", "box"]).ok();
    let r = d.docker(&["exec", "box", "true"]);
    assert!(r.err().contains("is not running"), "{}", r.stderr);
}

#[test]
fn update_changes_only_the_limits_given() {
    let d = daemon_with_busybox();
    let limits = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; \
                  cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max; \
                  cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max";
    d.docker(&["run", "-d", "--name", "lim", "--cpus", "0.5", "-m", "64m", "--restart", "on-failure:3", "busybox", "sleep", "300"]).ok();
    let before: Vec<String> = d.docker(&["exec", "lim", "sh", "-c", limits]).ok().lines().map(String::from).collect();
    assert_eq!(before[0], "67108864");
    assert!(before[1].starts_with("50000"), "{before:?}");
    // The docker CLI sends zero for every flag not given: those must change nothing.
    d.docker(&["update", "--memory", "128m", "--memory-swap", "256m", "lim"]).ok();
    let after: Vec<String> = d.docker(&["exec", "lim", "sh", "-c", limits]).ok().lines().map(String::from).collect();
    assert_eq!(after[0], "134217728");
    assert_eq!(after[1], before[1], "the CPU quota is kept");
    assert_eq!(
        d.docker(&["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}", "lim"]).ok().trim(),
        "134217728 268435456 500000000 on-failure"
    );
    d.docker(&["update", "--pids-limit", "30", "--restart", "always", "lim"]).ok();
    let pids = d.docker(&["exec", "lim", "sh", "-c", limits]).ok().lines().nth(2).unwrap_or_default().to_string();
    assert_eq!(pids, "30");
    assert_eq!(d.docker(&["inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.PidsLimit}}", "lim"]).ok().trim(), "always 30");
    // dockerd's conflicts: --cpus is set, so the CFS quota cannot be changed separately.
    let r = d.docker(&["update", "--cpu-quota", "20000", "lim"]);
    assert!(r.err().contains("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set"), "{}", r.stderr);
    let r = d.docker(&["update", "--memory", "512m", "lim"]);
    assert!(r.err().contains("Memory limit should be smaller than already set memoryswap limit"), "{}", r.stderr);
    assert_eq!(d.docker(&["inspect", "-f", "{{.HostConfig.Memory}}", "lim"]).ok().trim(), "134217728", "a refused update changes nothing");
    d.docker(&["rm", "-f", "lim"]).ok();
}

#[test]
fn restart_policies_and_health_checks() {
    let d = daemon_with_busybox();
    d.docker(&["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"]).ok();
    wait_for("two restarts", Duration::from_secs(15), || {
        d.docker(&["inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "flaky"]).stdout.trim() == "2 exited"
    });
    assert_eq!(d.docker(&["logs", "flaky"]).stdout.matches("run").count(), 3);
    d.docker(&["run", "-d", "--name", "always", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2"]).ok();
    wait_for("a restart", Duration::from_secs(10), || d.docker(&["inspect", "-f", "{{.RestartCount}}", "always"]).stdout.trim().parse::<i64>().unwrap_or(0) >= 1);
    d.docker(&["stop", "always"]).ok();
    let n = d.docker(&["inspect", "-f", "{{.RestartCount}}", "always"]).ok().trim().to_string();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(d.docker(&["inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "always"]).ok().trim(), format!("{n} exited"), "stop ends restarts");

    d.docker(&["run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms", "--health-retries", "2", "busybox", "sh", "-c", "touch /tmp/ok; sleep 300"]).ok();
    wait_for("healthy", Duration::from_secs(10), || d.docker(&["inspect", "-f", "{{.State.Health.Status}}", "hc"]).stdout.trim() == "healthy");
    assert!(d.docker(&["ps", "--format", "{{.Status}}"]).ok().contains("(healthy)"));
    d.docker(&["exec", "hc", "rm", "/tmp/ok"]).ok();
    wait_for("unhealthy", Duration::from_secs(10), || d.docker(&["inspect", "-f", "{{.State.Health.Status}}", "hc"]).stdout.trim() == "unhealthy");
    let streak = d.docker(&["inspect", "-f", "{{.State.Health.FailingStreak}}", "hc"]).ok().trim().parse::<i64>().unwrap();
    assert!(streak >= 2);
    assert_eq!(d.docker(&["ps", "-q", "--filter", "health=unhealthy"]).ok().lines().count(), 1);
}

#[test]
fn containers_survive_a_daemon_crash() {
    let mut d = daemon_with_busybox();
    d.docker(&["run", "-d", "--name", "survivor", "busybox", "sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"]).ok();
    d.docker(&["run", "-d", "--name", "ender", "busybox", "sh", "-c", "sleep 1; exit 9"]).ok();
    let pid = d.docker(&["inspect", "-f", "{{.State.Pid}}", "survivor"]).ok().trim().to_string();
    d.kill9();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "the container kept running without berthd");
    d.respawn();
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "survivor"]).ok().trim(), format!("running {pid}"));
    // Output written while berthd was down is in the log, without gaps.
    let logs = d.docker(&["logs", "survivor"]).ok().to_string();
    let nums: Vec<i64> = logs.lines().filter_map(|l| l.strip_prefix("line ")?.parse().ok()).collect();
    assert!(nums.len() >= 15, "{logs}");
    assert!(nums.windows(2).all(|w| w[1] == w[0] + 1), "no line lost");
    // The container that ended meanwhile has its exit code.
    wait_for("ender's exit", Duration::from_secs(5), || d.docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ender"]).stdout.trim() == "exited 9");
    assert_eq!(d.docker(&["exec", "survivor", "echo", "still here"]).ok().trim(), "still here");
    d.docker(&["stop", "-t", "1", "survivor"]).ok();
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", "survivor"]).ok().trim(), "exited");
    assert!(mounts_under(d.dir.path()).is_empty());
}

#[test]
fn restart_policies_apply_when_berthd_starts() {
    let mut d = daemon_with_busybox();
    for (name, policy) in [("always", "always"), ("unless", "unless-stopped"), ("stopped", "unless-stopped"), ("never", "no")] {
        d.docker(&["run", "-d", "--name", name, "--restart", policy, "busybox", "sleep", "300"]).ok();
    }
    d.docker(&["stop", "-t", "0", "stopped"]).ok();
    // A host that goes down takes berthd, the shims and the containers with it.
    let running: Vec<(String, String)> = ["always", "unless", "never"].iter().map(|n| {
        let v = d.docker(&["inspect", "-f", "{{.Id}} {{.State.Pid}}", n]).ok().trim().to_string();
        let (id, pid) = v.split_once(' ').unwrap();
        (id.to_string(), pid.to_string())
    }).collect();
    d.kill9();
    for (id, pid) in &running {
        let shims = run(std::process::Command::new("pgrep").args(["-f", &format!("berth-shim --id {id}")]), None).stdout;
        for p in shims.split_whitespace().chain(std::iter::once(pid.as_str())) {
            run(std::process::Command::new("kill").args(["-9", p]), None);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    d.respawn();
    wait_for("the restarted containers", Duration::from_secs(10), || {
        ["always", "unless"].iter().all(|n| d.docker(&["inspect", "-f", "{{.State.Status}}", n]).stdout.trim() == "running")
    });
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", "stopped"]).ok().trim(), "exited", "stopped by hand: stays stopped");
    assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", "never"]).ok().trim(), "exited", "no policy: stays down");
    assert_eq!(d.docker(&["exec", "always", "echo", "back"]).ok(), "back\n");
    d.docker(&["rm", "-f", "always", "unless", "stopped", "never"]).ok();
    assert!(cgroups_left(&d.cgroup_parent).is_empty(), "{:?}", cgroups_left(&d.cgroup_parent));
}

#[test]
fn images_in_use_cannot_be_removed() {
    let d = daemon_with_busybox();
    d.docker(&["create", "--name", "user", "busybox"]).ok();
    let id = d.docker(&["inspect", "-f", "{{.Id}}", "busybox"]).ok().trim().to_string();
    let r = d.docker(&["rmi", &id]);
    assert!(r.err().contains("image is being used by stopped container"), "{}", r.stderr);
    d.docker(&["run", "-d", "--name", "runner", "busybox", "sleep", "60"]).ok();
    let r = d.docker(&["rmi", "-f", &id]);
    assert!(r.err().contains("image is being used by running container"), "{}", r.stderr);
    d.docker(&["rm", "-f", "runner", "user"]).ok();
    d.docker(&["rmi", "busybox"]).ok();
}

#[test]
fn terminals_resize_detach_and_reattach() {
    let d = daemon_with_busybox();
    let secs = Duration::from_secs(10);
    for cli in ["berth", "docker"] {
        // run -it: the terminal's size from the first moment, resizes followed, the exit
        // code of the shell.
        let mut t = Terminal::spawn(&mut d.command(cli, &["run", "-it", "--rm", "busybox", "sh"]), 30, 100);
        t.expect("/ # ", secs);
        t.send(b"stty size; tty\r");
        t.expect("30 100\r\n/dev/pts/0", secs);
        t.resize(40, 120);
        std::thread::sleep(Duration::from_millis(300));
        t.send(b"stty size\r");
        t.expect("40 120", secs);
        t.send(b"exit 3\r");
        assert_eq!(t.wait(secs), 3, "{cli}");

        // Ctrl-P Ctrl-Q leaves the container running; attach finds the same shell.
        let name = format!("tty-{cli}");
        let mut t = Terminal::spawn(&mut d.command(cli, &["run", "-it", "--name", &name, "busybox", "sh"]), 30, 100);
        t.expect("/ # ", secs);
        t.send(b"X=kept\r");
        // Keys count as detach keys only when each comes alone, as typed.
        std::thread::sleep(Duration::from_millis(300));
        t.send(&[0x10]);
        std::thread::sleep(Duration::from_millis(100));
        t.send(&[0x11]);
        assert_eq!(t.wait(secs), 0, "{cli}: detached");
        assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", &name]).ok().trim(), "running");
        // An exec'd terminal is sized before its process runs.
        let t = Terminal::spawn(&mut d.command(cli, &["exec", "-it", &name, "sh", "-c", "stty size; tty; exit 4"]), 25, 90);
        t.expect("25 90\r\n/dev/pts/", secs);
        assert_eq!(t.wait(secs), 4, "{cli}: exec's exit code");
        let mut t = Terminal::spawn(&mut d.command(cli, &["attach", "--detach-keys", "ctrl-x", &name]), 30, 100);
        std::thread::sleep(Duration::from_millis(300));
        t.send(b"echo $X\r");
        t.expect("kept", secs);
        std::thread::sleep(Duration::from_millis(300));
        t.send(&[0x18]);
        t.wait(secs);
        assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}}", &name]).ok().trim(), "running", "{cli}: detached by ctrl-x");
        let mut t = Terminal::spawn(&mut d.command(cli, &["attach", &name]), 30, 100);
        std::thread::sleep(Duration::from_millis(300));
        t.send(b"exit 5\r");
        assert_eq!(t.wait(secs), 5, "{cli}: attach ends with the container");
        assert_eq!(d.docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", &name]).ok().trim(), "exited 5");
    }
    // An exec with a TTY into a container without one, through the API's resize.
    d.docker(&["run", "-d", "--name", "plain", "busybox", "sleep", "300"]).ok();
    let t = Terminal::spawn(&mut d.command("docker", &["exec", "-it", "plain", "sh", "-c", "stty size"]), 33, 77);
    t.expect("33 77", secs);
    assert_eq!(t.wait(secs), 0);
    d.docker(&["rm", "-f", "plain"]).ok();
}

#[test]
fn logs_follow_select_by_time_and_show_details() {
    let mut d = Daemon::start();
    // Log options of the daemon apply to every container on its driver (and its DNS
    // settings to every container without its own).
    std::fs::write(d.dir.path().join("daemon.json"), r#"{"log-opts":{"labels":"tier","env":"MODE"},"dns":["192.0.2.53"],"dns-search":["corp.test"]}"#).unwrap();
    d.restart();
    d.import_busybox("busybox");
    assert_eq!(d.docker(&["run", "--rm", "busybox", "cat", "/etc/resolv.conf"]).ok(), "nameserver 192.0.2.53\nsearch corp.test\n");
    assert_eq!(d.docker(&["run", "--rm", "--dns", "192.0.2.1", "busybox", "cat", "/etc/resolv.conf"]).ok(), "nameserver 192.0.2.1\nsearch corp.test\n");
    d.berth(&["run", "-d", "--name", "talk", "-l", "tier=front", "-e", "MODE=fast", "busybox", "sh", "-c", "echo one; sleep 1; echo two >&2; sleep 1; echo three"]).ok();
    // -f follows the output until the container ends, keeping the streams apart.
    for cli in ["docker", "berth"] {
        let f = if cli == "docker" { d.docker(&["logs", "-f", "talk"]) } else { d.berth(&["logs", "-f", "talk"]) };
        assert_eq!((f.code, f.stdout.as_str(), f.stderr.as_str()), (0, "one\nthree\n", "two\n"), "{cli}");
    }
    assert_eq!(d.docker(&["inspect", "-f", "{{json .HostConfig.LogConfig}}", "talk"]).ok().trim(), r#"{"Type":"json-file","Config":{"env":"MODE","labels":"tier"}}"#);
    let details = d.docker(&["logs", "--details", "talk"]);
    assert_eq!((details.stdout.as_str(), details.stderr.as_str()), ("MODE=fast,tier=front one\nMODE=fast,tier=front three\n", "MODE=fast,tier=front two\n"));
    assert_eq!(d.berth(&["logs", "--details", "--tail", "1", "talk"]).ok(), "MODE=fast,tier=front three\n");
    // --since and --until select by the times -t shows.
    let stamped = d.docker(&["logs", "-t", "talk"]);
    let two_at = stamped.stderr.split(' ').next().unwrap().to_string();
    assert!(stamped.stdout.lines().all(|l| l.ends_with(" one") || l.ends_with(" three")), "{}", stamped.stdout);
    let since = d.docker(&["logs", "--since", &two_at, "talk"]);
    assert_eq!((since.stdout.as_str(), since.stderr.as_str()), ("three\n", "two\n"));
    let until = d.docker(&["logs", "--until", &two_at, "talk"]);
    assert_eq!((until.stdout.as_str(), until.stderr.as_str()), ("one\n", ""));
    assert_eq!(d.docker(&["logs", "--tail", "0", "talk"]).ok(), "");
    // The tag option, a template over the container, is recorded too.
    d.docker(&["run", "--name", "tagged", "--log-opt", "tag={{.Name}}/{{.ImageName}}", "busybox", "echo", "hi"]).ok();
    assert_eq!(d.docker(&["logs", "--details", "tagged"]).ok(), "tag=tagged%2Fbusybox hi\n");
    // A container without a log cannot be read.
    d.docker(&["run", "--name", "mute", "--log-driver", "none", "busybox", "echo", "unseen"]).ok();
    assert!(d.docker(&["logs", "mute"]).err().contains("configured logging driver does not support reading"));
    let r = d.docker(&["run", "--rm", "--log-opt", "labels-regex=(", "busybox", "true"]);
    assert!(r.err().contains("labels-regex"), "{}", r.stderr);
}

#[test]
fn ps_lists_and_filters_like_docker() {
    let d = daemon_with_busybox();
    d.docker(&["run", "-d", "--name", "web", "-l", "tier=front", "busybox", "sleep", "300"]).ok();
    d.docker(&["run", "--name", "webapp", "busybox", "sh", "-c", "exit 3"]).code;
    d.docker(&["create", "--name", "db", "busybox"]).ok();
    let names = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["ps", "--format", "{{.Names}}"];
        a.extend_from_slice(args);
        d.docker(&a).ok().lines().map(String::from).collect()
    };
    assert_eq!(names(&[]), ["web"], "running ones only by default");
    assert_eq!(names(&["-a"]), ["db", "webapp", "web"], "newest first");
    // -n and -l take the newest in any state.
    assert_eq!(names(&["-n", "2"]), ["db", "webapp"]);
    assert_eq!(names(&["-l"]), ["db"]);
    assert_eq!(d.berth(&["ps", "-l", "--format", "{{.Names}}"]).ok(), "db\n");
    // Names match as regular expressions, as in dockerd.
    assert_eq!(names(&["-a", "--filter", "name=^web$"]), ["web"]);
    assert_eq!(names(&["-a", "--filter", "name=web"]), ["webapp", "web"]);
    assert_eq!(names(&["-a", "--filter", "status=created"]), ["db"]);
    assert_eq!(names(&["-a", "--filter", "exited=3"]), ["webapp"]);
    assert_eq!(names(&["-a", "--filter", "label=tier=front"]), ["web"]);
    assert_eq!(names(&["-a", "--filter", "ancestor=busybox", "--filter", "status=running"]), ["web"]);
    let id = d.docker(&["inspect", "-f", "{{.Id}}", "db"]).ok()[..10].to_string();
    assert_eq!(names(&["-a", "--filter", &format!("id={id}")]), ["db"]);
    assert!(d.docker(&["ps", "--filter", "status=bogus"]).err().contains("invalid filter 'status=bogus'"));
    let quiet = d.docker(&["ps", "-aq", "--no-trunc"]).ok().to_string();
    assert!(quiet.lines().all(|l| l.len() == 64) && quiet.lines().count() == 3, "{quiet}");
    let table = d.berth(&["ps", "-s"]).ok().to_string();
    assert!(table.lines().next().unwrap().ends_with("SIZE") && table.contains("(virtual "), "{table}");
    d.docker(&["rm", "-f", "web", "webapp", "db"]).ok();
}
