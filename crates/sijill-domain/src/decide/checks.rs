//! Date rules shared by several commands.
//!
//! Two standards, on purpose:
//! - "surely wrong" rules (an end before its start, a mandate outside its body's life, a
//!   date before the assembly that decided it) refuse only when every reading of the dates
//!   breaks the rule, so an uncertain founding date (`2016-12-11/2017-06`) does not block a
//!   mandate recorded with the same uncertain date;
//! - "never exceeded" rules (a post's seats, the same post twice at once) refuse when some
//!   reading of the dates would break them: uncertain dates are checked conservatively, and
//!   the error says so.

use crate::date::EdtfDate;
use crate::error::DomainError;
use crate::ids::{BodyId, MandateId, PersonId};
use crate::registry::{Assembly, Body, Mandate, Post, Registry, Slot};
use crate::span::{self, show_day, stated_hi, stated_lo, surely_before, Occupancy, NEG};

/// Where a mandate may sit in time.
pub(crate) fn occupancy(from: &EdtfDate, to: Option<&EdtfDate>) -> Occupancy {
    Occupancy::new(Some(from), to)
}

pub(crate) fn mandate_occupancy(m: &Mandate) -> Occupancy {
    occupancy(&m.from, m.to())
}

fn show_opt(date: Option<&EdtfDate>) -> String {
    date.map_or_else(|| "unknown".to_owned(), EdtfDate::to_string)
}

/// A body's life for messages: "founded 2016-12, dissolved 2020" / "founded unknown, active".
pub(crate) fn body_life(body: &Body) -> String {
    let founded = show_opt(body.founded_on.as_ref());
    match &body.dissolution {
        Some(d) => format!("founded {founded}, dissolved {}", d.on),
        None => format!("founded {founded}, still active"),
    }
}

fn post_life(post: &Post) -> String {
    let established = show_opt(post.established_on.as_ref());
    match &post.abolition {
        Some(a) => format!("established {established}, abolished {}", a.on),
        None => format!("established {established}, not abolished"),
    }
}

/// Refuses an end surely before its start.
pub(crate) fn end_not_before_start(
    what: impl FnOnce() -> String,
    from: &EdtfDate,
    to: &EdtfDate,
) -> Result<(), DomainError> {
    if surely_before(to, from) {
        return Err(DomainError::EndBeforeStart {
            what: what(),
            start: from.to_string(),
            end: to.to_string(),
        });
    }
    Ok(())
}

/// Refuses something dated surely before the body was founded, or (for `start`) surely on or
/// after its dissolution, or (for `end`) surely after its dissolution.
pub(crate) fn within_body_life(
    registry: &Registry,
    body: &Body,
    what: &dyn Fn() -> String,
    start: &EdtfDate,
    end: Option<&EdtfDate>,
) -> Result<(), DomainError> {
    let refuse = |date: &EdtfDate, fix: &str| DomainError::OutsideBodyLife {
        what: what(),
        date: date.to_string(),
        body: registry.label(body.id.into()),
        life: body_life(body),
        fix: fix.to_owned(),
    };
    if let Some(founded) = &body.founded_on {
        if surely_before(start, founded) {
            return Err(refuse(
                start,
                &format!("give a date on or after {founded}, or correct the founding date"),
            ));
        }
    }
    if let Some(dissolution) = &body.dissolution {
        let fix = format!(
            "give a date before {}, or correct the dissolution date",
            dissolution.on
        );
        if stated_lo(start) >= stated_hi(&dissolution.on) && stated_hi(&dissolution.on) != span::POS
        {
            return Err(refuse(start, &fix));
        }
        if let Some(end) = end {
            if surely_before(&dissolution.on, end) {
                return Err(refuse(end, &fix));
            }
        }
    }
    Ok(())
}

