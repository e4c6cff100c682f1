//! From typed records to commands: handles for ids, references checked, dependency order.

use std::sync::Arc;

use crate::hash::{FastMap as HashMap, FastSet as HashSet};

use chrono::NaiveDate;
use serde::de::value::StrDeserializer;
use serde::Deserialize;

use sijill_domain::command::{
    AbolishPost, AdoptResolution, Attendee, ConveneAssembly, DissolveBody, EndMandate,
    EstablishPost, FoundBody, MoveBody, RecordAttendance, RegisterArea, RegisterPerson, RenameBody,
    StartMandate, ATTENDEES_MAX,
};
use sijill_domain::names::Code;
use sijill_domain::{
    AreaKind, AssemblyKind, Basis, BodyKind, Command, EdtfDate, EndReason, EntityRef, Gender,
    Handle, Names, Seats,
};

use sijill_store::limits::EVENT_TAGS_MAX;

use super::read::{
    AreaIn, EventIn, MembershipIn, OrganizationIn, OtherNameIn, PersonIn, PostIn, Rec, Records,
    Warnings,
};
use super::{ImportError, ImportOptions};
use crate::dates::{from_popolo, reduced};
use crate::ids::handle_for;
use crate::popolo::schema::RecordKind;
use crate::wire::WireName;

/// The kind given to an organization without a usable `classification`.
const DEFAULT_BODY_KIND: &str = "organization";
/// Attendees per `record_attendance` command: each attendee is a tag of the event, and the
/// log refuses an event with more than `EVENT_TAGS_MAX` tags (the assembly is one more).
const ATTENDEES_PER_COMMAND: usize = if ATTENDEES_MAX < EVENT_TAGS_MAX - 1 {
    ATTENDEES_MAX
} else {
    EVENT_TAGS_MAX - 1
};
/// The title of a post made for memberships that name no post and no role.
const DEFAULT_ROLE: &str = "member";

pub(crate) struct Planned {
    pub commands: Vec<Command>,
    pub paths: Vec<Arc<str>>,
    pub handles: Vec<(RecordKind, Arc<str>, Handle)>,
    pub warnings: Warnings,
}

pub(crate) fn plan(
    mut records: Records,
    options: &ImportOptions,
    file_hash: &str,
) -> Result<Planned, ImportError> {
    let warnings = std::mem::take(&mut records.warnings);
    let mut planner = Planner::new(options, file_hash, warnings);
    // A command per record, and an end for most memberships: growing past that copies
    // hundreds of megabytes of commands at national scale.
    let commands = records.areas.len()
        + records.persons.len()
        + records.organizations.len()
        + records.posts.len()
        + records.events.len()
        + 2 * records.memberships.len();
    planner.commands.reserve(commands);
    planner.paths.reserve(commands);
    planner.assign_handles(&records)?;
    planner.areas(&records.areas)?;
    planner.persons(&records.persons)?;
    planner.organizations(&records.organizations)?;
    planner.posts(&records.posts, &records.memberships)?;
    planner.events(&records.events)?;
    planner.index_endings(&records.posts, &records.organizations)?;
    planner.memberships(&records.memberships)?;
    planner.endings(&records.posts, &records.organizations)?;
    Ok(Planned {
        commands: planner.commands,
        paths: planner.paths,
        handles: planner.handles,
        warnings: planner.warnings,
    })
}

struct Planner<'o> {
    options: &'o ImportOptions,
    file_hash: &'o str,
    taken: HashSet<Handle>,
    /// Popolo id -> handle, per kind.
    ids: [HashMap<Arc<str>, Handle>; RecordKind::ALL.len()],
    /// (organization id, role) -> the post made for memberships that name no post.
    role_posts: HashMap<(String, String), Handle>,
    /// Post id -> its organization's id.
    post_orgs: HashMap<String, String>,
    /// Organization id -> dissolution date.
    dissolutions: HashMap<String, EdtfDate>,
    /// Membership index -> handle.
    mandates: Vec<Handle>,
    handles: Vec<(RecordKind, Arc<str>, Handle)>,
    commands: Vec<Command>,
    paths: Vec<Arc<str>>,
    warnings: Warnings,
}

fn invalid(path: &str, field: &str, problem: impl Into<String>) -> ImportError {
    let mut at = path.to_owned();
    if !field.is_empty() {
        crate::popolo::schema::push_key(&mut at, field);
    }
    ImportError::Invalid {
        path: at,
        problem: problem.into(),
    }
}

