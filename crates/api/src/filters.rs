//! The `filters` query parameter: `{"key": ["v1", "v2"]}` or the older `{"key": {"v1": true}}`.

use std::collections::BTreeMap;

/// Parsed filters: each key with its values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters(pub BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parses the JSON form; an empty string is no filters.
    pub fn parse(s: &str) -> Result<Filters, String> {
        if s.trim().is_empty() {
            return Ok(Filters::default());
        }
        let v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("invalid filters {s:?}: {e}"))?;
        let obj = v.as_object().ok_or_else(|| format!("invalid filters {s:?}: not an object"))?;
        let mut out = BTreeMap::new();
        for (k, v) in obj {
            let vals: Vec<String> = match v {
                serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string).ok_or_else(|| format!("invalid filter value for {k:?}"))).collect::<Result<_, _>>()?,
                serde_json::Value::Object(m) => m.iter().filter(|(_, b)| b.as_bool() == Some(true)).map(|(k, _)| k.clone()).collect(),
                _ => return Err(format!("invalid filter value for {k:?}")),
            };
            out.insert(k.clone(), vals);
        }
        Ok(Filters(out))
    }

    /// Parses `key=value` arguments as the CLI's `--filter` gives them.
    pub fn from_args(args: &[String]) -> Result<Filters, String> {
        let mut f = Filters::default();
        for a in args {
            let (k, v) = a.split_once('=').ok_or_else(|| format!("bad format of filter (expected name=value): {a}"))?;
            f.0.entry(k.trim().to_lowercase()).or_default().push(v.to_string());
        }
        Ok(f)
    }

    /// The JSON form (the newer array one).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("filters serialise")
    }

    /// Values of a key.
    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], |v| v.as_slice())
    }

    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fails naming the first key not in `allowed`, as Docker does.
    pub fn check_keys(&self, allowed: &[&str]) -> Result<(), String> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(format!("invalid filter '{k}'")),
            None => Ok(()),
        }
    }

    /// Docker's `Args.Match` for `key`, its expressions compiled once: with no value for
    /// `key`, everything matches; otherwise a source matches when some value equals it or,
    /// read as a regular expression, matches in it (`name=^web$`, `name=web`, `id=3f4`). A
    /// value that is no valid expression only matches exactly.
    pub fn matcher(&self, key: &str) -> impl Fn(&str) -> bool + '_ {
        let vals = self.get(key);
        let res: Vec<Option<regex::Regex>> = vals.iter().map(|v| regex::Regex::new(v).ok()).collect();
        move |source: &str| vals.is_empty() || vals.iter().zip(&res).any(|(v, re)| v == source || re.as_ref().is_some_and(|re| re.is_match(source)))
    }

    /// Whether `labels` satisfy every `label=` filter (`key` or `key=value`), and none of
    /// the `label!=` ones.
    pub fn match_labels(&self, labels: &BTreeMap<String, String>) -> bool {
        let has = |f: &String| match f.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
            None => labels.contains_key(f.as_str()),
        };
        self.get("label").iter().all(has) && !self.get("label!").iter().any(has)
    }

    /// Reads a boolean filter (`true`/`1`/`false`/`0`), naming a bad value.
    pub fn bool_value(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key).last().map(|s| s.to_lowercase()) {
            None => Ok(None),
            Some(v) if v == "true" || v == "1" => Ok(Some(true)),
            Some(v) if v == "false" || v == "0" => Ok(Some(false)),
            Some(v) => Err(format!("invalid filter '{key}={v}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_json_forms_parse() {
        let a = Filters::parse(r#"{"dangling":["true"],"label":["a=b"]}"#).unwrap();
        let b = Filters::parse(r#"{"dangling":{"true":true},"label":{"a=b":true}}"#).unwrap();
        assert_eq!(a, b);
        assert!(Filters::parse("{").is_err());
        assert_eq!(a.bool_value("dangling"), Ok(Some(true)));
    }

    #[test]
    fn labels_match_key_and_key_value() {
        let f = Filters::from_args(&["label=a".into(), "label=b=2".into()]).unwrap();
        let mut l = BTreeMap::new();
        l.insert("a".to_string(), "x".to_string());
        assert!(!f.match_labels(&l));
        l.insert("b".to_string(), "2".to_string());
        assert!(f.match_labels(&l));
    }

    #[test]
    fn values_match_as_regular_expressions() {
        let f = Filters::from_args(&["name=^web$".into(), "name=db".into()]).unwrap();
        let name = f.matcher("name");
        assert!(name("web") && name("mydb1"));
        assert!(!name("webapp"));
        assert!(f.matcher("id")("anything"), "no value: everything matches");
        let bad = Filters::from_args(&["name=a(".into()]).unwrap();
        assert!(bad.matcher("name")("a(") && !bad.matcher("name")("xa(y"));
    }
}
