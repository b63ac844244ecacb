//! The `sakimori` binary as an administrator uses it, on SQLite and PostgreSQL.

use sakimori_store::testing::{postgres, wanted_backends};
use sakimori_store::Backend;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sakimori");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where a test installation lives: a data directory, and on PostgreSQL a URL.
struct Install {
    dir: tempfile::TempDir,
    url: Option<String>,
    name: &'static str,
}

impl Install {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(self.dir.path());
        if let Some(u) = &self.url {
            c.arg("--database-url").arg(u);
        }
        c.args(args)
            .env_remove("SAKIMORI_CONFIG")
            .env("USER", "tester");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run sakimori")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "[{}] sakimori {args:?} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a)).unwrap()
    }
}

async fn installs() -> Vec<Install> {
    let mut v = Vec::new();
    for b in wanted_backends() {
        match b {
            Backend::Sqlite => v.push(Install {
                dir: tempfile::tempdir().unwrap(),
                url: None,
                name: "sqlite",
            }),
            Backend::Postgres => {
                if let Some(db) = postgres().await {
                    v.push(Install {
                        dir: tempfile::tempdir().unwrap(),
                        url: Some(db.url.clone()),
                        name: "postgres",
                    });
                }
            }
        }
    }
    v
}

#[tokio::test]
async fn bootstrap_import_whois_and_audit_from_the_command_line() {
    for i in installs().await {
        // A new installation is bootstrapped without a server.
        let t = i.json(&["token", "create", "--org", "nisc", "--role", "coordinator"]);
        assert!(
            t["token"].as_str().unwrap().starts_with("skm_"),
            "[{}] {t}",
            i.name
        );

        let sectors = i.json(&["registry", "sectors"]);
        assert_eq!(sectors.as_array().unwrap().len(), 15);

        let demo = root().join("data/demo/constituency.yaml");
        let out = i.ok(&["registry", "import", demo.to_str().unwrap()]);
        assert!(out.contains("imported") && out.contains("note:"), "{out}");

        let w = i.json(&[
            "registry",
            "whois",
            "198.51.100.7",
            "mail.example.jp",
            "203.0.113.20",
        ]);
        assert_eq!(w[0]["organisation"]["id"], "asagiri-bank");
        assert_eq!(w[1]["organisation"]["id"], "asagiri-bank");
        assert_eq!(
            w[2]["organisation"]["id"], "asagiri-city-hospital",
            "more specific wins"
        );
        let miss = i.run(&["registry", "whois", "203.0.113.250"]);
        assert!(!miss.status.success());

        // A bad file: named file, line and field; nothing written.
        let before = i.ok(&["registry", "export"]);
        let bad = i.dir.path().join("bad.yaml");
        std::fs::write(&bad, "organisations:\n  - id: new-op\n    name: {en: New Op, ja: 新事業者}\n    kind: operator\n    sector: electrcity\n").unwrap();
        let out = i.run(&["registry", "import", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("bad.yaml:5: organisations[0].sector: unknown sector \"electrcity\""),
            "{stdout}"
        );
        assert_eq!(
            i.ok(&["registry", "export"]),
            before,
            "[{}] nothing changed",
            i.name
        );

        // CSV export re-imports cleanly.
        let csv = i.dir.path().join("registry.csv");
        i.ok(&[
            "registry",
            "export",
            "--format",
            "csv",
            "--output",
            csv.to_str().unwrap(),
        ]);
        i.ok(&["registry", "import", csv.to_str().unwrap()]);
        assert_eq!(i.ok(&["registry", "export"]), before);

        // Users and tokens.
        let u = i.json(&[
            "user",
            "add",
            "--username",
            "tanaka",
            "--org",
            "kanto-power",
            "--role",
            "operator",
        ]);
        assert_eq!(u["org"], "kanto-power");
        let dup = i.run(&[
            "user",
            "add",
            "--username",
            "tanaka",
            "--org",
            "kanto-power",
            "--role",
            "operator",
        ]);
        assert!(!dup.status.success());
        let badrole = i.run(&[
            "user",
            "add",
            "--username",
            "x",
            "--org",
            "kanto-power",
            "--role",
            "king",
        ]);
        assert!(String::from_utf8_lossy(&badrole.stderr).contains("unknown role \"king\""));
        let tok = i.json(&["token", "create", "--user", "tanaka"]);
        i.ok(&["token", "revoke", tok["id"].as_str().unwrap()]);
        i.ok(&["user", "disable", "tanaka"]);

        // The audit log verifies, and a tampered row is found.
        let v = i.json(&["audit", "verify"]);
        assert_eq!(v["ok"], true);
        let log = i.json(&["audit", "list", "--limit", "1000"]);
        let last = log.as_array().unwrap().last().unwrap();
        assert_eq!(last["action"], "user.disable");
        assert_eq!(last["actor_user"], "cli:tester");
        let store = match &i.url {
            Some(u) => sakimori_store::Store::connect(u).await.unwrap(),
            None => sakimori_store::Store::connect(&sakimori_store::sqlite_url(i.dir.path()))
                .await
                .unwrap(),
        };
        sqlx::query("UPDATE audit_log SET entity_id = 'forged' WHERE seq = 5")
            .execute(store.pool())
            .await
            .unwrap();
        let out = i.run(&["audit", "verify"]);
        assert!(
            !out.status.success(),
            "[{}] tampering must fail verify",
            i.name
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("entry 5"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn config_check_names_bad_keys_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sakimori.toml");
    std::fs::write(
        &f,
        "[server]\nlisten = \"127.0.0.1:8080\"\n[databse]\nurl = \"postgres://x@y/z\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["config", "check", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sakimori.toml:3: unknown field `databse`"),
        "{text}"
    );
    std::fs::write(&f, "[server]\nlisten = \"127.0.0.1:8080\"\n").unwrap();
    assert!(Command::new(BIN)
        .args(["config", "check", f.to_str().unwrap()])
        .output()
        .unwrap()
        .status
        .success());
}

#[test]
fn help_shows_examples() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Examples:") && text.contains("serve --demo"),
        "{text}"
    );
}

/// Start `serve` on a free port and return it with its URL and printed JSON.
fn serve(i: &Install, extra: &[&str]) -> (Child, String, Value) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--json"];
    args.extend_from_slice(extra);
    let mut child = i
        .cmd(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, v["url"].as_str().unwrap().to_owned(), v)
}

