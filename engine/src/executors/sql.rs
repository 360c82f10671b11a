//! SQL executor: an in-memory SQLite database per run (rusqlite, bundled SQLite).
//!
//! Each list input becomes a table named like its port: a list of records (dictionaries) has
//! one column per key (the union of keys, in first-seen order, then the fields of the port's
//! declared record type that no item has), any other list one column `value`. An empty list
//! whose port is declared a list of records (`List[Row]`, named types resolved) has the
//! record's columns, so queries naming them return no rows rather than fail. Other inputs are bound wherever the code names them as `:name` (or `@name`,
//! `$name`). The code may hold several statements; the rows of the last one that returns rows
//! are the result, as `List[Dict[String, Json]]`, for the single output or an output named
//! `rows`. When that output's type is not a list (say `Integer`), it gets the first column of
//! the first row (`null` when there is none). Lists and dictionaries go into cells as JSON
//! text, booleans as 0/1. A progress handler stops the query on timeout or cancel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use agentblocks_dsl::types::{resolve_required, Type, SCALAR_TYPES};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Batch, Connection};

use super::{CodeError, CodeRequest};
use crate::value::Value;

/// The output port that receives the rows when there are several outputs.
pub const ROWS_PORT: &str = "rows";
/// SQLite virtual-machine steps between two looks at the deadline and the cancel flag.
const PROGRESS_STEPS: i32 = 1000;

/// Runs `req.code` on a fresh in-memory SQLite database and returns the result rows.
pub fn run_sql(req: &CodeRequest) -> Result<Vec<(String, Value)>, CodeError> {
    if req.cancel.is_cancelled() {
        return Err(CodeError::Cancelled);
    }
    let (port, port_type) = match req.outputs {
        [] => (None, None),
        [(port, ty)] => (Some(port.clone()), Some(ty.clone())),
        many => match many.iter().find(|(port, _)| port == ROWS_PORT) {
            Some((port, ty)) if many.len() == 1 => (Some(port.clone()), Some(ty.clone())),
            _ => {
                return Err(CodeError::Setup(
                    "a SQL block has one output (the result rows), or an output named `rows`"
                        .into(),
                ))
            }
        },
    };
    let start = Instant::now();
    let conn = Connection::open_in_memory()
        .map_err(|err| CodeError::Setup(format!("could not open SQLite: {err}")))?;
    let stopped = Arc::new(AtomicBool::new(false));
    {
        let stopped = stopped.clone();
        let cancel = req.cancel.clone();
        let deadline = req.deadline(start);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let stop = cancel.is_cancelled() || deadline.is_some_and(|d| Instant::now() >= d);
                if stop {
                    stopped.store(true, Ordering::SeqCst);
                }
                stop
            }),
        );
    }
    // How many statements were prepared: locates errors SQLite gives no offset for.
    let prepared = std::cell::Cell::new(0usize);
    let failure = |err: rusqlite::Error, statement: usize| -> CodeError {
        if stopped.load(Ordering::SeqCst) {
            return req.stop_error();
        }
        sql_failure(req, err, statement)
    };
    // While preparing, the failing statement is the next one; while running, the last one.
    let fail_prepare = |err| failure(err, prepared.get());
    let fail = |err| failure(err, prepared.get().saturating_sub(1));

    for (name, value) in req.inputs {
        if let Value::List(items) = value {
            let declared = declared_fields(req, name);
            create_table(&conn, name, items, declared.as_deref()).map_err(|err| {
                CodeError::Setup(format!(
                    "could not make table `{name}` from its input: {err}"
                ))
            })?;
        }
    }

    let mut rows: Option<Vec<Value>> = None;
    let mut batch = Batch::new(&conn, req.code);
    while let Some(mut statement) = batch.next().map_err(fail_prepare)? {
        prepared.set(prepared.get() + 1);
        for index in 1..=statement.parameter_count() {
            let Some(name) = statement.parameter_name(index).map(str::to_string) else {
                return Err(CodeError::failed(
                    "SQL blocks take named parameters only (`:name`), not `?`",
                ));
            };
            let key = name.trim_start_matches([':', '@', '$']);
            let value = req
                .inputs
                .iter()
                .find(|(input, _)| input == key)
                .map(|(_, value)| value)
                .ok_or_else(|| {
                    CodeError::failed(format!("parameter `{name}` has no input named `{key}`"))
                })?;
            statement
                .raw_bind_parameter(index, to_sql(value))
                .map_err(fail)?;
        }
        if statement.column_count() == 0 {
            statement.raw_execute().map_err(fail)?;
            continue;
        }
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut result = Vec::new();
        let mut query = statement.raw_query();
        while let Some(row) = query.next().map_err(fail)? {
            let mut entries = Vec::with_capacity(columns.len());
            for (index, column) in columns.iter().enumerate() {
                let cell = row.get_ref(index).map_err(fail)?;
                entries.push((column.clone(), from_sql(cell)));
            }
            result.push(Value::Dict(entries));
        }
        rows = Some(result);
    }
    if stopped.load(Ordering::SeqCst) {
        return Err(req.stop_error());
    }

    let (Some(port), Some(port_type)) = (port, port_type) else {
        return Ok(Vec::new());
    };
    let rows = rows.ok_or_else(|| CodeError::MissingOutput { port: port.clone() })?;
    let value = if wants_rows(&port_type, req) {
        Value::List(rows)
    } else {
        match rows.into_iter().next() {
            Some(Value::Dict(mut entries)) if !entries.is_empty() => entries.swap_remove(0).1,
            _ => Value::Null,
        }
    };
    req.check_output(&port, &port_type, &value)?;
    Ok(vec![(port, value)])
}

