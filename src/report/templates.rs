//! The report templates: `report-templates/*.typ.j2`, compiled into the binary, or a folder
//! given with `--templates` that overrides them file by file. minijinja renders each one to a
//! typst file; every value it prints becomes an escaped typst string literal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::{Error, Location};

/// The built-in templates, by file name. `report.typ.j2` is the main file.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "report.typ.j2",
        include_str!("../../report-templates/report.typ.j2"),
    ),
    (
        "common.typ.j2",
        include_str!("../../report-templates/common.typ.j2"),
    ),
    (
        "summary.typ.j2",
        include_str!("../../report-templates/summary.typ.j2"),
    ),
    (
        "population.typ.j2",
        include_str!("../../report-templates/population.typ.j2"),
    ),
    (
        "policy.typ.j2",
        include_str!("../../report-templates/policy.typ.j2"),
    ),
    (
        "response.typ.j2",
        include_str!("../../report-templates/response.typ.j2"),
    ),
    (
        "trends.typ.j2",
        include_str!("../../report-templates/trends.typ.j2"),
    ),
    (
        "postmortems.typ.j2",
        include_str!("../../report-templates/postmortems.typ.j2"),
    ),
    (
        "oncall.typ.j2",
        include_str!("../../report-templates/oncall.typ.j2"),
    ),
    (
        "exceptions.typ.j2",
        include_str!("../../report-templates/exceptions.typ.j2"),
    ),
    (
        "register.typ.j2",
        include_str!("../../report-templates/register.typ.j2"),
    ),
    (
        "security.typ.j2",
        include_str!("../../report-templates/security.typ.j2"),
    ),
    (
        "appendices.typ.j2",
        include_str!("../../report-templates/appendices.typ.j2"),
    ),
    (
        "provenance.typ.j2",
        include_str!("../../report-templates/provenance.typ.j2"),
    ),
];

/// The main template.
pub(crate) const MAIN: &str = "report.typ.j2";

/// A typst string literal holding `text` exactly: markup characters are inert inside it.
pub(crate) fn typst_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Files served to typst by virtual path (`/logo.png`), with their bytes.
pub(crate) type Assets = Vec<(String, Vec<u8>)>;

/// The template set in use: the built-ins, with files of `--templates DIR` replacing them.
#[derive(Debug, Clone)]
pub(crate) struct Templates {
    files: BTreeMap<String, String>,
    /// Where each template came from, for error messages.
    origin: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// The built-in templates.
    pub(crate) fn builtin() -> Self {
        let files = TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let origin = TEMPLATES
            .iter()
            .map(|(n, _)| (n.to_string(), Path::new("report-templates").join(n)))
            .collect();
        Self { files, origin }
    }

    /// The built-ins overridden by the `*.typ.j2` files among `files` (a `--templates`
    /// folder's files, path and bytes, read by the command); the other files (a logo) are
    /// returned as assets served to typst by name.
    pub(crate) fn with_overrides(files: Vec<(PathBuf, Vec<u8>)>) -> Result<(Self, Assets), Error> {
        let mut t = Self::builtin();
        let mut assets = Vec::new();
        for (path, bytes) in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".typ.j2") {
                let text = String::from_utf8(bytes).map_err(|_| Error::TemplateInvalid {
                    location: Location::file(&path),
                    reason: "not UTF-8 text".to_string(),
                })?;
                t.files.insert(name.clone(), text);
                t.origin.insert(name, path);
            } else {
                assets.push((format!("/{name}"), bytes));
            }
        }
        Ok((t, assets))
    }

    fn origin(&self, name: &str) -> PathBuf {
        self.origin
            .get(name)
            .cloned()
            .unwrap_or_else(|| PathBuf::from(name))
    }

    /// Renders every template with `context`: (virtual typst path, source), main first.
    pub(crate) fn render(&self, context: &Value) -> Result<Vec<(String, String)>, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|_| AutoEscape::Custom("typst"));
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == AutoEscape::None || value.is_safe() {
                return minijinja::escape_formatter(out, state, value);
            }
            let text = if value.is_none() || value.is_undefined() {
                String::new()
            } else {
                value.to_string()
            };
            out.write_str(&typst_string(&text)).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        });
        for (name, text) in &self.files {
            env.add_template_owned(name.clone(), text.clone())
                .map_err(|e| self.template_error(name, &e))?;
        }
        let mut names: Vec<&String> = self.files.keys().collect();
        names.sort_by_key(|n| (n.as_str() != MAIN, n.as_str()));
        let mut out = Vec::new();
        for name in names {
            let template = env
                .get_template(name)
                .map_err(|e| self.template_error(name, &e))?;
            let text = template
                .render(context)
                .map_err(|e| self.template_error(e.name().unwrap_or(name), &e))?;
            out.push((format!("/{}", name.trim_end_matches(".j2")), text));
        }
        Ok(out)
    }

    fn template_error(&self, name: &str, e: &minijinja::Error) -> Error {
        Error::TemplateInvalid {
            location: Location::new(self.origin(name), e.line().unwrap_or(0) as u64, 0),
            reason: e
                .detail()
                .map_or_else(|| e.kind().to_string(), str::to_string),
        }
    }

    /// The template a rendered typst path came from (`/summary.typ` → its origin).
    pub(crate) fn origin_of_rendered(&self, typst_path: &str) -> PathBuf {
        let name = format!("{}.j2", typst_path.trim_start_matches('/'));
        self.origin(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_inert_string_literals() {
        let nasty = "#panic(\"x\") [*b*] $x$ <l> @r \\ \"q\" _u_ `c`\nline";
        assert_eq!(
            typst_string(nasty),
            "\"#panic(\\\"x\\\") [*b*] $x$ <l> @r \\\\ \\\"q\\\" _u_ `c`\\nline\""
        );
        let t = Templates {
            files: [(MAIN.to_string(), "#{{ v }}".to_string())].into(),
            origin: BTreeMap::new(),
        };
        let out = t.render(&minijinja::context! { v => nasty }).unwrap();
        assert_eq!(out[0].1, format!("#{}", typst_string(nasty)));
    }

    #[test]
    fn template_errors_name_file_and_line() {
        let t = Templates {
            files: [(MAIN.to_string(), "ok\n{{ missing }}\n".to_string())].into(),
            origin: [(MAIN.to_string(), PathBuf::from("mine/report.typ.j2"))].into(),
        };
        let err = t.render(&minijinja::context! {}).unwrap_err().to_string();
        assert!(err.starts_with("mine/report.typ.j2:2: "), "{err}");
        let t = Templates {
            files: [(MAIN.to_string(), "{% if %}".to_string())].into(),
            origin: [(MAIN.to_string(), PathBuf::from("mine/report.typ.j2"))].into(),
        };
        let err = t.render(&minijinja::context! {}).unwrap_err().to_string();
        assert!(err.starts_with("mine/report.typ.j2:1: "), "{err}");
    }
}
