//! Issue 19: whether the exports are the whole population. Stated scope, paging, coverage of
//! the period, the extraction record, PagerDuty's own totals, rejected incidents in view and a
//! recogniser that never guesses. Every fixture is written here; expected values are worked
//! out by hand beside them.

use std::fs;

use crate::{assert_success, auditpack, build, built, derived, folder, read_csv, row};

const JAN: [&str; 6] = [
    "--from",
    "2026-01-01",
    "--to",
    "2026-01-31",
    "--as-of",
    "2026-02-01T00:00:00Z",
];

/// Three January incidents (UTC):
/// #1 P1 created 01-05 10:00, tta 60, ttr 600;
/// #2 P1 created 01-10 10:00, tta 120, ttr 1200;
/// #3 P2 created 01-20 10:00, never acknowledged, ttr 3000.
/// Means: acknowledgement (60 + 120) / 2 = 90 s; resolution (600 + 1200 + 3000) / 3 = 1600 s.
const ITEMS: &str = r#"[
 {"id": "PA00001", "incident_number": 1, "description": "db down", "status": "resolved", "urgency": "high", "priority_name": "P1", "service_name": "db", "created_at": "2026-01-05T10:00:00", "seconds_to_first_ack": 60, "seconds_to_resolve": 600},
 {"id": "PA00002", "incident_number": 2, "description": "api down", "status": "resolved", "urgency": "high", "priority_name": "P1", "service_name": "api", "created_at": "2026-01-10T10:00:00", "seconds_to_first_ack": 120, "seconds_to_resolve": 1200},
 {"id": "PA00003", "incident_number": 3, "description": "slow", "status": "resolved", "urgency": "high", "priority_name": "P2", "service_name": "api", "created_at": "2026-01-20T10:00:00", "seconds_to_first_ack": null, "seconds_to_resolve": 3000}
]"#;

/// An Analytics page of `items` with more envelope keys.
fn page(items: &str, envelope: &str) -> String {
    format!(r#"{{"data": {items}, "time_zone": "Etc/UTC", "limit": 100{envelope}}}"#)
}

fn text(tmp: &tempfile::TempDir, name: &str) -> String {
    fs::read_to_string(derived(tmp, name)).unwrap()
}

/// The exceptions of one kind, by detail.
fn exceptions(tmp: &tempfile::TempDir, kind: &str) -> Vec<String> {
    read_csv(&derived(tmp, "exceptions.csv"))
        .into_iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["detail"].clone())
        .collect()
}

/// No listing has a page missing.
fn assert_complete(tmp: &tempfile::TempDir) {
    let incomplete = exceptions(tmp, "incomplete_export");
    assert!(incomplete.is_empty(), "{incomplete:?}");
}

fn result(tmp: &tempfile::TempDir, measure: &str) -> (String, String) {
    let rows = read_csv(&derived(tmp, "results.csv"));
    let r = row(&rows, "measure", measure);
    assert_eq!(r["area"], "population");
    (r["value"].clone(), r["verdict"].clone())
}

