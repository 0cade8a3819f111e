//! End-to-end tests of templates, functions and the Docker formatter.

use serde_json::{json, Value};

use crate::{format_rows, prepare_format, Error, Template};

fn run(src: &str, data: &Value) -> String {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("parse {src:?}: {e}"))
        .execute(data)
        .unwrap_or_else(|e| panic!("execute {src:?}: {e}"))
}

fn exec_err(src: &str, data: &Value) -> String {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("parse {src:?}: {e}"))
        .execute(data)
        .expect_err("expected an execution error")
        .to_string()
}

fn parse_err(src: &str) -> Error {
    Template::parse(src).expect_err("expected a parse error")
}

fn container() -> Value {
    json!({
        "ID": "abcdef1234567890",
        "Names": ["web", "frontend"],
        "State": "running",
        "Size": 1234,
        "Ratio": 0.5,
        "Labels": {"a.b": "1", "com.example": "x<y>&z"},
        "Config": {"Env": ["PATH=/bin", "HOME=/root"], "Cmd": null, "Image": "busybox"},
        "Mounts": [],
        "Health": null
    })
}

#[test]
fn text_and_fields() {
    let d = container();
    assert_eq!(run("plain text", &d), "plain text");
    assert_eq!(run("{{.ID}}", &d), "abcdef1234567890");
    assert_eq!(run("{{.Config.Image}}", &d), "busybox");
    assert_eq!(run("{{$.Config.Image}}", &d), "busybox");
    assert_eq!(
        run("{{with .Config}}{{.Image}} {{$.State}}{{end}}", &d),
        "busybox running"
    );
    assert_eq!(run("{{(.Config).Image}}", &d), "busybox");
    assert_eq!(run("{{$c := .Config}}{{$c.Image}}", &d), "busybox");
    assert_eq!(run("{{.Size}} {{.Ratio}}", &d), "1234 0.5");
}

#[test]
fn field_chain_three_levels() {
    let d = json!({"A": {"B": {"C": "deep"}}});
    assert_eq!(run("{{.A.B.C}}", &d), "deep");
    assert_eq!(run("{{.A.B}}", &d), "map[C:deep]");
}

#[test]
fn missing_keys_print_no_value() {
    let d = container();
    assert_eq!(run("{{.Nope}}", &d), "<no value>");
    assert_eq!(run("{{.Config.Nope}}", &d), "<no value>");
    assert_eq!(run("{{.Nope.Deeper.Still}}", &d), "<no value>");
    assert_eq!(run("{{if .Nope}}y{{else}}n{{end}}", &d), "n");
}

#[test]
fn field_on_non_object_is_an_error() {
    let d = container();
    assert_eq!(
        exec_err("{{.State.Foo}}", &d),
        r#"template: :1:8: executing "" at <.State.Foo>: can't evaluate field Foo in type string"#
    );
    assert_eq!(
        exec_err("x\n {{.Health.Status}}", &d),
        r#"template: :2:10: executing "" at <.Health.Status>: nil pointer evaluating interface {}.Status"#
    );
    assert!(exec_err("{{.Names.First}}", &d)
        .contains("can't evaluate field First in type []interface {}"));
}

