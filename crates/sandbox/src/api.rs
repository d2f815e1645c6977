//! Bugzilla 5.2's REST methods over the [`Model`]: routing a request path to
//! a method, authenticating the caller, reading parameters and rendering the
//! JSON answers in the shapes the recorded real server sends.
//!
//! No sockets and no clock here: the HTTP layer passes the request in and
//! `now` along, and gets back a status and a JSON body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Map, Value};

use super::model::workflow::WORKFLOW;
use super::model::{ApiError, Bug, Comment, Flag, Model, User, OPEN_STATUSES};

/// The documentation link every Bugzilla 5.2 error carries.
const DOCUMENTATION: &str = "https://bugzilla.readthedocs.org/en/5.0/api/";

/// One request as the API layer sees it.
#[derive(Debug)]
pub struct ApiRequest<'a> {
    pub method: &'a str,
    /// The path after `/rest` or `/rest.cgi`, e.g. `/bug/1/comment`.
    pub path: &'a str,
    /// Decoded query parameters, in order (repeats kept).
    pub query: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// The answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
}

impl ApiResponse {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }
}

impl From<ApiError> for ApiResponse {
    fn from(err: ApiError) -> Self {
        Self {
            status: err.status,
            body: error_body(err.code, &err.message),
        }
    }
}

/// Bugzilla's error envelope.
pub fn error_body(code: i64, message: &str) -> Value {
    json!({
        "error": true,
        "code": code,
        "message": message,
        "documentation": DOCUMENTATION,
    })
}

/// Formats a time like Bugzilla's REST API: `2026-11-26T03:49:10Z`.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses the date forms Bugzilla accepts in parameters (`…Z`, `YYYY-MM-DD
/// HH:MM:SS`, `YYYY-MM-DD`); anything else is 400/56.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, ApiError> {
    let trimmed = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(trimmed) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc());
        }
    }
    Err(ApiError::new(
        400,
        56,
        format!("'{text}' is not a legal date."),
    ))
}

/// Answers one request. `now` stamps any change it makes.
pub fn handle(model: &mut Model, request: &ApiRequest<'_>, now: DateTime<Utc>) -> ApiResponse {
    match dispatch(model, request, now) {
        Ok(response) => response,
        Err(err) => err.into(),
    }
}

fn dispatch(
    model: &mut Model,
    request: &ApiRequest<'_>,
    now: DateTime<Utc>,
) -> Result<ApiResponse, ApiError> {
    // REST.pm parses the JSON body before anything else (recording 89).
    let body: Value = if request.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(request.body).map_err(|err| {
            ApiError::new(
                400,
                32000,
                format!(
                    "Could not parse the 'params' argument as valid JSON. Error: {err}. Value:"
                ),
            )
        })?
    };
    let caller = authenticate(model, &request.query, &body)?;
    let q = Params(&request.query);
    let segments: Vec<&str> = request
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(known) = query_params_of(request.method, &segments) {
        q.accept_only(request.method, request.path, known)?;
    }
    match (request.method, segments.as_slice()) {
        ("GET", ["version"]) => Ok(ApiResponse::ok(json!({ "version": model.version }))),
        ("GET", ["login"]) => {
            let (id, token) = model.login(
                q.first("login").unwrap_or_default(),
                q.first("password").unwrap_or_default(),
            )?;
            Ok(ApiResponse::ok(json!({ "id": id, "token": token })))
        }
        ("GET", ["valid_login"]) => {
            let login = q.first("login").unwrap_or_default();
            let valid = caller.as_ref().is_some_and(|u| u.login == login);
            Ok(ApiResponse::ok(json!({ "result": valid })))
        }
        ("GET", ["bug"]) => search(model, caller.as_ref(), &q),
        ("POST", ["bug"]) => {
            let user = caller.ok_or_else(ApiError::login_required)?;
            let id = model.create_bug(&user, &body, now)?;
            Ok(ApiResponse::ok(json!({ "id": id })))
        }
        ("GET", ["bug", "comment", id]) => {
            let id = id.parse::<u64>().map_err(|_| {
                ApiError::new(400, 111, format!("'{id}' is not a valid comment id."))
            })?;
            comment_by_id(model, caller.as_ref(), id)
        }
        ("GET", ["bug", id]) => get_bug(model, caller.as_ref(), id, &q),
        ("PUT", ["bug", id]) => {
            let bug_id = Model::parse_bug_id(id)?;
            let user = caller.ok_or_else(ApiError::login_required)?;
            let outcome = model.update_bug(&user, bug_id, &body, now)?;
            let mut changes = Map::new();
            for change in &outcome.changes {
                changes.insert(
                    change.field_name.clone(),
                    json!({ "added": change.added, "removed": change.removed }),
                );
            }
            Ok(ApiResponse::ok(json!({ "bugs": [{
                "id": outcome.bug_id,
                "alias": [],
                "last_change_time": format_time(outcome.last_change_time),
                "changes": changes,
            }]})))
        }
        ("GET", ["bug", id, "comment"]) => comments(model, caller.as_ref(), id, &q),
        ("POST", ["bug", id, "comment"]) => {
            let bug_id = Model::parse_bug_id(id)?;
            let user = caller.ok_or_else(ApiError::login_required)?;
            if let Value::Object(map) = &body {
                if let Some(key) = map
                    .keys()
                    .find(|k| !COMMENT_BODY_KEYS.contains(&k.as_str()))
                {
                    return Err(not_implemented(format!(
                        "the parameter '{key}' of Bug.add_comment"
                    )));
                }
            }
            let text = body.get("comment").and_then(Value::as_str).unwrap_or("");
            let is_private = body
                .get("is_private")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let id = model.add_comment(&user, bug_id, text, is_private, now)?;
            Ok(ApiResponse {
                status: 201,
                body: json!({ "id": id }),
            })
        }
        ("GET", ["bug", id, "history"]) => history(model, caller.as_ref(), id, &q),
        ("GET", ["user"]) => users(model, caller.as_ref(), &q),
        ("PUT", ["user", name_or_id]) => {
            let user = caller.ok_or_else(ApiError::login_required)?;
            let update = model.update_user(&user, name_or_id, &body)?;
            let mut changes = Map::new();
            if let Some((added, removed)) = update.groups {
                changes.insert(
                    "groups".to_owned(),
                    json!({ "added": added, "removed": removed }),
                );
            }
            Ok(ApiResponse::ok(
                json!({ "users": [{ "id": update.id, "changes": changes }] }),
            ))
        }
        ("GET", ["flag_type", product, component]) => flag_types(model, product, component),
        ("GET", ["product"]) => products(model, &q),
        ("GET", ["field", "bug", name]) => field(name),
        _ => Err(ApiError::new(
            404,
            32614,
            format!(
                "A REST API resource was not found for '{} {}'.",
                request.method, request.path
            ),
        )),
    }
}

