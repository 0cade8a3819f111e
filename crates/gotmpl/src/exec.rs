//! Tree-walking executor: a port of Go's `text/template/exec.go` over
//! `serde_json::Value` data.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::funcs::{self, FnErr};
use crate::gofmt::{self, num, type_name, Num};
use crate::parse::{Arg, Branch, Command, Node, Pipe};
use crate::{line_col, Error};

/// Maximum nesting of `{{template}}` calls (Go allows 100000; a Rust
/// tree-walker needs a lower bound to stay clear of stack overflow).
const MAX_DEPTH: usize = 200;

/// A value during execution.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    /// Go's invalid `reflect.Value` (e.g. a missing map key); prints as
    /// `<no value>`. In header mode it carries the name-derived header text.
    Missing(Option<String>),
    /// A JSON value, borrowed from the data where possible.
    V(Cow<'a, Value>),
}

impl<'a> Val<'a> {
    pub(crate) fn borrowed(v: &'a Value) -> Self {
        Val::V(Cow::Borrowed(v))
    }

    pub(crate) fn owned(v: Value) -> Self {
        Val::V(Cow::Owned(v))
    }

    /// The JSON value, or `None` when missing.
    pub(crate) fn get(&self) -> Option<&Value> {
        match self {
            Val::V(c) => Some(c.as_ref()),
            Val::Missing(_) => None,
        }
    }

    /// Go's `isTrue`.
    pub(crate) fn truth(&self) -> bool {
        match self.get() {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => match num(n) {
                Num::Int(i) => i != 0,
                Num::Float(f) => f != 0.0,
            },
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(m)) => !m.is_empty(),
        }
    }

    /// A sub-value selected by `f`, borrowed when `self` is borrowed.
    pub(crate) fn child(&self, f: impl Fn(&Value) -> Option<&Value>) -> Option<Val<'a>> {
        match self {
            Val::V(Cow::Borrowed(v)) => f(v).map(|c| Val::V(Cow::Borrowed(c))),
            Val::V(Cow::Owned(v)) => f(v).map(|c| Val::V(Cow::Owned(c.clone()))),
            Val::Missing(_) => None,
        }
    }
}

