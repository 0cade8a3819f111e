//! Evaluation over JSON values.

use crate::parse::{Arg, Node, Pipeline};
use crate::Error;
use serde_json::Value;

/// A value during evaluation: `None` is Go's "no value" (a missing map key).
type V = Option<Value>;

const FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge", "json",
    "split", "join", "title", "lower", "upper", "pad", "truncate",
];

pub fn is_function(s: &str) -> bool {
    FUNCS.contains(&s)
}

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'a> {
    vars: Vec<(String, V)>,
    root: &'a Value,
    out: String,
}

pub fn execute(nodes: &[Node], data: &Value) -> Result<String, Error> {
    let mut st = State { vars: vec![("$".into(), Some(data.clone()))], root: data, out: String::new() };
    let dot = Some(data.clone());
    st.nodes(nodes, &dot)?;
    Ok(st.out)
}

fn exec_err(msg: impl std::fmt::Display) -> Error {
    Error(format!("template: :1: executing \"\" {msg}"))
}

/// Go's truthiness.
fn truthy(v: &V) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Go's `%v` of a float64.
fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    let s = format!("{f:e}");
    let (m, e) = s.split_once('e').expect("exponent");
    let e: i32 = e.parse().expect("int");
    if !(-4..21).contains(&e) {
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        format!("{f}")
    }
}

/// Go's `%v` of a decoded JSON value.
pub fn show(v: &V) -> String {
    match v {
        None => "<no value>".into(),
        Some(Value::Null) => "<nil>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Some(Value::Array(a)) => format!("[{}]", a.iter().map(|x| show(&Some(x.clone()))).collect::<Vec<_>>().join(" ")),
        Some(Value::Object(o)) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            format!("map[{}]", keys.iter().map(|k| format!("{k}:{}", show(&Some(o[*k].clone())))).collect::<Vec<_>>().join(" "))
        }
    }
}

