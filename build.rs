//! Build script of the CLI: embeds an rpath to the folder holding libpython, so the binary (and
//! the end-to-end tests that run it) start without `LD_LIBRARY_PATH`.

fn main() {
    let config = pyo3_build_config::get();
    if let Some(lib_dir) = &config.lib_dir {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{lib_dir}");
        println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{lib_dir}");
    }
}
