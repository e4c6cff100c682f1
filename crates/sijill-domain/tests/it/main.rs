//! sijill-domain's tests: given(commands) / when(command) / then(events or error), with the
//! expected output inline (`UPDATE_EXPECT=1 cargo test -p sijill-domain` rewrites it), the
//! Khemisset record end to end, and property tests.

#![allow(clippy::result_large_err)] // tests return domain errors as they come

mod support;

mod commands;
mod corrections;
mod khemisset;
mod properties;
mod queries;
mod retraction;
mod rules;
mod snapshots;
mod wire;
