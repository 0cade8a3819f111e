//! Lexing and parsing templates into a tree.

use crate::Error;

/// A template node.
#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipeline),
    If(Pipeline, Vec<Node>, Vec<Node>),
    Range(Pipeline, Vec<Node>, Vec<Node>),
    With(Pipeline, Vec<Node>, Vec<Node>),
    Break,
    Continue,
}

/// `$a, $b := cmd | cmd`.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub decl: Vec<String>,
    /// `=` rather than `:=`.
    pub assign: bool,
    pub cmds: Vec<Vec<Arg>>,
}

/// One operand.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `.A.B` (empty: `.`).
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the root).
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// `( pipeline ).A.B`.
    Sub(Box<Pipeline>, Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen(Vec<String>),
    Pipe,
    Declare,
    Assign,
    Comma,
}

fn err(pos: usize, src: &str, msg: impl std::fmt::Display) -> Error {
    let line = src[..pos.min(src.len())].matches('\n').count() + 1;
    Error(format!("template: :{line}: {msg}"))
}

fn fields(s: &str) -> Vec<String> {
    s.split('.').filter(|p| !p.is_empty()).map(String::from).collect()
}

/// Reads `.A.B` after a position: returns the chain and the new position.
fn read_chain(b: &[u8], mut i: usize) -> (Vec<String>, usize) {
    let start = i;
    while i < b.len() && (b[i] == b'.' || b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
        i += 1;
    }
    (fields(std::str::from_utf8(&b[start..i]).unwrap_or("")), i)
}

