//! Go value printing for JSON values: `fmt`'s `%v` / `Sprint` / `Sprintln` /
//! `Sprintf`, `strconv.Quote`, float formatting (`strconv.FormatFloat`), and
//! `encoding/json` encoding as the Docker CLI's `json` function does it.

use serde_json::{Map, Number, Value};

/// The JSON null, used for Go's untyped nil.
pub(crate) static NULL: Value = Value::Null;

/// A JSON number seen the Go way: an integer type or a float64.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

pub(crate) fn num(n: &Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i as i128)
    } else if let Some(u) = n.as_u64() {
        Num::Int(u as i128)
    } else {
        Num::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Integer value of a number, accepting integral floats.
pub(crate) fn num_as_int(n: &Number) -> Option<i64> {
    match num(n) {
        Num::Int(i) => i64::try_from(i).ok(),
        Num::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        Num::Float(_) => None,
    }
}

/// Go type name of a decoded JSON value, for error messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) => match num(n) {
            Num::Int(_) => "int",
            Num::Float(_) => "float64",
        },
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Object entries sorted by key (Go's `fmtsort` order for string keys).
pub(crate) fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}

/// `%#U`-style rendering used in lexer messages: `U+0023 '#'`.
pub(crate) fn unicode_sharp(c: char) -> String {
    if is_print(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Approximation of Go's `unicode.IsPrint`.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xE0001 | 0xE0020..=0xE007F
        | 0xF0000..=0x10FFFF)
}