/// The node an error is reported at (Go's `state.at`).
#[derive(Clone, Copy)]
enum Ctx<'t> {
    Arg(&'t Arg),
    Cmd(&'t Command),
    Pipe(&'t Pipe),
    Node(&'t Node),
}

impl Ctx<'_> {
    fn pos(&self) -> usize {
        match self {
            Ctx::Arg(a) => a.pos(),
            Ctx::Cmd(c) => c.pos,
            Ctx::Pipe(p) => p.pos,
            Ctx::Node(n) => n.pos(),
        }
    }
}

impl fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ctx::Arg(a) => write!(f, "{a}"),
            Ctx::Cmd(c) => write!(f, "{c}"),
            Ctx::Pipe(p) => write!(f, "{p}"),
            Ctx::Node(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, Error>;

/// Execution state.
pub(crate) struct Exec<'t, 'a> {
    src: &'t str,
    defines: &'t HashMap<String, Vec<Node>>,
    out: String,
    vars: Vec<(&'t str, Val<'a>)>,
    header: bool,
    depth: usize,
}

/// Run a template; returns the output produced (even if partial) and the
/// outcome. `header` selects Docker's header-rendering mode.
pub(crate) fn run<'t>(
    src: &'t str,
    root: &'t [Node],
    defines: &'t HashMap<String, Vec<Node>>,
    data: &Value,
    header: bool,
) -> (String, R<()>) {
    let dot = Val::borrowed(data);
    let mut e = Exec {
        src,
        defines,
        out: String::new(),
        vars: vec![("$", dot.clone())],
        header,
        depth: 0,
    };
    let r = e.walk(&dot, root).map(|_| ());
    (e.out, r)
}

impl<'t, 'a> Exec<'t, 'a> {
    fn err(&self, ctx: Ctx<'t>, msg: impl Into<String>) -> Error {
        let (line, col) = line_col(self.src, ctx.pos());
        Error::Exec {
            line,
            col,
            context: ctx.to_string(),
            message: msg.into(),
        }
    }

    fn walk(&mut self, dot: &Val<'a>, nodes: &'t [Node]) -> R<Flow> {
        for node in nodes {
            let flow = match node {
                Node::Text(s) => {
                    self.out.push_str(s);
                    Flow::Normal
                }
                Node::Action(pipe) => {
                    let v = self.eval_pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        self.print(&v);
                    }
                    Flow::Normal
                }
                Node::If(b) => self.walk_if_with(false, dot, b)?,
                Node::With(b) => self.walk_if_with(true, dot, b)?,
                Node::Range(b) => {
                    self.walk_range(dot, node, b)?;
                    Flow::Normal
                }
                Node::Break(_) => Flow::Break,
                Node::Continue(_) => Flow::Continue,
                Node::Template { name, pipe, .. } => {
                    self.walk_template(dot, node, name, pipe.as_ref())?;
                    Flow::Normal
                }
            };
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn print(&mut self, v: &Val<'a>) {
        match v {
            Val::Missing(Some(hint)) => self.out.push_str(hint),
            Val::Missing(None) => self.out.push_str("<no value>"),
            Val::V(v) => match v.as_ref() {
                Value::String(s) => self.out.push_str(s),
                other => self.out.push_str(&gofmt::sprint_v(other)),
            },
        }
    }

    fn walk_if_with(&mut self, with: bool, dot: &Val<'a>, b: &'t Branch) -> R<Flow> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let flow = if v.truth() {
            if with {
                self.walk(&v, &b.list)
            } else {
                self.walk(dot, &b.list)
            }
        } else if let Some(el) = &b.else_list {
            self.walk(dot, el)
        } else {
            Ok(Flow::Normal)
        };
        self.vars.truncate(mark);
        flow
    }

    fn walk_range(&mut self, dot: &Val<'a>, node: &'t Node, b: &'t Branch) -> R<()> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let body_mark = self.vars.len();
        let mut iterated = false;
        match val.get() {
            // Missing values and JSON null (Go's nil slice/map) are empty.
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) => {
                for i in 0..a.len() {
                    iterated = true;
                    let elem = val
                        .child(|v| v.as_array().and_then(|a| a.get(i)))
                        .expect("in range");
                    let index = Val::owned(Value::from(i as u64));
                    if self.range_iter(b, body_mark, index, elem)? {
                        break;
                    }
                }
            }
            Some(Value::Object(m)) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let keys: Vec<String> = keys.into_iter().cloned().collect();
                for k in keys {
                    iterated = true;
                    let elem = val.child(|v| v.get(k.as_str())).expect("key exists");
                    if self.range_iter(b, body_mark, Val::owned(Value::String(k)), elem)? {
                        break;
                    }
                }
            }
            Some(Value::Number(n)) if matches!(num(n), Num::Int(_)) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.err(
                        Ctx::Node(node),
                        "can't use two iteration variables to range over an integer",
                    ));
                }
                let Num::Int(count) = num(n) else {
                    unreachable!()
                };
                for i in 0..count.max(0) {
                    iterated = true;
                    let v = Val::owned(Value::from(i as i64));
                    if self.range_iter(b, body_mark, Val::Missing(None), v)? {
                        break;
                    }
                }
            }
            Some(other) => {
                return Err(self.err(
                    Ctx::Node(node),
                    format!("range can't iterate over {}", gofmt::sprint_v(other)),
                ))
            }
        }
        if !iterated {
            if let Some(el) = &b.else_list {
                self.walk(dot, el)?;
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    /// One range iteration; returns true on `{{break}}`.
    fn range_iter(
        &mut self,
        b: &'t Branch,
        body_mark: usize,
        index: Val<'a>,
        elem: Val<'a>,
    ) -> R<bool> {
        let decl = &b.pipe.decl;
        if !decl.is_empty() {
            if b.pipe.is_assign {
                let first = if decl.len() > 1 {
                    index.clone()
                } else {
                    elem.clone()
                };
                self.set_var(&decl[0], first, Ctx::Pipe(&b.pipe))?;
            } else {
                let n = self.vars.len();
                self.vars[n - 1].1 = elem.clone();
            }
        }
        if decl.len() > 1 {
            if b.pipe.is_assign {
                self.set_var(&decl[1], elem.clone(), Ctx::Pipe(&b.pipe))?;
            } else {
                let n = self.vars.len();
                self.vars[n - 2].1 = index;
            }
        }
        let flow = self.walk(&elem, &b.list)?;
        self.vars.truncate(body_mark);
        Ok(flow == Flow::Break)
    }

    fn walk_template(
        &mut self,
        dot: &Val<'a>,
        node: &'t Node,
        name: &str,
        pipe: Option<&'t Pipe>,
    ) -> R<()> {
        let Some(body) = self.defines.get(name) else {
            return Err(self.err(
                Ctx::Node(node),
                format!("template {} not defined", gofmt::quote(name)),
            ));
        };
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                Ctx::Node(node),
                format!("exceeded maximum template depth ({MAX_DEPTH})"),
            ));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::Missing(None),
        };
        let saved = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        self.depth += 1;
        let r = self.walk(&new_dot, body);
        self.depth -= 1;
        self.vars = saved;
        r.map(|_| ())
    }

    fn var_value(&self, name: &str, ctx: Ctx<'t>) -> R<Val<'a>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.err(ctx, format!("undefined variable: {name}"))),
        }
    }

    fn set_var(&mut self, name: &str, v: Val<'a>, ctx: Ctx<'t>) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(ctx, format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline(&mut self, dot: &Val<'a>, pipe: &'t Pipe) -> R<Val<'a>> {
        let mut value: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Val::Missing(None));
        for d in &pipe.decl {
            if pipe.is_assign {
                self.set_var(d, value.clone(), Ctx::Pipe(pipe))?;
            } else {
                self.vars.push((d.as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'t [Arg], has_final: bool) -> R<()> {
        if args.len() > 1 || has_final {
            return Err(self.err(
                Ctx::Arg(&args[0]),
                format!("can't give argument to non-function {}", args[0]),
            ));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Val<'a>,
        cmd: &'t Command,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args, fin)
            }
            Arg::Chain { .. } => self.eval_chain(dot, first, &cmd.args, fin),
            Arg::Ident { name, .. } => {
                self.eval_function(dot, name, first, Ctx::Cmd(cmd), &cmd.args[1..], fin)
            }
            Arg::Variable { .. } => self.eval_variable(dot, first, &cmd.args, fin),
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, fin.is_some())?;
                self.eval_pipeline(dot, p)
            }
            Arg::Nil(_) => Err(self.err(Ctx::Arg(first), "nil is not a command")),
            Arg::Dot(_) | Arg::Bool(..) | Arg::Number { .. } | Arg::Str { .. } => {
                self.not_a_function(&cmd.args, fin.is_some())?;
                self.eval_arg(dot, first)
            }
        }
    }

    fn eval_arg(&mut self, dot: &Val<'a>, arg: &'t Arg) -> R<Val<'a>> {
        let one = std::slice::from_ref(arg);
        match arg {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Val::owned(Value::Null)),
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), arg, idents, one, None)
            }
            Arg::Variable { .. } => self.eval_variable(dot, arg, one, None),
            Arg::Chain { .. } => self.eval_chain(dot, arg, one, None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Ident { name, .. } => self.eval_function(dot, name, arg, Ctx::Arg(arg), &[], None),
            Arg::Bool(_, b) => Ok(Val::owned(Value::Bool(*b))),
            Arg::Number { lit, .. } => Ok(Val::owned(lit.value.clone())),
            Arg::Str { text, .. } => Ok(Val::owned(Value::String(text.clone()))),
        }
    }

    fn eval_variable(
        &mut self,
        dot: &Val<'a>,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let Arg::Variable { idents, .. } = node else {
            unreachable!("eval_variable on a non-variable")
        };
        let v = self.var_value(&idents[0], Ctx::Arg(node))?;
        if idents.len() == 1 {
            self.not_a_function(args, fin.is_some())?;
            return Ok(v);
        }
        self.eval_field_chain(dot, v, node, &idents[1..], args, fin)
    }

    fn eval_chain(
        &mut self,
        dot: &Val<'a>,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let Arg::Chain {
            node: inner,
            fields,
            ..
        } = node
        else {
            unreachable!("eval_chain on a non-chain")
        };
        if matches!(**inner, Arg::Nil(_)) {
            return Err(self.err(
                Ctx::Arg(node),
                format!("indirection through explicit nil in {node}"),
            ));
        }
        let recv = self.eval_arg(dot, inner)?;
        self.eval_field_chain(dot, recv, node, fields, args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val<'a>,
        recv: Val<'a>,
        node: &'t Arg,
        idents: &'t [String],
        args: &'t [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let n = idents.len();
        let mut r = recv;
        for name in &idents[..n - 1] {
            r = self.eval_field(dot, name, node, &[], None, r)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, fin, r)
    }

    /// Go's `evalField` for JSON data: object key lookup. A field invoked
    /// with arguments on an object-valued key emulates Docker's accessor
    /// methods (`.Label "k"` looks `k` up in the `Label` object, `""` if
    /// absent).
    fn eval_field(
        &mut self,
        dot: &Val<'a>,
        name: &'t str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val<'a>>,
        recv: Val<'a>,
    ) -> R<Val<'a>> {
        let has_args = args.len() > 1 || fin.is_some();
        let header = self.header;
        let hint = move || header.then(|| name.to_uppercase());
        match recv.get() {
            None => Ok(Val::Missing(hint())),
            Some(Value::Null) => Err(self.err(
                Ctx::Arg(node),
                format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            Some(Value::Object(m)) => {
                if has_args {
                    match m.get(name) {
                        Some(Value::Object(_)) => {}
                        Some(Value::String(s)) if self.header => {
                            return Ok(Val::owned(Value::String(s.clone())))
                        }
                        None if self.header => return Ok(Val::Missing(hint())),
                        _ => {
                            return Err(self.err(
                                Ctx::Arg(node),
                                format!("{name} is not a method but has arguments"),
                            ))
                        }
                    }
                    let mut margs = Vec::new();
                    for a in &args[1..] {
                        margs.push(self.eval_arg(dot, a)?);
                    }
                    margs.extend(fin);
                    if margs.len() != 1 {
                        return Err(self.err(
                            Ctx::Arg(node),
                            format!(
                                "wrong number of args for {name}: want 1 got {}",
                                margs.len()
                            ),
                        ));
                    }
                    let key = match margs[0].get() {
                        Some(Value::String(s)) => s.clone(),
                        other => {
                            let got = other.map_or("<nil>", type_name);
                            return Err(self.err(
                                Ctx::Arg(node),
                                format!("wrong type for value; expected string; got {got}"),
                            ));
                        }
                    };
                    let sub = recv.child(|v| v.get(name)).expect("key exists");
                    return Ok(sub
                        .child(|v| v.get(key.as_str()))
                        .unwrap_or_else(|| Val::owned(Value::String(String::new()))));
                }
                Ok(recv
                    .child(|v| v.get(name))
                    .unwrap_or_else(|| Val::Missing(hint())))
            }
            Some(other) => Err(self.err(
                Ctx::Arg(node),
                format!("can't evaluate field {name} in type {}", type_name(other)),
            )),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Val<'a>,
        name: &'t str,
        ident: &'t Arg,
        call_ctx: Ctx<'t>,
        args: &'t [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        if name == "and" || name == "or" {
            if args.is_empty() && fin.is_none() {
                return Err(self.err(
                    Ctx::Arg(ident),
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let is_or = name == "or";
            let mut last = None;
            for a in args {
                let v = self.eval_arg(dot, a)?;
                if v.truth() == is_or {
                    return Ok(v);
                }
                last = Some(v);
            }
            if fin.is_some() {
                last = fin;
            }
            return Ok(last.expect("at least one argument"));
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.eval_arg(dot, a)?);
        }
        vals.extend(fin);
        match funcs::call(name, vals, self.header) {
            Ok(v) => Ok(v),
            Err(FnErr::Arity(m)) => Err(self.err(Ctx::Arg(ident), m)),
            Err(FnErr::Type(i, m)) => {
                let ctx = args.get(i).map_or(Ctx::Arg(ident), Ctx::Arg);
                Err(self.err(ctx, m))
            }
            Err(FnErr::Call(m)) => Err(self.err(call_ctx, format!("error calling {name}: {m}"))),
        }
    }
}