/// Refuses a mandate dated surely before its post was established or surely running past
/// its abolition.
pub(crate) fn within_post_life(
    registry: &Registry,
    post: &Post,
    what: &dyn Fn() -> String,
    start: &EdtfDate,
    end: Option<&EdtfDate>,
) -> Result<(), DomainError> {
    let refuse = |date: &EdtfDate, fix: String| DomainError::OutsidePostLife {
        what: what(),
        date: date.to_string(),
        post: registry.label(post.id.into()),
        life: post_life(post),
        fix,
    };
    if let Some(established) = &post.established_on {
        if surely_before(start, established) {
            return Err(refuse(
                start,
                format!("give a date on or after {established}"),
            ));
        }
    }
    if let Some(abolition) = &post.abolition {
        let fix = format!(
            "give a date no later than {}, or correct the abolition date",
            abolition.on
        );
        if surely_before(&abolition.on, start) {
            return Err(refuse(start, fix));
        }
        if let Some(end) = end {
            if surely_before(&abolition.on, end) {
                return Err(refuse(end, fix));
            }
        }
    }
    Ok(())
}

/// Refuses a mandate that surely starts before the assembly that decided it.
pub(crate) fn after_assembly(
    registry: &Registry,
    assembly: &Assembly,
    what: &dyn Fn() -> String,
    from: &EdtfDate,
) -> Result<(), DomainError> {
    if surely_before(from, &assembly.held_on) {
        return Err(DomainError::AssemblyDate {
            what: what(),
            date: from.to_string(),
            assembly: registry.label(assembly.id.into()),
            held_on: assembly.held_on.to_string(),
            fix: format!(
                "start it on or after {}, or correct the assembly's date",
                assembly.held_on
            ),
        });
    }
    Ok(())
}

/// Refuses a parent that is surely not active on `date`: founded after it, or dissolved on
/// or before it. A dissolved parent also refuses a child whose date is unknown.
pub(crate) fn parent_active(
    registry: &Registry,
    parent: &Body,
    date: Option<&EdtfDate>,
) -> Result<(), DomainError> {
    let refuse = |why: String, fix: String| DomainError::ParentNotActive {
        parent: registry.label(parent.id.into()),
        date: show_opt(date),
        why,
        fix,
    };
    if let Some(dissolution) = &parent.dissolution {
        let after = date.is_none_or(|d| stated_lo(d) >= stated_hi(&dissolution.on));
        if after {
            return Err(refuse(
                format!("it was dissolved on {}", dissolution.on),
                "choose an active parent, or give a date before its dissolution".to_owned(),
            ));
        }
    }
    if let (Some(date), Some(founded)) = (date, &parent.founded_on) {
        if surely_before(date, founded) {
            return Err(refuse(
                format!("it was founded on {founded}"),
                format!("give a date on or after {founded}"),
            ));
        }
    }
    Ok(())
}

/// A person never holds the same post twice at once (checked conservatively). Scans the
/// post's slots (dates beside ids) and the person's mandate ids, looking a mandate up only
/// to explain a refusal.
pub(crate) fn not_held_twice(
    registry: &Registry,
    person: PersonId,
    post: &Post,
    new: &Occupancy,
    exclude: Option<MandateId>,
) -> Result<(), DomainError> {
    let Some(holder) = registry.person(person) else {
        return Ok(());
    };
    // A slot's days are its mandate's possible occupancy (kept in step by `apply`).
    let clash = post.slots.iter().find(|s| {
        Some(s.mandate) != exclude
            && span::overlaps((s.lo, s.hi), new.possible)
            && holder.mandates.contains(&s.mandate)
    });
    let Some(other) = clash.and_then(|s| registry.mandate(s.mandate)) else {
        return Ok(());
    };
    let surely = mandate_occupancy(other).surely_overlaps(new);
    Err(DomainError::AlreadyHolds {
        person: registry.label(person.into()),
        post: registry.label(post.id.into()),
        mandate: registry.label(other.id.into()),
        dates: match other.to() {
            Some(to) => format!("from {} to {to}", other.from),
            None => format!("from {}", other.from),
        },
        uncertain: if surely {
            ""
        } else {
            " and the dates may overlap (uncertain dates are checked conservatively)"
        },
    })
}

