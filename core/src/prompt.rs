//! Text out: the block of stored log tails appended to a fix-CI agent's prompt.
//!
//! [`render`] turns a commit's rows into Markdown: a heading, then per step its highlights and
//! the end of its log in fences no log line can close, within a byte budget shared fairly
//! among the steps, and a closing note naming every step left out or not read.
//!
//! Invariants: the block never exceeds its budget; no stored text can forge its structure; the
//! same rows and budget give the same bytes.
//!
//! May use: the shared [`model`](crate::model) and the text helpers of
//! [`ingest`](crate::ingest) (line counting, truncation, the hidden-character test). Never
//! [`storage`](crate::storage): it renders rows it is given.

pub(crate) mod render;
