//! Answering queries against one snapshot.

use std::cmp::Ordering;
use std::time::Duration;

use chrono::Utc;
use sijill_domain::query::{MandateView, Ref};
use sijill_domain::{AsOf, Body, EdtfDate, EntityId, EntityKind, EntityRef, Registry};

use super::*;
use crate::engine::{Engine, Snapshot};
use crate::error::EngineError;
use crate::history::HistoryEntry;
use crate::limits::HISTORY_PAGE_MAX;

impl Engine {
    /// Answers `query` from the latest state (or the state as recorded at its
    /// `as_recorded_at`).
    pub async fn query(&self, query: &Query) -> Result<Answer, EngineError> {
        self.answer(query, self.snapshot()).await
    }

    /// Answers `query` once the state includes `min_position` (read-your-writes), waiting
    /// at most `timeout`.
    pub async fn query_after(
        &self,
        query: &Query,
        min_position: u64,
        timeout: Duration,
    ) -> Result<Answer, EngineError> {
        let latest = self.wait_for(min_position, timeout).await?;
        self.answer(query, latest).await
    }

    async fn answer(&self, query: &Query, latest: Snapshot) -> Result<Answer, EngineError> {
        let snapshot = match query.as_recorded_at() {
            Some(position) if position != latest.position => self.as_recorded_at(position).await?,
            _ => latest,
        };
        let as_of = match query.as_of() {
            Some(date) => *date,
            None => EdtfDate::from_naive(Utc::now().date_naive()),
        };
        let asked = Asked {
            engine: self,
            snapshot: &snapshot,
            at: AsOf::date(as_of),
            recorded: query.as_recorded_at(),
        };
        let data = asked.data(query).await?;
        Ok(Answer {
            position: snapshot.position,
            as_of,
            as_recorded_at: query.as_recorded_at(),
            data,
        })
    }
}

/// One query's context: the state it reads and the date it asks about.
struct Asked<'a> {
    engine: &'a Engine,
    snapshot: &'a Snapshot,
    at: AsOf,
    recorded: Option<u64>,
}

