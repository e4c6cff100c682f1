//! Interop as a user sees it: the founding example in every format, imports of good and bad
//! files, round trips. Expected output is inline.

mod csv;
mod dot;
mod import;
mod org;
mod popolo;
mod provenance;
mod support;
