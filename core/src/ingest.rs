//! Text in: what happens to a posted log before it is stored.
//!
//! [`validate`] checks the fields of a [`NewLog`](crate::model::NewLog); the [`pipeline`] then
//! runs the stages in their one order — [`normalize`] (terminal replay, escape codes removed) →
//! [`redact`] (secrets replaced by `[REDACTED:<rule>]`) → [`highlight`] (the lines that name
//! the failure, read in the whole log) → [`truncate`] (the tail kept: last lines within the
//! byte limit, never splitting a character).
//!
//! Invariants: every stage is a pure function of its input and its compiled configuration
//! (no I/O, no clock, no store); normalising never adds a line or a byte; redaction is
//! idempotent; the stored tail is a suffix of the redacted text.
//!
//! May use: the shared [`model`](crate::model) and [`error`](crate::error), and, for
//! [`pipeline`] only, [`options`](crate::options) (which compiles the stages' patterns). Never
//! [`storage`](crate::storage) or [`prompt`](crate::prompt).

pub(crate) mod fingerprint;
pub(crate) mod highlight;
pub(crate) mod normalize;
pub(crate) mod pipeline;
pub(crate) mod redact;
pub(crate) mod truncate;
pub(crate) mod validate;
