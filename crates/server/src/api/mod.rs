//! The REST API: one table of routes, each with the permission it needs.

mod advisories;
mod audit;
mod drills;
mod events;
mod identity;
pub(crate) mod intel;
mod registry;
mod reports;
mod sensors;

use crate::auth;
use crate::AppState;
use axum::handler::Handler;
use axum::middleware;
use axum::routing::{on, MethodFilter, MethodRouter};
use http::Method;
use sakimori_core::Permission;
use utoipa::openapi::{RefOr, Schema};

/// Registers a type's schema (and those it refers to) and returns a reference to it.
pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema>;

pub fn schema_ref<T: utoipa::ToSchema>(
    components: &mut Vec<(String, RefOr<Schema>)>,
) -> RefOr<Schema> {
    components.push((T::name().into_owned(), T::schema()));
    T::schemas(components);
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

pub fn schema_list<T: utoipa::ToSchema>(
    components: &mut Vec<(String, RefOr<Schema>)>,
) -> RefOr<Schema> {
    let item = schema_ref::<T>(components);
    RefOr::T(Schema::Array(utoipa::openapi::schema::Array::new(item)))
}

/// One API route: what it is, who may call it, and what it takes and returns.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub permission: Permission,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Request body media type and schema, if it takes a body.
    pub request: Option<(&'static str, SchemaFn)>,
    pub response: Option<SchemaFn>,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    handler: MethodRouter<AppState>,
}

impl RouteSpec {
    fn new<H, T>(
        method: Method,
        path: &'static str,
        permission: Permission,
        tag: &'static str,
        summary: &'static str,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        RouteSpec {
            method,
            path,
            permission,
            summary,
            tag,
            request: None,
            response: None,
            query: &[],
            handler: on(filter, handler),
        }
    }

    fn body(mut self, media: &'static str, schema: SchemaFn) -> Self {
        self.request = Some((media, schema));
        self
    }

    fn returns(mut self, schema: SchemaFn) -> Self {
        self.response = Some(schema);
        self
    }

    fn query(mut self, params: &'static [(&'static str, &'static str)]) -> Self {
        self.query = params;
        self
    }

    /// The handler wrapped in the permission check for this route.
    pub(crate) fn into_method_router(self, state: &AppState) -> MethodRouter<AppState> {
        if self.permission == Permission::Public {
            return self.handler;
        }
        self.handler.route_layer(middleware::from_fn_with_state(
            (state.clone(), self.permission),
            auth::require,
        ))
    }
}

const JSON: &str = "application/json";