/// A post's seats are never exceeded on any day the new mandate may cover. Scans the post's
/// slots (dates beside ids), looking mandates up only to explain a refusal.
pub(crate) fn seats_free(
    registry: &Registry,
    post: &Post,
    holder: PersonId,
    new: &Occupancy,
    exclude: Option<MandateId>,
) -> Result<(), DomainError> {
    let Some(limit) = post.seats.limit() else {
        return Ok(());
    };
    let limit = limit as usize;
    let (lo, hi) = new.possible;
    let overlapping: Vec<Slot> = post
        .slots
        .iter_rev()
        .filter(|s| Some(s.mandate) != exclude && s.lo < s.hi && s.lo < hi && lo < s.hi)
        .copied()
        .collect();
    if overlapping.len() < limit {
        return Ok(());
    }
    // The busiest day lies at the new mandate's start or at another mandate's start.
    let starts = overlapping
        .iter()
        .map(|s| s.lo)
        .filter(|s| *s > lo && *s < hi);
    for day in std::iter::once(lo).chain(starts) {
        let covering: Vec<&Mandate> = overlapping
            .iter()
            .filter(|s| s.lo <= day && day < s.hi)
            .filter_map(|s| registry.mandate(s.mandate))
            .collect();
        if covering.len() >= limit {
            return Err(seats_error(
                registry, post, holder, new, day, &covering, limit,
            ));
        }
    }
    Ok(())
}

fn seats_error(
    registry: &Registry,
    post: &Post,
    holder: PersonId,
    new: &Occupancy,
    day: i32,
    covering: &[&Mandate],
    limit: usize,
) -> DomainError {
    let surely = covering
        .iter()
        .filter(|m| mandate_occupancy(m).surely_overlaps(new))
        .count()
        >= limit;
    let mut holders: Vec<String> = covering
        .iter()
        .rev()
        .map(|m| registry.label(m.person.into()))
        .collect();
    holders.push(registry.label(holder.into()));
    let last = holders.pop().unwrap_or_default();
    let holders = if holders.is_empty() {
        last
    } else {
        format!("{} and {last}", holders.join(", "))
    };
    DomainError::SeatsExceeded {
        post: registry.label(post.id.into()),
        seats: limit as u32,
        date: if day == NEG {
            "some early date".to_owned()
        } else {
            show_day(day)
        },
        would: if surely { "would be" } else { "may be" },
        holders,
        uncertain: if surely {
            ""
        } else {
            " (the dates are uncertain, so they are checked conservatively)"
        },
    }
}

/// Everything a mandate's dates must satisfy, for a new mandate or a corrected one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn mandate_dates(
    registry: &Registry,
    what: &dyn Fn() -> String,
    person: PersonId,
    post: &Post,
    body: &Body,
    assembly: Option<&Assembly>,
    from: &EdtfDate,
    to: Option<&EdtfDate>,
    exclude: Option<MandateId>,
) -> Result<(), DomainError> {
    if let Some(to) = to {
        end_not_before_start(what, from, to)?;
    }
    within_body_life(registry, body, what, from, to)?;
    within_post_life(registry, post, what, from, to)?;
    if let Some(assembly) = assembly {
        after_assembly(registry, assembly, what, from)?;
    }
    let new = occupancy(from, to);
    not_held_twice(registry, person, post, &new, exclude)?;
    seats_free(registry, post, person, &new, exclude)
}

/// The bodies under `body` now (current parent), not dissolved, deepest first; guarded
/// against cycles by a visited set.
pub(crate) fn active_descendants(registry: &Registry, body: BodyId) -> Vec<BodyId> {
    let mut out = Vec::new();
    let mut visited = vec![body];
    collect_descendants(registry, body, &mut visited, &mut out);
    out
}

fn collect_descendants(
    registry: &Registry,
    body: BodyId,
    visited: &mut Vec<BodyId>,
    out: &mut Vec<BodyId>,
) {
    let Some(b) = registry.body(body) else { return };
    for child in b.children.iter() {
        let Some(c) = registry.body(*child) else {
            continue;
        };
        if c.parent() != Some(body) || c.is_dissolved() || visited.contains(child) {
            continue;
        }
        visited.push(*child);
        collect_descendants(registry, *child, visited, out);
        out.push(*child);
    }
}
