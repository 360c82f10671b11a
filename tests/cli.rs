//! End-to-end tests of the `agentblocks` binary: commands, exit codes, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn agentblocks(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

const SMALL: &str = "workflow \"Small\" {\n  block read = read_file \"Read\" {\n    path = \"a.txt\"\n    out content: String\n  }\n}\n";

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["--help"][..],
        &["check", "--help"],
        &["fmt", "--help"],
        &["convert", "--help"],
        &["blocks", "--help"],
        &["run", "--help"],
        &["runs", "--help"],
        &["expand", "--help"],
        &["lsp", "--help"],
        &["cache", "--help"],
        &["cache", "prune", "--help"],
        &["cache", "clear", "--help"],
    ] {
        let output = agentblocks(command, dir.path());
        assert!(output.status.success(), "{command:?}: {}", stderr(&output));
        assert!(stdout(&output).contains("Usage:"), "{command:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = agentblocks(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let output = agentblocks(&["frobnicate"], dir.path());
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bad_paths_get_clear_messages_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder.ab")).unwrap();
    std::fs::write(
        dir.path().join("garbage.ab"),
        [0xff, 0xfe, 0x00, 0x81, 0x12],
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let cases = [
        ("missing.ab", "cannot read `missing.ab`: no such file"),
        ("folder.ab", "`folder.ab` is a directory"),
        ("garbage.ab", "`garbage.ab` is not UTF-8 text"),
        (
            "notes.txt",
            "unknown file kind; expected a `.ab` or `.agentblocks` file",
        ),
    ];
    for (file, message) in cases {
        for command in ["check", "fmt", "convert"] {
            let output = agentblocks(&[command, file], dir.path());
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command} {file}: {}",
                stderr(&output)
            );
            assert!(
                stderr(&output).contains(message),
                "{command} {file}: {}",
                stderr(&output)
            );
            assert!(!stderr(&output).contains("panicked"), "{command} {file}");
        }
    }
}

