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
use std::time::{Duration, Instant, SystemTime};

use crate::error::StoreError;
use crate::limits::SLED_LOCK_WAIT;

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

/// Opens sled in `sled_dir`, naming a lock held by another process clearly. A lock still
/// held is tried again for up to [`SLED_LOCK_WAIT`]: it may belong to a database this process
/// dropped moments ago whose I/O threads are still finishing.
pub fn open_sled(folder: &Path, sled_dir: &Path) -> Result<sled::Db, StoreError> {
    // sled's own periodic flusher is off: the store flushes (and fsyncs) on every append.
    let config = sled::Config::new().path(sled_dir).flush_every_ms(None);
    let deadline = Instant::now() + SLED_LOCK_WAIT;
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                if Instant::now() >= deadline {
                    return Err(StoreError::Locked {
                        path: folder.to_path_buf(),
                    });
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(other) => {
                let detail = format!("opening sled in {}: {other}", sled_dir.display());
                return Err(StoreError::Backend(detail));
            }
        }
    }
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// sled's files, fsynced after each `flush`. sled 0.34 ends a flush with
/// `sync_file_range`, which neither flushes the device's write cache nor the file's metadata
/// (spacejam/sled#1452), and writes blob files (values too large for a segment) without any
/// sync. `fsync` of the log file, of new blob files and of the folders that gained entries
/// closes both gaps.
///
/// New blob files are learnt from the kernel where it can say (Linux: inotify reports each
/// blob once sled has written and closed it); the folder is listed only when it cannot (no
/// watch, or the kernel's event queue overflowed). Listing a folder of thousands of blobs on
/// every flush took a quarter of the processor time of a busy store.
pub struct SledFiles {
    sled_dir: PathBuf,
    db: File,
    synced_blobs: HashSet<OsString>,
    /// The blob folder's modification time at the last scan, when it was old enough to prove
    /// that no file was added since (see [`BLOB_DIR_MTIME_MARGIN_FINE`]).
    blobs_scanned_at_mtime: Option<SystemTime>,
    /// Reports blob files written and closed, or removed; `None` when there is no such watch
    /// (then every sync looks at the folder itself).
    watch: Option<BlobWatch>,
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

/// Whether a modification time read at `looked_at` is old enough that a later change would
/// move it (see [`BLOB_DIR_MTIME_MARGIN_FINE`]).
fn settled(mtime: SystemTime, looked_at: SystemTime) -> bool {
    looked_at
        .duration_since(mtime)
        .is_ok_and(|age| age > mtime_margin(mtime))
}

/// The blob folder's modification time, read before listing it.
struct BlobsStamp {
    mtime: SystemTime,
    /// Old enough that an unchanged time later proves that no blob was added since.
    settled: bool,
}

impl SledFiles {
    /// Opens the files and makes what sled wrote while opening durable.
    pub fn open(folder: &Path, sled_dir: &Path) -> io::Result<Self> {
        Self::open_with(folder, sled_dir, sync_file_system)
    }

    /// `open`, with the file-system-wide sync given (tests pass one that fails).
    ///
    /// Why the open needs a sync at all: the previous process may have committed batches it
    /// never acknowledged, and sled may have written while recovering; those bytes can still
    /// be only in the page cache. The store serves them as durable from now on (its durable
    /// head starts at the recovered head), so they must reach the disk first.
    ///
    /// One `syncfs` does that for every file and folder of the file system at once, where
    /// fsyncing each blob took thousands of calls on a large folder (about 9.5 s for 4,070
    /// blobs). It keeps the guarantee that an acknowledged append is durable: `syncfs` writes
    /// back all dirty data and metadata of the file system and waits for it, and ext4, XFS and
    /// btrfs end it with a journal commit or a cache flush, as `fsync` does. The blob names
    /// are listed *before* the call, so every name recorded as synced existed when it started;
    /// a blob sled adds later is not in the set and is fsynced by the next [`SledFiles::sync`].
    /// If `syncfs` is unavailable or fails, every file is fsynced one by one as before (a
    /// write-back error in our own files then shows up in their `fsync`).
    fn open_with(
        folder: &Path,
        sled_dir: &Path,
        sync_fs: impl FnOnce(&File) -> io::Result<()>,
    ) -> io::Result<Self> {
        let db = File::open(sled_dir.join("db"))?;
        let mut files = SledFiles {
            sled_dir: sled_dir.to_path_buf(),
            db,
            synced_blobs: HashSet::new(),
            blobs_scanned_at_mtime: None,
            watch: None,
        };
        // Watching starts before the listing below, so a blob added after it is reported.
        files.watch = match BlobWatch::start(&files.blobs_dir()) {
            Ok(watch) => Some(watch),
            Err(e) => {
                tracing::debug!(reason = %e, "no watch on sled's blob folder: listing it when it changes");
                None
            }
        };
        let stamp = files.blobs_stamp()?;
        let listed = files.blob_names()?;
        match sync_fs(&files.db) {
            Ok(()) => {
                files.synced_blobs = listed.unwrap_or_default();
                files.blobs_scanned_at_mtime = stamp.filter(|s| s.settled).map(|s| s.mtime);
                return Ok(files);
            }
            Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                tracing::debug!(reason = %e, "no syncfs: fsyncing sled's files one by one");
            }
            Err(e) => {
                tracing::warn!(error = %e, "syncfs failed: fsyncing sled's files one by one");
            }
        }
        File::open(sled_dir.join("conf"))?.sync_all()?;
        // Every blob, by listing: the watch only reports blobs written from now on.
        files.db.sync_all()?;
        files.sync_listed_blobs()?;
        sync_dir(sled_dir)?;
        sync_dir(folder)?;
        Ok(files)
    }

