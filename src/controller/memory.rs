//! The controller's heap between reconciles. A reconcile of a large stack allocates its
//! observation, plan and SDK buffers (tens of MiB for 100 resources) and frees them when it
//! ends; glibc's allocator keeps freed pages in its arenas (one per thread that allocated) for
//! later use, so an idle controller stayed at its peak. Handing them back after each
//! reconcile brings the idle resident set down to what the controller holds (its stacks'
//! statuses and the sources' caches), at the cost of a heap walk of a few milliseconds per
//! reconcile.

/// Return the allocator's free pages to the OS (glibc's `malloc_trim`); nothing elsewhere
/// (other C libraries return freed memory by their own rules).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_heap() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim takes no pointer, only walks glibc's own arenas under their locks,
    // and may be called from any thread at any time.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_heap() {}

/// One allocator arena for the whole process, set before the runtime starts its threads.
/// glibc gives each thread that allocates under contention an arena of its own, up to eight
/// per core: the runtime's workers and its blocking pool (git fetches, file reads) end up
/// spread over several arenas, each holding its own free space and its own pages half-filled
/// with long-lived data that `malloc_trim` cannot return. The controller is I/O-bound: its
/// threads rarely allocate at the same instant, and one arena packs what it keeps into fewer
/// pages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas() {
    extern "C" {
        fn mallopt(param: std::os::raw::c_int, value: std::os::raw::c_int) -> std::os::raw::c_int;
    }
    // glibc's malloc.h: #define M_ARENA_MAX -8
    const M_ARENA_MAX: std::os::raw::c_int = -8;
    // SAFETY: mallopt takes two integers and only changes the allocator's own settings under
    // its lock; called once, before the runtime's threads start.
    unsafe {
        mallopt(M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}

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
}
