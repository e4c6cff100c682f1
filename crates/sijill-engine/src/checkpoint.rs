//! Checkpoints: the registry saved to a file at a log position, so that opening a large
//! registry reads the newest checkpoint and replays only the events after it.
//!
//! A checkpoint is a cache of the log, never part of the record: the log alone decides what
//! was recorded, and a checkpoint that cannot be trusted is skipped (with a warning) and the
//! log replayed from an older one or from the start. A checkpoint is trusted only when
//! - its header and length are whole and its payload's BLAKE3 matches the header (a torn or
//!   damaged file is caught here);
//! - the log has an event at its position whose hash is the one the checkpoint recorded (so
//!   it was taken from this log, not from another folder's or from a log that was replaced);
//! - the domain reads the payload as a state of this version at that position.
//!
//! Files: `<folder>/registry-<position, 20 digits>.checkpoint`, written as `….tmp`, synced,
//! then renamed, so a crash leaves either the old set or the new file whole. The newest
//! [`CHECKPOINTS_KEPT`] are kept.
//!
//! Layout: [`MAGIC`], the position (u64 LE), the hash of the event at that position (32
//! bytes), the payload's length (u64 LE) and BLAKE3 (32 bytes), then the payload:
//! `sijill_domain::snapshot`'s encoding of the registry.
//!
//! When: a [`Checkpointer`] task watches the published state and saves one in the background
//! once the log has grown past the last by [`CheckpointOptions::every_events`] and by an
//! eighth of its length (so saving, which costs O(state), stays a bounded share of the work),
//! and once more at shutdown when one is due or at least [`SHUTDOWN_TAIL_MIN`] events are not
//! covered.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sijill_domain::{snapshot, Registry};
use sijill_store::EventStore;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::engine::Snapshot;

/// Where and how often an engine saves checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointOptions {
    /// The folder of checkpoint files (created when the first is saved).
    pub folder: PathBuf,
    /// Fewest events past the last checkpoint before a new one is saved while running.
    pub every_events: u64,
}

impl CheckpointOptions {
    /// Checkpoints in `folder`, every [`CHECKPOINT_EVERY_EVENTS_DEFAULT`] events or more.
    pub fn in_folder(folder: impl Into<PathBuf>) -> CheckpointOptions {
        CheckpointOptions {
            folder: folder.into(),
            every_events: CHECKPOINT_EVERY_EVENTS_DEFAULT,
        }
    }
}

/// Default of [`CheckpointOptions::every_events`]: a replay of this many events takes well
/// under a second, and a small registry is not saved again and again.
pub const CHECKPOINT_EVERY_EVENTS_DEFAULT: u64 = 10_000;
/// A running engine saves once the log has grown by at least its length divided by this
/// since the last checkpoint: saving a 1M-event registry takes about a second of one core.
pub const CHECKPOINT_GROWTH_DIVISOR: u64 = 8;
/// At shutdown a checkpoint is saved when at least this many events are not covered: enough
/// that the next start gains from it, few enough that a command-line run recording a few
/// events does not pay for a save.
pub const SHUTDOWN_TAIL_MIN: u64 = 1_000;
/// Checkpoint files kept; older ones are removed after a newer one is saved.
pub const CHECKPOINTS_KEPT: usize = 2;

const MAGIC: &[u8; 18] = b"SIJILL-CHECKPOINT\n";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32 + 8 + 32;
const SUFFIX: &str = ".checkpoint";
const PREFIX: &str = "registry-";

/// What a loaded checkpoint gave, for the caller's log line and the benchmark.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub registry: Registry,
    pub file: PathBuf,
}