    /// `fdatasync` of the log file, and fsync of blob files not yet synced.
    ///
    /// `fdatasync` (`sync_data`) is enough for the log file: it flushes the device's cache and
    /// persists the data with the metadata needed to read it back (the size, where the blocks
    /// are), which is what sled's `flush` leaves out. It skips only the file's times, and so,
    /// on most flushes, a journal commit: single appends measured 8 to 11 % faster with it
    /// (`docs/performance.md`, Event log and Engine). PostgreSQL's default `wal_sync_method`
    /// makes the same call. New blob files are new names, so they keep a full fsync (and their
    /// folder's).
    pub fn sync(&mut self) -> io::Result<()> {
        self.db.sync_data()?;
        self.sync_new_blobs()
    }

    fn blobs_dir(&self) -> PathBuf {
        self.sled_dir.join("blobs")
    }

    /// The blob folder's modification time; `None` if sled has no blob folder (yet).
    fn blobs_stamp(&self) -> io::Result<Option<BlobsStamp>> {
        let looked_at = SystemTime::now();
        let mtime = match fs::metadata(self.blobs_dir()).and_then(|m| m.modified()) {
            Ok(mtime) => mtime,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let settled = settled(mtime, looked_at);
        Ok(Some(BlobsStamp { mtime, settled }))
    }

    /// The names in the blob folder; `None` if there is no blob folder.
    fn blob_names(&self) -> io::Result<Option<HashSet<OsString>>> {
        let entries = match fs::read_dir(self.blobs_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let names = entries.map(|entry| entry.map(|e| e.file_name()));
        names.collect::<io::Result<_>>().map(Some)
    }

    /// A large registry holds thousands of blob files and sled adds them rarely, so the folder
    /// is only listed when its modification time says it changed: listing it on every flush
    /// cost more than the flush itself.
    fn sync_new_blobs(&mut self) -> io::Result<()> {
        if let Some(watch) = &mut self.watch {
            match watch.changes() {
                Ok(Some(changes)) => return self.sync_reported_blobs(changes),
                Ok(None) => {
                    tracing::debug!("sled's blob folder changed faster than reported: listing it");
                    self.blobs_scanned_at_mtime = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "watching sled's blob folder failed: listing it from now on");
                    self.watch = None;
                    self.blobs_scanned_at_mtime = None;
                }
            }
        }
        self.sync_listed_blobs()
    }

    /// fsync of the blobs the watch reported written since the last sync; forgets removed ones.
    fn sync_reported_blobs(&mut self, changes: Vec<BlobChange>) -> io::Result<()> {
        let blobs = self.blobs_dir();
        let mut added = false;
        for change in changes {
            match change {
                BlobChange::Written(name) => {
                    if sync_blob(&blobs.join(&name))?.is_some() {
                        self.synced_blobs.insert(name);
                        added = true;
                    }
                }
                BlobChange::Removed(name) => {
                    self.synced_blobs.remove(&name);
                }
            }
        }
        if added {
            sync_dir(&blobs)?;
        }
        Ok(())
    }

    /// The folder-listing way of [`SledFiles::sync_new_blobs`], where no watch reports blobs.
    ///
    /// A listed blob may still be being written by a commit running beside this sync; its
    /// fsync then covers part of it. So a blob counts as synced only once its own modification
    /// time is settled; until then every sync fsyncs it again (and lists the folder again: a
    /// blob that recent keeps the folder's own time unsettled too).
    fn sync_listed_blobs(&mut self) -> io::Result<()> {
        let Some(stamp) = self.blobs_stamp()? else {
            return Ok(());
        };
        if self.blobs_scanned_at_mtime == Some(stamp.mtime) {
            return Ok(());
        }
        self.blobs_scanned_at_mtime = None;
        let Some(listed) = self.blob_names()? else {
            return Ok(());
        };
        let blobs = self.blobs_dir();
        let mut present = HashSet::with_capacity(listed.len());
        let mut added = false;
        for name in listed {
            if !self.synced_blobs.contains(&name) {
                let Some(file) = sync_blob(&blobs.join(&name))? else {
                    continue;
                };
                added = true;
                let written = file.metadata()?.modified()?;
                if !settled(written, SystemTime::now()) {
                    continue;
                }
            }
            present.insert(name);
        }
        self.synced_blobs = present;
        if added {
            sync_dir(&blobs)?;
        }
        // Trusted only when everything listed is synced and the time cannot hide a later file.
        if stamp.settled {
            self.blobs_scanned_at_mtime = Some(stamp.mtime);
        }
        Ok(())
    }
}

/// fsync of one blob file; `None` if it is gone (sled removes blobs it no longer needs, and a
/// vanished one needs no sync).
fn sync_blob(path: &Path) -> io::Result<Option<File>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    file.sync_all()?;
    Ok(Some(file))
}

