//! One entry point for every export, by the names the command line and the HTTP API use.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use sijill_domain::{AsOf, BodyId, EntityId, EntityKind, EntityRef, Registry};

use crate::provenance::Provenance;
use crate::scope::ExportOptions;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Popolo,
    OrgJsonLd,
    OrgTurtle,
    Csv,
    Dot,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Popolo,
        Format::OrgJsonLd,
        Format::OrgTurtle,
        Format::Csv,
        Format::Dot,
    ];

    /// The name on the command line and in URLs (`org-turtle`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Popolo => "popolo",
            Format::OrgJsonLd => "org-jsonld",
            Format::OrgTurtle => "org-turtle",
            Format::Csv => "csv",
            Format::Dot => "dot",
        }
    }

    /// The media type of the output.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Popolo => "application/json",
            Format::OrgJsonLd => "application/ld+json",
            Format::OrgTurtle => "text/turtle; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Dot => "text/vnd.graphviz; charset=utf-8",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Popolo => "json",
            Format::OrgJsonLd => "jsonld",
            Format::OrgTurtle => "ttl",
            Format::Csv => "csv",
            Format::Dot => "dot",
        }
    }

    /// Whether the format shows who recorded what (so the caller should gather
    /// [`Provenance`], which reads the whole log).
    pub fn uses_provenance(self) -> bool {
        matches!(self, Format::Popolo | Format::OrgJsonLd | Format::OrgTurtle)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a text names no format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an export format: use popolo, org-jsonld, org-turtle, csv or dot")]
pub struct FormatError(String);

impl FromStr for Format {
    type Err = FormatError;

    fn from_str(text: &str) -> Result<Format, FormatError> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| FormatError(text.to_owned()))
    }
}

/// Why a `body` selection names no body of the registry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyRefError {
    /// Not a handle or an id (the reference parser's words).
    #[error("{0}")]
    Malformed(String),
    #[error("{text} is a {kind}, not a body")]
    NotABody { text: String, kind: EntityKind },
    #[error("no body {0} in the registry")]
    Missing(String),
}

/// The body `text` (`@handle` or id) names, for [`Selection::body`]; the command line and
/// the HTTP API both resolve `body` through here and map the error to their own.
pub fn body_of(registry: &Registry, text: &str) -> Result<BodyId, BodyRefError> {
    let reference = EntityRef::parse(text).map_err(|e| BodyRefError::Malformed(e.to_string()))?;
    match registry.resolve(&reference) {
        Some(EntityId::Body(id)) => Ok(id),
        Some(other) => Err(BodyRefError::NotABody {
            text: text.to_owned(),
            kind: other.kind(),
        }),
        None => Err(BodyRefError::Missing(text.to_owned())),
    }
}

/// What to export, beyond the registry and the format.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// The date; a Graphviz picture needs one (the caller passes today by default).
    pub as_of: Option<AsOf>,
    /// CSV: one body's roster instead of every body's; DOT: one body's posts and holders
    /// instead of the tree.
    pub body: Option<BodyId>,
}

/// Writes the registry in `format`. Popolo and ORG export everything (or the structure as
/// of the date); `body` applies to CSV and DOT only.
pub fn write<W: Write>(
    format: Format,
    registry: &Registry,
    provenance: Option<&Provenance>,
    selection: &Selection,
    out: W,
) -> io::Result<()> {
    let options = ExportOptions {
        as_of: selection.as_of,
    };
    match format {
        Format::Popolo => crate::write_popolo(registry, provenance, &options, out).map(drop),
        Format::OrgJsonLd => crate::write_org_jsonld(registry, provenance, &options, out),
        Format::OrgTurtle => crate::write_org_turtle(registry, provenance, &options, out),
        Format::Csv => {
            crate::write_roster_csv(registry, selection.body, selection.as_of.as_ref(), out)
                .map(drop)
        }
        Format::Dot => {
            let as_of = selection.as_of.as_ref().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a Graphviz picture shows one date: give one",
                )
            })?;
            match selection.body {
                Some(body) => crate::write_body_dot(registry, body, as_of, out),
                None => crate::write_tree_dot(registry, as_of, out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>(), Ok(format));
        }
        assert_eq!(
            "turtle".parse::<Format>().unwrap_err().to_string(),
            "`turtle` is not an export format: use popolo, org-jsonld, org-turtle, csv or dot"
        );
    }
}
