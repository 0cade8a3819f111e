//! Template functions: Go's builtins (`text/template/funcs.go`) and the
//! Docker CLI's additions (`github.com/docker/cli/templates`), including the
//! header variants Docker swaps in when rendering a table header.
//!
//! `and` / `or` short-circuit and are evaluated by the executor itself.

use std::borrow::Cow;

use serde_json::Value;

use crate::exec::Val;
use crate::gofmt::{self, num, num_as_int, type_name, Num, NULL};

/// Every function name a template may call.
const FUNCTIONS: &[&str] = &[
    // Go builtins
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery", // Docker CLI
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
];

/// Whether `name` is a known function (checked at parse time, as Go does).
pub(crate) fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

/// How a function call failed; the executor turns this into a Go-style
/// message located at the right node.
pub(crate) enum FnErr {
    /// "wrong number of args for ...".
    Arity(String),
    /// Argument `.0` has the wrong type.
    Type(usize, String),
    /// The function itself failed ("error calling X: ...").
    Call(String),
}

type FResult<'a> = Result<Val<'a>, FnErr>;

fn exact(name: &str, args: &[Val<'_>], n: usize) -> Result<(), FnErr> {
    if args.len() != n {
        return Err(FnErr::Arity(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn at_least(name: &str, args: &[Val<'_>], n: usize) -> Result<(), FnErr> {
    if args.len() < n {
        return Err(FnErr::Arity(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn type_err(i: usize, want: &str, v: &Val<'_>) -> FnErr {
    match v.get() {
        None => FnErr::Type(i, format!("invalid value; expected {want}")),
        Some(v) => FnErr::Type(
            i,
            format!(
                "wrong type for value; expected {want}; got {}",
                type_name(v)
            ),
        ),
    }
}

/// A `string` parameter. In header mode a missing value carrying a
/// header-name hint converts to that name.
fn want_string(args: &[Val<'_>], i: usize) -> Result<String, FnErr> {
    match &args[i] {
        Val::V(c) => match c.as_ref() {
            Value::String(s) => Ok(s.clone()),
            _ => Err(type_err(i, "string", &args[i])),
        },
        Val::Missing(Some(hint)) => Ok(hint.clone()),
        Val::Missing(None) => Err(type_err(i, "string", &args[i])),
    }
}

/// An `int` parameter (integral floats accepted).
fn want_int(args: &[Val<'_>], i: usize) -> Result<i64, FnErr> {
    match args[i].get() {
        Some(Value::Number(n)) => num_as_int(n).ok_or_else(|| type_err(i, "int", &args[i])),
        _ => Err(type_err(i, "int", &args[i])),
    }
}

/// Value passed to an `interface{}` parameter: a missing value becomes nil
/// (or, in header mode, its header-name hint).
pub(crate) fn as_any<'v>(v: &'v Val<'_>) -> Cow<'v, Value> {
    match v {
        Val::V(c) => Cow::Borrowed(c.as_ref()),
        Val::Missing(Some(h)) => Cow::Owned(Value::String(h.clone())),
        Val::Missing(None) => Cow::Borrowed(&NULL),
    }
}

fn string_val<'a>(s: impl Into<String>) -> Val<'a> {
    Val::owned(Value::String(s.into()))
}

fn bool_val<'a>(b: bool) -> Val<'a> {
    Val::owned(Value::Bool(b))
}

/// Call function `name` (not `and`/`or`) with evaluated arguments (the
/// pipeline's final value, if any, already appended).
pub(crate) fn call<'a>(name: &str, args: Vec<Val<'a>>, header: bool) -> FResult<'a> {
    if header {
        if let Some(r) = call_header(name, &args) {
            return r;
        }
    }
    match name {
        "not" => {
            exact(name, &args, 1)?;
            Ok(bool_val(!args[0].truth()))
        }
        "len" => {
            exact(name, &args, 1)?;
            let n = match args[0].get() {
                None => return Err(FnErr::Call("len of nil pointer".into())),
                Some(Value::Null) => 0,
                Some(Value::String(s)) => s.len(),
                Some(Value::Array(a)) => a.len(),
                Some(Value::Object(m)) => m.len(),
                Some(other) => {
                    return Err(FnErr::Call(format!("len of type {}", type_name(other))))
                }
            };
            Ok(Val::owned(Value::from(n as u64)))
        }
        "index" => {
            at_least(name, &args, 1)?;
            let mut it = args.into_iter();
            let mut cur = it.next().expect("checked arity");
            if cur.get().is_none() {
                return Err(FnErr::Call("index of untyped nil".into()));
            }
            for idx in it {
                cur = index_one(cur, &idx)?;
            }
            Ok(cur)
        }
        "slice" => {
            at_least(name, &args, 1)?;
            slice(&args)
        }
        "print" | "println" => {
            let vals: Vec<Cow<'_, Value>> = args.iter().map(as_any).collect();
            let refs: Vec<&Value> = vals.iter().map(|c| c.as_ref()).collect();
            Ok(string_val(if name == "print" {
                gofmt::sprint(&refs)
            } else {
                gofmt::sprintln(&refs)
            }))
        }
        "printf" => {
            at_least(name, &args, 1)?;
            let format = want_string(&args, 0)?;
            let vals: Vec<Cow<'_, Value>> = args[1..].iter().map(as_any).collect();
            let refs: Vec<&Value> = vals.iter().map(|c| c.as_ref()).collect();
            Ok(string_val(gofmt::sprintf(&format, &refs)))
        }
        "eq" => {
            at_least(name, &args, 1)?;
            if args.len() == 1 {
                return Err(FnErr::Call("missing argument for comparison".into()));
            }
            for b in &args[1..] {
                if eq_vals(&args[0], b)? {
                    return Ok(bool_val(true));
                }
            }
            Ok(bool_val(false))
        }
        "ne" => {
            exact(name, &args, 2)?;
            Ok(bool_val(!eq_vals(&args[0], &args[1])?))
        }
        "lt" => {
            exact(name, &args, 2)?;
            Ok(bool_val(lt_vals(&args[0], &args[1])?))
        }
        "le" => {
            exact(name, &args, 2)?;
            Ok(bool_val(le_vals(&args[0], &args[1])?))
        }
        "gt" => {
            exact(name, &args, 2)?;
            Ok(bool_val(!le_vals(&args[0], &args[1])?))
        }
        "ge" => {
            exact(name, &args, 2)?;
            Ok(bool_val(!lt_vals(&args[0], &args[1])?))
        }
        "html" => Ok(string_val(html_escape(&eval_args(&args)))),
        "js" => Ok(string_val(js_escape(&eval_args(&args)))),
        "urlquery" => Ok(string_val(query_escape(&eval_args(&args)))),
        "json" => {
            exact(name, &args, 1)?;
            let mut s = String::new();
            gofmt::json_encode(&as_any(&args[0]), &mut s);
            Ok(string_val(s))
        }
        "split" => {
            exact(name, &args, 2)?;
            let s = want_string(&args, 0)?;
            let sep = want_string(&args, 1)?;
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep.as_str())
                    .map(|p| Value::String(p.to_string()))
                    .collect()
            };
            Ok(Val::owned(Value::Array(parts)))
        }
        "join" => {
            exact(name, &args, 2)?;
            let sep = want_string(&args, 1)?;
            let elems: Vec<&str> = match args[0].get() {
                // A nil []string joins to "".
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Option<_>>()
                    .ok_or_else(|| type_err(0, "[]string", &args[0]))?,
                Some(_) => return Err(type_err(0, "[]string", &args[0])),
            };
            Ok(string_val(elems.join(&sep)))
        }
        "title" => {
            exact(name, &args, 1)?;
            Ok(string_val(title(&want_string(&args, 0)?)))
        }
        "lower" => {
            exact(name, &args, 1)?;
            Ok(string_val(map_case(&want_string(&args, 0)?, false)))
        }
        "upper" => {
            exact(name, &args, 1)?;
            Ok(string_val(map_case(&want_string(&args, 0)?, true)))
        }
        "pad" => {
            exact(name, &args, 3)?;
            let s = want_string(&args, 0)?;
            let before = want_int(&args, 1)?;
            let after = want_int(&args, 2)?;
            if s.is_empty() {
                return Ok(string_val(s));
            }
            if before < 0 || after < 0 {
                return Err(FnErr::Call("strings: negative Repeat count".into()));
            }
            Ok(string_val(format!(
                "{}{s}{}",
                " ".repeat(before as usize),
                " ".repeat(after as usize)
            )))
        }
        "truncate" => {
            exact(name, &args, 2)?;
            let s = want_string(&args, 0)?;
            let n = want_int(&args, 1)?;
            if n < 0 {
                return Err(FnErr::Call(format!("slice bounds out of range [:{n}]")));
            }
            Ok(string_val(s.chars().take(n as usize).collect::<String>()))
        }
        _ => Err(FnErr::Call(format!("function {name:?} not implemented"))),
    }
}

/// Docker's `HeaderFunctions`: identity functions with string parameters,
/// so that the header row shows the column names untouched. `None` for the
/// functions Docker does not override (e.g. `pad`, `printf`).
fn call_header<'a>(name: &str, args: &[Val<'a>]) -> Option<FResult<'a>> {
    let identity = |n: usize, second_int: bool| -> FResult<'a> {
        exact(name, args, n)?;
        let v = want_string(args, 0)?;
        if n == 2 {
            if second_int {
                want_int(args, 1)?;
            } else {
                want_string(args, 1)?;
            }
        }
        Ok(string_val(v))
    };
    Some(match name {
        "json" | "title" | "lower" | "upper" => identity(1, false),
        "split" | "join" => identity(2, false),
        "truncate" => identity(2, true),
        _ => return None,
    })
}

/// Zero value for a missing key of an object seen as a Go map: `""` when
/// the object looks like a `map[string]string` (all values strings, as
/// Docker's label maps are), otherwise no value.
fn map_zero<'a>(m: &serde_json::Map<String, Value>) -> Val<'a> {
    if m.values().all(Value::is_string) {
        string_val("")
    } else {
        Val::Missing(None)
    }
}

fn index_arg(idx: &Val<'_>, len: usize, allow_len: bool) -> Result<usize, FnErr> {
    let x = match idx.get() {
        None | Some(Value::Null) => {
            return Err(FnErr::Call("cannot index slice/array with nil".into()))
        }
        Some(Value::Number(n)) => num_as_int(n)
            .ok_or_else(|| FnErr::Call("cannot index slice/array with type float64".into()))?,
        Some(other) => {
            return Err(FnErr::Call(format!(
                "cannot index slice/array with type {}",
                type_name(other)
            )))
        }
    };
    if x < 0 || (x as u64 as usize) > len || (!allow_len && x as usize == len) {
        return Err(FnErr::Call(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index_one<'a>(item: Val<'a>, idx: &Val<'a>) -> FResult<'a> {
    let Some(v) = item.get() else {
        return Err(FnErr::Call("index of nil pointer".into()));
    };
    match v {
        Value::Array(a) => {
            let i = index_arg(idx, a.len(), false)?;
            Ok(item
                .child(|v| v.as_array().and_then(|a| a.get(i)))
                .expect("index checked"))
        }
        Value::String(s) => {
            let i = index_arg(idx, s.len(), false)?;
            Ok(Val::owned(Value::from(s.as_bytes()[i])))
        }
        Value::Object(m) => match idx.get() {
            Some(Value::String(k)) => Ok(item
                .child(|v| v.get(k.as_str()))
                .unwrap_or_else(|| map_zero(m))),
            None | Some(Value::Null) => {
                Err(FnErr::Call("value is nil; should be of type string".into()))
            }
            Some(o) => Err(FnErr::Call(format!(
                "value has type {}; should be string",
                type_name(o)
            ))),
        },
        // A nil map/slice: string keys yield "", integer indexes are out of range.
        Value::Null => match idx.get() {
            Some(Value::String(_)) => Ok(string_val("")),
            _ => {
                index_arg(idx, 0, false)?;
                Err(FnErr::Call("index out of range: 0".into()))
            }
        },
        other => Err(FnErr::Call(format!(
            "can't index item of type {}",
            type_name(other)
        ))),
    }
}

fn slice<'a>(args: &[Val<'a>]) -> FResult<'a> {
    let Some(v) = args[0].get() else {
        return Err(FnErr::Call("slice of untyped nil".into()));
    };
    let idxs = &args[1..];
    if idxs.len() > 3 {
        return Err(FnErr::Call(format!(
            "too many slice indexes: {}",
            idxs.len()
        )));
    }
    let len = match v {
        Value::String(s) => {
            if idxs.len() == 3 {
                return Err(FnErr::Call("cannot 3-index slice a string".into()));
            }
            s.len()
        }
        Value::Array(a) => a.len(),
        Value::Null => 0,
        other => {
            return Err(FnErr::Call(format!(
                "can't slice item of type {}",
                type_name(other)
            )))
        }
    };
    let mut idx = [0, len, len];
    for (i, x) in idxs.iter().enumerate() {
        idx[i] = index_arg(x, len, true)?;
    }
    if idx[0] > idx[1] {
        return Err(FnErr::Call(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if idxs.len() == 3 && idx[1] > idx[2] {
        return Err(FnErr::Call(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    Ok(Val::owned(match v {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::Array(a) => Value::Array(a[idx[0]..idx[1]].to_vec()),
        _ => Value::Array(Vec::new()),
    }))
}

#[derive(Clone, Copy)]
enum Basic<'v> {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'v str),
}

fn basic(v: &Value) -> Option<Basic<'_>> {
    match v {
        Value::Bool(b) => Some(Basic::Bool(*b)),
        Value::Number(n) => Some(match num(n) {
            Num::Int(i) => Basic::Int(i),
            Num::Float(f) => Basic::Float(f),
        }),
        Value::String(s) => Some(Basic::Str(s)),
        _ => None,
    }
}

fn incompatible() -> FnErr {
    FnErr::Call("incompatible types for comparison".into())
}

/// Go's `eq` for one pair. Missing values and JSON null are both "nil":
/// nil equals nil, and nil never equals anything else (no error).
/// Integers and floats compare numerically (Go would refuse int vs float64).
fn eq_vals(a: &Val<'_>, b: &Val<'_>) -> Result<bool, FnErr> {
    let x = a.get().filter(|v| !v.is_null());
    let y = b.get().filter(|v| !v.is_null());
    match (x, y) {
        (None, None) => Ok(true),
        (None, Some(_)) | (Some(_), None) => Ok(false),
        (Some(x), Some(y)) => match (basic(x), basic(y)) {
            (Some(p), Some(q)) => match (p, q) {
                (Basic::Bool(p), Basic::Bool(q)) => Ok(p == q),
                (Basic::Str(p), Basic::Str(q)) => Ok(p == q),
                (Basic::Int(p), Basic::Int(q)) => Ok(p == q),
                (Basic::Float(p), Basic::Float(q)) => Ok(p == q),
                (Basic::Int(i), Basic::Float(f)) | (Basic::Float(f), Basic::Int(i)) => {
                    Ok(i as f64 == f)
                }
                _ => Err(incompatible()),
            },
            (None, None) => Err(FnErr::Call(format!(
                "non-comparable type {}: {}",
                gofmt::sprint_v(y),
                type_name(y)
            ))),
            _ => Err(incompatible()),
        },
    }
}

fn lt_vals(a: &Val<'_>, b: &Val<'_>) -> Result<bool, FnErr> {
    let bad_type = || FnErr::Call("invalid type for comparison".into());
    let x = a.get().and_then(basic).ok_or_else(bad_type)?;
    let y = b.get().and_then(basic).ok_or_else(bad_type)?;
    match (x, y) {
        (Basic::Bool(_), Basic::Bool(_)) => Err(bad_type()),
        (Basic::Str(p), Basic::Str(q)) => Ok(p < q),
        (Basic::Int(p), Basic::Int(q)) => Ok(p < q),
        (Basic::Float(p), Basic::Float(q)) => Ok(p < q),
        (Basic::Int(p), Basic::Float(q)) => Ok((p as f64) < q),
        (Basic::Float(p), Basic::Int(q)) => Ok(p < q as f64),
        _ => Err(incompatible()),
    }
}

fn le_vals(a: &Val<'_>, b: &Val<'_>) -> Result<bool, FnErr> {
    if lt_vals(a, b)? {
        return Ok(true);
    }
    eq_vals(a, b)
}

/// Go's `evalArgs` for html/js/urlquery: a lone string as is, otherwise
/// `fmt.Sprint` of the arguments (missing values print as `<no value>`).
fn eval_args(args: &[Val<'_>]) -> String {
    if args.len() == 1 {
        if let Some(Value::String(s)) = args[0].get() {
            return s.clone();
        }
    }
    let no_value = Value::String("<no value>".into());
    let refs: Vec<&Value> = args
        .iter()
        .map(|a| match a {
            Val::Missing(None) => &no_value,
            Val::Missing(Some(_)) | Val::V(_) => a.get().unwrap_or(&no_value),
        })
        .collect();
    gofmt::sprint(&refs)
}

fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => o.push('\u{fffd}'),
            '"' => o.push_str("&#34;"),
            '\'' => o.push_str("&#39;"),
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            c => o.push(c),
        }
    }
    o
}

fn js_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !gofmt::is_print(c) => {
                o.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// Go's (deprecated) `strings.Title`: upper-case the first letter of each
/// word, words being separated by anything but letters, digits and `_`.
fn title(s: &str) -> String {
    fn is_separator(r: char) -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphabetic() || r.is_numeric() {
            return false;
        }
        r.is_whitespace()
    }
    let mut prev = ' ';
    s.chars()
        .map(|r| {
            let out = if is_separator(prev) {
                one_case(r, true)
            } else {
                r
            };
            prev = r;
            out
        })
        .collect()
}

/// Single-rune case mapping like Go's `unicode.ToUpper`/`ToLower`
/// (no multi-rune expansions such as ß → SS).
fn one_case(c: char, upper: bool) -> char {
    let s: String = if upper {
        c.to_uppercase().collect()
    } else {
        c.to_lowercase().collect()
    };
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

fn map_case(s: &str, upper: bool) -> String {
    s.chars().map(|c| one_case(c, upper)).collect()
}