impl<'o> Planner<'o> {
    fn new(options: &'o ImportOptions, file_hash: &'o str, warnings: Warnings) -> Planner<'o> {
        Planner {
            options,
            file_hash,
            taken: HashSet::default(),
            ids: Default::default(),
            role_posts: HashMap::default(),
            post_orgs: HashMap::default(),
            dissolutions: HashMap::default(),
            mandates: Vec::new(),
            handles: Vec::new(),
            commands: Vec::new(),
            paths: Vec::new(),
            warnings,
        }
    }

    fn push(&mut self, path: &Arc<str>, command: impl Into<Command>) {
        self.commands.push(command.into());
        self.paths.push(Arc::clone(path));
    }

    /// Gives every record with an id its handle, kind by kind in file order; refuses a
    /// missing or repeated id.
    fn assign_handles(&mut self, records: &Records) -> Result<(), ImportError> {
        self.assign(
            RecordKind::Area,
            "area",
            &id_list(&records.areas, |r| r.id.as_deref()),
            true,
        )?;
        self.assign(
            RecordKind::Person,
            "person",
            &id_list(&records.persons, |r| r.id.as_deref()),
            true,
        )?;
        let orgs = id_list(&records.organizations, |r| r.id.as_deref());
        self.assign(RecordKind::Organization, "organization", &orgs, true)?;
        self.assign(
            RecordKind::Post,
            "post",
            &id_list(&records.posts, |r| r.id.as_deref()),
            true,
        )?;
        self.assign(
            RecordKind::Event,
            "event",
            &id_list(&records.events, |r| r.id.as_deref()),
            true,
        )?;
        let memberships = id_list(&records.memberships, |r| r.id.as_deref());
        self.assign(RecordKind::Membership, "membership", &memberships, false)?;
        for (index, (_, id)) in memberships.iter().enumerate() {
            let known: Option<Handle> =
                id.and_then(|id| self.ids[RecordKind::Membership as usize].get(id).cloned());
            // A mandate needs a handle to be ended in the same batch; the file's hash keeps
            // it apart from other files' memberships without ids.
            let handle = known.unwrap_or_else(|| {
                self.fresh(
                    "membership",
                    &format!("membership-{}-{index}", &self.file_hash[..8]),
                )
            });
            self.mandates.push(handle);
        }
        Ok(())
    }

    fn assign(
        &mut self,
        kind: RecordKind,
        word: &str,
        records: &[(&str, Option<&str>)],
        id_required: bool,
    ) -> Result<(), ImportError> {
        self.taken.reserve(records.len());
        self.handles.reserve(records.len());
        self.ids[kind as usize].reserve(records.len());
        for (path, id) in records {
            let Some(id) = id else {
                if id_required {
                    return Err(invalid(
                        path,
                        "id",
                        format!("is missing: every {word} needs an id, which becomes its handle"),
                    ));
                }
                continue;
            };
            if self.ids[kind as usize].contains_key(*id) {
                // Rare: the first record with this id is looked for only to say where it is.
                let first = records.iter().find(|(_, other)| other == &Some(*id));
                let first = first.map_or("", |(first, _)| *first);
                return Err(invalid(
                    path,
                    "id",
                    format!("`{id}` is already the id of {first}; ids must be unique"),
                ));
            }
            let handle = self.fresh(word, id);
            let id: Arc<str> = Arc::from(*id);
            self.handles.push((kind, Arc::clone(&id), handle.clone()));
            self.ids[kind as usize].insert(id, handle);
        }
        Ok(())
    }

    fn fresh(&mut self, word: &str, id: &str) -> Handle {
        let handle = handle_for(word, id, |h| self.taken.contains(h));
        self.taken.insert(handle.clone());
        handle
    }

    /// A reference to a record of the file, or the exact reason it does not resolve.
    fn reference(
        &self,
        kind: RecordKind,
        id: &str,
        path: &str,
        field: &str,
    ) -> Result<EntityRef, ImportError> {
        match self.ids[kind as usize].get(id) {
            Some(handle) => Ok(EntityRef::Handle(handle.clone())),
            None => Err(invalid(
                path,
                field,
                format!(
                    "refers to `{id}`, but no `{}[].id` in the file is `{id}`",
                    kind.key()
                ),
            )),
        }
    }

    fn optional_reference(
        &self,
        kind: RecordKind,
        id: Option<&str>,
        path: &str,
        field: &str,
    ) -> Result<Option<EntityRef>, ImportError> {
        id.map(|id| self.reference(kind, id, path, field))
            .transpose()
    }

    fn handle(&self, kind: RecordKind, id: Option<&str>) -> Handle {
        let id = id.expect("records of this kind were refused without an id");
        self.ids[kind as usize][id].clone()
    }

    fn areas(&mut self, areas: &[Rec<AreaIn>]) -> Result<(), ImportError> {
        let order = parents_first(
            areas,
            |a| a.value.parent_id.as_deref(),
            |a| a.value.id.as_deref(),
            "parent_id",
        )?;
        for rec in order.into_iter().map(|i| &areas[i]) {
            let area = &rec.value;
            let kind = match &area.classification {
                None => AreaKind::Other,
                Some(c) => AreaKind::from_wire(&c.to_lowercase()).unwrap_or_else(|| {
                    self.warnings.add(
                        "areas",
                        "classification",
                        &format!("{}.classification", rec.path),
                    );
                    AreaKind::Other
                }),
            };
            let code = area.identifier.as_deref().and_then(|c| Code::new(c).ok());
            if area.identifier.is_some() && code.is_none() {
                self.warnings
                    .add("areas", "identifier", &format!("{}.identifier", rec.path));
            }
            let command = RegisterArea {
                handle: self.handle(RecordKind::Area, area.id.as_deref()),
                name: names(area.name.as_deref(), &area.other_names, &rec.path)?,
                kind,
                parent: self.optional_reference(
                    RecordKind::Area,
                    area.parent_id.as_deref(),
                    &rec.path,
                    "parent_id",
                )?,
                code,
            };
            self.push(&rec.path, command);
        }
        Ok(())
    }

    fn persons(&mut self, persons: &[Rec<PersonIn>]) -> Result<(), ImportError> {
        for rec in persons {
            let person = &rec.value;
            let gender = person.gender.as_deref().and_then(|g| {
                let known = Gender::from_wire(&g.to_lowercase());
                if known.is_none() {
                    self.warnings
                        .add("persons", "gender", &format!("{}.gender", rec.path));
                }
                known
            });
            let command = RegisterPerson {
                handle: self.handle(RecordKind::Person, person.id.as_deref()),
                name: names(person.name.as_deref(), &person.other_names, &rec.path)?,
                gender,
            };
            self.push(&rec.path, command);
        }
        Ok(())
    }

    fn organizations(&mut self, orgs: &[Rec<OrganizationIn>]) -> Result<(), ImportError> {
        let order = parents_first(
            orgs,
            founding_parent,
            |o| o.value.id.as_deref(),
            "parent_id",
        )?;
        for &index in &order {
            self.found(
                &orgs[index],
                founding_parent(&orgs[index]).map(str::to_owned),
            )?;
        }
        for rec in orgs {
            self.renames(rec)?;
        }
        let mut moves = Vec::new();
        for rec in orgs {
            for (i, span) in rec
                .value
                .parent_history
                .iter()
                .flatten()
                .enumerate()
                .skip(1)
            {
                let path: Arc<str> =
                    Arc::from(format!("{}[\"sijill:parent_history\"][{i}]", rec.path));
                let on = span
                    .since
                    .ok_or_else(|| invalid(&path, "since", "is missing: a move needs a date"))?;
                let parent = self.optional_reference(
                    RecordKind::Organization,
                    span.parent_id.as_deref(),
                    &path,
                    "parent_id",
                )?;
                let body = EntityRef::Handle(
                    self.handle(RecordKind::Organization, rec.value.id.as_deref()),
                );
                moves.push((on, path, MoveBody { body, parent, on }));
            }
        }
        // Moves of different bodies are replayed by date: the order they happened in.
        moves.sort_by_key(|m| m.0);
        for (_, path, command) in moves {
            self.push(&path, command);
        }
        Ok(())
    }

    fn found(
        &mut self,
        rec: &Rec<OrganizationIn>,
        parent: Option<String>,
    ) -> Result<(), ImportError> {
        let org = &rec.value;
        let name = match org.name_history.as_ref().and_then(|h| h.first()) {
            Some(span) => span.name.clone(),
            None => names(org.name.as_deref(), &org.other_names, &rec.path)?,
        };
        let founded_on = date(
            &rec.path,
            ("founding_date", org.founding_date.as_deref()),
            ("sijill:founding_date", org.edtf_founding_date.as_deref()),
        )?;
        let command = FoundBody {
            handle: self.handle(RecordKind::Organization, org.id.as_deref()),
            name,
            kind: self.body_kind(org.classification.as_deref(), &rec.path),
            parent: self.optional_reference(
                RecordKind::Organization,
                parent.as_deref(),
                &rec.path,
                "parent_id",
            )?,
            area: self.optional_reference(
                RecordKind::Area,
                org.area_id.as_deref(),
                &rec.path,
                "area_id",
            )?,
            founded_on,
        };
        self.push(&rec.path, command);
        Ok(())
    }

    fn renames(&mut self, rec: &Rec<OrganizationIn>) -> Result<(), ImportError> {
        for (i, span) in rec.value.name_history.iter().flatten().enumerate().skip(1) {
            let body =
                EntityRef::Handle(self.handle(RecordKind::Organization, rec.value.id.as_deref()));
            let path: Arc<str> = Arc::from(format!("{}[\"sijill:name_history\"][{i}]", rec.path));
            self.push(
                &path,
                RenameBody {
                    body,
                    name: span.name.clone(),
                    on: span.since,
                },
            );
        }
        Ok(())
    }

    fn body_kind(&mut self, classification: Option<&str>, path: &str) -> BodyKind {
        let Some(text) = classification else {
            return BodyKind::new(DEFAULT_BODY_KIND).expect("the default kind is a valid kind");
        };
        BodyKind::new(text)
            .or_else(|_| BodyKind::new(&crate::ids::slug(text)))
            .unwrap_or_else(|_| {
                self.warnings.add(
                    "organizations",
                    "classification",
                    &format!("{path}.classification"),
                );
                BodyKind::new(DEFAULT_BODY_KIND).expect("the default kind is a valid kind")
            })
    }

    fn posts(
        &mut self,
        posts: &[Rec<PostIn>],
        memberships: &[Rec<MembershipIn>],
    ) -> Result<(), ImportError> {
        for rec in posts {
            let post = &rec.value;
            let org_id = post.organization_id.as_deref().ok_or_else(|| {
                invalid(
                    &rec.path,
                    "organization_id",
                    "is missing: sijill records every post in an organization",
                )
            })?;
            let title = match &post.names {
                Some(names) => names.clone(),
                None => post_title(post, &rec.path)?,
            };
            let command = EstablishPost {
                handle: self.handle(RecordKind::Post, post.id.as_deref()),
                body: self.reference(
                    RecordKind::Organization,
                    org_id,
                    &rec.path,
                    "organization_id",
                )?,
                title,
                seats: post.seats.unwrap_or(Seats::Unlimited),
                established_on: date(
                    &rec.path,
                    ("start_date", post.start_date.as_deref()),
                    ("sijill:start_date", post.edtf_start_date.as_deref()),
                )?,
            };
            self.push(&rec.path, command);
        }
        self.role_posts(memberships)
    }

    /// One post per (organization, role) for memberships that name no post: sijill records
    /// every mandate on a post.
    fn role_posts(&mut self, memberships: &[Rec<MembershipIn>]) -> Result<(), ImportError> {
        for rec in memberships.iter().filter(|m| m.value.post_id.is_none()) {
            let Some(org_id) = &rec.value.organization_id else {
                continue;
            };
            let role = rec.value.role.as_deref().unwrap_or(DEFAULT_ROLE).to_owned();
            if self
                .role_posts
                .contains_key(&(org_id.to_string(), role.clone()))
            {
                continue;
            }
            let body = self.reference(
                RecordKind::Organization,
                org_id,
                &rec.path,
                "organization_id",
            )?;
            let title = Names::new(&role).map_err(|e| invalid(&rec.path, "role", e.to_string()))?;
            let handle = self.fresh("post", &format!("{}-{role}", &**org_id));
            self.role_posts
                .insert((org_id.to_string(), role), handle.clone());
            let command = EstablishPost {
                handle,
                body,
                title,
                seats: Seats::Unlimited,
                established_on: None,
            };
            self.push(&rec.path, command);
        }
        Ok(())
    }

    fn events(&mut self, events: &[Rec<EventIn>]) -> Result<(), ImportError> {
        for rec in events {
            let event = &rec.value;
            let handle = self.handle(RecordKind::Event, event.id.as_deref());
            let org_id = event.organization_id.as_deref().ok_or_else(|| {
                invalid(
                    &rec.path,
                    "organization_id",
                    "is missing: sijill records every assembly as one of an organization",
                )
            })?;
            let held_on = date(
                &rec.path,
                ("start_date", event.start_date.as_deref()),
                ("sijill:start_date", event.edtf_start_date.as_deref()),
            )?
            .ok_or_else(|| {
                invalid(
                    &rec.path,
                    "start_date",
                    "is missing: an assembly needs a date (a year will do)",
                )
            })?;
            let command = ConveneAssembly {
                handle: handle.clone(),
                body: self.reference(
                    RecordKind::Organization,
                    org_id,
                    &rec.path,
                    "organization_id",
                )?,
                kind: self.assembly_kind(event.classification.as_deref(), &rec.path),
                ordinal: event.ordinal,
                held_on,
                venue: text_names(
                    event.venue.as_ref(),
                    event.location.as_deref(),
                    &rec.path,
                    "location",
                )?,
                name: text_names(
                    event.names.as_ref(),
                    event.name.as_deref(),
                    &rec.path,
                    "name",
                )?,
            };
            self.push(&rec.path, command);
            self.attendance(rec, &handle)?;
            for resolution in &event.resolutions {
                let command = AdoptResolution {
                    assembly: EntityRef::Handle(handle.clone()),
                    title: resolution.title.clone(),
                    text: resolution.text.clone(),
                    vote: resolution.vote,
                };
                self.push(&rec.path, command);
            }
        }
        Ok(())
    }

    fn assembly_kind(&mut self, classification: Option<&str>, path: &str) -> AssemblyKind {
        let Some(text) = classification else {
            return AssemblyKind::Other;
        };
        AssemblyKind::from_wire(text).unwrap_or_else(|| {
            self.warnings.add(
                "events",
                "classification",
                &format!("{path}.classification"),
            );
            AssemblyKind::Other
        })
    }

    fn attendance(&mut self, rec: &Rec<EventIn>, assembly: &Handle) -> Result<(), ImportError> {
        let mut attendees = Vec::with_capacity(rec.value.attendees.len());
        for (i, attendee) in rec.value.attendees.iter().enumerate() {
            let path = format!("{}.attendees[{i}]", rec.path);
            let id = attendee
                .id
                .as_ref()
                .ok_or_else(|| invalid(&path, "id", "is missing: an attendee is a person's id"))?;
            let person = self.reference(RecordKind::Person, id, &path, "id")?;
            attendees.push(Attendee {
                person,
                capacity: attendee.capacity.clone(),
            });
        }
        let mut rest = attendees.as_slice();
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(rest.len().min(ATTENDEES_PER_COMMAND));
            let command = RecordAttendance {
                assembly: EntityRef::Handle(assembly.clone()),
                attendees: chunk.to_vec(),
            };
            self.push(&format!("{}.attendees", rec.path).into(), command);
            rest = tail;
        }
        Ok(())
    }

    /// Which organization each post is in, and when organizations were dissolved: what
    /// tells a mandate ended by its body's dissolution.
    fn index_endings(
        &mut self,
        posts: &[Rec<PostIn>],
        orgs: &[Rec<OrganizationIn>],
    ) -> Result<(), ImportError> {
        for rec in posts {
            if let (Some(id), Some(org)) = (&rec.value.id, &rec.value.organization_id) {
                self.post_orgs.insert(id.to_string(), org.to_string());
            }
        }
        for rec in orgs {
            let org = &rec.value;
            let on = date(
                &rec.path,
                ("dissolution_date", org.dissolution_date.as_deref()),
                (
                    "sijill:dissolution_date",
                    org.edtf_dissolution_date.as_deref(),
                ),
            )?;
            if let (Some(on), Some(id)) = (on, &org.id) {
                self.dissolutions.insert(id.to_string(), on);
            }
        }
        Ok(())
    }

    /// Starts every mandate by start date (file order among equals), each followed by its
    /// end, so seats are free again before a successor starts.
    ///
    /// Only the start dates are sorted; each mandate's commands (hundreds of bytes each) are
    /// built once, in that order. A membership that cannot be planned is reported as
    /// checking every membership in file order finds it: the first one wrong, its first
    /// problem.
    fn memberships(&mut self, memberships: &[Rec<MembershipIn>]) -> Result<(), ImportError> {
        let Some(order) = start_order(memberships) else {
            return self.first_membership_error(memberships);
        };
        for index in order {
            let rec = &memberships[index];
            let Ok((start, end)) = self.mandate(index, rec) else {
                return self.first_membership_error(memberships);
            };
            self.push(&rec.path, start);
            if let Some(end) = end {
                self.push(&rec.path, end);
            }
        }
        Ok(())
    }

    /// The first error planning the memberships in file order gives; called only when one
    /// of them cannot be planned, which planning is a pure function of.
    fn first_membership_error(&self, memberships: &[Rec<MembershipIn>]) -> Result<(), ImportError> {
        for (index, rec) in memberships.iter().enumerate() {
            self.mandate(index, rec)?;
        }
        unreachable!("a membership that cannot be planned in one order cannot in another")
    }

    fn mandate(
        &self,
        index: usize,
        rec: &Rec<MembershipIn>,
    ) -> Result<(StartMandate, Option<EndMandate>), ImportError> {
        let m = &rec.value;
        let path: &str = &rec.path;
        let person_id = m.person_id.as_deref().ok_or_else(|| {
            invalid(path, "person_id", "is missing: sijill records mandates of persons (organizations belong by `parent_id`)")
        })?;
        let person = self.reference(RecordKind::Person, person_id, path, "person_id")?;
        let post = self.membership_post(rec)?;
        let from = date(
            path,
            ("start_date", m.start_date.as_deref()),
            ("sijill:start_date", m.edtf_start_date.as_deref()),
        )?
        .ok_or_else(|| {
            invalid(
                path,
                "start_date",
                "is missing: a mandate needs a start date (a year will do)",
            )
        })?;
        let handle = self.mandates[index].clone();
        let start = StartMandate {
            handle: Some(handle.clone()),
            person,
            post,
            from,
            basis: self.basis(rec)?,
            assembly: self.optional_reference(
                RecordKind::Event,
                m.assembly_id.as_deref(),
                path,
                "sijill:assembly_id",
            )?,
            constituency: self.constituency(rec)?,
        };
        let to = date(
            path,
            ("end_date", m.end_date.as_deref()),
            ("sijill:end_date", m.edtf_end_date.as_deref()),
        )?;
        let end = match to {
            None => None,
            // The body's dissolution ends the mandate itself, as it did when first recorded
            // (so retracting that dissolution would reopen it, as it would have then).
            Some(on) if self.ended_by_dissolution(rec, on)? => None,
            Some(on) => Some(EndMandate {
                mandate: EntityRef::Handle(handle),
                on,
                reason: self.end_reason(rec)?,
            }),
        };
        Ok((start, end))
    }

    /// Whether the mandate ended because its body was dissolved, on the dissolution's date.
    fn ended_by_dissolution(
        &self,
        rec: &Rec<MembershipIn>,
        on: EdtfDate,
    ) -> Result<bool, ImportError> {
        if self.end_reason(rec)? != EndReason::BodyDissolved {
            return Ok(false);
        }
        let m = &rec.value;
        let org = match m.post_id.as_deref() {
            Some(post) => self.post_orgs.get(post).map(String::as_str),
            None => m.organization_id.as_deref(),
        };
        Ok(org.and_then(|o| self.dissolutions.get(o)) == Some(&on))
    }

    fn membership_post(&self, rec: &Rec<MembershipIn>) -> Result<EntityRef, ImportError> {
        let m = &rec.value;
        let Some(post_id) = &m.post_id else {
            let org_id = m.organization_id.as_deref().ok_or_else(|| {
                invalid(
                    &rec.path,
                    "organization_id",
                    "is missing: a membership needs a `post_id` or an `organization_id`",
                )
            })?;
            let role = m.role.as_deref().unwrap_or(DEFAULT_ROLE).to_owned();
            return Ok(EntityRef::Handle(
                self.role_posts[&(org_id.to_owned(), role)].clone(),
            ));
        };
        let post = self.reference(RecordKind::Post, post_id, &rec.path, "post_id")?;
        if let Some(org_id) = &m.organization_id {
            self.reference(
                RecordKind::Organization,
                org_id,
                &rec.path,
                "organization_id",
            )?;
        }
        Ok(post)
    }

    fn basis(&self, rec: &Rec<MembershipIn>) -> Result<Basis<EntityRef>, ImportError> {
        let m = &rec.value;
        let Some(name) = m.basis.as_deref() else {
            // Popolo has no field for how a mandate was obtained: unless the importer states
            // it for the whole file, the registry records that the source does not say.
            return Ok(self
                .options
                .default_basis
                .clone()
                .unwrap_or(Basis::NotStated));
        };
        match name {
            "elected_by_majority" => {
                let tally = m.tally.ok_or_else(|| {
                    let problem = "is missing: an election by majority needs its tally {\"for\": n, \"against\": n}";
                    invalid(&rec.path, "sijill:tally", problem)
                })?;
                Ok(Basis::ElectedByMajority(tally))
            }
            "appointed" => {
                let by = m
                    .appointed_by
                    .as_deref()
                    .map(|id| self.appointer(id, &rec.path))
                    .transpose()?;
                Ok(Basis::Appointed { by })
            }
            // Every other basis is a unit variant: the domain's own wire names decide, so a
            // new kind needs no change here.
            other => Basis::<EntityRef>::deserialize(
                StrDeserializer::<serde::de::value::Error>::new(other),
            )
            .map_err(|e| {
                invalid(
                    &rec.path,
                    "sijill:basis",
                    format!("`{name}` is not a basis: {e}"),
                )
            }),
        }
    }

    /// Who appointed: a person or an organization of the file.
    fn appointer(&self, id: &str, path: &str) -> Result<EntityRef, ImportError> {
        self.reference(RecordKind::Person, id, path, "sijill:appointed_by")
            .or_else(|_| self.reference(RecordKind::Organization, id, path, "sijill:appointed_by"))
    }

    fn constituency(&self, rec: &Rec<MembershipIn>) -> Result<Option<EntityRef>, ImportError> {
        let m = &rec.value;
        match (&m.area_id, &m.on_behalf_of_id) {
            (Some(_), Some(_)) => Err(invalid(
                &rec.path,
                "on_behalf_of_id",
                "is given with `area_id`: sijill records one constituency per mandate, an area or an organization",
            )),
            (Some(area), None) => self.reference(RecordKind::Area, area, &rec.path, "area_id").map(Some),
            (None, Some(org)) => self.reference(RecordKind::Organization, org, &rec.path, "on_behalf_of_id").map(Some),
            (None, None) => Ok(None),
        }
    }

    fn end_reason(&self, rec: &Rec<MembershipIn>) -> Result<EndReason, ImportError> {
        match rec.value.end_reason.as_deref() {
            Some(name) => EndReason::from_wire(name).ok_or_else(|| {
                invalid(&rec.path, "sijill:end_reason", format!("`{name}` is not an end reason: use {}", EndReason::accepted()))
            }),
            None => self.options.default_end_reason.ok_or_else(|| {
                invalid(
                    &rec.path,
                    "end_date",
                    "is given without \"sijill:end_reason\": add one (such as \"term_expired\") or import with a default end reason",
                )
            }),
        }
    }

    /// Post abolitions, then dissolutions deepest first: both only once every mandate has ended.
    fn endings(
        &mut self,
        posts: &[Rec<PostIn>],
        orgs: &[Rec<OrganizationIn>],
    ) -> Result<(), ImportError> {
        for rec in posts {
            let post = &rec.value;
            let on = date(
                &rec.path,
                ("end_date", post.end_date.as_deref()),
                ("sijill:end_date", post.edtf_end_date.as_deref()),
            )?;
            if let Some(on) = on {
                let command = AbolishPost {
                    post: EntityRef::Handle(self.handle(RecordKind::Post, post.id.as_deref())),
                    on,
                };
                self.push(&rec.path, command);
            }
        }
        let parent_of: HashMap<&str, &str> = orgs
            .iter()
            .filter_map(|o| Some((o.value.id.as_deref()?, current_parent(&o.value)?)))
            .collect();
        let depth = |id: &str| {
            std::iter::successors(Some(id), |i| parent_of.get(i).copied())
                .take(orgs.len() + 1)
                .count()
        };
        let mut dissolved = Vec::new();
        for rec in orgs {
            let org = &rec.value;
            let on = date(
                &rec.path,
                ("dissolution_date", org.dissolution_date.as_deref()),
                (
                    "sijill:dissolution_date",
                    org.edtf_dissolution_date.as_deref(),
                ),
            )?;
            if let (Some(on), Some(id)) = (on, org.id.as_deref()) {
                dissolved.push((depth(id), on, rec));
            }
        }
        dissolved.sort_by_key(|d| std::cmp::Reverse(d.0));
        for (_, on, rec) in dissolved {
            let body =
                EntityRef::Handle(self.handle(RecordKind::Organization, rec.value.id.as_deref()));
            let note = rec.value.dissolution_note.clone();
            self.push(
                &rec.path,
                DissolveBody {
                    body,
                    on,
                    cascade: false,
                    note,
                },
            );
        }
        Ok(())
    }
}

