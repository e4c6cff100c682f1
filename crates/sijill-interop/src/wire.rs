//! The wire names of the domain's closed enums (the same strings as their serde form), read
//! and written without allocating, because exports write one per record.

use sijill_domain::{AreaKind, AssemblyKind, Certainty, EndReason, Gender};

/// A fieldless domain enum and its snake_case wire names.
pub trait WireName: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn wire_name(&self) -> &'static str;

    fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.wire_name() == text)
    }

    /// Every wire name, for messages that list what is accepted.
    fn accepted() -> String {
        Self::ALL
            .iter()
            .map(|v| format!("`{}`", v.wire_name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub fn kind_name<T: WireName>(value: &T) -> &'static str {
    value.wire_name()
}

impl WireName for AreaKind {
    const ALL: &'static [AreaKind] = &[
        AreaKind::Region,
        AreaKind::Province,
        AreaKind::Prefecture,
        AreaKind::Commune,
        AreaKind::Other,
    ];

    fn wire_name(&self) -> &'static str {
        match self {
            AreaKind::Region => "region",
            AreaKind::Province => "province",
            AreaKind::Prefecture => "prefecture",
            AreaKind::Commune => "commune",
            AreaKind::Other => "other",
        }
    }
}

impl WireName for Gender {
    const ALL: &'static [Gender] = &[Gender::Female, Gender::Male, Gender::Other];

    fn wire_name(&self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Other => "other",
        }
    }
}

impl WireName for AssemblyKind {
    const ALL: &'static [AssemblyKind] = &[
        AssemblyKind::FoundingGeneralAssembly,
        AssemblyKind::GeneralAssembly,
        AssemblyKind::Congress,
        AssemblyKind::CouncilSession,
        AssemblyKind::BureauMeeting,
        AssemblyKind::Other,
    ];

    fn wire_name(&self) -> &'static str {
        match self {
            AssemblyKind::FoundingGeneralAssembly => "founding_general_assembly",
            AssemblyKind::GeneralAssembly => "general_assembly",
            AssemblyKind::Congress => "congress",
            AssemblyKind::CouncilSession => "council_session",
            AssemblyKind::BureauMeeting => "bureau_meeting",
            AssemblyKind::Other => "other",
        }
    }
}

impl WireName for EndReason {
    const ALL: &'static [EndReason] = &[
        EndReason::Resigned,
        EndReason::Removed,
        EndReason::TermExpired,
        EndReason::Died,
        EndReason::BodyDissolved,
        EndReason::Replaced,
    ];

    fn wire_name(&self) -> &'static str {
        match self {
            EndReason::Resigned => "resigned",
            EndReason::Removed => "removed",
            EndReason::TermExpired => "term_expired",
            EndReason::Died => "died",
            EndReason::BodyDissolved => "body_dissolved",
            EndReason::Replaced => "replaced",
        }
    }
}

impl WireName for Certainty {
    const ALL: &'static [Certainty] = &[
        Certainty::Impossible,
        Certainty::Possible,
        Certainty::Certain,
    ];

    fn wire_name(&self) -> &'static str {
        match self {
            Certainty::Impossible => "impossible",
            Certainty::Possible => "possible",
            Certainty::Certain => "certain",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agrees_with_serde<T: WireName + serde::Serialize>() {
        for value in T::ALL {
            let serde_name = serde_json::to_value(value).unwrap();
            assert_eq!(
                serde_name,
                value.wire_name(),
                "wire name of {}",
                value.wire_name()
            );
        }
    }

    #[test]
    fn wire_names_are_the_serde_names() {
        agrees_with_serde::<AreaKind>();
        agrees_with_serde::<Gender>();
        agrees_with_serde::<AssemblyKind>();
        agrees_with_serde::<EndReason>();
        agrees_with_serde::<Certainty>();
    }
}