#[test]
fn printing_values_like_go() {
    let d = json!({
        "s": "str", "i": 42, "neg": -7, "f": 1.5, "big": 1e21, "hundred": 100.0,
        "million": 1000000.0, "t": true, "n": null,
        "arr": ["a", 1, null, [2]], "obj": {"b": 2, "a": "x"}, "empty": {}
    });
    assert_eq!(run("{{.s}}|{{.i}}|{{.neg}}|{{.f}}", &d), "str|42|-7|1.5");
    assert_eq!(
        run("{{.big}}|{{.hundred}}|{{.million}}", &d),
        "1e+21|100|1e+06"
    );
    assert_eq!(run("{{.t}}|{{.n}}", &d), "true|<nil>");
    assert_eq!(run("{{.arr}}", &d), "[a 1 <nil> [2]]");
    assert_eq!(run("{{.obj}}|{{.empty}}", &d), "map[a:x b:2]|map[]");
    assert_eq!(
        run("{{1.0}} {{3}} {{-2.5}} {{0x10}} {{'a'}} {{1e3}}", &d),
        "1 3 -2.5 16 97 1000"
    );
    assert_eq!(run(r#"{{"a\tb"}}|{{`raw\t`}}"#, &d), "a\tb|raw\\t");
}

#[test]
fn json_function() {
    let d = container();
    assert_eq!(run("{{json .Names}}", &d), r#"["web","frontend"]"#);
    assert_eq!(
        run("{{json .Labels}}", &d),
        r#"{"a.b":"1","com.example":"x<y>&z"}"#
    );
    assert_eq!(run("{{json .Health}}|{{json .Nope}}", &d), "null|null");
    assert_eq!(
        run("{{json .State}}|{{json .Size}}", &d),
        r#""running"|1234"#
    );
    let small = json!({"b": 1, "a": [true, 2.5], "c": "q\"uote"});
    assert_eq!(
        run("{{json .}}", &small),
        r#"{"b":1,"a":[true,2.5],"c":"q\"uote"}"#
    );
}

#[test]
fn range_with_println() {
    let d = container();
    assert_eq!(
        run("{{range .Config.Env}}{{println .}}{{end}}", &d),
        "PATH=/bin\nHOME=/root\n"
    );
    assert_eq!(
        run("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}", &d),
        "0=PATH=/bin;1=HOME=/root;"
    );
    assert_eq!(
        run("{{range $e := .Names}}[{{$e}}]{{end}}", &d),
        "[web][frontend]"
    );
    assert_eq!(run("{{range .Mounts}}m{{else}}none{{end}}", &d), "none");
    assert_eq!(run("{{range .Config.Cmd}}c{{else}}nil{{end}}", &d), "nil");
    assert_eq!(
        run("{{range .Missing}}c{{else}}missing{{end}}", &d),
        "missing"
    );
}

#[test]
fn range_over_objects_sorted_and_ints() {
    let d = json!({"m": {"zeta": 1, "alpha": 2, "mid": 3}});
    assert_eq!(
        run("{{range $k, $v := .m}}{{$k}}={{$v}} {{end}}", &d),
        "alpha=2 mid=3 zeta=1 "
    );
    assert_eq!(run("{{range .m}}{{.}}{{end}}", &d), "231");
    assert_eq!(run("{{range 3}}{{.}}{{end}}", &d), "012");
    assert_eq!(run("{{range $i := 2}}<{{$i}}>{{end}}", &d), "<0><1>");
    assert!(exec_err("{{range \"abc\"}}{{end}}", &d).contains("range can't iterate over abc"));
}

#[test]
fn break_and_continue() {
    let d = json!({"n": [1, 2, 3, 4, 5]});
    assert_eq!(
        run(
            "{{range .n}}{{if eq . 2}}{{continue}}{{end}}{{if gt . 3}}{{break}}{{end}}{{.}}{{end}}",
            &d
        ),
        "13"
    );
    assert_eq!(
        run(
            "{{range $x := .n}}{{range $.n}}{{if eq . $x}}{{break}}{{end}}{{.}}{{end}};{{end}}",
            &d
        ),
        ";1;12;123;1234;"
    );
}

#[test]
fn index_function() {
    let d = container();
    assert_eq!(run(r#"{{index .Labels "a.b"}}"#, &d), "1");
    // Missing label of a string map: "" (Docker's map[string]string).
    assert_eq!(run(r#"[{{index .Labels "nope"}}]"#, &d), "[]");
    assert_eq!(run("{{index .Names 1}}", &d), "frontend");
    let nested = json!({"m": {"k": [10, 20, {"x": "deep"}]}, "mixed": {"n": 1}});
    assert_eq!(run(r#"{{index .m "k" 2 "x"}}"#, &nested), "deep");
    assert_eq!(run(r#"{{index .mixed "nope"}}"#, &nested), "<no value>");
    assert_eq!(run(r#"{{index "abc" 1}}"#, &nested), "98");
    assert_eq!(
        exec_err("{{index .Names 5}}", &d),
        r#"template: :1:2: executing "" at <index .Names 5>: error calling index: index out of range: 5"#
    );
    assert_eq!(run(r#"[{{index .Health "x"}}]"#, &d), "[]");
}

#[test]
fn if_eq_else() {
    let d = container();
    assert_eq!(
        run(r#"{{if eq .State "running"}}yes{{else}}no{{end}}"#, &d),
        "yes"
    );
    assert_eq!(
        run(r#"{{if eq .State "exited"}}yes{{else}}no{{end}}"#, &d),
        "no"
    );
    assert_eq!(
        run(r#"{{if eq .State "exited" "running"}}any{{end}}"#, &d),
        "any"
    );
    assert_eq!(
        run(
            r#"{{if eq .State "a"}}A{{else if eq .State "running"}}R{{else}}?{{end}}"#,
            &d
        ),
        "R"
    );
    assert_eq!(
        run(r#"{{if ne .Size 1234}}x{{else}}same{{end}}"#, &d),
        "same"
    );
    assert_eq!(
        run(
            r#"{{if eq .Nope nil}}nil{{end}}{{if eq .Health nil}}!{{end}}"#,
            &d
        ),
        "nil!"
    );
    assert!(exec_err(r#"{{eq .State 1}}"#, &d)
        .contains("error calling eq: incompatible types for comparison"));
    assert_eq!(
        run(
            "{{eq 1 1.0}} {{lt 1 2}} {{le 2 2}} {{gt 3 2.5}} {{ge \"a\" \"b\"}}",
            &d
        ),
        "true true true true false"
    );
}

#[test]
fn with_else_with() {
    let d = json!({"a": "", "b": "B"});
    assert_eq!(
        run("{{with .a}}A{{else with .b}}{{.}}{{else}}none{{end}}", &d),
        "B"
    );
    assert_eq!(run("{{with .zz}}x{{else}}none{{end}}", &d), "none");
}

#[test]
fn truthiness() {
    let d =
        json!({"f": false, "z": 0, "zf": 0.0, "e": "", "n": null, "ea": [], "eo": {}, "t": [0]});
    for k in ["f", "z", "zf", "e", "n", "ea", "eo", "missing"] {
        assert_eq!(
            run(&format!("{{{{if .{k}}}}}T{{{{else}}}}F{{{{end}}}}"), &d),
            "F",
            "{k}"
        );
    }
    assert_eq!(run("{{if .t}}T{{end}}", &d), "T");
    assert_eq!(run("{{not .f}} {{not .t}}", &d), "true false");
}

#[test]
fn and_or_short_circuit() {
    let d = json!({"s": "set", "e": ""});
    assert_eq!(run(r#"{{or .e .missing "default"}}"#, &d), "default");
    assert_eq!(run(r#"{{or .s "default"}}"#, &d), "set");
    assert_eq!(run("{{and .s .e}}|{{and .s 1}}", &d), "|1");
    // Short-circuit: the erroring index is never evaluated.
    assert_eq!(run("{{or .s (index .s 99)}}", &d), "set");
    assert_eq!(run("{{and .e (index .s 99)}}", &d), "");
    assert_eq!(run(r#"{{"x" | or .e}}"#, &d), "x");
}

#[test]
fn variables_assign_and_scope() {
    let d = json!({"items": ["a", "b"]});
    assert_eq!(run(r#"{{$x := "1"}}{{$x = "2"}}{{$x}}"#, &d), "2");
    assert_eq!(
        run(
            r#"{{$last := ""}}{{range .items}}{{$last = .}}{{end}}{{$last}}"#,
            &d
        ),
        "b"
    );
    assert_eq!(run("{{if $v := .items}}{{len $v}}{{end}}", &d), "2");
    assert!(matches!(
        parse_err("{{if true}}{{$v := 1}}{{end}}{{$v}}"),
        Error::Parse { .. }
    ));
}

#[test]
fn trim_markers() {
    let d = json!({"X": "x"});
    assert_eq!(run("a  {{- .X -}}  b", &d), "axb");
    assert_eq!(run("a  {{- .X}}  b", &d), "ax  b");
    assert_eq!(run("a  {{.X -}}\n\t b", &d), "a  xb");
    assert_eq!(run("{{- /* comment */ -}}\n  a", &d), "a");
    assert_eq!(run("1 {{/* comment */}} 2", &d), "1  2");
    assert_eq!(run("{{-3}}", &d), "-3");
    assert_eq!(
        run(
            "{{range .L -}}\n  {{.}}\n{{- end}}",
            &json!({"L": ["p", "q"]})
        ),
        "pq"
    );
}

#[test]
fn printf_and_pipelines() {
    let d = json!({"Size": "4.26MB", "Name": "web", "N": 7, "F": 1.23456});
    assert_eq!(run(r#"{{.Size | printf "%10s"}}|"#, &d), "    4.26MB|");
    assert_eq!(run(r#"{{printf "%-10s|" .Name}}"#, &d), "web       |");
    assert_eq!(
        run(
            r#"{{printf "%5.2f|%d|%03d|%x|%q|%t|%v%%" .F .N .N .N .Name true .N}}"#,
            &d
        ),
        " 1.23|7|007|7|\"web\"|true|7%"
    );
    assert_eq!(run(r#"{{printf "%s" .Missing}}"#, &d), "%!s(<nil>)");
    assert_eq!(run(r#"{{printf "%d %d" 1}}"#, &d), "1 %!d(MISSING)");
    assert_eq!(run(r#"{{.Name | printf "%s-%s" "a"}}"#, &d), "a-web");
    assert_eq!(
        run(r#"{{print "a" 1 2 "b"}}|{{print .Missing}}"#, &d),
        "a1 2b|<nil>"
    );
    assert_eq!(run(r#"{{println "a" 1}}"#, &d), "a 1\n");
    assert_eq!(run(r#"{{.Name | len | printf "%d chars"}}"#, &d), "3 chars");
    assert_eq!(run(r#"{{(printf "%s!" .Name) | upper}}"#, &d), "WEB!");
}

#[test]
fn docker_functions() {
    let d = container();
    assert_eq!(run(r#"{{join .Names ","}}"#, &d), "web,frontend");
    assert_eq!(run(r#"{{join .Config.Cmd ","}}|"#, &d), "|");
    assert_eq!(run(r#"{{split "a:b:c" ":"}}"#, &d), "[a b c]");
    assert_eq!(run(r#"{{index (split .Config.Image "u") 0}}"#, &d), "b");
    assert_eq!(run(r#"{{split "ab" ""}}"#, &d), "[a b]");
    assert_eq!(
        run(r#"{{title "hello wide-world foo_bar"}}"#, &d),
        "Hello Wide-World Foo_bar"
    );
    assert_eq!(
        run(r#"{{lower "ÀBC"}} {{upper "straße"}}"#, &d),
        "àbc STRAßE"
    );
    assert_eq!(run(r#"[{{pad "x" 2 1}}][{{pad "" 2 1}}]"#, &d), "[  x ][]");
    assert_eq!(
        run(
            "{{truncate .ID 12}}|{{truncate \"ab\" 5}}|{{truncate \"日本語\" 2}}",
            &d
        ),
        "abcdef123456|ab|日本"
    );
    assert!(exec_err(r#"{{join .State ","}}"#, &d)
        .contains("wrong type for value; expected []string; got string"));
    assert!(exec_err(r#"{{upper .Size}}"#, &d)
        .contains("wrong type for value; expected string; got int"));
}

#[test]
fn builtin_misc() {
    let d = json!({"s": "hello", "a": [1, 2, 3, 4], "m": {"x": 1}});
    assert_eq!(
        run("{{len .s}} {{len .a}} {{len .m}} {{len \"é\"}}", &d),
        "5 4 1 2"
    );
    assert_eq!(
        run(
            "{{slice .s 1 3}} {{slice .a 1}} {{slice .a}} {{slice .a 1 2 3}}",
            &d
        ),
        "el [2 3 4] [1 2 3 4] [2]"
    );
    assert_eq!(
        run(r#"{{html "<a href='x'>&</a>"}}"#, &d),
        "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(run(r#"{{js "it's <b>"}}"#, &d), r"it\'s \u003Cb\u003E");
    assert_eq!(
        run(r#"{{urlquery "a b&c=d/é"}}"#, &d),
        "a+b%26c%3Dd%2F%C3%A9"
    );
    assert!(exec_err("{{len 3}}", &d).contains("error calling len: len of type int"));
    assert!(exec_err("{{not}}", &d).contains("wrong number of args for not: want 1 got 0"));
}

#[test]
fn label_accessor_emulation() {
    let d = json!({"Label": {"com.example": "v"}, "Name": "n"});
    assert_eq!(
        run(r#"{{.Label "com.example"}}|{{.Label "nope"}}|"#, &d),
        "v||"
    );
    assert!(exec_err(r#"{{.Name "x"}}"#, &d).contains("Name is not a method but has arguments"));
}

#[test]
fn define_template_block() {
    let d = json!({"A": "a", "B": {"C": "c"}});
    assert_eq!(
        run(
            r#"{{define "x"}}[{{.}}]{{end}}{{template "x" .A}}{{template "x" .B.C}}"#,
            &d
        ),
        "[a][c]"
    );
    assert_eq!(run(r#"{{block "b" .A}}<{{.}}>{{end}}!"#, &d), "<a>!");
    assert!(exec_err(r#"{{template "nope"}}"#, &d).contains(r#"template "nope" not defined"#));
    assert!(exec_err(
        r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#,
        &d
    )
    .contains("exceeded maximum template depth"));
}

#[test]
fn parse_errors() {
    let e = parse_err("{{.Foo");
    assert_eq!(e.to_string(), "template: :1: unclosed action");
    assert_eq!(
        parse_err("a{{end}}").to_string(),
        "template: :1: unexpected {{end}}"
    );
    assert_eq!(
        parse_err("{{else}}").to_string(),
        "template: :1: unexpected {{else}}"
    );
    let e = parse_err("x\n{{foo .}}");
    assert_eq!(e.to_string(), r#"template: :2: function "foo" not defined"#);
    assert!(matches!(
        e,
        Error::Parse {
            line: 2,
            col: 2,
            ..
        }
    ));
    assert_eq!(
        parse_err("{{if .A}}x").to_string(),
        "template: :1: unexpected EOF"
    );
    assert_eq!(
        parse_err("{{$x}}").to_string(),
        r#"template: :1: undefined variable "$x""#
    );
    assert_eq!(
        parse_err("{{}}").to_string(),
        "template: :1: missing value for command"
    );
    assert_eq!(
        parse_err("{{if}}{{end}}").to_string(),
        "template: :1: missing value for if"
    );
    assert_eq!(
        parse_err("{{break}}").to_string(),
        "template: :1: {{break}} outside {{range}}"
    );
    assert_eq!(
        parse_err("{{/* x").to_string(),
        "template: :1: unclosed comment"
    );
    assert_eq!(
        parse_err(r#"{{"abc}}"#).to_string(),
        "template: :1: unterminated quoted string"
    );
    assert_eq!(
        parse_err("{{(.A}}").to_string(),
        "template: :1: unclosed left paren"
    );
    assert_eq!(
        parse_err("{{.A | 3}}").to_string(),
        "template: :1: non executable command in pipeline stage 2"
    );
    assert_eq!(
        parse_err("{{.A )}}").to_string(),
        "template: :1: unexpected right paren"
    );
    assert_eq!(
        parse_err("{{range .A}}{{else}}{{else}}{{end}}").to_string(),
        "template: :1: expected end; found {{else}}"
    );
    assert_eq!(
        parse_err("{{3.x}}").to_string(),
        r#"template: :1: bad number syntax: "3.x""#
    );
    assert_eq!(
        parse_err("{{.A , }}").to_string(),
        r#"template: :1: unexpected "," in operand"#
    );
}

#[test]
fn exec_error_shapes() {
    let d = json!({"A": 1});
    assert_eq!(
        exec_err("{{nil}}", &d),
        r#"template: :1:2: executing "" at <nil>: nil is not a command"#
    );
    assert_eq!(
        exec_err("{{.A 1}}", &d),
        r#"template: :1:2: executing "" at <.A>: A is not a method but has arguments"#
    );
    assert_eq!(
        exec_err("{{1 | .A}}", &d),
        r#"template: :1:6: executing "" at <.A>: A is not a method but has arguments"#
    );
}

// --- Docker formatter -------------------------------------------------------

fn image_headers() -> Value {
    json!({"Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "CreatedSince": "CREATED", "Size": "SIZE"})
}

fn images() -> Vec<Value> {
    vec![
        json!({"Repository": "busybox", "Tag": "latest", "ID": "abcdef123456", "CreatedSince": "2 hours ago", "Size": "4.26MB"}),
        json!({"Repository": "docker.io/library/alpine", "Tag": "3.20", "ID": "0123456789ab", "CreatedSince": "3 weeks ago", "Size": "7.8MB"}),
    ]
}

#[test]
fn table_with_header() {
    let out = format_rows(
        r"table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
        &images()[..1],
        &image_headers(),
    )
    .unwrap();
    assert_eq!(
        out,
        "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    abcdef123456   2 hours ago   4.26MB\n"
    );
    let out = format_rows(
        r"table {{.Repository}}\t{{.Tag}}\t{{.Size}}",
        &images(),
        &image_headers(),
    )
    .unwrap();
    assert_eq!(
        out,
        "REPOSITORY                 TAG       SIZE\n\
         busybox                    latest    4.26MB\n\
         docker.io/library/alpine   3.20      7.8MB\n"
    );
}

#[test]
fn table_header_only_when_no_rows() {
    let out = format_rows(r"table {{.ID}}\t{{.Size}}", &[], &image_headers()).unwrap();
    assert_eq!(out, "IMAGE ID   SIZE\n");
}

#[test]
fn table_header_functions_and_fallback() {
    let rows = vec![json!({"ID": "abcdef1234567890", "Names": ["a", "b"], "State": "up"})];
    let headers = json!({"ID": "CONTAINER ID", "Names": "NAMES"});
    let out = format_rows(
        r#"table {{truncate .ID 6}}\t{{join .Names ","}}\t{{upper .State}}\t{{.Mystery.Field}}"#,
        &rows,
        &headers,
    )
    .unwrap();
    assert_eq!(
        out,
        "CONTAINER ID   NAMES     STATE     FIELD\nabcdef         a,b       UP        <no value>\n"
    );
    // pad still applies in the header (Docker does not override it).
    let out = format_rows(r"table {{pad .ID 1 1}}|", &rows, &headers).unwrap();
    assert_eq!(out, " CONTAINER ID |\n abcdef1234567890 |\n");
    // A header execution error is ignored: partial header, as Docker does.
    let out = format_rows(r"table {{.ID}}\t{{json .}}", &rows, &headers).unwrap();
    assert_eq!(out.lines().next(), Some("CONTAINER ID       "), "{out:?}");
}

#[test]
fn non_table_formats() {
    let out = format_rows("{{.Repository}}:{{.Tag}}", &images(), &image_headers()).unwrap();
    assert_eq!(out, "busybox:latest\ndocker.io/library/alpine:3.20\n");
    let out = format_rows(r"{{.Repository}}\t{{.Tag}}", &images()[..1], &Value::Null).unwrap();
    assert_eq!(out, "busybox\tlatest\n");
    let out = format_rows("json", &images()[..1], &Value::Null).unwrap();
    assert_eq!(
        out,
        "{\"Repository\":\"busybox\",\"Tag\":\"latest\",\"ID\":\"abcdef123456\",\"CreatedSince\":\"2 hours ago\",\"Size\":\"4.26MB\"}\n"
    );
    assert_eq!(format_rows("{{.ID}}", &[], &Value::Null).unwrap(), "");
}

#[test]
fn formatter_errors() {
    let e = format_rows("{{.ID", &images(), &Value::Null).unwrap_err();
    assert_eq!(e.to_string(), "template: :1: unclosed action");
    let e = format_rows("{{.ID.X}}", &images(), &Value::Null).unwrap_err();
    assert!(matches!(e, Error::Exec { .. }));
}

#[test]
fn prepare_format_like_docker() {
    assert_eq!(
        prepare_format(r"table {{.ID}}\t{{.Name}}"),
        (true, "{{.ID}}\t{{.Name}}".to_string())
    );
    assert_eq!(
        prepare_format(r"  {{.ID}}\n "),
        (false, "{{.ID}}\n".to_string())
    );
    assert_eq!(prepare_format("json"), (false, "{{json .}}".to_string()));
    assert_eq!(prepare_format(r"a\\tb\x"), (false, "a\\\tb\\x".to_string()));
    assert_eq!(prepare_format("tablefoo"), (true, "foo".to_string()));
    assert!(!prepare_format(" table {{.ID}}").0);
}
