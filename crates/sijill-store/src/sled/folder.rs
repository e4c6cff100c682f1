//! The data folder: its format marker, opening sled inside it, and making sled's files
//! durable.
//!
//! Layout: `<folder>/FORMAT` (one line: `sijill-store sled <version>`) and `<folder>/sled/`
//! (sled's own files: `conf`, `db`, `blobs/`, `snap.*`).

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::StoreError;

/// The storage format this code writes and reads. Raise it when the layout of the sled
/// trees or the stored values changes; older code then refuses the folder instead of
/// misreading it.
pub const SLED_FORMAT_VERSION: u32 = 1;

const FORMAT_FILE: &str = "FORMAT";
const FORMAT_PREFIX: &str = "sijill-store sled ";
const SLED_DIR: &str = "sled";

/// Creates the folder and its format marker if it is new; checks the marker if not.
/// Returns the path of sled's own folder.
pub fn prepare(folder: &Path) -> Result<PathBuf, StoreError> {
    let io = |what: &str, e| StoreError::io(format!("{what} {}", folder.display()), e);
    fs::create_dir_all(folder).map_err(|e| io("creating data folder", e))?;
    let marker = folder.join(FORMAT_FILE);
    match fs::read_to_string(&marker) {
        Ok(text) => check_marker(folder, &text)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            remove_cut_short_marker(folder).map_err(|e| io("reading data folder", e))?;
            let mut entries = fs::read_dir(folder).map_err(|e| io("reading data folder", e))?;
            if entries.next().is_some() {
                let detail = format!("it has files but no {FORMAT_FILE} marker");
                return Err(StoreError::NotADataFolder {
                    path: folder.to_path_buf(),
                    detail,
                });
            }
            write_marker(folder).map_err(|e| io("writing the format marker in", e))?;
        }
        Err(e) => return Err(io("reading the format marker in", e)),
    }
    Ok(folder.join(SLED_DIR))
}

fn check_marker(folder: &Path, text: &str) -> Result<(), StoreError> {
    let version = text
        .trim_end()
        .strip_prefix(FORMAT_PREFIX)
        .and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(SLED_FORMAT_VERSION) => Ok(()),
        Some(found) if found > SLED_FORMAT_VERSION => Err(StoreError::NewerFormat {
            path: folder.to_path_buf(),
            found,
            supported: SLED_FORMAT_VERSION,
        }),
        _ => Err(StoreError::NotADataFolder {
            path: folder.to_path_buf(),
            detail: format!("its {FORMAT_FILE} marker reads {:?}", text.trim_end()),
        }),
    }
}

/// A process stopped while writing the marker of a new folder leaves the folder holding only
/// the marker's temporary file: the folder is still new, so the file is removed and the
/// marker written again (anything else in the folder still makes it not ours).
fn remove_cut_short_marker(folder: &Path) -> io::Result<()> {
    let temporary = folder.join(marker_temporary());
    let mut entries = fs::read_dir(folder)?;
    let only_the_temporary = match (entries.next().transpose()?, entries.next()) {
        (Some(entry), None) => entry.file_name() == temporary.file_name().unwrap_or_default(),
        _ => false,
    };
    if only_the_temporary {
        fs::remove_file(&temporary)?;
    }
    Ok(())
}

fn marker_temporary() -> String {
    format!("{FORMAT_FILE}.tmp")
}

/// Writes the marker atomically (temporary file, fsync, rename, fsync of the folder), so a
/// crash leaves either no marker or a whole one.
fn write_marker(folder: &Path) -> io::Result<()> {
    let temporary = folder.join(marker_temporary());
    let mut file = File::create(&temporary)?;
    writeln!(file, "{FORMAT_PREFIX}{SLED_FORMAT_VERSION}")?;
    file.sync_all()?;
    fs::rename(&temporary, folder.join(FORMAT_FILE))?;
    sync_dir(folder)
}

/// Opens sled in `sled_dir`, naming a lock held by another process clearly.
pub fn open_sled(folder: &Path, sled_dir: &Path) -> Result<sled::Db, StoreError> {
    // sled's own periodic flusher is off: the store flushes (and fsyncs) on every append.
    let config = sled::Config::new().path(sled_dir).flush_every_ms(None);
    config.open().map_err(|e| match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                path: folder.to_path_buf(),
            }
        }
        other => StoreError::Backend(format!("opening sled in {}: {other}", sled_dir.display())),
    })
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// sled's files, fsynced after each `flush`. sled 0.34 ends a flush with
/// `sync_file_range`, which neither flushes the device's write cache nor the file's metadata
/// (spacejam/sled#1452), and writes blob files (values too large for a segment) without any
/// sync. `fsync` of the log file, of new blob files and of the folders that gained entries
/// closes both gaps.
pub struct SledFiles {
    sled_dir: PathBuf,
    db: File,
    synced_blobs: HashSet<OsString>,
    /// The blob folder's modification time at the last scan, when it was old enough to prove
    /// that no file was added since (see [`BLOB_DIR_MTIME_MARGIN_FINE`]).
    blobs_scanned_at_mtime: Option<SystemTime>,
}

/// How far in the past the blob folder's modification time must be for an unchanged time to
/// prove that no blob was added since the last scan. A file system stamps times with a coarse
/// clock, so a file created in the same tick as the previous change would leave the time as it
/// was; once the last change is older than a tick, every later change moves it. File systems
/// with sub-second timestamps tick every few milliseconds (ext4, xfs: one kernel jiffy, at most
/// 10 ms); [`BLOB_DIR_MTIME_MARGIN_FINE`] is ten of those. A time with no sub-second part may
/// come from a file system that counts whole seconds (or two, FAT), hence the wider margin.
const BLOB_DIR_MTIME_MARGIN_FINE: Duration = Duration::from_millis(100);
const BLOB_DIR_MTIME_MARGIN_COARSE: Duration = Duration::from_secs(3);

