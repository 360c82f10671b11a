//! `agentblocks blocks`: print the block catalogue (built-in blocks and code languages).

use std::fmt::Write as _;

use agentblocks_dsl::catalog::{self, BlockDef, LanguageDef, PortDef};

use crate::output::{out, outln};
use crate::Status;

/// Prints the catalogue, as JSON with `json`, else as a readable listing.
pub fn run(json: bool) -> Status {
    let printed = if json {
        match serde_json::to_string_pretty(&catalog::to_json()) {
            Ok(text) => outln!("{text}"),
            Err(e) => {
                crate::report_error(e);
                return Status::Usage;
            }
        }
    } else {
        out!("{}", listing())
    };
    match printed {
        Ok(()) => Status::Success,
        Err(error) => crate::output::failed(&error),
    }
}

/// The human listing of the whole catalogue.
fn listing() -> String {
    let mut out = String::new();
    for def in catalog::blocks() {
        block(&mut out, def);
        out.push('\n');
    }
    out.push_str("code languages\n");
    for def in catalog::languages() {
        language(&mut out, def);
    }
    out
}

fn ports(out: &mut String, title: &str, ports: &[PortDef]) {
    if ports.is_empty() {
        let _ = writeln!(out, "  {title}: none");
        return;
    }
    let _ = writeln!(out, "  {title}:");
    let width = ports
        .iter()
        .map(|p| p.name.len() + p.ty.to_dsl().len() + 2)
        .max()
        .unwrap_or(0);
    for port in ports {
        let head = format!("{}: {}", port.name, port.ty.to_dsl());
        let optional = if port.required { "" } else { " (optional)" };
        let _ = writeln!(out, "    {head:width$}  {}{optional}", port.help);
    }
}

fn block(out: &mut String, def: &BlockDef) {
    let _ = writeln!(out, "{} - {}", def.name, def.summary);
    let _ = writeln!(out, "  {}", def.documentation);
    if def.properties.is_empty() {
        let _ = writeln!(out, "  properties: none");
    } else {
        let _ = writeln!(out, "  properties:");
        let name_width = def
            .properties
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0);
        for p in &def.properties {
            let mut notes = vec![p.kind.describe()];
            if p.required {
                notes.push("required".to_string());
            }
            if let Some((other, values)) = p.required_when {
                notes.push(format!(
                    "required when `{other}` is {}",
                    values.join(" or ")
                ));
            }
            if let Some(default) = &p.default {
                notes.push(format!("default {default}"));
            }
            let _ = writeln!(
                out,
                "    {:name_width$}  {}  ({})",
                p.name,
                p.help,
                notes.join(", ")
            );
        }
    }
    ports(out, "inputs", &def.inputs);
    ports(out, "outputs", &def.outputs);
}

fn language(out: &mut String, def: &LanguageDef) {
    let _ = writeln!(out, "  {} - {}", def.name, def.summary);
    let _ = writeln!(out, "    inputs: {}", def.inputs);
    let _ = writeln!(out, "    outputs: {}", def.outputs);
}

#[cfg(test)]
mod tests {
    #[test]
    fn listing_names_every_block_and_language() {
        let text = super::listing();
        assert!(text.contains("find_files - "));
        assert!(text.contains("files: List[Path]"));
        assert!(text.contains("max_files"));
        assert!(text.contains("  shell - "));
    }
}
