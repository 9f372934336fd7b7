//! The PDF report, checked with real tools (qpdf, pdftotext, pdffonts, pdfinfo from Debian).
//! A test whose tool is missing prints that it skipped, unless AUDITPACK_REQUIRE_TOOLS=1.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::{assert_success, auditpack, build, fixture, outcome, tool};

fn run_tool(path: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(path).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The PDF's text with runs of white space folded, so table cells read as one line.
fn pdf_text(pdf: &Path) -> Option<String> {
    let pdftotext = tool("pdftotext")?;
    let out = Command::new(&pdftotext)
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

const AS_OF: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-01-31",
    "--as-of",
    "2026-01-31T00:00:00Z",
];

#[test]
fn report_is_valid_pdf_with_the_figures_of_the_csvs() {
    let (tmp, out) = build(
        &fixture("sla"),
        &[&AS_OF[..], &["--prepared-by", "Jane Roe"]].concat(),
    );
    assert_success(&out);
    let pdf = tmp.path().join("out/evidence-report.pdf");
    assert!(pdf.is_file());
    assert!(String::from_utf8_lossy(&out.stdout).contains("evidence-report.pdf"));
    let p = pdf.to_str().unwrap();
    if let Some(qpdf) = tool("qpdf") {
        let (ok, text) = run_tool(&qpdf, &["--check", p]);
        assert!(ok, "qpdf --check failed: {text}");
    }
    if let Some(pdffonts) = tool("pdffonts") {
        let (ok, text) = run_tool(&pdffonts, &[p]);
        assert!(ok);
        let rows: Vec<&str> = text.lines().skip(2).collect();
        assert!(!rows.is_empty());
        for row in rows {
            // name type [type…] encoding emb sub uni id gen: `emb` is the 4th from the end.
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(cols[cols.len() - 5], "yes", "font not embedded: {row}");
        }
    }
    if let Some(pdfinfo) = tool("pdfinfo") {
        // `-isodates`: the dates as stored (UTC), not in the machine's time zone.
        let (ok, text) = run_tool(&pdfinfo, &["-isodates", p]);
        assert!(ok);
        let pages: u32 = text
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!((6..=30).contains(&pages), "{pages} pages");
        assert!(
            text.contains(
                "Title:           Incident response evidence — SOC 2 CC7.3 — Example Corp"
            ),
            "{text}"
        );
        assert!(text.contains("Author:          Jane Roe"));
        assert!(text.contains("Keywords:        SOC 2, CC7.3"));
        assert!(
            text.contains("CreationDate:    2026-01-31T00:00:00Z"),
            "{text}"
        );
    }
    let Some(text) = pdf_text(&pdf) else { return };
    for needle in [
        "Incident response evidence — SOC 2 CC7.3",
        "Prepared by Jane Roe",
        // The fixture's policy names no approved document: the cover says so.
        "Policy document not stated",
        // Results against targets, from the hand-worked sla fixture.
        "P1 acknowledged within 5m: 2 of 5 (40.00 %) 95 % ✗ NOT MET",
        "P2 acknowledged within 15m: 2 of 2 (100.00 %) 95 % ✓ met",
        "P4 acknowledged by the next business day: 1 of 2 (50.00 %)",
        // The sla_summary table's cells, durations in words: the acknowledgement table
        // (mean 220.3 s = 3 min 40 s, median 300 s, p90 300.8 s and p95 300.9 s round to
        // 5 min 1 s), then the resolution table (6600.2 s = 1 h 50 min; 3600 s; 14400.6 s and
        // 14400.8 s round to 4 h 0 min 1 s, shown to two units: 4 h).
        "P1 5 3 2 2 40.00 3 min 40 s 5 min 5 min 1 s 5 min 1 s",
        "P1 5 4 80.00 1 h 50 min 1 h 4 h 4 h",
        // ALL: mean 63389.0 s = 17 h 36 min; p90 284400 s = 3 d 7 h.
        "ALL 11 9 2 5 55.56 17 h 36 min 5 min 3 d 7 h 3 d 7 h",
        // Exceptions, with the measured time, target and miss; times in the policy's zone.
        "2 P1 checkout 2026-01-05 11:00 +00:00 acknowledged after 5m1s (301 s) 5m missed by 1s (1 s)",
        "3 P1 checkout 2026-01-06 10:00 +00:00 resolved after 200 s without acknowledgement 5m never acknowledged",
        "9 P4 search 2026-01-02 12:00 +00:00 acknowledged after 3d7h (284400 s)",
        "10 unclassified search 2026-01-09 10:00 +00:00 incident `PU00010`",
        // Provenance.
        "incidents.csv analytics-csv 11 11 0 0 UTC",
        "Every row of every export was used.",
    ] {
        // pdftotext drops some spaces inside narrow table cells ("1 h" as "1h"): compared
        // without spaces.
        let squeeze = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert!(
            squeeze(&text).contains(&squeeze(needle)),
            "the PDF text lacks {needle:?}\n{text}"
        );
    }
    // Every exception appears in the exceptions section: by incident number and severity,
    // or (not about one incident) by its first words.
    let exceptions = crate::read_csv(&tmp.path().join("out/derived/exceptions.csv"));
    let section = &text[text.find(". Exceptions Every").unwrap()..];
    for e in exceptions {
        let needle = if e["incident_number"].is_empty() {
            e["detail"].split(' ').take(5).collect::<Vec<_>>().join(" ")
        } else {
            format!(" {} {} ", e["incident_number"], e["severity"])
        };
        assert!(section.contains(&needle), "exception {e:?} missing");
    }
}

#[test]
fn descriptions_print_literally_and_never_run_as_typst() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    fs::create_dir(&input).unwrap();
    let nasty = r#"#panic("x") [*b*] $x$ <l> @r \ "q" _u_ `c`"#;
    let mut w = csv::Writer::from_path(input.join("incidents.csv")).unwrap();
    w.write_record([
        "id",
        "incident_number",
        "description",
        "service_name",
        "created_at",
        "priority_name",
        "seconds_to_first_ack",
        "seconds_to_resolve",
    ])
    .unwrap();
    w.write_record([
        "PX1",
        "1",
        nasty,
        "#set page(width: 1cm)",
        "2026-01-05T10:00:00Z",
        "P1",
        "60",
        "600",
    ])
    .unwrap();
    w.flush().unwrap();
    drop(w);
    let out = auditpack(tmp.path())
        .args([
            "build",
            "--input",
            "in",
            "--out",
            "out",
            "--prepared-by",
            "#panic(\"who\")",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let Some(text) = pdf_text(&tmp.path().join("out/evidence-report.pdf")) else {
        return;
    };
    assert!(text.contains(nasty), "description not literal:\n{text}");
    assert!(text.contains("#set page(width: 1cm)"));
    assert!(text.contains("#panic(\"who\")"));
}

#[test]
fn two_builds_give_the_same_pdf_bytes() {
    let (a, out_a) = build(&fixture("sla"), &AS_OF);
    assert_success(&out_a);
    let (b, out_b) = build(&fixture("sla"), &AS_OF);
    assert_success(&out_b);
    let x = fs::read(a.path().join("out/evidence-report.pdf")).unwrap();
    let y = fs::read(b.path().join("out/evidence-report.pdf")).unwrap();
    if let Some(at) = x
        .iter()
        .zip(&y)
        .position(|(p, q)| p != q)
        .or_else(|| (x.len() != y.len()).then(|| x.len().min(y.len())))
    {
        let around = |v: &[u8]| {
            String::from_utf8_lossy(&v[at.saturating_sub(40)..(at + 40).min(v.len())]).into_owned()
        };
        panic!(
            "the PDFs differ from byte {at} ({} and {} bytes):\n first:  {:?}\n second: {:?}",
            x.len(),
            y.len(),
            around(&x),
            around(&y)
        );
    }
}

#[test]
fn register_limit_points_to_the_csv() {
    let (tmp, out) = build(
        &fixture("sla"),
        &[&AS_OF[..], &["--register-limit", "3"]].concat(),
    );
    assert!(out.status.success());
    let Some(text) = pdf_text(&tmp.path().join("out/evidence-report.pdf")) else {
        return;
    };
    assert!(
        text.contains("The register has 11 incidents; the first 3 are printed here"),
        "{text}"
    );
    assert!(text.contains("derived/incident_register.csv"));
}

fn with_template(name: &str, body: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join(name), body).unwrap();
    let out = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out", "--templates", "tpl"])
        .output()
        .unwrap();
    assert!(!tmp.path().join("out").exists());
    outcome(&out, tmp.path())
}

#[test]
fn bad_templates_name_the_file_and_line() {
    insta::assert_snapshot!(with_template("summary.typ.j2", "= Summary\n\n{% if %}\n"), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: tpl/summary.typ.j2:3: unexpected end of block
    hint: fix the template at that line, or build without `--templates` to use the built-in ones
    ");
    insta::assert_snapshot!(with_template("summary.typ.j2", "#import \"common.typ\": *\n= Summary\n#let broken = (1, 2\n"), @r"
    exit_code: 2
    ----- stdout -----
    ----- stderr -----
    error: tpl/summary.typ.j2:3:15: typst: unclosed delimiter (line and column of the rendered template)
    hint: fix the template at that line, or build without `--templates` to use the built-in ones
    ");
}

#[test]
fn templates_folder_overrides_a_section() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join("summary.typ.j2"),
        "#import \"common.typ\": *\n= Summary\nReviewed by the Acme compliance office for #{{ meta.organization }}.\n",
    )
    .unwrap();
    let out = auditpack(tmp.path())
        .args(["build", "--input"])
        .arg(fixture("sla"))
        .args(["--out", "out", "--templates", "tpl"])
        .output()
        .unwrap();
    assert_success(&out);
    let Some(text) = pdf_text(&tmp.path().join("out/evidence-report.pdf")) else {
        return;
    };
    assert!(text.contains("Reviewed by the Acme compliance office for Example Corp."));
    assert!(text.contains("Policy in force"));
}

#[test]
fn exceptions_in_the_pdf_are_capped_per_kind_and_the_csv_has_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(
        "id,incident_number,created_at,priority_name,seconds_to_first_ack,seconds_to_resolve\n",
    );
    // 1,001 incidents of a priority the policy does not know: 1,001 `unclassified`.
    for n in 1..=1001 {
        csv.push_str(&format!(
            "PC{n:05},{n},2026-01-05T10:{:02}:00,P9,60,600\n",
            n % 60
        ));
    }
    std::fs::write(dir.path().join("incidents.csv"), csv).unwrap();
    let (tmp, out) = crate::build(dir.path(), &["--register-limit", "10"]);
    crate::assert_success(&out);
    let exceptions = crate::read_csv(&tmp.path().join("out/derived/exceptions.csv"));
    assert_eq!(
        exceptions
            .iter()
            .filter(|e| e["kind"] == "unclassified")
            .count(),
        1001
    );
    let Some(pdftotext) = crate::tool("pdftotext") else {
        return;
    };
    let text = std::process::Command::new(pdftotext)
        .args(["out/evidence-report.pdf", "-"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // The 1001 share one cause, so one finding holds them.
    assert!(words.contains("Incidents with no severity"), "{words}");
    assert!(words.contains("(1001)"), "{words}");
    assert!(words.contains("The first 100 of 1001"), "no cap note");
    assert!(words.contains("PC00100"), "the 100th is missing");
    assert!(!words.contains("PC00101"), "the 101st is in the PDF");
}

#[test]
fn every_template_file_is_compiled_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("report-templates");
    let mut on_disk: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".typ.j2"))
        .collect();
    on_disk.sort();
    let mut compiled: Vec<String> = auditpack::report::templates::TEMPLATES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    compiled.sort();
    assert_eq!(on_disk, compiled);
}

