//! Docker-style `--format`: a subset of Go's `text/template` evaluated over JSON values,
//! Go's `text/tabwriter`, and the Docker CLI's table convention.
//!
//! Supported: text and actions with `{{-`/`-}}` trimming, comments, field chains (`.A.B`),
//! `.`, `$`, variables (`$x := ...`, `$x = ...`), pipelines, parenthesised pipelines,
//! string/number/bool/nil literals, `if`/`else if`/`else`, `range` (with `$i, $v :=`,
//! `else`, `break`, `continue`), `with`/`else`, and the functions Docker users reach for:
//! Go's `and or not len index slice print printf println eq ne lt le gt ge` and the Docker
//! CLI's `json split join title lower upper pad truncate`. Not supported: `define`,
//! `template`, `block`, method calls. A missing map key prints `<no value>`, as in Go.
#![deny(missing_docs)]

mod exec;
mod parse;
mod tabwriter;

pub use tabwriter::TabWriter;

use serde_json::Value;

/// A template error (parse or execution), with Go-like wording.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses a template.
    pub fn parse(src: &str) -> Result<Template, Error> {
        Ok(Template { nodes: parse::parse(src)? })
    }

    /// Executes it with `data` as `.`.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        exec::execute(&self.nodes, data)
    }
}

/// Renders rows the way the Docker CLI's formatter does: a `table` format gets a header
/// (the template executed over `headers`) and goes through the tab writer; any other
/// format is executed per row, each followed by a newline. `\t` and `\n` typed as two
/// characters become a tab and a newline.
pub fn format_rows(format: &str, rows: &[Value], headers: &Value) -> Result<String, Error> {
    let trimmed = format.trim_start();
    let is_table = trimmed.starts_with("table");
    let body = if is_table { &trimmed["table".len()..] } else { format };
    let body = body.trim_matches(' ').replace("\\t", "\t").replace("\\n", "\n");
    let t = Template::parse(&body)?;
    let mut out = String::new();
    if is_table {
        let mut header = t.execute(headers)?;
        header = header.replace("<no value>", "");
        out.push_str(&header);
        out.push('\n');
    }
    for r in rows {
        out.push_str(&t.execute(r)?);
        out.push('\n');
    }
    if is_table {
        let mut tw = TabWriter::docker();
        tw.write(&out);
        return Ok(tw.flush());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
