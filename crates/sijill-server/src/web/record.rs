//! Signing in and recording. A registrar fills several rows (an assembly's outcome) and the
//! whole form becomes one engine submission: every row is parsed first, and nothing is
//! submitted unless all parse; the engine then decides the batch atomically, and a rule broken
//! by row N is shown beside row N.
//!
//! Every form posts a CSRF token: the session's own once signed in, and before that (the
//! sign-in form) a random value held in a short-lived cookie and repeated in the form, so a
//! third-party page can neither sign a browser in nor post in its name.

use std::fmt::Write;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use sijill_domain::{
    AssemblyKind, Basis, BodyKind, Command, DateField, EdtfDate, EndReason, EntityRef, Handle,
    Names, Note,
};
use sijill_engine::{EngineError, Submission};

use super::html::esc;
use super::lang::{t, term, Lang};
use super::session::{random_hex, same_secret, Session};
use super::{cookie, local_path, see_other, Ctx, PageError, SESSION_COOKIE};
use crate::auth::Role;

/// Rows on the recording form: enough for one assembly's outcome; submit again for more.
pub const FORM_ROWS: usize = 8;
/// Rows a form may hold at most (`?rows=N` asks for more than [`FORM_ROWS`]): a founding
/// assembly registers and elects a few dozen people at once.
pub const FORM_ROWS_MAX: usize = 100;
/// The cookie that carries the sign-in form's CSRF value (the session does not exist yet).
pub const SIGNIN_COOKIE: &str = "sijill_signin";

type Fields = Vec<(String, String)>;

pub async fn signin_form(ctx: Ctx) -> Response {
    signin_page(&ctx, None, StatusCode::OK)
}

fn signin_page(ctx: &Ctx, error: Option<&str>, status: StatusCode) -> Response {
    let l = ctx.lang;
    // Where to go once signed in: the page that asked for it (a query parameter on the
    // form's first display, the posted field when the form comes back with an error).
    let asked = ctx.param("next").unwrap_or_default();
    let next = local_path(&asked).unwrap_or("/");
    let csrf = random_hex();
    let (err, described) = match error {
        Some(e) => (
            format!(
                "<p class=\"error\" id=\"token-error\" role=\"alert\">{}</p>",
                esc(e)
            ),
            " aria-invalid=\"true\" aria-describedby=\"token-error\"",
        ),
        None => (String::new(), ""),
    };
    let body = format!(
        "<p>{hint}</p><form method=\"post\" action=\"/signin\" class=\"signin\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"next\" value=\"{next}\">\
<p><label for=\"token\">{label}</label> \
<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required size=\"40\"{described}> \
<button>{go}</button></p>{err}</form>",
        hint = t(l, "signin_hint"),
        next = esc(next),
        label = t(l, "token"),
        go = t(l, "sign_in"),
    );
    let cookie = format!(
        "{SIGNIN_COOKIE}={csrf}{}; Max-Age=3600",
        ctx.cookie_attributes()
    );
    let page = ctx.render(
        t(l, "sign_in").to_owned(),
        ctx.state.engine().snapshot().position,
        &body,
    );
    (status, [(header::SET_COOKIE, cookie)], page).into_response()
}