/// Membership indexes by start date, then file order; `None` when a start date is missing
/// or invalid. The date's order is the domain's (earliest day, latest day, then the date
/// itself), with the two days computed once per membership rather than per comparison.
fn start_order(memberships: &[Rec<MembershipIn>]) -> Option<Vec<usize>> {
    let mut keys = Vec::with_capacity(memberships.len());
    for (index, rec) in memberships.iter().enumerate() {
        let m = &rec.value;
        let from = date(
            &rec.path,
            ("start_date", m.start_date.as_deref()),
            ("sijill:start_date", m.edtf_start_date.as_deref()),
        )
        .ok()??;
        let earliest = from.earliest().unwrap_or(NaiveDate::MIN);
        let latest = from.latest().unwrap_or(NaiveDate::MAX);
        keys.push((earliest, latest, from, index));
    }
    keys.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    Some(keys.into_iter().map(|(_, _, _, index)| index).collect())
}

fn id_list<T>(records: &[Rec<T>], id: impl Fn(&T) -> Option<&str>) -> Vec<(&str, Option<&str>)> {
    records.iter().map(|r| (&*r.path, id(&r.value))).collect()
}

fn founding_parent<'r>(org: &'r Rec<OrganizationIn<'_>>) -> Option<&'r str> {
    match &org.value.parent_history {
        Some(history) => history.first().and_then(|s| s.parent_id.as_deref()),
        None => org.value.parent_id.as_deref(),
    }
}

