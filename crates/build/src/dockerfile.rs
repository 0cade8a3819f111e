//! Dockerfile syntax: lines, continuations, comments, the `escape` parser directive, and the
//! argument forms (JSON array or shell form, `key=value` lists, words).

use crate::Error;

/// One instruction as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// The keyword, uppercased (`RUN`).
    pub keyword: String,
    /// `--flag=value` options before the arguments (`COPY --from=build`).
    pub flags: Vec<String>,
    /// The arguments, continuation lines joined.
    pub args: String,
    /// The line the instruction starts on (1-based).
    pub line: usize,
    /// The escape character in effect.
    pub escape: char,
}

/// Parses a Dockerfile into instructions.
pub fn parse(text: &str) -> Result<Vec<Instruction>, Error> {
    let mut escape = '\\';
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    // Parser directives: only at the very top, before any instruction or non-directive comment.
    while let Some((_, l)) = lines.peek() {
        let t = l.trim();
        let Some(rest) = t.strip_prefix('#') else { break };
        let Some((k, v)) = rest.split_once('=') else { break };
        let k = k.trim().to_lowercase();
        if k == "escape" {
            escape = match v.trim() {
                "\\" => '\\',
                "`" => '`',
                other => return Err(Error(format!("invalid escape token '{other}' does not match ` or \\"))),
            };
        } else if k != "syntax" && k != "check" {
            break;
        }
        lines.next();
    }
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let start = i + 1;
        let mut full = String::new();
        let mut cur = line.to_string();
        loop {
            let trimmed = cur.trim_end();
            if trimmed.ends_with(escape) && !trimmed.is_empty() {
                full.push_str(&trimmed[..trimmed.len() - escape.len_utf8()]);
                // Continuation: skip comment and empty lines inside.
                let mut next = None;
                for (_, l) in lines.by_ref() {
                    let lt = l.trim_start();
                    if lt.starts_with('#') || lt.is_empty() {
                        continue;
                    }
                    next = Some(l.to_string());
                    break;
                }
                match next {
                    Some(n) => cur = n,
                    None => break,
                }
            } else {
                full.push_str(&cur);
                break;
            }
        }
        let full = full.trim();
        let (kw, rest) = match full.find(char::is_whitespace) {
            Some(p) => (&full[..p], full[p..].trim_start()),
            None => (full, ""),
        };
        let keyword = kw.to_uppercase();
        const KNOWN: &[&str] = &[
            "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
            "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
        ];
        if !KNOWN.contains(&keyword.as_str()) {
            return Err(Error(format!("dockerfile parse error on line {start}: unknown instruction: {kw}")));
        }
        let (flags, args) = split_flags(rest);
        out.push(Instruction { keyword, flags, args: args.to_string(), line: start, escape });
    }
    Ok(out)
}

/// Splits leading `--flag[=value]` words off the arguments.
fn split_flags(s: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut rest = s;
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        flags.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    (flags, rest)
}

/// The two argument forms of `RUN`, `CMD`, `ENTRYPOINT`, `HEALTHCHECK CMD`.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandForm {
    /// `["exe", "arg"]`.
    Exec(Vec<String>),
    /// `exe arg` (run through the shell).
    Shell(String),
}

impl CommandForm {
    /// Parses: a valid JSON array of strings is the exec form, anything else the shell form.
    pub fn parse(args: &str) -> CommandForm {
        let t = args.trim();
        if t.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Vec<String>>(t) {
                return CommandForm::Exec(v);
            }
        }
        CommandForm::Shell(t.to_string())
    }

    /// The argv: exec form as is, shell form through `shell` (`/bin/sh -c` by default).
    pub fn argv(&self, shell: Option<&[String]>) -> Vec<String> {
        match self {
            CommandForm::Exec(v) => v.clone(),
            CommandForm::Shell(s) => {
                let mut v: Vec<String> = match shell {
                    Some(sh) if !sh.is_empty() => sh.to_vec(),
                    _ => vec!["/bin/sh".into(), "-c".into()],
                };
                v.push(s.clone());
                v
            }
        }
    }
}

