//! Docker-compatible `--format` templates for berth.
//!
//! This crate provides three things:
//!
//! * [`Template`]: a faithful subset of Go's `text/template`, evaluated over
//!   [`serde_json::Value`] data (JSON objects play the role of Go structs and
//!   maps), with Go's builtin functions and the Docker CLI's template
//!   functions (`json`, `split`, `join`, `title`, `lower`, `upper`, `pad`,
//!   `truncate`).
//! * [`TabWriter`]: Go's `text/tabwriter` (as forked by the Docker CLI),
//!   which aligns tab-terminated cells into columns.
//! * [`format_rows`]: the Docker CLI's formatter contract
//!   (`cli/command/formatter`): `table` prefix handling, `\t`/`\n` escapes,
//!   a header row rendered with Docker's header functions, and tabwriter
//!   output.
//!
//! ```
//! use serde_json::json;
//! let rows = [json!({"Repository": "busybox", "Tag": "latest"})];
//! let headers = json!({"Repository": "REPOSITORY", "Tag": "TAG"});
//! let out = gotmpl::format_rows("table {{.Repository}}\\t{{.Tag}}", &rows, &headers).unwrap();
//! assert_eq!(out, "REPOSITORY   TAG\nbusybox      latest\n");
//! ```
//!
//! # Supported template language
//!
//! Text, `{{pipeline}}` actions, `{{/* comments */}}`, trim markers `{{- `
//! and ` -}}`, fields `.A.B`, `.`, `$`, `$.A`, variables (`$x := …`,
//! `$x = …`, `$x.Field`), `(pipeline).Field` chains, `if`/`else if`/`else`,
//! `with`/`else with`/`else`, `range` (arrays, objects in sorted key order,
//! integers) with one or two variables and `else`, `break`/`continue`,
//! `define`/`template`/`block`, pipelines with `|`, parenthesised
//! sub-pipelines, and string (with Go escapes), raw string, character,
//! integer (decimal/hex/octal/binary, `_` separators), float, `true`,
//! `false` and `nil` literals.
//!
//! Builtins: `and`, `or` (short-circuit, returning the deciding value),
//! `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq` (any of
//! several), `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`.
//! `printf` implements Go's `fmt` verbs `%v %s %q %d %t %f %F %e %E %g %G %x
//! %X %o %O %b %c %U %T %%` with flags, width and precision (including `*`),
//! and Go's `%!verb(type=value)`, `%!v(MISSING)`, `%!(EXTRA …)` markers.
//!
//! Values print as Go's `fmt` prints decoded JSON: strings raw, integers
//! without a decimal point, floats like `%v` of a float64 (`1.5`, `100`,
//! `1e+06`, `1e+21`), `true`/`false`, arrays as `[a b c]`, objects as
//! `map[k1:v1 k2:v2]` with sorted keys, a missing key as `<no value>`.
//!
//! # Deliberate differences from Go
//!
//! * **Data model.** Data is JSON, so there are no methods. A field invoked
//!   with one argument on an object-valued key emulates Docker's accessor
//!   methods: `{{.Label "com.example"}}` looks the key up in the object
//!   stored under `Label` and yields `""` when absent.
//! * **`null`** (a Go nil pointer, slice or map in Docker's typed data)
//!   prints as `<nil>`; `range` over it runs the `else` branch, `len` of it
//!   is 0, `join` of it is `""`, and `index` with a string key yields `""`.
//!   A field access on `null` is an error, as on a nil pointer in Go.
//! * **`index` on a missing object key** yields `""` when every value of
//!   the object is a string (Docker's `map[string]string` label maps),
//!   otherwise no value. `.Key` on a missing key always yields no value
//!   (`<no value>`), as in Go.
//! * **Numbers.** JSON integers are Go ints and other numbers float64s, but
//!   comparisons accept int/float mixes and `printf` accepts float verbs on
//!   integers and integer verbs on integral floats (Go would report
//!   `incompatible types` or `%!d(float64=…)`), since JSON does not preserve
//!   Go's static types.
//! * **`json`** follows the Docker CLI: `encoding/json` with
//!   `SetEscapeHTML(false)`, so `<`, `>` and `&` are *not* escaped; object
//!   keys keep the order of the `Value` (struct field order); no trailing
//!   newline.
//! * **`truncate`** counts characters (Docker slices bytes, which can split a
//!   UTF-8 sequence).
//! * **Error messages** follow Go's shapes (`template: :1: function "foo" not
//!   defined`, `template: :1:2: executing "" at <.Foo>: …`) but name JSON
//!   types (`string`, `float64`, `[]interface {}`, …). Parse errors show the
//!   line like Go; [`Error::Parse`] also carries the column.
//! * **Range over an integer** runs `else` only when the count is zero.
//! * **Not supported:** complex and hex-float literals, the `call` builtin,
//!   custom delimiters, `Option("missingkey=…")`, `printf` argument indexes
//!   (`%[1]d`) and Go-syntax `%#v`; `{{template}}` nesting is limited to
//!   200 levels (Go: 100000).
//! * **Tabwriter** widths are display widths (the Docker fork uses
//!   go-runewidth; this crate uses a compact table of wide and zero-width
//!   ranges), which equal character counts for ASCII.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;