/// Go's `json.Marshal` (compact, HTML characters escaped).
fn go_json(v: &V) -> String {
    let s = serde_json::to_string(v.as_ref().unwrap_or(&Value::Null)).expect("json");
    s.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn field(v: &V, name: &str, chain: &str) -> Result<V, Error> {
    match v {
        Some(Value::Object(m)) => Ok(m.get(name).cloned()),
        None | Some(Value::Null) => Err(exec_err(format!("at <{chain}>: nil pointer evaluating interface {{}}.{name}"))),
        Some(other) => Err(exec_err(format!("at <{chain}>: can't evaluate field {name} in type {}", type_name(other)))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn walk(mut v: V, chain: &[String], prefix: &str) -> Result<V, Error> {
    let mut path = prefix.to_string();
    for f in chain {
        path.push('.');
        path.push_str(f);
        v = field(&v, f, &path)?;
    }
    Ok(v)
}

fn num(v: &V) -> Option<f64> {
    match v {
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

fn int_arg(v: &V, what: &str) -> Result<i64, Error> {
    match v {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).ok_or_else(|| exec_err(format!("{what}: not an integer"))),
        _ => Err(exec_err(format!("{what}: expected an integer, got {}", show(v)))),
    }
}

fn str_arg(v: &V) -> String {
    show(v)
}

fn compare(a: &V, b: &V) -> Result<std::cmp::Ordering, Error> {
    match (a, b) {
        (Some(Value::String(x)), Some(Value::String(y))) => Ok(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| exec_err("incomparable values")),
            _ => Err(exec_err(format!("incompatible types for comparison: {} and {}", show(a), show(b)))),
        },
    }
}

fn equal(a: &V, b: &V) -> bool {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b || (a.is_none() && b == &Some(Value::Null)) || (b.is_none() && a == &Some(Value::Null)),
    }
}

/// Go's `fmt.Sprintf` for the verbs templates use.
fn sprintf(fmt: &str, args: &[V]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut prec: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let body = match verb {
            's' | 'v' => {
                let s = show(arg);
                match prec {
                    Some(p) if verb == 's' => s.chars().take(p).collect(),
                    _ => s,
                }
            }
            'q' => serde_json::to_string(&show(arg)).expect("string"),
            'd' => match num(arg) {
                Some(n) => format!("{}", n as i64),
                None => format!("%!d({})", show(arg)),
            },
            'f' | 'F' => match num(arg) {
                Some(n) => format!("{:.*}", prec.unwrap_or(6), n),
                None => format!("%!f({})", show(arg)),
            },
            'x' => match (num(arg), arg) {
                (Some(n), _) => format!("{:x}", n as i64),
                (_, Some(Value::String(s))) => s.bytes().map(|b| format!("{b:02x}")).collect(),
                _ => format!("%!x({})", show(arg)),
            },
            't' => show(arg),
            other => format!("%!{other}({})", show(arg)),
        };
        let w: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len < w {
            let pad = w - len;
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&" ".repeat(pad));
            } else if flags.contains('0') && matches!(verb, 'd' | 'f' | 'x') {
                let (sign, digits) = body.strip_prefix('-').map_or(("", body.as_str()), |d| ("-", d));
                out.push_str(sign);
                out.push_str(&"0".repeat(pad));
                out.push_str(digits);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    out
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
fn sprint(args: &[V]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Some(Value::String(_)));
        let prev_str = i > 0 && matches!(args[i - 1], Some(Value::String(_)));
        if i > 0 && !is_str && !prev_str {
            out.push(' ');
        }
        out.push_str(&show(a));
    }
    out
}

fn call(name: &str, args: Vec<V>) -> Result<V, Error> {
    let need = |n: usize| -> Result<(), Error> {
        if args.len() != n {
            Err(exec_err(format!("wrong number of args for {name}: want {n} got {}", args.len())))
        } else {
            Ok(())
        }
    };
    let s = |x: String| Ok(Some(Value::String(x)));
    match name {
        "not" => {
            need(1)?;
            Ok(Some(Value::Bool(!truthy(&args[0]))))
        }
        "len" => {
            need(1)?;
            let n = match &args[0] {
                Some(Value::String(x)) => x.len(),
                Some(Value::Array(a)) => a.len(),
                Some(Value::Object(o)) => o.len(),
                other => return Err(exec_err(format!("error calling len: len of type {}", other.as_ref().map_or("<nil>", type_name)))),
            };
            Ok(Some(Value::from(n)))
        }
        "index" => {
            if args.is_empty() {
                return Err(exec_err("wrong number of args for index"));
            }
            let mut v = args[0].clone();
            for k in &args[1..] {
                v = match (&v, k) {
                    (Some(Value::Array(a)), _) => {
                        let i = int_arg(k, "index")?;
                        if i < 0 || i as usize >= a.len() {
                            return Err(exec_err(format!("error calling index: index out of range: {i}")));
                        }
                        Some(a[i as usize].clone())
                    }
                    (Some(Value::Object(m)), Some(Value::String(key))) => m.get(key).cloned(),
                    (None | Some(Value::Null), _) => return Err(exec_err("error calling index: index of untyped nil")),
                    (Some(other), _) => return Err(exec_err(format!("error calling index: can't index item of type {}", type_name(other)))),
                };
            }
            Ok(v)
        }
        "slice" => {
            let base = args.first().cloned().flatten();
            let idx: Vec<i64> = args[1..].iter().map(|a| int_arg(a, "slice")).collect::<Result<_, _>>()?;
            match base {
                Some(Value::String(x)) => {
                    let (a, b) = (idx.first().copied().unwrap_or(0) as usize, idx.get(1).map_or(x.len(), |&b| b as usize));
                    x.get(a..b).map(|r| Some(Value::String(r.to_string()))).ok_or_else(|| exec_err("error calling slice: index out of range"))
                }
                Some(Value::Array(v)) => {
                    let (a, b) = (idx.first().copied().unwrap_or(0) as usize, idx.get(1).map_or(v.len(), |&b| b as usize));
                    v.get(a..b).map(|r| Some(Value::Array(r.to_vec()))).ok_or_else(|| exec_err("error calling slice: index out of range"))
                }
                _ => Err(exec_err("error calling slice: can't slice item")),
            }
        }
        "print" => s(sprint(&args)),
        "println" => s(args.iter().map(show).collect::<Vec<_>>().join(" ") + "\n"),
        "printf" => {
            let f = args.first().map(show).unwrap_or_default();
            s(sprintf(&f, &args[1.min(args.len())..]))
        }
        "eq" => {
            if args.len() < 2 {
                return Err(exec_err("missing argument for comparison"));
            }
            Ok(Some(Value::Bool(args[1..].iter().any(|b| equal(&args[0], b)))))
        }
        "ne" => {
            need(2)?;
            Ok(Some(Value::Bool(!equal(&args[0], &args[1]))))
        }
        "lt" | "le" | "gt" | "ge" => {
            need(2)?;
            let o = compare(&args[0], &args[1])?;
            use std::cmp::Ordering::*;
            let r = match name {
                "lt" => o == Less,
                "le" => o != Greater,
                "gt" => o == Greater,
                _ => o != Less,
            };
            Ok(Some(Value::Bool(r)))
        }
        "json" => {
            need(1)?;
            s(go_json(&args[0]))
        }
        "split" => {
            need(2)?;
            let (x, sep) = (str_arg(&args[0]), str_arg(&args[1]));
            let parts: Vec<Value> = if sep.is_empty() {
                x.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                x.split(sep.as_str()).map(|p| Value::String(p.to_string())).collect()
            };
            Ok(Some(Value::Array(parts)))
        }
        "join" => {
            need(2)?;
            let sep = str_arg(&args[1]);
            match &args[0] {
                Some(Value::Array(a)) => s(a.iter().map(|x| show(&Some(x.clone()))).collect::<Vec<_>>().join(&sep)),
                None | Some(Value::Null) => s(String::new()),
                other => Err(exec_err(format!("error calling join: wrong type for value; expected []string; got {}", other.as_ref().map_or("<nil>", type_name)))),
            }
        }
        "title" => {
            need(1)?;
            let mut out = String::new();
            let mut start = true;
            for c in str_arg(&args[0]).chars() {
                if start && c.is_alphanumeric() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric() && c != '\'' && c != '_';
            }
            s(out)
        }
        "lower" => {
            need(1)?;
            s(str_arg(&args[0]).to_lowercase())
        }
        "upper" => {
            need(1)?;
            s(str_arg(&args[0]).to_uppercase())
        }
        "pad" => {
            need(3)?;
            let (b, a) = (int_arg(&args[1], "pad")?.max(0) as usize, int_arg(&args[2], "pad")?.max(0) as usize);
            s(format!("{}{}{}", " ".repeat(b), str_arg(&args[0]), " ".repeat(a)))
        }
        "truncate" => {
            need(2)?;
            let n = int_arg(&args[1], "truncate")?.max(0) as usize;
            s(str_arg(&args[0]).chars().take(n).collect())
        }
        other => Err(exec_err(format!("function {other:?} not defined"))),
    }
}

impl State<'_> {
    fn var(&self, name: &str) -> Result<V, Error> {
        if name == "$" {
            return Ok(Some(self.root.clone()));
        }
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| exec_err(format!("undefined variable: {name}")))
    }

    fn arg(&mut self, a: &Arg, dot: &V) -> Result<V, Error> {
        Ok(match a {
            Arg::Field(chain) => walk(dot.clone(), chain, "")?,
            Arg::Var(n, chain) => walk(self.var(n)?, chain, n)?,
            Arg::Str(s) => Some(Value::String(s.clone())),
            Arg::Int(n) => Some(Value::from(*n)),
            Arg::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number),
            Arg::Bool(b) => Some(Value::Bool(*b)),
            Arg::Nil => Some(Value::Null),
            Arg::Sub(p, chain) => {
                let v = self.pipeline(p, dot)?;
                walk(v, chain, "")?
            }
            Arg::Ident(f) => call(f, Vec::new())?,
        })
    }

    fn command(&mut self, cmd: &[Arg], dot: &V, prev: Option<V>) -> Result<V, Error> {
        if let Arg::Ident(name) = &cmd[0] {
            // and/or short-circuit and return the deciding operand.
            if name == "and" || name == "or" {
                let mut ops: Vec<&Arg> = cmd[1..].iter().collect();
                let mut last = None;
                let piped = prev;
                if ops.is_empty() && piped.is_none() {
                    return Err(exec_err(format!("wrong number of args for {name}")));
                }
                for a in ops.drain(..) {
                    let v = self.arg(a, dot)?;
                    let t = truthy(&v);
                    if (name == "and" && !t) || (name == "or" && t) {
                        return Ok(v);
                    }
                    last = Some(v);
                }
                if let Some(p) = piped {
                    return Ok(p);
                }
                return Ok(last.flatten());
            }
            let mut args = Vec::new();
            for a in &cmd[1..] {
                args.push(self.arg(a, dot)?);
            }
            if let Some(p) = prev {
                args.push(p);
            }
            return call(name, args);
        }
        if cmd.len() > 1 || prev.is_some() {
            return Err(exec_err("can't give argument to non-function"));
        }
        self.arg(&cmd[0], dot)
    }

    fn pipeline(&mut self, p: &Pipeline, dot: &V) -> Result<V, Error> {
        let mut v: Option<V> = None;
        for cmd in &p.cmds {
            v = Some(self.command(cmd, dot, v)?);
        }
        let v = v.flatten();
        if let Some(name) = p.decl.first() {
            if p.assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = v.clone(),
                    None => return Err(exec_err(format!("undefined variable: {name}"))),
                }
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn nodes(&mut self, nodes: &[Node], dot: &V) -> Result<Flow, Error> {
        for n in nodes {
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(p) => {
                    let v = self.pipeline(p, dot)?;
                    if p.decl.is_empty() {
                        self.out.push_str(&show(&v));
                    }
                }
                Node::If(p, body, els) => {
                    let mark = self.vars.len();
                    let v = self.pipeline(p, dot)?;
                    let f = if truthy(&v) { self.nodes(body, dot)? } else { self.nodes(els, dot)? };
                    self.vars.truncate(mark);
                    if !matches!(f, Flow::Normal) {
                        return Ok(f);
                    }
                }
                Node::With(p, body, els) => {
                    let mark = self.vars.len();
                    let v = self.pipeline(p, dot)?;
                    let f = if truthy(&v) { self.nodes(body, &v)? } else { self.nodes(els, dot)? };
                    self.vars.truncate(mark);
                    if !matches!(f, Flow::Normal) {
                        return Ok(f);
                    }
                }
                Node::Range(p, body, els) => {
                    let mark = self.vars.len();
                    let plain = Pipeline { decl: Vec::new(), assign: false, cmds: p.cmds.clone() };
                    let v = self.pipeline(&plain, dot)?;
                    let items: Vec<(Value, Value)> = match &v {
                        Some(Value::Array(a)) => a.iter().enumerate().map(|(i, x)| (Value::from(i), x.clone())).collect(),
                        Some(Value::Object(o)) => {
                            let mut keys: Vec<&String> = o.keys().collect();
                            keys.sort();
                            keys.into_iter().map(|k| (Value::String(k.clone()), o[k].clone())).collect()
                        }
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Number(n)) if n.as_i64().is_some() => (0..n.as_i64().unwrap_or(0)).map(|i| (Value::from(i), Value::from(i))).collect(),
                        Some(other) => return Err(exec_err(format!("range can't iterate over {}", show(&Some(other.clone()))))),
                    };
                    if items.is_empty() {
                        self.nodes(els, dot)?;
                    }
                    for (k, x) in items {
                        let inner = self.vars.len();
                        match p.decl.as_slice() {
                            [] => {}
                            [one] => self.vars.push((one.clone(), Some(x.clone()))),
                            [a, b, ..] => {
                                self.vars.push((a.clone(), Some(k)));
                                self.vars.push((b.clone(), Some(x.clone())));
                            }
                        }
                        let f = self.nodes(body, &Some(x))?;
                        self.vars.truncate(inner);
                        if matches!(f, Flow::Break) {
                            break;
                        }
                    }
                    self.vars.truncate(mark);
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }
}
