//! Postmortem evidence: linking, dates, sections, unreadable documents, coverage. The
//! fixture `tests/fixtures/postmortems` holds 21 incidents (one rule or case each, named in
//! their descriptions) and documents from three producers (Markdown and text by hand,
//! LibreOffice 7.4 and Ghostscript 10 PDFs, a qpdf-encrypted and a corrupt PDF); the tests
//! add typst PDFs (dated in the text, dated by the PDF, a scan without text) and a
//! decompression bomb. Expected values are worked out by hand from the fixture.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::{TimeZone, Utc};

use crate::{assert_success, build, derived, fixture, read_csv, tool};

const AS_OF: [&str; 2] = ["--as-of", "2026-03-31T23:59:59Z"];

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A typst PDF made by auditpack's own typesetter, dated `created`.
fn typst_pdf(body: &str, created: (u32, u32, u32, u32)) -> Vec<u8> {
    let (m, d, h, s) = created;
    let t = Utc.with_ymd_and_hms(2026, m, d, h, 59, s).unwrap();
    let source = format!("#set page(paper: \"a5\")\n{body}");
    auditpack::report::typeset(source, Vec::new(), t, "test").unwrap()
}

const TYPST_SECTIONS: &str = "== Timeline\n- 10:00 alert\n- 11:00 resolved\n== Root cause\nA bad deploy.\n== Impact\nNone lost.\n== Corrective actions\n+ Roll back faster. Owner: Ana Lima. Due: 2026-04-20\n== Lessons learned\nCanary first.\n";

/// The fixture plus the typst PDFs, the scan and the bomb, in a temp folder.
fn inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("postmortems"), dir.path());
    let pm = dir.path().join("postmortems");
    fs::write(
        pm.join("PM-115.pdf"),
        typst_pdf(
            &format!("= Postmortem: Incident \\#115\nPublished: 2026-03-17\n{TYPST_SECTIONS}"),
            (3, 25, 0, 0),
        ),
    )
    .unwrap();
    // No date in the text: the PDF's creation date, 2026-03-19T10:59:59Z, one second
    // inside the deadline (resolved 03-17T11:00, 48 h).
    fs::write(
        pm.join("PM-116.pdf"),
        typst_pdf(
            &format!("= Postmortem: checkout\n{TYPST_SECTIONS}"),
            (3, 19, 10, 59),
        ),
    )
    .unwrap();
    // A page that is one grey image: a scan without a text layer.
    let pixels: Vec<u8> = (0..200 * 280)
        .map(|i| if i % 7 == 0 { 40 } else { 240 })
        .collect();
    let scan = auditpack::report::typeset(
        "#set page(paper: \"a5\", margin: 0pt)\n#image(read(\"/scan.raw\", encoding: none), format: (encoding: \"luma8\", width: 200, height: 280), width: 100%)".to_string(),
        vec![("/scan.raw".to_string(), pixels)],
        Utc.with_ymd_and_hms(2026, 3, 19, 9, 0, 0).unwrap(),
        "scan",
    )
    .unwrap();
    fs::write(pm.join("PM-117.pdf"), scan).unwrap();
    fs::copy(fixture("hostile/deflate-bomb.pdf"), pm.join("PM-118.pdf")).unwrap();
    dir
}

type Rows = Vec<BTreeMap<String, String>>;

fn by_document(rows: &Rows, doc: &str) -> BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["document"] == format!("postmortems/{doc}"))
        .unwrap_or_else(|| panic!("no row for {doc}: {rows:#?}"))
        .clone()
}

fn built() -> (tempfile::TempDir, tempfile::TempDir, Rows, Rows) {
    let input = inputs();
    let (tmp, out) = build(input.path(), &AS_OF);
    assert_success(&out);
    let rows = read_csv(&derived(&tmp, "postmortems.csv"));
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    (input, tmp, rows, exceptions)
}

#[test]
fn postmortems_csv_has_the_contract_columns() {
    let (_input, tmp, _, _) = built();
    let text = fs::read_to_string(derived(&tmp, "postmortems.csv")).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "incident_number,severity,resolved_at,due_by,document,document_sha256,postmortem_date,date_source,on_time,missing_sections,actions,actions_missing_owner_or_due,status"
    );
}

