//! The `mapihang` binary: the command line with the built-in variants.

/// mimalloc, not the system allocator: the complete searches allocate and free many small
/// vectors per execution (docs/performance.md, "A persistent set, canonical sleep masks, a
/// faster allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mapihang::main_with(Vec::new())
}