fn current_parent<'r>(org: &'r OrganizationIn<'_>) -> Option<&'r str> {
    match &org.parent_history {
        Some(history) => history.last().and_then(|s| s.parent_id.as_deref()),
        None => org.parent_id.as_deref(),
    }
}

/// Indexes of `records` ordered so each comes after its parent; refuses a loop. A parent id
/// that is not in the file is left for the reference check to report.
fn parents_first<T>(
    records: &[T],
    parent: impl Fn(&T) -> Option<&str>,
    id: impl Fn(&T) -> Option<&str>,
    field: &str,
) -> Result<Vec<usize>, ImportError>
where
    T: HasPath,
{
    let index: HashMap<&str, usize> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((id(r)?, i)))
        .collect();
    let mut state = vec![0u8; records.len()]; // 0 new, 1 on the current path, 2 placed
    let mut order = Vec::with_capacity(records.len());
    for start in 0..records.len() {
        let mut chain = Vec::new();
        let mut current = Some(start);
        while let Some(i) = current.filter(|i| state[*i] != 2) {
            if state[i] == 1 {
                return Err(invalid(
                    records[i].path(),
                    field,
                    "makes a loop: a record cannot be its own ancestor",
                ));
            }
            state[i] = 1;
            chain.push(i);
            current = parent(&records[i]).and_then(|p| index.get(p).copied());
        }
        for i in chain.into_iter().rev() {
            state[i] = 2;
            order.push(i);
        }
    }
    Ok(order)
}