#[test]
fn each_linking_rule() {
    let (_input, _tmp, rows, exceptions) = built();
    let linked = |doc: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["document"] == format!("postmortems/{doc}"))
            .map(|r| r["incident_number"].clone())
            .collect()
    };
    // File name: PM-, INC- with words, a leading number.
    assert_eq!(linked("PM-101.md"), ["101"]);
    assert_eq!(linked("INC-102 checkout outage.md"), ["102"]);
    assert_eq!(linked("103-postmortem.txt"), ["103"]);
    // Text: `Incident #104`, a bare `#105`, the PagerDuty id, the incident URL.
    assert_eq!(linked("review-checkout.md"), ["104"]);
    assert_eq!(linked("notes-a.md"), ["105"]);
    assert_eq!(linked("pd-id.md"), ["106"]);
    assert_eq!(linked("url.md"), ["107"]);
    // One document, two incidents.
    assert_eq!(linked("combined.md"), ["108", "109"]);
    // PDFs from LibreOffice and Ghostscript, by file name.
    assert_eq!(linked("PM-111-libreoffice.pdf"), ["111"]);
    assert_eq!(linked("PM-112-ghostscript.pdf"), ["112"]);
    // The name says 110, the text says 101: reported, not linked; 110 is then missing.
    assert_eq!(linked("PM-110.md"), [""]);
    assert_eq!(by_document(&rows, "PM-110.md")["status"], "ambiguous");
    let kind_of = |detail_part: &str| -> String {
        exceptions
            .iter()
            .find(|e| e["detail"].contains(detail_part))
            .map(|e| e["kind"].clone())
            .unwrap_or_default()
    };
    assert_eq!(kind_of("`postmortems/PM-110.md`"), "postmortem_ambiguous");
    assert!(
        exceptions
            .iter()
            .any(|e| e["incident_number"] == "110" && e["kind"] == "postmortem_missing")
    );
    // Orphans: a number no export holds; no reference at all.
    assert_eq!(by_document(&rows, "PM-999.md")["status"], "orphan");
    assert_eq!(by_document(&rows, "random.md")["status"], "orphan");
    assert_eq!(kind_of("`postmortems/PM-999.md`"), "postmortem_orphan");
    // A P3 with a document: listed, not required.
    assert_eq!(by_document(&rows, "PM-120.md")["status"], "not_required");
}

#[test]
fn each_date_source_and_the_deadline_edges() {
    let (_input, _tmp, rows, _) = built();
    let get = |doc: &str| {
        let r = by_document(&rows, doc);
        (
            r["postmortem_date"].clone(),
            r["date_source"].clone(),
            r["on_time"].clone(),
        )
    };
    // A date alone on the due date's local day is on time (due 2026-03-05T11:00Z).
    assert_eq!(
        get("INC-102 checkout outage.md"),
        ("2026-03-05".into(), "text:Date".into(), "true".into())
    );
    // An instant one second after the deadline (due 2026-03-06T11:00:00Z) is late.
    assert_eq!(
        get("103-postmortem.txt"),
        (
            "2026-03-06T11:00:01Z".into(),
            "text:Published".into(),
            "false".into()
        )
    );
    assert_eq!(get("review-checkout.md").1, "text:Review date");
    // 13/03/2026 can only be day-month.
    assert_eq!(get("notes-a.md").0, "2026-03-13");
    // 04/03/2026 is ambiguous, and Markdown has no other date: undated.
    assert_eq!(get("url.md"), (String::new(), "none".into(), String::new()));
    assert_eq!(by_document(&rows, "url.md")["status"], "undated");
    // The labelled date wins over the PDF's own (2026-03-25) ...
    assert_eq!(
        get("PM-115.pdf"),
        ("2026-03-17".into(), "text:Published".into(), "true".into())
    );
    // ... which is used when the text has none.
    assert_eq!(
        get("PM-116.pdf"),
        (
            "2026-03-19T10:59:59Z".into(),
            "pdf:CreationDate".into(),
            "true".into()
        )
    );
    assert_eq!(get("PM-111-libreoffice.pdf").0, "2026-03-12");
}

