//! A TAXII 2.1 client for federation: discover an API root, list collections,
//! page through a collection's objects by `added_after` (resumable from the
//! last `X-TAXII-Date-Added-Last` seen) and add objects. Works against any TAXII
//! 2.1 server: another Sakimori, OpenCTI, MISP's TAXII, medallion.

use serde_json::Value;

pub const TAXII: &str = "application/taxii+json;version=2.1";

#[derive(Debug, thiserror::Error)]
pub enum TaxiiError {
    #[error("cannot reach {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url}: {message}")]
    Protocol { url: String, message: String },
}

/// How to authenticate to the peer.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Basic { user: String, password: String },
}

/// A collection as the peer describes it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CollectionInfo {
    pub id: String,
    pub title: String,
    pub can_read: bool,
    pub can_write: bool,
}

/// One page of objects.
#[derive(Debug, Clone)]
pub struct Page {
    pub objects: Vec<Value>,
    pub more: bool,
    pub next: Option<String>,
    /// `X-TAXII-Date-Added-Last`: where the next pull resumes.
    pub date_added_last: Option<String>,
}

pub struct TaxiiClient {
    http: reqwest::Client,
    url: String,
    auth: Auth,
}

impl TaxiiClient {
    /// `url` is the discovery endpoint (`.../taxii2/`) or an API root.
    pub fn new(url: &str, auth: Auth) -> TaxiiClient {
        let url = if url.ends_with('/') {
            url.to_owned()
        } else {
            format!("{url}/")
        };
        TaxiiClient {
            http: reqwest::Client::new(),
            url,
            auth,
        }
    }

    async fn get(&self, url: &str) -> Result<(reqwest::header::HeaderMap, Value), TaxiiError> {
        let req = self.http.get(url).header("accept", TAXII);
        let resp = self
            .authed(req)
            .send()
            .await
            .map_err(|source| TaxiiError::Http {
                url: url.to_owned(),
                source,
            })?;
        let headers = resp.headers().clone();
        let status = resp.status();
        let text = resp.text().await.map_err(|source| TaxiiError::Http {
            url: url.to_owned(),
            source,
        })?;
        if !status.is_success() {
            return Err(status_error(url, status.as_u16(), &text));
        }
        let body = serde_json::from_str(&text).map_err(|e| TaxiiError::Protocol {
            url: url.to_owned(),
            message: format!("not JSON: {e}"),
        })?;
        Ok((headers, body))
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
        }
    }

    /// The API root: the URL itself when it is one, else the discovery's default
    /// (or its first root).
    pub async fn api_root(&self) -> Result<String, TaxiiError> {
        let (_, body) = self.get(&self.url).await?;
        if body.get("versions").is_some() {
            return Ok(self.url.clone());
        }
        let root = body
            .get("default")
            .and_then(Value::as_str)
            .or_else(|| body.get("api_roots")?.as_array()?.first()?.as_str())
            .ok_or_else(|| TaxiiError::Protocol {
                url: self.url.clone(),
                message: "neither a discovery resource with api_roots nor an API root".into(),
            })?;
        let base = reqwest::Url::parse(&self.url).map_err(|e| TaxiiError::Protocol {
            url: self.url.clone(),
            message: e.to_string(),
        })?;
        let root = base.join(root).map_err(|e| TaxiiError::Protocol {
            url: root.to_owned(),
            message: e.to_string(),
        })?;
        let mut root = root.to_string();
        if !root.ends_with('/') {
            root.push('/');
        }
        Ok(root)
    }

    pub async fn collections(&self, root: &str) -> Result<Vec<CollectionInfo>, TaxiiError> {
        let (_, body) = self.get(&format!("{root}collections/")).await?;
        let list = body
            .get("collections")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(list
            .iter()
            .map(|c| CollectionInfo {
                id: c["id"].as_str().unwrap_or_default().to_owned(),
                title: c["title"].as_str().unwrap_or_default().to_owned(),
                can_read: c["can_read"].as_bool().unwrap_or(false),
                can_write: c["can_write"].as_bool().unwrap_or(false),
            })
            .collect())
    }

    /// One page of a collection, after `added_after` (and `next`, when the
    /// server pages that way).
    pub async fn objects(
        &self,
        root: &str,
        collection: &str,
        added_after: Option<&str>,
        next: Option<&str>,
        limit: usize,
    ) -> Result<Page, TaxiiError> {
        let mut url = reqwest::Url::parse(&format!("{root}collections/{collection}/objects/"))
            .map_err(|e| TaxiiError::Protocol {
                url: root.to_owned(),
                message: e.to_string(),
            })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            if let Some(a) = added_after {
                q.append_pair("added_after", a);
            }
            if let Some(n) = next {
                q.append_pair("next", n);
            }
        }
        let (headers, body) = self.get(url.as_str()).await?;
        Ok(Page {
            objects: body
                .get("objects")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            more: body.get("more").and_then(Value::as_bool).unwrap_or(false),
            next: body.get("next").and_then(Value::as_str).map(str::to_owned),
            date_added_last: headers
                .get("x-taxii-date-added-last")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }

    /// Add objects; returns the status resource.
    pub async fn add(
        &self,
        root: &str,
        collection: &str,
        objects: &[Value],
    ) -> Result<Value, TaxiiError> {
        let url = format!("{root}collections/{collection}/objects/");
        let body = serde_json::json!({ "objects": objects }).to_string();
        let req = self
            .http
            .post(&url)
            .header("accept", TAXII)
            .header("content-type", TAXII)
            .body(body);
        let resp = self
            .authed(req)
            .send()
            .await
            .map_err(|source| TaxiiError::Http {
                url: url.clone(),
                source,
            })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|source| TaxiiError::Http {
            url: url.clone(),
            source,
        })?;
        if !status.is_success() {
            return Err(status_error(&url, status.as_u16(), &text));
        }
        serde_json::from_str(&text).map_err(|e| TaxiiError::Protocol {
            url,
            message: format!("status is not JSON: {e}"),
        })
    }
}

fn status_error(url: &str, status: u16, text: &str) -> TaxiiError {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let message = v["description"]
        .as_str()
        .or_else(|| v["title"].as_str())
        .or_else(|| v["error"]["message"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| text.chars().take(200).collect());
    TaxiiError::Status {
        url: url.to_owned(),
        status,
        message,
    }
}
