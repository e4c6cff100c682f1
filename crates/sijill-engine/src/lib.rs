//! sijill-engine
