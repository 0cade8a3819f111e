//! The daemon itself: API basics, configuration, restarts and crashes.

use berth_tests::*;
use std::time::Duration;

#[test]
fn api_answers_ping_version_and_refuses_unsupported_versions() {
    let d = Daemon::start();
    let (status, body, headers) = d.http("GET", "/_ping", b"");
    assert_eq!((status, body.as_str()), (200, "OK"));
    let h = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(h("api-version"), "1.47");
    assert_eq!(h("ostype"), "linux");
    assert_eq!(h("cache-control"), "no-cache, no-store, must-revalidate");
    let (status, body, headers) = d.http("HEAD", "/v1.45/_ping", b"");
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(headers.iter().any(|(k, v)| k == "api-version" && v == "1.47"));
    for path in ["/version", "/v1.24/version", "/v1.47/version"] {
        let (status, body, _) = d.http("GET", path, b"");
        assert_eq!(status, 200, "{path}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["ApiVersion"], "1.47");
        assert_eq!(v["MinAPIVersion"], "1.24");
    }
    let (status, body, _) = d.http("GET", "/v9.99/version", b"");
    assert_eq!(status, 400);
    assert!(body.contains("client version 9.99 is too new. Maximum supported API version is 1.47"), "{body}");
    let (status, body, _) = d.http("GET", "/v1.12/version", b"");
    assert_eq!(status, 400);
    assert!(body.contains("too old"), "{body}");
    let (status, body, _) = d.http("GET", "/v1.47/nothing/here", b"");
    assert_eq!((status, body.trim()), (404, r#"{"message":"page not found"}"#));

    let v = d.docker(&["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"]).ok().to_string();
    assert_eq!(v.trim(), format!("{} 1.47", env!("CARGO_PKG_VERSION")));
    let v = d.berth(&["version"]).ok().to_string();
    assert!(v.contains("API version:      1.47 (minimum version 1.24)"), "{v}");
    d.import_busybox("bb");
    let info = d.docker(&["info", "--format", "{{.Images}} {{.Driver}} {{.OSType}} {{.DockerRootDir}}"]).ok().to_string();
    assert_eq!(info.trim(), format!("1 overlay2 linux {}", d.data_root().display()));
    let info = d.berth(&["info"]).ok().to_string();
    assert!(info.contains(" Images: 1\n") && info.contains(" Storage Driver: overlay2\n"), "{info}");
    let df = d.berth(&["system", "df"]).ok().to_string();
    let images_row = df.lines().nth(1).unwrap();
    assert!(images_row.starts_with("Images          1         0         "), "{df}");
    assert!(images_row.ends_with("(100%)"), "{df}");
    let df = d.docker(&["system", "df", "--format", "{{.Type}}={{.TotalCount}}"]).ok().to_string();
    assert!(df.starts_with("Images=1\n"), "{df}");
}

#[test]
fn socket_and_pidfile_are_guarded() {
    use std::os::unix::fs::PermissionsExt;
    let d = Daemon::start();
    let mode = std::fs::metadata(d.socket()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
    let pid: u32 = std::fs::read_to_string(d.dir.path().join("berthd.pid")).unwrap().trim().parse().unwrap();
    assert_eq!(pid, d.pid());
    // A second daemon on the same socket refuses to start and leaves the first alone.
    let r = run(
        std::process::Command::new(bin("berthd"))
            .arg("-H")
            .arg(d.host())
            .arg("--data-root")
            .arg(d.dir.path().join("data2"))
            .arg("--exec-root")
            .arg(d.dir.path().join("exec2"))
            .arg("--pidfile")
            .arg(d.dir.path().join("berthd2.pid"))
            .arg("--config-file")
            .arg(d.dir.path().join("none.json")),
        None,
    );
    assert!(r.err().contains("in use by another daemon"), "{}", r.stderr);
    d.berth(&["version"]).ok();
    let r = run(
        std::process::Command::new(bin("berthd"))
            .arg("-H")
            .arg(format!("unix://{}/other.sock", d.dir.path().display()))
            .arg("--data-root")
            .arg(d.dir.path().join("data3"))
            .arg("--pidfile")
            .arg(d.dir.path().join("berthd.pid"))
            .arg("--config-file")
            .arg(d.dir.path().join("none.json")),
        None,
    );
    assert!(r.err().contains("pid file found"), "{}", r.stderr);
}

#[test]
fn daemon_json_is_read_like_dockerds() {
    let dir = TempDir::new("cfg");
    let start = |json: &str, extra: &[&str]| {
        let cfg = dir.path().join("daemon.json");
        std::fs::write(&cfg, json).unwrap();
        let mut c = std::process::Command::new(bin("berthd"));
        c.arg("--config-file").arg(&cfg).arg("--pidfile").arg(dir.path().join("pid")).arg("--exec-root").arg(dir.path().join("exec"));
        c.args(extra);
        c
    };
    let r = run(&mut start(r#"{"data-rooot": "/x"}"#, &[]), None);
    assert!(r.err().contains("the following directives don't match any configuration option: data-rooot"), "{}", r.stderr);
    let data = dir.path().join("data");
    let json = format!(r#"{{"data-root": "{}", "hosts": ["unix://{}/s.sock"], "labels": ["tier=test"]}}"#, data.display(), dir.path().display());
    let r = run(&mut start(&json, &["--data-root", "/elsewhere"]), None);
    assert!(r.err().contains("specified both as a flag and in the configuration file: data-root"), "{}", r.stderr);
    let r = run(&mut start("{not json", &[]), None);
    assert!(r.err().contains("unable to configure the daemon"), "{}", r.stderr);
    // Defaults every container falls back on stop the daemon when bad, not each run.
    let data = dir.path().join("data");
    let with = |extra: &str| format!(r#"{{"data-root": "{}", "hosts": ["unix://{}/s.sock"], {extra}}}"#, data.display(), dir.path().display());
    for (extra, want) in [
        (r#""log-opts": {"max-size": "lots"}"#, "failed to set log opts: invalid max-size"),
        (r#""log-opts": {"colour": "blue"}"#, "unknown log opt 'colour' for json-file log driver"),
        (r#""log-driver": "syslog""#, "no log driver named 'syslog'"),
        (r#""default-runtime": "nosuch""#, "specified default runtime 'nosuch' does not exist"),
        (r#""runtimes": {"mine": {"runtimeArgs": ["--x"]}}"#, "runtime mine has no path"),
    ] {
        let r = run(&mut start(&with(extra), &[]), None);
        assert!(r.err().contains(want), "{extra}: {}", r.stderr);
    }
    let mut child = start(&json, &[]).stderr(std::process::Stdio::null()).spawn().unwrap();
    let sock = dir.path().join("s.sock");
    for _ in 0..200 {
        if std::os::unix::net::UnixStream::connect(&sock).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let host = format!("unix://{}", sock.display());
    let info = run(std::process::Command::new(bin("berth")).args(["-H", &host, "info", "--format", "{{json .Labels}} {{.DockerRootDir}}"]), None);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    assert_eq!(info.ok().trim(), format!(r#"["tier=test"] {}"#, data.display()));
    assert!(!sock.exists(), "the socket is removed on shutdown");
}

#[test]
fn restart_keeps_images_tags_and_layers() {
    let mut d = Daemon::start();
    let id = d.import_busybox("keep:1");
    d.berth(&["tag", "keep:1", "keep:2"]).ok();
    let before = d.berth(&["images", "--no-trunc"]).ok().to_string();
    d.restart();
    assert_eq!(d.berth(&["images", "--no-trunc"]).ok(), before);
    let saved = d.berth(&["save", "keep:2"]);
    saved.ok();
    assert!(saved.raw.len() > 1_000_000);
    assert_eq!(d.berth(&["inspect", "-f", "{{.Id}}", "keep:2"]).ok().trim(), id);
}

/// A layer big enough that an import takes a while.
fn big_tar(seed: u8) -> Vec<u8> {
    let mut t = Tar::default();
    let mut x: u32 = 0x9e37_79b9 ^ seed as u32;
    for i in 0..12 {
        let data: Vec<u8> = (0..2_000_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        t.file(&format!("blob{i}"), 0o644, &data);
    }
    t.finish()
}

#[test]
fn kill_9_during_imports_leaves_a_consistent_store() {
    let mut d = Daemon::start();
    let kept = d.import_busybox("kept:1");
    for round in 0..6u8 {
        let tar = big_tar(round);
        let mut child = std::process::Command::new(bin("berth"))
            .args(["-H", &d.host(), "import", "-", &format!("crash:{round}")])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&tar);
        });
        std::thread::sleep(Duration::from_millis(20 + 45 * round as u64));
        d.kill9();
        let _ = writer.join();
        let _ = child.wait();
        d.respawn();
        // Whatever happened, every image listed is whole: inspectable and savable.
        let ids = d.berth(&["images", "-q", "--no-trunc"]).ok().to_string();
        for id in ids.lines() {
            d.berth(&["inspect", id]).ok();
            let saved = d.berth(&["save", id]);
            assert_eq!(saved.code, 0, "round {round}: image {id} cannot be saved: {}", saved.stderr);
        }
        assert!(ids.contains(&kept), "round {round}: the older image survived");
        // No temporary files or orphan layers remain.
        let overlay: Vec<String> = std::fs::read_dir(d.data_root().join("overlay2"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == 64)
            .collect();
        let layers = d.berth(&["inspect", "-f", "{{len .RootFS.Layers}}", "kept:1"]).ok().trim().parse::<usize>().unwrap();
        assert!(overlay.len() <= ids.lines().count() * layers, "round {round}: orphan layer directories: {overlay:?}");
        let tmp = d.data_root().join("overlay2/tmp");
        assert!(!tmp.exists() || std::fs::read_dir(&tmp).unwrap().count() == 0, "round {round}: temporary layers left");
        assert_eq!(std::fs::read_dir(d.data_root().join("content/ingest")).unwrap().count(), 0);
    }
}
