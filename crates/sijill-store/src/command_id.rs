//! `CommandId`: the idempotency key of a batch.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::limits::COMMAND_ID_LEN_MAX;

/// The idempotency key of a batch: 1 to [`COMMAND_ID_LEN_MAX`] printable ASCII characters,
/// no spaces. Re-sending a batch with a known command id returns the original result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommandId(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("command id {shown:?} is invalid: use 1 to {COMMAND_ID_LEN_MAX} printable ASCII characters without spaces")]
pub struct CommandIdError {
    shown: String,
}

impl CommandId {
    pub fn new(value: impl Into<String>) -> Result<Self, CommandIdError> {
        let value = value.into();
        let printable = value.bytes().all(|b| b.is_ascii_graphic());
        if value.is_empty() || value.len() > COMMAND_ID_LEN_MAX || !printable {
            let shown = value.chars().take(COMMAND_ID_LEN_MAX + 8).collect();
            return Err(CommandIdError { shown });
        }
        Ok(CommandId(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CommandId {
    type Err = CommandIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CommandId::new(s)
    }
}

impl TryFrom<String> for CommandId {
    type Error = CommandIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CommandId::new(value)
    }
}

impl From<CommandId> for String {
    fn from(id: CommandId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_printable_ascii_and_refuses_the_rest() {
        let long = "x".repeat(COMMAND_ID_LEN_MAX + 1);
        let cases = ["cmd-1", "01J0:assembly/2016", "", "has space", "é", &long];
        let got: Vec<bool> = cases.iter().map(|c| CommandId::new(*c).is_ok()).collect();
        assert_eq!(got, [true, true, false, false, false, false]);
    }

    #[test]
    fn error_names_the_rule() {
        let err = CommandId::new("a b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "command id \"a b\" is invalid: use 1 to 128 printable ASCII characters without spaces"
        );
    }
}
