//! The OpenAPI 3.1 document, generated from the route table and the schemas of
//! the types the handlers take and return.

use crate::api::{routes, schema_ref};
use crate::error::ErrorBody;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Required,
    ResponseBuilder,
};

fn http_method(m: &http::Method) -> HttpMethod {
    match *m {
        http::Method::POST => HttpMethod::Post,
        http::Method::PUT => HttpMethod::Put,
        http::Method::PATCH => HttpMethod::Patch,
        http::Method::DELETE => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// Build the document.
pub fn document() -> OpenApi {
    let mut components = Vec::new();
    let error_schema = schema_ref::<ErrorBody>(&mut components);
    let mut paths = Paths::new();
    for r in routes() {
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .description(Some(format!("Requires permission `{:?}`.", r.permission)))
            .operation_id(Some(format!(
                "{}{}",
                r.method.as_str().to_lowercase(),
                r.path
                    .trim_start_matches("/api/v1")
                    .replace(['/', '{', '}'], "_")
            )))
            .tag(r.tag);
        if r.permission != sakimori_core::Permission::Public {
            op = op
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .security(SecurityRequirement::new("basic", Vec::<String>::new()));
        }
        for segment in r.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(utoipa::openapi::schema::Type::String.into_schema())),
                );
            }
        }
        for (name, desc) in r.query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(*desc))
                    .schema(Some(utoipa::openapi::schema::Type::String.into_schema())),
            );
        }
        if let Some((media, schema)) = r.request {
            let content = ContentBuilder::new()
                .schema(Some(schema(&mut components)))
                .build();
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content(media, content)
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let mut ok = ResponseBuilder::new().description("Success");
        if let Some(schema) = r.response {
            ok = ok.content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(schema(&mut components)))
                    .build(),
            );
        }
        let error = |d: &str| {
            ResponseBuilder::new()
                .description(d)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(error_schema.clone()))
                        .build(),
                )
                .build()
        };
        op = op
            .response("200", ok.build())
            .response("401", error("No valid token"))
            .response(
                "403",
                error("The caller's roles or relations do not permit this"),
            )
            .response("404", error("Not found"))
            .response("422", error("Invalid input; `field` names it"));
        paths.add_path_operation(r.path, vec![http_method(&r.method)], op.build());
    }
    let mut cb = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    for (name, schema) in components {
        cb = cb.schema(name, schema);
    }
    let _ = PathItem::new(HttpMethod::Get, OperationBuilder::new().build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Sakimori API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "REST API of Sakimori, the open platform for national cyber defence. \
                     Authenticate with `Authorization: Bearer <token>`.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(cb.build()))
        .build()
}

trait IntoSchema {
    fn into_schema(self) -> utoipa::openapi::schema::Object;
}

impl IntoSchema for utoipa::openapi::schema::Type {
    fn into_schema(self) -> utoipa::openapi::schema::Object {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(self)
            .build()
    }
}