/// The newest checkpoint in `folder` that belongs to the log of `store`, as a registry.
/// Checkpoints that cannot be trusted are skipped with a warning saying why; `None` when
/// there is none to use.
pub(crate) async fn load_newest(store: &Arc<dyn EventStore>, folder: &Path) -> Option<Loaded> {
    let files = match list(folder) {
        Ok(files) => files,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(folder = %folder.display(), error = %e, "cannot list checkpoints; replaying the whole log");
            return None;
        }
    };
    let head = match store.head().await {
        Ok(head) => head.position,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the log head; not using checkpoints");
            return None;
        }
    };
    for (position, file) in files.into_iter().rev() {
        if position > head {
            tracing::warn!(file = %file.display(), head, "checkpoint is past the end of the log; skipping it");
            continue;
        }
        match load(store, &file, position).await {
            Ok(registry) => return Some(Loaded { registry, file }),
            Err(why) => {
                tracing::warn!(file = %file.display(), "checkpoint skipped: {why}");
            }
        }
    }
    None
}

async fn load(store: &Arc<dyn EventStore>, file: &Path, position: u64) -> Result<Registry, String> {
    let path = file.to_path_buf();
    let (header, bytes) = tokio::task::spawn_blocking(move || read_checked(&path))
        .await
        .map_err(|e| format!("reading it failed: {e}"))??;
    if header.position != position {
        return Err(format!(
            "its header says position {} but its name says {position}",
            header.position
        ));
    }
    let event = store
        .read(position, 1)
        .await
        .map_err(|e| format!("cannot read event {position} of the log: {e}"))?;
    match event.first() {
        Some(event) if event.position() == position && event.hash() == header.event_hash => {}
        Some(_) => {
            return Err(format!(
                "event {position} of the log is not the one it was taken after (another log?)"
            ))
        }
        None => return Err(format!("the log has no event {position}")),
    }
    let registry = tokio::task::spawn_blocking(move || {
        snapshot::read_snapshot(&bytes[HEADER_LEN..]).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("decoding it failed: {e}"))??;
    if registry.position() != position {
        return Err(format!(
            "it holds the state at position {}, not {position}",
            registry.position()
        ));
    }
    Ok(registry)
}

/// Reads a checkpoint file and checks its length and checksum.
fn read_checked(file: &Path) -> Result<(Header, Vec<u8>), String> {
    let mut bytes = Vec::new();
    File::open(file)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read it: {e}"))?;
    let header = Header::parse(&bytes)?;
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != header.payload_len {
        return Err(format!(
            "it is {} bytes long; its header says {} (a torn write?)",
            payload.len(),
            header.payload_len
        ));
    }
    if *blake3::hash(payload).as_bytes() != header.payload_hash {
        return Err("its checksum does not match (the file is damaged)".to_owned());
    }
    Ok((header, bytes))
}

struct Header {
    position: u64,
    event_hash: [u8; 32],
    payload_len: u64,
    payload_hash: [u8; 32],
}

impl Header {
    fn parse(bytes: &[u8]) -> Result<Header, String> {
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err("it is not a checkpoint file (no header)".to_owned());
        }
        let mut at = MAGIC.len();
        let mut take = |n: usize| {
            let part = &bytes[at..at + n];
            at += n;
            part
        };
        let u64_at = |part: &[u8]| u64::from_le_bytes(part.try_into().expect("8 bytes"));
        let position = u64_at(take(8));
        let event_hash = take(32).try_into().expect("32 bytes");
        let payload_len = u64_at(take(8));
        let payload_hash = take(32).try_into().expect("32 bytes");
        Ok(Header {
            position,
            event_hash,
            payload_len,
            payload_hash,
        })
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(MAGIC)?;
        out.write_all(&self.position.to_le_bytes())?;
        out.write_all(&self.event_hash)?;
        out.write_all(&self.payload_len.to_le_bytes())?;
        out.write_all(&self.payload_hash)
    }
}