fn quote_with(s: &str, q: char) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push(q);
    for c in s.chars() {
        match c {
            _ if c == q || c == '\\' => {
                o.push('\\');
                o.push(c);
            }
            _ if is_print(c) => o.push(c),
            '\x07' => o.push_str("\\a"),
            '\x08' => o.push_str("\\b"),
            '\x0c' => o.push_str("\\f"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\x0b' => o.push_str("\\v"),
            _ if (c as u32) < 0x20 || c == '\x7f' => o.push_str(&format!("\\x{:02x}", c as u32)),
            _ if (c as u32) < 0x10000 => o.push_str(&format!("\\u{:04x}", c as u32)),
            _ => o.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    o.push(q);
    o
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"')
}

/// Formatting flags of one `%` directive.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprint(v)` of one value (Go's `%v`).
pub(crate) fn sprint_v(v: &Value) -> String {
    let mut s = String::new();
    print_value(&mut s, v, 'v', &Spec::default(), 0);
    s
}

/// `fmt.Sprint(args...)`: spaces between operands when neither is a string.
pub(crate) fn sprint(args: &[&Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        print_value(&mut out, a, 'v', &Spec::default(), 0);
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln(args...)`: always space-separated, newline-terminated.
pub(crate) fn sprintln(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        print_value(&mut out, a, 'v', &Spec::default(), 0);
    }
    out.push('\n');
    out
}

fn arg_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => match num(n) {
            Num::Int(i) => i64::try_from(i).ok(),
            Num::Float(_) => None,
        },
        _ => None,
    }
}

/// `fmt.Sprintf(format, args...)` for the verbs, flags, width and precision
/// Go supports on these value types (`%[n]` argument indexes excepted).
pub(crate) fn sprintf(format: &str, args: &[&Value]) -> String {
    let mut out = String::new();
    let mut argn = 0;
    let b = format.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = format[i..].find('%') else {
            out.push_str(&format[i..]);
            break;
        };
        out.push_str(&format[i..i + off]);
        i += off + 1;
        let mut spec = Spec::default();
        while i < b.len() {
            match b[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        // Width.
        if i < b.len() && b[i] == b'*' {
            i += 1;
            match args.get(argn).and_then(|a| arg_int(a)) {
                Some(w) => {
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            argn += 1;
        } else {
            let st = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i > st {
                spec.width = format[st..i].parse().ok();
            }
        }
        // Precision.
        if i < b.len() && b[i] == b'.' {
            i += 1;
            if i < b.len() && b[i] == b'*' {
                i += 1;
                match args.get(argn).and_then(|a| arg_int(a)) {
                    Some(p) if p >= 0 => spec.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                argn += 1;
            } else {
                let st = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                spec.prec = Some(format[st..i].parse().unwrap_or(0));
            }
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(argn) {
            None => {
                out.push_str("%!");
                out.push(verb);
                out.push_str("(MISSING)");
            }
            Some(a) => print_value(&mut out, a, verb, &spec, 0),
        }
        argn += 1;
    }
    if argn < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[argn..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            if a.is_null() {
                out.push_str("<nil>");
            } else {
                out.push_str(type_name(a));
                out.push('=');
                print_value(&mut out, a, 'v', &Spec::default(), 0);
            }
        }
        out.push(')');
    }
    out
}

fn pad(out: &mut String, s: &str, spec: &Spec) {
    let n = s.chars().count();
    let w = spec.width.unwrap_or(0);
    if w <= n {
        out.push_str(s);
        return;
    }
    let fill = w - n;
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else {
        let c = if spec.zero { '0' } else { ' ' };
        out.extend(std::iter::repeat_n(c, fill));
        out.push_str(s);
    }
}

fn bad_verb(out: &mut String, v: &Value, verb: char, spec: &Spec) {
    out.push_str("%!");
    out.push(verb);
    out.push('(');
    if v.is_null() {
        out.push_str("<nil>");
    } else {
        out.push_str(type_name(v));
        out.push('=');
        print_value(out, v, 'v', spec, 0);
    }
    out.push(')');
}

fn print_value(out: &mut String, v: &Value, verb: char, spec: &Spec, depth: usize) {
    if verb == 'T' {
        pad(out, type_name(v), spec);
        return;
    }
    match v {
        Value::Null => {
            if depth > 0 || verb == 'v' {
                pad(out, "<nil>", spec)
            } else {
                bad_verb(out, v, verb, spec)
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, spec),
            _ => bad_verb(out, v, verb, spec),
        },
        Value::Number(n) => match num(n) {
            Num::Int(i) => fmt_int(out, v, i, verb, spec),
            Num::Float(f) => fmt_float(out, v, f, verb, spec),
        },
        Value::String(s) => fmt_str(out, v, s, verb, spec),
        Value::Array(a) => {
            out.push('[');
            for (k, e) in a.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                print_value(out, e, verb, spec, depth + 1);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            for (k, (key, e)) in sorted_entries(m).into_iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                fmt_str(out, &Value::String(key.clone()), key, verb, spec);
                out.push(':');
                print_value(out, e, verb, spec, depth + 1);
            }
            out.push(']');
        }
    }
}

fn truncate_runes(s: &str, prec: Option<usize>) -> &str {
    match prec {
        Some(p) => match s.char_indices().nth(p) {
            Some((idx, _)) => &s[..idx],
            None => s,
        },
        None => s,
    }
}

fn fmt_str(out: &mut String, v: &Value, s: &str, verb: char, spec: &Spec) {
    match verb {
        'v' | 's' => pad(out, truncate_runes(s, spec.prec), spec),
        'q' => {
            let t = truncate_runes(s, spec.prec);
            let can_backquote = !t.contains('`') && t.chars().all(|c| c == '\t' || !c.is_control());
            let q = if spec.sharp && can_backquote {
                format!("`{t}`")
            } else {
                quote(t)
            };
            pad(out, &q, spec)
        }
        'x' | 'X' => {
            let bytes = s.as_bytes();
            let bytes = match spec.prec {
                Some(p) if p < bytes.len() => &bytes[..p],
                _ => bytes,
            };
            let mut h = String::new();
            for (k, byte) in bytes.iter().enumerate() {
                if spec.space && k > 0 {
                    h.push(' ');
                }
                if spec.sharp && (spec.space || k == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    h.push_str(&format!("{byte:02x}"));
                } else {
                    h.push_str(&format!("{byte:02X}"));
                }
            }
            pad(out, &h, spec)
        }
        _ => bad_verb(out, v, verb, spec),
    }
}

fn fmt_int(out: &mut String, v: &Value, i: i128, verb: char, spec: &Spec) {
    match verb {
        'v' | 'd' => int_base(out, i, 10, false, verb, spec),
        'b' => int_base(out, i, 2, false, verb, spec),
        'o' | 'O' => int_base(out, i, 8, false, verb, spec),
        'x' => int_base(out, i, 16, false, verb, spec),
        'X' => int_base(out, i, 16, true, verb, spec),
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &c.to_string(), spec)
        }
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &quote_with(&c.to_string(), '\''), spec)
        }
        'U' => {
            let mut s = format!("U+{:04X}", i);
            if spec.sharp {
                if let Some(c) = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| is_print(*c))
                {
                    s.push_str(&format!(" '{c}'"));
                }
            }
            pad(out, &s, spec)
        }
        // Lenient: Go would report %!f(int=5); JSON does not keep Go's types.
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => fmt_float(out, v, i as f64, verb, spec),
        _ => bad_verb(out, v, verb, spec),
    }
}

