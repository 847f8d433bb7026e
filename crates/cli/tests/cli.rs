//! The `terrain` binary from the outside: clear errors and non-zero exits on bad databases,
//! the administration commands, `--json` output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

fn terrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_terrain"))
        .args(args)
        .env_remove("TERRAIN_DB")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .expect("run terrain")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_unreachable_database_is_a_clear_error_and_a_non_zero_exit() {
    let o = terrain(&[
        "migrate",
        "--db",
        "postgres://terrain:s3cret@127.0.0.1:1/terrain",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("cannot open the database at postgres://terrain:***@127.0.0.1:1/terrain"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "password printed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let o = terrain(&["migrate", "--db", "mysql://localhost/x"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("unsupported database URL"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failing_migration_is_a_clear_error_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // A database that is not Terrain's: a `campaigns` table of another shape, no migration record.
    let url = format!("sqlite://{}", path.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::ConnectOptions;
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE campaigns (x INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let o = terrain(&["migrate", "--db", &url]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("database migration failed"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn administration_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let o = terrain(&["migrate", "--db", &db, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["backend"], "sqlite");

    let o = terrain(&[
        "campaign",
        "add",
        "--db",
        &db,
        "--slug",
        "lyon-2026",
        "--name",
        "Lyon 2026",
        "--retention-until",
        "2026-12-31",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["retention_until"], "2026-12-31");
    let o = terrain(&[
        "campaign",
        "add",
        "--db",
        &db,
        "--slug",
        "lyon-2026",
        "--name",
        "Again",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));

    // A staff account needs a password, given without it appearing in the command line.
    let o = terrain(&[
        "user",
        "add",
        "--db",
        &db,
        "--email",
        "admin@test.fr",
        "--name",
        "Admin",
        "--admin",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("needs a password"));
    let o = Command::new(env!("CARGO_BIN_EXE_terrain"))
        .args([
            "user",
            "add",
            "--db",
            &db,
            "--email",
            "admin@test.fr",
            "--name",
            "Admin",
            "--admin",
            "--password-env",
            "ADMIN_PW",
            "--json",
        ])
        .env("ADMIN_PW", "a long admin password")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        !out.contains("a long admin password") && !out.contains("argon2"),
        "{out}"
    );

    // A territory is needed for an invite; a walker account needs none of a password.
    let o = terrain(&[
        "invite",
        "--db",
        &db,
        "--campaign",
        "lyon-2026",
        "--territory",
        "commune:69123",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("territory commune:69123"),
        "{}",
        stderr(&o)
    );
    let o = terrain(&["user", "list", "--db", &db, "--json"]);
    let users: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["is_admin"], true);
}

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (shared/data is not beside this clone)",
            p.display()
        );
        None
    }
}

#[test]
fn import_from_the_shell() {
    let Some(results) = shared(
        "elections-rhone-69-presidentielle-2017-2022/reconstitue-format-officiel/PR17_BVot_T2_69.txt",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    assert!(
        terrain(&[
            "campaign", "add", "--db", &db, "--slug", "rhone", "--name", "Rhône"
        ])
        .status
        .success()
    );
    let o = terrain(&[
        "import",
        "results",
        "--db",
        &db,
        "--campaign",
        "rhone",
        "--json",
        results.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "results");
    assert_eq!(v["stored"]["elections"][0][0], "2017_pres_t2");
    assert_eq!(v["stored"]["bureaux_with_results"], 1287);
    assert!(v["report"]["votes_by_bloc"]["centre"].as_u64().unwrap() > 0);
    // A file of the wrong kind is a clear error, and nothing is stored.
    let o = terrain(&[
        "import",
        "census",
        "--db",
        &db,
        "--campaign",
        "rhone",
        results.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("PR17_BVot_T2_69.txt"), "{}", stderr(&o));
    let o = terrain(&[
        "import",
        "results",
        "--db",
        &db,
        "--campaign",
        "nowhere",
        results.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("campaign nowhere"), "{}", stderr(&o));
}

#[test]
fn sample_and_weight_on_csv() {
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("frame.csv");
    let mut text = String::from("id,pop,lon,lat\n");
    for i in 0..200 {
        text.push_str(&format!(
            "a{i},{},{},{}\n",
            100 + (i * 37) % 400,
            2.0 + (i % 20) as f64 * 0.01,
            48.8 + (i / 20) as f64 * 0.01
        ));
    }
    std::fs::write(&frame, text).unwrap();
    let out = dir.path().join("sample.csv");
    let o = terrain(&[
        "sample",
        "--frame",
        frame.to_str().unwrap(),
        "--n",
        "20",
        "--prob",
        "pop",
        "--balance",
        "pop",
        "--spatial",
        "lon,lat",
        "--seed",
        "7",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let chosen = std::fs::read_to_string(&out).unwrap();
    assert_eq!(chosen.lines().count(), 21, "{chosen}");
    let resp = dir.path().join("resp.csv");
    let mut r = String::from("id,sex,age\n");
    for i in 0..100 {
        r.push_str(&format!(
            "r{i},{},{}\n",
            if i % 3 == 0 { "F" } else { "M" },
            if i % 2 == 0 { "young" } else { "old" }
        ));
    }
    std::fs::write(&resp, r).unwrap();
    let margins = dir.path().join("margins.csv");
    std::fs::write(
        &margins,
        "variable,category,target\nsex,F,500\nsex,M,500\nage,young,400\nage,old,600\n",
    )
    .unwrap();
    let w = dir.path().join("w.csv");
    let o = terrain(&[
        "weight",
        "--respondents",
        resp.to_str().unwrap(),
        "--margins",
        margins.to_str().unwrap(),
        "--method",
        "raking",
        "--out",
        w.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let weights = std::fs::read_to_string(&w).unwrap();
    let total: f64 = weights
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((total - 1000.0).abs() < 1e-6, "{total}");
}

#[test]
fn target_ranks_bureaux_from_results_files() {
    let Some(t1) = shared(
        "elections-rhone-69-presidentielle-2017-2022/reconstitue-format-officiel/PR17_BVot_T1_69.txt",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.csv");
    let o = terrain(&[
        "target",
        t1.to_str().unwrap(),
        "--election",
        "2017_pres_t1",
        "--bloc",
        "left",
        "--budget-doors",
        "20000",
        "--territory",
        "national",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["bureaux"], 1287);
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 1287);
    // Ranked by potential, highest first, and the plan stays within the budget.
    let potential = |l: &str| l.split(';').nth(8).unwrap().parse::<f64>().unwrap();
    assert!(rows.windows(2).all(|w| potential(w[0]) >= potential(w[1])));
    let chosen_doors: f64 = rows
        .iter()
        .filter(|l| l.split(';').nth(14) == Some("1"))
        .map(|l| l.split(';').nth(5).unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(
        chosen_doors <= 20_000.0 && chosen_doors > 15_000.0,
        "{chosen_doors}"
    );
    let o = terrain(&[
        "target",
        t1.to_str().unwrap(),
        "--election",
        "2099_pres_t1",
        "--bloc",
        "left",
        "--budget-doors",
        "1",
    ]);
    assert!(!o.status.success());
}

#[test]
fn turfs_cut_doors_and_order_walks() {
    let dir = tempfile::tempdir().unwrap();
    let doors = dir.path().join("doors.csv");
    let mut text = String::from("id,lon,lat,bureau,doors\n");
    for i in 0..400 {
        let b = if i < 200 { "75056_1801" } else { "75056_1802" };
        text.push_str(&format!(
            "s{i},{},{},{b},{}\n",
            2.34 + (i % 20) as f64 * 0.0005,
            48.89 + (i / 20) as f64 * 0.0004,
            1 + i % 3
        ));
    }
    std::fs::write(&doors, text).unwrap();
    let out = dir.path().join("turfs.csv");
    let o = terrain(&[
        "turfs",
        "--doors",
        doors.to_str().unwrap(),
        "--size",
        "80",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(report.to_string().contains("polsby"), "{report}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 400);
    // Turfs never cross a bureau.
    for r in &rows {
        let id: usize = r[0][1..].parse().unwrap();
        let bureau = if id < 200 { "75056_1801" } else { "75056_1802" };
        assert!(r[1].starts_with(bureau), "{r:?}");
    }
}

#[test]
fn themes_of_open_answers() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.csv");
    let mut text = String::from("id;reponse\n");
    // Varied answers on two subjects (identical lines would be taken for page footers).
    let school = [
        "école",
        "professeurs",
        "enseignants",
        "classes",
        "élèves",
        "collège",
        "lycée",
        "instituteurs",
    ];
    let prices = [
        "prix",
        "salaires",
        "loyers",
        "factures",
        "retraites",
        "essence",
        "courses",
        "impôts",
    ];
    for i in 0..80 {
        let words = if i % 2 == 0 { &school } else { &prices };
        let (a, b, c) = (words[i % 8], words[(i / 2 + 3) % 8], words[(i / 3 + 5) % 8]);
        let t = if i % 2 == 0 {
            format!("il manque des {a} et des {b} au {c} du quartier, réponse {i}")
        } else {
            format!("les {a} augmentent, les {b} et les {c} pèsent sur le budget, réponse {i}")
        };
        text.push_str(&format!("a{i};{t}\n"));
    }
    std::fs::write(&answers, text).unwrap();
    let out = dir.path().join("themes.csv");
    let o = terrain(&[
        "themes",
        "--answers",
        answers.to_str().unwrap(),
        "--text-column",
        "reponse",
        "--id-column",
        "id",
        "--k",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    let theme: std::collections::HashMap<&str, &str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    // The same answer gets the same theme; schools and prices fall in different themes.
    assert_eq!(theme.len(), 80);
    let school_theme = theme["a0"];
    let agree = |parity: usize, same: bool| {
        (0..80)
            .filter(|i| i % 2 == parity)
            .filter(|i| (theme[format!("a{i}").as_str()] == school_theme) == same)
            .count()
    };
    assert!(
        agree(0, true) >= 36,
        "answers about schools are split: {theme:?}"
    );
    assert!(
        agree(1, false) >= 36,
        "answers about prices share the schools' theme: {theme:?}"
    );
}

#[test]
fn backup_and_restore_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/live.db", dir.path().display());
    assert!(
        terrain(&[
            "campaign", "add", "--db", &db, "--slug", "paris", "--name", "Paris"
        ])
        .status
        .success()
    );
    let bk = dir.path().join("backup.db");
    let o = terrain(&[
        "backup",
        "--db",
        &db,
        "--out",
        bk.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let restored = format!("sqlite://{}/restored.db", dir.path().display());
    let o = terrain(&["restore", "--db", &restored, "--from", bk.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = terrain(&["campaign", "list", "--db", &restored, "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["slug"], "paris");
    let o = terrain(&["restore", "--db", &restored, "--from", bk.to_str().unwrap()]);
    assert!(
        !o.status.success(),
        "an existing database was replaced without --force"
    );
}

#[test]
fn import_osm_stores_the_walkable_network() {
    let Some(pbf) = shared("osm-monaco/monaco.osm.pbf") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    assert!(
        terrain(&[
            "campaign", "add", "--db", &db, "--slug", "monaco", "--name", "Monaco"
        ])
        .status
        .success()
    );
    let o = terrain(&[
        "import",
        "osm",
        "--db",
        &db,
        "--campaign",
        "monaco",
        "--json",
        pbf.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["source"], "monaco.osm.pbf");
    assert!(v["graph"]["length_km"].as_f64().unwrap() > 300.0);
    assert!(v["stored"]["edges"].as_u64().unwrap() > 10_000);
    // Not an OpenStreetMap file: a clear error naming it.
    let bad = dir.path().join("streets.osm.pbf");
    std::fs::write(&bad, b"not a pbf").unwrap();
    let o = terrain(&[
        "import",
        "osm",
        "--db",
        &db,
        "--campaign",
        "monaco",
        bad.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("streets.osm.pbf"), "{}", stderr(&o));
}