#[test]
fn each_missing_section_and_incomplete_actions() {
    let (_input, _tmp, rows, exceptions) = built();
    let missing = |doc: &str| by_document(&rows, doc)["missing_sections"].clone();
    assert_eq!(missing("PM-101.md"), "");
    assert_eq!(missing("INC-102 checkout outage.md"), "timeline");
    assert_eq!(missing("103-postmortem.txt"), "root cause");
    assert_eq!(missing("review-checkout.md"), "impact");
    assert_eq!(missing("notes-a.md"), "corrective actions");
    assert_eq!(missing("pd-id.md"), "preventive measures");
    assert_eq!(by_document(&rows, "PM-101.md")["status"], "ok");
    assert_eq!(
        by_document(&rows, "103-postmortem.txt")["status"],
        "late+incomplete"
    );
    // Actions: two with owner and due date; the Ghostscript one has one without an owner.
    let actions = |doc: &str| {
        let r = by_document(&rows, doc);
        (
            r["actions"].clone(),
            r["actions_missing_owner_or_due"].clone(),
        )
    };
    assert_eq!(actions("PM-101.md"), ("2".into(), "0".into()));
    assert_eq!(actions("PM-111-libreoffice.pdf"), ("2".into(), "0".into()));
    assert_eq!(actions("PM-112-ghostscript.pdf"), ("2".into(), "1".into()));
    assert_eq!(actions("PM-115.pdf"), ("1".into(), "0".into()));
    let e = exceptions
        .iter()
        .find(|e| e["incident_number"] == "112" && e["kind"] == "postmortem_incomplete")
        .unwrap();
    assert!(e["detail"].contains("Add a retry budget"), "{e:?}");
    assert!(e["detail"].contains("(no owner)"), "{e:?}");
}

#[test]
fn unreadable_documents_are_named_and_the_run_goes_on() {
    let (_input, _tmp, rows, exceptions) = built();
    for (doc, incident, why) in [
        ("PM-113.pdf", "113", "encrypted"),
        ("PM-114.pdf", "114", "corrupt"),
        ("PM-117.pdf", "117", "image-only scan"),
        ("PM-118.pdf", "118", "too costly to read"),
    ] {
        assert_eq!(by_document(&rows, doc)["status"], "unreadable", "{doc}");
        let e = exceptions
            .iter()
            .find(|e| e["incident_number"] == incident && e["kind"] == "postmortem_unreadable")
            .unwrap_or_else(|| panic!("no unreadable exception for {doc}"));
        assert!(e["detail"].contains(why), "{doc}: {e:?}");
    }
}