fn manifest(tmp: &tempfile::TempDir) -> serde_json::Value {
    let zip = fs::File::open(tmp.path().join("out/evidence-bundle.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(zip).unwrap();
    let file = zip.by_name("manifest.json").unwrap();
    serde_json::from_reader(file).unwrap()
}

#[test]
fn a_filtered_export_states_its_scope_and_a_range_short_of_the_period_is_not_covered() {
    // The page states team and urgency filters and a creation range that stops on Jan 25:
    // Jan 25 00:00 to Feb 1 00:00 (UTC, the default policy's zone) is not covered.
    let envelope = r#", "more": false, "filters": {"urgency": "high", "team_ids": ["PT2", "PT1"], "created_at_start": "2026-01-01T00:00:00", "created_at_end": "2026-01-25T00:00:00"}"#;
    let input = folder(&[("page.json", page(ITEMS, envelope))]);
    let tmp = built(input.path(), &JAN);
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let scope = "created_at_end=2026-01-25T00:00:00;created_at_start=2026-01-01T00:00:00;team_ids=PT2,PT1;urgency=high";
    assert_eq!(row(&inputs, "file", "page.json")["scope"], scope);
    let header = text(&tmp, "inputs.csv");
    assert!(
        header
            .lines()
            .next()
            .unwrap()
            .ends_with(",rows_excluded,scope")
    );
    let m = manifest(&tmp);
    assert_eq!(m["reconciliation"][0]["scope"], scope);
    assert_eq!(
        exceptions(&tmp, "period_not_covered"),
        [
            "the incident exports' stated creation ranges leave part of the period 2026-01-01 to 2026-01-31 uncovered: 2026-01-25T00:00:00Z to 2026-02-01T00:00:00Z; export those dates too"
        ]
    );
    // Paging is complete: one page, `more: false`.
    assert_eq!(result(&tmp, "exports_complete"), ("0".into(), "met".into()));
}

#[test]
fn a_csv_states_no_scope_and_coverage_is_not_judged() {
    let csv = "id,incident_number,created_at,seconds_to_first_ack,seconds_to_resolve,priority_name,urgency\nPC1,1,2026-01-05T10:00:00,60,600,P1,high\n";
    let input = folder(&[("incidents.csv", csv.to_string())]);
    let tmp = built(input.path(), &JAN);
    assert_eq!(
        row(
            &read_csv(&derived(&tmp, "inputs.csv")),
            "file",
            "incidents.csv"
        )["scope"],
        ""
    );
    assert!(exceptions(&tmp, "period_not_covered").is_empty());
}

#[test]
fn every_paging_style_with_its_last_page_missing_is_incomplete() {
    // Five listings, each with a page that announces more and no page continuing it:
    // Analytics (`more: true`, last `c1`), REST incidents (offset 0, 1 item, more), log entries
    // (one page at offset 100: items 0 to 99 missing), audit records (a `next_cursor`), on-calls
    // (offset 0, more), escalation policies (offset 0, more), overrides (no offset, more).
    // 7 incomplete listings.
    let analytics = page(
        ITEMS,
        r#", "more": true, "first": "c0", "last": "c1", "starting_after": null"#,
    );
    let rest = r#"{"incidents": [{"id": "PR00009", "incident_number": 9, "title": "x", "created_at": "2026-01-06T00:00:00Z", "status": "triggered", "urgency": "high"}], "limit": 1, "offset": 0, "more": true}"#;
    let log = r#"{"log_entries": [{"id": "L1", "type": "trigger_log_entry", "created_at": "2026-01-06T00:00:00Z", "incident": {"id": "PR00009"}}], "limit": 100, "offset": 100, "more": false}"#;
    let audit = r#"{"records": [{"id": "R1", "execution_time": "2026-01-03T00:00:00.000Z", "method": {"type": "browser"}, "root_resource": {"id": "PU1", "type": "user_reference"}, "action": "update", "actors": [{"id": "PU1", "type": "user_reference", "summary": "Ann"}]}], "limit": 1, "next_cursor": "abc"}"#;
    let oncalls = r#"{"oncalls": [{"user": {"id": "PU1", "summary": "Ann"}, "schedule": {"id": "PS1", "summary": "Primary"}, "escalation_policy": {"id": "PE1", "summary": "EP"}, "escalation_level": 1, "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}], "limit": 1, "offset": 0, "more": true}"#;
    let policies = r#"{"escalation_policies": [{"id": "PE1", "name": "EP", "num_loops": 0, "escalation_rules": [{"id": "R1", "escalation_delay_in_minutes": 5, "targets": [{"id": "PS1", "type": "schedule_reference", "summary": "Primary"}]}]}], "limit": 1, "offset": 0, "more": true}"#;
    let overrides = r#"{"overrides": [{"id": "O1", "start": "2026-01-02T00:00:00Z", "end": "2026-01-03T00:00:00Z", "user": {"id": "PU2", "summary": "Bo"}}], "limit": 1, "more": true}"#;
    let input = folder(&[
        ("analytics.json", analytics),
        ("rest.json", rest.to_string()),
        ("log.json", log.to_string()),
        ("audit.json", audit.to_string()),
        ("oncalls.json", oncalls.to_string()),
        ("policies.json", policies.to_string()),
        ("overrides.json", overrides.to_string()),
    ]);
    let tmp = built(input.path(), &JAN);
    let got = exceptions(&tmp, "incomplete_export");
    assert_eq!(got.len(), 7, "{got:#?}");
    let has = |file: &str, what: &str| {
        assert!(
            got.iter()
                .any(|d| d.starts_with(&format!("`{file}` line 1")) && d.contains(what)),
            "{file}: {what}: {got:#?}"
        );
    };
    has(
        "analytics.json",
        "says `more: true` (cursor `last` = `c1`), but no page in the inputs starts after it",
    );
    has(
        "rest.json",
        "(offset 0, 1 items) says `more: true`, but no page in the inputs starts at offset 1",
    );
    has(
        "log.json",
        "starts at offset 100, but no page in the inputs ends there: the items before it are missing",
    );
    has(
        "audit.json",
        "names a `next_cursor`, and no page in the inputs continues it",
    );
    has(
        "policies.json",
        "says `more: true`, but no page in the inputs starts at offset 1",
    );
    has("overrides.json", "says `more: true` but states no `offset`");
    has(
        "oncalls.json",
        "says `more: true`, but no page in the inputs starts at offset 1",
    );
    assert_eq!(
        result(&tmp, "exports_complete"),
        ("7".into(), "not_met".into())
    );
}

#[test]
fn chained_pages_in_any_files_and_repeated_pages_are_complete() {
    // Analytics: page 2 starts after page 1's `last`; page 1 repeated in a third file.
    // REST: offsets 0 (1 item, more) and 1 (1 item, no more), in two files.
    let items: Vec<&str> = ITEMS.trim_matches(['[', ']', '\n']).split(",\n").collect();
    let p1 = page(
        &format!("[{}]", items[0]),
        r#", "more": true, "last": "c1", "starting_after": null"#,
    );
    let p2 = page(
        &format!("[{},{}]", items[1], items[2]),
        r#", "more": false, "last": "c2", "starting_after": "c1""#,
    );
    let rest = |offset: u32, n: u32, more: bool| {
        format!(
            r#"{{"incidents": [{{"id": "PR0000{n}", "incident_number": {n}, "title": "x", "created_at": "2026-01-0{n}T00:00:00Z", "status": "resolved", "resolved_at": "2026-01-0{n}T01:00:00Z", "urgency": "high"}}], "limit": 1, "offset": {offset}, "more": {more}}}"#
        )
    };
    let input = folder(&[
        ("a-page-2.json", p2),
        ("a-page-1.json", p1.clone()),
        ("a-page-1-again.json", p1),
        ("rest-0.json", rest(0, 7, true)),
        ("rest-1.json", rest(1, 8, false)),
    ]);
    let tmp = built(input.path(), &JAN);
    assert!(exceptions(&tmp, "incomplete_export").is_empty());
    assert_eq!(result(&tmp, "exports_complete"), ("0".into(), "met".into()));
}

#[test]
fn a_rest_listing_at_the_offset_ceiling_is_truncated() {
    // One page at offset 9,999 with one incident: the listing reaches 10,000, the API's
    // ceiling, so it is cut (not merely missing its first pages).
    let rest = r#"{"incidents": [{"id": "PR00001", "incident_number": 1, "title": "x", "created_at": "2026-01-06T00:00:00Z", "status": "resolved", "resolved_at": "2026-01-06T01:00:00Z", "urgency": "high"}], "limit": 1, "offset": 9999, "more": true}"#;
    let input = folder(&[("rest.json", rest.to_string())]);
    let tmp = built(input.path(), &JAN);
    let cut = exceptions(&tmp, "truncated_export");
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert!(
        cut[0].contains("reaches offset 10000, PagerDuty's REST ceiling of 10000"),
        "{}",
        cut[0]
    );
    assert_eq!(
        result(&tmp, "exports_complete"),
        ("1".into(), "not_met".into())
    );
}

const AGG_MATCH: &str = r#"{"filters": {"create_range_start": "2026-01-01T00:00:00", "create_range_end": "2026-02-01T00:00:00"}, "time_zone": "Etc/UTC",
 "data": [{"total_incident_count": 3, "mean_seconds_to_first_ack": 90, "mean_seconds_to_resolve": 1600, "p50_seconds_to_first_ack": 90, "p95_seconds_to_resolve": 3000}]}"#;

#[test]
fn pagerduty_totals_that_agree() {
    // Count 3 = 3; ack mean 90 = (60 + 120) / 2; resolve mean 1600 = (600 + 1200 + 3000) / 3.
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("agg.json", AGG_MATCH.to_string()),
    ]);
    let tmp = built(input.path(), &JAN);
    assert!(exceptions(&tmp, "aggregate_mismatch").is_empty());
    assert_eq!(
        result(&tmp, "pagerduty_totals_agree"),
        ("0".into(), "met".into())
    );
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    let agg = row(&inputs, "file", "agg.json");
    assert_eq!(
        (
            agg["format"].as_str(),
            agg["rows_read"].as_str(),
            agg["rows_used"].as_str()
        ),
        ("pagerduty-aggregate-metrics", "1", "1")
    );
    // The aggregate row is no incident: the register holds the three.
    assert_eq!(read_csv(&derived(&tmp, "incident_register.csv")).len(), 3);
}

