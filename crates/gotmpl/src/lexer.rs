//! Lexer: a port of Go's `text/template/parse/lex.go` (default `{{`/`}}`
//! delimiters, trim markers, comments, `break`/`continue` keywords).
//!
//! The whole input is tokenised up front; lexing stops at the first error,
//! which is emitted as a [`Kind::Error`] item (the parser reports it only if
//! it gets that far, exactly like Go's lazily-running lexer).

use crate::gofmt;

/// Token kinds (Go's `itemType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Error,
    Eof,
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Pipe,
    LeftParen,
    RightParen,
    Assign,
    Declare,
    Char,
    Field,
    Variable,
    Dot,
    Identifier,
    Bool,
    Nil,
    Number,
    CharConstant,
    Str,
    RawStr,
    // keywords
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

impl Kind {
    /// Whether Go's `item.String()` shows the token as `<word>` (keywords,
    /// including `.` and `nil`).
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Range
                | Kind::Template
                | Kind::With
                | Kind::Dot
                | Kind::Nil
        )
    }
}

/// One token: kind, byte offset in the source, and its text.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) kind: Kind,
    pub(crate) pos: usize,
    pub(crate) val: String,
}

impl Item {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            Kind::Eof => "EOF".to_string(),
            Kind::Error => self.val.clone(),
            k if k.is_keyword() => format!("<{}>", self.val),
            _ if self.val.len() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                format!("{}...", gofmt::quote(&head))
            }
            _ => gofmt::quote(&self.val),
        }
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const TRIM_LEN: usize = 2; // "- " or " -"

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    Inside,
    RightDelim,
    Done,
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    last_width: usize,
    paren_depth: usize,
    items: Vec<Item>,
}

/// Tokenise `input`. The result always ends with an `Eof` or `Error` item.
pub(crate) fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        last_width: 0,
        paren_depth: 0,
        items: Vec::new(),
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::Inside => l.lex_inside(),
            State::RightDelim => l.lex_right_delim(),
            State::Done => break,
        };
    }
    l.items
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