fn lex(action: &str, src: &str, at: usize) -> Result<Vec<Tok>, Error> {
    let b = action.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                let (f, j) = if i + 1 < b.len() && b[i + 1] == b'.' { read_chain(b, i + 1) } else { (Vec::new(), i + 1) };
                toks.push(Tok::RParen(f));
                i = j;
            }
            b'|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            b',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            b':' if b.get(i + 1) == Some(&b'=') => {
                toks.push(Tok::Declare);
                i += 2;
            }
            b'=' => {
                toks.push(Tok::Assign);
                i += 1;
            }
            b'.' => {
                let (f, j) = read_chain(b, i);
                toks.push(Tok::Field(f));
                i = j;
            }
            b'$' => {
                let mut j = i + 1;
                while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name = action[i..j].to_string();
                let (f, k) = if j < b.len() && b[j] == b'.' { read_chain(b, j) } else { (Vec::new(), j) };
                toks.push(Tok::Var(name, f));
                i = k;
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                let chars: Vec<char> = action[j..].chars().collect();
                let mut k = 0;
                loop {
                    let Some(&ch) = chars.get(k) else { return Err(err(at, src, "unterminated quoted string")) };
                    k += 1;
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(&e) = chars.get(k) else { return Err(err(at, src, "unterminated quoted string")) };
                            k += 1;
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '\\' => '\\',
                                '"' => '"',
                                '\'' => '\'',
                                '0' => '\0',
                                other => return Err(err(at, src, format!("unknown escape sequence \\{other}"))),
                            });
                        }
                        c => s.push(c),
                    }
                }
                j += chars[..k].iter().map(|c| c.len_utf8()).sum::<usize>();
                toks.push(Tok::Str(s));
                i = j;
            }
            b'`' => {
                let end = action[i + 1..].find('`').ok_or_else(|| err(at, src, "unterminated raw quoted string"))?;
                toks.push(Tok::Str(action[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            c if c.is_ascii_digit() || ((c == b'-' || c == b'+') && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_' || ((b[j] == b'-' || b[j] == b'+') && matches!(b[j - 1], b'e' | b'E'))) {
                    j += 1;
                }
                let lit = action[i..j].replace('_', "");
                if let Ok(n) = lit.parse::<i64>() {
                    toks.push(Tok::Int(n));
                } else if let Some(h) = lit.strip_prefix("0x") {
                    toks.push(Tok::Int(i64::from_str_radix(h, 16).map_err(|_| err(at, src, format!("bad number syntax: {lit:?}")))?));
                } else if let Ok(f) = lit.parse::<f64>() {
                    toks.push(Tok::Float(f));
                } else {
                    return Err(err(at, src, format!("bad number syntax: {lit:?}")));
                }
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i;
                while j < b.len() && (b[j] == b'_' || b[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                toks.push(Tok::Ident(action[i..j].to_string()));
                i = j;
            }
            other => return Err(err(at, src, format!("unexpected {:?} in command", other as char))),
        }
    }
    Ok(toks)
}

struct Toks<'a> {
    t: Vec<Tok>,
    i: usize,
    src: &'a str,
    at: usize,
}

impl Toks<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    fn pipeline(&mut self, stop_paren: bool) -> Result<Pipeline, Error> {
        let mut decl = Vec::new();
        let mut assign = false;
        // Variable declarations: `$x :=`, `$i, $v :=`, `$x =`.
        let save = self.i;
        let mut vars = Vec::new();
        while let Some(Tok::Var(n, f)) = self.peek().cloned() {
            if !f.is_empty() {
                break;
            }
            vars.push(n);
            self.i += 1;
            match self.peek() {
                Some(Tok::Comma) => {
                    self.i += 1;
                }
                Some(Tok::Declare) => {
                    self.i += 1;
                    decl = std::mem::take(&mut vars);
                    break;
                }
                Some(Tok::Assign) => {
                    self.i += 1;
                    decl = std::mem::take(&mut vars);
                    assign = true;
                    break;
                }
                _ => break,
            }
        }
        if decl.is_empty() {
            self.i = save;
        }
        let mut cmds = Vec::new();
        loop {
            let mut args = Vec::new();
            loop {
                match self.peek().cloned() {
                    None => break,
                    Some(Tok::Pipe) => break,
                    Some(Tok::RParen(_)) if stop_paren => break,
                    Some(Tok::RParen(_)) => return Err(err(self.at, self.src, "unexpected right paren")),
                    Some(Tok::LParen) => {
                        self.i += 1;
                        let p = self.pipeline(true)?;
                        match self.peek().cloned() {
                            Some(Tok::RParen(f)) => {
                                self.i += 1;
                                args.push(Arg::Sub(Box::new(p), f));
                            }
                            _ => return Err(err(self.at, self.src, "unclosed left paren")),
                        }
                    }
                    Some(t) => {
                        self.i += 1;
                        args.push(match t {
                            Tok::Field(f) => Arg::Field(f),
                            Tok::Var(n, f) => Arg::Var(n, f),
                            Tok::Ident(s) if s == "true" => Arg::Bool(true),
                            Tok::Ident(s) if s == "false" => Arg::Bool(false),
                            Tok::Ident(s) if s == "nil" => Arg::Nil,
                            Tok::Ident(s) => {
                                if !crate::exec::is_function(&s) {
                                    return Err(err(self.at, self.src, format!("function {s:?} not defined")));
                                }
                                Arg::Ident(s)
                            }
                            Tok::Str(s) => Arg::Str(s),
                            Tok::Int(n) => Arg::Int(n),
                            Tok::Float(f) => Arg::Float(f),
                            other => return Err(err(self.at, self.src, format!("unexpected {other:?} in operand"))),
                        });
                    }
                }
            }
            if args.is_empty() {
                return Err(err(self.at, self.src, "missing value for command"));
            }
            cmds.push(args);
            match self.peek() {
                Some(Tok::Pipe) => {
                    self.i += 1;
                }
                _ => break,
            }
        }
        Ok(Pipeline { decl, assign, cmds })
    }
}

fn parse_pipeline(action: &str, src: &str, at: usize) -> Result<Pipeline, Error> {
    let mut t = Toks { t: lex(action, src, at)?, i: 0, src, at };
    let p = t.pipeline(false)?;
    if t.i != t.t.len() {
        return Err(err(at, src, format!("unexpected {:?} in command", t.t[t.i])));
    }
    Ok(p)
}

/// A lexed item: text or the inside of an action.
enum Item {
    Text(String),
    Action(String, usize),
}

