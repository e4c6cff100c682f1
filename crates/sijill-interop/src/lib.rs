//! sijill's interoperability: what the registry looks like to other tools.
//!
//! - [`write_popolo`]: Popolo JSON (persons, organizations, posts, memberships, areas,
//!   events), valid against the Popolo JSON Schemas, with `sijill:` extension fields for
//!   what Popolo cannot say (how a mandate was obtained, uncertain dates).
//! - [`write_org_jsonld`] / [`write_org_turtle`]: the W3C Organization Ontology, with PROV
//!   for who recorded what and when.
//! - [`write_roster_csv`]: one row per mandate, for spreadsheets.
//! - [`write_tree_dot`] / [`write_body_dot`]: Graphviz pictures of the structure.
//! - [`plan_popolo_import`]: a Popolo document as ordinary commands, one atomic batch.
//! - [`write`] with a [`Format`]: any of the above by the name the CLI and the API use.
//!
//! Every writer streams to an `io::Write` record by record, so memory stays bounded whatever
//! the registry's size; every export can be taken as of a date ([`ExportOptions`]).
//! `docs/interop.md` maps each sijill concept to each format, field by field.
//!
//! Architecture invariant: this crate reads the domain's public state and produces
//! commands; it never builds events or touches the log itself. Provenance comes in from the
//! caller ([`Provenance`]), gathered from the stored envelopes.

pub mod csv;
pub mod dates;
pub mod dot;
pub mod format;
mod handles;
mod hash;
pub mod ids;
mod json;
pub mod org;
pub mod popolo;
pub mod provenance;
mod scope;
mod wire;

pub use csv::write_roster_csv;
pub use dot::{write_body_dot, write_tree_dot};
pub use format::{body_of, write, BodyRefError, Format, Selection};
pub use org::{write_org_jsonld, write_org_turtle};
pub use popolo::export::{write_popolo, ExportCounts};
pub use popolo::import::{
    plan_popolo_import, Decided, ImportBatch, ImportError, ImportOptions, ImportPlan, Warnings,
    IMPORT_FILE_BYTES_MAX,
};
pub use popolo::schema::{validate_document, validate_record, RecordKind, SchemaError};
pub use provenance::{Envelope, Provenance, Recorded};
pub use scope::ExportOptions;
