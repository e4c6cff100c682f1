//! Quick-edit subcommands as domain commands.
//!
//! Each subcommand is written as the record-file entry it stands for (the same JSON as
//! `[[command]]` in a record file, or a `POST /v1/commands` body) and then parsed by the
//! domain's own deserializer, so a typed handle or date is checked, and explained, exactly as
//! in a record file.

use serde_json::{json, Map, Value};
use sijill_domain::Command;

use crate::cli::{Cmd, MandateArgs, NameArgs, VoteArgs};

/// Why a subcommand's arguments do not make a command.
#[derive(Debug, thiserror::Error)]
#[error("{command}: {message}")]
pub struct ArgumentError {
    pub command: &'static str,
    pub message: String,
}

/// The domain command a quick-edit subcommand stands for; `None` for other subcommands.
pub fn to_command(cmd: &Cmd) -> Option<Result<Command, ArgumentError>> {
    let entry = entry(cmd)?;
    let name = entry.get("command").and_then(Value::as_str).unwrap_or("?");
    let command = static_name(name);
    Some(
        serde_json::from_value(Value::Object(entry)).map_err(|e| ArgumentError {
            command,
            message: e.to_string(),
        }),
    )
}

/// The JSON entry, without `null`s (an absent option is an absent key).
fn entry(cmd: &Cmd) -> Option<Map<String, Value>> {
    let value = match cmd {
        Cmd::RegisterArea {
            handle,
            kind,
            name,
            parent,
            code,
            ..
        } => json!({
            "command": "register_area", "handle": handle, "kind": snake(kind), "name": names(name),
            "parent": parent, "code": code,
        }),
        Cmd::RegisterPerson {
            handle,
            name,
            gender,
            ..
        } => json!({
            "command": "register_person", "handle": handle, "name": names(name), "gender": gender.map(|g| snake(&g)),
        }),
        Cmd::FoundBody {
            handle,
            kind,
            name,
            parent,
            area,
            founded_on,
            ..
        } => json!({
            "command": "found_body", "handle": handle, "kind": kind, "name": names(name),
            "parent": parent, "area": area, "founded_on": founded_on,
        }),
        Cmd::RenameBody { body, name, on, .. } => {
            json!({ "command": "rename_body", "body": body, "name": names(name), "on": on })
        }
        Cmd::MoveBody {
            body, parent, on, ..
        } => json!({ "command": "move_body", "body": body, "parent": parent, "on": on }),
        Cmd::DissolveBody {
            body,
            on,
            cascade,
            note,
            ..
        } => json!({
            "command": "dissolve_body", "body": body, "on": on, "cascade": cascade, "note": note,
        }),
        Cmd::EstablishPost {
            handle,
            body,
            title,
            lang,
            others,
            seats,
            established_on,
            ..
        } => json!({
            "command": "establish_post", "handle": handle, "body": body,
            "title": names_of(title, lang.as_deref(), others), "seats": seats_value(seats),
            "established_on": established_on,
        }),
        Cmd::AbolishPost { post, on, .. } => {
            json!({ "command": "abolish_post", "post": post, "on": on })
        }
        Cmd::ConveneAssembly {
            handle,
            body,
            kind,
            held_on,
            ordinal,
            venue,
            name,
            ..
        } => json!({
            "command": "convene_assembly", "handle": handle, "body": body, "kind": snake(kind),
            "held_on": held_on, "ordinal": ordinal, "venue": venue, "name": name,
        }),
        Cmd::RecordAttendance {
            assembly,
            people,
            capacity,
            ..
        } => json!({
            "command": "record_attendance", "assembly": assembly,
            "attendees": people.iter().map(|p| without_nulls(json!({ "person": p, "capacity": capacity }))).collect::<Vec<_>>(),
        }),
        Cmd::AdoptResolution {
            assembly,
            title,
            text,
            vote,
            votes_for,
            against,
            abstain,
            ..
        } => json!({
            "command": "adopt_resolution", "assembly": assembly, "title": title, "text": text,
            "vote": resolution_vote(vote.as_deref(), *votes_for, *against, *abstain),
        }),
        Cmd::Elect { mandate, vote, .. } => start_mandate(mandate, election_basis(vote)),
        Cmd::Choose { mandate, .. } => start_mandate(mandate, json!("chosen_by_consensus")),
        Cmd::Appoint { mandate, by, .. } => start_mandate(
            mandate,
            json!({ "appointed": without_nulls(json!({ "by": by })) }),
        ),
        Cmd::CoOpt { mandate, .. } => start_mandate(mandate, json!("co_opted")),
        Cmd::EndMandate {
            mandate,
            on,
            reason,
            ..
        } => json!({
            "command": "end_mandate", "mandate": mandate, "on": on, "reason": snake(reason),
        }),
        Cmd::CorrectName { entity, name, .. } => {
            json!({ "command": "correct_name", "entity": entity, "name": names(name) })
        }
        Cmd::CorrectDate {
            entity,
            field,
            date,
            ..
        } => json!({
            "command": "correct_date", "entity": entity, "field": snake(field), "date": date,
        }),
        Cmd::CorrectConstituency {
            mandate,
            constituency,
            ..
        } => json!({
            "command": "correct_constituency", "mandate": mandate, "constituency": constituency,
        }),
        Cmd::Retract {
            position, reason, ..
        } => json!({ "command": "retract_event", "position": position, "reason": reason }),
        _ => return None,
    };
    match without_nulls(value) {
        Value::Object(map) => Some(map),
        _ => unreachable!("every entry above is an object"),
    }
}

