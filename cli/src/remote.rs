//! `citail show --url`: the running server's read route, `GET /internal/ci-log`.

use crate::failure::Failure;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// What the read route answers with 200.
#[derive(Debug, Deserialize)]
pub struct RouteAnswer {
    /// The live rows, oldest first (the binding's `CiLog` has the core's field names).
    pub rows: Vec<citail::CiLog>,
    /// The block a fix-CI dispatch would append; empty when there are no rows.
    pub prompt: String,
    /// What the store remembers of each row's failure (absent from servers before schema 5).
    #[serde(default)]
    pub history: Vec<citail::FailureHistory>,
}

/// The bearer token: the first line of `token_file`, else `CITAIL_TOKEN`. Never an argument, so
/// it stays out of shell history and `ps`.
pub fn token(token_file: Option<&Path>) -> Result<String, Failure> {
    let token = match token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::Message(format!("cannot read {}: {e}", path.display())))?
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        None => std::env::var("CITAIL_TOKEN").unwrap_or_default(),
    };
    if token.is_empty() {
        return Err(Failure::Message(
            "no token: set CITAIL_TOKEN or pass --token-file FILE".to_owned(),
        ));
    }
    Ok(token)
}

/// Asks the server at `base` (a URL; `/internal/ci-log` is added when it has no path) for the
/// rows of (repo, sha).
pub fn fetch(base: &str, token: &str, repo: &str, sha: &str) -> Result<RouteAnswer, Failure> {
    let url = route_url(base)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(&url)
        .query("repo", repo)
        .query("head_sha", sha)
        .header("authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| Failure::Message(format!("cannot reach {url}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| Failure::Message(format!("reading the answer of {url}: {e}")))?;
    if status != 200 {
        let reason = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| "no error message".to_owned());
        return Err(Failure::Message(format!(
            "{url} answered {status}: {reason}"
        )));
    }
    serde_json::from_str(&body)
        .map_err(|e| Failure::Message(format!("{url} sent an answer citail cannot read: {e}")))
}

/// `base` with the route's path when it names none.
fn route_url(base: &str) -> Result<String, Failure> {
    let Some((scheme, rest)) = base.split_once("://") else {
        return Err(Failure::Message(format!(
            "--url {base:?} is not a URL: write e.g. http://127.0.0.1:8787"
        )));
    };
    if scheme != "http" {
        return Err(Failure::Message(format!(
            "--url {base:?}: only http:// is supported (the route is internal; put TLS in front \
             with a proxy and call it from inside)"
        )));
    }
    Ok(match rest.split_once('/') {
        None | Some((_, "")) => format!("http://{}/internal/ci-log", rest.trim_end_matches('/')),
        Some(_) => base.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::route_url;

    #[test]
    fn the_route_path_is_added_to_a_bare_address() {
        let url = |s| route_url(s).map_err(|f| f.to_string());
        assert_eq!(
            url("http://127.0.0.1:8787"),
            Ok("http://127.0.0.1:8787/internal/ci-log".into())
        );
        assert_eq!(url("http://h:1/"), Ok("http://h:1/internal/ci-log".into()));
        assert_eq!(url("http://h:1/x/ci-log"), Ok("http://h:1/x/ci-log".into()));
        assert!(url("https://h").is_err());
        assert!(url("h:1").is_err());
    }
}