impl Asked<'_> {
    fn registry(&self) -> &Registry {
        &self.snapshot.registry
    }

    async fn data(&self, query: &Query) -> Result<Data, EngineError> {
        let registry = self.registry();
        Ok(match query {
            Query::Tree { .. } => Data::Tree(self.snapshot.tree_index().tree(&self.at)),
            Query::Bodies { offset, limit, .. } => Data::Bodies(self.bodies(*offset, *limit)?),
            Query::Body { body, .. } => Data::Body(self.body(body)?),
            Query::Roster { body, .. } => {
                let id = self.expect(body, EntityKind::Body, "roster")?;
                let EntityId::Body(b) = id else {
                    unreachable!("expect checked the kind")
                };
                Data::Roster(RosterAnswer {
                    body: registry.reference(id),
                    entries: registry.roster(b, &self.at),
                })
            }
            Query::Persons { offset, limit, .. } => Data::Persons(self.persons(*offset, *limit)?),
            Query::Person { person, .. } => Data::Person(self.person(person)?),
            Query::Areas { offset, limit, .. } => Data::Areas(self.areas(*offset, *limit)?),
            Query::Assemblies { offset, limit, .. } => {
                Data::Assemblies(self.assemblies(*offset, *limit)?)
            }
            Query::Assembly { assembly, .. } => Data::Assembly(self.assembly(assembly)?),
            Query::Mandates { offset, limit, .. } => {
                Data::Mandates(self.mandates(*offset, *limit)?)
            }
            Query::Mandate { mandate, .. } => Data::Mandate(self.mandate(mandate)?),
            Query::History {
                entity,
                from,
                limit,
                ..
            } => Data::History(self.history(entity, *from, *limit).await?),
            Query::Audit { entity, .. } => Data::Audit(self.audit(entity).await?),
            Query::Vacancies { offset, limit, .. } => {
                let limit = page_limit(*limit)?;
                let vacancies = registry.vacancies(&self.at);
                let total = vacancies.len();
                let items = vacancies.into_iter().skip(*offset).take(limit).collect();
                Data::Vacancies(Paged {
                    offset: *offset,
                    limit,
                    total,
                    items,
                })
            }
            Query::Representation { body, .. } => {
                let id = self.expect(body, EntityKind::Body, "representation")?;
                let EntityId::Body(b) = id else {
                    unreachable!("expect checked the kind")
                };
                let found = registry.representation(b, &self.at);
                Data::Representation(found.ok_or_else(|| self.not_found(body))?)
            }
            Query::Search { text, limit, .. } => Data::Search(self.search(text, *limit)?),
            Query::Log { from, limit, .. } => Data::Log(self.log(*from, *limit).await?),
            Query::Stats { .. } => Data::Stats(self.stats().await?),
            Query::Verify { from, to, .. } => Data::Verify(self.verify(*from, *to).await?),
        })
    }

    /// The entity a reference names in this state.
    fn resolve(&self, reference: &EntityRef) -> Result<EntityId, EngineError> {
        self.registry()
            .resolve(reference)
            .ok_or_else(|| self.not_found(reference))
    }

    /// The entity a reference names, which must be of `kind` for `query`.
    fn expect(
        &self,
        reference: &EntityRef,
        kind: EntityKind,
        query: &str,
    ) -> Result<EntityId, EngineError> {
        let id = self.resolve(reference)?;
        if id.kind() != kind {
            let message = format!(
                "`{reference}` is a {}, but {query} needs a {kind}",
                id.kind()
            );
            return Err(EngineError::bad_request(message));
        }
        Ok(id)
    }

    fn not_found(&self, reference: &EntityRef) -> EngineError {
        let when = match self.recorded {
            Some(position) => format!(" as recorded at position {position}"),
            None => String::new(),
        };
        EngineError::NotFound {
            what: format!("entity `{reference}`{when}"),
            hint: "check the handle or id; find valid handles with `sijill search TEXT`".to_owned(),
        }
    }

    fn bodies(
        &self,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Paged<BodySummary>, EngineError> {
        let bodies: Vec<&Body> = self.registry().bodies().collect();
        let page = page_of(bodies, |a, b| a.handle.cmp(&b.handle), offset, limit)?;
        Ok(page.map(|b| self.body_summary(b)))
    }

    fn body_summary(&self, body: &Body) -> BodySummary {
        let registry = self.registry();
        BodySummary {
            body: registry.reference(body.id.into()),
            kind: body.kind.clone(),
            parent: parent_as_of(body, &self.at).map(|p| registry.reference(p.into())),
            founded_on: body.founded_on,
            dissolved_on: body.dissolution.as_ref().map(|d| d.on),
        }
    }

    fn body(&self, reference: &EntityRef) -> Result<BodyDetail, EngineError> {
        let registry = self.registry();
        let EntityId::Body(id) = self.expect(reference, EntityKind::Body, "body")? else {
            unreachable!("expect checked the kind")
        };
        let body = registry.body(id).ok_or_else(|| self.not_found(reference))?;
        let refs = |ids: &mut dyn Iterator<Item = EntityId>| {
            ids.map(|id| registry.reference(id)).collect()
        };
        Ok(BodyDetail {
            summary: self.body_summary(body),
            area: body.area.map(|a| registry.reference(a.into())),
            names: body
                .names
                .iter()
                .map(|s| DatedName {
                    since: s.since,
                    name: s.value.clone(),
                })
                .collect(),
            posts: body
                .posts
                .iter()
                .filter_map(|p| registry.post(*p))
                .map(|p| post_view(registry, p))
                .collect(),
            children: refs(&mut body.children.iter().map(|c| EntityId::from(*c))),
            assemblies: refs(&mut body.assemblies.iter().map(|a| EntityId::from(*a))),
        })
    }

    fn persons(
        &self,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Paged<PersonSummary>, EngineError> {
        let people: Vec<_> = self.registry().people().collect();
        let page = page_of(people, |a, b| a.handle.cmp(&b.handle), offset, limit)?;
        Ok(page.map(|p| PersonSummary {
            person: self.registry().reference(p.id.into()),
            gender: p.gender,
            mandates: p.mandates.len(),
        }))
    }

    fn person(&self, reference: &EntityRef) -> Result<PersonDetail, EngineError> {
        let registry = self.registry();
        let EntityId::Person(id) = self.expect(reference, EntityKind::Person, "person")? else {
            unreachable!("expect checked the kind")
        };
        let person = registry
            .person(id)
            .ok_or_else(|| self.not_found(reference))?;
        Ok(PersonDetail {
            person: registry.reference(id.into()),
            gender: person.gender,
            mandates: registry.person_mandates(id),
            attended: person
                .attended
                .iter()
                .map(|a| registry.reference((*a).into()))
                .collect(),
        })
    }

    fn areas(
        &self,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Paged<AreaSummary>, EngineError> {
        let areas: Vec<_> = self.registry().areas().collect();
        let page = page_of(areas, |a, b| a.handle.cmp(&b.handle), offset, limit)?;
        Ok(page.map(|a| AreaSummary {
            area: self.registry().reference(a.id.into()),
            kind: a.kind,
            parent: a.parent.map(|p| self.registry().reference(p.into())),
            code: a.code.clone(),
        }))
    }

    fn assemblies(
        &self,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Paged<AssemblySummary>, EngineError> {
        let assemblies: Vec<_> = self.registry().assemblies().collect();
        let page = page_of(assemblies, |a, b| a.handle.cmp(&b.handle), offset, limit)?;
        Ok(page.map(|a| assembly_summary(self.registry(), a)))
    }

    fn assembly(&self, reference: &EntityRef) -> Result<AssemblyDetail, EngineError> {
        let EntityId::Assembly(id) = self.expect(reference, EntityKind::Assembly, "assembly")?
        else {
            unreachable!("expect checked the kind")
        };
        assembly_detail(self.registry(), id).ok_or_else(|| self.not_found(reference))
    }

    fn mandates(
        &self,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Paged<MandateView>, EngineError> {
        let mandates: Vec<_> = self.registry().mandates().collect();
        let page = page_of(
            mandates,
            |a, b| a.recorded_at().cmp(&b.recorded_at()),
            offset,
            limit,
        )?;
        Ok(page.map(|m| self.registry().mandate_view(m)))
    }

    fn mandate(&self, reference: &EntityRef) -> Result<MandateView, EngineError> {
        let EntityId::Mandate(id) = self.expect(reference, EntityKind::Mandate, "mandate")? else {
            unreachable!("expect checked the kind")
        };
        let mandate = self
            .registry()
            .mandate(id)
            .ok_or_else(|| self.not_found(reference))?;
        Ok(self.registry().mandate_view(mandate))
    }

    /// History also reaches entities that no longer exist (retracted), by UUID: their audit
    /// trail outlives them.
    fn resolve_for_history(&self, reference: &EntityRef) -> Result<EntityId, EngineError> {
        if let Some(id) = self.registry().resolve(reference) {
            return Ok(id);
        }
        let EntityRef::Id(uuid) = reference else {
            return Err(self.not_found(reference));
        };
        let kinds = [
            EntityKind::Person,
            EntityKind::Body,
            EntityKind::Mandate,
            EntityKind::Post,
            EntityKind::Area,
            EntityKind::Assembly,
        ];
        kinds
            .into_iter()
            .map(|kind| EntityId::new(kind, *uuid))
            .find(|id| !self.registry().positions_of(*id).is_empty())
            .ok_or_else(|| self.not_found(reference))
    }

    async fn history(
        &self,
        reference: &EntityRef,
        from: u64,
        limit: Option<usize>,
    ) -> Result<HistoryAnswer, EngineError> {
        let id = self.resolve_for_history(reference)?;
        let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
        let entries = self.engine.history(id, self.snapshot, from, limit).await?;
        let next = entries
            .last()
            .map(|e| e.position)
            .filter(|last| self.registry().positions_of(id).iter().any(|p| p > last))
            .map(|last| last + 1);
        Ok(HistoryAnswer {
            entity: self.registry().reference(id),
            entries,
            next,
        })
    }

    async fn audit(&self, reference: &EntityRef) -> Result<Audit, EngineError> {
        let id = self.resolve(reference)?;
        match id {
            EntityId::Mandate(m) => Ok(Audit::Mandate(self.mandate_audit(m).await?)),
            EntityId::Person(p) => Ok(Audit::Person(self.person_audit(p).await?)),
            other => {
                let message = format!(
                    "audit explains a mandate or a person, and `{reference}` is a {}: see its events with `sijill history {reference}`",
                    other.kind()
                );
                Err(EngineError::bad_request(message))
            }
        }
    }

    async fn mandate_audit(
        &self,
        id: sijill_domain::MandateId,
    ) -> Result<MandateAudit, EngineError> {
        let registry = self.registry();
        let mandate = registry
            .mandate(id)
            .ok_or_else(|| self.not_found(&EntityRef::Id(id.as_uuid())))?;
        let (provenance, provenance_complete) = self.provenance(id.into()).await?;
        Ok(MandateAudit {
            mandate: registry.mandate_view(mandate),
            assembly: mandate.assembly.and_then(|a| assembly_detail(registry, a)),
            provenance,
            provenance_complete,
        })
    }

    async fn person_audit(&self, id: sijill_domain::PersonId) -> Result<PersonAudit, EngineError> {
        let registry = self.registry();
        let person = registry
            .person(id)
            .ok_or_else(|| self.not_found(&EntityRef::Id(id.as_uuid())))?;
        let mut mandates = Vec::with_capacity(person.mandates.len());
        for view in registry.person_mandates(id) {
            let EntityId::Mandate(m) = EntityId::new(EntityKind::Mandate, view.mandate.id) else {
                continue;
            };
            mandates.push(self.mandate_audit(m).await?);
        }
        let (provenance, provenance_complete) = self.provenance(id.into()).await?;
        Ok(PersonAudit {
            person: registry.reference(id.into()),
            gender: person.gender,
            mandates,
            provenance,
            provenance_complete,
        })
    }

    /// Up to `HISTORY_PAGE_MAX` history entries, and whether that is all of them.
    async fn provenance(&self, id: EntityId) -> Result<(Vec<HistoryEntry>, bool), EngineError> {
        let entries = self
            .engine
            .history(id, self.snapshot, 1, HISTORY_PAGE_MAX)
            .await?;
        let complete = self.registry().positions_of(id).len() <= entries.len();
        Ok((entries, complete))
    }

    fn search(
        &self,
        text: &str,
        limit: Option<usize>,
    ) -> Result<Vec<sijill_domain::query::SearchHit>, EngineError> {
        let limit = limit.unwrap_or(SEARCH_LIMIT_DEFAULT);
        if limit == 0 || limit > SEARCH_LIMIT_MAX {
            let message = format!("search returns 1 to {SEARCH_LIMIT_MAX} results, not {limit}");
            return Err(EngineError::bad_request(message));
        }
        let chars = text.chars().count();
        if text.trim().is_empty() || chars > SEARCH_TEXT_LEN_MAX {
            let message = format!(
                "search text must hold 1 to {SEARCH_TEXT_LEN_MAX} characters besides spaces"
            );
            return Err(EngineError::bad_request(message));
        }
        Ok(self.registry().search(text, limit))
    }

    async fn log(&self, from: u64, limit: Option<usize>) -> Result<LogAnswer, EngineError> {
        let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
        if limit == 0 || limit > LOG_LIMIT_MAX {
            let message = format!("a log page holds 1 to {LOG_LIMIT_MAX} events, not {limit}");
            return Err(EngineError::bad_request(message));
        }
        let from = from.max(1);
        let end = self.snapshot.position;
        if from > end {
            return Ok(LogAnswer {
                entries: Vec::new(),
                next: None,
            });
        }
        let want = usize::try_from(end - from + 1)
            .unwrap_or(usize::MAX)
            .min(limit);
        let stored = self.engine.store().read(from, want).await?;
        let entries = stored
            .iter()
            .filter(|e| e.position() <= end)
            .map(|e| HistoryEntry::new(e, self.registry()))
            .collect::<Result<Vec<_>, _>>()?;
        let next = entries
            .last()
            .map(|e| e.position + 1)
            .filter(|next| *next <= end);
        Ok(LogAnswer { entries, next })
    }

    async fn stats(&self) -> Result<Stats, EngineError> {
        let [areas, persons, bodies, posts, assemblies, mandates] = self.registry().counts();
        let position = self.snapshot.position;
        let head_hash = match position {
            0 => None,
            _ => self
                .engine
                .store()
                .read(position, 1)
                .await?
                .first()
                .map(|e| sijill_store::hash_to_hex(&e.hash())),
        };
        Ok(Stats {
            events: position,
            head_hash,
            areas,
            persons,
            bodies,
            posts,
            assemblies,
            mandates,
        })
    }

    async fn verify(
        &self,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<VerifyAnswer, EngineError> {
        let to = match (to, self.recorded) {
            (Some(to), Some(p)) => Some(to.min(p)),
            (to, recorded) => to.or(recorded),
        };
        let report = self.engine.store().verify(from.unwrap_or(1), to).await?;
        Ok(VerifyAnswer {
            from: report.from,
            to: report.to,
            checked: report.checked,
            ok: report.is_ok(),
            first_bad: report.first_bad.map(|b| BadLink {
                position: b.position,
                problem: b.problem.to_string(),
            }),
        })
    }
}

impl<T> Paged<T> {
    fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            offset: self.offset,
            limit: self.limit,
            total: self.total,
            items: self.items.into_iter().map(f).collect(),
        }
    }
}

fn page_limit(limit: Option<usize>) -> Result<usize, EngineError> {
    let limit = limit.unwrap_or(PAGE_LIMIT_DEFAULT);
    if limit == 0 || limit > PAGE_LIMIT_MAX {
        let message = format!("a page holds 1 to {PAGE_LIMIT_MAX} items, not {limit}: ask for more pages with `offset`");
        return Err(EngineError::bad_request(message));
    }
    Ok(limit)
}

/// One page of `items` in `order`, without sorting the whole list: selecting the first
/// `offset + limit` is linear, which matters on a national registry.
fn page_of<T>(
    mut items: Vec<T>,
    order: impl Fn(&T, &T) -> Ordering,
    offset: usize,
    limit: Option<usize>,
) -> Result<Paged<T>, EngineError> {
    let limit = page_limit(limit)?;
    let total = items.len();
    let end = offset.saturating_add(limit).min(total);
    if end == 0 {
        return Ok(Paged {
            offset,
            limit,
            total,
            items: Vec::new(),
        });
    }
    if end < total {
        items.select_nth_unstable_by(end - 1, &order);
        items.truncate(end);
    }
    items.sort_unstable_by(&order);
    let items = items.into_iter().skip(offset).collect();
    Ok(Paged {
        offset,
        limit,
        total,
        items,
    })
}

/// The parent a body had on the last day `as_of` may denote (its first, when open-ended).
fn parent_as_of(body: &Body, as_of: &AsOf) -> Option<sijill_domain::BodyId> {
    let date = as_of.as_date();
    let day = date.latest().or_else(|| date.earliest());
    body.parents
        .iter()
        .rev()
        .find(
            |span| match (span.since.as_ref().and_then(EdtfDate::earliest), day) {
                (None, _) | (_, None) => true,
                (Some(since), Some(day)) => since <= day,
            },
        )
        .and_then(|span| span.value)
}

fn post_view(registry: &Registry, post: &sijill_domain::Post) -> PostView {
    PostView {
        post: registry.reference(post.id.into()),
        seats: post.seats,
        established_on: post.established_on,
        abolished_on: post.abolition.as_ref().map(|a| a.on),
    }
}

fn assembly_summary(registry: &Registry, assembly: &sijill_domain::Assembly) -> AssemblySummary {
    AssemblySummary {
        assembly: registry.reference(assembly.id.into()),
        body: registry.reference(assembly.body.into()),
        kind: assembly.kind,
        ordinal: assembly.ordinal,
        held_on: assembly.held_on,
    }
}

fn assembly_detail(registry: &Registry, id: sijill_domain::AssemblyId) -> Option<AssemblyDetail> {
    let assembly = registry.assembly(id)?;
    let person = |p: sijill_domain::PersonId| -> Ref { registry.reference(p.into()) };
    Some(AssemblyDetail {
        summary: assembly_summary(registry, assembly),
        venue: assembly.venue().cloned(),
        attendance: assembly
            .attendance()
            .iter()
            .map(|a| Attendee {
                person: person(a.person),
                capacity: a.capacity.clone(),
            })
            .collect(),
        resolutions: assembly
            .resolutions
            .iter()
            .zip(registry.resolution_positions(id))
            .map(|(r, position)| ResolutionView {
                title: r.title.clone(),
                text: r.text.clone(),
                vote: r.vote,
                position,
            })
            .collect(),
        mandates: assembly
            .mandates()
            .iter()
            .filter_map(|m| registry.mandate(*m))
            .map(|m| registry.mandate_view(m))
            .collect(),
    })
}
