//! Tar: a byte-exact streaming reader, hardened extraction, and layer tar reconstruction.

pub mod extract;
pub mod reader;
pub mod split;
pub mod writer;

pub use extract::{unpack_layer, unpack_plain, Extracted};

#[cfg(test)]
mod tests {
    use super::reader::tests::TarBuilder;
    use super::*;
    use crate::digest::Digest;
    use crate::testutil::TempDir;
    use std::fs;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    /// A directory outside the extraction root that must stay untouched.
    struct Victim {
        _dir: TempDir,
        root: std::path::PathBuf,
        outside: std::path::PathBuf,
    }

    fn victim() -> Victim {
        let dir = TempDir::new();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret"), b"keep").unwrap();
        Victim { _dir: dir, root, outside }
    }

    fn assert_outside_untouched(v: &Victim) {
        let names: Vec<_> = fs::read_dir(&v.outside).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret")]);
        assert_eq!(fs::read(v.outside.join("secret")).unwrap(), b"keep");
    }

    #[test]
    fn dotdot_entry_is_rejected() {
        let v = victim();
        let tar = TarBuilder::default().file("../outside/evil", b"x").end();
        let err = unpack_plain(&tar[..], &v.root).unwrap_err();
        assert!(err.to_string().contains("escapes"), "{err}");
        assert_outside_untouched(&v);
        let tar = TarBuilder::default().file("a/../../outside/evil", b"x").end();
        assert!(unpack_plain(&tar[..], &v.root).is_err());
        assert_outside_untouched(&v);
    }

    #[test]
    fn absolute_path_stays_inside_root() {
        let v = victim();
        let abs = format!("{}/evil", v.outside.display());
        let tar = TarBuilder::default().file(&abs, b"x").end();
        unpack_plain(&tar[..], &v.root).unwrap();
        assert_outside_untouched(&v);
        assert_eq!(fs::read(v.root.join(abs.trim_start_matches('/'))).unwrap(), b"x");
    }

    #[test]
    fn write_through_symlink_is_rejected() {
        let v = victim();
        let target = v.outside.display().to_string();
        for link in [target.as_str(), "../outside", "../../../../../../../.."] {
            let tar = TarBuilder::default().symlink("l", link).file("l/evil", b"x").end();
            let err = unpack_plain(&tar[..], &v.root).unwrap_err();
            assert!(err.to_string().contains("symlink"), "{err}");
            assert_outside_untouched(&v);
            fs::remove_dir_all(&v.root).unwrap();
        }
    }

    #[test]
    fn absolute_symlink_is_kept_verbatim_and_not_followed_by_later_entries() {
        let v = victim();
        let tar = TarBuilder::default()
            .symlink("etc-link", "/etc")
            .symlink("secret", &format!("{}/secret", v.outside.display()))
            .file("secret", b"replaced")
            .end();
        unpack_plain(&tar[..], &v.root).unwrap();
        assert_eq!(fs::read_link(v.root.join("etc-link")).unwrap().to_str(), Some("/etc"));
        // The file replaced the symlink instead of writing through it.
        assert_eq!(fs::read(v.root.join("secret")).unwrap(), b"replaced");
        assert_outside_untouched(&v);
    }

    #[test]
    fn hardlink_out_of_root_is_rejected() {
        let v = victim();
        let target = format!("{}/secret", v.outside.display());
        for t in ["../outside/secret", target.as_str()] {
            let tar = TarBuilder::default().hardlink("h", t).end();
            assert!(unpack_plain(&tar[..], &v.root).is_err(), "{t}");
            assert!(!v.root.join("h").exists());
        }
        // Through a symlink to the outside.
        let tar = TarBuilder::default().symlink("l", &v.outside.display().to_string()).hardlink("h", "l/secret").end();
        let err = unpack_plain(&tar[..], &v.root).unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert_outside_untouched(&v);
        assert_eq!(fs::metadata(v.outside.join("secret")).unwrap().nlink(), 1);
    }

    #[test]
    fn hardlink_inside_root_shares_the_inode() {
        let v = victim();
        let tar = TarBuilder::default().file("a", b"data").hardlink("b", "./a").end();
        unpack_plain(&tar[..], &v.root).unwrap();
        let (a, b) = (fs::metadata(v.root.join("a")).unwrap(), fs::metadata(v.root.join("b")).unwrap());
        assert_eq!(a.ino(), b.ino());
    }

