//! A JSON cursor that knows where it is, so that every complaint about a MISP
//! document names the path of the offending value (`Event.Attribute[3].type`).
//!
//! MISP writes numbers and booleans loosely (`"distribution": "3"`, `"to_ids":
//! "1"`), so the readers accept both the JSON type and its string form.

use super::MispError;
use serde_json::Value;
use uuid::Uuid;

/// A value (or its absence) at a path of the document.
#[derive(Clone)]
pub(super) struct At<'a> {
    pub value: Option<&'a Value>,
    pub path: String,
}

type Result<T> = std::result::Result<T, MispError>;

impl<'a> At<'a> {
    pub fn root(value: &'a Value, path: &str) -> Self {
        At {
            value: Some(value),
            path: path.to_owned(),
        }
    }

    pub fn err(&self, problem: impl Into<String>) -> MispError {
        let path = if self.path.is_empty() {
            "$".to_owned()
        } else {
            self.path.clone()
        };
        MispError {
            path,
            problem: problem.into(),
        }
    }

    pub fn get(&self, key: &str) -> At<'a> {
        At {
            value: self.value.and_then(|v| v.get(key)),
            path: if self.path.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.path)
            },
        }
    }

    /// Present and not `null`.
    pub fn present(&self) -> Option<&'a Value> {
        self.value.filter(|v| !v.is_null())
    }

    pub fn opt_str(&self) -> Result<Option<&'a str>> {
        match self.present() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.err("expected a string")),
        }
    }

    pub fn str(&self) -> Result<&'a str> {
        self.opt_str()?.ok_or_else(|| self.err("missing"))
    }

    /// An integer, written as a number or a string of digits.
    pub fn opt_int(&self) -> Result<Option<i64>> {
        match self.present() {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err("expected an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.err(format!("expected an integer, found {s:?}"))),
            Some(_) => Err(self.err("expected an integer")),
        }
    }

    /// A boolean, written as `true`, `1`, `"1"` or `"true"` (and the negations).
    pub fn opt_bool(&self) -> Result<Option<bool>> {
        match self.present() {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
            Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
            Some(Value::String(s)) => match s.as_str() {
                "1" | "true" | "True" => Ok(Some(true)),
                "0" | "false" | "False" => Ok(Some(false)),
                _ => Err(self.err(format!("expected a boolean, found {s:?}"))),
            },
            Some(_) => Err(self.err("expected a boolean")),
        }
    }

    pub fn opt_uuid(&self) -> Result<Option<Uuid>> {
        self.opt_str()?
            .map(|s| Uuid::parse_str(s).map_err(|_| self.err(format!("not a UUID: {s:?}"))))
            .transpose()
    }

    /// The elements of an array; absent or `null` is the empty list.
    pub fn items(&self) -> Result<Vec<At<'a>>> {
        match self.present() {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| At {
                    value: Some(v),
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            Some(_) => Err(self.err("expected an array")),
        }
    }

    /// A list of strings; absent is empty.
    pub fn strings(&self) -> Result<Vec<String>> {
        self.items()?
            .iter()
            .map(|i| i.str().map(str::to_owned))
            .collect()
    }

    /// The names of a MISP `Tag` list (`[{"name": ...}, ...]`).
    pub fn tag_names(&self) -> Result<Vec<String>> {
        self.items()?
            .iter()
            .map(|t| t.get("name").str().map(str::to_owned))
            .collect()
    }
}
