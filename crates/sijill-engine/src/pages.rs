//! The process's page size policy: regular 4 KiB pages, not transparent huge pages.
//!
//! mimalloc asks the kernel for transparent huge pages on its arenas (`MADV_HUGEPAGE`), and
//! the registry's state churns through them: every writer round copies the paths it changes
//! and frees the old ones, and mimalloc hands freed memory back in small ranges. Under write
//! load that meant 2 MiB pages zeroed on first touch, then split again when part of one was
//! given back: one run of the engine benchmark's 64 × 10 row (with its rows on a memory store)
//! faulted in 1,560 huge pages (3 GiB zeroed) and split 850. With huge pages off the same run
//! faults in and splits none, and durable throughput rose (docs/performance.md, "Engine").

use std::io;

/// Turns transparent huge pages off for this process and any it starts
/// (`prctl(PR_SET_THP_DISABLE)`, Linux 3.15 and later): mappings made before the call are
/// covered too, since the kernel checks the flag at each fault. Call it first thing in
/// `main`; the `sijill` binary and the benchmarks do, so they measure what runs.
pub fn disable_transparent_huge_pages() -> io::Result<()> {
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and the rest must be zero; it
    // reads and writes no memory of ours.
    let done = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turning_huge_pages_off_is_seen_by_the_kernel() {
        // The flag is per process: every test in this binary shares it, and none depends on
        // huge pages, so setting it here changes nothing else.
        disable_transparent_huge_pages().expect("prctl(PR_SET_THP_DISABLE) is refused");
        // SAFETY: PR_GET_THP_DISABLE takes no argument and reads no memory of ours.
        let state = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(state, 1, "PR_GET_THP_DISABLE after setting it");
    }
}
