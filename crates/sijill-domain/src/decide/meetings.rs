//! Assemblies: convening them, recording who attended, adopting resolutions.

use crate::command::{AdoptResolution, ConveneAssembly, RecordAttendance, ATTENDEES_MAX};
use crate::error::DomainError;
use crate::event::{AssemblyConvened, Attendance, AttendanceRecorded, Event, ResolutionAdopted};
use crate::ids::{AssemblyId, EntityKind};
use crate::registry::Registry;
use crate::span::{stated_hi, stated_lo, surely_before};
use crate::values::{Tally, Vote, VOTES_MAX};

use super::checks::body_life;
use super::Context;

pub(super) fn convene_assembly(
    registry: &Registry,
    c: &ConveneAssembly,
    ctx: &mut Context<'_>,
) -> Result<Vec<Event>, DomainError> {
    registry.check_handle_free(&c.handle)?;
    let body = registry.body_ref(&c.body)?;
    let refuse = |fix: String| DomainError::OutsideBodyLife {
        what: format!("assembly {}", c.handle),
        date: c.held_on.to_string(),
        body: body.handle.to_string(),
        life: body_life(body),
        fix,
    };
    if let Some(founded) = &body.founded_on {
        if surely_before(&c.held_on, founded) {
            return Err(refuse(format!(
                "hold it on or after {founded}, or correct the founding date"
            )));
        }
    }
    // An assembly may meet on the day its body is dissolved (it may be what dissolves it).
    if let Some(d) = &body.dissolution {
        if stated_lo(&c.held_on) > stated_hi(&d.on) {
            return Err(DomainError::BodyDissolved {
                body: body.handle.to_string(),
                on: d.on.to_string(),
                what: "assemblies",
                fix: format!(
                    "give a date no later than {}, or retract the dissolution",
                    d.on
                ),
            });
        }
    }
    let assembly = AssemblyId::from_uuid(registry.mint(ctx, EntityKind::Assembly)?);
    Ok(vec![Event::AssemblyConvened(AssemblyConvened {
        assembly,
        handle: c.handle.clone(),
        body: body.id,
        kind: c.kind,
        ordinal: c.ordinal,
        held_on: c.held_on,
        venue: c.venue.clone(),
        name: c.name.clone(),
    })])
}

pub(super) fn record_attendance(
    registry: &Registry,
    c: &RecordAttendance,
) -> Result<Vec<Event>, DomainError> {
    let assembly = registry.assembly_ref(&c.assembly)?;
    if c.attendees.is_empty() || c.attendees.len() > ATTENDEES_MAX {
        return Err(DomainError::AttendanceSize {
            count: c.attendees.len(),
            max: ATTENDEES_MAX,
        });
    }
    let mut attendees: Vec<Attendance> = Vec::with_capacity(c.attendees.len());
    for attendee in &c.attendees {
        let person = registry.person_ref(&attendee.person)?;
        let listed = attendees.iter().any(|a| a.person == person.id);
        let recorded = assembly.attendance().iter().any(|e| e.person == person.id);
        if listed || recorded {
            return Err(DomainError::AlreadyAttended {
                person: person.handle.to_string(),
                assembly: assembly.handle.to_string(),
            });
        }
        attendees.push(Attendance {
            person: person.id,
            capacity: attendee.capacity.clone(),
        });
    }
    Ok(vec![Event::AttendanceRecorded(AttendanceRecorded {
        assembly: assembly.id,
        attendees,
    })])
}

pub(super) fn adopt_resolution(
    registry: &Registry,
    c: &AdoptResolution,
) -> Result<Vec<Event>, DomainError> {
    let assembly = registry.assembly_ref(&c.assembly)?;
    if let Vote::Majority(tally) = &c.vote {
        check_tally(tally)?;
    }
    Ok(vec![Event::ResolutionAdopted(ResolutionAdopted {
        assembly: assembly.id,
        title: c.title.clone(),
        text: c.text.clone(),
        vote: c.vote,
    })])
}

/// A majority has more votes for than against, and every count is bounded.
pub(super) fn check_tally(tally: &Tally) -> Result<(), DomainError> {
    if [tally.votes_for, tally.against, tally.abstain]
        .iter()
        .any(|n| *n > VOTES_MAX)
    {
        return Err(DomainError::TooManyVotes { max: VOTES_MAX });
    }
    if tally.votes_for <= tally.against {
        return Err(DomainError::NotAMajority {
            votes_for: tally.votes_for,
            against: tally.against,
        });
    }
    Ok(())
}
