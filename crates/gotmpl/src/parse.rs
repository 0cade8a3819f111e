//! Parser: a port of Go's `text/template/parse/parse.go` producing a small
//! AST. `Display` on the nodes mirrors Go's `Node.String()` (used in
//! execution error messages).

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::lexer::{lex, Item, Kind};
use crate::{funcs, gofmt, line_col, Error};

/// A node of a template body (Go's `ListNode` elements).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    With(Branch),
    Range(Branch),
    Break(usize),
    Continue(usize),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
}

/// `if`/`with`/`range`: pipeline, body and optional `else` body.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) pos: usize,
    pub(crate) pipe: Pipe,
    pub(crate) list: Vec<Node>,
    pub(crate) else_list: Option<Vec<Node>>,
}

/// A pipeline, optionally declaring (`:=`) or assigning (`=`) variables.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

/// One command of a pipeline: a function/field/value and its arguments.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// A numeric literal (or character constant).
#[derive(Debug, Clone)]
pub(crate) struct NumLit {
    pub(crate) text: String,
    /// The value used when the literal is evaluated on its own.
    pub(crate) value: Value,
}

/// Operands (Go's argument node types).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// `.A.B`: field names without dots.
    Field {
        pos: usize,
        idents: Vec<String>,
    },
    /// `$x.A.B`: `idents[0]` is the variable name including `$`.
    Variable {
        pos: usize,
        idents: Vec<String>,
    },
    /// `(pipeline).A.B`
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    /// Function name.
    Ident {
        pos: usize,
        name: String,
    },
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number {
        pos: usize,
        lit: NumLit,
    },
    Str {
        pos: usize,
        quoted: String,
        text: String,
    },
    /// Parenthesised pipeline.
    Pipe(Box<Pipe>),
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Ident { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl Node {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Node::Text(_) => 0,
            Node::Action(p) => p.pos,
            Node::If(b) | Node::With(b) | Node::Range(b) => b.pos,
            Node::Break(p) | Node::Continue(p) => *p,
            Node::Template { pos, .. } => *pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = &**node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for x in fields {
                    write!(f, ".{x}")?;
                }
                Ok(())
            }
            Arg::Ident { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number { lit, .. } => f.write_str(&lit.text),
            Arg::Str { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &[Node]) -> fmt::Result {
    for n in list {
        write!(f, "{n}")?;
    }
    Ok(())
}

fn write_branch(f: &mut fmt::Formatter<'_>, word: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{word} {}}}}}", b.pipe)?;
    write_list(f, &b.list)?;
    if let Some(e) = &b.else_list {
        f.write_str("{{else}}")?;
        write_list(f, e)?;
    }
    f.write_str("{{end}}")
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => f.write_str(t),
            Node::Action(p) => write!(f, "{{{{{p}}}}}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
            Node::Template { name, pipe, .. } => match pipe {
                Some(p) => write!(f, "{{{{template {} {p}}}}}", gofmt::quote(name)),
                None => write!(f, "{{{{template {}}}}}", gofmt::quote(name)),
            },
        }
    }
}

/// Result of parsing: the main body plus `define`d / `block` templates.
pub(crate) struct Parsed {
    pub(crate) root: Vec<Node>,
    pub(crate) defines: HashMap<String, Vec<Node>>,
}

/// Parse a whole template.
pub(crate) fn parse(src: &str) -> Result<Parsed, Error> {
    let mut p = Parser {
        src,
        items: lex(src),
        idx: 0,
        last_pos: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        defines: HashMap::new(),
    };
    let root = p.parse_root()?;
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

/// What `textOrAction` produced: a node or an `{{end}}` / `{{else}}` marker.
enum Step {
    Node(Node),
    End,
    Else,
}

type PResult<T> = Result<T, Error>;

struct Parser<'s> {
    src: &'s str,
    items: Vec<Item>,
    idx: usize,
    last_pos: usize,
    vars: Vec<String>,
    range_depth: usize,
    defines: HashMap<String, Vec<Node>>,
}

impl Parser<'_> {
    fn next(&mut self) -> Item {
        let i = self.idx.min(self.items.len() - 1);
        self.idx += 1;
        let it = self.items[i].clone();
        self.last_pos = it.pos;
        it
    }

    fn backup(&mut self) {
        self.idx -= 1;
    }

    fn peek(&self) -> Item {
        self.items[self.idx.min(self.items.len() - 1)].clone()
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.kind != Kind::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn errorf<T>(&self, msg: impl Into<String>) -> PResult<T> {
        let (line, col) = line_col(self.src, self.last_pos);
        Err(Error::Parse {
            line,
            col,
            message: msg.into(),
        })
    }

    fn unexpected<T>(&mut self, tok: &Item, context: &str) -> PResult<T> {
        if tok.kind == Kind::Error {
            self.last_pos = tok.pos;
            return self.errorf(tok.val.clone());
        }
        self.errorf(format!("unexpected {} in {context}", tok.describe()))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn parse_root(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == Kind::Eof {
                break;
            }
            if t.kind == Kind::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                Step::Node(n) => root.push(n),
                Step::End => return self.errorf("unexpected {{end}}"),
                Step::Else => return self.errorf("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    /// Parse a nested template body (`define`, `block`) in a fresh scope.
    fn nested_body(&mut self, context: &str) -> PResult<Vec<Node>> {
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if !matches!(end, Step::End) {
            return self.errorf(format!("unexpected {{{{else}}}} in {context}"));
        }
        Ok(list)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        self.expect(Kind::RightDelim, CONTEXT)?;
        let body = self.nested_body(CONTEXT)?;
        self.defines.insert(name, body);
        Ok(())
    }

    fn template_name(&mut self, t: &Item, context: &str) -> PResult<String> {
        match t.kind {
            Kind::Str | Kind::RawStr => match unquote(&t.val) {
                Some(s) => Ok(s),
                None => self.errorf("invalid syntax"),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn text_or_action(&mut self) -> PResult<Step> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => Ok(Step::Node(Node::Text(t.val))),
            Kind::LeftDelim => self.action(),
            _ => self.unexpected(&t, "input"),
        }
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Step)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Step::Node(n) => list.push(n),
                other => return Ok((list, other)),
            }
        }
        self.errorf("unexpected EOF")
    }

    fn action(&mut self) -> PResult<Step> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Block => self.block_control(),
            Kind::Break => self.break_control(t.pos, true),
            Kind::Continue => self.break_control(t.pos, false),
            Kind::Else => {
                let p = self.peek_non_space();
                if !matches!(p.kind, Kind::If | Kind::With) {
                    self.expect(Kind::RightDelim, "else")?;
                }
                Ok(Step::Else)
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                Ok(Step::End)
            }
            Kind::If => Ok(Step::Node(Node::If(self.parse_control("if")?))),
            Kind::Range => Ok(Step::Node(Node::Range(self.parse_control("range")?))),
            Kind::With => Ok(Step::Node(Node::With(self.parse_control("with")?))),
            Kind::Template => self.template_control(),
            _ => {
                self.backup();
                let pipe = self.pipeline("command", Kind::RightDelim)?;
                Ok(Step::Node(Node::Action(pipe)))
            }
        }
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> PResult<Step> {
        let word = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let t = self.next_non_space();
        if t.kind != Kind::RightDelim {
            return self.unexpected(&t, word);
        }
        if self.range_depth == 0 {
            return self.errorf(format!("{word} outside {{{{range}}}}"));
        }
        Ok(Step::Node(if is_break {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        }))
    }

    fn parse_control(&mut self, context: &str) -> PResult<Branch> {
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if matches!(next, Step::Else) {
            let peek = self.peek().kind;
            if context == "if" && peek == Kind::If {
                self.next();
                else_list = Some(vec![Node::If(self.parse_control("if")?)]);
            } else if context == "with" && peek == Kind::With {
                self.next();
                else_list = Some(vec![Node::With(self.parse_control("with")?)]);
            } else {
                let (el, nx) = self.item_list()?;
                if !matches!(nx, Step::End) {
                    return self.errorf("expected end; found {{else}}");
                }
                else_list = Some(el);
            }
        }
        self.vars.truncate(nvars);
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn template_control(&mut self) -> PResult<Step> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, Kind::RightDelim)?);
        }
        Ok(Step::Node(Node::Template {
            pos: t.pos,
            name,
            pipe,
        }))
    }

    fn block_control(&mut self) -> PResult<Step> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Kind::RightDelim)?;
        let body = self.nested_body(CONTEXT)?;
        self.defines.insert(name.clone(), body);
        Ok(Step::Node(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        }))
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations / assignments.
        loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let v_idx = self.idx;
            self.next();
            let nxt = self.peek_non_space();
            match nxt.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = nxt.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                }
                Kind::Char if nxt.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                            _ => return self.errorf("range can only initialize variables"),
                        }
                    }
                    return self.errorf(format!("too many declarations in {context}"));
                }
                _ => self.idx = v_idx,
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawStr
                | Kind::Str
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number { .. } | Arg::Str { .. }
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if args.is_empty() {
            return self.errorf("empty command");
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let t = self.next();
            fields.push(t.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool(..) | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                return self.errorf(format!(
                    "unexpected . after term {}",
                    gofmt::quote(&node.to_string())
                ))
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let arg = match t.kind {
            Kind::Identifier => {
                if !funcs::is_function(&t.val) {
                    return self.errorf(format!("function {} not defined", gofmt::quote(&t.val)));
                }
                Arg::Ident {
                    pos: t.pos,
                    name: t.val,
                }
            }
            Kind::Dot => Arg::Dot(t.pos),
            Kind::Nil => Arg::Nil(t.pos),
            Kind::Variable => {
                if !self.vars.contains(&t.val) {
                    return self.errorf(format!("undefined variable {}", gofmt::quote(&t.val)));
                }
                Arg::Variable {
                    pos: t.pos,
                    idents: vec![t.val],
                }
            }
            Kind::Field => Arg::Field {
                pos: t.pos,
                idents: vec![t.val[1..].to_string()],
            },
            Kind::Bool => Arg::Bool(t.pos, t.val == "true"),
            Kind::CharConstant | Kind::Number => {
                let lit = self.number(&t)?;
                Arg::Number { pos: t.pos, lit }
            }
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Arg::Pipe(Box::new(p))
            }
            Kind::Str | Kind::RawStr => match unquote(&t.val) {
                Some(text) => Arg::Str {
                    pos: t.pos,
                    quoted: t.val,
                    text,
                },
                None => return self.errorf("invalid syntax"),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }

    fn number(&self, t: &Item) -> PResult<NumLit> {
        let text = t.val.clone();
        if t.kind == Kind::CharConstant {
            return match unquote_char(&text) {
                Some(c) => Ok(NumLit {
                    value: Value::from(c as u32 as i64),
                    text,
                }),
                None => self.errorf(format!("malformed character constant: {text}")),
            };
        }
        if text.ends_with('i') {
            return self.errorf(format!("complex constants are not supported: {text}"));
        }
        let is_hex_int = text.len() > 2
            && (text.starts_with("0x") || text.starts_with("0X"))
            && !text.contains(['p', 'P']);
        let float_syntax = !is_hex_int && text.contains(['.', 'e', 'E', 'p', 'P']);
        match parse_go_int(&text) {
            Some(i) if i64::try_from(i).is_ok() => Ok(NumLit {
                value: Value::from(i as i64),
                text,
            }),
            Some(i) if u64::try_from(i).is_ok() => Ok(NumLit {
                value: Value::from(i as u64),
                text,
            }),
            _ => {
                let cleaned: String = text.chars().filter(|&c| c != '_').collect();
                match cleaned.parse::<f64>() {
                    Ok(f) if f.is_finite() => {
                        if !float_syntax {
                            return self
                                .errorf(format!("integer overflow: {}", gofmt::quote(&text)));
                        }
                        Ok(NumLit {
                            value: Value::from(f),
                            text,
                        })
                    }
                    _ => self.errorf(format!("illegal number syntax: {}", gofmt::quote(&text))),
                }
            }
        }
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` syntax (sign, 0x/0o/0b/0 prefixes,
/// underscores), widened to i128 so u64 values fit too.
fn parse_go_int(text: &str) -> Option<i128> {
    let (neg, s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if lower.len() > 2 && lower.starts_with("0x") {
        (16, &s[2..])
    } else if lower.len() > 2 && lower.starts_with("0o") {
        (8, &s[2..])
    } else if lower.len() > 2 && lower.starts_with("0b") {
        (2, &s[2..])
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let d: String = digits.chars().filter(|&c| c != '_').collect();
    if d.is_empty() || d.starts_with(['+', '-']) {
        return None;
    }
    let v = i128::from_str_radix(&d, radix).ok()?;
    Some(if neg { -v } else { v })
}

fn take_hex(it: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let s: String = it.by_ref().take(n).collect();
    if s.len() != n || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&s, 16).ok()
}

/// One escape sequence after a backslash (the backslash already consumed).
/// Returns `Err(byte)` for `\x` / octal escapes, which denote raw bytes.
fn unescape_one(it: &mut std::str::Chars<'_>, quote: char) -> Option<Result<char, u8>> {
    let e = it.next()?;
    Some(Ok(match e {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        '\\' => '\\',
        c if c == quote => c,
        'x' => return Some(Err(take_hex(it, 2)? as u8)),
        'u' => char::from_u32(take_hex(it, 4)?)?,
        'U' => char::from_u32(take_hex(it, 8)?)?,
        '0'..='7' => {
            let rest: String = it.by_ref().take(2).collect();
            if rest.len() != 2 || !rest.chars().all(|c| ('0'..='7').contains(&c)) {
                return None;
            }
            let v = u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?;
            if v > 255 {
                return None;
            }
            return Some(Err(v as u8));
        }
        _ => return None,
    }))
}

/// Go's `strconv.Unquote` for `"..."` and `` `...` `` literals.
pub(crate) fn unquote(q: &str) -> Option<String> {
    if q.len() >= 2 && q.starts_with('`') && q.ends_with('`') {
        return Some(q[1..q.len() - 1].replace('\r', ""));
    }
    if q.len() < 2 || !q.starts_with('"') || !q.ends_with('"') {
        return None;
    }
    let inner = &q[1..q.len() - 1];
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => match unescape_one(&mut it, '"')? {
                Ok(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                Err(b) => out.push(b),
            },
            ch => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Some(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Go's `strconv.UnquoteChar` for a `'x'` character constant.
fn unquote_char(text: &str) -> Option<char> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut it = inner.chars();
    let c = it.next()?;
    let r = if c == '\\' {
        match unescape_one(&mut it, '\'')? {
            Ok(ch) => ch,
            Err(b) => b as char,
        }
    } else {
        c
    };
    if it.next().is_some() {
        return None;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_go_escapes() {
        assert_eq!(
            unquote(r#""a\tb\n\x41\101\u00e9\"""#).unwrap(),
            "a\tb\nAAé\""
        );
        assert_eq!(unquote("`raw \\n`").unwrap(), "raw \\n");
        assert!(unquote(r#""bad \q""#).is_none());
        assert_eq!(unquote_char(r"'\n'"), Some('\n'));
        assert_eq!(unquote_char("'a'"), Some('a'));
        assert_eq!(unquote_char("'ab'"), None);
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("0x1F"), Some(31));
        assert_eq!(parse_go_int("010"), Some(8));
        assert_eq!(parse_go_int("-1_000"), Some(-1000));
        assert_eq!(parse_go_int("0b101"), Some(5));
        assert_eq!(parse_go_int("1.5"), None);
    }

    #[test]
    fn node_strings() {
        let p = parse(r#"{{.A.B | printf "%s" (len $) }}{{if .X}}a{{else}}b{{end}}"#).unwrap();
        assert_eq!(p.root[0].to_string(), r#"{{.A.B | printf "%s" (len $)}}"#);
        assert_eq!(p.root[1].to_string(), "{{if .X}}a{{else}}b{{end}}");
    }
}