#[test]
fn pagerduty_totals_that_disagree() {
    // Count 4 against 3: a mismatch. Ack mean 92 against 90: 2 s apart, beyond 1 s. Resolve
    // mean 1600.5 against 1600: 0.5 s, within tolerance.
    let agg = AGG_MATCH
        .replace("\"total_incident_count\": 3", "\"total_incident_count\": 4")
        .replace(
            "\"mean_seconds_to_first_ack\": 90",
            "\"mean_seconds_to_first_ack\": 92",
        )
        .replace(
            "\"mean_seconds_to_resolve\": 1600",
            "\"mean_seconds_to_resolve\": 1600.5",
        );
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("agg.json", agg),
    ]);
    let tmp = built(input.path(), &JAN);
    let got = exceptions(&tmp, "aggregate_mismatch");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(
        got.iter()
            .any(|d| d.contains("PagerDuty counts 4 incidents")
                && d.contains("the exports hold 3 (3 read, 0 rejected)")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|d| d.contains("mean_seconds_to_first_ack") && d.contains("2.00 s apart")),
        "{got:#?}"
    );
    assert_eq!(
        result(&tmp, "pagerduty_totals_agree"),
        ("2".into(), "not_met".into())
    );
}

#[test]
fn a_rejected_row_is_counted_but_the_means_are_not_judged() {
    // #2's creation time is unreadable: rejected, but its number lies between #1 and #3, both
    // created in the window, so PagerDuty's count of 3 agrees. The means are not compared (a
    // row of the window has no usable times), whatever they say.
    let items = ITEMS.replace("2026-01-10T10:00:00", "2026-13-45T10:00:00");
    let agg = AGG_MATCH.replace(
        "\"mean_seconds_to_first_ack\": 90",
        "\"mean_seconds_to_first_ack\": 500",
    );
    let input = folder(&[
        ("page.json", page(&items, r#", "more": false"#)),
        ("agg.json", agg),
    ]);
    let tmp = built(input.path(), &JAN);
    assert!(exceptions(&tmp, "aggregate_mismatch").is_empty());
    assert_eq!(
        result(&tmp, "pagerduty_totals_agree"),
        ("0".into(), "met".into())
    );
}

const RECORD: &str = r#"[extraction]
account = "acme"
extracted_by = "Jo Lee, Compliance"
extracted_at = "2026-02-02T09:00:00+01:00"
source = "POST /analytics/raw/incidents"
filters = "all teams, January 2026"
pagerduty_count = 3
notes = "one run"
"#;

#[test]
fn an_extraction_record_is_read_recorded_and_sets_the_as_of_time() {
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("notes/extraction.toml", RECORD.to_string()),
    ]);
    let tmp = built(
        input.path(),
        &["--from", "2026-01-01", "--to", "2026-01-31"],
    );
    let m = manifest(&tmp);
    // 09:00 at +01:00 is 08:00 UTC.
    assert_eq!(m["parameters"]["as_of"], "2026-02-02T08:00:00Z");
    assert_eq!(m["extraction"]["account"], "acme");
    assert_eq!(m["extraction"]["file"], "notes/extraction.toml");
    assert_eq!(m["extraction"]["pagerduty_count"], 3);
    let inputs = read_csv(&derived(&tmp, "inputs.csv"));
    assert_eq!(
        row(&inputs, "file", "notes/extraction.toml")["format"],
        "extraction-record"
    );
    // pagerduty_count 3 = the 3 incidents the export holds.
    assert!(exceptions(&tmp, "aggregate_mismatch").is_empty());
    assert_eq!(
        result(&tmp, "pagerduty_totals_agree"),
        ("0".into(), "met".into())
    );
    assert!(exceptions(&tmp, "extraction_before_data").is_empty());
}