/// Stock 5.2 auth: `api_key` / `Bugzilla_api_key` / `token` in the query or
/// the JSON body. Headers are ignored on purpose: 5.2 does not read
/// `X-BUGZILLA-API-KEY`, so such a request is anonymous.
fn authenticate(
    model: &Model,
    query: &[(String, String)],
    body: &Value,
) -> Result<Option<User>, ApiError> {
    let from_query = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let from_body = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let key = from_query("api_key")
        .or_else(|| from_query("Bugzilla_api_key"))
        .or_else(|| from_body("api_key"))
        .or_else(|| from_body("Bugzilla_api_key"));
    if let Some(key) = key {
        return model.user_by_key(&key).cloned().map(Some).ok_or_else(|| {
            ApiError::new(
                400,
                306,
                "The API key you specified is invalid. Please check that you typed it correctly.",
            )
        });
    }
    let token = from_query("token")
        .or_else(|| from_query("Bugzilla_token"))
        .or_else(|| from_body("token"));
    if let Some(token) = token {
        let login = model.tokens.get(&token).ok_or_else(|| {
            ApiError::new(
                401,
                32000,
                "The token you specified is invalid. Please log in again.",
            )
        })?;
        return Ok(model.user(login).cloned());
    }
    Ok(None)
}

/// Query parameters with Bugzilla's list conventions.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter as sent (repeats kept, commas not
    /// split): where 5.2 takes one item per value, like the `ids` of a
    /// comment batch (a comma list is one bad bug id, recording 102) or the
    /// `names` of a user lookup.
    fn values(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Refuses parameters the route does not know (404/32614) instead of
    /// ignoring them, so a test never passes on a parameter that did
    /// nothing. Credentials are known everywhere.
    fn accept_only(&self, method: &str, path: &str, known: &[&str]) -> Result<(), ApiError> {
        match self
            .0
            .iter()
            .find(|(k, _)| !known.contains(&k.as_str()) && !AUTH_PARAMS.contains(&k.as_str()))
        {
            Some((key, _)) => Err(not_implemented(format!(
                "the parameter '{key}' of {method} {path}"
            ))),
            None => Ok(()),
        }
    }

    /// All values of a parameter, repeats and comma lists flattened: where
    /// 5.2 splits a value on commas, like a search's `id` (recording 107)
    /// or `include_fields`.
    fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn fields(&self) -> FieldFilter {
        FieldFilter {
            include: self.list("include_fields"),
            exclude: self.list("exclude_fields"),
        }
    }
}

/// Credentials, accepted by every route.
const AUTH_PARAMS: [&str; 4] = ["api_key", "Bugzilla_api_key", "token", "Bugzilla_token"];