/// What the watch on sled's blob folder reported about one file.
#[derive(Debug, PartialEq, Eq)]
enum BlobChange {
    /// Written and closed (sled writes a blob whole, then closes it), or moved in.
    Written(OsString),
    Removed(OsString),
}

/// inotify on sled's blob folder (Linux).
///
/// A blob is reported when the file is closed after writing, not when it is created: sled
/// writes a blob in one go and closes it before the log entry that points to it can be
/// flushed, so every blob a flush covers is reported by the time the flush ends, and whole.
#[cfg(target_os = "linux")]
struct BlobWatch {
    inotify: std::os::fd::OwnedFd,
    /// Where events are read, kept from one flush to the next: 32 KiB, aligned for
    /// `inotify_event`, room for many events per read.
    buffer: Vec<u64>,
}

#[cfg(target_os = "linux")]
impl BlobWatch {
    fn start(blobs: &Path) -> io::Result<BlobWatch> {
        use std::os::fd::{FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: `inotify_init1` takes flags only; a non-negative result is a new descriptor
        // that nothing else owns.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: see above; `OwnedFd` closes it when the watch is dropped.
        let inotify = unsafe { OwnedFd::from_raw_fd(fd) };
        let path = std::ffi::CString::new(blobs.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mask = libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO | libc::IN_DELETE | libc::IN_MOVED_FROM;
        // SAFETY: a valid descriptor, a NUL-terminated path that outlives the call, a mask.
        let watch = unsafe {
            libc::inotify_add_watch(
                std::os::fd::AsRawFd::as_raw_fd(&inotify),
                path.as_ptr(),
                mask,
            )
        };
        if watch < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(BlobWatch {
            inotify,
            buffer: vec![0u64; 4096],
        })
    }

    /// What changed since the last call, in order; `None` when the kernel dropped events (its
    /// queue overflowed): then only a listing tells. An error once the kernel stopped watching
    /// (the folder went away), for good.
    fn changes(&mut self) -> io::Result<Option<Vec<BlobChange>>> {
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::OsStrExt;
        const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
        let mut changes = Vec::new();
        let mut complete = true;
        let buffer = &mut self.buffer;
        loop {
            // SAFETY: the buffer is valid for writes of its whole length in bytes.
            let read = unsafe {
                libc::read(
                    self.inotify.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len() * 8,
                )
            };
            if read < 0 {
                let error = io::Error::last_os_error();
                match error.kind() {
                    io::ErrorKind::WouldBlock => break,
                    io::ErrorKind::Interrupted => continue,
                    _ => return Err(error),
                }
            }
            if read == 0 {
                break;
            }
            // SAFETY: the kernel wrote `read` bytes into the buffer.
            let bytes: &[u8] =
                unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast(), read as usize) };
            let mut at = 0;
            while at + HEADER <= bytes.len() {
                // SAFETY: a whole header lies at `at`; `read_unaligned` needs no alignment.
                let event: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(bytes[at..].as_ptr().cast()) };
                let name_bytes =
                    &bytes[at + HEADER..(at + HEADER + event.len as usize).min(bytes.len())];
                let name = name_bytes.split(|b| *b == 0).next().unwrap_or_default();
                let name = OsString::from(std::ffi::OsStr::from_bytes(name));
                at += HEADER + event.len as usize;
                if event.mask & libc::IN_IGNORED != 0 {
                    return Err(io::Error::other(
                        "the kernel stopped watching the blob folder (it was removed or moved)",
                    ));
                }
                if event.mask & libc::IN_Q_OVERFLOW != 0 {
                    complete = false;
                } else if event.mask & (libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO) != 0 {
                    changes.push(BlobChange::Written(name));
                } else if event.mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0 {
                    changes.push(BlobChange::Removed(name));
                }
            }
        }
        Ok(complete.then_some(changes))
    }
}