#[test]
fn an_extraction_record_that_disagrees_or_predates_the_data() {
    // PagerDuty showed 5; the exports hold 3. Taken on Jan 15, but #3 was created Jan 20
    // and resolved Jan 20 10:50.
    let record = RECORD
        .replace("pagerduty_count = 3", "pagerduty_count = 5")
        .replace("2026-02-02T09:00:00+01:00", "2026-01-15T00:00:00Z");
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("extraction.toml", record),
    ]);
    let tmp = built(input.path(), &JAN);
    assert_eq!(
        exceptions(&tmp, "aggregate_mismatch"),
        [
            "`extraction.toml`: the extraction record says PagerDuty showed 5 incidents; the exports hold 3 (3 read, 0 rejected)"
        ]
    );
    let late = exceptions(&tmp, "extraction_before_data");
    assert_eq!(late.len(), 1);
    assert!(
        late[0].contains(
            "taken at 2026-01-15T00:00:00Z, but the data hold an event at 2026-01-20T10:50:00Z"
        ),
        "{}",
        late[0]
    );
}

#[test]
fn without_a_record_the_as_of_time_is_the_latest_event_of_every_input() {
    // The incidents end with #3 resolved at 01-20 10:50; an audit record at 01-28 12:00 is
    // later: that is the as-of time.
    let audit = r#"{"records": [{"id": "R1", "execution_time": "2026-01-28T12:00:00.000Z", "method": {"type": "browser"}, "root_resource": {"id": "PU1", "type": "user_reference"}, "action": "update", "actors": [{"id": "PU1", "type": "user_reference", "summary": "Ann"}]}], "limit": 10, "next_cursor": null}"#;
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("audit.json", audit.to_string()),
    ]);
    let tmp = built(
        input.path(),
        &["--from", "2026-01-01", "--to", "2026-01-31"],
    );
    assert_eq!(
        manifest(&tmp)["parameters"]["as_of"],
        "2026-01-28T12:00:00Z"
    );
}