#[test]
fn a_50_mb_file_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ab");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(50 * 1000 * 1000).unwrap();
    let output = agentblocks(&["check", "big.ab"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("`big.ab` is 50.0 MB; workflow files larger than 16 MB are not supported"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn binary_garbage_that_is_utf8_is_a_syntax_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: String = (0..4000u32)
        .map(|i| char::from_u32((i * 7919) % 0x2FFF).unwrap_or('\0'))
        .collect();
    std::fs::write(dir.path().join("noise.ab"), &garbage).unwrap();
    std::fs::write(dir.path().join("noise.agentblocks"), &garbage).unwrap();
    for file in ["noise.ab", "noise.agentblocks"] {
        let output = agentblocks(&["check", file], dir.path());
        assert_eq!(output.status.code(), Some(1), "{file}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("error["),
            "{file}: {}",
            stderr(&output)
        );
    }
}

/// 100,000 levels of nesting (a value, a type, a type string, JSON) are errors at the place
/// they get too deep, never a stack overflow; a value nested as deep as the JSON reader allows
/// converts to JSON it reads back.
#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    const DEEP: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let array = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let list = |n: usize| "List[".repeat(n) + "String" + &"]".repeat(n);
    let files = [
        (
            "value.ab",
            format!("workflow \"D\" {{\n  @deep = {}\n}}\n", array(DEEP)),
            "value nested deeper than 256 levels",
        ),
        (
            "type.ab",
            format!("workflow \"D\" {{\n  var v: {}\n}}\n", list(DEEP)),
            "type nested deeper than 256 levels",
        ),
        (
            "type.agentblocks",
            format!(
                "{{\"format_version\": \"1.0\", \"workflow\": {{\"name\": \"D\", \"types\": {{\"T\": \"{}\"}}}}}}",
                list(DEEP)
            ),
            "type nested deeper than 256 levels",
        ),
        (
            "value.agentblocks",
            format!("{{\"format_version\": \"1.0\", \"workflow\": {{\"deep\": {}}}}}", array(DEEP)),
            "json nested deeper than 256 levels",
        ),
    ];
    for (file, text, message) in &files {
        std::fs::write(dir.path().join(file), text).unwrap();
        for command in [&["check"][..], &["fmt", "--check"], &["convert"]] {
            let args: Vec<&str> = command.iter().copied().chain([*file]).collect();
            let output = agentblocks(&args, dir.path());
            // A JSON type string is only parsed by `check`: `fmt` and `convert` keep it as text.
            if *file == "type.agentblocks" && command[0] != "check" {
                assert!(output.status.code().is_some_and(|c| c < 2), "{args:?}");
                continue;
            }
            assert_eq!(
                output.status.code(),
                Some(1),
                "{args:?}: {}",
                stderr(&output)
            );
            assert!(stderr(&output).contains(message), "{args:?}");
        }
    }

    // At the limit: the workflow's `@deep` sits in two objects, so 254 more levels fit.
    let text = format!("workflow \"D\" {{\n  @deep = {}\n}}\n", array(254));
    std::fs::write(dir.path().join("limit.ab"), text).unwrap();
    let output = agentblocks(
        &["convert", "limit.ab", "-o", "limit.agentblocks"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = agentblocks(&["check", "limit.agentblocks"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = format!("workflow \"D\" {{\n  @deep = {}\n}}\n", array(255));
    std::fs::write(dir.path().join("over.ab"), text).unwrap();
    let output = agentblocks(&["check", "over.ab"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("error[too-deep]"));
}

#[test]
fn check_exit_codes_follow_the_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.ab"), SMALL).unwrap();
    std::fs::write(
        dir.path().join("broken.ab"),
        "workflow \"W\" {\n  block a = python {\n    in x: \n",
    )
    .unwrap();
    assert_eq!(
        agentblocks(&["check", "ok.ab"], dir.path()).status.code(),
        Some(0)
    );
    let output = agentblocks(&["check", "ok.ab", "broken.ab"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("broken.ab:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.ab"),
        "workflow \"W\" {\n  block a = python {\n",
    )
    .unwrap();
    let output = agentblocks(&["check", "--format", "json", "broken.ab"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let file = &value["files"][0];
    assert_eq!(file["path"], "broken.ab");
    let diagnostic = &file["diagnostics"][0];
    assert_eq!(diagnostic["severity"], "error");
    for key in ["code", "message", "range", "related", "help"] {
        assert!(diagnostic.get(key).is_some(), "missing {key}: {diagnostic}");
    }
    assert!(diagnostic["range"]["start"]["line"].is_u64());
    assert!(diagnostic["range"]["end"]["character"].is_u64());
}

#[test]
fn fmt_rewrites_in_place_and_check_lists_files() {
    let dir = tempfile::tempdir().unwrap();
    let messy =
        "workflow   \"Small\"{ block read=read_file \"Read\"{path=\"a.txt\"\nout content:String}}";
    std::fs::write(dir.path().join("messy.ab"), messy).unwrap();
    std::fs::write(dir.path().join("clean.ab"), SMALL).unwrap();
    let output = agentblocks(&["fmt", "--check", "messy.ab", "clean.ab"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output).trim(), "messy.ab");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.ab")).unwrap(),
        messy,
        "--check changes nothing"
    );
    let output = agentblocks(&["fmt", "messy.ab", "clean.ab"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.ab")).unwrap(),
        SMALL
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

#[test]
fn fmt_through_a_symbolic_link_rewrites_the_file_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let messy =
        "workflow   \"Small\"{ block read=read_file \"Read\"{path=\"a.txt\"\nout content:String}}";
    std::fs::write(dir.path().join("real.ab"), messy).unwrap();
    std::os::unix::fs::symlink("real.ab", dir.path().join("link.ab")).unwrap();
    let output = agentblocks(&["fmt", "link.ab"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let link = std::fs::symlink_metadata(dir.path().join("link.ab")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real.ab")).unwrap(),
        SMALL
    );
    std::os::unix::fs::symlink("gone.ab", dir.path().join("dangling.ab")).unwrap();
    std::fs::write(dir.path().join("messy.ab"), messy).unwrap();
    let output = agentblocks(
        &["convert", "messy.ab", "-o", "dangling.ab", "--to", "dsl"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("symbolic link"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "workflow \"W\" {\n  block a = python {\n";
    std::fs::write(dir.path().join("broken.ab"), broken).unwrap();
    let output = agentblocks(&["fmt", "broken.ab"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot format `broken.ab`: it has errors"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.ab")).unwrap(),
        broken
    );
}

#[test]
fn convert_refuses_a_to_that_disagrees_with_the_output_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.ab"), SMALL).unwrap();
    let output = agentblocks(
        &[
            "convert",
            "small.ab",
            "-o",
            "out.agentblocks",
            "--to",
            "dsl",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`--to dsl` disagrees"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out.agentblocks").exists());
    let output = agentblocks(
        &["convert", "small.ab", "-o", "no/such/out.agentblocks"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("there is no folder `no/such`"),
        "{}",
        stderr(&output)
    );
    // Agreeing, or an output name of neither kind: `--to` decides.
    for (out, to) in [("out.agentblocks", "json"), ("out.txt", "json")] {
        let output = agentblocks(&["convert", "small.ab", "-o", out, "--to", to], dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
        let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
        assert!(text.starts_with('{'), "{text}");
    }
}

#[test]
fn convert_goes_both_ways_through_files_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.ab"), SMALL).unwrap();
    let output = agentblocks(
        &["convert", "small.ab", "-o", "small.agentblocks"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("small.agentblocks")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(
        json["workflow"]["blocks"]["read"]["block_type"],
        "read_file"
    );
    let output = agentblocks(&["convert", "small.agentblocks"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), SMALL);
    let output = agentblocks(&["convert", "small.ab", "--to", "dsl"], dir.path());
    assert_eq!(stdout(&output), SMALL);
}

#[test]
fn convert_says_when_comments_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.ab"), format!("// a note\n{SMALL}")).unwrap();
    let output = agentblocks(&["convert", "c.ab"], dir.path());
    assert!(output.status.success());
    assert!(
        stderr(&output).contains("1 plain comment was dropped"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unknown_format_version_is_an_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("future.agentblocks"),
        r#"{"format_version": "2.0", "workflow": {"name": "W"}}"#,
    )
    .unwrap();
    let output = agentblocks(
        &["convert", "future.agentblocks", "-o", "future.ab"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("2.0"), "{}", stderr(&output));
    assert!(stderr(&output).contains("nothing was written"));
    assert!(!dir.path().join("future.ab").exists());
}

#[test]
fn examples_check_clean() {
    let mut files: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "ab" || e == "agentblocks")
        })
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "examples and their twins: {files:?}");
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let output = agentblocks(&args, &examples());
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn lsp_exits_on_exit_while_standard_input_stays_open() {
    use std::io::Write;
    use std::process::Stdio;
    let mut server = Command::new(env!("CARGO_BIN_EXE_agentblocks"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut stdin = server.stdin.take().expect("stdin");
    for message in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
        r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","method":"exit"}"#,
    ] {
        write!(stdin, "Content-Length: {}\r\n\r\n{message}", message.len()).unwrap();
    }
    stdin.flush().unwrap();
    // Standard input stays open (`stdin` lives to the end of the test): the server must end on
    // `exit` alone. A generous bound: a hang is what this catches.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = server.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    let status = status.expect("the server ends after `exit` with standard input open");
    assert!(status.success(), "{status:?}");
}
