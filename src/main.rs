//! The `mapihang` binary: the command line with the built-in variants.

fn main() -> std::process::ExitCode {
    mapihang::main_with(Vec::new())
}
