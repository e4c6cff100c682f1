//! End-to-end tests: drive the built `sijill` binary and server as a user would.