/// Every API route. Paths use axum's `{param}` syntax, which is also OpenAPI's.
pub fn routes() -> Vec<RouteSpec> {
    use sakimori_core::registry::{Community, Contact, Organisation, Sector};
    use Permission::*;
    vec![
        RouteSpec::new(Method::POST, "/api/v1/session", Public, "identity", "Sign in with user name and password: a session token valid for 12 hours", identity::sign_in)
            .body(JSON, schema_ref::<identity::SignIn>)
            .returns(schema_ref::<identity::NewTokenAnswer>),
        RouteSpec::new(Method::GET, "/api/v1/me", Authenticated, "identity", "Who am I: user, organisation and roles", identity::me)
            .returns(schema_ref::<identity::Me>),
        RouteSpec::new(Method::GET, "/api/v1/sectors", ReadRegistry, "registry", "The critical-infrastructure sectors with sub-sectors and ministries", registry::sectors)
            .returns(schema_list::<Sector>),
        RouteSpec::new(Method::GET, "/api/v1/sectors/{id}", ReadRegistry, "registry", "One sector", registry::sector)
            .returns(schema_ref::<Sector>),
        RouteSpec::new(Method::GET, "/api/v1/organisations", ReadRegistry, "registry", "The organisation directory", registry::organisations)
            .query(&[("kind", "filter by kind, e.g. operator"), ("sector", "filter by sector id")])
            .returns(schema_list::<Organisation>),
        RouteSpec::new(Method::GET, "/api/v1/organisations/{id}", ReadRegistry, "registry", "One organisation; contacts and assets only where the caller may see them", registry::organisation)
            .returns(schema_ref::<registry::OrgView>),
        RouteSpec::new(Method::GET, "/api/v1/organisations/{id}/contacts", ReadOrgPrivate, "registry", "Contacts of an organisation", registry::contacts)
            .returns(schema_list::<sakimori_store::ContactRecord>),
        RouteSpec::new(Method::POST, "/api/v1/organisations/{id}/contacts", EditOrgContacts, "registry", "Add a contact", registry::add_contact)
            .body(JSON, schema_ref::<Contact>)
            .returns(schema_ref::<sakimori_store::ContactRecord>),
        RouteSpec::new(Method::POST, "/api/v1/contacts/{id}/verify", EditOrgContacts, "registry", "Confirm a contact as still valid today", registry::verify_contact)
            .returns(schema_ref::<sakimori_store::ContactRecord>),
        RouteSpec::new(Method::GET, "/api/v1/organisations/{id}/assets", ReadOrgPrivate, "registry", "Network assets of an organisation", registry::assets)
            .returns(schema_ref::<sakimori_core::registry::Assets>),
        RouteSpec::new(Method::GET, "/api/v1/organisations/{id}/users", ReadOrgPrivate, "identity", "Users of an organisation", identity::org_users)
            .returns(schema_list::<sakimori_store::User>),
        RouteSpec::new(Method::GET, "/api/v1/communities", ReadRegistry, "registry", "Sharing communities and their members", registry::communities)
            .returns(schema_list::<Community>),
        RouteSpec::new(Method::GET, "/api/v1/whois/{query}", Whois, "registry", "Resolve an IP address (longest prefix) or a domain (longest suffix) to its organisation", registry::whois)
            .returns(schema_ref::<registry::WhoisAnswer>),
        RouteSpec::new(Method::POST, "/api/v1/registry/import", ManageRegistry, "registry", "Import a registry file (YAML or CSV): all or nothing", registry::import)
            .query(&[("format", "yaml or csv (default from Content-Type, else yaml)")])
            .body("application/yaml", schema_ref::<sakimori_core::registry::RegistryDoc>)
            .returns(schema_ref::<sakimori_store::ImportReport>),
        RouteSpec::new(Method::GET, "/api/v1/registry/export", ExportRegistry, "registry", "Export the registry; private parts only where the caller may see them", registry::export)
            .query(&[("format", "yaml (default) or csv")]),
        RouteSpec::new(Method::GET, "/api/v1/users", ManageUsers, "identity", "All users", identity::users)
            .query(&[("org", "only users of this organisation")])
            .returns(schema_list::<sakimori_store::User>),
        RouteSpec::new(Method::POST, "/api/v1/users", ManageUsers, "identity", "Create a user", identity::create_user)
            .body(JSON, schema_ref::<identity::NewUserBody>)
            .returns(schema_ref::<sakimori_store::User>),
        RouteSpec::new(Method::POST, "/api/v1/users/{id}/disable", ManageUsers, "identity", "Disable a user; their tokens stop working", identity::disable_user)
            .returns(schema_ref::<sakimori_store::User>),
        RouteSpec::new(Method::GET, "/api/v1/tokens", ManageOwnTokens, "identity", "Your API tokens (never the secrets)", identity::tokens)
            .returns(schema_list::<sakimori_store::TokenInfo>),
        RouteSpec::new(Method::POST, "/api/v1/tokens", ManageOwnTokens, "identity", "Create an API token; the secret is shown once", identity::create_token)
            .body(JSON, schema_ref::<identity::NewTokenBody>)
            .returns(schema_ref::<identity::NewTokenAnswer>),
        RouteSpec::new(Method::DELETE, "/api/v1/tokens/{id}", ManageOwnTokens, "identity", "Revoke a token", identity::revoke_token)
            .returns(schema_ref::<sakimori_store::TokenInfo>),
        RouteSpec::new(Method::GET, "/api/v1/audit", ReadAudit, "audit", "Audit log entries, oldest first", audit::entries)
            .query(&[("after", "sequence number to start after (default 0)"), ("limit", "at most this many (default 100, max 1000)")])
            .returns(schema_list::<sakimori_core::audit::AuditEntry>),
        RouteSpec::new(Method::GET, "/api/v1/audit/verify", ReadAudit, "audit", "Verify the audit hash chain", audit::verify)
            .returns(schema_ref::<audit::VerifyAnswer>),
        RouteSpec::new(Method::GET, "/api/v1/classification", Authenticated, "reports", "The official lists (event, cause, attack type) and the severity scale, in Japanese and English", reports::classification),
        RouteSpec::new(Method::POST, "/api/v1/reports", SubmitReport, "reports", "Submit a report once: it is delivered to every routed recipient. Header Idempotency-Key makes retries store once", reports::submit)
            .query(&[("drill", "true for a drill report, never counted")])
            .body(JSON, schema_ref::<sakimori_core::report::ReportFields>)
            .returns(schema_ref::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::GET, "/api/v1/reports", ReadReports, "reports", "Reports your organisation sent or received (all, for the centre), newest first", reports::list)
            .query(&[("limit", "at most this many (default 200)")])
            .returns(schema_list::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::GET, "/api/v1/reports/{id}", ReadReports, "reports", "One report with its recipients' states (id or number); opening it marks it read", reports::show)
            .returns(schema_ref::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::PATCH, "/api/v1/reports/{id}", SubmitReport, "reports", "Update: a JSON object of the fields to change; a new version", reports::update)
            .body(JSON, schema_ref::<sakimori_core::report::ReportFields>)
            .returns(schema_ref::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/ack", HandleReports, "reports", "Acknowledge as a recipient", reports::acknowledge)
            .returns(schema_ref::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/comments", HandleReports, "reports", "Comment as a recipient or the reporter", reports::comment)
            .body(JSON, schema_ref::<reports::CommentBody>),
        RouteSpec::new(Method::GET, "/api/v1/reports/{id}/timeline", ReadReports, "reports", "Who changed, received, read and acknowledged what, and when", reports::timeline)
            .returns(schema_list::<sakimori_store::TimelineEntry>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/attachments", SubmitReport, "reports", "Attach a file (body: the bytes; Content-Type: its type)", reports::attach)
            .query(&[("name", "file name")])
            .body("application/octet-stream", schema_ref::<String>)
            .returns(schema_ref::<sakimori_store::AttachmentInfo>),
        RouteSpec::new(Method::GET, "/api/v1/reports/{id}/attachments", ReadReports, "reports", "Attachments of a report", reports::attachments)
            .returns(schema_list::<sakimori_store::AttachmentInfo>),
        RouteSpec::new(Method::GET, "/api/v1/attachments/{id}", ReadReports, "reports", "An attachment's content", reports::attachment),
        RouteSpec::new(Method::GET, "/api/v1/reports/{id}/anonymised", CoordinateReports, "reports", "The sharing-ready derivative: victim removed, technique and observables kept", reports::anonymised)
            .returns(schema_ref::<sakimori_core::report::AnonymisedReport>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/intel", ManageIntel, "intel", "Publish the report's anonymised derivative as a STIX report with its observables and indicators (the victim's own assets left out)", reports::publish_intel)
            .body(JSON, schema_ref::<reports::PublishIntel>)
            .returns(schema_ref::<sakimori_store::AddStatus>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/severity", CoordinateReports, "reports", "Evaluate severity (provisional or final), with reasons and an NCISS-style score", reports::evaluate_severity)
            .body(JSON, schema_ref::<reports::SeverityBody>)
            .returns(schema_ref::<reports::SeverityAnswer>),
        RouteSpec::new(Method::GET, "/api/v1/reports/{id}/severity", ReadReports, "reports", "Severity evaluations of a report", reports::severities)
            .returns(schema_list::<sakimori_store::SeverityRecord>),
        RouteSpec::new(Method::POST, "/api/v1/incidents", CoordinateReports, "reports", "Link reports into an incident (new, or an existing one)", reports::link)
            .body(JSON, schema_ref::<reports::LinkBody>)
            .returns(schema_ref::<reports::IncidentView>),
        RouteSpec::new(Method::GET, "/api/v1/incidents/{id}", CoordinateReports, "reports", "An incident and its reports", reports::incident)
            .returns(schema_ref::<reports::IncidentView>),
        RouteSpec::new(Method::POST, "/api/v1/reports/{id}/unlink", CoordinateReports, "reports", "Split a report out of its incident", reports::unlink)
            .returns(schema_ref::<sakimori_store::ReportRecord>),
        RouteSpec::new(Method::GET, "/api/v1/modes", Authenticated, "reports", "The operating mode per scope (national or sector)", reports::modes)
            .returns(schema_list::<sakimori_store::ModeState>),
        RouteSpec::new(Method::PUT, "/api/v1/modes/{scope}", CoordinateReports, "reports", "Switch the mode of `national` or a sector (large-scale outage mode)", reports::set_mode)
            .body(JSON, schema_ref::<reports::ModeBody>)
            .returns(schema_ref::<sakimori_store::ModeState>),
        RouteSpec::new(Method::PUT, "/api/v1/organisations/{id}/webhook", EditOrgContacts, "registry", "Set the organisation's notification webhook (HMAC-signed)", reports::set_webhook)
            .body(JSON, schema_ref::<reports::WebhookBody>),
        RouteSpec::new(Method::GET, "/api/v1/statistics", ReadStatistics, "reports", "Fiscal-year statistics of reports in the official layout (drills excluded)", reports::statistics)
            .query(&[("fy", "fiscal year, e.g. 2023 (default: current)"), ("format", "json (default), csv, html, svg, trend-svg"), ("lang", "en (default) or ja")])
            .returns(schema_ref::<sakimori_core::stats::Statistics>),
        RouteSpec::new(Method::POST, "/api/v1/advisories", WriteAdvisories, "advisories", "Write an advisory: delivered down the tiers (ministry, CEPTOAR, operators) to its audience", advisories::create)
            .query(&[("drill", "true for a drill message, never counted")])
            .body(JSON, schema_ref::<sakimori_core::advisory::AdvisoryFields>)
            .returns(schema_ref::<sakimori_store::AdvisoryRecord>),
        RouteSpec::new(Method::GET, "/api/v1/advisories", ReceiveAdvisories, "advisories", "Your inbox: advisories your organisation wrote or received", advisories::list)
            .query(&[("limit", "at most this many (default 200)")])
            .returns(schema_list::<advisories::AdvisoryView>),
        RouteSpec::new(Method::GET, "/api/v1/advisories/{id}", ReceiveAdvisories, "advisories", "One advisory (id or number), its body rendered; opening it marks it read", advisories::show)
            .returns(schema_ref::<advisories::AdvisoryView>),
        RouteSpec::new(Method::POST, "/api/v1/advisories/{id}/ack", ReceiveAdvisories, "advisories", "Acknowledge an advisory your organisation received", advisories::acknowledge)
            .returns(schema_ref::<advisories::AdvisoryView>),
        RouteSpec::new(Method::POST, "/api/v1/advisories/{id}/relay", ReceiveAdvisories, "advisories", "Relay to the tier below after your review, with an optional note", advisories::relay)
            .body(JSON, schema_ref::<advisories::RelayBody>)
            .returns(schema_ref::<advisories::AdvisoryView>),
        RouteSpec::new(Method::GET, "/api/v1/advisories/{id}/status", WriteAdvisories, "advisories", "Per tier and organisation: delivered, read, acknowledged, and how long it took", advisories::status)
            .returns(schema_ref::<advisories::StatusView>),
        RouteSpec::new(Method::POST, "/api/v1/drills", CoordinateReports, "drills", "Start a CEPTOAR drill: provision (a marked advisory down the tiers) or report (marked reports up the chain)", drills::create)
            .body(JSON, schema_ref::<drills::NewDrill>)
            .returns(schema_ref::<sakimori_store::DrillRecord>),
        RouteSpec::new(Method::GET, "/api/v1/drills", CoordinateReports, "drills", "Drills, newest first", drills::list)
            .returns(schema_list::<sakimori_store::DrillRecord>),
        RouteSpec::new(Method::GET, "/api/v1/drills/{id}/report", CoordinateReports, "drills", "Reachability per tier, sector and CEPTOAR, unconfirmed organisations, stale contacts, self-checks", drills::report)
            .query(&[("stale_days", "contacts not verified for this many days (default 365)"), ("format", "json (default) or svg")])
            .returns(schema_ref::<sakimori_store::DrillReport>),
        RouteSpec::new(Method::GET, "/api/v1/drills/questions", Authenticated, "drills", "The questions of the self-check sheet, in English and Japanese", drills::questions),
        RouteSpec::new(Method::POST, "/api/v1/drills/{id}/self-check", SubmitReport, "drills", "Your organisation's self-check sheet after a drill", drills::self_check)
            .body(JSON, schema_ref::<drills::SelfCheck>),
        RouteSpec::new(Method::GET, "/api/v1/notifications", ReadAudit, "audit", "The delivery log of e-mails and webhooks", reports::notifications)
            .returns(schema_list::<sakimori_store::OutboxItem>),
        RouteSpec::new(Method::GET, "/api/v1/intel/collections", ReadIntel, "intel", "The collections you may read (with the inbox of everything shared with you) and whether you may add to each", intel::collections)
            .returns(schema_list::<intel::CollectionView>),
        RouteSpec::new(Method::POST, "/api/v1/intel/collections", ManageIntel, "intel", "Create a collection for a community (or the whole platform)", intel::create_collection)
            .body(JSON, schema_ref::<intel::NewCollection>)
            .returns(schema_ref::<sakimori_store::Collection>),
        RouteSpec::new(Method::POST, "/api/v1/intel/objects", SubmitIntel, "intel", "Share STIX 2.1 objects (or a bundle) into a collection under a TLP marking, with named recipients for AMBER and RED; all or nothing unless partial", intel::share)
            .body(JSON, schema_ref::<intel::ShareRequest>)
            .returns(schema_ref::<sakimori_store::AddStatus>),
        RouteSpec::new(Method::GET, "/api/v1/intel/objects", ReadIntel, "intel", "Search what you may see: text, type, id, collection; anonymised where it left its community", intel::search)
            .query(&[("q", "text anywhere in the object"), ("type", "STIX type"), ("id", "STIX id"), ("collection", "collection id (default: everything)"), ("added_after", "timestamp"), ("limit", "page size (default 100)"), ("next", "cursor from the previous page"), ("versions", "last (default), first or all"), ("include_revoked", "true to list revoked objects")])
            .returns(schema_ref::<intel::SearchResult>),
        RouteSpec::new(Method::GET, "/api/v1/intel/objects/{id}", ReadIntel, "intel", "One object: every version you may see, and its correlations", intel::object)
            .returns(schema_ref::<intel::ObjectDetail>),
        RouteSpec::new(Method::POST, "/api/v1/intel/objects/{id}/relay", SubmitIntel, "intel", "Relay a TLP:AMBER object you received to one of your constituents (a hub to its members)", intel::relay)
            .body(JSON, schema_ref::<intel::RelayRequest>),
        RouteSpec::new(Method::GET, "/api/v1/intel/export", ReadIntel, "intel", "Export what you may see as a STIX 2.1 bundle (with the TLP marking definitions)", intel::export)
            .query(&[("q", "text anywhere in the object"), ("type", "STIX type"), ("collection", "collection id (default: everything)"), ("added_after", "timestamp")]),
        RouteSpec::new(Method::GET, "/api/v1/intel/correlations", ReadIntel, "intel", "How often values (addresses, domains, hashes) appear in reports, sightings and indicators, and from how many organisations", intel::correlations)
            .query(&[("value", "comma-separated values: an address, domain, URL, hash, or type:path=value")])
            .returns(schema_list::<sakimori_store::Correlation>),
        RouteSpec::new(Method::POST, "/api/v1/intel/misp", SubmitIntel, "intel", "Import a MISP event (attributes, objects, tags, galaxies; distribution and sharing group as TLP and community); all or nothing", intel::misp_import)
            .query(&[("collection", "collection id (default: the sharing group's community, else the platform)")])
            .body(JSON, schema_ref::<serde_json::Value>)
            .returns(schema_ref::<intel::MispImported>),
        RouteSpec::new(Method::GET, "/api/v1/intel/misp", ReadIntel, "intel", "Export what you may see as one MISP event", intel::misp_export)
            .query(&[("q", "text anywhere in the object"), ("type", "STIX type"), ("collection", "collection id (default: everything)")]),
        RouteSpec::new(Method::GET, "/api/v1/intel/public", Public, "intel", "The public feed: TLP:CLEAR objects as a STIX bundle, without a token (when [intel] public_feed is on)", intel::public_feed),
        RouteSpec::new(Method::GET, "/api/v1/events", TriageEvents, "events", "Events requiring confirmation (確認を要するイベント) from the sensors, newest activity first; the coordination centre's analysts only", events::list)
            .query(&[("state", "open, confirmed, dismissed, escalated or all (default: all)"), ("org", "only events targeting this organisation"), ("limit", "at most this many (default 200, max 5000)")])
            .returns(schema_list::<sakimori_store::SensorEvent>),
        RouteSpec::new(Method::GET, "/api/v1/events/statistics", TriageEvents, "events", "Sensor statistics: records, noise by reason and ratio, events and notifications per organisation, sector and technique, per sensor. Default period: the current fiscal year (April to March)", events::statistics)
            .query(&[("from", "first day, YYYY-MM-DD (default: 1 April of the current fiscal year)"), ("to", "last day, YYYY-MM-DD (default: 31 March ending the current fiscal year)")])
            .returns(schema_ref::<sakimori_store::SensorStatistics>),
        RouteSpec::new(Method::GET, "/api/v1/events/{id}", TriageEvents, "events", "One event (id or number) with its evidence, targets and matching indicators", events::show)
            .returns(schema_ref::<sakimori_store::SensorEvent>),
        RouteSpec::new(Method::POST, "/api/v1/events/{id}/confirm", TriageEvents, "events", "Confirm an open event: the owning organisation alone is notified (an advisory delivered directly, never relayed) and each matching indicator gets a sighting shared with it", events::confirm)
            .body(JSON, schema_ref::<events::ConfirmBody>)
            .returns(schema_ref::<events::ConfirmAnswer>),
        RouteSpec::new(Method::POST, "/api/v1/events/{id}/dismiss", TriageEvents, "events", "Dismiss an open event as noise; with suppress, the same source and technique are dropped from now on", events::dismiss)
            .body(JSON, schema_ref::<events::DismissBody>)
            .returns(schema_ref::<sakimori_store::SensorEvent>),
        RouteSpec::new(Method::POST, "/api/v1/events/{id}/escalate", TriageEvents, "events", "Escalate an open event to an incident report of the centre (routed like any report, the owner notified)", events::escalate)
            .body(JSON, schema_ref::<events::EscalateBody>)
            .returns(schema_ref::<sakimori_store::SensorEvent>),
        RouteSpec::new(Method::GET, "/api/v1/sensors", TriageEvents, "events", "Each sensor's counts over all days and when its last batch was processed", events::sensors)
            .returns(schema_list::<sakimori_store::SensorStatus>),
        RouteSpec::new(Method::GET, "/api/v1/suppressions", TriageEvents, "events", "Active suppressions: analysts' rules that drop matching records as noise", events::suppressions)
            .returns(schema_list::<events::SuppressionView>),
        RouteSpec::new(Method::POST, "/api/v1/suppressions", TriageEvents, "events", "Add a suppression (at least one of source, target, technique, signature_id)", events::add_suppression)
            .body(JSON, schema_ref::<events::SuppressionBody>)
            .returns(schema_ref::<events::SuppressionView>),
        RouteSpec::new(Method::DELETE, "/api/v1/suppressions/{id}", TriageEvents, "events", "Remove a suppression", events::remove_suppression),
        RouteSpec::new(Method::POST, "/api/v1/sensors/{sensor}/observations", SubmitObservations, "events", "A sensor's log lines (Suricata EVE, Zeek, BIND/Unbound) through the triage pipeline in this process; malformed lines are reported with line, offset and field, and the same lines posted again change nothing", sensors::ingest)
            .query(&[("site", "the site the sensor watches"), ("format", "eve, zeek or dns (default: guessed from the first line)")])
            .body("application/x-ndjson", schema_ref::<sensors::LogLines>)
            .returns(schema_ref::<sensors::IngestAnswer>),
    ]
}
