//! Properties over random command sequences on a small universe of handles (so that many
//! commands are valid): replaying the events gives the state built incrementally; decide
//! never panics; a roster's entries are their mandates' views; a retraction gives the state that never had the retracted event; every
//! retraction is tagged with what the retracted event concerned.

use std::collections::BTreeSet;
use std::fmt::Write;

use proptest::prelude::*;
use sijill_domain::{snapshot, Command, EntityId, EntityRef, Event, Registry};

use crate::support::World;

const DATES: &[&str] = &[
    "2000",
    "2010",
    "2010-06",
    "2010-06-15",
    "2011-01-01",
    "2012?",
    "2013~",
    "2011/2013",
    "../2014",
    "2014-03-01",
    "2016-01-01",
    "2018-05",
    "2020",
    "2020-01-01/..",
];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

fn handle(prefix: &'static str, n: usize) -> impl Strategy<Value = String> {
    (0..n).prop_map(move |i| format!("@{prefix}{i}"))
}

fn date() -> impl Strategy<Value = &'static str> {
    pick(DATES)
}

fn opt_date() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        date().prop_map(|d| format!(r#","on":"{d}""#))
    ]
}

/// One command as JSON, over areas @a0-2, people @p0-4, bodies @b0-3, posts @s0-3,
/// assemblies @y0-1, mandates @m0-5.
fn command() -> impl Strategy<Value = String> {
    let area = handle("a", 3);
    let person = handle("p", 5);
    let body = || handle("b", 4);
    let post = || handle("s", 4);
    let mandate = || handle("m", 6);
    prop_oneof![
        2 => (handle("a", 3), prop::option::of(handle("a", 3)))
            .prop_map(|(h, p)| format!(r#"{{"command":"register_area","handle":"{h}","name":"Area {h}","kind":"commune"{}}}"#, p.map(|p| format!(r#","parent":"{p}""#)).unwrap_or_default())),
        2 => (person, pick(&["male", "female"]))
            .prop_map(|(h, g)| format!(r#"{{"command":"register_person","handle":"{h}","name":"Person {h}","gender":"{g}"}}"#)),
        2 => (body(), prop::option::of(body()), prop::option::of(area), prop::option::of(date()))
            .prop_map(|(h, p, a, d)| format!(
                r#"{{"command":"found_body","handle":"{h}","name":"Body {h}","kind":"association"{}{}{}}}"#,
                p.map(|p| format!(r#","parent":"{p}""#)).unwrap_or_default(),
                a.map(|a| format!(r#","area":"{a}""#)).unwrap_or_default(),
                d.map(|d| format!(r#","founded_on":"{d}""#)).unwrap_or_default())),
        1 => (body(), 0..3u8, opt_date()).prop_map(|(b, n, on)| format!(r#"{{"command":"rename_body","body":"{b}","name":"Renamed {b} {n}"{on}}}"#)),
        2 => (body(), prop::option::of(body()), date())
            .prop_map(|(b, p, d)| format!(r#"{{"command":"move_body","body":"{b}"{},"on":"{d}"}}"#, p.map(|p| format!(r#","parent":"{p}""#)).unwrap_or_default())),
        1 => (body(), date(), any::<bool>()).prop_map(|(b, d, c)| format!(r#"{{"command":"dissolve_body","body":"{b}","on":"{d}","cascade":{c}}}"#)),
        2 => (post(), body(), prop_oneof![Just("1"), Just("2"), Just("\"unlimited\"")], prop::option::of(date()))
            .prop_map(|(h, b, seats, d)| format!(r#"{{"command":"establish_post","handle":"{h}","body":"{b}","title":"Post {h}","seats":{seats}{}}}"#, d.map(|d| format!(r#","established_on":"{d}""#)).unwrap_or_default())),
        1 => (post(), date()).prop_map(|(p, d)| format!(r#"{{"command":"abolish_post","post":"{p}","on":"{d}"}}"#)),
        2 => (handle("y", 2), body(), date()).prop_map(|(h, b, d)| format!(r#"{{"command":"convene_assembly","handle":"{h}","body":"{b}","kind":"general_assembly","held_on":"{d}"}}"#)),
        1 => (handle("y", 2), handle("p", 5)).prop_map(|(y, p)| format!(r#"{{"command":"record_attendance","assembly":"{y}","attendees":[{{"person":"{p}"}}]}}"#)),
        1 => handle("y", 2).prop_map(|y| format!(r#"{{"command":"adopt_resolution","assembly":"{y}","title":"Resolution","vote":"consensus"}}"#)),
        8 => (prop::option::of(mandate()), handle("p", 5), post(), date(), prop::option::of(handle("y", 2)), prop::option::of(prop_oneof![handle("a", 3), handle("b", 4)]))
            .prop_map(|(h, p, s, d, y, c)| format!(
                r#"{{"command":"start_mandate"{},"person":"{p}","post":"{s}","from":"{d}","basis":"chosen_by_consensus"{}{}}}"#,
                h.map(|h| format!(r#","handle":"{h}""#)).unwrap_or_default(),
                y.map(|y| format!(r#","assembly":"{y}""#)).unwrap_or_default(),
                c.map(|c| format!(r#","constituency":"{c}""#)).unwrap_or_default())),
        4 => (mandate(), date(), pick(&["resigned", "died", "replaced"])).prop_map(|(m, d, r)| format!(r#"{{"command":"end_mandate","mandate":"{m}","on":"{d}","reason":"{r}"}}"#)),
        1 => (prop_oneof![handle("p", 5), handle("b", 4), handle("s", 4)], 0..3u8).prop_map(|(e, n)| format!(r#"{{"command":"correct_name","entity":"{e}","name":"Corrected {e} {n}"}}"#)),
        3 => (prop_oneof![
            mandate().prop_map(|m| (m, "from")), mandate().prop_map(|m| (m, "to")),
            body().prop_map(|b| (b, "founded_on")), body().prop_map(|b| (b, "dissolved_on")),
            handle("y", 2).prop_map(|y| (y, "held_on")), post().prop_map(|p| (p, "established_on"))],
         date()).prop_map(|((e, f), d)| format!(r#"{{"command":"correct_date","entity":"{e}","field":"{f}","date":"{d}"}}"#)),
        2 => (mandate(), prop::option::of(handle("a", 3))).prop_map(|(m, c)| format!(r#"{{"command":"correct_constituency","mandate":"{m}"{}}}"#, c.map(|c| format!(r#","constituency":"{c}""#)).unwrap_or_default())),
        2 => (1..40u64).prop_map(|p| format!(r#"{{"command":"retract_event","position":{p},"reason":"test"}}"#)),
    ]
}

/// Some of every entity, so that random commands find what they refer to.
const SETUP: &str = r#"
{"command":"register_area","handle":"@a0","name":"Area @a0","kind":"province"}
{"command":"register_area","handle":"@a1","name":"Area @a1","kind":"commune","parent":"@a0"}
{"command":"register_area","handle":"@a2","name":"Area @a2","kind":"commune","parent":"@a0"}
{"command":"register_person","handle":"@p0","name":"Person @p0","gender":"female"}
{"command":"register_person","handle":"@p1","name":"Person @p1","gender":"male"}
{"command":"register_person","handle":"@p2","name":"Person @p2"}
{"command":"found_body","handle":"@b0","name":"Body @b0","kind":"party","founded_on":"2000"}
{"command":"found_body","handle":"@b1","name":"Body @b1","kind":"national-bureau","parent":"@b0","area":"@a0","founded_on":"2010"}
{"command":"found_body","handle":"@b2","name":"Body @b2","kind":"association","parent":"@b0"}
{"command":"establish_post","handle":"@s0","body":"@b1","title":"Post @s0","seats":1}
{"command":"establish_post","handle":"@s1","body":"@b1","title":"Post @s1","seats":2}
{"command":"establish_post","handle":"@s2","body":"@b2","title":"Post @s2"}
{"command":"convene_assembly","handle":"@y0","body":"@b1","kind":"congress","held_on":"2010-06-15"}
"#;

/// Runs the setup then the commands, keeping the accepted ones' events.
fn run(commands: &[String]) -> World {
    let mut w = World::given(SETUP);
    for json in commands {
        let command: Command = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let _ = w.try_command(&command);
    }
    w
}

/// The state as a text that ignores log positions (which shift when an event is left out).
fn dump(r: &Registry) -> String {
    let mut out = String::new();
    let label = |id: EntityId| r.label(id);
    let sorted = |ids: Vec<EntityId>| -> Vec<String> {
        let mut v: Vec<String> = ids.into_iter().map(label).collect();
        v.sort();
        v
    };
    let mut lines: Vec<String> = Vec::new();
    for a in r.areas() {
        lines.push(format!(
            "area {} {:?} {:?} {:?} {:?} {:?}",
            a.handle,
            a.name,
            a.kind,
            a.parent.map(|p| label(p.into())),
            a.code,
            sorted(a.children.iter().map(|c| (*c).into()).collect())
        ));
    }
    for p in r.people() {
        lines.push(format!(
            "person {} {:?} {:?} {:?} {:?}",
            p.handle,
            p.name,
            p.gender,
            sorted(p.mandates.iter().map(|m| (*m).into()).collect()),
            sorted(p.attended.iter().map(|a| (*a).into()).collect())
        ));
    }
    for b in r.bodies() {
        let names: Vec<String> = b
            .names
            .iter()
            .map(|s| format!("{:?}={:?}", s.since.map(|d| d.to_string()), s.value))
            .collect();
        let parents: Vec<String> = b
            .parents
            .iter()
            .map(|s| {
                format!(
                    "{:?}={:?}",
                    s.since.map(|d| d.to_string()),
                    s.value.map(|p| label(p.into()))
                )
            })
            .collect();
        lines.push(format!(
            "body {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            b.handle,
            b.kind,
            b.area.map(|a| label(a.into())),
            b.founded_on.map(|d| d.to_string()),
            b.dissolution
                .as_ref()
                .map(|d| (d.on.to_string(), d.note.clone())),
            names,
            parents,
            sorted(b.children.iter().map(|c| (*c).into()).collect()),
            sorted(b.posts.iter().map(|c| (*c).into()).collect()),
            sorted(b.mandates.iter().map(|c| (*c).into()).collect()),
            sorted(b.assemblies.iter().map(|c| (*c).into()).collect())
        ));
    }
    for p in r.posts() {
        lines.push(format!(
            "post {} {} {:?} {} {:?} {:?} {:?}",
            p.handle,
            label(p.body.into()),
            p.title,
            p.seats,
            p.established_on.map(|d| d.to_string()),
            p.abolition.as_ref().map(|a| a.on.to_string()),
            sorted(p.mandates().map(Into::into).collect())
        ));
    }
    for a in r.assemblies() {
        let attendance: Vec<String> = a
            .attendance()
            .iter()
            .map(|e| format!("{}:{:?}", label(e.person.into()), e.capacity))
            .collect();
        let resolutions: Vec<String> = a
            .resolutions
            .iter()
            .map(|x| format!("{:?}:{:?}", x.title, x.vote))
            .collect();
        lines.push(format!(
            "assembly {} {} {:?} {} {:?} {:?} {:?} {:?}",
            a.handle,
            label(a.body.into()),
            a.kind,
            a.held_on,
            a.name(),
            attendance,
            resolutions,
            sorted(a.mandates().iter().map(|c| (*c).into()).collect())
        ));
    }
    for m in r.mandates() {
        lines.push(format!(
            "mandate {} {:?} {} {} {} {} {:?} {:?} {:?} {:?}",
            m.id,
            m.handle,
            label(m.person.into()),
            label(m.post.into()),
            label(m.body.into()),
            m.from,
            m.end.as_ref().map(|e| (e.on.to_string(), e.reason)),
            m.basis,
            m.assembly,
            m.constituency
        ));
    }
    lines.sort();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    for prefix in ["a", "p", "b", "s", "y", "m"] {
        for i in 0..6 {
            let handle = format!("@{prefix}{i}");
            let found = EntityRef::parse(&handle).ok().and_then(|h| r.resolve(&h));
            let _ = writeln!(out, "{handle} -> {found:?}");
        }
    }
    for q in ["person", "body", "renamed", "corrected", "post", "area"] {
        let hits: Vec<String> = r
            .search(q, 50)
            .iter()
            .map(|h| format!("{:?}", h.entity.handle))
            .collect();
        let mut hits = hits;
        hits.sort();
        let _ = writeln!(out, "search {q}: {hits:?}");
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn replaying_the_events_gives_the_incremental_state(commands in prop::collection::vec(command(), 1..80)) {
        let w = run(&commands);
        let replayed = Registry::replay(&w.events);
        prop_assert_eq!(replayed.position(), w.registry.position());
        prop_assert_eq!(dump(&replayed), dump(&w.registry));
        prop_assert_eq!(w.registry.check_indexes(), Ok(()));
        for kind_prefix in ["a", "p", "b", "s", "y", "m"] {
            for i in 0..6 {
                let handle = EntityRef::parse(&format!("@{kind_prefix}{i}")).expect("a handle");
                if let Some(id) = w.registry.resolve(&handle) {
                    prop_assert_eq!(replayed.positions_of(id), w.registry.positions_of(id));
                }
            }
        }
    }

    /// A roster shares the references its entries have in common (body, posts, assemblies):
    /// each entry must still read as the mandate's own view.
    #[test]
    fn roster_entries_are_the_views_of_their_mandates(commands in prop::collection::vec(command(), 1..80)) {
        let w = run(&commands);
        for body in w.registry.bodies() {
            for date in DATES {
                let as_of = sijill_domain::AsOf::date(date.parse().expect("a date"));
                for entry in w.registry.roster(body.id, &as_of) {
                    let id = sijill_domain::MandateId::from_uuid(entry.mandate.mandate.id);
                    let mandate = w.registry.mandate(id).expect("a roster names existing mandates");
                    prop_assert_eq!(&entry.mandate, &w.registry.mandate_view(mandate));
                }
            }
        }
    }

    #[test]
    fn a_retraction_gives_the_state_that_never_had_the_event(commands in prop::collection::vec(command(), 1..80), pick in any::<prop::sample::Index>()) {
        let commands: Vec<String> = commands.into_iter().filter(|c| !c.contains("retract_event")).collect();
        let mut w = run(&commands);
        let live: Vec<u64> = (1..=w.registry.position()).filter(|p| !matches!(w.events[(*p - 1) as usize], Event::EventRetracted(_)) && w.registry.retracted_by(*p).is_none()).collect();
        prop_assume!(!live.is_empty());
        let position = live[pick.index(live.len())];
        let retract: Command = serde_json::from_str(&format!(r#"{{"command":"retract_event","position":{position},"reason":"test"}}"#)).expect("valid");
        let Ok(retractions) = w.try_command(&retract) else { return Ok(()) };
        let mut gone: BTreeSet<u64> = BTreeSet::new();
        for event in &retractions {
            let Event::EventRetracted(r) = event else { panic!("a retraction decides only retractions") };
            let retracted = &w.events[(r.position - 1) as usize];
            let concerned: BTreeSet<EntityId> = retracted.concerns().into_iter().collect();
            let tagged: BTreeSet<EntityId> = r.entities.iter().copied().collect();
            prop_assert_eq!(tagged, concerned, "retraction of {:?}", retracted);
            gone.insert(r.position);
        }
        let kept: Vec<Event> = w.events.iter().enumerate()
            .filter(|(i, e)| !gone.contains(&(*i as u64 + 1)) && !retractions.contains(e))
            .map(|(_, e)| e.clone())
            .collect();
        // Retractions already in the log refer to positions that shift once events are left
        // out; such logs are not comparable this way.
        prop_assume!(!kept.iter().any(|e| matches!(e, Event::EventRetracted(_))));
        let never = Registry::replay(&kept);
        prop_assert_eq!(dump(&w.registry), dump(&never));
        prop_assert_eq!(w.registry.check_indexes(), Ok(()));
    }

    #[test]
    fn a_snapshot_gives_back_the_state_it_was_written_from(commands in prop::collection::vec(command(), 1..80), later in prop::collection::vec(command(), 1..20)) {
        let mut w = run(&commands);
        let mut bytes = Vec::new();
        snapshot::write_snapshot(&w.registry, &mut bytes).expect("writing to memory");
        let loaded = snapshot::read_snapshot(&bytes).expect("a snapshot this version wrote");
        prop_assert!(loaded == w.registry, "the loaded state differs: {}", dump(&loaded));
        prop_assert_eq!(loaded.check_indexes(), Ok(()));
        // And it goes on as the original would: the same later commands give the same events
        // and the same state.
        let mut from_snapshot = w.fork_with(loaded);
        for json in later {
            let command: Command = serde_json::from_str(&json).expect("a valid command");
            let original = w.try_command(&command);
            let continued = from_snapshot.try_command(&command);
            prop_assert_eq!(format!("{original:?}"), format!("{continued:?}"));
        }
        prop_assert!(from_snapshot.registry == w.registry);
    }

    #[test]
    fn decide_never_panics(commands in prop::collection::vec(command(), 1..40), extra in prop::collection::vec(arbitrary_command(), 1..20)) {
        let mut w = run(&commands);
        for json in extra {
            if let Ok(command) = serde_json::from_str::<Command>(&json) {
                let _ = w.try_command(&command);
            }
        }
    }
}

/// Commands with arbitrary references, numbers and dates (many fail to parse; those that
/// parse must be decided without a panic).
fn arbitrary_command() -> impl Strategy<Value = String> {
    let reference = prop_oneof![
        handle("p", 6),
        handle("b", 5),
        handle("m", 7),
        handle("s", 5),
        handle("a", 4),
        handle("y", 3),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        (1..40u128).prop_map(|n| sijill_domain::SequentialIds::nth(n as u64).to_string()),
    ];
    let date = prop_oneof![
        date().prop_map(str::to_owned),
        "[0-9]{4}(-[01][0-9](-[0-3][0-9])?)?[?~%]?",
        Just("0000".to_owned()),
        Just("9999-12-31".to_owned()),
        Just("../..".to_owned())
    ];
    (
        command(),
        reference.clone(),
        reference,
        date,
        any::<u64>(),
        any::<u32>(),
    )
        .prop_map(|(base, r1, r2, d, p, n)| {
            let mut value: serde_json::Value = serde_json::from_str(&base).expect("json");
            if let Some(map) = value.as_object_mut() {
                for key in [
                    "person",
                    "post",
                    "body",
                    "mandate",
                    "assembly",
                    "entity",
                    "parent",
                    "constituency",
                    "area",
                ] {
                    if map.contains_key(key) {
                        map.insert(
                            key.to_owned(),
                            serde_json::Value::String(if p % 2 == 0 {
                                r1.clone()
                            } else {
                                r2.clone()
                            }),
                        );
                    }
                }
                for key in [
                    "from",
                    "on",
                    "held_on",
                    "founded_on",
                    "date",
                    "established_on",
                ] {
                    if map.contains_key(key) {
                        map.insert(key.to_owned(), serde_json::Value::String(d.clone()));
                    }
                }
                if map.contains_key("position") {
                    map.insert("position".to_owned(), serde_json::json!(p % 64));
                }
                if map.contains_key("seats") {
                    map.insert("seats".to_owned(), serde_json::json!(n % 4));
                }
            }
            value.to_string()
        })
}