/// Port of Go's `fmt.fmtInteger`.
fn int_base(out: &mut String, v: i128, base: u32, upper: bool, verb: char, spec: &Spec) {
    let negative = v < 0;
    let u = v.unsigned_abs();
    let mut prec = 0usize;
    if let Some(p) = spec.prec {
        prec = p;
        if p == 0 && u == 0 {
            pad(
                out,
                "",
                &Spec {
                    zero: false,
                    ..*spec
                },
            );
            return;
        }
    } else if spec.zero && !spec.minus && spec.width.is_some() {
        prec = spec.width.unwrap_or(0);
        if negative || spec.plus || spec.space {
            prec = prec.saturating_sub(1);
        }
    }
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    if digits.len() < prec {
        digits = "0".repeat(prec - digits.len()) + &digits;
    }
    let mut prefix = String::new();
    if spec.sharp {
        match base {
            2 => prefix.push_str("0b"),
            8 if !digits.starts_with('0') => prefix.push('0'),
            16 => prefix.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if verb == 'O' {
        prefix = "0o".to_string();
    }
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let s = format!("{sign}{prefix}{digits}");
    pad(
        out,
        &s,
        &Spec {
            zero: false,
            ..*spec
        },
    );
}

fn fmt_float(out: &mut String, v: &Value, f: f64, verb: char, spec: &Spec) {
    let body = match verb {
        'v' | 'g' => ftoa(f.abs(), 'g', spec.prec),
        'G' => ftoa(f.abs(), 'G', spec.prec),
        'e' | 'E' | 'f' | 'F' => ftoa(f.abs(), verb, Some(spec.prec.unwrap_or(6))),
        // Lenient: integral floats accept integer verbs (Go: %!d(float64=3)).
        'd' | 'x' | 'X' | 'b' | 'o' | 'c' if f.fract() == 0.0 && f.abs() < 9.2e18 => {
            return fmt_int(out, v, f as i128, verb, spec);
        }
        _ => return bad_verb(out, v, verb, spec),
    };
    let sign = if f.is_sign_negative() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let total = sign.len() + body.len();
    match spec.width {
        Some(w) if spec.zero && !spec.minus && w > total => {
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', w - total));
            out.push_str(&body);
        }
        _ => pad(
            out,
            &format!("{sign}{body}"),
            &Spec {
                zero: false,
                ..*spec
            },
        ),
    }
}

/// Decimal digits (no trailing zeros) and decimal-point position of
/// `f` (non-negative), from Rust's `{:e}` formatting.
fn decimal(f: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    if f == 0.0 {
        return (Vec::new(), 0);
    }
    let s = match sig {
        Some(n) => format!("{:.*e}", n.saturating_sub(1), f),
        None => format!("{f:e}"),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

/// Go's `strconv` `%e` digits layout.
fn fmt_e(d: &[u8], dp: i32, prec: i32, ch: char) -> String {
    let mut s = String::new();
    s.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        s.push('.');
        let mut i = 1usize;
        let m = d.len().min(prec as usize + 1);
        if i < m {
            s.extend(d[i..m].iter().map(|&c| c as char));
            i = m;
        }
        while i <= prec as usize {
            s.push('0');
            i += 1;
        }
    }
    s.push(ch);
    let mut exp = if d.is_empty() { 0 } else { dp - 1 };
    if exp < 0 {
        s.push('-');
        exp = -exp;
    } else {
        s.push('+');
    }
    if exp < 10 {
        s.push('0');
    }
    s.push_str(&exp.to_string());
    s
}

/// Go's `strconv` `%f` digits layout.
fn fmt_f(d: &[u8], dp: i32, prec: i32) -> String {
    let mut s = String::new();
    if dp > 0 {
        let m = d.len().min(dp as usize);
        s.extend(d[..m].iter().map(|&c| c as char));
        for _ in m..dp as usize {
            s.push('0');
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            let j = dp + i - 1;
            let ch = if j >= 0 && (j as usize) < d.len() {
                d[j as usize] as char
            } else {
                '0'
            };
            s.push(ch);
        }
    }
    s
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)` for non-negative `f`;
/// `prec == None` means shortest representation (-1).
fn ftoa(f: f64, fmtc: char, prec: Option<usize>) -> String {
    match fmtc {
        'f' | 'F' => match prec {
            Some(p) => format!("{f:.p$}"),
            None => {
                let (d, dp) = decimal(f, None);
                fmt_f(&d, dp, (d.len() as i32 - dp).max(0))
            }
        },
        'e' | 'E' => {
            let (d, dp, p) = match prec {
                Some(p) => {
                    let (d, dp) = decimal(f, Some(p + 1));
                    (d, dp, p as i32)
                }
                None => {
                    let (d, dp) = decimal(f, None);
                    let p = (d.len() as i32 - 1).max(0);
                    (d, dp, p)
                }
            };
            fmt_e(&d, dp, p, fmtc)
        }
        _ => {
            let shortest = prec.is_none();
            let (d, dp, mut p) = match prec {
                None => {
                    let (d, dp) = decimal(f, None);
                    let n = d.len() as i32;
                    (d, dp, n)
                }
                Some(p) => {
                    let p = p.max(1);
                    let (d, dp) = decimal(f, Some(p));
                    (d, dp, p as i32)
                }
            };
            let nd = d.len() as i32;
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                return fmt_e(&d, dp, p - 1, if fmtc == 'G' { 'E' } else { 'e' });
            }
            if p > dp {
                p = nd;
            }
            fmt_f(&d, dp, (p - dp).max(0))
        }
    }
}

/// Go's `encoding/json` encoding of a float64.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    let exp_form = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    let mut body = if exp_form {
        let (d, dp) = decimal(abs, None);
        let mut s = fmt_e(&d, dp, (d.len() as i32 - 1).max(0), 'e');
        // Clean up e-09 to e-9.
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        s
    } else {
        ftoa(abs, 'f', None)
    };
    if f.is_sign_negative() {
        body.insert(0, '-');
    }
    body
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Compact JSON as produced by Docker's `json` template function
/// (`json.Encoder` with `SetEscapeHTML(false)`, trailing newline trimmed).
/// Object keys keep the order of the `Value`.
pub(crate) fn json_encode(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match num(n) {
            Num::Int(i) => out.push_str(&i.to_string()),
            Num::Float(f) => out.push_str(&json_float(f)),
        },
        Value::String(s) => json_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_encode(e, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                json_encode(e, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pf(f: &str, args: &[Value]) -> String {
        let refs: Vec<&Value> = args.iter().collect();
        sprintf(f, &refs)
    }

    #[test]
    fn float_v_like_go() {
        let cases = [
            (1.5, "1.5"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (123456789.0, "1.23456789e+08"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.0, "0"),
            (-2.25, "-2.25"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, want) in cases {
            assert_eq!(sprint_v(&json!(f)), want, "{f}");
        }
    }

    #[test]
    fn printf_verbs() {
        assert_eq!(pf("%-10s|", &[json!("abc")]), "abc       |");
        assert_eq!(pf("%10s|", &[json!("abc")]), "       abc|");
        assert_eq!(pf("%5.2f", &[json!(1.23456)]), " 1.23");
        assert_eq!(pf("%f", &[json!(1.5)]), "1.500000");
        assert_eq!(pf("%e", &[json!(1234.5678)]), "1.234568e+03");
        assert_eq!(pf("%g", &[json!(1234.5678)]), "1234.5678");
        assert_eq!(pf("%.3g", &[json!(1234.5678)]), "1.23e+03");
        assert_eq!(
            pf(
                "%d|%5d|%-5d|%05d",
                &[json!(42), json!(42), json!(42), json!(-42)]
            ),
            "42|   42|42   |-0042"
        );
        assert_eq!(
            pf(
                "%x %X %#x %o %b",
                &[json!(255), json!(255), json!(255), json!(8), json!(5)]
            ),
            "ff FF 0xff 10 101"
        );
        assert_eq!(pf("%q", &[json!("a\"b\n")]), r#""a\"b\n""#);
        assert_eq!(pf("%t %v", &[json!(true), json!(false)]), "true false");
        assert_eq!(pf("100%%", &[]), "100%");
        assert_eq!(pf("%.2s", &[json!("abcdef")]), "ab");
        assert_eq!(pf("%v", &[json!(["a", 1, null])]), "[a 1 <nil>]");
        assert_eq!(pf("%v", &[json!({"b": 2, "a": [1]})]), "map[a:[1] b:2]");
        assert_eq!(pf("%x", &[json!("hi")]), "6869");
        assert_eq!(pf("%c%c", &[json!(72), json!(105)]), "Hi");
        assert_eq!(pf("%T %T", &[json!("x"), json!(1.5)]), "string float64");
    }

    #[test]
    fn printf_errors_like_go() {
        assert_eq!(pf("%d", &[json!("x")]), "%!d(string=x)");
        assert_eq!(pf("%s %s", &[json!("x")]), "x %!s(MISSING)");
        assert_eq!(pf("%s", &[json!("x"), json!(1)]), "x%!(EXTRA int=1)");
        assert_eq!(pf("%s", &[Value::Null]), "%!s(<nil>)");
        assert_eq!(pf("%z", &[json!(1)]), "%!z(int=1)");
        assert_eq!(pf("abc%", &[]), "abc%!(NOVERB)");
        assert_eq!(pf("%s", &[json!(true)]), "%!s(bool=true)");
    }

    #[test]
    fn sprint_spacing() {
        let a = json!("a");
        let one = json!(1);
        let two = json!(2);
        assert_eq!(sprint(&[&a, &one, &two, &a]), "a1 2a");
        assert_eq!(sprintln(&[&a, &one]), "a 1\n");
    }

    #[test]
    fn json_like_docker() {
        let mut s = String::new();
        json_encode(
            &json!({"z": 1, "a": "<b>&\u{2028}\n", "f": 1.0, "g": 1e21, "h": 1e-7, "n": null, "l": [true]}),
            &mut s,
        );
        assert_eq!(
            s,
            r#"{"z":1,"a":"<b>&\u2028\n","f":1,"g":1e+21,"h":1e-7,"n":null,"l":[true]}"#
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\u{7}\u{1}é\u{a0}"), r#""a\a\x01é\u00a0""#);
    }
}