/// Splits into words as the Dockerfile shell lexer does: whitespace separates, quotes group
/// (and are removed), the escape character escapes the next character (not inside single
/// quotes).
pub fn split_words(s: &str, escape: char) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(Error(format!("unexpected end of statement while looking for matching single-quote in {s:?}"))),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) if c == escape => match chars.next() {
                            Some(n) if n == '"' || n == escape || n == '$' => cur.push(n),
                            Some(n) => {
                                cur.push(c);
                                cur.push(n);
                            }
                            None => return Err(Error(format!("unexpected end of statement while looking for matching double-quote in {s:?}"))),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(Error(format!("unexpected end of statement while looking for matching double-quote in {s:?}"))),
                    }
                }
            }
            c if c == escape => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Parses `key=value ...` (or, when `legacy` is allowed and there is no `=` in the first
/// word, the old `key value with spaces` form) as `ENV` and `LABEL` take them.
pub fn parse_key_values(keyword: &str, args: &str, escape: char) -> Result<Vec<(String, String)>, Error> {
    let words = split_words(args, escape)?;
    if words.is_empty() {
        return Err(Error(format!("{keyword} requires at least one argument")));
    }
    let first_raw = args.split_whitespace().next().unwrap_or("");
    if !first_raw.contains('=') {
        // Legacy form: `ENV KEY value with spaces`.
        let key = words[0].clone();
        let value = args.trim_start()[first_raw.len()..].trim();
        if value.is_empty() {
            return Err(Error(format!("{keyword} must have two arguments")));
        }
        let value = split_words(value, escape)?.join(" ");
        return Ok(vec![(key, value)]);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, _)) if k.is_empty() => Err(Error(format!("{keyword} names can not be blank"))),
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(Error(format!("Syntax error - can't find = in {w:?}. Must be of the form: name=value"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_continuations_comments_and_flags() {
        let df = "# syntax=docker/dockerfile:1\nFROM busybox AS base\n# comment\nRUN echo a \\\n  # inside\n  && echo b\ncopy --from=base --chown=1:1 /a /b\n";
        let ins = parse(df).unwrap();
        assert_eq!(ins.len(), 3);
        assert_eq!(ins[1].keyword, "RUN");
        assert_eq!(ins[1].args, "echo a   && echo b");
        assert_eq!(ins[1].line, 4);
        assert_eq!(ins[2].keyword, "COPY");
        assert_eq!(ins[2].flags, vec!["--from=base", "--chown=1:1"]);
        assert_eq!(ins[2].args, "/a /b");
    }

    #[test]
    fn escape_directive_and_unknown_instruction() {
        let ins = parse("# escape=`\nRUN dir c:\\ `\n  /b\n").unwrap();
        assert_eq!(ins[0].args, "dir c:\\   /b");
        let err = parse("FROM a\nFOO bar\n").unwrap_err();
        assert!(err.0.contains("line 2") && err.0.contains("FOO"), "{err}");
    }

    #[test]
    fn command_forms() {
        assert_eq!(CommandForm::parse(r#"["echo", "hi"]"#), CommandForm::Exec(vec!["echo".into(), "hi".into()]));
        assert_eq!(CommandForm::parse("[not json"), CommandForm::Shell("[not json".into()));
        assert_eq!(CommandForm::parse("echo hi").argv(None), vec!["/bin/sh", "-c", "echo hi"]);
    }

    #[test]
    fn key_values_new_and_legacy() {
        assert_eq!(
            parse_key_values("ENV", r#"A=1 B="two words" C=x\ y"#, '\\').unwrap(),
            vec![("A".into(), "1".into()), ("B".into(), "two words".into()), ("C".into(), "x y".into())]
        );
        assert_eq!(parse_key_values("ENV", "PATH /a b", '\\').unwrap(), vec![("PATH".into(), "/a b".into())]);
        assert!(parse_key_values("ENV", "A", '\\').is_err());
        assert!(parse_key_values("LABEL", "=x", '\\').is_err());
    }
}
