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

/// Writes the marker atomically (temporary file, fsync, rename, fsync of the folder), so a
/// crash leaves either no marker or a whole one.
fn write_marker(folder: &Path) -> io::Result<()> {
    let temporary = folder.join(format!("{FORMAT_FILE}.tmp"));
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
}

impl SledFiles {
    /// Opens the files and makes what sled wrote while opening durable.
    pub fn open(folder: &Path, sled_dir: &Path) -> io::Result<Self> {
        let db = File::open(sled_dir.join("db"))?;
        let mut files = SledFiles {
            sled_dir: sled_dir.to_path_buf(),
            db,
            synced_blobs: HashSet::new(),
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

    fn sync_new_blobs(&mut self) -> io::Result<()> {
        let blobs = self.sled_dir.join("blobs");
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
        Ok(())
    }
}