pub(crate) trait HasPath {
    fn path(&self) -> &str;
}

impl<T> HasPath for Rec<T> {
    fn path(&self) -> &str {
        &self.path
    }
}

/// Multilingual names from Popolo's `name` and `other_names`. The printed name's language
/// comes from a first other name with the same text and a `lang` (as sijill exports it).
fn names(name: Option<&str>, others: &[OtherNameIn], path: &str) -> Result<Names, ImportError> {
    let name = name.ok_or_else(|| invalid(path, "name", "is missing: sijill needs a name"))?;
    let printed_lang = others
        .first()
        .filter(|o| o.name == name)
        .and_then(|o| o.lang.as_deref());
    let skip = usize::from(printed_lang.is_some());
    let field = if printed_lang.is_some() {
        "other_names[0].lang"
    } else {
        "name"
    };
    let mut names =
        Names::tagged(name, printed_lang).map_err(|e| invalid(path, field, e.to_string()))?;
    for (i, other) in others.iter().enumerate().skip(skip) {
        names = names
            .with_other(&other.name, other.lang.as_deref())
            .map_err(|e| ImportError::Invalid {
                path: format!("{path}.other_names[{i}]"),
                problem: e.to_string(),
            })?;
    }
    Ok(names)
}

fn post_title(post: &PostIn, path: &str) -> Result<Names, ImportError> {
    let label = post
        .label
        .as_deref()
        .ok_or_else(|| invalid(path, "label", "is missing: a post needs a label"))?;
    let mut title = Names::new(label).map_err(|e| invalid(path, "label", e.to_string()))?;
    for (i, other) in post.other_label.iter().enumerate() {
        title = title
            .with_other(other, None)
            .map_err(|e| ImportError::Invalid {
                path: format!("{path}.other_label[{i}]"),
                problem: e.to_string(),
            })?;
    }
    Ok(title)
}

