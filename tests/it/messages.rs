//! Every message in one style: `error: <where>: <what happened>`, then `hint: <what to do>`,
//! exit 2. The catalogue below is one snapshot, so a change to any message is reviewed with
//! the others.

use std::fs;

use crate::{auditpack, outcome};

/// (name, files to write, arguments).
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const GOOD: &str = "id,incident_number,created_at,seconds_to_first_ack,seconds_to_resolve\nP1,1,2026-01-01T00:00:00Z,60,600\n";

const CASES: &[Case] = &[
    (
        "input folder missing",
        &[],
        &["build", "--input", "nope", "--out", "out"],
    ),
    (
        "policy key unknown",
        &[
            ("in/incidents.csv", GOOD),
            ("in/policy.toml", "[organization]\nnmae = \"x\"\n"),
        ],
        &["build", "--input", "in", "--out", "out"],
    ),
    (
        "policy duration",
        &[
            ("in/incidents.csv", GOOD),
            (
                "in/policy.toml",
                "[[severity]]\nname = \"P1\"\nack_within = \"5 minutes\"\n",
            ),
        ],
        &["build", "--input", "in", "--out", "out"],
    ),
    (
        "export malformed",
        &[("in/page.json", "{\"data\": [\n  {\"id\": \"P1\",}\n]}\n")],
        &["build", "--input", "in", "--out", "out"],
    ),
    (
        "no export",
        &[("in/notes.txt", "hello\n")],
        &["stats", "--input", "in"],
    ),
    (
        "date invalid",
        &[("in/incidents.csv", GOOD)],
        &["stats", "--input", "in", "--from", "2026-02-30"],
    ),
    (
        "period reversed",
        &[("in/incidents.csv", GOOD)],
        &[
            "stats",
            "--input",
            "in",
            "--from",
            "2026-03-01",
            "--to",
            "2026-02-01",
        ],
    ),
    (
        "policy exists",
        &[("pol/policy.toml", "")],
        &["init", "pol"],
    ),
    (
        "key exists",
        &[("keys/auditpack.key", "")],
        &["keygen", "--out", "keys", "--name", "X"],
    ),
    ("verify without a key", &[], &["verify", "nope.zip"]),
    (
        "bundle missing",
        &[],
        &["verify", "nope.zip", "--allow-unsigned"],
    ),
    (
        "fingerprint is a key id",
        &[],
        &["verify", "nope.zip", "--fingerprint", "00BDDD360CA2553A"],
    ),
    (
        "key and allow-unsigned",
        &[],
        &[
            "verify",
            "nope.zip",
            "--allow-unsigned",
            "--fingerprint",
            "3a55a20c36ddbd0056a52ec3d70866f4644ed8310838a946884b58856146991e",
        ],
    ),
    (
        "not a bundle",
        &[("junk.zip", "not a zip")],
        &["verify", "junk.zip", "--allow-unsigned"],
    ),
    (
        "sample bundle missing",
        &[],
        &[
            "sample",
            "--bundle",
            "nope.zip",
            "--size",
            "5",
            "--seed",
            "1",
            "--allow-unsigned",
        ],
    ),
    (
        "input name with a backslash",
        &[("in/a\\b.csv", GOOD)],
        &["build", "--input", "in", "--out", "out"],
    ),
    (
        "input names that fold together",
        &[("in/Incidents.csv", GOOD), ("in/incidents.csv", GOOD)],
        &["build", "--input", "in", "--out", "out"],
    ),
    (
        "generate month",
        &[],
        &["generate", "--out", "g", "--start", "2026-13"],
    ),
];

#[test]
fn catalogue_of_messages() {
    let mut all = String::new();
    for (name, files, args) in CASES {
        let tmp = tempfile::tempdir().unwrap();
        for (path, text) in *files {
            let p = tmp.path().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        let out = auditpack(tmp.path()).args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{name}: {stderr}");
        assert!(
            lines.last().is_some_and(|l| l.starts_with("hint: ")),
            "{name}: every message ends with what to do: {stderr}"
        );
        assert!(!tmp.path().join("out").exists(), "{name}: partial output");
        all.push_str(&format!("### {name}: auditpack {}\n", args.join(" ")));
        all.push_str(&outcome(&out, tmp.path()));
        all.push('\n');
    }
    insta::assert_snapshot!(all);
}
