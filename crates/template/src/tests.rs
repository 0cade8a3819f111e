use super::*;
use serde_json::json;

fn run(t: &str, data: &Value) -> String {
    Template::parse(t).unwrap_or_else(|e| panic!("{t}: {e}")).execute(data).unwrap_or_else(|e| panic!("{t}: {e}"))
}

#[test]
fn fields_variables_and_missing_keys() {
    let d = json!({"Name": "web", "Config": {"Env": ["A=1", "B=2"], "Labels": {"a.b": "c"}}, "Size": 1024, "Ratio": 1.5, "Nil": null});
    assert_eq!(run("{{.Name}}", &d), "web");
    assert_eq!(run("{{.Config.Env}}", &d), "[A=1 B=2]");
    assert_eq!(run("{{.Config.Labels}}", &d), "map[a.b:c]");
    assert_eq!(run("{{.Missing}}", &d), "<no value>");
    assert_eq!(run("{{.Nil}}", &d), "<nil>");
    assert_eq!(run("{{.Size}} {{.Ratio}}", &d), "1024 1.5");
    assert_eq!(run("{{$n := .Name}}{{$n}}-{{$.Name}}", &d), "web-web");
    assert_eq!(run("{{with .Config}}{{index .Labels \"a.b\"}}{{end}}", &d), "c");
    assert!(Template::parse("{{.Name.Sub}}").unwrap().execute(&d).is_err(), "field of a string");
}

#[test]
fn control_flow() {
    let d = json!({"State": "running", "Ports": [], "Env": ["A=1", "B=2"], "M": {"b": 2, "a": 1}});
    assert_eq!(run("{{if eq .State \"running\"}}yes{{else}}no{{end}}", &d), "yes");
    assert_eq!(run("{{if eq .State \"x\"}}1{{else if eq .State \"running\" \"y\"}}2{{else}}3{{end}}", &d), "2");
    assert_eq!(run("{{range .Env}}{{println .}}{{end}}", &d), "A=1\nB=2\n");
    assert_eq!(run("{{range $i, $e := .Env}}{{$i}}={{$e}};{{end}}", &d), "0=A=1;1=B=2;");
    assert_eq!(run("{{range $k, $v := .M}}{{$k}}{{$v}} {{end}}", &d), "a1 b2 ");
    assert_eq!(run("{{range .Ports}}x{{else}}none{{end}}", &d), "none");
    assert_eq!(run("{{range .Env}}{{if eq . \"B=2\"}}{{break}}{{end}}{{.}}{{end}}", &d), "A=1");
    assert_eq!(run("{{with .Nope}}x{{else}}empty{{end}}", &d), "empty");
    assert_eq!(run("a  {{- .State -}}  b", &d), "arunningb");
    assert_eq!(run("{{/* a comment */}}x", &d), "x");
}

#[test]
fn functions() {
    let d = json!({"Tags": ["a:1", "b:2"], "Name": "Hello World", "Size": "12MB", "N": 3});
    assert_eq!(run("{{join .Tags \",\"}}", &d), "a:1,b:2");
    assert_eq!(run("{{json .Tags}}", &d), r#"["a:1","b:2"]"#);
    assert_eq!(run("{{json .}}", &json!({"a": "<b>"})), r#"{"a":"\u003cb\u003e"}"#);
    assert_eq!(run("{{upper .Name}} {{lower .Name}} {{title \"foo bar\"}}", &d), "HELLO WORLD hello world Foo Bar");
    assert_eq!(run("{{index (split .Name \" \") 1}}", &d), "World");
    assert_eq!(run("{{truncate .Name 5}}|{{pad .Size 1 2}}|", &d), "Hello| 12MB  |");
    assert_eq!(run("{{printf \"%-6s|%5d|%.2f\" .Size .N 1.5}}", &d), "12MB  |    3|1.50");
    assert_eq!(run("{{.Size | printf \"%8s\"}}", &d), "    12MB");
    assert_eq!(run("{{len .Tags}} {{not true}} {{and 1 0}} {{or 0 \"x\"}}", &d), "2 false 0 x");
    assert_eq!(run("{{if and (gt .N 2) (lt .N 4)}}in{{end}}", &d), "in");
    assert_eq!(run("{{slice .Name 0 5}}", &d), "Hello");
}

#[test]
fn parse_errors_name_the_problem() {
    for (t, want) in [
        ("{{.Name", "unclosed action"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{if .A}}x", "unexpected EOF"),
        ("{{nosuch .A}}", "function \"nosuch\" not defined"),
        ("{{\"abc}}", "unterminated"),
    ] {
        let e = Template::parse(t).unwrap_err();
        assert!(e.0.contains(want), "{t}: {e}");
    }
}

#[test]
fn tabwriter_matches_docker_output() {
    let mut tw = TabWriter::docker();
    tw.write("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\tabcdef123456\t2 hours ago\t4.26MB\n");
    assert_eq!(
        tw.flush(),
        "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nbusybox      latest    abcdef123456   2 hours ago   4.26MB\n"
    );
}

#[test]
fn format_rows_table_and_plain() {
    let rows = vec![json!({"ID": "abc", "Name": "x"}), json!({"ID": "defghi", "Name": "yy"})];
    let headers = json!({"ID": "CONTAINER ID", "Name": "NAMES"});
    assert_eq!(
        format_rows("table {{.ID}}\\t{{.Name}}", &rows, &headers).unwrap(),
        "CONTAINER ID   NAMES\nabc            x\ndefghi         yy\n"
    );
    assert_eq!(format_rows("{{.ID}}:{{.Name}}", &rows, &headers).unwrap(), "abc:x\ndefghi:yy\n");
    assert_eq!(format_rows("table {{.ID}}", &[], &headers).unwrap(), "CONTAINER ID\n");
}