/// Keys a `POST /rest/bug/ID/comment` body may hold. `is_markdown` is
/// accepted and ignored, as 5.2 does (recording 126).
const COMMENT_BODY_KEYS: [&str; 6] = [
    "comment",
    "is_private",
    "is_markdown",
    "api_key",
    "Bugzilla_api_key",
    "token",
];

/// The query parameters a route understands, besides credentials; None for
/// a route that checks its own (search) or does not exist (its 404 comes
/// first).
fn query_params_of(method: &str, segments: &[&str]) -> Option<&'static [&'static str]> {
    let known: &[&str] = match (method, segments) {
        ("GET", ["version"])
        | ("POST", ["bug"])
        | ("GET", ["bug", "comment", _])
        | ("PUT", ["bug", _])
        | ("PUT", ["user", _])
        | ("POST", ["bug", _, "comment"])
        | ("GET", ["flag_type", _, _])
        | ("GET", ["field", "bug", _]) => &[],
        ("GET", ["login"]) => &["login", "password"],
        ("GET", ["valid_login"]) => &["login"],
        // `permissive` changes nothing over REST (recording 25).
        ("GET", ["bug", _]) => &["ids", "include_fields", "exclude_fields", "permissive"],
        ("GET", ["bug", _, "comment"]) => &["ids", "new_since"],
        ("GET", ["bug", _, "history"]) => &["new_since"],
        ("GET", ["user"]) => &[
            "names",
            "ids",
            "match",
            "groups",
            "include_fields",
            "exclude_fields",
        ],
        ("GET", ["product"]) => &["names", "include_fields", "exclude_fields"],
        _ => return None,
    };
    Some(known)
}

/// `include_fields` / `exclude_fields`.
struct FieldFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl FieldFilter {
    fn keep(&self, key: &str) -> bool {
        // `x_detail` comes with `x`.
        let base = key.strip_suffix("_detail").unwrap_or(key);
        let named = |list: &[String]| list.iter().any(|f| f == key || f == base);
        let included = self.include.is_empty()
            || self.include.iter().any(|f| f == "_all" || f == "_default")
            || named(&self.include);
        included && !named(&self.exclude)
    }

    fn apply(&self, object: Map<String, Value>) -> Value {
        Value::Object(object.into_iter().filter(|(k, _)| self.keep(k)).collect())
    }