    #[test]
    fn modes_owners_devices_xattrs_and_times_are_kept() {
        let v = victim();
        let tar = TarBuilder::default()
            .header("bin/", b'5', 0o750, 0, "")
            .pax(&[("uid", b"1234"), ("gid", b"5678"), ("SCHILY.xattr.user.note", b"hi"), ("mtime", b"1500000000.25")])
            .header("bin/su", b'0', 0o4755, 3, "")
            .data(b"abc")
            .header("dev/null", b'3', 0o666, 0, "")
            .header("fifo", b'6', 0o640, 0, "")
            .end();
        unpack_plain(&tar[..], &v.root).unwrap();
        let su = fs::metadata(v.root.join("bin/su")).unwrap();
        assert_eq!(su.permissions().mode() & 0o7777, 0o4755);
        assert_eq!((su.uid(), su.gid()), (1234, 5678));
        assert_eq!((su.mtime(), su.mtime_nsec()), (1_500_000_000, 250_000_000));
        let xattr = rustix::fs::getxattr(v.root.join("bin/su"), "user.note", &mut [0u8; 16]);
        if let Ok(n) = xattr {
            assert_eq!(n, 2);
        }
        let bin = fs::metadata(v.root.join("bin")).unwrap();
        assert_eq!(bin.permissions().mode() & 0o7777, 0o750);
        assert_eq!(bin.mtime(), 1_600_000_000, "directory mtime is applied after its children");
        assert!(fs::symlink_metadata(v.root.join("dev/null")).unwrap().file_type().is_char_device());
        assert!(fs::symlink_metadata(v.root.join("fifo")).unwrap().file_type().is_fifo());
    }

    #[test]
    fn trusted_xattrs_from_the_archive_are_dropped() {
        let v = victim();
        let tar = TarBuilder::default().pax(&[("SCHILY.xattr.trusted.overlay.opaque", b"y")]).dir("d/").end();
        unpack_plain(&tar[..], &v.root).unwrap();
        assert!(rustix::fs::getxattr(v.root.join("d"), "trusted.overlay.opaque", &mut [0u8; 4]).is_err());
    }

    #[test]
    fn whiteouts_become_overlay_whiteouts_in_layer_mode() {
        let v = victim();
        let layer = v.root.join("layer");
        let tar = TarBuilder::default()
            .dir("etc/")
            .file("etc/.wh.passwd", b"")
            .dir("opt/")
            .file("opt/.wh..wh..opq", b"")
            .file("opt/.wh..wh.plnk", b"")
            .file("etc/.wh...", b"")
            .end();
        // The last entry tries to escape through a whiteout name: the whole layer is refused.
        assert!(unpack_layer(&tar[..], &layer).is_err());
        fs::remove_dir_all(&layer).unwrap();
        let tar = TarBuilder::default()
            .dir("etc/")
            .file("etc/.wh.passwd", b"")
            .dir("opt/")
            .file("opt/.wh..wh..opq", b"")
            .end();
        unpack_layer(&tar[..], &layer).unwrap();
        let wh = fs::symlink_metadata(layer.join("diff/etc/passwd")).unwrap();
        assert!(wh.file_type().is_char_device());
        assert_eq!(wh.rdev(), 0);
        let mut buf = [0u8; 4];
        let n = rustix::fs::getxattr(layer.join("diff/opt"), "trusted.overlay.opaque", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"y");
        assert!(!layer.join("diff/opt/.wh..wh..opq").exists());
    }

    #[test]
    fn layer_tar_is_rebuilt_byte_for_byte_even_with_replaced_files() {
        let v = victim();
        let layer = v.root.join("layer");
        let tar = TarBuilder::default()
            .dir("d/")
            .file("d/a", b"first version")
            .hardlink("d/h", "d/a")
            .file("d/a", b"second")
            .file("d/sub/x", &[9u8; 1500])
            .header("d", b'0', 0o644, 4, "")
            .data(b"file")
            .file("big", &vec![1u8; 300_000])
            .end();
        let out = unpack_layer(&tar[..], &layer).unwrap();
        assert_eq!(out.diff_id, Digest::of(&tar));
        let mut rebuilt = Vec::new();
        split::assemble(&layer, &out.diff_id, &mut rebuilt).unwrap();
        assert_eq!(rebuilt.len(), tar.len());
        assert!(rebuilt == tar);
        // Tampering with the unpacked layer is detected.
        fs::write(layer.join("diff/big"), vec![2u8; 300_000]).unwrap();
        let err = split::assemble(&layer, &out.diff_id, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("modified"), "{err}");
    }

    #[test]
    fn truncated_layer_fails() {
        let v = victim();
        let tar = TarBuilder::default().file("a", &[1u8; 5000]).end();
        let err = unpack_layer(&tar[..3000], &v.root.join("l")).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
