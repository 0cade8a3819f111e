//! Tests of the store as a whole: layer sharing, reference counts, recovery after a crash.

use crate::tar::reader::tests::TarBuilder;
use crate::testutil::TempDir;
use crate::{Digest, Reference, Store};
use std::fs;

fn layer(name: &str, data: &[u8]) -> Vec<u8> {
    TarBuilder::default().file(name, data).end()
}

fn image_config(diffs: &[&Digest]) -> Vec<u8> {
    let ids: Vec<String> = diffs.iter().map(|d| d.to_string()).collect();
    serde_json::to_vec(&serde_json::json!({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":ids}})).unwrap()
}

#[test]
fn shared_layers_are_unpacked_once_and_freed_with_the_last_image() {
    let dir = TempDir::new();
    let (store, _) = Store::open(dir.path()).unwrap();
    let base = store.register_layer(None, &layer("base", b"b")[..]).unwrap();
    let base_chain = base.chain_id().clone();
    let top1 = store.register_layer(Some(base), &layer("one", b"1")[..]).unwrap();
    let d1 = [&store.layer(&base_chain).unwrap().unwrap().diff_id, &top1.info().diff_id.clone()].map(|d| d.clone());
    let img1 = store.put_image(&image_config(&[&d1[0], &d1[1]]), Some(top1), None, &[Reference::parse_tagged("one").unwrap()]).unwrap();
    let base2 = store.register_layer(None, &layer("base", b"b")[..]).unwrap();
    assert_eq!(base2.chain_id(), &base_chain, "same tar, same chain");
    let top2 = store.register_layer(Some(base2), &layer("two", b"2")[..]).unwrap();
    let top2_chain = top2.chain_id().clone();
    let img2 = store.put_image(b"{\"b\":2}", Some(top2), None, &[]).unwrap();
    assert_eq!(store.layer(&base_chain).unwrap().unwrap().refs, 2, "two child layers");
    assert_eq!(store.layers().unwrap().len(), 3);

    store.delete_image(&img1.id).unwrap();
    assert!(store.layer(&base_chain).unwrap().is_some());
    assert_eq!(store.layers().unwrap().len(), 2);
    assert_eq!(store.resolve_ref(&Reference::parse_tagged("one").unwrap()).unwrap(), None);
    store.delete_image(&img2.id).unwrap();
    assert!(store.layers().unwrap().is_empty());
    assert!(!store.layer_dir(&top2_chain).exists());
    assert!(!store.layer_dir(&base_chain).exists());
    assert_eq!(fs::read_dir(dir.path().join("overlay2/l")).unwrap().count(), 0);
    assert!(store.content().list().unwrap().is_empty());
}

#[test]
fn putting_the_same_image_twice_keeps_one_reference_per_image() {
    let dir = TempDir::new();
    let (store, _) = Store::open(dir.path()).unwrap();
    for _ in 0..2 {
        let l = store.register_layer(None, &layer("f", b"x")[..]).unwrap();
        store.put_image(b"{}", Some(l), None, &[]).unwrap();
    }
    let (chain, rec) = store.layers().unwrap().pop().unwrap();
    assert_eq!(rec.refs, 1);
    store.delete_image(&Digest::of(b"{}")).unwrap();
    assert!(store.layer(&chain).unwrap().is_none());
}

#[test]
fn a_failed_unpack_leaves_nothing() {
    let dir = TempDir::new();
    let (store, _) = Store::open(dir.path()).unwrap();
    let bad = TarBuilder::default().file("../x", b"x").end();
    assert!(store.register_layer(None, &bad[..]).is_err());
    assert!(store.layers().unwrap().is_empty());
    let tmp = dir.path().join("overlay2/tmp");
    assert_eq!(fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn reopening_after_a_crash_drops_leases_and_orphans_but_keeps_images() {
    let dir = TempDir::new();
    let kept;
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        let l = store.register_layer(None, &layer("kept", b"k")[..]).unwrap();
        kept = store.put_image(b"{\"kept\":1}", Some(l), None, &[Reference::parse_tagged("kept").unwrap()]).unwrap().id;
        // An import in flight when the daemon dies: a leased layer, a blob, a temp dir.
        let lease = store.register_layer(None, &layer("inflight", b"i")[..]).unwrap();
        std::mem::forget(lease);
        store.content().write(b"orphan blob").unwrap();
        fs::create_dir_all(dir.path().join("overlay2/tmp/half")).unwrap();
        fs::create_dir_all(dir.path().join("overlay2/deadbeef/diff")).unwrap();
    }
    let (store, rec) = Store::open(dir.path()).unwrap();
    assert_eq!(rec.unreferenced_layers, 1);
    assert_eq!(rec.orphan_blobs, 1);
    assert_eq!(rec.orphan_layer_dirs, 1);
    assert_eq!(store.layers().unwrap().len(), 1);
    assert_eq!(store.resolve_ref(&Reference::parse_tagged("kept").unwrap()).unwrap(), Some(kept.clone()));
    let top = store.image(&kept).unwrap().unwrap().top_layer.unwrap();
    let mut tar = Vec::new();
    store.write_layer_tar(&top, &mut tar).unwrap();
    assert_eq!(tar, layer("kept", b"k"));
    assert!(!dir.path().join("overlay2/tmp").exists());
}

#[test]
fn deep_images_mount_within_the_option_limit() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to mount overlayfs");
        return;
    }
    let dir = TempDir::new();
    let (store, _) = Store::open(dir.path()).unwrap();
    let mut top = None;
    for i in 0..150 {
        top = Some(store.register_layer(top, &layer(&format!("f{i}"), format!("{i}").as_bytes())[..]).unwrap());
    }
    let top = top.unwrap();
    let chain = top.chain_id().clone();
    let c = dir.path().join("c");
    for d in ["upper", "work", "merged"] {
        fs::create_dir_all(c.join(d)).unwrap();
    }
    let m = store.overlay_mount(Some(&chain), &c.join("upper"), &c.join("work")).unwrap();
    assert!(m.data().len() < crate::mount::MAX_MOUNT_DATA);
    m.mount(&c.join("merged")).unwrap();
    let seen = (fs::read_to_string(c.join("merged/f0")), fs::read_to_string(c.join("merged/f149")));
    crate::mount::unmount(&c.join("merged")).unwrap();
    assert_eq!(seen.0.unwrap(), "0");
    assert_eq!(seen.1.unwrap(), "149");
    drop(top);
    assert!(store.layers().unwrap().is_empty(), "dropping the last lease frees the whole chain");
}

#[test]
fn holds_keep_layers_across_restarts_until_released() {
    let dir = TempDir::new();
    let chain;
    {
        let (store, _) = Store::open(dir.path()).unwrap();
        let l = store.register_layer(None, &layer("f", b"x")[..]).unwrap();
        chain = l.chain_id().clone();
        let id = store.put_image(b"{\"h\":1}", Some(l), None, &[]).unwrap().id;
        store.hold_layer("container1", &chain).unwrap();
        store.delete_image(&id).unwrap();
        assert!(store.layer(&chain).unwrap().is_some(), "the container's hold keeps the layer");
    }
    let (store, rec) = Store::open(dir.path()).unwrap();
    assert_eq!(rec.unreferenced_layers, 0);
    assert_eq!(store.layer(&chain).unwrap().unwrap().refs, 1);
    store.release_hold("container1").unwrap();
    assert!(store.layer(&chain).unwrap().is_none());
    assert!(!store.layer_dir(&chain).exists());
}