/// No watch outside Linux: the folder is listed when it changes.
#[cfg(not(target_os = "linux"))]
struct BlobWatch;

#[cfg(not(target_os = "linux"))]
impl BlobWatch {
    fn start(_blobs: &Path) -> io::Result<BlobWatch> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "inotify is Linux-only",
        ))
    }

    fn changes(&mut self) -> io::Result<Option<Vec<BlobChange>>> {
        Ok(None)
    }
}

/// `syncfs(2)` of the file system holding `file`.
///
/// Only from Linux 5.8 on does `syncfs` report write-back errors; before, it succeeds even
/// when data could not be written, so older kernels get `Unsupported` and the per-file path.
#[cfg(target_os = "linux")]
fn sync_file_system(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if !reports_syncfs_errors(&release) {
        let detail = format!("syncfs reports write-back errors from Linux 5.8 on, not {release:?}");
        return Err(io::Error::new(io::ErrorKind::Unsupported, detail));
    }
    // SAFETY: `syncfs` takes a file descriptor and nothing else; `file` keeps it open for the
    // whole call.
    match unsafe { libc::syncfs(file.as_raw_fd()) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(_file: &File) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "syncfs is Linux-only",
    ))
}

/// True for a Linux release string (`6.1.0-18-amd64`) of 5.8 or later.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn reports_syncfs_errors(release: &str) -> bool {
    let mut numbers = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (5, 8),
        _ => false,
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
        set_mtime(&blobs.join("1"), long_ago);
        set_mtime(&blobs, long_ago);

        // Where nothing reports new blobs (no inotify), a settled folder is listed once, then
        // trusted while its time stays the same.
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        files.watch = None;
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
        set_mtime(&blobs.join("2"), long_ago);
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 2);
        assert_eq!(files.blobs_scanned_at_mtime, None);
        files.synced_blobs.remove(OsString::from("2").as_os_str());
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 2, "a recent time is listed again");

        // The same holds for a file added with the folder's time left where it was.
        fs::write(blobs.join("3"), b"newer").unwrap();
        set_mtime(&blobs.join("3"), long_ago);
        set_mtime(&blobs, long_ago);
        files.blobs_scanned_at_mtime = None;
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), 3);
    }

    #[test]
    fn a_listed_blob_written_moments_ago_is_synced_again_until_its_time_settles() {
        // Given a blob sled may still be writing (its time is recent) when the folder is listed,
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &[]);
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        files.watch = None;
        let blob = sled_dir.join("blobs").join("7");
        fs::write(&blob, b"half").unwrap();
        // then it is fsynced but not counted as synced: the next sync fsyncs it again,
        files.sync().unwrap();
        assert!(names(&files).is_empty(), "{:?}", names(&files));
        // and once sled is done with it (its time settled), it is counted.
        set_mtime(&blob, SystemTime::now() - Duration::from_secs(60));
        files.sync().unwrap();
        assert_eq!(names(&files), ["7"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_watch_reports_each_blob_written_and_removed_without_listing_the_folder() {
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &["1"]);
        let blobs = sled_dir.join("blobs");
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        assert!(files.watch.is_some(), "inotify watches the blob folder");
        assert_eq!(names(&files), ["1"]);

        // A blob written and closed is reported and synced, with no listing of the folder:
        // a file the watch did not report (put there behind its back, as if listed) is not
        // picked up.
        fs::write(blobs.join("2"), b"blob").unwrap();
        files.synced_blobs.insert(OsString::from("ghost"));
        files.sync().unwrap();
        assert_eq!(names(&files), ["1", "2", "ghost"]);
        // A removed one is forgotten.
        fs::remove_file(blobs.join("1")).unwrap();
        files.sync().unwrap();
        assert_eq!(names(&files), ["2", "ghost"]);
        // Nothing new: nothing changes.
        files.sync().unwrap();
        assert_eq!(names(&files), ["2", "ghost"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_blob_folder_that_goes_away_ends_the_watch_and_syncing_goes_on_by_listing() {
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &["1"]);
        let blobs = sled_dir.join("blobs");
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        assert!(files.watch.is_some());
        fs::remove_dir_all(&blobs).unwrap();
        files.sync().unwrap();
        assert!(files.watch.is_none(), "the watch is dropped");
        // The folder comes back with a blob: the listing finds it.
        fs::create_dir(&blobs).unwrap();
        fs::write(blobs.join("5"), b"blob").unwrap();
        set_mtime(
            &blobs.join("5"),
            SystemTime::now() - Duration::from_secs(60),
        );
        files.sync().unwrap();
        assert_eq!(names(&files), ["5"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_overflowing_watch_falls_back_to_one_listing() {
        // Given more blobs written between two syncs than the kernel queues events for,
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &[]);
        let blobs = sled_dir.join("blobs");
        let mut files = SledFiles::open(folder.path(), &sled_dir).unwrap();
        let queued_max: usize = fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(16_384);
        let count = queued_max + 10;
        let long_ago = SystemTime::now() - Duration::from_secs(60);
        for n in 0..count {
            let blob = blobs.join(n.to_string());
            fs::write(&blob, b"b").unwrap();
            set_mtime(&blob, long_ago);
        }
        // then the sync lists the folder and finds every one of them, and the watch stays.
        files.sync().unwrap();
        assert_eq!(files.synced_blobs.len(), count);
        assert!(files.watch.is_some());
    }
    fn sled_dir_with_blobs(folder: &Path, names: &[&str]) -> PathBuf {
        let sled_dir = folder.join("sled");
        let blobs = sled_dir.join("blobs");
        fs::create_dir_all(&blobs).unwrap();
        fs::write(sled_dir.join("db"), b"").unwrap();
        fs::write(sled_dir.join("conf"), b"").unwrap();
        // Written a while ago: sled is done with them.
        let long_ago = SystemTime::now() - Duration::from_secs(60);
        for name in names {
            fs::write(blobs.join(name), b"blob").unwrap();
            set_mtime(&blobs.join(name), long_ago);
        }
        sled_dir
    }

    fn names(files: &SledFiles) -> Vec<String> {
        let mut names: Vec<String> = files
            .synced_blobs
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn one_file_system_sync_on_open_covers_the_blobs_listed_before_it() {
        // Given a folder with two blobs, and a sync during which sled adds a third,
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &["1", "2"]);
        let mut calls = 0;
        let files = SledFiles::open_with(folder.path(), &sled_dir, |_| {
            calls += 1;
            fs::write(sled_dir.join("blobs").join("3"), b"late").unwrap();
            Ok(())
        });
        // then the file system is synced once, and only the blobs listed before that call are
        // taken as synced: the late one waits for the next sync.
        let mut files = files.unwrap();
        assert_eq!(calls, 1);
        assert_eq!(names(&files), ["1", "2"]);
        files.sync().unwrap();
        assert_eq!(names(&files), ["1", "2", "3"]);
    }

    #[test]
    fn a_failed_file_system_sync_falls_back_to_fsyncing_each_file() {
        let folder = tempfile::tempdir().unwrap();
        let sled_dir = sled_dir_with_blobs(folder.path(), &["1", "2"]);
        let failed = |_: &File| Err(io::Error::other("no"));
        let files = SledFiles::open_with(folder.path(), &sled_dir, failed).unwrap();
        assert_eq!(names(&files), ["1", "2"]);
    }

    #[test]
    fn syncfs_is_trusted_from_linux_5_8_on() {
        assert!(reports_syncfs_errors("6.1.0-18-amd64\n"));
        assert!(reports_syncfs_errors("5.8.0"));
        assert!(!reports_syncfs_errors("5.4.0-150-generic"));
        assert!(!reports_syncfs_errors("4.19.0"));
        assert!(!reports_syncfs_errors(""));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn syncfs_runs_on_this_kernel_or_says_why_not() {
        let folder = tempfile::tempdir().unwrap();
        let file = File::create(folder.path().join("x")).unwrap();
        match sync_file_system(&file) {
            Ok(()) => {}
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::Unsupported, "{e}"),
        }
    }
}
