//! The generated workflow every benchmark measures (included by path from `benches/`,
//! `dsl/benches/` and `lsp/benches/`), so their figures are about the same file.

/// A workflow of `n` blocks in canonical form: a chain of Python blocks fed by a `find_files`,
/// each with a property-rich visual neighbour, so every construct's cost shows up.
pub fn generated_workflow(n: usize) -> String {
    let mut text = String::from("/// Generated for benchmarks\nworkflow \"Generated\" {\n  version = \"1.0.0\"\n\n  var limit: Integer = 10\n\n");
    text.push_str("  block b0 = find_files \"Find\" at (0, 0) {\n    directory = \"./src\"\n    patterns = [\"*.rs\", \"*.toml\"]\n    out files: List[Path]\n  }\n");
    for i in 1..n {
        let prev = i - 1;
        if i % 2 == 0 {
            text.push_str(&format!(
                "\n  /// Step {i}\n  block b{i} = python \"Step {i}\" at ({}, {}) {{\n    in files: List[Path] <- b{prev}.files\n    optional in limit: Integer = 10\n    out files: List[Path]\n    code ```\n      files = [f for f in files if f.suffix == \".rs\"][:limit]\n      print(len(files))\n      ```\n  }}\n",
                i * 10,
                i * 20
            ));
        } else {
            text.push_str(&format!(
                "\n  block b{i} = filter_content \"Filter {i}\" at ({}, {}) {{\n    pattern = \"fn main\"\n    regex = false\n    invert = {}\n    in files: List[Path] <- b{prev}.files\n    out files: List[Path]\n  }}\n",
                i * 10,
                i * 20,
                i % 3 == 0
            ));
        }
    }
    text.push_str("}\n");
    text
}
