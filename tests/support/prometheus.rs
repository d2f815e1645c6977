//! A strict reader of the Prometheus text exposition format for the tests
//! that scrape `/metrics` (web and weekly): parses every line, asserts the
//! format's rules, and looks up samples by name and labels.

use std::collections::BTreeMap;

/// One sample of the Prometheus text format: name, labels, value.
pub type Sample = (String, BTreeMap<String, String>, f64);

/// A strict parser for the text exposition format 0.0.4: every line is a
/// `# HELP`/`# TYPE` comment or a sample; every sample's family has a TYPE
/// line before it; names and labels are well-formed; values are numbers.
pub fn parse_prometheus(text: &str) -> Vec<Sample> {
    fn valid_name(name: &str) -> bool {
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    assert!(text.ends_with('\n'), "must end with a newline");
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let keyword = parts.next().unwrap();
            let name = parts.next().expect("comment names a metric");
            let value = parts.next().expect("comment has text");
            assert!(valid_name(name), "bad name in {line:?}");
            match keyword {
                "HELP" => assert!(!value.is_empty()),
                "TYPE" => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&value),
                        "{line:?}"
                    );
                    assert!(
                        typed.insert(name.to_string(), value.to_string()).is_none(),
                        "TYPE twice: {line:?}"
                    );
                }
                _ => panic!("unknown comment {line:?}"),
            }
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.trim().is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels close");
                let mut labels = BTreeMap::new();
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (key, raw) = pair.split_once("=\"").expect("label is key=\"value\"");
                    assert!(valid_name(key), "bad label name in {line:?}");
                    labels.insert(
                        key.to_string(),
                        raw.trim_end_matches('"')
                            .replace("\\\"", "\"")
                            .replace("\\\\", "\\"),
                    );
                }
                (name.to_string(), labels)
            }
        };
        assert!(valid_name(&name), "bad metric name in {line:?}");
        let kind = typed
            .get(&name)
            .unwrap_or_else(|| panic!("no TYPE before {line:?}"));
        if kind == "counter" {
            assert!(
                name.ends_with("_total"),
                "counter {name} should end in _total"
            );
        }
        samples.push((name, labels, value));
    }
    samples
}

/// The value of the sample `name` with exactly these labels, if present.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|(n, l, _)| n == name && *l == want)
        .map(|(_, _, v)| *v)
}