/// Exchanges a token for a session; the token is checked against the server's token hashes
/// and never stored in the browser.
pub async fn signin(ctx: Ctx, Form(fields): Form<Fields>) -> Response {
    let expected = cookie(&ctx.headers, SIGNIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(field(&fields, "csrf"), &expected) {
        let message = t(ctx.lang, "form_expired");
        return signin_page(&ctx, Some(message), StatusCode::FORBIDDEN);
    }
    let token = field(&fields, "token");
    let Some(principal) = ctx.state.auth().tokens.find(token) else {
        let message = t(ctx.lang, "unknown_token");
        return signin_page(&ctx, Some(message), StatusCode::UNAUTHORIZED);
    };
    let id = ctx.sessions.open(principal.name.clone(), principal.role);
    let attributes = ctx.cookie_attributes();
    let session = format!("{SESSION_COOKIE}={id}{attributes}");
    let used = format!("{SIGNIN_COOKIE}={attributes}; Max-Age=0");
    let next = local_path(field(&fields, "next")).unwrap_or("/");
    let mut response = see_other(next);
    let headers = response.headers_mut();
    for cookie in [session, used] {
        if let Ok(value) = cookie.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

pub async fn signout(ctx: Ctx, Form(fields): Form<Fields>) -> Result<Response, PageError> {
    let Some((id, session)) = &ctx.session else {
        return Ok(see_other("/"));
    };
    if !same_secret(field(&fields, "csrf"), &session.csrf) {
        return Err(ctx.error(StatusCode::FORBIDDEN, t(ctx.lang, "form_expired").into()));
    }
    ctx.sessions.close(id);
    let cookie = format!("{SESSION_COOKIE}={}; Max-Age=0", ctx.cookie_attributes());
    Ok(([(header::SET_COOKIE, cookie)], see_other("/")).into_response())
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

/// The commands a row can hold: (wire name, label key, (command field, form input) pairs).
/// Electing, choosing by consensus and appointing are all `start_mandate`, told apart by the
/// basis.
/// (command field, form input) pairs.
type Pairs = &'static [(&'static str, &'static str)];

const COMMANDS: &[(&str, &str, Pairs)] = &[
    (
        "register_person",
        "c_register_person",
        &[("handle", "handle"), ("name", "name")],
    ),
    (
        "convene_assembly",
        "c_convene_assembly",
        &[
            ("handle", "handle"),
            ("body", "body"),
            ("kind", "assembly_kind"),
            ("held_on", "date"),
            ("name", "name"),
            ("venue", "venue"),
        ],
    ),
    (
        "found_body",
        "c_found_body",
        &[
            ("handle", "handle"),
            ("name", "name"),
            ("kind", "kind"),
            ("parent", "parent"),
            ("founded_on", "date"),
        ],
    ),
    (
        "start_mandate",
        "c_start_mandate",
        &[
            ("handle", "handle"),
            ("person", "person"),
            ("post", "post"),
            ("from", "date"),
            ("basis", "basis"),
            ("assembly", "assembly"),
            ("constituency", "constituency"),
        ],
    ),
    (
        "end_mandate",
        "c_end_mandate",
        &[("mandate", "mandate"), ("on", "date"), ("reason", "reason")],
    ),
    (
        "correct_name",
        "c_correct_name",
        &[("entity", "entity"), ("name", "name")],
    ),
    (
        "correct_date",
        "c_correct_date",
        &[("entity", "entity"), ("field", "field"), ("date", "date")],
    ),
    (
        "retract_event",
        "c_retract_event",
        &[("position", "position"), ("reason", "note")],
    ),
];

/// The text inputs of a row, in the order shown: (input, label key, example).
const INPUTS: &[(&str, &str, &str)] = &[
    ("mandate", "f_mandate", "@khemisset-member-…"),
    ("person", "f_person", "@achraf-chahboun"),
    ("post", "f_post", "@khemisset-coordinator"),
    ("entity", "f_entity", "@mohamed-ettabaa"),
    ("handle", "f_handle", "@new-handle"),
    ("name", "f_name", ""),
    ("body", "f_body", "@khemisset-coordination"),
    ("kind", "f_kind", "provincial-coordination"),
    ("venue", "f_venue", ""),
    ("parent", "f_parent", "@khemisset-coordination"),
    ("date", "f_date", "2024-05-12"),
    ("assembly", "f_assembly", "@khemisset-…-assembly"),
    ("constituency", "f_constituency", "@maaziz"),
    ("field", "f_field", "from"),
    ("position", "f_position", "42"),
    ("note", "f_note", ""),
];
const BASES: &[&str] = &[
    "elected",
    "elected_unanimously",
    "elected_by_acclamation",
    "chosen_by_consensus",
    "appointed",
    "co_opted",
    "ex_officio",
    "not_stated",
];
const REASONS: &[&str] = &["resigned", "removed", "term_expired", "died", "replaced"];
const ASSEMBLY_KINDS: &[&str] = &[
    "general_assembly",
    "founding_general_assembly",
    "congress",
    "council_session",
    "bureau_meeting",
    "other",
];
const REF_INPUTS: &[&str] = &[
    "body",
    "parent",
    "person",
    "post",
    "mandate",
    "entity",
    "assembly",
    "constituency",
];

/// The commands that use a form input, space-separated (for the script that hides the
/// inputs a chosen command does not use; without it every input shows).
fn used_by(input: &str) -> String {
    COMMANDS
        .iter()
        .filter(|(_, _, pairs)| pairs.iter().any(|(_, i)| *i == input))
        .map(|(c, _, _)| *c)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A row's value for one command field, typed as the wire wants it.
fn wire_value(input: &str, text: &str) -> Value {
    match input {
        "position" => text
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(text)),
        "basis" if text == "appointed" => json!({"appointed": {}}),
        "handle" if !text.starts_with('@') => Value::from(format!("@{text}")),
        i if REF_INPUTS.contains(&i)
            && !text.starts_with('@')
            && uuid::Uuid::parse_str(text).is_err() =>
        {
            Value::from(format!("@{text}"))
        }
        _ => Value::from(text),
    }
}

fn check<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    T::deserialize(value).map(drop).map_err(|e| e.to_string())
}

/// Whether a form input's value is of the type its command field wants.
fn check_input(input: &str, value: &Value) -> Result<(), String> {
    match input {
        "date" => check::<EdtfDate>(value),
        "handle" => check::<Handle>(value),
        "name" => check::<Names>(value),
        "kind" => check::<BodyKind>(value),
        "assembly_kind" => check::<AssemblyKind>(value),
        "venue" => check::<Names>(value),
        "reason" => check::<EndReason>(value),
        "field" => check::<DateField>(value),
        "note" => check::<Note>(value),
        "basis" => check::<Basis<EntityRef>>(value),
        "position" => check::<u64>(value).map_err(|_| "give a log position (a number)".to_owned()),
        i if REF_INPUTS.contains(&i) => check::<EntityRef>(value),
        _ => Ok(()),
    }
}

/// Parses one row: `None` when its command is not chosen, else the command or the input at
/// fault with the message.
fn parse_row(fields: &Fields, row: usize) -> Option<Result<Command, (String, String)>> {
    let get = |name: &str| field(fields, &format!("r{row}.{name}")).to_owned();
    let command = get("command");
    if command.is_empty() {
        return None;
    }
    let Some((_, _, pairs)) = COMMANDS.iter().find(|(c, _, _)| *c == command) else {
        return Some(Err((
            "command".into(),
            format!("unknown command {command}"),
        )));
    };
    let mut object = Map::new();
    object.insert("command".into(), command.clone().into());
    for (wire, input) in pairs.iter() {
        let text = get(input);
        if !text.is_empty() {
            let value = wire_value(input, &text);
            // Checked one by one: the command as a whole is a tagged enum, whose errors do
            // not say which field they come from.
            if let Err(message) = check_input(input, &value) {
                return Some(Err(((*input).to_owned(), message)));
            }
            object.insert((*wire).into(), value);
        }
    }
    let parsed = serde_path_to_error::deserialize::<_, Command>(Value::Object(object));
    Some(parsed.map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let mut wire = path.split('.').next().unwrap_or("").to_owned();
        // A missing field has no path: its name is in the message.
        if let Some(missing) = message.strip_prefix("missing field `") {
            wire = missing.split('`').next().unwrap_or("").to_owned();
        }
        let input = pairs
            .iter()
            .find(|(w, _)| *w == wire)
            .map(|(_, i)| (*i).to_owned())
            .unwrap_or_else(|| "command".into());
        (input, message)
    }))
}

/// Errors by (row, input name, message).
type Errors = Vec<(usize, String, String)>;

pub async fn form(ctx: Ctx) -> Result<Response, PageError> {
    let session = registrar(&ctx)?;
    Ok(form_page(
        &ctx,
        &session.csrf,
        &Vec::new(),
        &Vec::new(),
        StatusCode::OK,
    ))
}

fn registrar(ctx: &Ctx) -> Result<Session, PageError> {
    match &ctx.session {
        Some((_, s)) if s.role >= Role::Registrar => Ok(s.clone()),
        Some(_) => Err(ctx.error(StatusCode::FORBIDDEN, t(ctx.lang, "needs_registrar").into())),
        None => Err(ctx.error(
            StatusCode::UNAUTHORIZED,
            t(ctx.lang, "sign_in_first").into(),
        )),
    }
}

/// The rows' commands, or every row's error; a form with no row chosen is an error too.
fn parse_rows(fields: &Fields, lang: Lang) -> Result<(Vec<Command>, Vec<usize>), Errors> {
    let mut commands = Vec::new();
    let mut rows = Vec::new();
    let mut errors: Errors = Vec::new();
    for row in 0..FORM_ROWS_MAX {
        match parse_row(fields, row) {
            None => {}
            Some(Ok(c)) => {
                commands.push(c);
                rows.push(row);
            }
            Some(Err((input, message))) => errors.push((row, input, message)),
        }
    }
    if commands.is_empty() && errors.is_empty() {
        errors.push((0, "command".into(), t(lang, "fill_a_row").into()));
    }
    if errors.is_empty() {
        Ok((commands, rows))
    } else {
        Err(errors)
    }
}

pub async fn submit(ctx: Ctx, Form(fields): Form<Fields>) -> Result<Response, PageError> {
    let session = registrar(&ctx)?;
    // The session cookie is SameSite=Strict already; the token also stops same-site forgeries.
    if !same_secret(field(&fields, "csrf"), &session.csrf) {
        return Err(ctx.error(StatusCode::FORBIDDEN, t(ctx.lang, "form_expired").into()));
    }
    let refused = |errors: &Errors| {
        form_page(
            &ctx,
            &session.csrf,
            &fields,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let (commands, rows) = match parse_rows(&fields, ctx.lang) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(refused(&errors)),
    };
    let source = field(&fields, "source");
    let command_id = match field(&fields, "command_id") {
        // A form posted without its id (by a script, say) gets one minted by the engine.
        "" => None,
        id => match serde_json::from_value(Value::from(id)) {
            Ok(id) => Some(id),
            Err(e) => {
                let errors = vec![(0, "command_id".to_owned(), e.to_string())];
                return Ok(refused(&errors));
            }
        },
    };
    let submission = Submission {
        commands,
        command_id,
        actor: session.actor.clone(),
        source: (!source.is_empty()).then(|| source.to_owned()),
    };
    match ctx.state.engine().submit(submission).await {
        Ok(receipt) => Ok(see_other(&format!(
            "/log?from={}&recorded={}",
            receipt.first, receipt.last
        ))),
        Err(EngineError::Rejected { index, error, .. }) => {
            let row = rows.get(index).copied().unwrap_or(0);
            Ok(refused(&vec![(row, "command".into(), error.to_string())]))
        }
        Err(e) => Err(ctx.engine_error(e)),
    }
}

/// A `<select>`; `options` are (value, label).
fn select(row: usize, name: &str, options: &[(&str, &str)], chosen: &str, error: bool) -> String {
    let invalid = if error {
        format!(" aria-invalid=\"true\" aria-describedby=\"r{row}-{name}-error\"")
    } else {
        String::new()
    };
    let mut out = format!(
        "<select id=\"r{row}-{name}\" name=\"r{row}.{name}\"{invalid}><option value=\"\">—</option>"
    );
    for (value, label) in options {
        let sel = if *value == chosen { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{value}\"{sel}>{}</option>",
            esc(label)
        );
    }
    out.push_str("</select>");
    out
}

fn form_page(
    ctx: &Ctx,
    csrf: &str,
    fields: &Fields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let l = ctx.lang;
    // One id per filled form: submitting it twice (a double click, a retry) records it once.
    let command_id = match field(fields, "command_id") {
        "" => format!("web-{}", &random_hex()[..32]),
        id => id.to_owned(),
    };
    let mut body = format!(
        "<p>{intro}</p><form method=\"post\" action=\"/record\" class=\"record\" novalidate>\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"command_id\" value=\"{command_id}\">\
<p><label for=\"source\">{source_label}</label> \
<input id=\"source\" name=\"source\" size=\"60\" value=\"{source}\" placeholder=\"{source_hint}\"></p>",
        intro = t(l, "record_intro"),
        csrf = esc(csrf),
        command_id = esc(&command_id),
        source_label = t(l, "source"),
        source = esc(field(fields, "source")),
        source_hint = t(l, "source_hint"),
    );
    if !errors.is_empty() {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\" id=\"form-error\">{}</p>",
            t(l, "nothing_recorded")
        );
        if let Some((_, _, message)) = errors.iter().find(|(_, i, _)| i == "command_id") {
            let _ = write!(body, "<p class=\"error\">{}</p>", esc(message));
        }
    }
    // As many rows as asked for, and at least every row that was filled.
    let asked = ctx
        .param("rows")
        .and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(FORM_ROWS);
    let filled = (0..FORM_ROWS_MAX)
        .filter(|row| !field(fields, &format!("r{row}.command")).is_empty())
        .max()
        .map_or(0, |row| row + 1);
    let rows = asked.max(filled).clamp(1, FORM_ROWS_MAX);
    for row in 0..rows {
        body.push_str(&form_row(l, fields, errors, row));
    }
    let _ = write!(
        body,
        "<p><button>{}</button></p></form><p class=\"noprint\"><a href=\"/record?rows={}\">{}</a></p>",
        t(l, "record"),
        (rows * 2).min(FORM_ROWS_MAX),
        t(l, "more_rows")
    );
    let page = ctx.render(
        t(l, "record").to_owned(),
        ctx.state.engine().snapshot().position,
        &body,
    );
    (status, page).into_response()
}

fn form_row(l: Lang, fields: &Fields, errors: &Errors, row: usize) -> String {
    let value = |name: &str| field(fields, &format!("r{row}.{name}")).to_owned();
    let error_of = |name: &str| {
        errors
            .iter()
            .find(|(r, i, _)| *r == row && i == name)
            .map(|(_, _, m)| m.clone())
    };
    let chosen = value("command");
    let mut out = format!(
        "<fieldset class=\"row\" data-command=\"{}\"><legend>{} {}</legend>",
        esc(&chosen),
        t(l, "row"),
        row + 1
    );
    let mut cell = |name: &str, label: &str, used: &str, control: String| {
        let err = error_of(name)
            .map(|m| {
                format!(
                    "<span class=\"error field-error\" id=\"r{row}-{name}-error\">{}</span>",
                    esc(&m)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"field\" data-for=\"{used}\"><label for=\"r{row}-{name}\">{label}</label>{control}{err}</div>"
        );
    };
    let commands: Vec<(&str, &str)> = COMMANDS.iter().map(|(c, k, _)| (*c, t(l, k))).collect();
    let control = select(
        row,
        "command",
        &commands,
        &chosen,
        error_of("command").is_some(),
    );
    cell("command", t(l, "f_command"), "", control);
    for (input, key, example) in INPUTS {
        let invalid = if error_of(input).is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"r{row}-{input}-error\"")
        } else {
            String::new()
        };
        let control = format!(
            "<input id=\"r{row}-{input}\" name=\"r{row}.{input}\" value=\"{}\" placeholder=\"{}\"{invalid}>",
            esc(&value(input)),
            esc(example)
        );
        cell(input, t(l, key), &used_by(input), control);
    }
    // The inputs chosen from a list of wire names.
    for (input, key, options) in [
        ("basis", "basis", BASES),
        ("assembly_kind", "f_assembly_kind", ASSEMBLY_KINDS),
        ("reason", "f_reason", REASONS),
    ] {
        let options: Vec<(&str, &str)> = options.iter().map(|o| (*o, term(l, o))).collect();
        let invalid = error_of(input).is_some();
        let control = select(row, input, &options, &value(input), invalid);
        cell(input, t(l, key), &used_by(input), control);
    }
    out.push_str("</fieldset>");
    out
}