/// The checkpoint files in `folder`, oldest first. Removes leftover temporary files.
fn list(folder: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".tmp") && name.starts_with(PREFIX) {
            // A save that did not finish: never renamed, so never trusted; just garbage.
            let _ = fs::remove_file(entry.path());
            continue;
        }
        let position = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_suffix(SUFFIX))
            .and_then(|digits| digits.parse::<u64>().ok());
        if let Some(position) = position {
            files.push((position, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(position: u64) -> String {
    format!("{PREFIX}{position:020}{SUFFIX}")
}

/// Writes a checkpoint of `registry`, which is the state after the event whose hash is
/// `event_hash`, then removes all but the newest [`CHECKPOINTS_KEPT`]. The engine calls it;
/// it is public for tools that replayed a state themselves (the benchmark saves one behind
/// the head). A checkpoint with a wrong hash is harmless: the engine will not use it.
pub fn save_checkpoint(
    folder: &Path,
    registry: &Registry,
    event_hash: [u8; 32],
) -> io::Result<PathBuf> {
    fs::create_dir_all(folder)?;
    let position = registry.position();
    let path = folder.join(file_name(position));
    let temporary = folder.join(format!("{}.tmp", file_name(position)));
    let mut file = File::create(&temporary)?;
    // The header's length and checksum are known only at the end: leave room, fill it last.
    file.write_all(&[0; HEADER_LEN])?;
    let mut hashing = Hashing {
        inner: BufWriter::with_capacity(1 << 20, &mut file),
        hasher: blake3::Hasher::new(),
        len: 0,
    };
    snapshot::write_snapshot(registry, &mut hashing)?;
    hashing.inner.flush()?;
    let header = Header {
        position,
        event_hash,
        payload_len: hashing.len,
        payload_hash: *hashing.hasher.finalize().as_bytes(),
    };
    drop(hashing);
    file.seek(SeekFrom::Start(0))?;
    header.write(&mut file)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, &path)?;
    File::open(folder)?.sync_all()?;
    for (_, old) in list(folder)?.iter().rev().skip(CHECKPOINTS_KEPT) {
        fs::remove_file(old)?;
    }
    Ok(path)
}

/// Passes bytes on while hashing and counting them.
struct Hashing<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The task that saves checkpoints of the published state while the engine runs.
pub(crate) struct Checkpointer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Checkpointer {
    /// Starts watching `published`; `covered` is the position of the newest checkpoint the
    /// engine started from (0 when none).
    pub fn start(
        store: Arc<dyn EventStore>,
        options: CheckpointOptions,
        published: watch::Receiver<Snapshot>,
        covered: u64,
    ) -> Checkpointer {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(store, options, published, covered, stopped));
        Checkpointer { stop, task }
    }

    /// Saves a last checkpoint if enough is uncovered (see [`SHUTDOWN_TAIL_MIN`]) and
    /// returns once no save is running.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Whether a running engine should save now.
fn due(position: u64, covered: u64, every_events: u64) -> bool {
    let tail = position.saturating_sub(covered);
    tail >= every_events.max(position / CHECKPOINT_GROWTH_DIVISOR) && tail > 0
}

async fn run(
    store: Arc<dyn EventStore>,
    options: CheckpointOptions,
    mut published: watch::Receiver<Snapshot>,
    mut covered: u64,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let latest = published.borrow_and_update().clone();
        if due(latest.position, covered, options.every_events) {
            if let Some(position) = save_in_background(&store, &options.folder, latest).await {
                covered = position;
            }
            continue;
        }
        tokio::select! {
            changed = published.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = &mut stopped => break,
        }
    }
    let last = published.borrow().clone();
    let tail = last.position.saturating_sub(covered);
    if tail >= SHUTDOWN_TAIL_MIN || due(last.position, covered, options.every_events) {
        save_in_background(&store, &options.folder, last).await;
    }
}

/// Saves a checkpoint of `state` on a blocking thread; logs and returns `None` on failure
/// (a checkpoint is an optimisation: failing to save one loses nothing).
async fn save_in_background(
    store: &Arc<dyn EventStore>,
    folder: &Path,
    state: Snapshot,
) -> Option<u64> {
    let position = state.position;
    let event_hash = match store.read(position, 1).await {
        Ok(events) if events.first().is_some_and(|e| e.position() == position) => events[0].hash(),
        Ok(_) => {
            tracing::warn!(
                position,
                "cannot save a checkpoint: the log has no such event"
            );
            return None;
        }
        Err(e) => {
            tracing::warn!(position, error = %e, "cannot save a checkpoint: reading the log failed");
            return None;
        }
    };
    let folder = folder.to_path_buf();
    let started = Instant::now();
    let saved =
        on_background_thread(move || save_checkpoint(&folder, &state.registry, event_hash)).await;
    match saved {
        Ok(Ok(path)) => {
            tracing::info!(file = %path.display(), position, seconds = started.elapsed().as_secs_f64(), "checkpoint saved");
            Some(position)
        }
        Ok(Err(e)) => {
            tracing::warn!(position, error = %e, "saving a checkpoint failed");
            None
        }
        Err(e) => {
            tracing::warn!(position, error = %e, "saving a checkpoint failed");
            None
        }
    }
}

/// Nice value of the thread that saves a checkpoint: the lowest priority there is.
const BACKGROUND_NICE: i32 = 19;

/// Runs `work` on a thread of its own at the lowest CPU priority and returns its result.
///
/// Saving a large registry takes a second or more of processor time; at normal priority it
/// takes a core from the writer and the readers for that long. At nice 19 the scheduler gives
/// it the time they leave (while they wait for the disk, between requests), so the save takes
/// longer under load and costs the registry's callers almost nothing.
async fn on_background_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    let (done, result) = oneshot::channel();
    std::thread::Builder::new()
        .name("sijill-checkpoint".into())
        .spawn(move || {
            lower_priority();
            let _ = done.send(work());
        })?;
    result
        .await
        .map_err(|_| io::Error::other("the checkpoint thread panicked"))
}