fn start_mandate(m: &MandateArgs, basis: Value) -> Value {
    json!({
        "command": "start_mandate", "handle": m.handle, "person": m.person, "post": m.post,
        "from": m.from, "basis": basis, "assembly": m.assembly, "constituency": m.constituency,
    })
}

/// `--unanimous`, `--acclamation`, a tally, or (nothing said) `elected`.
fn election_basis(vote: &VoteArgs) -> Value {
    if vote.unanimous {
        json!("elected_unanimously")
    } else if vote.acclamation {
        json!("elected_by_acclamation")
    } else if let Some(votes_for) = vote.votes_for {
        json!({ "elected_by_majority": tally(votes_for, vote.against, vote.abstain) })
    } else {
        json!("elected")
    }
}

fn resolution_vote(
    vote: Option<&str>,
    votes_for: Option<u32>,
    against: Option<u32>,
    abstain: Option<u32>,
) -> Value {
    match (vote, votes_for) {
        (_, Some(votes_for)) => json!({ "majority": tally(votes_for, against, abstain) }),
        (Some(vote), None) => json!(vote),
        (None, None) => json!("not_stated"),
    }
}

fn tally(votes_for: u32, against: Option<u32>, abstain: Option<u32>) -> Value {
    json!({ "for": votes_for, "against": against.unwrap_or(0), "abstain": abstain.unwrap_or(0) })
}

fn names(name: &NameArgs) -> Value {
    names_of(&name.name, name.lang.as_deref(), &name.others)
}

/// A `Names` on the wire: a bare string when there is nothing else to say.
fn names_of(text: &str, lang: Option<&str>, others: &[String]) -> Value {
    if lang.is_none() && others.is_empty() {
        return json!(text);
    }
    let others: Vec<Value> = others.iter().map(|o| other_name(o)).collect();
    without_nulls(json!({ "text": text, "lang": lang, "others": others }))
}

/// `ar-Latn=Achraf Chahboun` or `Achraf Chahboun`. Text before `=` counts as a language tag
/// only when it looks like one, so a name containing `=` survives.
fn other_name(typed: &str) -> Value {
    match typed.split_once('=') {
        Some((lang, text)) if looks_like_lang_tag(lang) => json!({ "text": text, "lang": lang }),
        _ => json!({ "text": typed }),
    }
}

