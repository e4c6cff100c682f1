//! The CLI as a client (`--server URL --token T`): every question, write and export gives
//! the same output through a running server as on the data folder itself.
//!
//! Two registries hold the same log: folder `local` (where `sijill demo` recorded the
//! founding example) and its copy `served`, which a real `sijill serve --demo` serves (the
//! demo records nothing new: the example's command ids are already in the log).

use std::path::Path;
use std::process::Command;

use sijill_tests::{sijill, sijill_bin, Run};

use crate::server::Server;

/// `sijill --server URL [--token T] <args>`, in the same environment as [`sijill`].
fn remote(url: &str, token: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(sijill_bin());
    command
        .args(["--server", url])
        .env_remove("SIJILL_DATA")
        .env_remove("SIJILL_TOKEN")
        .env("NO_COLOR", "1")
        .env("USER", "registrar");
    if let Some(token) = token {
        command.args(["--token", token]);
    }
    Run::from_output(command.args(args).output().expect("the sijill binary runs"))
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs `args` on the folder and through the server, and checks both say the same.
fn same(local: &Path, url: &str, token: &str, args: &[&str]) -> Run {
    let here = sijill(local, args);
    let there = remote(url, Some(token), args);
    assert_eq!(
        (here.code, &here.stdout, &here.stderr),
        (there.code, &there.stdout, &there.stderr),
        "`sijill {}` differs between the data folder (left) and --server (right)",
        args.join(" ")
    );
    here
}

#[test]
fn every_command_gives_the_same_output_through_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let served = dir.path().join("served");
    sijill(&local, &["demo"]).ok();
    copy_folder(&local, &served);
    let server = Server::start(&served, &["--demo"]);
    let (reader, registrar, admin) = (
        server.token("reader"),
        server.token("registrar"),
        server.token("admin"),
    );

    // Questions, as tables and as JSON.
    let earlier = (json_head(&local) - 1).to_string();
    let questions: &[&[&str]] = &[
        &["tree"],
        &["tree", "--as-of", "2016"],
        &["roster", "@khemisset-coordination"],
        &["roster", "@khemisset-coordination", "--as-of", "2016-12-10"],
        &[
            "roster",
            "@khemisset-coordination",
            "--as-recorded-at",
            &earlier,
        ],
        &["person", "@achraf-chahboun"],
        &["audit", "@achraf-chahboun"],
        &["history", "@khemisset-coordination"],
        &["search", "اسماعيل البنوري"],
        &["representation", "@khemisset-coordination"],
        &["vacancies"],
        &["stats"],
        &["log", "--from", "3", "--limit", "5"],
        &["verify"],
    ];
    for question in questions {
        let run = same(&local, &server.url, reader, question);
        assert_eq!(run.code, 0, "{question:?}: {}", run.stderr);
        let mut json = question.to_vec();
        json.push("--json");
        same(&local, &server.url, reader, &json);
    }

    // Exports: the interchange formats, and the log itself (an admin's).
    let exports: &[&[&str]] = &[
        &["export", "--format", "popolo"],
        &["export", "--format", "org-turtle"],
        &["export", "--format", "csv"],
        &["export", "--format", "dot", "--as-of", "2017-01-01"],
        &[
            "export",
            "--format",
            "dot",
            "--as-of",
            "2017-01-01",
            "--body",
            "@khemisset-coordination",
        ],
        &[
            "roster",
            "@khemisset-coordination",
            "--format",
            "csv",
            "--as-of",
            "2017",
        ],
    ];
    for export in exports {
        let run = same(&local, &server.url, reader, export);
        assert_eq!(run.code, 0, "{export:?}: {}", run.stderr);
        assert!(run.stdout.len() > 200, "{export:?} wrote {}", run.stdout);
    }
    let log = same(&local, &server.url, admin, &["export"]);
    assert_eq!(log.stdout.lines().count(), json_head(&local) as usize);

    // Mistakes: the same message and exit code.
    let not_found = same(&local, &server.url, reader, &["person", "@nobody-at-all"]);
    assert_eq!(not_found.code, 3, "{}", not_found.stderr);
    let refused = same(
        &local,
        &server.url,
        registrar,
        &[
            "correct-name",
            "@nobody-at-all",
            "--name",
            "X",
            "--lang",
            "fr",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("nothing was recorded"),
        "{}",
        refused.stderr
    );

    // Writes: a record file already in the log, and a correction under one command id.
    let file = sijill_tests::example_files().remove(0);
    let file = file.to_str().unwrap();
    let again = same(&local, &server.url, registrar, &["record", file]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let correct = [
        "correct-name",
        "@mohamed-ettabaa",
        "--name",
        "محمد التباع",
        "--lang",
        "ar",
        "--source",
        "phone call with the coordinator",
        "--command-id",
        "remote-cli-correction-1",
    ];
    let corrected = same(&local, &server.url, registrar, &correct);
    assert!(
        corrected.stdout.starts_with("recorded position"),
        "{}",
        corrected.stdout
    );
    same(&local, &server.url, reader, &["person", "@mohamed-ettabaa"]);
    // Sent again, the correction is answered with its first receipt, and nothing is added.
    let again = same(&local, &server.url, registrar, &correct);
    assert!(
        again.stdout.starts_with("already recorded as position"),
        "{}",
        again.stdout
    );
    assert_eq!(json_head(&local), remote_head(&server.url, reader));
}

#[test]
fn a_server_refuses_what_the_token_may_not_do_and_the_cli_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let before = remote_head(&server.url, server.token("reader"));
    let write = [
        "correct-name",
        "@mohamed-ettabaa",
        "--name",
        "X",
        "--lang",
        "fr",
    ];

    // A reader cannot write, and a missing token is named.
    let as_reader = remote(&server.url, Some(server.token("reader")), &write);
    assert_eq!(as_reader.code, 2, "{}", as_reader.stderr);
    assert!(
        as_reader.stderr.contains("registrar"),
        "{}",
        as_reader.stderr
    );
    let anonymous = remote(&server.url, None, &write);
    assert_eq!(anonymous.code, 2, "{}", anonymous.stderr);
    assert!(anonymous.stderr.contains("--token"), "{}", anonymous.stderr);
    let wrong = remote(&server.url, Some("sjl_not-a-token"), &["tree"]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    // The log export is an admin's.
    let export = remote(&server.url, Some(server.token("reader")), &["export"]);
    assert_eq!(export.code, 2, "{}", export.stderr);
    assert!(export.stderr.contains("admin"), "{}", export.stderr);
    // The server names the actor: a client cannot claim to be someone else.
    let mut claimed = write.to_vec();
    claimed.extend(["--actor", "someone-else"]);
    let claim = remote(&server.url, Some(server.token("registrar")), &claimed);
    assert_eq!(claim.code, 2, "{}", claim.stderr);
    assert!(claim.stderr.contains("--actor"), "{}", claim.stderr);
    // What only works on a data folder says so.
    let init = remote(&server.url, Some(server.token("admin")), &["init"]);
    assert_eq!(init.code, 1, "{}", init.stderr);
    assert!(init.stderr.contains("--data"), "{}", init.stderr);
    // Nothing above was recorded.
    assert_eq!(remote_head(&server.url, server.token("reader")), before);

    // The registrar's write is recorded under the token's name.
    remote(&server.url, Some(server.token("registrar")), &write).ok();
    let log = remote(
        &server.url,
        Some(server.token("reader")),
        &["log", "--from", &(before + 1).to_string(), "--json"],
    )
    .ok();
    assert!(log.stdout.contains("\"demo-registrar\""), "{}", log.stdout);
}

#[test]
fn an_unreachable_server_is_named_with_exit_code_4() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = remote(&url, Some("sjl_x"), &["tree"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the server"),
        "{}",
        run.stderr
    );
    let bad = remote("ftp://example.org", None, &["tree"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("http://"), "{}", bad.stderr);
}

fn json_head(folder: &Path) -> u64 {
    let run = sijill(folder, &["stats", "--json"]).ok();
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    value["position"].as_u64().unwrap()
}

fn remote_head(url: &str, token: &str) -> u64 {
    let run = remote(url, Some(token), &["stats", "--json"]).ok();
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    value["position"].as_u64().unwrap()
}