/// Asks for [`BACKGROUND_NICE`] for the calling thread (Linux threads have a nice value of
/// their own). Failing leaves the thread at normal priority, which is slower, never wrong.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: `gettid` and `setpriority` take and return plain integers.
    let result = unsafe {
        let thread = libc::gettid() as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, thread, BACKGROUND_NICE)
    };
    if result != 0 {
        let error = io::Error::last_os_error();
        tracing::debug!(%error, "checkpoint thread keeps its priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn own_nice() -> i32 {
        // SAFETY: plain integers in and out; errno is cleared first because -1 is a valid
        // nice value.
        unsafe {
            *libc::__errno_location() = 0;
            libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t)
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn checkpoints_are_saved_at_the_lowest_priority_without_lowering_the_caller() {
        let caller = own_nice();
        let saver = on_background_thread(own_nice).await.unwrap();
        assert_eq!(saver, BACKGROUND_NICE);
        assert_eq!(own_nice(), caller);
    }

    #[test]
    fn a_running_engine_saves_after_every_events_and_an_eighth_of_the_log() {
        assert!(!due(0, 0, 10));
        assert!(!due(9, 0, 10));
        assert!(due(10, 0, 10));
        // At a million events, wait for an eighth of the log (about 143,000 more), not 10.
        assert!(!due(1_140_000, 1_000_000, 10));
        assert!(due(1_150_000, 1_000_000, 10));
    }

    #[test]
    fn files_are_listed_oldest_first_and_leftovers_removed() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        for name in [
            file_name(20),
            file_name(3),
            format!("{}.tmp", file_name(40)),
            "notes.txt".to_owned(),
        ] {
            fs::write(folder.path().join(name), b"x").expect("writing");
        }
        let listed: Vec<u64> = list(folder.path())
            .expect("listing")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(listed, [3, 20]);
        assert!(!folder
            .path()
            .join(format!("{}.tmp", file_name(40)))
            .exists());
        assert!(folder.path().join("notes.txt").exists());
    }
}
