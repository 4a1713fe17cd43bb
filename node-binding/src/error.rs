//! Every failure the binding reports, and its stable JS `code`.
//!
//! JS callers branch on `err.code`, never on the message. Sync methods throw and async methods
//! reject with the same object shape: an `Error` with `code`, and `field` where one field is to
//! blame (`INVALID_FIELD`, `INVALID_OPTION`; always the JS name), `len`/`max` for
//! `PAYLOAD_TOO_LARGE`, `path`/`operation` for a `STORAGE` error on a known file. The TypeScript
//! shape is `CiLogError` in `dts-header.d.ts`.

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, JsValue, Status};

/// A binding-level failure: a core error, or a condition only the binding knows.
#[derive(Debug)]
pub enum Failure {
    /// An error from the citail core.
    Core(citail::Error),
    /// The store was closed with `close()`.
    Closed,
    /// Rust code panicked; the panic was caught at the boundary.
    Panic(String),
}

impl From<citail::Error> for Failure {
    fn from(err: citail::Error) -> Self {
        Failure::Core(err)
    }
}

impl Failure {
    /// An `INVALID_FIELD` failure for a JS value of the wrong type or range.
    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Failure::Core(citail::Error::InvalidField {
            field,
            reason: reason.into(),
        })
    }

    /// An `INVALID_OPTION` failure for a bad `StoreOptions` value.
    pub fn option(option: &'static str, reason: impl Into<String>) -> Self {
        Failure::Core(citail::Error::InvalidOption {
            option,
            reason: reason.into(),
        })
    }

    /// Renames the blamed field: the core names lookup arguments by their wire names
    /// (`head_sha`), JS by its parameter names (`headSha`).
    #[must_use]
    pub fn renamed(self, from: &str, to: &'static str) -> Self {
        match self {
            Failure::Core(citail::Error::InvalidField { field, reason }) if field == from => {
                Failure::Core(citail::Error::InvalidField { field: to, reason })
            }
            other => other,
        }
    }

    /// The stable JS `code` of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::Closed => "STORE_CLOSED",
            Failure::Panic(_) => "INTERNAL",
            Failure::Core(err) => match err {
                citail::Error::InvalidField { .. } => "INVALID_FIELD",
                citail::Error::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
                citail::Error::InvalidOption { .. } => "INVALID_OPTION",
                citail::Error::Locked { .. } => "STORE_LOCKED",
                citail::Error::SchemaTooNew { .. } => "SCHEMA_TOO_NEW",
                citail::Error::Corrupt { .. } => "CORRUPT",
                citail::Error::NotAStore { .. } => "NOT_A_STORE",
                // Storage, Io, and variants added to the core later.
                _ => "STORAGE",
            },
        }
    }

    fn message(&self) -> String {
        match self {
            Failure::Core(err) => err.to_string(),
            Failure::Closed => "the store is closed".to_owned(),
            Failure::Panic(msg) => format!("internal error (caught panic): {msg}"),
        }
    }

    /// Builds the JS `Error` object and wraps it so napi throws or rejects with it as is.
    pub fn into_napi(self, env: &Env) -> napi::Error {
        match self.build(env) {
            Ok(err) => err,
            // Could not even build the object (the VM is failing): fall back to napi's own.
            Err(fallback) => fallback,
        }
    }

    fn build(&self, env: &Env) -> napi::Result<napi::Error> {
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, self.message()))?;
        obj.set_named_property("code", self.code())?;
        match self {
            Failure::Core(citail::Error::InvalidField { field, .. }) => {
                obj.set_named_property("field", *field)?;
            }
            Failure::Core(citail::Error::InvalidOption { option, .. }) => {
                obj.set_named_property("field", js_name(option))?;
            }
            Failure::Core(citail::Error::PayloadTooLarge { len, max }) => {
                obj.set_named_property("len", *len as f64)?;
                obj.set_named_property("max", *max as f64)?;
            }
            Failure::Core(citail::Error::File {
                operation, path, ..
            }) => {
                obj.set_named_property("path", path.to_string_lossy().as_ref())?;
                obj.set_named_property("operation", *operation)?;
            }
            Failure::Core(
                citail::Error::Locked { path } | citail::Error::NotAStore { path, .. },
            ) => {
                obj.set_named_property("path", path.to_string_lossy().as_ref())?;
            }
            _ => {}
        }
        Ok(napi::Error::from(obj.to_unknown()))
    }
}