impl Lexer<'_> {
    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            Some(c) => {
                self.last_width = c.len_utf8();
                self.pos += self.last_width;
                Some(c)
            }
            None => {
                self.last_width = 0;
                None
            }
        }
    }

    fn backup(&mut self) {
        self.pos -= self.last_width;
        self.last_width = 0;
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn emit(&mut self, kind: Kind) {
        self.items.push(Item {
            kind,
            pos: self.start,
            val: self.input[self.start..self.pos].to_string(),
        });
        self.start = self.pos;
    }

    fn errorf(&mut self, msg: impl Into<String>) -> State {
        self.items.push(Item {
            kind: Kind::Error,
            pos: self.start,
            val: msg.into(),
        });
        State::Done
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.input[self.pos..];
        if has_right_trim_marker(rest) && rest[TRIM_LEN..].starts_with(RIGHT) {
            (true, true)
        } else if rest.starts_with(RIGHT) {
            (true, false)
        } else {
            (false, false)
        }
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.input[self.pos..].starts_with(RIGHT),
        }
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.input[self.pos..].find(LEFT) {
            if x > 0 {
                self.pos += x;
                let mut trim = 0;
                if has_left_trim_marker(&self.input[self.pos + LEFT.len()..]) {
                    trim = right_trim_length(&self.input[self.start..self.pos]);
                }
                let end = self.pos - trim;
                if end > self.start {
                    self.items.push(Item {
                        kind: Kind::Text,
                        pos: self.start,
                        val: self.input[self.start..end].to_string(),
                    });
                }
                self.start = self.pos;
            }
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(Kind::Text);
        }
        self.emit(Kind::Eof);
        State::Done
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim_marker(&self.input[self.pos..]);
        let after = if trim { TRIM_LEN } else { 0 };
        if self.input[self.pos + after..].starts_with("/*") {
            self.pos += after;
            self.start = self.pos;
            return State::Comment;
        }
        self.items.push(Item {
            kind: Kind::LeftDelim,
            pos: self.start,
            val: LEFT.to_string(),
        });
        self.pos += after;
        self.start = self.pos;
        self.paren_depth = 0;
        State::Inside
    }

    fn lex_comment(&mut self) -> State {
        self.pos += 2;
        match self.input[self.pos..].find("*/") {
            None => return self.errorf("unclosed comment"),
            Some(x) => self.pos += x + 2,
        }
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter");
        }
        if trim {
            self.pos += TRIM_LEN;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += left_trim_length(&self.input[self.pos..]);
        }
        self.start = self.pos;
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += TRIM_LEN;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(Kind::RightDelim);
        if trim {
            self.pos += left_trim_length(&self.input[self.pos..]);
            self.start = self.pos;
        }
        State::Text
    }

    fn lex_inside(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren");
        }
        match self.next() {
            None => self.errorf("unclosed action"),
            Some(c) if is_space(c) => {
                self.backup();
                self.lex_space()
            }
            Some('=') => {
                self.emit(Kind::Assign);
                State::Inside
            }
            Some(':') => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=");
                }
                self.emit(Kind::Declare);
                State::Inside
            }
            Some('|') => {
                self.emit(Kind::Pipe);
                State::Inside
            }
            Some('"') => self.lex_quote(),
            Some('`') => self.lex_raw_quote(),
            Some('$') => self.lex_field_or_variable(Kind::Variable),
            Some('\'') => self.lex_char(),
            Some('.') => {
                if let Some(&b) = self.input.as_bytes().get(self.pos) {
                    if !b.is_ascii_digit() {
                        return self.lex_field_or_variable(Kind::Field);
                    }
                }
                self.backup();
                self.lex_number()
            }
            Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                self.backup();
                self.lex_number()
            }
            Some(c) if is_alnum(c) => {
                self.backup();
                self.lex_identifier()
            }
            Some('(') => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
                State::Inside
            }
            Some(')') => {
                if self.paren_depth == 0 {
                    return self.errorf("unexpected right paren");
                }
                self.paren_depth -= 1;
                self.emit(Kind::RightParen);
                State::Inside
            }
            Some(c) if c.is_ascii() && !c.is_ascii_control() => {
                self.emit(Kind::Char);
                State::Inside
            }
            Some(c) => self.errorf(format!(
                "unrecognized character in action: {}",
                gofmt::unicode_sharp(c)
            )),
        }
    }

    fn lex_space(&mut self) -> State {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            n += 1;
        }
        // A trim-marked closing delimiter (" -}}") starts with a space.
        let rest = &self.input[self.pos - 1..];
        if has_right_trim_marker(rest) && rest[TRIM_LEN..].starts_with(RIGHT) {
            self.pos -= 1;
            if n == 1 {
                return State::Inside;
            }
        }
        self.emit(Kind::Space);
        State::Inside
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\u{fffd}');
            return self.errorf(format!("bad character {}", gofmt::unicode_sharp(c)));
        }
        let kind = match &self.input[self.start..self.pos] {
            "block" => Kind::Block,
            "break" => Kind::Break,
            "continue" => Kind::Continue,
            "define" => Kind::Define,
            "else" => Kind::Else,
            "end" => Kind::End,
            "if" => Kind::If,
            "range" => Kind::Range,
            "nil" => Kind::Nil,
            "template" => Kind::Template,
            "with" => Kind::With,
            "true" | "false" => Kind::Bool,
            _ => Kind::Identifier,
        };
        self.emit(kind);
        State::Inside
    }

    /// Called after the `.` or `$` sigil has been consumed.
    fn lex_field_or_variable(&mut self, kind: Kind) -> State {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return State::Inside;
        }
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\u{fffd}');
            return self.errorf(format!("bad character {}", gofmt::unicode_sharp(c)));
        }
        self.emit(kind);
        State::Inside
    }

    fn lex_quoted(&mut self, quote: char, kind: Kind, msg: &str) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf(msg),
                },
                None | Some('\n') => return self.errorf(msg),
                Some(c) if c == quote => break,
                _ => {}
            }
        }
        self.emit(kind);
        State::Inside
    }

    fn lex_quote(&mut self) -> State {
        self.lex_quoted('"', Kind::Str, "unterminated quoted string")
    }

    fn lex_char(&mut self) -> State {
        self.lex_quoted('\'', Kind::CharConstant, "unterminated character constant")
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string"),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Kind::RawStr);
        State::Inside
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek() {
            if is_alnum(c) {
                self.next();
                return false;
            }
        }
        true
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = gofmt::quote(&self.input[self.start..self.pos]);
            return self.errorf(format!("bad number syntax: {text}"));
        }
        if let Some('+' | '-') = self.peek() {
            // Complex constant such as 1+2i: lexed like Go, rejected by the parser.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = gofmt::quote(&self.input[self.start..self.pos]);
                return self.errorf(format!("bad number syntax: {text}"));
            }
        }
        self.emit(Kind::Number);
        State::Inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Kind> {
        lex(s).into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn basic_tokens() {
        use Kind::*;
        assert_eq!(
            kinds("a{{.A.B | printf \"%s\" $x}}b"),
            vec![
                Text, LeftDelim, Field, Field, Space, Pipe, Space, Identifier, Space, Str, Space,
                Variable, RightDelim, Text, Eof
            ]
        );
    }

    #[test]
    fn trim_and_comment() {
        let items = lex("a \n{{- /* c */ -}}\n b");
        let texts: Vec<_> = items
            .iter()
            .filter(|i| i.kind == Kind::Text)
            .map(|i| i.val.as_str())
            .collect();
        assert_eq!(texts, vec!["a", "b"]);
    }

    #[test]
    fn errors() {
        let last = |s: &str| lex(s).pop().unwrap();
        assert_eq!(last("{{.A").val, "unclosed action");
        assert_eq!(last("{{/* x").val, "unclosed comment");
        assert_eq!(last("{{\"abc}}").val, "unterminated quoted string");
        assert_eq!(last("{{.A#}}").val, "bad character U+0023 '#'");
    }
}