#[test]
fn init_extraction_writes_only_the_record_and_it_is_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let out = auditpack(tmp.path())
        .args(["init", "--extraction", "exports"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(tmp.path().join("exports/extraction.toml").is_file());
    assert!(!tmp.path().join("exports/policy.toml").exists());
    assert!(!tmp.path().join("policy.toml").exists());
    let again = auditpack(tmp.path())
        .args(["init", "--extraction", "exports"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    fs::write(
        tmp.path().join("exports/page.json"),
        page(ITEMS, r#", "more": false"#),
    )
    .unwrap();
    let (built, out) = build(&tmp.path().join("exports"), &JAN);
    assert_success(&out);
    let inputs = read_csv(&derived(&built, "inputs.csv"));
    assert_eq!(
        row(&inputs, "file", "extraction.toml")["format"],
        "extraction-record"
    );
}

#[test]
fn a_bad_extraction_record_stops_the_build() {
    for (text, why) in [
        (
            "[extraction]\nextracted_at = \"2026-01-05 09:00\"\n",
            "extraction.toml:2:",
        ),
        ("[extraction]\naccount = \"a\"\nwho = \"b\"\n", "who"),
        ("[extraction]\npagerduty_count = -3\n", "expected a count"),
    ] {
        let input = folder(&[
            ("page.json", page(ITEMS, r#", "more": false"#)),
            ("extraction.toml", text.to_string()),
        ]);
        let (_tmp, out) = build(input.path(), &JAN);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{text}: {err}");
    }
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("a.toml", RECORD.to_string()),
        ("b.toml", RECORD.to_string()),
    ]);
    let (_tmp, out) = build(input.path(), &JAN);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("a second extraction record (the first is `a.toml`)")
    );
}

#[test]
fn rejected_incidents_of_the_period_are_counted_per_severity() {
    // #2 (P1) has an unreadable creation time and #3 (P2) a negative time to resolve: two
    // incidents of the period could not be evaluated, one P1 and one P2. #2 lies between the
    // used #1 and a used #4: `not_evaluable`, not a gap.
    let items = ITEMS
        .replace("2026-01-10T10:00:00", "2026-13-45T10:00:00")
        .replace("\"seconds_to_resolve\": 3000", "\"seconds_to_resolve\": -5")
        .replace(
            "\n]",
            ",\n {\"id\": \"PA00004\", \"incident_number\": 4, \"status\": \"resolved\", \"urgency\": \"high\", \"priority_name\": \"P2\", \"created_at\": \"2026-01-21T10:00:00\", \"seconds_to_first_ack\": 10, \"seconds_to_resolve\": 20}\n]",
        );
    let input = folder(&[("page.json", page(&items, r#", "more": false"#))]);
    let (tmp, out) = build(input.path(), &JAN);
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "2 incidents could not be evaluated (their only rows were rejected: P1 1, P2 1)"
        ),
        "{stdout}"
    );
    let not_evaluable = exceptions(&tmp, "not_evaluable");
    assert_eq!(not_evaluable.len(), 2, "{not_evaluable:?}");
    assert!(exceptions(&tmp, "incident_number_gap").is_empty());
}

#[test]
fn a_page_that_fits_two_formats_is_refused() {
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        (
            "both.json",
            r#"{"escalation_policies": [], "log_entries": [], "more": false}"#.to_string(),
        ),
    ]);
    let (_tmp, out) = build(input.path(), &JAN);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("both.json:1:1: a page with keys")
            && err.contains(
                "fits both a pagerduty-escalation-policies and a pagerduty-log-entries response"
            ),
        "{err}"
    );
}

#[test]
fn the_single_incident_analytics_response_is_read() {
    // `GET /analytics/raw/incidents/{id}`: `data` is the incident itself.
    let one = r#"{"data": {"id": "PA00001", "incident_number": 1, "priority_name": "P1", "urgency": "high", "created_at": "2026-01-05T10:00:00", "seconds_to_first_ack": 60, "seconds_to_resolve": 600}, "time_zone": "Etc/UTC"}"#;
    let input = folder(&[("one.json", one.to_string())]);
    let tmp = built(input.path(), &JAN);
    let register = read_csv(&derived(&tmp, "incident_register.csv"));
    assert_eq!(register.len(), 1);
    assert_eq!(register[0]["incident_number"], "1");
}

#[test]
fn a_rails_zone_name_is_read_and_an_unknown_one_stops_the_build() {
    // A schedule in "Eastern Time (US & Canada)": coverage is counted in New York time, not
    // UTC; "Atlantis Time" is no zone.
    let schedule = |zone: &str| {
        format!(
            r#"{{"schedule": {{"id": "PS1", "name": "Primary", "time_zone": "{zone}", "final_schedule": {{"name": "Final Schedule", "rendered_schedule_entries": [{{"start": "2026-01-01T00:00:00-05:00", "end": "2026-02-01T00:00:00-05:00", "user": {{"id": "PU1", "summary": "Ann"}}}}]}}}}}}"#
        )
    };
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("schedule.json", schedule("Eastern Time (US & Canada)")),
    ]);
    let tmp = built(input.path(), &JAN);
    let coverage = text(&tmp, "oncall_coverage.csv");
    assert!(coverage.contains("Primary"), "{coverage}");
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("schedule.json", schedule("Atlantis Time")),
    ]);
    let (_tmp, out) = build(input.path(), &JAN);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schedule.json:1:")
            && err.contains("`schedule.time_zone`: `Atlantis Time` is neither an IANA time zone"),
        "{err}"
    );
}

