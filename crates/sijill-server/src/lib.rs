//! sijill-server