fn split(src: &str) -> Result<Vec<Item>, Error> {
    let mut items = Vec::new();
    let mut rest = src;
    let mut offset = 0;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[open + 2..];
        let trim_left = after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n");
        if trim_left {
            text = text.trim_end();
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        let inner_start = if trim_left { 1 } else { 0 };
        let close = after.find("}}").ok_or_else(|| err(offset + open, src, "unclosed action"))?;
        let mut inner = &after[inner_start..close];
        trim_next = false;
        if inner.ends_with(" -") || inner.ends_with("\t-") || inner.ends_with("\n-") {
            inner = &inner[..inner.len() - 1];
            trim_next = true;
        }
        let t = inner.trim();
        if !(t.starts_with("/*") && t.ends_with("*/")) {
            items.push(Item::Action(t.to_string(), offset + open));
        }
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    if !text.is_empty() {
        items.push(Item::Text(text.to_string()));
    }
    Ok(items)
}

/// What ended a list of nodes.
enum End {
    Eof,
    End,
    Else(Option<String>),
}

fn parse_list(items: &mut std::iter::Peekable<std::vec::IntoIter<Item>>, src: &str, depth: usize) -> Result<(Vec<Node>, End), Error> {
    let mut nodes = Vec::new();
    while let Some(item) = items.next() {
        let (a, at) = match item {
            Item::Text(t) => {
                nodes.push(Node::Text(t));
                continue;
            }
            Item::Action(a, at) => (a, at),
        };
        let (kw, rest) = match a.find(|c: char| c.is_whitespace()) {
            Some(p) => (&a[..p], a[p..].trim()),
            None => (a.as_str(), ""),
        };
        match kw {
            "end" => {
                if depth == 0 {
                    return Err(err(at, src, "unexpected {{end}}"));
                }
                return Ok((nodes, End::End));
            }
            "else" => {
                if depth == 0 {
                    return Err(err(at, src, "unexpected {{else}}"));
                }
                return Ok((nodes, End::Else((!rest.is_empty()).then(|| rest.to_string()))));
            }
            "if" | "range" | "with" => {
                if rest.is_empty() {
                    return Err(err(at, src, format!("missing value for {kw}")));
                }
                let pipe = parse_pipeline(rest, src, at)?;
                nodes.push(parse_control(kw, pipe, items, src, depth, at)?);
            }
            "break" => nodes.push(Node::Break),
            "continue" => nodes.push(Node::Continue),
            "define" | "template" | "block" => return Err(err(at, src, format!("{{{{{kw}}}}} is not supported"))),
            "" => return Err(err(at, src, "missing value for command")),
            _ => nodes.push(Node::Action(parse_pipeline(&a, src, at)?)),
        }
    }
    if depth > 0 {
        return Err(err(src.len(), src, "unexpected EOF"));
    }
    Ok((nodes, End::Eof))
}

fn parse_control(
    kw: &str,
    pipe: Pipeline,
    items: &mut std::iter::Peekable<std::vec::IntoIter<Item>>,
    src: &str,
    depth: usize,
    at: usize,
) -> Result<Node, Error> {
    let (body, end) = parse_list(items, src, depth + 1)?;
    let els = match end {
        End::End => Vec::new(),
        End::Else(None) => {
            let (els, end) = parse_list(items, src, depth + 1)?;
            if !matches!(end, End::End) {
                return Err(err(at, src, "expected end; found else"));
            }
            els
        }
        End::Else(Some(chained)) => {
            // `else if pipeline` / `else with pipeline`: a nested control ending at our end.
            let (k2, r2) = match chained.find(|c: char| c.is_whitespace()) {
                Some(p) => (&chained[..p], chained[p..].trim()),
                None => (chained.as_str(), ""),
            };
            if k2 != kw || !(kw == "if" || kw == "with") {
                return Err(err(at, src, format!("unexpected {{{{else {chained}}}}}")));
            }
            let p2 = parse_pipeline(r2, src, at)?;
            vec![parse_control(k2, p2, items, src, depth, at)?]
        }
        End::Eof => return Err(err(at, src, "unexpected EOF")),
    };
    Ok(match kw {
        "if" => Node::If(pipe, body, els),
        "range" => Node::Range(pipe, body, els),
        _ => Node::With(pipe, body, els),
    })
}

/// Parses a whole template.
pub fn parse(src: &str) -> Result<Vec<Node>, Error> {
    let mut items = split(src)?.into_iter().peekable();
    Ok(parse_list(&mut items, src, 0)?.0)
}
