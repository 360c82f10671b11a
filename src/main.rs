//! The `agentblocks` command-line interface.
fn main() {
    eprintln!("agentblocks: no commands yet");
    std::process::exit(2);
}
