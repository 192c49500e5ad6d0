//! The application layer's own tests, each run on SQLite and (under scripts/test) PostgreSQL:
//! one transaction per change, obligations that keep their identity, ended obligations refused
//! with what replaced them, lists audited as one row, and reads that write nothing.

mod identity;
mod lists;
mod support;
mod transactions;