/// The margin for a modification time, by the resolution it shows.
fn mtime_margin(mtime: SystemTime) -> Duration {
    let fine = mtime
        .duration_since(SystemTime::UNIX_EPOCH)
        .is_ok_and(|since| since.subsec_nanos() != 0);
    if fine {
        BLOB_DIR_MTIME_MARGIN_FINE
    } else {
        BLOB_DIR_MTIME_MARGIN_COARSE
    }
}

impl SledFiles {
    /// Opens the files and makes what sled wrote while opening durable.
    pub fn open(folder: &Path, sled_dir: &Path) -> io::Result<Self> {
        let db = File::open(sled_dir.join("db"))?;
        let mut files = SledFiles {
            sled_dir: sled_dir.to_path_buf(),
            db,
            synced_blobs: HashSet::new(),
            blobs_scanned_at_mtime: None,
        };
        File::open(sled_dir.join("conf"))?.sync_all()?;
        files.sync()?;
        sync_dir(sled_dir)?;
        sync_dir(folder)?;
        Ok(files)
    }

    /// fsync of the log file and of blob files not yet synced.
    pub fn sync(&mut self) -> io::Result<()> {
        self.db.sync_all()?;
        self.sync_new_blobs()
    }

    /// A large registry holds thousands of blob files and sled adds them rarely, so the folder
    /// is only listed when its modification time says it changed: listing it on every flush
    /// cost more than the flush itself.
    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let blobs = self.sled_dir.join("blobs");
        let looked_at = SystemTime::now();
        let mtime = match fs::metadata(&blobs).and_then(|m| m.modified()) {
            Ok(mtime) => mtime,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if self.blobs_scanned_at_mtime == Some(mtime) {
            return Ok(());
        }
        let settled = looked_at
            .duration_since(mtime)
            .is_ok_and(|age| age > mtime_margin(mtime));
        self.blobs_scanned_at_mtime = None;
        let entries = match fs::read_dir(&blobs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut present = HashSet::new();
        let mut added = false;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            if !self.synced_blobs.contains(&name) {
                match File::open(entry.path()) {
                    Ok(file) => file.sync_all()?,
                    // sled removes blobs it no longer needs; a vanished one needs no sync.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                }
                added = true;
            }
            present.insert(name);
        }
        self.synced_blobs = present;
        if added {
            sync_dir(&blobs)?;
        }
        // Trusted only when everything listed is synced and the time cannot hide a later file.
        if settled {
            self.blobs_scanned_at_mtime = Some(mtime);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_mtime(path: &Path, time: SystemTime) {
        File::open(path).unwrap().set_modified(time).unwrap();
    }

    #[test]
    fn a_marker_cut_short_leaves_a_new_folder_but_other_files_do_not() {
        let parent = tempfile::tempdir().unwrap();
        let folder = parent.path().join("data");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("FORMAT.tmp"), b"sijill-st").unwrap();
        prepare(&folder).expect("a folder holding only a cut-short marker is new");
        let marker = fs::read_to_string(folder.join(FORMAT_FILE)).unwrap();
        assert_eq!(
            marker.trim_end(),
            format!("{FORMAT_PREFIX}{SLED_FORMAT_VERSION}")
        );
        assert!(!folder.join("FORMAT.tmp").exists());

        let other = parent.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join("FORMAT.tmp"), b"x").unwrap();
        fs::write(other.join("notes.txt"), b"mine").unwrap();
        let refused = prepare(&other).unwrap_err();
        assert!(
            matches!(refused, StoreError::NotADataFolder { .. }),
            "{refused}"
        );
        assert!(
            other.join("FORMAT.tmp").exists(),
            "nothing of another's folder is removed"
        );
    }

    #[test]
    fn a_time_in_whole_seconds_waits_for_the_coarse_margin() {
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(mtime_margin(whole), BLOB_DIR_MTIME_MARGIN_COARSE);
        let fine = whole + Duration::from_nanos(4_000_001);
        assert_eq!(mtime_margin(fine), BLOB_DIR_MTIME_MARGIN_FINE);
    }

    #[test]
    fn blobs_are_listed_again_whenever_the_folder_may_have_changed() {
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = folder.path().join("sled");
        let blobs = sled_dir.join("blobs");
        fs::create_dir_all(&blobs).unwrap();
        fs::write(sled_dir.join("db"), b"").unwrap();
        fs::write(sled_dir.join("conf"), b"").unwrap();
        fs::write(blobs.join("1"), b"old").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(60);
        set_mtime(&blobs, long_ago);

        // A settled folder is listed once, then trusted while its time stays the same.
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        assert_eq!(files.synced_blobs.len(), 1);
        assert_eq!(files.blobs_scanned_at_mtime, Some(long_ago));
        files.synced_blobs.clear();
        files.sync().unwrap();
        assert!(
            files.synced_blobs.is_empty(),
            "an unchanged folder is not listed"
        );

        // A new blob moves the time: it is found and synced, and a time this recent is not
        // trusted (a file added in the same tick would not move it again).
        fs::write(blobs.join("2"), b"new").unwrap();
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 2);
        assert_eq!(files.blobs_scanned_at_mtime, None);
        files.synced_blobs.remove(OsString::from("2").as_os_str());
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 2, "a recent time is listed again");

        // The same holds for a file added with the folder's time left where it was.
        fs::write(blobs.join("3"), b"newer").unwrap();
        set_mtime(&blobs, long_ago);
        files.blobs_scanned_at_mtime = None;
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 3);
    }
}