fn looks_like_lang_tag(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 35
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `--seats 20` is a number on the wire, `--seats unlimited` a string.
fn seats_value(seats: &str) -> Value {
    seats
        .parse::<u64>()
        .map_or_else(|_| json!(seats), |n| json!(n))
}

/// The wire name of a clap value enum (`founding-general-assembly` -> `founding_general_assembly`).
fn snake<T: clap::ValueEnum>(value: &T) -> String {
    let possible = value.to_possible_value().expect("no value is skipped");
    possible.get_name().replace('-', "_")
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// Command names live as long as the program: map the wire name to its static form.
fn static_name(name: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "register_area",
        "register_person",
        "found_body",
        "rename_body",
        "move_body",
        "dissolve_body",
        "establish_post",
        "abolish_post",
        "convene_assembly",
        "record_attendance",
        "adopt_resolution",
        "start_mandate",
        "end_mandate",
        "correct_name",
        "correct_date",
        "correct_constituency",
        "retract_event",
    ];
    NAMES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("command")
}

/// The kind names clap shows are the domain's, with dashes: keep them in step.
#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn command(args: &[&str]) -> Result<Command, String> {
        let cli = Cli::try_parse_from(std::iter::once("sijill").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        to_command(&cli.command)
            .expect("a quick-edit subcommand")
            .map_err(|e| e.to_string())
    }

    fn wire(args: &[&str]) -> String {
        serde_json::to_string(&command(args).unwrap()).unwrap()
    }

    #[test]
    fn register_person_with_transliteration() {
        assert_eq!(
            wire(&[
                "register-person",
                "@a-b",
                "--name",
                "أشرف شهبون",
                "--lang",
                "ar",
                "--other",
                "ar-Latn=Achraf Chahboun",
                "--gender",
                "male"
            ]),
            r#"{"command":"register_person","handle":"@a-b","name":{"text":"أشرف شهبون","lang":"ar","others":[{"text":"Achraf Chahboun","lang":"ar-Latn"}]},"gender":"male"}"#
        );
    }

    #[test]
    fn elect_unanimously_at_an_assembly() {
        assert_eq!(
            wire(&[
                "elect",
                "@p",
                "@post",
                "--from",
                "2017-01",
                "--unanimous",
                "--assembly",
                "@a",
                "--constituency",
                "@c"
            ]),
            r#"{"command":"start_mandate","person":"@p","post":"@post","from":"2017-01","basis":"elected_unanimously","assembly":"@a","constituency":"@c"}"#
        );
    }

    #[test]
    fn elect_by_tally() {
        assert_eq!(
            wire(&[
                "elect",
                "@p",
                "@post",
                "--from",
                "2017",
                "--for",
                "12",
                "--against",
                "3"
            ]),
            r#"{"command":"start_mandate","person":"@p","post":"@post","from":"2017","basis":{"elected_by_majority":{"for":12,"against":3,"abstain":0}}}"#
        );
    }

    #[test]
    fn kinds_use_the_wire_names() {
        assert!(wire(&[
            "convene-assembly",
            "@a",
            "--body",
            "@b",
            "--kind",
            "founding-general-assembly",
            "--held-on",
            "2017"
        ])
        .contains(r#""kind":"founding_general_assembly""#));
        assert!(
            wire(&["correct-date", "@a", "held-on", "2017-01-07"]).contains(r#""field":"held_on""#)
        );
    }

    #[test]
    fn bad_input_is_explained_by_the_domain() {
        assert_eq!(
            command(&["register-person", "achraf", "--name", "A"]).unwrap_err(),
            "register_person: handle `achraf` must start with `@`, as in `@khemisset-coordination`"
        );
        let bad_date = command(&["correct-date", "@a", "held-on", "2017-02-30"]).unwrap_err();
        assert!(bad_date.starts_with("correct_date: "), "{bad_date}");
    }
}