#[test]
fn coverage_worked_by_hand() {
    let (_input, tmp, rows, _) = built();
    let status = |n: &str| {
        rows.iter()
            .filter(|r| r["incident_number"] == n)
            .map(|r| r["status"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(status("119"), ["open"]);
    assert_eq!(status("121"), ["not_due"]);
    assert_eq!(status("110"), ["missing"]);
    // P1: 14 incidents, 119 open → 13 required; all but 110 have a document (12); on time:
    // 101, 102, 111, 112, 115, 116 (6); complete: 101, 107, 111, 115, 116 (5).
    // P2: 104-106, 108, 109 required (121 not yet due); all present and on time; complete:
    // 108, 109.
    let Some(pdftotext) = tool("pdftotext") else {
        return;
    };
    let out = std::process::Command::new(pdftotext)
        .args(["-layout", "out/evidence-report.pdf", "-"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "P1 48h after resolution 13 12 (92.3 %) 6 (46.2 %) 5 (38.5 %) 1",
        "P2 7d after resolution 5 5 (100.0 %) 5 (100.0 %) 2 (40.0 %) 1",
        "P1 postmortems: 12 of 13 present, 6 on time, 5 complete",
    ] {
        assert!(words.contains(needle), "the report lacks {needle:?}");
    }
}

#[test]
fn without_postmortems_the_rule_is_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        fixture("postmortems/incidents.csv"),
        dir.path().join("incidents.csv"),
    )
    .unwrap();
    let (tmp, out) = build(dir.path(), &AS_OF);
    assert_success(&out);
    let rows = read_csv(&derived(&tmp, "postmortems.csv"));
    assert!(rows.iter().any(|r| r["status"] == "not_checked"));
    assert!(rows.iter().all(|r| r["status"] != "missing"));
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let pm: Vec<_> = exceptions
        .iter()
        .filter(|e| e["kind"].starts_with("postmortem_"))
        .collect();
    assert_eq!(pm.len(), 1);
    assert!(pm[0]["detail"].starts_with("no postmortem documents in the inputs"));
}

#[test]
fn documents_are_in_the_bundle_byte_for_byte_and_rebuild() {
    let input = inputs();
    let (tmp, out) = build(input.path(), &AS_OF);
    assert_success(&out);
    let verified = crate::auditpack(tmp.path())
        .args([
            "verify",
            "out/evidence-bundle.zip",
            "--allow-unsigned",
            "--rebuild",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{report}");
    assert!(report.contains("rebuild derived/postmortems.csv: recomputed"));
    let inputs_csv = read_csv(&derived(&tmp, "inputs.csv"));
    let doc = inputs_csv
        .iter()
        .find(|r| r["file"] == "postmortems/PM-111-libreoffice.pdf")
        .unwrap();
    assert_eq!(doc["format"], "postmortem-pdf");
    assert_eq!(
        doc["sha256"],
        crate::sha256_hex(
            &fs::read(fixture("postmortems/postmortems/PM-111-libreoffice.pdf")).unwrap()
        )
    );
}

#[test]
fn a_ghostscript_pdf_made_now_is_read() {
    let Some(ps2pdf) = tool("ps2pdf") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        fixture("postmortems/incidents.csv"),
        dir.path().join("incidents.csv"),
    )
    .unwrap();
    fs::create_dir(dir.path().join("postmortems")).unwrap();
    let ps = dir.path().join("pm.ps");
    fs::write(
        &ps,
        "%!PS\n/Helvetica findfont 11 scalefont setfont\n72 700 moveto (Incident #101 review) show\n72 680 moveto (Review date: 3 March 2026) show\n72 660 moveto (Timeline) show\nshowpage\n",
    )
    .unwrap();
    let status = std::process::Command::new(ps2pdf)
        .arg(&ps)
        .arg(dir.path().join("postmortems/checkout.pdf"))
        .status()
        .unwrap();
    assert!(status.success());
    fs::remove_file(&ps).unwrap();
    let (tmp, out) = build(dir.path(), &AS_OF);
    assert_success(&out);
    let rows = read_csv(&derived(&tmp, "postmortems.csv"));
    let r = by_document(&rows, "checkout.pdf");
    assert_eq!(r["incident_number"], "101");
    assert_eq!(r["postmortem_date"], "2026-03-03");
    assert_eq!(r["date_source"], "text:Review date");
    assert_eq!(
        r["missing_sections"],
        "root cause; impact; corrective actions; preventive measures"
    );
}

#[test]
fn year_sequence_names_link_nothing_and_a_date_before_the_incident_is_flagged() {
    let input = inputs();
    let pm = input.path().join("postmortems");
    // `PM2023-001` is the document's own year and sequence, not incidents #2023 and #1; its
    // text names none either.
    fs::write(
        pm.join("PM2023-001 - Total node failure.md"),
        "# Total node failure\nDate: 2026-03-20\n\nThe cluster lost every node.\n",
    )
    .unwrap();
    // Linked to #101 (created 2026-03-02) but dated the day before it.
    fs::write(
        pm.join("PM-101-draft.md"),
        "# Postmortem for Incident #101\nDate: 2026-03-01\n",
    )
    .unwrap();
    let (tmp, out) = build(input.path(), &AS_OF);
    assert_success(&out);
    let rows = read_csv(&derived(&tmp, "postmortems.csv"));
    let seq = by_document(&rows, "PM2023-001 - Total node failure.md");
    assert_eq!(seq["incident_number"], "", "{seq:?}");
    let exceptions = read_csv(&derived(&tmp, "exceptions.csv"));
    let before: Vec<_> = exceptions
        .iter()
        .filter(|e| e["kind"] == "postmortem_before_incident")
        .collect();
    assert_eq!(before.len(), 1, "{exceptions:#?}");
    assert_eq!(before[0]["incident_number"], "101");
    assert!(before[0]["detail"].contains("`postmortems/PM-101-draft.md` is dated 2026-03-01"));
}