use serde_json::Value;

mod exec;
mod funcs;
mod gofmt;
mod lexer;
mod parse;
mod tabwriter;

#[cfg(test)]
mod tests;

pub use tabwriter::TabWriter;

/// Template parse or execution error. `Display` follows Go's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The template text is malformed, e.g. `unclosed action`,
    /// `unexpected {{end}}`, `function "foo" not defined`.
    #[error("template: :{line}: {message}")]
    Parse {
        /// 1-based line of the offending token.
        line: usize,
        /// 0-based byte column of the offending token on that line.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// Executing the template failed, e.g. a field lookup on a string.
    #[error("template: :{line}:{col}: executing \"\" at <{context}>: {message}")]
    Exec {
        /// 1-based line of the node being executed.
        line: usize,
        /// 0-based byte column of that node (as Go reports it).
        col: usize,
        /// The node, printed back as template source (e.g. `.Foo.Bar`).
        context: String,
        /// What went wrong.
        message: String,
    },
}

/// 1-based line and 0-based byte column (Go's `ErrorContext`) of `pos`.
pub(crate) fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(src.len());
    let before = &src[..pos];
    let line = 1 + before.matches('\n').count();
    let col = match before.rfind('\n') {
        Some(i) => pos - (i + 1),
        None => pos,
    };
    (line, col)
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    src: String,
    root: Vec<parse::Node>,
    defines: HashMap<String, Vec<parse::Node>>,
}

impl Template {
    /// Parse template source (Go's `template.New("").Funcs(docker).Parse`).
    /// Unknown function names are rejected here, as in Go.
    pub fn parse(src: &str) -> Result<Template, Error> {
        let parsed = parse::parse(src)?;
        Ok(Template {
            src: src.to_string(),
            root: parsed.root,
            defines: parsed.defines,
        })
    }

    /// Execute the template with `data` as `.` and `$`.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        let (out, r) = exec::run(&self.src, &self.root, &self.defines, data, false);
        r.map(|()| out)
    }

    /// Render a table header the way the Docker CLI does: execute with
    /// `headers` (an object mapping field names to column titles) as data,
    /// with Docker's `HeaderFunctions` (`json`, `split`, `join`, `title`,
    /// `lower`, `upper`, `truncate` return their first argument unchanged;
    /// `pad`, `printf` etc. still apply). Like Docker, an execution error is
    /// ignored and the output produced up to that point is returned.
    ///
    /// A field the header object does not have yields its name upper-cased
    /// (`{{.Names}}` → `NAMES`; for `.A.B` the last name, `B`), instead of
    /// Go's `<no value>`.
    pub fn execute_header(&self, headers: &Value) -> String {
        exec::run(&self.src, &self.root, &self.defines, headers, true).0
    }
}

pub use funcs::query_escape;

/// Pre-process a user `--format` string as the Docker CLI's
/// `Context.preFormat` does. Returns whether it is a table format and the
/// template text: a leading `table` is removed (checked on the untrimmed
/// string, like Docker's `strings.HasPrefix`), the exact format `json`
/// becomes `{{json .}}`, spaces are trimmed from both ends, and the
/// two-character sequences `\t` and `\n` become a tab and a newline.
pub fn prepare_format(format: &str) -> (bool, String) {
    let table = format.starts_with("table");
    let body = if table {
        &format["table".len()..]
    } else if format == "json" {
        "{{json .}}"
    } else {
        format
    };
    let body = body.trim_matches(' ');
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.as_bytes().first() {
            Some(b't') => {
                out.push('\t');
                rest = &after[1..];
            }
            Some(b'n') => {
                out.push('\n');
                rest = &after[1..];
            }
            _ => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (table, out)
}

/// Render `rows` with a Docker `--format` string, exactly as the Docker CLI
/// formatter does.
///
/// * The format is pre-processed by [`prepare_format`].
/// * Each row is executed with the template and followed by a newline. An
///   execution error aborts the whole output (Docker prints nothing and
///   reports `template parsing error: <error>`; callers should add that
///   prefix to parse and execution errors alike to match Docker's message).
/// * For `table` formats, a header line is rendered first with
///   [`Template::execute_header`] (errors ignored, as Docker does), and the
///   header plus all rows go through [`TabWriter::docker`]. The header is
///   printed even when there are no rows.
pub fn format_rows(format: &str, rows: &[Value], headers: &Value) -> Result<String, Error> {
    let (table, text) = prepare_format(format);
    let tmpl = Template::parse(&text)?;
    let mut body = String::new();
    for row in rows {
        body.push_str(&tmpl.execute(row)?);
        body.push('\n');
    }
    if !table {
        return Ok(body);
    }
    let mut tw = TabWriter::docker();
    tw.write_str(&tmpl.execute_header(headers));
    tw.write_str("\n");
    tw.write_str(&body);
    Ok(tw.into_string())
}