/// The JS name of a core option: `redact_patterns` → `redactPatterns`. Names that are already
/// camelCase (the binding reports JS names itself) come back unchanged.
fn js_name(option: &str) -> String {
    let mut out = String::with_capacity(option.len());
    let mut upper = false;
    for c in option.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `value` is an `Error` carrying one of citail's codes: the `isCiLogError` guard.
pub fn is_ci_log_error(value: napi::bindgen_prelude::Unknown) -> bool {
    use napi::bindgen_prelude::{FromNapiValue, Object};
    const CODES: &[&str] = &[
        "INVALID_FIELD",
        "PAYLOAD_TOO_LARGE",
        "INVALID_OPTION",
        "STORE_LOCKED",
        "STORE_CLOSED",
        "SCHEMA_TOO_NEW",
        "CORRUPT",
        "NOT_A_STORE",
        "STORAGE",
        "INTERNAL",
    ];
    if !value.is_error().unwrap_or(false) {
        return false;
    }
    let Ok(obj) = Object::from_unknown(value) else {
        return false;
    };
    matches!(obj.get::<String>("code"), Ok(Some(code)) if CODES.contains(&code.as_str()))
}

/// Runs `work`, turning a panic into [`Failure::Panic`] so it never unwinds into the JS engine.
pub fn guarded<T>(work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(Failure::Panic(msg))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_reach_js_in_camel_case() {
        assert_eq!(js_name("redact_patterns"), "redactPatterns");
        assert_eq!(js_name("max_stored_bytes"), "maxStoredBytes");
        assert_eq!(js_name("retentionMs"), "retentionMs");
    }

    #[test]
    fn a_panic_becomes_an_internal_failure() {
        let result: Result<(), Failure> = guarded(|| panic!("boom {}", 42));
        match result {
            Err(failure @ Failure::Panic(_)) => {
                assert_eq!(failure.code(), "INTERNAL");
                assert_eq!(failure.message(), "internal error (caught panic): boom 42");
            }
            other => panic!("expected a caught panic, got {other:?}"),
        }
    }

    #[test]
    fn every_core_error_has_its_stable_code() {
        let io = std::io::Error::other("disk full");
        let cases = [
            (
                citail::Error::InvalidField {
                    field: "repo",
                    reason: String::new(),
                },
                "INVALID_FIELD",
            ),
            (
                citail::Error::PayloadTooLarge { len: 2, max: 1 },
                "PAYLOAD_TOO_LARGE",
            ),
            (
                citail::Error::InvalidOption {
                    option: "max_lines",
                    reason: String::new(),
                },
                "INVALID_OPTION",
            ),
            (citail::Error::Locked { path: "x".into() }, "STORE_LOCKED"),
            (
                citail::Error::SchemaTooNew {
                    found: 2,
                    supported: 1,
                },
                "SCHEMA_TOO_NEW",
            ),
            (
                citail::Error::Corrupt {
                    detail: String::new(),
                },
                "CORRUPT",
            ),
            (
                citail::Error::NotAStore {
                    path: "x".into(),
                    reason: String::new(),
                },
                "NOT_A_STORE",
            ),
            (citail::Error::Io(io), "STORAGE"),
        ];
        for (err, code) in cases {
            assert_eq!(Failure::from(err).code(), code);
        }
        assert_eq!(Failure::Closed.code(), "STORE_CLOSED");
    }
}