#[test]
fn offsets_stepped_by_limit_and_a_global_log_listing_ending_on_one_incident_are_complete() {
    // REST incidents: offset 0 holds 1 item of a limit of 2 and says more; the client asked
    // for offset 2 next (offset + limit). Log entries (`GET /log_entries`, limit 2): offset 0
    // names PX and PY, offset 2 only PY: one listing, not a per-incident one.
    let rest = |offset: u32, n: u32, more: bool| {
        format!(
            r#"{{"incidents": [{{"id": "PR0000{n}", "incident_number": {n}, "title": "x", "created_at": "2026-01-0{n}T00:00:00Z", "status": "resolved", "resolved_at": "2026-01-0{n}T01:00:00Z", "urgency": "high"}}], "limit": 2, "offset": {offset}, "more": {more}}}"#
        )
    };
    let entry = |id: &str, incident: &str| {
        format!(
            r#"{{"id": "{id}", "type": "annotate_log_entry", "created_at": "2026-01-07T00:00:00Z", "incident": {{"id": "{incident}"}}}}"#
        )
    };
    let log0 = format!(
        r#"{{"log_entries": [{}, {}], "limit": 2, "offset": 0, "more": true}}"#,
        entry("L1", "PX"),
        entry("L2", "PY")
    );
    let log2 = format!(
        r#"{{"log_entries": [{}], "limit": 2, "offset": 2, "more": false}}"#,
        entry("L3", "PY")
    );
    let input = folder(&[
        ("rest-0.json", rest(0, 7, true)),
        ("rest-2.json", rest(2, 8, false)),
        ("log-0.json", log0),
        ("log-2.json", log2),
    ]);
    let tmp = built(input.path(), &JAN);
    assert_complete(&tmp);
}