fn http(
    method: &str,
    url: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    req.push_str(&format!(
        "Content-Type: application/yaml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_owned();
    (status, body)
}

#[tokio::test]
async fn serve_demo_answers_and_accepted_writes_survive_kill_9() {
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap();
        assert_eq!(
            users.len(),
            8,
            "one demo user per role, and a GSOC analyst at the centre"
        );
        let token = |role: &str| {
            users.iter().find(|u| u["role"] == role).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            http("GET", &url, "/healthz", None, None),
            (200, r#"{"status":"ok"}"#.to_owned())
        );
        let coord = token("coordinator");
        let (status, body) = http("GET", &url, "/api/v1/sectors", Some(&coord), None);
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_str::<Value>(&body)
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            15
        );
        let (_, body) = http(
            "GET",
            &url,
            "/api/v1/organisations?kind=operator",
            Some(&coord),
            None,
        );
        assert!(
            serde_json::from_str::<Value>(&body)
                .unwrap()
                .as_array()
                .unwrap()
                .len()
                >= 20,
            "[{}] demo operators",
            i.name
        );

        let yaml = "organisations:\n  - {id: durable-water, name: {en: Durable Water, ja: 耐久水道}, kind: operator, sector: water}\n";
        let (status, body) = http(
            "POST",
            &url,
            "/api/v1/registry/import",
            Some(&coord),
            Some(yaml),
        );
        assert_eq!(status, 200, "{body}");
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().unwrap();

        let (mut child, url, _) = serve(&i, &[]);
        let t = i.json(&["token", "create", "--org", "nisc", "--role", "coordinator"]);
        let (status, body) = http(
            "GET",
            &url,
            "/api/v1/organisations/durable-water",
            Some(t["token"].as_str().unwrap()),
            None,
        );
        assert_eq!(
            status, 200,
            "[{}] the acknowledged import survived kill -9: {body}",
            i.name
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn a_report_from_the_command_line_reaches_every_recipient_and_survives_kill_9() {
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let as_role = |role: &str, args: &[&str]| {
            let mut a = vec!["report"];
            a.extend_from_slice(args);
            as_user(&i, &url, &token_of(&users, "role", role), &a)
        };
        let r = as_role(
            "operator",
            &[
                "submit",
                "--summary",
                "Ransom note on file server",
                "--service-affected",
                "no",
                "--idempotency-key",
                "cli-1",
            ],
        );
        let number = r["number"].to_string();
        let orgs: Vec<&str> = r["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["org_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            orgs,
            vec!["meti", "nisc", "ceptoar-electricity"],
            "[{}]",
            i.name
        );
        // A retry with the same key is the same report.
        let again = as_role(
            "operator",
            &[
                "submit",
                "--summary",
                "Ransom note on file server",
                "--service-affected",
                "no",
                "--idempotency-key",
                "cli-1",
            ],
        );
        assert_eq!(again["id"], r["id"]);

        for role in ["ministry", "hub", "coordinator"] {
            as_role(role, &["ack", &number]);
        }
        let shown = as_role("operator", &["show", &number]);
        assert!(
            shown["report"]["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["acknowledged_at"].is_string()),
            "{shown}"
        );
        assert_eq!(shown["report"]["fields"]["status"], "acknowledged");

        // A missing mandatory field is refused, naming it.
        let out = i
            .cmd(&["report", "submit", "--summary", "no flag"])
            .env("SAKIMORI_SERVER", &url)
            .env("SAKIMORI_TOKEN", token_of(&users, "role", "operator"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("service_affected"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        child.kill().unwrap(); // SIGKILL right after the acknowledgements were answered
        child.wait().unwrap();
        let (mut child, url, _) = serve(&i, &["--demo"]);
        let t = i.json(&[
            "token",
            "create",
            "--org",
            "kanto-power",
            "--role",
            "operator",
        ]);
        let out = i
            .cmd(&["report", "show", &number, "--json"])
            .env("SAKIMORI_SERVER", &url)
            .env("SAKIMORI_TOKEN", t["token"].as_str().unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "[{}] the report survived kill -9",
            i.name
        );
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(shown["report"]["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["acknowledged_at"].is_string()));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn an_advisory_from_the_command_line_goes_down_the_tiers_and_is_acknowledged() {
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let token = |role: &str| {
            users.iter().find(|u| u["role"] == role).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let run = |role: &str, args: &[&str]| {
            let mut a = vec!["advisory"];
            a.extend_from_slice(args);
            i.cmd(&a)
                .env("SAKIMORI_SERVER", &url)
                .env("SAKIMORI_TOKEN", token(role))
                .output()
                .unwrap()
        };
        let ok = |role: &str, args: &[&str]| {
            let out = run(role, args);
            assert!(
                out.status.success(),
                "[{}] {role} {args:?}: {}",
                i.name,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let json = |role: &str, args: &[&str]| {
            let mut a = args.to_vec();
            a.push("--json");
            serde_json::from_str::<Value>(&ok(role, &a)).unwrap()
        };

        let a = json(
            "coordinator",
            &[
                "create",
                "--title",
                "VPN appliance campaign",
                "--body",
                "Patch **now**.",
                "--tlp",
                "TLP:AMBER",
                "--category",
                "alert",
                "--cve",
                "CVE-2024-3400",
                "--sector",
                "electricity",
            ],
        );
        let number = a["number"].to_string();
        let delivery = |org: &str| {
            a["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["org_id"] == org)
                .unwrap_or_else(|| panic!("[{}] {org} in {a}", i.name))
                .clone()
        };
        assert_eq!(delivery("meti")["tier"], "ministry");
        assert_eq!(delivery("ceptoar-electricity")["tier"], "hub");
        assert_eq!(delivery("kanto-power")["tier"], "organisation");
        // Whether the tiers relay automatically or after review, the CEPTOAR may
        // relay it (again) with a note; then the operator has it.
        if delivery("ceptoar-electricity")["delivered_at"].is_null() {
            ok("ministry", &["relay", &number]);
        }
        let relayed = json(
            "hub",
            &[
                "relay",
                &number,
                "--note",
                "電力分野: 週末までに適用してください",
            ],
        );
        assert_eq!(relayed["number"], a["number"]);

        let inbox = json("operator", &["list"]);
        let mine = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == a["id"])
            .unwrap_or_else(|| panic!("[{}] the operator has it: {inbox}", i.name));
        assert_eq!(mine["deliveries"].as_array().unwrap().len(), 1);
        let table = ok("operator", &["list"]);
        assert!(
            table.contains("VPN appliance campaign") && table.contains("delivered"),
            "{table}"
        );
        let shown = ok("operator", &["show", &number]);
        assert!(
            shown.contains("Patch **now**.") && shown.contains("my state: read"),
            "{shown}"
        );
        let acked = json("operator", &["ack", &number]);
        assert!(acked["deliveries"][0]["acknowledged_at"].is_string());

        let st = json("coordinator", &["status", &number]);
        let tier = st["tiers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tier"] == "organisation")
            .unwrap()
            .clone();
        assert_eq!(tier["acknowledged"], 1, "[{}] {st}", i.name);
        let human = ok("coordinator", &["status", &number]);
        assert!(
            human.contains("median minutes to ack")
                && human.contains("kanto-power")
                && human.contains("relay note of ceptoar-electricity"),
            "{human}"
        );
        // The status is the author's: the operator is refused.
        assert!(!run("operator", &["status", &number]).status.success());

        // An empty title is refused, naming the field.
        let out = run(
            "coordinator",
            &[
                "create",
                "--title",
                "",
                "--body",
                "x",
                "--tlp",
                "amber",
                "--category",
                "alert",
                "--sector",
                "electricity",
            ],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("title: "), "{err}");

        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn a_drill_from_the_command_line_reports_reachability() {
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let token = |role: &str| {
            users.iter().find(|u| u["role"] == role).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let run = |role: &str, args: &[&str]| {
            let out = i
                .cmd(args)
                .env("SAKIMORI_SERVER", &url)
                .env("SAKIMORI_TOKEN", token(role))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "[{}] {role} {args:?}: {}",
                i.name,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        let d: Value = serde_json::from_str(&run(
            "coordinator",
            &[
                "drill",
                "run",
                "--kind",
                "provision",
                "--title",
                "CLI drill",
                "--sector",
                "electricity",
                "--json",
            ],
        ))
        .unwrap();
        let number = d["number"].to_string();
        let inbox: Value =
            serde_json::from_str(&run("operator", &["advisory", "list", "--json"])).unwrap();
        let drill_advisory = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["drill"] == true)
            .expect("the drill message reached the operator");
        run(
            "operator",
            &["advisory", "ack", &drill_advisory["number"].to_string()],
        );
        run(
            "operator",
            &[
                "drill",
                "self-check",
                &number,
                "--answer",
                "received=true",
                "--answer",
                "contacts_current=true",
            ],
        );
        let report: Value =
            serde_json::from_str(&run("coordinator", &["drill", "report", &number, "--json"]))
                .unwrap();
        assert_eq!(
            report["reachability"]["by_tier"]["organisation"]["acknowledged"], 1,
            "[{}] {report}",
            i.name
        );
        assert_eq!(report["self_checks"][0]["organisation"], "kanto-power");
        let table = run("coordinator", &["drill", "report", &number]);
        assert!(
            table.contains("per CEPTOAR") && table.contains("ceptoar-electricity"),
            "{table}"
        );
        let svg = run(
            "coordinator",
            &["drill", "report", &number, "--format", "svg"],
        );
        assert!(svg.starts_with("<svg"));
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// A ministry's own installation federates with the centre over TAXII: it pulls
/// exactly what the ministry may see there, incrementally, and pushes back.
#[tokio::test]
async fn a_second_installation_pulls_only_what_its_organisation_may_see() {
    for centre in installs().await {
        let (mut child, url, v) = serve(&centre, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let token = |name: &str| token_of(&users, "username", name);
        let intel = |who: &str, args: &[&str]| {
            let mut a = vec!["intel"];
            a.extend_from_slice(args);
            as_user(&centre, &url, &token(who), &a)
        };
        let file = |name: &str, objects: Vec<Value>| {
            let p = centre.dir.path().join(name);
            std::fs::write(&p, serde_json::to_string(&objects).unwrap()).unwrap();
            p.to_str().unwrap().to_owned()
        };
        let indicator = |n: u32| {
            serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid_of(n)),
                "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": format!("indicator {n}"),
                "pattern": format!("[ipv4-addr:value = '203.0.113.{n}']"), "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"})
        };
        // The centre's analyst shares under every marking.
        let analyst = "demo-analyst";
        intel(
            analyst,
            &[
                "add",
                &file("green.json", (1..=3).map(indicator).collect()),
                "--tlp",
                "TLP:GREEN",
            ],
        );
        intel(
            analyst,
            &[
                "add",
                &file("amber-meti.json", vec![indicator(4)]),
                "--tlp",
                "TLP:AMBER",
                "--recipient",
                "meti",
            ],
        );
        intel(
            analyst,
            &[
                "add",
                &file("amber-bank.json", vec![indicator(5)]),
                "--tlp",
                "TLP:AMBER",
                "--recipient",
                "asagiri-bank",
            ],
        );
        intel(
            analyst,
            &[
                "add",
                &file("red.json", vec![indicator(6)]),
                "--tlp",
                "TLP:RED",
                "--recipient-user",
                "demo-operator",
            ],
        );
        let cols = intel(analyst, &["collections"]);
        let ntk = cols
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["community_id"] == "vpn-appliance-ntk")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        intel(
            analyst,
            &[
                "add",
                &file("ntk.json", vec![indicator(7)]),
                "--collection",
                &ntk,
            ],
        );
        let centre_view: Vec<String> = intel("demo-ministry", &["export"])["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "indicator")
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(centre_view.len(), 4, "3 GREEN and the AMBER named to METI");

        // METI's own installation, with its own database.
        let ministry = installs()
            .await
            .into_iter()
            .find(|i| i.name == centre.name)
            .unwrap();
        let local = ministry.json(&["token", "create", "--org", "meti", "--role", "ministry"]);
        let local_user = local["user"].as_str().unwrap().to_owned();
        let inbox = "a9d2c1f0-5a4e-4c1b-9f3e-000000000001";
        let peer = format!("{url}/taxii2/");
        let pull = |extra: &[&str]| {
            let mut a = vec![
                "intel",
                "pull",
                "--peer",
                &peer,
                "--collection",
                inbox,
                "--peer-user",
                "demo-ministry",
                "--as",
                &local_user,
                "--page-size",
                "2",
            ];
            a.extend_from_slice(extra);
            a.push("--json");
            let out = ministry
                .cmd(&a)
                .env("SAKIMORI_PEER_TOKEN", token("demo-ministry"))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "[{}] pull: {}",
                ministry.name,
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap()
        };
        let first = pull(&[]);
        assert_eq!(first["added"], 4, "{first}");
        assert_eq!(
            pull(&[])["added"],
            0,
            "the second pull resumes after the last one"
        );
        intel(
            analyst,
            &[
                "add",
                &file("later.json", vec![indicator(8)]),
                "--tlp",
                "TLP:GREEN",
            ],
        );
        assert_eq!(pull(&[])["added"], 1, "only what is new");

        // What METI's installation now holds, as its own user sees it there.
        let (mut local_server, local_url, _) = serve(&ministry, &[]);
        let out = ministry
            .cmd(&["intel", "export", "--json"])
            .env("SAKIMORI_SERVER", &local_url)
            .env("SAKIMORI_TOKEN", local["token"].as_str().unwrap())
            .output()
            .unwrap();
        let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut held: Vec<String> = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "indicator")
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        held.sort();
        let mut expected = centre_view.clone();
        expected.push(format!("indicator--{}", uuid_of(8)));
        expected.sort();
        assert_eq!(
            held, expected,
            "[{}] exactly what METI may see at the centre",
            ministry.name
        );
        // The AMBER one stays AMBER there: marked, and limited to METI.
        let amber = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == format!("indicator--{}", uuid_of(4)))
            .unwrap();
        assert_eq!(
            amber["object_marking_refs"],
            serde_json::json!([sakimori_core::tlp::Tlp::Amber.stix_marking_id()])
        );
        local_server.kill().unwrap();
        child.kill().unwrap();
    }
}

/// The token of the demo user whose `key` (role or username) is `value`.
fn token_of(users: &[Value], key: &str, value: &str) -> String {
    users.iter().find(|u| u[key] == value).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `sakimori ARGS --json` against a running server with a user's token; the JSON answer.
fn as_user(i: &Install, url: &str, token: &str, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = i
        .cmd(&a)
        .env("SAKIMORI_SERVER", url)
        .env("SAKIMORI_TOKEN", token)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "[{}] {args:?}: {}",
        i.name,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn uuid_of(n: u32) -> String {
    format!("5e1d7c3a-0000-4000-8000-{n:012}")
}

/// EVE alerts from `attacker` against kanto-power's 192.0.2.10, one a minute,
/// and one attempt nobody answered.
fn eve_attack(attacker: &str, n: usize) -> String {
    let mut lines: Vec<String> = (0..n)
        .map(|k| {
            format!(
                r#"{{"timestamp":"2026-11-30T03:{k:02}:00.000000+0900","event_type":"alert","src_ip":"{attacker}","src_port":5{k:04},"dest_ip":"192.0.2.10","dest_port":443,"proto":"TCP","alert":{{"action":"allowed","signature_id":2049001,"signature":"ET EXPLOIT SSL-VPN Path Traversal","category":"Attempted Administrator Privilege Gain","severity":1}}}}"#
            )
        })
        .collect();
    lines.push(format!(
        r#"{{"timestamp":"2026-11-30T03:59:00.000000+0900","event_type":"alert","src_ip":"{attacker}","src_port":40000,"dest_ip":"192.0.2.10","dest_port":22,"proto":"TCP","alert":{{"action":"blocked","signature_id":2001219,"signature":"ET SCAN SSH Brute Force","severity":2}}}}"#
    ));
    lines.push("{not json".into());
    lines.join("\n") + "\n"
}

/// Is the machine's NATS there? Required in CI; outside CI its absence is loud.
fn nats_up() -> bool {
    match TcpStream::connect("127.0.0.1:4222") {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "NATS JetStream at 127.0.0.1:4222 is required in CI: {e}"
            );
            eprintln!("\n!!! NATS at 127.0.0.1:4222 is unreachable ({e}): SKIPPING the JetStream half !!!\n");
            false
        }
    }
}

#[tokio::test]
async fn a_sensor_alert_becomes_an_event_and_only_the_owner_is_notified_in_process_and_through_nats(
) {
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let gsoc = token_of(&users, "username", "demo-gsoc");
        let operator = token_of(&users, "role", "operator");
        let ministry = token_of(&users, "role", "ministry");
        let hub = token_of(&users, "role", "hub");
        let log = i.dir.path().join("eve.json");
        std::fs::write(&log, eve_attack("198.18.3.3", 5)).unwrap();

        // In process: the file through the pipeline into this installation.
        let out = i.json(&[
            "ingest",
            log.to_str().unwrap(),
            "--sensor",
            "gsoc1-tap-1",
            "--site",
            "kasumigaseki",
        ]);
        assert_eq!(out["observations"], 6, "[{}] {out}", i.name);
        assert_eq!(out["malformed"], 1, "[{}] {out}", i.name);
        assert_eq!(out["new_events"], 1, "[{}] {out}", i.name);
        // The same file again changes nothing.
        let again = i.json(&[
            "ingest",
            log.to_str().unwrap(),
            "--sensor",
            "gsoc1-tap-1",
            "--site",
            "kasumigaseki",
        ]);
        assert_eq!(
            (
                again["new_events"].as_u64(),
                again["duplicate_batches"].as_u64()
            ),
            (Some(0), Some(1))
        );

        let events = as_user(&i, &url, &gsoc, &["events", "list"]);
        let list = events
            .as_array()
            .or_else(|| events["events"].as_array())
            .unwrap()
            .clone();
        assert_eq!(list.len(), 1, "[{}] {events}", i.name);
        let e = &list[0];
        assert_eq!(e["source"], "198.18.3.3");
        assert_eq!(e["target_org"], "kanto-power");
        assert_eq!(e["count"], 5, "the blocked attempt is noise");
        assert_eq!(e["state"], "open");
        // Only the centre's analysts triage.
        let denied = i
            .cmd(&["events", "list"])
            .env("SAKIMORI_SERVER", &url)
            .env("SAKIMORI_TOKEN", &operator)
            .output()
            .unwrap();
        assert!(!denied.status.success(), "an operator may not list events");

        let number = e["number"].to_string();
        as_user(
            &i,
            &url,
            &gsoc,
            &[
                "events",
                "confirm",
                &number,
                "--tlp",
                "amber",
                "--note",
                "SSL-VPN exploitation",
            ],
        );
        let titles = |token: &str| -> Vec<String> {
            let v = as_user(&i, &url, token, &["advisory", "list"]);
            let list = v
                .as_array()
                .or_else(|| v["advisories"].as_array())
                .cloned()
                .unwrap_or_default();
            list.iter()
                .map(|a| {
                    a["title"]
                        .as_str()
                        .or(a["fields"]["title"].as_str())
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        };
        let owner = titles(&operator);
        assert!(
            owner.iter().any(|t| t.contains("Sensor notification")),
            "[{}] the owner is notified: {owner:?}",
            i.name
        );
        for (who, token) in [("ministry", &ministry), ("hub", &hub)] {
            let seen = titles(token);
            assert!(
                !seen.iter().any(|t| t.contains("Sensor notification")),
                "[{}] the {who} must not receive it: {seen:?}",
                i.name
            );
        }

        // Over HTTP, as a sensor with a token of its own: processed at once.
        let sensor = token_of(&users, "role", "sensor");
        let posted = eve_attack("198.18.5.5", 3);
        let path = "/api/v1/sensors/gsoc3-tap-2/observations?site=nagoya";
        let (status, body) = http("POST", &url, path, Some(&sensor), Some(&posted));
        assert_eq!(status, 200, "[{}] {body}", i.name);
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (
                answer["observations"].as_u64(),
                answer["malformed"].as_u64(),
                answer["new_events"].as_u64()
            ),
            (Some(4), Some(1), Some(1)),
            "[{}] {answer}",
            i.name
        );
        assert_eq!(
            answer["errors"][0]["line"], 5,
            "the malformed line is named: {answer}"
        );
        let (status, _) = http("POST", &url, path, Some(&operator), Some(&posted));
        assert_eq!(
            status, 403,
            "only sensors (and the centre) send observations"
        );
        let (_, again) = http("POST", &url, path, Some(&sensor), Some(&posted));
        assert!(
            again.contains(r#""duplicate_batches":1"#),
            "[{}] {again}",
            i.name
        );
        let v = as_user(
            &i,
            &url,
            &gsoc,
            &[
                "events",
                "dismiss",
                "2",
                "--note",
                "lab traffic",
                "--suppress",
            ],
        );
        assert_eq!(v["state"], "dismissed", "[{}] {v}", i.name);

        // Through NATS JetStream: a sensor elsewhere publishes, the centre consumes.
        if nats_up() {
            let tag = format!("{}{}", i.name, std::process::id());
            let (stream, subject, durable) = (
                format!("SAKIMORI_CLI_{tag}"),
                format!("sakimori.cli.{tag}"),
                format!("centre-{tag}"),
            );
            let remote = i.dir.path().join("remote.json");
            std::fs::write(&remote, eve_attack("198.18.4.4", 7)).unwrap();
            let spool = i.dir.path().join("spool");
            let sent = i.json(&[
                "sensor",
                "run",
                remote.to_str().unwrap(),
                "--sensor",
                "gsoc2-tap-9",
                "--site",
                "osaka",
                "--stream",
                &stream,
                "--subject",
                &subject,
                "--spool",
                spool.to_str().unwrap(),
            ]);
            assert_eq!(
                (sent["sent"].as_u64(), sent["spooled"].as_u64()),
                (Some(1), Some(0)),
                "[{}] {sent}",
                i.name
            );
            let got = i.json(&[
                "sensor",
                "consume",
                "--stream",
                &stream,
                "--subject",
                &subject,
                "--durable",
                &durable,
                "--until-idle",
                "3",
            ]);
            assert_eq!(got["batches"], 1, "[{}] {got}", i.name);
            let events = as_user(&i, &url, &gsoc, &["events", "list", "--state", "open"]);
            let list = events
                .as_array()
                .or_else(|| events["events"].as_array())
                .unwrap()
                .clone();
            assert_eq!(list.len(), 1, "[{}] {events}", i.name);
            assert_eq!(
                (list[0]["source"].as_str(), list[0]["count"].as_i64()),
                (Some("198.18.4.4"), Some(7))
            );
            assert_eq!(list[0]["target_org"], "kanto-power");
            let status = i.json(&["sensor", "status"]);
            let sensors: Vec<&str> = status["sensors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sensor"].as_str().unwrap())
                .collect();
            assert_eq!(
                sensors,
                ["gsoc1-tap-1", "gsoc2-tap-9", "gsoc3-tap-2"],
                "[{}] {status}",
                i.name
            );
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

// ---------------------------------------------------------------------------
// NetFlow from a real exporter: softflowd reads a capture written here and
// exports IPFIX to `sakimori ingest --netflow-listen`.

#[path = "../../sensor/tests/support/pcap.rs"]
mod pcap;

/// A border capture: the indicator's address talks with kanto-power's web
/// server (192.0.2.10) and is answered; another address knocks on its SSH
/// port and nobody answers; one of kanto-power's hosts browses somewhere
/// unremarkable.
fn border_capture() -> Vec<pcap::Packet> {
    use pcap::{tcp4, Packet, ACK, FIN, PSH, SYN};
    let (bad, web) = ([198, 18, 3, 3], [192, 0, 2, 10]);
    let knocker = [198, 18, 6, 6];
    let (client, site) = ([192, 0, 2, 11], [198, 51, 100, 200]);
    vec![
        // 1. An answered connection from the indicator's address.
        Packet(0.00, tcp4(bad, web, 50000, 443, SYN, b"")),
        Packet(0.05, tcp4(web, bad, 443, 50000, SYN | ACK, b"")),
        Packet(0.10, tcp4(bad, web, 50000, 443, ACK | PSH, b"hello")),
        Packet(0.15, tcp4(web, bad, 443, 50000, ACK | PSH, b"world!")),
        Packet(0.20, tcp4(bad, web, 50000, 443, FIN | ACK, b"")),
        Packet(0.25, tcp4(web, bad, 443, 50000, FIN | ACK, b"")),
        Packet(0.30, tcp4(bad, web, 50000, 443, ACK, b"")),
        // 2. A SYN nobody answers, sent twice.
        Packet(1.00, tcp4(knocker, web, 51515, 22, SYN, b"")),
        Packet(2.00, tcp4(knocker, web, 51515, 22, SYN, b"")),
        // 3. An unremarkable answered connection.
        Packet(3.00, tcp4(client, site, 40001, 443, SYN, b"")),
        Packet(3.05, tcp4(site, client, 443, 40001, SYN | ACK, b"")),
        Packet(3.10, tcp4(client, site, 40001, 443, ACK | PSH, b"hi")),
        Packet(3.15, tcp4(site, client, 443, 40001, ACK | PSH, b"there")),
    ]
}

#[tokio::test]
async fn netflow_from_a_real_exporter_is_ingested_and_becomes_an_event() {
    let Some(softflowd) = pcap::softflowd() else {
        return;
    };
    for i in installs().await {
        let (mut child, url, v) = serve(&i, &["--demo"]);
        let users = v["users"].as_array().unwrap().clone();
        let coordinator = token_of(&users, "role", "coordinator");
        let gsoc = token_of(&users, "username", "demo-gsoc");

        // The coordinator shares an indicator with the platform.
        let file = i.dir.path().join("indicator.json");
        let indicator = serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid_of(3303)),
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "Relay of a C2 network",
            "pattern": "[ipv4-addr:value = '198.18.3.3']", "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"});
        std::fs::write(&file, indicator.to_string()).unwrap();
        as_user(
            &i,
            &url,
            &coordinator,
            &["intel", "add", file.to_str().unwrap(), "--tlp", "TLP:GREEN"],
        );

        // The collector, on a port of its choosing: the address it prints.
        let mut ingest = i
            .cmd(&[
                "ingest",
                "--netflow-listen",
                "127.0.0.1:0",
                "--until-idle",
                "5",
                "--sensor",
                "border-1",
                "--site",
                "kasumigaseki",
                "--json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(ingest.stderr.take().unwrap());
        let mut seen = String::new();
        let collector: std::net::SocketAddr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                panic!("[{}] ingest ended before listening:\n{seen}", i.name);
            }
            seen.push_str(&line);
            if let Some(a) = line
                .trim()
                .strip_prefix("collecting NetFlow/IPFIX on udp://")
            {
                break a.parse().unwrap();
            }
        };
        let rest = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).ok();
            seen + &s
        });

        // softflowd exports the capture as IPFIX, flow times from the capture.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 600;
        let capture = i.dir.path().join("border.pcap");
        std::fs::write(&capture, pcap::pcap(start, &border_capture())).unwrap();
        pcap::softflowd_run(&softflowd, &capture, collector, "10", &[]);

        // Five idle seconds later the collector ends with its summary.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(s) = ingest.try_wait().unwrap() {
                break s;
            }
            if std::time::Instant::now() > deadline {
                ingest.kill().ok();
                ingest.wait().ok();
                panic!("[{}] ingest did not stop within 60 s", i.name);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let mut out = String::new();
        ingest
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let log = rest.join().unwrap();
        assert!(status.success(), "[{}] ingest: {status}\n{log}", i.name);
        let sum: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?}\n{log}"));
        assert!(
            sum["observations"].as_u64().unwrap() >= 3,
            "[{}] {sum}\n{log}",
            i.name
        );
        assert_eq!(sum["malformed"], 0, "[{}] {sum}", i.name);
        assert_eq!(sum["new_events"], 1, "[{}] {sum}\n{log}", i.name);
        assert_eq!(sum["indicators"]["active"], 1, "[{}] {sum}", i.name);

        // The centre's analyst sees one event: the indicator's address
        // against kanto-power (both directions of the connection).
        let events = as_user(&i, &url, &gsoc, &["events", "list"]);
        let list = events
            .as_array()
            .or_else(|| events["events"].as_array())
            .unwrap()
            .clone();
        assert_eq!(list.len(), 1, "[{}] {events}", i.name);
        let e = &list[0];
        assert_eq!(e["source"], "198.18.3.3", "[{}] {e}", i.name);
        assert_eq!(e["target_org"], "kanto-power", "[{}] {e}", i.name);
        assert_eq!(
            e["technique"], "indicator: Relay of a C2 network",
            "[{}] {e}",
            i.name
        );
        assert_eq!(e["state"], "open");

        // The SYN nobody answered is counted as noise, not hidden.
        let status = i.json(&["sensor", "status"]);
        let s = &status["sensors"][0];
        assert_eq!(
            (s["sensor"].as_str(), s["site"].as_str()),
            (Some("border-1"), Some("kasumigaseki")),
            "[{}] {status}",
            i.name
        );
        assert!(s["noise"].as_i64().unwrap() >= 1, "[{}] {status}", i.name);
        assert!(s["matched"].as_i64().unwrap() >= 1, "[{}] {status}", i.name);
        assert_eq!(
            s["records"].as_u64(),
            sum["observations"].as_u64(),
            "[{}] {status}",
            i.name
        );

        child.kill().unwrap();
        child.wait().unwrap();
    }
}