#[test]
fn text_no_embedded_font_can_show_is_printed_as_code_points() {
    // A description in Chinese with an emoji: the build used to fail (PDF/A has no glyph
    // for them); now the register prints each such character as `[U+XXXX]`.
    let input = tempfile::tempdir().unwrap();
    fs::write(
        input.path().join("a.json"),
        r#"{"data": [{"id": "PA00001", "incident_number": 1, "description": "数据库 down 🚀", "status": "resolved", "urgency": "high", "priority_name": "P1", "service_name": "db", "created_at": "2026-01-05T10:00:00", "seconds_to_first_ack": 60, "seconds_to_resolve": 600}], "time_zone": "Etc/UTC", "limit": 100, "more": false}"#,
    )
    .unwrap();
    let (tmp, out) = build(input.path(), &AS_OF);
    assert_success(&out);
    // The CSV keeps the text as exported.
    let register =
        fs::read_to_string(tmp.path().join("out/derived/incident_register.csv")).unwrap();
    assert!(register.contains("数据库 down 🚀"));
    let Some(text) = pdf_text(&tmp.path().join("out/evidence-report.pdf")) else {
        return;
    };
    assert!(
        text.contains("[U+6570][U+636E][U+5E93] down [U+1F680]"),
        "the register's description is not there"
    );
}
