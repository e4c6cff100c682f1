//! Mandates: a person starts or stops holding a post.

use crate::command::{EndMandate, StartMandate};
use crate::error::DomainError;
use crate::event::{Event, MandateEnded, MandateStarted};
use crate::ids::{EntityId, EntityKind, EntityRef, MandateId};
use crate::registry::Registry;
use crate::values::{Appointer, Basis, Constituency};

use super::checks::{mandate_dates, within_body_life, within_post_life};
use super::meetings::check_tally;
use super::Context;

pub(super) fn start_mandate(
    registry: &Registry,
    c: &StartMandate,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    if let Some(handle) = &c.handle {
        registry.check_handle_free(handle)?;
    }
    let person = registry.person_ref(&c.person)?;
    let post = registry.post_ref(&c.post)?;
    let body = registry
        .body(post.body)
        .ok_or_else(|| DomainError::NotFound {
            kind: EntityKind::Body,
            reference: post.body.to_string(),
        })?;
    if let Some(d) = &body.dissolution {
        return Err(DomainError::BodyDissolved {
            body: body.handle.to_string(),
            on: d.on.to_string(),
            what: "mandates",
            fix: "record mandates before dissolving a body, or retract the dissolution first"
                .to_owned(),
        });
    }
    if let Some(a) = &post.abolition {
        return Err(DomainError::PostAbolished {
            post: post.handle.to_string(),
            on: a.on.to_string(),
        });
    }
    let basis = resolve_basis(registry, &c.basis)?;
    let assembly = c
        .assembly
        .as_ref()
        .map(|a| registry.assembly_ref(a))
        .transpose()?;
    let constituency = c
        .constituency
        .as_ref()
        .map(|r| resolve_constituency(registry, r))
        .transpose()?;
    let what = || format!("the mandate of {} as {}", person.handle, post.handle);
    mandate_dates(
        registry, &what, person.id, post, body, assembly, &c.from, None, None,
    )?;
    let mandate = MandateId::from_uuid(registry.mint(ctx, EntityKind::Mandate)?);
    Ok(vec![Event::MandateStarted(MandateStarted {
        mandate,
        handle: c.handle.clone(),
        person: person.id,
        post: post.id,
        body: body.id,
        from: c.from,
        basis,
        assembly: assembly.map(|a| a.id),
        constituency,
    })])
}

fn resolve_basis(
    registry: &Registry,
    basis: &Basis<EntityRef>,
) -> Result<Basis<Appointer>, DomainError> {
    if let Basis::ElectedByMajority(tally) = basis {
        check_tally(tally)?;
    }
    basis.try_map(|by| match registry.resolve(by) {
        Some(EntityId::Person(p)) => Ok(Appointer::Person(p)),
        Some(EntityId::Body(b)) => Ok(Appointer::Body(b)),
        Some(other) => Err(DomainError::WrongKind {
            reference: by.to_string(),
            expected: "a person or a body",
            found: other.kind(),
        }),
        None => Err(DomainError::NotFound {
            kind: EntityKind::Person,
            reference: by.to_string(),
        }),
    })
}

/// A constituency is an area (a commune) or a body (a chamber).
pub(super) fn resolve_constituency(
    registry: &Registry,
    reference: &EntityRef,
) -> Result<Constituency, DomainError> {
    match registry.resolve(reference) {
        Some(EntityId::Area(a)) => Ok(Constituency::Area(a)),
        Some(EntityId::Body(b)) => Ok(Constituency::Body(b)),
        Some(other) => Err(DomainError::WrongKind {
            reference: reference.to_string(),
            expected: "an area or a body",
            found: other.kind(),
        }),
        None => Err(DomainError::NotFound {
            kind: EntityKind::Area,
            reference: reference.to_string(),
        }),
    }
}

pub(super) fn end_mandate(registry: &Registry, c: &EndMandate) -> Result<Vec<Event>, DomainError> {
    let mandate = registry.mandate_ref(&c.mandate)?;
    let label = || registry.label(mandate.id.into());
    if let Some(end) = &mandate.end {
        return Err(DomainError::MandateAlreadyEnded {
            mandate: label(),
            on: end.on.to_string(),
        });
    }
    super::checks::end_not_before_start(label, &mandate.from, &c.on)?;
    if let Some(body) = registry.body(mandate.body) {
        within_body_life(registry, body, &label, &mandate.from, Some(&c.on))?;
    }
    if let Some(post) = registry.post(mandate.post) {
        within_post_life(registry, post, &label, &mandate.from, Some(&c.on))?;
    }
    Ok(vec![Event::MandateEnded(MandateEnded {
        mandate: mandate.id,
        person: mandate.person,
        post: mandate.post,
        body: mandate.body,
        on: c.on,
        reason: c.reason,
    })])
}

/// Rechecks a mandate's dates as they would stand after a correction (or after reopening
/// it, when a retraction removes its end).
pub(super) fn recheck_mandate(
    registry: &Registry,
    id: MandateId,
    from: &crate::EdtfDate,
    to: Option<&crate::EdtfDate>,
) -> Result<(), DomainError> {
    let Some(mandate) = registry.mandate(id) else {
        return Ok(());
    };
    let (Some(post), Some(body)) = (registry.post(mandate.post), registry.body(mandate.body))
    else {
        return Ok(());
    };
    let assembly = mandate.assembly.and_then(|a| registry.assembly(a));
    let what = || registry.label(id.into());
    mandate_dates(
        registry,
        &what,
        mandate.person,
        post,
        body,
        assembly,
        from,
        to,
        Some(id),
    )
}