#[test]
fn audit_records_continued_in_another_file_are_complete() {
    // January's first page (records of Jan 20 and Jan 25) names a next_cursor; the second
    // page, in another file, holds Jan 3 and Jan 10: older than the first page's oldest, so it
    // continues it. February's page ends with next_cursor null.
    let record = |id: &str, at: &str| {
        format!(
            r#"{{"id": "{id}", "execution_time": "{at}", "method": {{"type": "browser"}}, "root_resource": {{"id": "PU1", "type": "user_reference"}}, "action": "update", "actors": [{{"id": "PU1", "type": "user_reference", "summary": "Ann"}}]}}"#
        )
    };
    let audit = |records: &[String], cursor: &str| {
        format!(
            r#"{{"records": [{}], "limit": 2, "next_cursor": {cursor}}}"#,
            records.join(", ")
        )
    };
    let input = folder(&[
        ("items.json", page(ITEMS, r#", "more": false"#)),
        (
            "audit-2026-01-a.json",
            audit(
                &[
                    record("R2", "2026-01-25T00:00:00Z"),
                    record("R1", "2026-01-20T00:00:00Z"),
                ],
                "\"c1\"",
            ),
        ),
        (
            "audit-2026-01-b.json",
            audit(
                &[
                    record("R4", "2026-01-10T00:00:00Z"),
                    record("R3", "2026-01-03T00:00:00Z"),
                ],
                "null",
            ),
        ),
    ]);
    let tmp = built(input.path(), &JAN);
    assert_complete(&tmp);
}

#[test]
fn coverage_is_the_union_of_the_pages_ranges_and_dates_are_read() {
    // One file, two pages: Jan 1–10 and Jan 20 (a date) to Feb 1. Jan 10 to Jan 20 is not
    // covered. An end written 23:59:59 leaves no one-second hole.
    let items: Vec<&str> = ITEMS.trim_matches(['[', ']', '\n']).split(",\n").collect();
    let p1 = page(
        &format!("[{}]", items[0]),
        r#", "more": false, "filters": {"created_at_start": "2026-01-01T00:00:00", "created_at_end": "2026-01-10T00:00:00"}"#,
    );
    let p2 = page(
        &format!("[{}]", items[2]),
        r#", "more": false, "filters": {"created_at_start": "2026-01-20", "created_at_end": "2026-01-31T23:59:59"}"#,
    );
    let input = folder(&[("pages.json", format!("{p1}\n{p2}\n"))]);
    let tmp = built(input.path(), &JAN);
    assert_eq!(
        exceptions(&tmp, "period_not_covered"),
        [
            "the incident exports' stated creation ranges leave part of the period 2026-01-01 to 2026-01-31 uncovered: 2026-01-10T00:00:00Z to 2026-01-20T00:00:00Z; export those dates too"
        ]
    );
}

#[test]
fn a_hostile_offset_is_a_cut_not_a_panic() {
    let rest = r#"{"incidents": [{"id": "PR00001", "incident_number": 1, "title": "x", "created_at": "2026-01-06T00:00:00Z", "status": "resolved", "resolved_at": "2026-01-06T01:00:00Z", "urgency": "high"}], "limit": 1, "offset": 18446744073709551615, "more": false}"#;
    let input = folder(&[("rest.json", rest.to_string())]);
    let tmp = built(input.path(), &JAN);
    assert_eq!(exceptions(&tmp, "truncated_export").len(), 1);
}

#[test]
fn an_urgency_filtered_total_counts_rejected_rows_by_their_urgency() {
    // PagerDuty: 3 high-urgency incidents. The export holds #1–#3 (high) and #4, low, rejected
    // for a negative time to resolve: it is not counted. Means: not compared (no high row of
    // the window was rejected? #4 is low; but rejected rows that could be of the window stop
    // the comparison only when counted) — the three high ones give 90 s and 1600 s.
    let items = ITEMS.replace(
        "\n]",
        ",\n {\"id\": \"PA00004\", \"incident_number\": 4, \"status\": \"resolved\", \"urgency\": \"low\", \"priority_name\": \"P4\", \"created_at\": \"2026-01-21T10:00:00\", \"seconds_to_first_ack\": 10, \"seconds_to_resolve\": -20}\n]",
    );
    let agg = AGG_MATCH.replace(
        "\"create_range_end\": \"2026-02-01T00:00:00\"}",
        "\"create_range_end\": \"2026-02-01T00:00:00\", \"urgency\": \"high\"}",
    );
    let input = folder(&[
        ("page.json", page(&items, r#", "more": false"#)),
        ("agg.json", agg),
    ]);
    let tmp = built(input.path(), &JAN);
    assert!(
        exceptions(&tmp, "aggregate_mismatch").is_empty(),
        "{:?}",
        exceptions(&tmp, "aggregate_mismatch")
    );
    assert_eq!(
        result(&tmp, "pagerduty_totals_agree"),
        ("0".into(), "met".into())
    );
}

#[test]
fn a_per_service_aggregate_is_not_compared() {
    // `POST /analytics/metrics/incidents/services` rows name their service: each is a
    // rejected row saying so, and nothing is compared.
    let agg = r#"{"filters": {"create_range_start": "2026-01-01T00:00:00", "create_range_end": "2026-02-01T00:00:00"}, "time_zone": "Etc/UTC", "data": [{"service_id": "PS1", "service_name": "api", "total_incident_count": 2, "mean_seconds_to_first_ack": 120}]}"#;
    let input = folder(&[
        ("page.json", page(ITEMS, r#", "more": false"#)),
        ("agg.json", agg.to_string()),
    ]);
    let tmp = built(input.path(), &JAN);
    assert!(exceptions(&tmp, "aggregate_mismatch").is_empty());
    let rejected = text(&tmp, "rejected_rows.csv");
    assert!(
        rejected.contains("a row of a grouped aggregate response (`service_id`)"),
        "{rejected}"
    );
    let results = text(&tmp, "results.csv");
    assert!(!results.contains("pagerduty_totals_agree"), "{results}");
}

#[test]
fn numbering_gaps_under_a_stated_filter_say_so() {
    // #1, #2 and #4 under team_ids=PT1: #3 is missing, as expected under a team filter.
    let items = ITEMS.replace("\"incident_number\": 3", "\"incident_number\": 4");
    let input = folder(&[(
        "page.json",
        page(
            &items,
            r#", "more": false, "filters": {"team_ids": ["PT1"]}"#,
        ),
    )]);
    let tmp = built(input.path(), &JAN);
    assert_eq!(
        exceptions(&tmp, "incident_number_gap"),
        [
            "incident number 3 is missing between #2 and #4: deleted, merged or not exported, or outside the filter `page.json` states (team_ids=PT1), as expected: incidents outside it take numbers too"
        ]
    );
}
