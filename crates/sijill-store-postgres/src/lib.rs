//! sijill-store-postgres