    /// Filters nested objects too, by dotted paths (`components.name`,
    /// recording 137): a path is kept if it or a parent is included, and
    /// walked if an included path lies below it.
    fn apply_nested(&self, value: Value, prefix: &str) -> Value {
        match value {
            Value::Object(object) => Value::Object(
                object
                    .into_iter()
                    .filter_map(|(key, inner)| {
                        let path = if prefix.is_empty() {
                            key.clone()
                        } else {
                            format!("{prefix}.{key}")
                        };
                        self.keep_path(&path)
                            .then(|| (key, self.apply_nested(inner, &path)))
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.apply_nested(item, prefix))
                    .collect(),
            ),
            other => other,
        }
    }

    fn keep_path(&self, path: &str) -> bool {
        let at_or_above = |f: &String| path == f || path.starts_with(&format!("{f}."));
        if self.exclude.iter().any(at_or_above) {
            return false;
        }
        self.include.is_empty()
            || self.include.iter().any(|f| f == "_all" || f == "_default")
            || self.include.iter().any(at_or_above)
            || self
                .include
                .iter()
                .any(|f| f.starts_with(&format!("{path}.")))
    }
}

fn user_detail(model: &Model, login: &str) -> Value {
    let user = model.user(login);
    json!({
        "id": user.map_or(0, |u| u.id),
        "name": login,
        "email": login,
        "real_name": user.map_or("", |u| u.real_name.as_str()),
    })
}

fn flag_json(flag: &Flag) -> Value {
    let mut object = json!({
        "id": flag.id,
        "type_id": flag.type_id,
        "name": flag.name,
        "status": flag.status,
        "setter": flag.setter,
        "creation_date": format_time(flag.creation_date),
        "modification_date": format_time(flag.modification_date),
    });
    if let Some(requestee) = &flag.requestee {
        object["requestee"] = json!(requestee);
    }
    object
}

/// A bug with all default fields, as `GET /rest/bug/ID` shows it.
fn bug_json(model: &Model, caller: Option<&User>, bug: &Bug) -> Map<String, Value> {
    let mut object = json!({
        "id": bug.id,
        "alias": [],
        "summary": bug.summary,
        "status": bug.status,
        "resolution": bug.resolution,
        "is_open": bug.is_open(),
        "is_confirmed": bug.everconfirmed,
        "product": bug.product,
        "component": bug.component,
        "classification": "Unclassified",
        "version": bug.version,
        "op_sys": bug.op_sys,
        "platform": bug.platform,
        "priority": bug.priority,
        "severity": bug.severity,
        "target_milestone": bug.target_milestone,
        "url": bug.url,
        "whiteboard": bug.whiteboard,
        "keywords": bug.keywords,
        "groups": bug.groups,
        "assigned_to": bug.assigned_to,
        "assigned_to_detail": user_detail(model, &bug.assigned_to),
        "creator": bug.creator,
        "creator_detail": user_detail(model, &bug.creator),
        "qa_contact": bug.qa_contact,
        "cc": bug.cc,
        "cc_detail": bug.cc.iter().map(|l| user_detail(model, l)).collect::<Vec<_>>(),
        "flags": bug.flags.iter().map(flag_json).collect::<Vec<_>>(),
        "blocks": [],
        "depends_on": [],
        "see_also": [],
        "dupe_of": null,
        "deadline": null,
        "is_cc_accessible": true,
        "is_creator_accessible": true,
        "creation_time": format_time(bug.creation_time),
        "last_change_time": format_time(bug.last_change_time),
    });
    if !bug.qa_contact.is_empty() {
        object["qa_contact_detail"] = user_detail(model, &bug.qa_contact);
    }
    // Time-tracking numbers (not `deadline`): only for the time-tracking group (editbugs in
    // a stock install); anonymous callers do not get them (recording 24).
    if caller.is_some_and(|u| model.can_edit_all(u)) {
        object["actual_time"] = json!(0);
        object["estimated_time"] = json!(0);
        object["remaining_time"] = json!(0);
    }
    match object {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Search parameters the sandbox understands (or, like `count_only`,
/// ignores exactly as 5.2 does). Anything else is refused rather than
/// silently ignored, so a test never passes on a filter that did nothing.
const SEARCH_PARAMS: [&str; 26] = [
    "product",
    "component",
    "status",
    "resolution",
    "priority",
    "severity",
    "keywords",
    "whiteboard",
    "summary",
    "assigned_to",
    "creator",
    "reporter",
    "qa_contact",
    "id",
    "last_change_time",
    "creation_time",
    "limit",
    "offset",
    "order",
    "include_fields",
    "exclude_fields",
    "count_only",
    "api_key",
    "Bugzilla_api_key",
    "token",
    "Bugzilla_token",
];

/// Whether `key` is `fN`, `oN` or `vN`.
fn is_custom_search_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('f' | 'o' | 'v'))
        && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

fn not_implemented(what: String) -> ApiError {
    ApiError::new(
        404,
        32614,
        format!("The sandbox does not implement {what}."),
    )
}

fn search(model: &Model, caller: Option<&User>, q: &Params<'_>) -> Result<ApiResponse, ApiError> {
    for (key, _) in q.0 {
        if !SEARCH_PARAMS.contains(&key.as_str()) && !is_custom_search_key(key) {
            return Err(not_implemented(format!("the search parameter '{key}'")));
        }
    }
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        q.first(name)
            .map(|text| {
                text.trim().parse::<usize>().map_err(|_| {
                    ApiError::new(
                        400,
                        52,
                        format!("Invalid parameter passed to Bug.search: {name} must be numeric, not '{text}'."),
                    )
                })
            })
            .transpose()
    };
    let limit = number("limit")?;
    let offset = number("offset")?.unwrap_or(0);
    if q.first("offset").is_some() && limit.is_none() {
        return Err(ApiError::new(
            400,
            50,
            "The function Bug.search() requires a limit argument, and that argument was not set.",
        ));
    }
    let changed_since = q.first("last_change_time").map(parse_time).transpose()?;
    let created_since = q.first("creation_time").map(parse_time).transpose()?;
    // A comma list and repeated `id` alike (107, 108); an id that is not a
    // number is refused rather than dropped (a guess).
    let ids = q
        .list("id")
        .iter()
        .map(|s| Model::parse_bug_id(s))
        .collect::<Result<Vec<u64>, ApiError>>()?;
    let id_given = q.first("id").is_some();
    let products = q.list("product");
    let components = q.list("component");
    let statuses = q.list("status");
    let keywords = q.list("keywords");
    let priorities = q.list("priority");
    let severities = q.list("severity");
    // `---` is the empty resolution of an open bug (recording 121).
    let resolutions: Vec<String> = q
        .list("resolution")
        .into_iter()
        .map(|r| if r == "---" { String::new() } else { r })
        .collect();
    let whiteboard = q.first("whiteboard").map(str::to_lowercase);
    let summary = q.first("summary").map(str::to_lowercase);
    let assignee = q.first("assigned_to").map(str::to_lowercase);
    let creator = q
        .first("creator")
        .or_else(|| q.first("reporter"))
        .map(str::to_lowercase);
    let qa_contact = q.first("qa_contact").map(str::to_lowercase);
    let customs = custom_conditions(q)?;

    let mut bugs: Vec<&Bug> = model
        .bugs
        .values()
        .filter(|bug| model.can_see(caller, bug))
        .filter(|bug| !id_given || ids.contains(&bug.id))
        .filter(|bug| products.is_empty() || products.contains(&bug.product))
        .filter(|bug| components.is_empty() || components.contains(&bug.component))
        .filter(|bug| statuses.is_empty() || statuses.iter().any(|s| status_matches(s, bug)))
        .filter(|bug| resolutions.is_empty() || resolutions.contains(&bug.resolution))
        .filter(|bug| priorities.is_empty() || priorities.contains(&bug.priority))
        .filter(|bug| severities.is_empty() || severities.contains(&bug.severity))
        .filter(|bug| keywords.iter().all(|k| bug.keywords.contains(k)))
        .filter(|bug| {
            // All words must appear, as substrings, case-insensitively.
            whiteboard.as_ref().is_none_or(|w| {
                let have = bug.whiteboard.to_lowercase();
                w.split_whitespace().all(|word| have.contains(word))
            })
        })
        .filter(|bug| {
            summary
                .as_ref()
                .is_none_or(|s| bug.summary.to_lowercase().contains(s))
        })
        .filter(|bug| {
            assignee
                .as_ref()
                .is_none_or(|a| bug.assigned_to.to_lowercase().contains(a))
        })
        .filter(|bug| {
            creator
                .as_ref()
                .is_none_or(|c| bug.creator.to_lowercase().contains(c))
        })
        .filter(|bug| {
            qa_contact
                .as_ref()
                .is_none_or(|c| bug.qa_contact.to_lowercase().contains(c))
        })
        .filter(|bug| changed_since.is_none_or(|t| bug.last_change_time >= t))
        .filter(|bug| created_since.is_none_or(|t| bug.creation_time >= t))
        .filter(|bug| customs.iter().all(|c| c.matches(bug)))
        .collect();
    sort_bugs(&mut bugs, q.first("order").unwrap_or("bug_id"));
    let page: Vec<&Bug> = match limit {
        Some(0) | None => bugs.into_iter().skip(offset).collect(),
        Some(limit) => bugs.into_iter().skip(offset).take(limit).collect(),
    };
    let filter = q.fields();
    let rendered: Vec<Value> = page
        .iter()
        .map(|bug| filter.apply(bug_json(model, caller, bug)))
        .collect();
    Ok(ApiResponse::ok(json!({ "bugs": rendered })))
}

fn status_matches(wanted: &str, bug: &Bug) -> bool {
    match wanted {
        "__open__" => bug.is_open(),
        "__closed__" => !bug.is_open(),
        "__all__" => true,
        other => bug.status == other,
    }
}

fn sort_bugs(bugs: &mut [&Bug], order: &str) {
    let first = order.split(',').next().unwrap_or("bug_id").trim();
    let mut words = first.split_whitespace();
    let field = words.next().unwrap_or("bug_id");
    let descending = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
    match field {
        "changeddate" | "delta_ts" | "last_change_time" => {
            bugs.sort_by_key(|b| (b.last_change_time, b.id))
        }
        "opendate" | "creation_ts" | "creation_time" => {
            bugs.sort_by_key(|b| (b.creation_time, b.id))
        }
        _ => bugs.sort_by_key(|b| b.id),
    }
    if descending {
        bugs.reverse();
    }
}

/// Fields a custom search (`fN`) may name.
const CUSTOM_FIELDS: [&str; 15] = [
    "requestees.login_name",
    "setters.login_name",
    "flagtypes.name",
    "assigned_to",
    "status_whiteboard",
    "whiteboard",
    "short_desc",
    "summary",
    "product",
    "component",
    "bug_status",
    "status",
    "keywords",
    "cc",
    "longdesc",
];

/// One `fN`/`oN`/`vN` condition of a custom search.
struct Custom {
    field: String,
    operator: String,
    value: String,
}

fn custom_conditions(q: &Params<'_>) -> Result<Vec<Custom>, ApiError> {
    let mut out = Vec::new();
    for n in 1..=20 {
        let Some(field) = q.first(&format!("f{n}")) else {
            continue;
        };
        let operator = q.first(&format!("o{n}")).unwrap_or("equals");
        if !["equals", "notequals", "substring", "casesubstring"].contains(&operator) {
            return Err(not_implemented(format!("the search operator '{operator}'")));
        }
        if !CUSTOM_FIELDS.contains(&field) {
            return Err(not_implemented(format!("the search field '{field}'")));
        }
        out.push(Custom {
            field: field.to_owned(),
            operator: operator.to_owned(),
            value: q.first(&format!("v{n}")).unwrap_or_default().to_owned(),
        });
    }
    Ok(out)
}

impl Custom {
    fn matches(&self, bug: &Bug) -> bool {
        let values: Vec<String> = match self.field.as_str() {
            "requestees.login_name" => bug
                .flags
                .iter()
                .filter_map(|f| f.requestee.clone())
                .collect(),
            "setters.login_name" => bug.flags.iter().map(|f| f.setter.clone()).collect(),
            "flagtypes.name" => bug.flags.iter().map(Flag::describe).collect(),
            "assigned_to" => vec![bug.assigned_to.clone()],
            "status_whiteboard" | "whiteboard" => vec![bug.whiteboard.clone()],
            "short_desc" | "summary" => vec![bug.summary.clone()],
            "product" => vec![bug.product.clone()],
            "component" => vec![bug.component.clone()],
            "bug_status" | "status" => vec![bug.status.clone()],
            "keywords" => bug.keywords.clone(),
            "cc" => bug.cc.clone(),
            "longdesc" => bug.comments.iter().map(|c| c.text.clone()).collect(),
            _ => Vec::new(),
        };
        let hit = |v: &String| match self.operator.as_str() {
            "equals" | "notequals" => v == &self.value,
            "casesubstring" => v.contains(&self.value),
            _ => v.to_lowercase().contains(&self.value.to_lowercase()),
        };
        let any = values.iter().any(hit);
        if self.operator == "notequals" {
            !any
        } else {
            any
        }
    }
}

fn get_bug(
    model: &Model,
    caller: Option<&User>,
    id: &str,
    q: &Params<'_>,
) -> Result<ApiResponse, ApiError> {
    let ids = bug_ids(id, q)?;
    let filter = q.fields();
    let mut bugs = Vec::new();
    for id in ids {
        let bug = model.visible_bug(caller, id)?;
        let mut object = bug_json(model, caller, bug);
        if caller.is_some() {
            // A stand-in for Bugzilla's mid-air collision token; clients
            // must treat it as opaque.
            object.insert(
                "update_token".to_owned(),
                json!(format!(
                    "{}-sandbox{}",
                    bug.last_change_time.timestamp(),
                    bug.id
                )),
            );
        }
        bugs.push(filter.apply(object));
    }
    Ok(ApiResponse::ok(json!({ "bugs": bugs, "faults": [] })))
}

/// The bug of the path, then every `ids` value, each one bug: repeated
/// `ids` are a batch (103), a comma list is one bad id (400/100, 102), and
/// the first missing or invisible bug fails the whole batch (106).
fn bug_ids(path_id: &str, q: &Params<'_>) -> Result<Vec<u64>, ApiError> {
    let mut ids = vec![Model::parse_bug_id(path_id)?];
    for extra in q.values("ids") {
        let id = Model::parse_bug_id(extra)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn comment_json(comment: &Comment) -> Value {
    json!({
        "id": comment.id,
        "bug_id": comment.bug_id,
        "count": comment.count,
        "creator": comment.creator,
        "time": format_time(comment.time),
        "creation_time": format_time(comment.time),
        "text": comment.text,
        "is_private": comment.is_private,
        "attachment_id": null,
        "tags": [],
    })
}

fn comments(
    model: &Model,
    caller: Option<&User>,
    id: &str,
    q: &Params<'_>,
) -> Result<ApiResponse, ApiError> {
    let since = q.first("new_since").map(parse_time).transpose()?;
    // Repeated `ids` only: 5.2 reads a comma list as one value and refuses
    // it, 400/100 (recordings 102, 103); the first missing or hidden bug
    // fails the whole batch (404/101, 401/102; recordings 106, 157).
    let ids = bug_ids(id, q)?;
    let mut out = Map::new();
    for id in ids {
        let bug = model.visible_bug(caller, id)?;
        let list: Vec<Value> = bug
            .comments
            .iter()
            .filter(|c| model.can_see_comment(caller, c))
            // `new_since` is strict (recording 32).
            .filter(|c| since.is_none_or(|t| c.time > t))
            .map(comment_json)
            .collect();
        out.insert(id.to_string(), json!({ "comments": list }));
    }
    Ok(ApiResponse::ok(json!({ "bugs": out, "comments": {} })))
}

fn comment_by_id(model: &Model, caller: Option<&User>, id: u64) -> Result<ApiResponse, ApiError> {
    let found = model
        .bugs
        .values()
        .flat_map(|b| b.comments.iter())
        .find(|c| c.id == id)
        .ok_or_else(|| {
            ApiError::new(400, 111, format!("There is no comment with the id '{id}'."))
        })?;
    model.visible_bug(caller, found.bug_id)?;
    if !model.can_see_comment(caller, found) {
        return Err(ApiError::new(
            401,
            110,
            format!("Comment #{id} is private, and you are not authorized to view it."),
        ));
    }
    let mut comments = Map::new();
    comments.insert(id.to_string(), comment_json(found));
    Ok(ApiResponse::ok(json!({ "comments": comments, "bugs": {} })))
}

fn history(
    model: &Model,
    caller: Option<&User>,
    id: &str,
    q: &Params<'_>,
) -> Result<ApiResponse, ApiError> {
    let since = q.first("new_since").map(parse_time).transpose()?;
    let bug = model.visible_bug(caller, Model::parse_bug_id(id)?)?;
    let entries: Vec<Value> = bug
        .history
        .iter()
        .filter(|h| since.is_none_or(|t| h.when > t))
        .map(|h| {
            json!({
                "when": format_time(h.when),
                "who": h.who,
                "changes": h.changes.iter().map(|c| json!({
                    "field_name": c.field_name,
                    "removed": c.removed,
                    "added": c.added,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(ApiResponse::ok(json!({ "bugs": [{
        "id": bug.id,
        "alias": [],
        "history": entries,
    }]})))
}

fn users(model: &Model, caller: Option<&User>, q: &Params<'_>) -> Result<ApiResponse, ApiError> {
    let mut found: Vec<&User> = Vec::new();
    // One user per value; a comma list is one unknown name (a guess).
    for name in q.values("names") {
        let user = model
            .user(name)
            .ok_or_else(|| ApiError::no_such_user(name))?;
        found.push(user);
    }
    for id in q.values("ids") {
        let user = id
            .parse::<u64>()
            .ok()
            .and_then(|id| model.users.iter().find(|u| u.id == id))
            .ok_or_else(|| {
                ApiError::new(404, 51, format!("There is no user with the id '{id}'."))
            })?;
        found.push(user);
    }
    let matches = q.values("match");
    if !matches.is_empty() {
        if caller.is_none() {
            return Err(ApiError::login_required());
        }
        let mut matched: Vec<&User> = model
            .users
            .iter()
            .filter(|u| {
                matches.iter().any(|m| {
                    let m = m.to_lowercase();
                    u.login.to_lowercase().contains(&m) || u.real_name.to_lowercase().contains(&m)
                })
            })
            .collect();
        matched.sort_by(|a, b| a.login.cmp(&b.login));
        found.extend(matched);
    }
    if found.is_empty()
        && q.first("names").is_none()
        && q.first("ids").is_none()
        && q.first("match").is_none()
    {
        return Err(ApiError::new(
            400,
            50,
            "The function User.get requires that you set one of the following parameters: ids, names, match",
        ));
    }
    let groups = q.values("groups");
    for group in &groups {
        // The caller must be in a group to ask who else is (recording 95).
        if !caller.is_some_and(|c| c.admin || c.in_group(group)) {
            return Err(ApiError::new(
                400,
                804,
                format!("The group you specified, {group}, is not valid here."),
            ));
        }
    }
    if !groups.is_empty() {
        found.retain(|u| groups.iter().any(|g| u.in_group(g)));
    }
    let filter = q.fields();
    let rendered: Vec<Value> = found
        .into_iter()
        .map(|user| user_json(model, caller, user, &filter))
        .collect();
    Ok(ApiResponse::ok(json!({ "users": rendered })))
}

/// A user as `GET /rest/user` shows it to `caller`: anonymous callers get
/// id, name and real name; others also e-mail and `can_login`, but the
/// groups only of themselves (admins: of everyone). Admins always get
/// `email_enabled` and `login_denied_text`, even outside `include_fields`
/// (recordings 50, 51, 56).
fn user_json(model: &Model, caller: Option<&User>, user: &User, filter: &FieldFilter) -> Value {
    let mut object = Map::new();
    object.insert("id".to_owned(), json!(user.id));
    object.insert("name".to_owned(), json!(user.login));
    object.insert("real_name".to_owned(), json!(user.real_name));
    let Some(caller) = caller else {
        return filter.apply(object);
    };
    object.insert("email".to_owned(), json!(user.login));
    object.insert("can_login".to_owned(), json!(true));
    let is_self = caller.login == user.login;
    let groups: Vec<Value> = if is_self || caller.admin {
        let mut mine: Vec<_> = model
            .groups
            .iter()
            .filter(|g| user.in_group(&g.name))
            .collect();
        mine.sort_by(|a, b| a.name.cmp(&b.name));
        mine.iter()
            .map(|g| json!({ "id": g.id, "name": g.name, "description": g.description }))
            .collect()
    } else {
        Vec::new()
    };
    object.insert("groups".to_owned(), Value::Array(groups));
    if is_self {
        object.insert("saved_searches".to_owned(), json!([]));
        object.insert("saved_reports".to_owned(), json!([]));
    }
    let mut out = filter.apply(object);
    if caller.admin {
        out["email_enabled"] = json!(true);
        out["login_denied_text"] = json!("");
    }
    out
}

fn flag_type_json(model: &Model, product: &str) -> Vec<Value> {
    let mut types: Vec<_> = model
        .flag_types
        .iter()
        .filter(|t| t.applies_to(product))
        .collect();
    types.sort_by_key(|t| (t.sort_key, t.id));
    types
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "type": "bug",
                "is_active": true,
                "is_multiplicable": t.multiplicable,
                "is_requesteeble": t.requesteeble,
                "values": ["X", "?", "+", "-"],
            })
        })
        .collect()
}

/// `GET /rest/flag_type/PRODUCT/COMPONENT`: an unknown product is 401/106
/// (recording 135).
fn flag_types(model: &Model, product: &str, component: &str) -> Result<ApiResponse, ApiError> {
    let known = model
        .products
        .iter()
        .find(|p| p.name == product)
        .ok_or_else(|| {
            ApiError::new(
                401,
                106,
                format!(
                    "Either the product '{product}' does not exist or you don't have access to it."
                ),
            )
        })?;
    if !known.components.iter().any(|c| c.name == component) {
        return Err(ApiError::new(
            400,
            105,
            format!("Product {product} has no component named {component}."),
        ));
    }
    Ok(ApiResponse::ok(
        json!({ "bug": flag_type_json(model, product), "attachment": [] }),
    ))
}

fn products(model: &Model, q: &Params<'_>) -> Result<ApiResponse, ApiError> {
    let names = q.values("names");
    if names.is_empty() {
        return Err(ApiError::new(
            400,
            50,
            "The function Product.get requires that you set one of the following parameters: ids, names, type",
        ));
    }
    let rendered: Vec<Value> = model
        .products
        .iter()
        .filter(|p| names.contains(&p.name.as_str()))
        .map(|p| {
            let mut types: Vec<_> = model
                .flag_types
                .iter()
                .filter(|t| t.applies_to(&p.name))
                .collect();
            types.sort_by_key(|t| (t.sort_key, t.id));
            let bug_types: Vec<Value> = types
                .iter()
                .map(|t| {
                    json!({
                        "id": t.id,
                        "name": t.name,
                        "description": t.description,
                        "is_active": true,
                        "is_multiplicable": t.multiplicable,
                        "is_requesteeble": t.requesteeble,
                        "is_requestable": true,
                        "sort_key": t.sort_key,
                        "cc_list": "",
                        "grant_group": null,
                        "request_group": null,
                    })
                })
                .collect();
            json!({
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "classification": "Unclassified",
                "is_active": true,
                "has_unconfirmed": true,
                "default_milestone": p.milestones.first().map_or("---", |m| m.name.as_str()),
                "versions": p.versions.iter().map(|v| json!({
                    "id": v.id, "name": v.name, "sort_key": v.sort_key, "is_active": true,
                })).collect::<Vec<_>>(),
                "milestones": p.milestones.iter().map(|m| json!({
                    "id": m.id, "name": m.name, "sort_key": m.sort_key, "is_active": true,
                })).collect::<Vec<_>>(),
                "components": p.components.iter().map(|c| json!({
                    "id": c.id,
                    "name": c.name,
                    "description": c.description,
                    "default_assigned_to": c.default_assignee,
                    "default_qa_contact": c.default_qa_contact,
                    "sort_key": 0,
                    "is_active": true,
                    "flag_types": { "bug": bug_types, "attachment": [] },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let filter = q.fields();
    let rendered: Vec<Value> = rendered
        .into_iter()
        .map(|p| filter.apply_nested(p, ""))
        .collect();
    Ok(ApiResponse::ok(json!({ "products": rendered })))
}

/// `GET /rest/field/bug/bug_status`: stock 5.2's status workflow. Other
/// fields are not implemented.
fn field(name: &str) -> Result<ApiResponse, ApiError> {
    if name != "bug_status" && name != "status" {
        return Err(ApiError::new(
            404,
            32614,
            format!("A REST API resource was not found for 'GET /field/bug/{name}'."),
        ));
    }
    let values: Vec<Value> = WORKFLOW
        .iter()
        .map(|(name, sort, to)| {
            let is_open = name.is_none_or(|n| OPEN_STATUSES.contains(&n));
            json!({
                "name": name,
                "sort_key": sort,
                "sortkey": sort,
                "is_open": is_open,
                "visibility_values": [],
                "can_change_to": to.iter().map(|s| json!({
                    "name": s, "comment_required": false,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(ApiResponse::ok(json!({ "fields": [{
        "id": 9,
        "name": "bug_status",
        "display_name": "Status",
        "type": 2,
        "is_custom": false,
        "is_mandatory": false,
        "is_on_bug_entry": false,
        "visibility_field": null,
        "visibility_values": [],
        "value_field": null,
        "values": values,
    }]})))
}