/// True when the output takes all rows (a list, `Any`, `Json`), not the first cell.
fn wants_rows(ty: &Type, req: &CodeRequest) -> bool {
    let mut ty = ty.clone();
    for _ in 0..16 {
        match &ty {
            Type::Named(name) if matches!(name.as_str(), "Any" | "Json") => return true,
            Type::Named(name) if SCALAR_TYPES.contains(&name.as_str()) => return false,
            Type::Named(name) => match req.resolve_type(name) {
                Some(resolved) => ty = resolved,
                None => return true,
            },
            Type::Applied(name, args) if name == "Optional" && args.len() == 1 => {
                ty = args[0].clone()
            }
            Type::Applied(name, _) => return name == "List",
            Type::Record(_) => return false,
        }
    }
    true
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The field names of input `port`'s declared element type, when it is a list of records
/// (named types and `Optional` followed).
fn declared_fields(req: &CodeRequest, port: &str) -> Option<Vec<String>> {
    let resolve = |ty: &Type| resolve_required(ty, &|name| req.resolve_type(name));
    let (_, ty) = req.input_types.iter().find(|(name, _)| name == port)?;
    let Type::Applied(list, args) = resolve(ty) else {
        return None;
    };
    match (list.as_str(), args.as_slice()) {
        ("List", [item]) => match resolve(item) {
            Type::Record(fields) => Some(fields.into_iter().map(|(name, _)| name).collect()),
            _ => None,
        },
        _ => None,
    }
}

fn create_table(
    conn: &Connection,
    name: &str,
    items: &[Value],
    declared: Option<&[String]>,
) -> rusqlite::Result<()> {
    let all_dicts = items.iter().all(|item| matches!(item, Value::Dict(_)));
    let records = all_dicts && (!items.is_empty() || declared.is_some_and(|d| !d.is_empty()));
    let mut columns: Vec<String> = Vec::new();
    if records {
        for item in items {
            if let Value::Dict(entries) = item {
                for (key, _) in entries {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
            }
        }
        for field in declared.unwrap_or_default() {
            if !columns.contains(field) {
                columns.push(field.clone());
            }
        }
    }
    if columns.is_empty() {
        columns.push("value".into());
    }
    let table = quote_identifier(name);
    let column_list: Vec<String> = columns.iter().map(|c| quote_identifier(c)).collect();
    conn.execute_batch(&format!(
        "CREATE TABLE {table} ({})",
        column_list.join(", ")
    ))?;
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        column_list.join(", "),
        placeholders.join(", ")
    ))?;
    for item in items {
        let cells: Vec<ToSqlOutput<'_>> = match item {
            Value::Dict(entries) if records => columns
                .iter()
                .map(|column| {
                    entries
                        .iter()
                        .find(|(key, _)| key == column)
                        .map_or(ToSqlOutput::Owned(SqlValue::Null), |(_, value)| {
                            to_sql(value)
                        })
                })
                .collect(),
            other => vec![to_sql(other)],
        };
        insert.execute(rusqlite::params_from_iter(cells))?;
    }
    Ok(())
}

fn to_sql(value: &Value) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Number(n) => SqlValue::Real(*n),
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Path(p) => SqlValue::Text(p.to_string_lossy().into_owned()),
        other => SqlValue::Text(other.to_json().to_string()),
    })
}

fn from_sql(cell: ValueRef<'_>) -> Value {
    match cell {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(n) => Value::Number(n),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

/// A SQLite error, with the workflow line when SQLite says where in the code it is.
///
/// `statement` is the 0-based index of the failing statement.
fn sql_failure(req: &CodeRequest, err: rusqlite::Error, statement: usize) -> CodeError {
    let line = match &err {
        rusqlite::Error::SqlInputError { sql, offset, .. } if *offset >= 0 => {
            // `sql` is the rest of the code from the failing statement on.
            let start = req.code.len().saturating_sub(sql.len());
            let at = (start + *offset as usize).min(req.code.len());
            let code_line = req.code.as_bytes()[..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32
                + 1;
            Some(req.workflow_line(code_line))
        }
        _ => statement_line(req.code, statement).map(|line| req.workflow_line(line)),
    };
    let message = match &err {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    };
    CodeError::Failed {
        message,
        traceback: None,
        line,
    }
}

/// The 1-based line where statement number `index` (0-based) of `code` starts, found with
/// SQLite's own notion of a complete statement.
fn statement_line(code: &str, index: usize) -> Option<u32> {
    let mut start = 0;
    let mut count = 0;
    for (at, _) in code.match_indices(';') {
        let piece = &code[start..=at];
        let Ok(text) = std::ffi::CString::new(piece) else {
            return None;
        };
        // SAFETY: `text` is a valid NUL-terminated string for the duration of the call.
        if unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) } != 0 {
            if count == index {
                break;
            }
            count += 1;
            start = at + 1;
        }
    }
    if count < index {
        return None;
    }
    let leading = code[start..].len() - code[start..].trim_start().len();
    let offset = start + leading;
    Some(
        code.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32
            + 1,
    )
}
