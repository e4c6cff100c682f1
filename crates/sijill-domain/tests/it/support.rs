//! The test world: a registry driven by commands written as JSON, one per line, with
//! deterministic ids (`#n` in output stands for `SequentialIds::nth(n)`).

use chrono::{TimeZone, Utc};
use sijill_domain::{
    decide, decide_batch, Command, Context, EntityId, EntityRef, Event, Registry, SequentialIds,
};

pub struct World {
    pub registry: Registry,
    pub ids: SequentialIds,
    pub events: Vec<Event>,
    issued: u64,
}

/// A small province, an association, its provincial coordination with two posts and an
/// assembly, and three people: the backdrop of most rule tests (11 events).
pub const BASE: &str = r#"
{"command":"register_area","handle":"@khemisset","name":"Khemisset","kind":"province"}
{"command":"register_area","handle":"@maaziz","name":"Maaziz","kind":"commune","parent":"@khemisset"}
{"command":"register_area","handle":"@tiflet","name":"Tiflet","kind":"commune","parent":"@khemisset"}
{"command":"found_body","handle":"@adep","name":"Democratic Association of Progressive Elected Officials","kind":"association","founded_on":"2000"}
{"command":"found_body","handle":"@coord","name":"Khemisset coordination","kind":"provincial-coordination","parent":"@adep","area":"@khemisset","founded_on":"2017-01-07"}
{"command":"establish_post","handle":"@coordinator","body":"@coord","title":"provincial coordinator","seats":1}
{"command":"establish_post","handle":"@member","body":"@coord","title":"member","seats":2}
{"command":"register_person","handle":"@achraf","name":"Achraf Chahboun","gender":"male"}
{"command":"register_person","handle":"@fatima","name":"Fatima Qassioui","gender":"female"}
{"command":"register_person","handle":"@hamid","name":"Hamid Haddadi"}
{"command":"convene_assembly","handle":"@founding","body":"@coord","kind":"founding_general_assembly","held_on":"2017-01-07"}
"#;

pub fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date")
}

pub fn parse_commands(lines: &str) -> Vec<Command> {
    lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad command {l}: {e}")))
        .collect()
}

impl World {
    pub fn new() -> World {
        World {
            registry: Registry::new(),
            ids: SequentialIds::new(),
            events: Vec::new(),
            issued: 0,
        }
    }

    /// A world where `lines` (JSON commands) were recorded, in one batch each.
    pub fn given(lines: &str) -> World {
        let mut world = World::new();
        world.run(lines);
        world
    }

    pub fn base() -> World {
        World::given(BASE)
    }

    /// The same world (ids still to mint, events so far) over another state, for comparing
    /// two states that should behave the same.
    pub fn fork_with(&self, registry: Registry) -> World {
        World {
            registry,
            ids: self.ids.clone(),
            events: self.events.clone(),
            issued: self.issued,
        }
    }

    /// Records each command; panics on a refusal (the given part of a test must hold).
    pub fn run(&mut self, lines: &str) -> &mut World {
        for command in parse_commands(lines) {
            if let Err(e) = self.try_command(&command) {
                panic!(
                    "given command {} refused: {e}",
                    serde_json::to_string(&command).unwrap_or_default()
                );
            }
        }
        self
    }

    pub fn try_command(
        &mut self,
        command: &Command,
    ) -> Result<Vec<Event>, sijill_domain::DomainError> {
        let mut ids = CountingIds {
            inner: &mut self.ids,
            issued: &mut self.issued,
        };
        let mut ctx = Context::new(at(), &mut ids);
        let events = decide(&self.registry, command, &mut ctx)?;
        for event in &events {
            sijill_domain::apply(&mut self.registry, event);
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    /// Decides `line` (one JSON command) and shows the events (applied) or the error.
    pub fn when(&mut self, line: &str) -> String {
        let command: Command =
            serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("bad command: {e}"));
        match self.try_command(&command) {
            Ok(events) => events
                .iter()
                .map(|e| self.show_event(e))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(error) => format!("error[{}]: {error}", error.code()),
        }
    }

    /// Decides a batch of commands; shows the events or the batch error.
    pub fn when_batch(&mut self, lines: &str) -> String {
        let commands = parse_commands(lines);
        let mut ids = CountingIds {
            inner: &mut self.ids,
            issued: &mut self.issued,
        };
        let mut ctx = Context::new(at(), &mut ids);
        match decide_batch(&self.registry, &commands, &mut ctx) {
            Ok((events, state)) => {
                self.registry = state;
                self.events.extend(events.iter().cloned());
                events
                    .iter()
                    .map(|e| self.show_event(e))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Err(error) => format!("error[{}]: {error}", error.error.code()),
        }
    }

    pub fn show_event(&self, event: &Event) -> String {
        self.short(&serde_json::to_string(event).unwrap_or_default())
    }

    /// Replaces sequential UUIDs by `#n`.
    pub fn short(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for n in (1..=self.issued).rev() {
            text = text.replace(&SequentialIds::nth(n).to_string(), &format!("#{n}"));
        }
        text
    }

    pub fn id(&self, handle: &str) -> EntityId {
        let reference = EntityRef::parse(handle).expect("a handle");
        self.registry
            .resolve(&reference)
            .unwrap_or_else(|| panic!("{handle} not found"))
    }

    /// Pretty JSON of a query result, ids shortened.
    pub fn show<T: serde::Serialize>(&self, value: &T) -> String {
        self.short(&serde_json::to_string_pretty(value).unwrap_or_default())
    }

    /// A single line of JSON, ids shortened.
    pub fn line<T: serde::Serialize>(&self, value: &T) -> String {
        self.short(&serde_json::to_string(value).unwrap_or_default())
    }
}

struct CountingIds<'a> {
    inner: &'a mut SequentialIds,
    issued: &'a mut u64,
}

impl sijill_domain::IdSource for CountingIds<'_> {
    fn next_uuid(&mut self) -> uuid::Uuid {
        *self.issued += 1;
        self.inner.next_uuid()
    }
}
