//! Popolo (<https://www.popoloproject.com>): the JSON export, the schema check and the import.

mod checked;
pub mod export;
pub mod import;
pub mod schema;
