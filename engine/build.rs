//! Build script: lets the engine's own test and bench binaries find libpython without
//! `LD_LIBRARY_PATH`, by embedding an rpath to the directory pyo3 links it from.

fn main() {
    #[cfg(feature = "python")]
    {
        let config = pyo3_build_config::get();
        if let Some(lib_dir) = &config.lib_dir {
            // Applies to this crate's tests, benches and examples; a binary in another crate
            // (the `agentblocks` CLI) needs the same line in its own build script.
            println!("cargo:rustc-link-arg=-Wl,-rpath,{lib_dir}");
        }
    }
}
