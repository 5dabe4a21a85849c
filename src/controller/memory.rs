//! The controller's heap between reconciles. A reconcile of a large stack allocates its
//! observation, plan and SDK buffers (tens of MiB for 100 resources) and frees them when it
//! ends; what the controller keeps (its stacks' statuses, the event index, the sources'
//! caches, the SDK's connection pools) is a few MiB, allocated here and there during the same
//! reconciles.
//!
//! With glibc's allocator those few MiB ended up spread over most of the heap's pages: an idle
//! controller of 10 stacks × 100 resources held ~5 MB live in ~22 MB of resident heap, even
//! after `malloc_trim`, which can only return pages with nothing live on them. On Linux the
//! process's allocator is jemalloc instead: it packs objects of one size class into small
//! slabs and fills the oldest non-full slab first, so what lives on stays packed, and one
//! arena (the controller is I/O-bound: its threads rarely allocate at the same instant) keeps
//! a single set of slabs, without per-thread caches. After each reconcile every page freed is
//! handed back at once ([`release_free_heap`]) instead of after jemalloc's decay time.

/// jemalloc everywhere in the process on Linux (the tests run on it too).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read when it starts (before `main`): one arena, and no per-thread
/// caches. A thread's cache keeps the objects it freed for its next allocations, out of reach
/// of the purge: the threads' caches held 2.6 MiB after the reconciles of a 10 × 100 fleet
/// (idle: 12.2 MiB anonymous with them, 9.6 without). The controller is I/O-bound: an allocation
/// taking the arena's lock costs nothing it would notice.
#[cfg(target_os = "linux")]
#[used]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: ConfString = ConfString(c"narenas:1,tcache:false".as_ptr());

/// A C string for jemalloc to read, as `const char *malloc_conf`.
#[cfg(target_os = "linux")]
#[repr(transparent)]
struct ConfString(*const std::ffi::c_char);

// SAFETY: the pointer is to a static byte string, never written.
#[cfg(target_os = "linux")]
unsafe impl Sync for ConfString {}

/// Hand every page the allocator holds free back to the OS (jemalloc's purge of all arenas);
/// nothing elsewhere.
#[cfg(target_os = "linux")]
pub fn release_free_heap() {
    // "arena.<MALLCTL_ARENAS_ALL>.purge": MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
    const PURGE_ALL: &std::ffi::CStr = c"arena.4096.purge";
    // SAFETY: a NUL-terminated name of a void mallctl, which reads and writes nothing through
    // the null pointers; jemalloc takes its own locks.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            PURGE_ALL.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub fn release_free_heap() {}

#[cfg(test)]
mod tests {
    #[test]
    fn releasing_the_free_heap_keeps_live_allocations_intact() {
        let live: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        drop((0..64).map(|_| vec![0u8; 64 * 1024]).collect::<Vec<_>>());
        super::release_free_heap();
        for (i, block) in live.iter().enumerate() {
            assert!(block.iter().all(|b| *b == i as u8));
        }
    }

    /// A number jemalloc reports, by its mallctl name.
    #[cfg(target_os = "linux")]
    fn read<T: Default>(name: &str) -> T {
        let name = std::ffi::CString::new(name).unwrap();
        let mut value = T::default();
        let mut size = std::mem::size_of::<T>();
        // SAFETY: `value` is a T of `size` bytes, the type the named mallctl reads out.
        let status = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&mut value as *mut T).cast(),
                &mut size,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(status, 0, "mallctl {name:?}");
        value
    }

    /// The process's anonymous resident memory (heap and stacks), in bytes.
    #[cfg(target_os = "linux")]
    fn resident_bytes() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kib: usize = status
            .lines()
            .find_map(|line| line.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon in /proc/self/status");
        kib * 1024
    }

    /// Run `test` alone in a process of its own (this binary, filtered to it): the allocator's
    /// counts are the whole process's, and the other tests allocate and free in parallel.
    #[cfg(target_os = "linux")]
    fn alone(test: &str) -> bool {
        if std::env::var_os("SLSCTL_ALLOCATOR_TEST").is_some() {
            return true;
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--test-threads", "1"])
            .env("SLSCTL_ALLOCATOR_TEST", "1")
            .status()
            .unwrap();
        assert!(status.success(), "{test}, alone in its process, failed");
        false
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_allocator_is_one_arena_and_hands_freed_pages_back_when_asked() {
        if !alone("controller::memory::tests::the_allocator_is_one_arena_and_hands_freed_pages_back_when_asked") {
            return;
        }
        assert_eq!(read::<u32>("opt.narenas"), 1, "malloc_conf was not read");
        assert!(!read::<bool>("opt.tcache"), "threads cache what they free");
        // 32 MiB in 4 KiB blocks, written, then freed: jemalloc keeps the pages for reuse
        // (its decay takes seconds) until the purge hands them back.
        let before = resident_bytes();
        let blocks: Vec<Vec<u8>> = (0..8192).map(|i| vec![i as u8; 4096]).collect();
        let held = resident_bytes();
        drop(blocks);
        let freed = resident_bytes();
        super::release_free_heap();
        let released = resident_bytes();
        assert!(
            held >= before + (32 << 20) && freed + (1 << 20) >= held,
            "freed pages stay resident until released: {before} → {held} → {freed}"
        );
        assert!(
            released + (24 << 20) <= freed,
            "the release handed back less than 24 of the 32 MiB freed: {freed} → {released}"
        );
    }
}