/// Names from an extension field when present, else from a plain text field.
fn text_names(
    full: Option<&Names>,
    text: Option<&str>,
    path: &str,
    field: &str,
) -> Result<Option<Names>, ImportError> {
    match (full, text) {
        (Some(names), _) => Ok(Some(names.clone())),
        (None, Some(text)) => Names::new(text)
            .map(Some)
            .map_err(|e| invalid(path, field, e.to_string())),
        (None, None) => Ok(None),
    }
}

/// A date from its Popolo field and its `sijill:` EDTF field: the EDTF value when present
/// (then the Popolo field, if any, must be its reduced form), else the Popolo date.
fn date(
    path: &str,
    popolo: (&str, Option<&str>),
    edtf: (&str, Option<&str>),
) -> Result<Option<EdtfDate>, ImportError> {
    let (popolo_field, popolo_text) = popolo;
    let (edtf_field, edtf_text) = edtf;
    let Some(edtf_text) = edtf_text else {
        return popolo_text
            .map(|t| {
                from_popolo(t)
                    .ok_or_else(|| invalid(path, popolo_field, format!("`{t}` is not a date")))
            })
            .transpose();
    };
    let date: EdtfDate = edtf_text
        .parse()
        .map_err(|e| invalid(path, edtf_field, format!("`{edtf_text}`: {e}")))?;
    if let Some(text) = popolo_text {
        let day_part = text.split_once('T').map_or(text, |(d, _)| d);
        if reduced(&date).as_deref() != Some(day_part) {
            return Err(invalid(
                path,
                popolo_field,
                format!(
                    "`{text}` disagrees with \"{edtf_field}\" `{edtf_text}`: correct one of them"
                ),
            ));
        }
    }
    Ok(Some(date))
}
