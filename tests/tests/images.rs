//! Image management end to end, through `berth` and the real Docker CLI.

use berth_tests::*;
use serde_json::Value;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn import_with_changes_is_listed_inspected_and_has_history() {
    let d = Daemon::start();
    let tar = busybox_tar();
    let id = d
        .berth_in(
            &[
                "import", "-m", "first import", "-c", "CMD [\"sh\"]", "-c", "ENV A=1 B=two", "-c", "EXPOSE 80/tcp",
                "-c", "WORKDIR /srv", "-c", "LABEL team=core", "-c", "USER nobody", "-c", "VOLUME /data", "-c",
                "ENTRYPOINT [\"/bin/busybox\"]", "-", "bb:1.0",
            ],
            Some(&tar),
        )
        .ok()
        .trim()
        .to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "import prints the image ID: {id}");

    let out = d.berth(&["images"]).ok().to_string();
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("REPOSITORY   TAG       IMAGE ID       CREATED"), "{header}");
    let row = lines.next().unwrap();
    assert!(row.starts_with("bb           1.0       ") && row.contains(&id[7..19]), "{row}");
    assert!(row.ends_with("MB") || row.ends_with("kB"), "size column: {row}");
    // The real Docker CLI sees the same.
    let docker = d.docker(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]).ok().to_string();
    assert_eq!(docker.trim(), format!("bb:1.0 {}", &id[7..19]));

    let v = json(d.docker(&["image", "inspect", "bb:1.0"]).ok());
    let img = &v[0];
    assert_eq!(img["Id"], id.as_str());
    assert_eq!(img["RepoTags"], serde_json::json!(["bb:1.0"]));
    assert_eq!(img["Comment"], "first import");
    let c = &img["Config"];
    assert_eq!(c["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(c["Entrypoint"], serde_json::json!(["/bin/busybox"]));
    assert_eq!(c["Env"], serde_json::json!(["A=1", "B=two"]));
    assert_eq!(c["WorkingDir"], "/srv");
    assert_eq!(c["User"], "nobody");
    assert_eq!(c["Labels"]["team"], "core");
    assert!(c["ExposedPorts"]["80/tcp"].is_object());
    assert!(c["Volumes"]["/data"].is_object());
    assert_eq!(img["Os"], "linux");
    assert_eq!(img["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert_eq!(img["RootFS"]["Layers"][0], format!("sha256:{}", sha256_hex(&tar)).as_str(), "diff ID is the tar's sha256");

    let f = d.berth(&["inspect", "-f", "{{.Config.WorkingDir}} {{index .Config.Labels \"team\"}} {{json .Config.Cmd}}", "bb:1.0"]);
    assert_eq!(f.ok().trim(), "/srv core [\"sh\"]");

    let h = d.berth(&["history", "bb:1.0"]).ok().to_string();
    assert!(h.starts_with("IMAGE          CREATED"), "{h}");
    assert!(h.contains("first import") && h.contains(&id[7..19]), "{h}");
    let h = d.docker(&["history", "--format", "{{.Comment}}", "bb:1.0"]).ok().to_string();
    assert_eq!(h.trim(), "first import");
    let h = d.berth(&["history", "-q", "--no-trunc", "bb:1.0"]).ok().to_string();
    assert_eq!(h.trim(), id);
}

#[test]
fn import_reads_compressed_tarballs_urls_and_the_docker_cli() {
    let mut d = Daemon::start();
    let tar = busybox_tar();
    let diff = format!("sha256:{}", sha256_hex(&tar));
    let dir = TempDir::new("compress");
    let plain = dir.path().join("rootfs.tar");
    std::fs::write(&plain, &tar).unwrap();
    for (tool, ext) in [("gzip", "gz"), ("xz", "xz"), ("zstd", "zst")] {
        let st = std::process::Command::new(tool).args(["-q", "-k", "-f"]).arg(&plain).status();
        assert!(st.map(|s| s.success()).unwrap_or(false), "{tool} is needed for this test (installed by .ci/run)");
        let file = format!("{}.{ext}", plain.display());
        d.berth(&["import", &file, &format!("c:{ext}")]).ok();
        let layer = d.berth(&["inspect", "-f", "{{index .RootFS.Layers 0}}", &format!("c:{ext}")]).ok().trim().to_string();
        assert_eq!(layer, diff, "{tool}: the diff ID is the uncompressed tar's");
    }
    // The Docker CLI's import (file argument) works too.
    d.docker(&["import", plain.to_str().unwrap(), "viadocker:latest"]).ok();
    assert!(d.berth(&["images", "-q", "viadocker"]).ok().trim().len() == 12);

    // An http:// URL, served on loopback by this test.
    let (server, port) = serve(dir.path(), None);
    let url = format!("http://127.0.0.1:{port}/rootfs.tar.gz");
    d.berth(&["import", &url, "fromurl:v1"]).ok();
    let h = d.berth(&["history", "--format", "{{.Comment}}", "fromurl:v1"]).ok().to_string();
    assert_eq!(h.trim(), format!("Imported from {url}"));
    let missing = d.berth(&["import", &format!("http://127.0.0.1:{port}/nope.tar"), "x"]);
    assert!(missing.err().contains("404"), "{}", missing.stderr);
    drop(server);

    // An https:// URL: refused while its certificate is not trusted, imported once it is.
    // A CA of the test's own, and a certificate it signs for 127.0.0.1.
    let (ca, cert, key) = (dir.path().join("ca.pem"), dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(dir.path().join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    for args in [
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=berth-test-ca -keyout ca.key -out ca.pem",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out cert.pem",
    ] {
        let st = std::process::Command::new("openssl")
            .args(args.split(' '))
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "openssl {args}");
    }
    let (_server, port) = serve(dir.path(), Some((&cert, &key)));
    let url = format!("https://127.0.0.1:{port}/rootfs.tar.gz");
    let untrusted = d.berth(&["import", &url, "fromtls:v1"]);
    assert!(untrusted.code != 0 && untrusted.stderr.to_lowercase().contains("certificate"), "{}", untrusted.stderr);
    std::fs::copy(&ca, d.dir.path().join("ca.pem")).unwrap();
    d.restart();
    d.berth(&["import", &url, "fromtls:v1"]).ok();
    let h = d.berth(&["history", "--format", "{{.Comment}}", "fromtls:v1"]).ok().to_string();
    assert_eq!(h.trim(), format!("Imported from {url}"));
}

struct Guard(std::process::Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
/// Serves `dir` over HTTP on 127.0.0.1 (HTTPS with `tls`: certificate and key files);
/// returns the server, killed when dropped, and its port.
fn serve(dir: &std::path::Path, tls: Option<(&std::path::Path, &std::path::Path)>) -> (Guard, String) {
    let script = "import http.server, ssl, sys\n\
                  s = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n\
                  if len(sys.argv) > 2:\n\
                  \x20   c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])\n\
                  \x20   s.socket = c.wrap_socket(s.socket, server_side=True)\n\
                  print(s.server_address[1], flush=True); s.serve_forever()\n";
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c").arg(script);
    if let Some((cert, key)) = tls {
        cmd.arg(cert).arg(key);
    }
    let child = cmd.current_dir(dir).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let mut server = Guard(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.0.stdout.take().unwrap()), &mut line).unwrap();
    (server, line.trim().to_string())
}

#[test]
fn tag_and_rmi_follow_dockers_rules() {
    let d = Daemon::start();
    let id = d.import_busybox("busybox");
    d.berth(&["tag", "busybox", "me/app:v1"]).ok();
    d.docker(&["tag", "busybox:latest", "localhost:5000/app:v2"]).ok();
    let tags = d.berth(&["inspect", "-f", "{{join .RepoTags \",\"}}", &id]).ok().trim().to_string();
    assert_eq!(tags, "busybox:latest,localhost:5000/app:v2,me/app:v1");

    // By ID with references in several repositories: refused unless forced.
    let r = d.berth(&["rmi", &id[7..19]]);
    assert!(r.err().contains("must be forced") && r.stderr.contains("referenced in multiple repositories"), "{}", r.stderr);
    // By name: only that reference goes.
    let out = d.berth(&["rmi", "me/app:v1"]).ok().to_string();
    assert_eq!(out.trim(), "Untagged: me/app:v1");
    let out = d.docker(&["rmi", "localhost:5000/app:v2"]).ok().to_string();
    assert_eq!(out.trim(), "Untagged: localhost:5000/app:v2");
    // The last reference takes the image and its layer with it.
    let layers_before = std::fs::read_dir(d.data_root().join("overlay2")).unwrap().count();
    let out = d.berth(&["rmi", "busybox"]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Untagged: busybox:latest");
    assert_eq!(lines[1], format!("Deleted: {id}"));
    assert!(lines.len() == 3 && lines[2].starts_with("Deleted: sha256:"), "{out}");
    assert_eq!(std::fs::read_dir(d.data_root().join("overlay2")).unwrap().count(), layers_before - 1);
    assert_eq!(d.berth(&["images", "-q"]).ok(), "");

    // Forced removal by ID untags everything.
    let id = d.import_busybox("a:1");
    d.berth(&["tag", "a:1", "b:1"]).ok();
    let out = d.berth(&["rmi", "-f", &id]).ok().to_string();
    assert!(out.contains("Untagged: a:1") && out.contains("Untagged: b:1") && out.contains(&format!("Deleted: {id}")), "{out}");

    // Errors name the problem.
    let r = d.berth(&["rmi", "nosuch"]);
    assert_eq!(r.err().trim(), "Error response from daemon: No such image: nosuch:latest");
    let r = d.docker(&["rmi", "nosuch:1"]);
    assert!(r.err().contains("No such image: nosuch:1"), "{}", r.stderr);
    d.import_busybox("c:1");
    let r = d.berth(&["tag", "c:1", "Bad:Tag"]);
    assert!(r.err().contains("invalid reference format"), "{}", r.stderr);
    let r = d.berth(&["tag", "c:1", "x:bad tag"]);
    assert!(r.code != 0);
}

#[test]
fn prune_removes_dangling_then_everything_with_all() {
    let d = Daemon::start();
    d.import_busybox("keep:1");
    // Importing again under the same tag leaves the first image dangling... only if it
    // differs: import another tarball.
    let mut t = Tar::default();
    let other = t.file("hello", 0o644, b"hi").finish();
    let dangling = d.berth_in(&["import", "-"], Some(&other)).ok().trim().to_string();
    let listed = d.berth(&["images", "--filter", "dangling=true", "-q", "--no-trunc"]).ok().to_string();
    assert_eq!(listed.trim(), dangling);
    let out = d.berth(&["image", "prune", "-f"]).ok().to_string();
    assert!(out.contains(&format!("deleted: {dangling}")), "{out}");
    assert!(out.contains("Total reclaimed space: 2B"), "{out}");
    assert_eq!(d.berth(&["images", "-q"]).ok().lines().count(), 1);
    let out = d.docker(&["image", "prune", "-a", "-f"]).ok().to_string();
    assert!(out.contains("untagged: keep:1"), "{out}");
    assert_eq!(d.berth(&["images", "-q"]).ok(), "");
    let layers: Vec<_> = std::fs::read_dir(d.data_root().join("overlay2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 64)
        .collect();
    assert!(layers.is_empty(), "all layers are gone: {layers:?}");
    assert_eq!(std::fs::read_dir(d.data_root().join("overlay2/l")).unwrap().count(), 0);
}

#[test]
fn list_filters_and_formats_work_like_dockers() {
    let d = Daemon::start();
    let a = d.import_busybox("alpha:1");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut t = Tar::default();
    let small = t.file("x", 0o644, b"x").finish();
    let b = d.berth_in(&["import", "-c", "LABEL tier=web", "-", "beta:2"], Some(&small)).ok().trim().to_string();
    d.berth(&["tag", "beta:2", "beta:latest"]).ok();
    let q = |args: &[&str]| d.berth(args).ok().lines().map(String::from).collect::<Vec<_>>();
    assert_eq!(q(&["images", "-q"]), vec![b[7..19].to_string(), a[7..19].to_string()], "newest first, IDs once");
    assert_eq!(q(&["images", "--filter", "label=tier=web", "--format", "{{.Repository}}:{{.Tag}}"]), vec!["beta:2", "beta:latest"]);
    assert_eq!(q(&["images", "--filter", "reference=al*", "--format", "{{.Repository}}"]), vec!["alpha"]);
    assert_eq!(q(&["images", "beta:l*", "--format", "{{.Tag}}"]), vec!["latest"]);
    assert_eq!(q(&["images", "--filter", "before=beta:2", "--format", "{{.Repository}}"]), vec!["alpha"]);
    assert_eq!(q(&["images", "--filter", "since=alpha:1", "-q"]), vec![b[7..19].to_string()]);
    let j = json(&q(&["images", "--format", "{{json .}}", "alpha"])[0]);
    assert_eq!(j["Repository"], "alpha");
    assert_eq!(j["ID"], &a[7..19]);
    assert!(j["CreatedSince"].as_str().unwrap().ends_with("ago"));
    let t = d.berth(&["images", "--format", "table {{.Repository}}\t{{.Size}}", "alpha"]).ok().to_string();
    assert!(t.starts_with("REPOSITORY   SIZE\nalpha        "), "{t}");
    let full = q(&["images", "--no-trunc", "--format", "{{.ID}}", "alpha"]);
    assert_eq!(full, vec![a.clone()]);
    let dig = d.berth(&["images", "--digests", "alpha"]).ok().to_string();
    assert!(dig.lines().next().unwrap().contains("DIGEST"), "{dig}");
    let bad = d.berth(&["images", "--filter", "bogus=1"]);
    assert!(bad.err().contains("invalid filter 'bogus'"), "{}", bad.stderr);
    let bad = d.docker(&["images", "--filter", "dangling=maybe"]);
    assert!(bad.err().contains("dangling"), "{}", bad.stderr);
}

#[test]
fn save_and_load_round_trip_in_dockers_archive_format() {
    let d = Daemon::start();
    let a = d.import_busybox("one:1");
    let mut t = Tar::default();
    let small = t.dir("etc/").file("etc/motd", 0o644, b"welcome\n").symlink("link", "/etc/motd").finish();
    let b = d.berth_in(&["import", "-", "two:2"], Some(&small)).ok().trim().to_string();
    let dir = TempDir::new("save");
    let archive = dir.path().join("both.tar");
    d.berth(&["save", "-o", archive.to_str().unwrap(), "one:1", "two:2"]).ok();

    // The archive: OCI layout plus Docker's manifest.json, every blob matching its digest.
    let x = dir.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    assert!(std::process::Command::new("tar").arg("-xf").arg(&archive).arg("-C").arg(&x).status().unwrap().success());
    let manifest = json(&std::fs::read_to_string(x.join("manifest.json")).unwrap());
    assert_eq!(manifest.as_array().unwrap().len(), 2);
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!(["one:1"]));
    assert_eq!(manifest[0]["Config"], format!("blobs/sha256/{}", &a[7..]).as_str());
    for e in std::fs::read_dir(x.join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        assert_eq!(sha256_hex(&std::fs::read(e.path()).unwrap()), e.file_name().to_str().unwrap(), "blob digest");
    }
    let layer = manifest[1]["Layers"][0].as_str().unwrap();
    assert_eq!(std::fs::read(x.join(layer)).unwrap(), small, "the layer tar is rebuilt byte for byte");
    let index = json(&std::fs::read_to_string(x.join("index.json")).unwrap());
    assert_eq!(index["manifests"][0]["annotations"]["io.containerd.image.name"], "docker.io/library/one:1");
    assert!(x.join("oci-layout").exists());

    // Remove, load back: same IDs and tags.
    d.berth(&["rmi", "one:1", "two:2"]).ok();
    let out = d.berth(&["load", "-i", archive.to_str().unwrap()]).ok().to_string();
    assert_eq!(out, "Loaded image: one:1\nLoaded image: two:2\n");
    assert_eq!(d.berth(&["images", "-q", "--no-trunc", "one"]).ok().trim(), a);
    assert_eq!(d.berth(&["images", "-q", "--no-trunc", "two"]).ok().trim(), b);

    // The Docker CLI's save (stdout) and load (stdin) with berthd.
    let saved = d.docker(&["save", "one:1"]);
    saved.ok();
    d.docker(&["rmi", "one:1"]).ok();
    let out = d.docker_in(&["load"], Some(&saved.raw)).ok().to_string();
    assert_eq!(out.trim(), "Loaded image: one:1");
    // Saving a bare repository name takes all its tags; an ID takes none.
    d.berth(&["tag", "one:1", "one:extra"]).ok();
    let r = d.berth(&["save", "one"]);
    let listing = String::from_utf8_lossy(&r.raw).into_owned();
    assert!(listing.contains("one:extra") && listing.contains("one:1"));
    let r = d.berth(&["save", "-o", "/dev/null", "nosuch:1"]);
    assert!(r.err().contains("No such image: nosuch:1"), "{}", r.stderr);
}

/// An archive as Docker before 25 wrote it: `<id>/layer.tar` directories, a duplicate
/// layer as a symlink, `repositories`.
fn legacy_archive() -> (Vec<u8>, String) {
    let mut l = Tar::default();
    let layer1 = l.file("a.txt", 0o644, b"layer one\n").finish();
    let layer2 = Tar::default().file("b.txt", 0o644, b"layer two\n").finish();
    let d1 = sha256_hex(&layer1);
    let d2 = sha256_hex(&layer2);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Cmd":["/b.txt"]}},"created":"2020-01-01T00:00:00Z","rootfs":{{"type":"layers","diff_ids":["sha256:{d1}","sha256:{d2}"]}},"history":[{{"created":"2020-01-01T00:00:00Z","created_by":"ADD a.txt /"}},{{"created":"2020-01-01T00:00:00Z","created_by":"ADD b.txt /"}}]}}"#
    );
    let id = sha256_hex(config.as_bytes());
    let v1a = "1".repeat(64);
    let v1b = "2".repeat(64);
    let v1c = "3".repeat(64);
    let manifest = format!(
        r#"[{{"Config":"{id}.json","RepoTags":["legacy:old"],"Layers":["{v1a}/layer.tar","{v1b}/layer.tar","{v1c}/layer.tar"]}}]"#
    );
    let config3 = config.replace(&format!(r#""sha256:{d2}"]"#), &format!(r#""sha256:{d2}","sha256:{d1}"]"#));
    let id3 = sha256_hex(config3.as_bytes());
    let manifest = manifest.replace(&format!("{id}.json"), &format!("{id3}.json"));
    let mut t = Tar::default();
    t.dir(&format!("{v1a}/")).file(&format!("{v1a}/layer.tar"), 0o644, &layer1).file(&format!("{v1a}/VERSION"), 0o644, b"1.0");
    t.dir(&format!("{v1b}/")).file(&format!("{v1b}/layer.tar"), 0o644, &layer2);
    t.dir(&format!("{v1c}/")).symlink(&format!("{v1c}/layer.tar"), &format!("../{v1a}/layer.tar"));
    t.file(&format!("{id3}.json"), 0o644, config3.as_bytes());
    t.file("manifest.json", 0o644, manifest.as_bytes());
    t.file("repositories", 0o644, format!(r#"{{"legacy":{{"old":"{v1c}"}}}}"#).as_bytes());
    (t.finish(), format!("sha256:{id3}"))
}

/// An OCI layout with a gzip layer behind a multi-platform index.
fn oci_layout() -> (Vec<u8>, String) {
    use std::io::Write;
    let layer = Tar::default().file("oci.txt", 0o644, b"from an OCI layout\n").finish();
    let diff = sha256_hex(&layer);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&layer).unwrap();
    let gz = gz.finish().unwrap();
    let gzd = sha256_hex(&gz);
    let config = format!(r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["sha256:{diff}"]}}}}"#);
    let cd = sha256_hex(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{cd}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{gzd}","size":{}}}]}}"#,
        config.len(),
        gz.len()
    );
    let md = sha256_hex(manifest.as_bytes());
    let arm = "a".repeat(64);
    let inner = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{arm}","size":1,"platform":{{"architecture":"arm64","os":"linux"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{md}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
        manifest.len()
    );
    let id = sha256_hex(inner.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{id}","size":{},"annotations":{{"io.containerd.image.name":"docker.io/library/ocimg:3","org.opencontainers.image.ref.name":"3"}}}}]}}"#,
        inner.len()
    );
    let mut t = Tar::default();
    t.file("oci-layout", 0o644, br#"{"imageLayoutVersion":"1.0.0"}"#);
    t.dir("blobs/").dir("blobs/sha256/");
    t.file(&format!("blobs/sha256/{cd}"), 0o644, config.as_bytes());
    t.file(&format!("blobs/sha256/{gzd}"), 0o644, &gz);
    t.file(&format!("blobs/sha256/{md}"), 0o644, manifest.as_bytes());
    t.file(&format!("blobs/sha256/{id}"), 0o644, inner.as_bytes());
    t.file("index.json", 0o644, index.as_bytes());
    (t.finish(), format!("sha256:{cd}"))
}

#[test]
fn load_reads_legacy_docker_archives_and_oci_layouts() {
    let d = Daemon::start();
    let (legacy, id) = legacy_archive();
    let out = d.berth_in(&["load"], Some(&legacy)).ok().to_string();
    assert_eq!(out.trim(), "Loaded image: legacy:old");
    assert_eq!(d.berth(&["images", "-q", "--no-trunc", "legacy"]).ok().trim(), id);
    let hist = d.berth(&["history", "--format", "{{.CreatedBy}}", "legacy:old"]).ok().to_string();
    assert!(hist.contains("ADD b.txt /"), "{hist}");
    let (oci, id) = oci_layout();
    let out = d.docker_in(&["load"], Some(&oci)).ok().to_string();
    assert_eq!(out.trim(), "Loaded image: ocimg:3");
    assert_eq!(d.berth(&["inspect", "-f", "{{.Id}}", "ocimg:3"]).ok().trim(), id);
}

#[test]
fn bad_input_is_rejected_with_a_clear_message_and_changes_nothing() {
    let d = Daemon::start();
    d.import_busybox("good:1");
    let snapshot = || {
        let mut names: Vec<String> = std::fs::read_dir(d.data_root().join("overlay2")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        (d.berth(&["images", "-q", "--no-trunc"]).ok().to_string(), names)
    };
    let before = snapshot();

    let tar = busybox_tar();
    let r = d.berth_in(&["import", "-", "trunc:1"], Some(&tar[..tar.len() / 2]));
    assert!(r.err().contains("truncated"), "{}", r.stderr);
    let mut corrupt = tar.clone();
    corrupt[600] ^= 0xff;
    corrupt[100] ^= 0x11;
    let r = d.berth_in(&["import", "-", "corrupt:1"], Some(&corrupt));
    assert!(r.err().contains("checksum") || r.stderr.contains("invalid tar"), "{}", r.stderr);
    let r = d.berth_in(&["import", "-", "text:1"], Some(b"this is not a tarball"));
    assert!(r.err().contains("tar"), "{}", r.stderr);
    let evil = Tar::default().file("../../escape", 0o644, b"x").finish();
    let r = d.berth_in(&["import", "-", "evil:1"], Some(&evil));
    assert!(r.err().contains("escapes"), "{}", r.stderr);
    let evil = Tar::default().symlink("etc", "/etc").file("etc/berth-evil", 0o644, b"x").finish();
    let r = d.berth_in(&["import", "-", "evil:2"], Some(&evil));
    assert!(r.err().contains("symlink"), "{}", r.stderr);
    assert!(!std::path::Path::new("/etc/berth-evil").exists());
    let evil = Tar::default().hardlink("passwd", "/etc/passwd").finish();
    let r = d.berth_in(&["import", "-", "evil:3"], Some(&evil));
    assert!(r.err().contains("hard link"), "{}", r.stderr);
    let r = d.berth_in(&["import", "-c", "RUN rm -rf /", "-", "x:1"], Some(&tar));
    assert!(r.err().contains("RUN is not a valid change command"), "{}", r.stderr);
    let r = d.berth_in(&["import", "-", "Not:Valid:Ref"], Some(&tar));
    assert!(r.err().contains("invalid reference format"), "{}", r.stderr);

    // Archives: a layer whose content does not match the config, and a malicious one.
    let (legacy, _) = legacy_archive();
    let mut tampered = legacy.clone();
    let pos = tampered.windows(10).position(|w| w == b"layer one\n").unwrap();
    tampered[pos] = b'L';
    let r = d.berth_in(&["load"], Some(&tampered));
    assert!(r.err().contains("does not match") || r.stderr.contains("but the image config says"), "{}", r.stderr);
    let mut t = Tar::default();
    let evil = t.file("manifest.json", 0o644, br#"[{"Config":"../../../etc/passwd","RepoTags":["x:1"],"Layers":[]}]"#).finish();
    let r = d.berth_in(&["load"], Some(&evil));
    assert!(r.err().contains("outside the archive"), "{}", r.stderr);
    let r = d.berth_in(&["load"], Some(&Tar::default().file("hello", 0o644, b"x").finish()));
    assert!(r.err().contains("neither manifest.json nor index.json"), "{}", r.stderr);

    // Malformed API input gets 400 with a message.
    let (status, body, _) = d.http("POST", "/v1.47/images/prune?filters=%7Bnot-json", b"");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid filters"), "{body}");
    let (status, body, _) = d.http("GET", "/v1.47/images/json?all=maybe", b"");
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = d.http("POST", "/v1.47/images/good:1/tag?repo=UPPER&tag=x", b"");
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = d.http("GET", "/v1.47/images/nosuch/json", b"");
    assert_eq!((status, body.trim()), (404, r#"{"message":"No such image: nosuch:latest"}"#));

    assert_eq!(snapshot(), before, "nothing changed");
    assert_eq!(std::fs::read_dir(d.data_root().join("tmp")).unwrap().count(), 0, "no temporary files left");
}

#[test]
fn events_report_image_changes_live_and_since() {
    let d = Daemon::start();
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut live = std::process::Command::new(bin("berth"))
        .args(["-H", &d.host(), "events", "--filter", "type=image", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let id = d.import_busybox("ev:1");
    d.berth(&["tag", "ev:1", "ev:2"]).ok();
    d.berth(&["rmi", "ev:2"]).ok();
    let mut lines = Vec::new();
    {
        use std::io::BufRead;
        let mut r = std::io::BufReader::new(live.stdout.take().unwrap());
        for _ in 0..3 {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            lines.push(l.trim().to_string());
        }
    }
    let _ = live.kill();
    let _ = live.wait();
    assert_eq!(lines, vec!["image import ev:1".to_string(), "image tag ev:2".into(), format!("image untag {id}")]);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 1;
    let past = d.docker(&["events", "--since", &start.to_string(), "--until", &now.to_string()]).ok().to_string();
    assert_eq!(past.lines().count(), 3, "{past}");
    assert!(past.lines().next().unwrap().contains(&format!("image import {id} (name=ev:1)")), "{past}");
}
