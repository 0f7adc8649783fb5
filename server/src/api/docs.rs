//! The API's reference page, written once from its OpenAPI document: every operation with its
//! parameters, body and answers, then every schema with its fields. Plain HTML served by the
//! binary itself: no script, no CDN.

use html_escape::encode_text as text;
use serde_json::Value;
use utoipa::openapi::OpenApi;

/// The reference page for `document`.
pub fn reference_page(document: &OpenApi) -> String {
    let doc = serde_json::to_value(document).unwrap_or(Value::Null);
    let mut out = String::with_capacity(64 * 1024);
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    out.push_str(&format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} reference</title><style>{STYLE}</style></head><body><main>",
        text(title)
    ));
    out.push_str(&format!(
        "<h1>{} <small>v{}</small></h1><p>The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI {}).</p>",
        text(title),
        text(doc["info"]["version"].as_str().unwrap_or("")),
        text(doc["openapi"].as_str().unwrap_or(""))
    ));
    for paragraph in doc["info"]["description"]
        .as_str()
        .unwrap_or("")
        .split("\n\n")
    {
        out.push_str(&format!("<p>{}</p>", code_spans(paragraph)));
    }
    out.push_str("<h2>Operations</h2><nav><ul>");
    let operations = operations(&doc);
    for (method, path, op) in &operations {
        out.push_str(&format!(
            "<li><a href=\"#{}\"><code>{} {}</code></a> — {}</li>",
            text(op["operationId"].as_str().unwrap_or("")),
            method.to_uppercase(),
            text(path),
            code_spans(
                op["summary"]
                    .as_str()
                    .or(op["description"].as_str())
                    .unwrap_or("")
            )
        ));
    }
    out.push_str("</ul></nav>");
    for (method, path, op) in &operations {
        operation(&mut out, method, path, op);
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            schema_section(&mut out, name, schema);
        }
    }
    out.push_str("</main></body></html>");
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1b1f24;background:#fff}main{max-width:960px;margin:0 auto;padding:1rem 1.5rem 4rem}code{font-family:ui-monospace,monospace;background:#f2f4f7;padding:0 .25em;border-radius:3px}section{border-top:1px solid #d5dae1;padding-top:.5rem;margin-top:1.5rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #e4e7ec;padding:.3rem .5rem}.method{font-weight:700;text-transform:uppercase}small{color:#5b6472;font-weight:400}";

/// `a `b` c` with its backquoted spans as code, the rest escaped.
fn code_spans(paragraph: &str) -> String {
    paragraph
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", text(part))
            } else {
                text(part).into_owned()
            }
        })
        .collect()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(op) = item.get(method) {
                    found.push((method.to_string(), path.clone(), op.clone()));
                }
            }
        }
    }
    found
}

/// A schema's name (for a reference) or its type, as the page writes it.
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", text(name));
    }
    for combined in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema[combined].as_array() {
            let parts: Vec<String> = list
                .iter()
                .filter(|s| s["type"].as_str() != Some("null"))
                .map(type_of)
                .collect();
            let nullable = list.iter().any(|s| s["type"].as_str() == Some("null"));
            return format!(
                "{}{}",
                parts.join(" or "),
                if nullable { " or null" } else { "" }
            );
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .filter_map(|v| v.as_str())
            .map(|v| format!("<code>{}</code>", text(v)))
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let kind = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(list) => list
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::new(),
    };
    if kind.starts_with("array") {
        return format!("array of {}", type_of(&schema["items"]));
    }
    match schema["format"].as_str() {
        Some(format) => format!("{} ({})", text(&kind), text(format)),
        None => text(&kind).into_owned(),
    }
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    out.push_str(&format!(
        "<section id=\"{}\"><h3><span class=\"method\">{}</span> <code>{}</code></h3>",
        text(op["operationId"].as_str().unwrap_or("")),
        text(&method.to_uppercase()),
        text(path)
    ));
    for paragraph in op["description"]
        .as_str()
        .or(op["summary"].as_str())
        .unwrap_or("")
        .split("\n\n")
    {
        out.push_str(&format!("<p>{}</p>", code_spans(paragraph)));
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>",
        );
        for p in params {
            out.push_str(&format!(
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(p["name"].as_str().unwrap_or("")),
                if p["required"].as_bool() == Some(true) {
                    " (required)"
                } else {
                    ""
                },
                text(p["in"].as_str().unwrap_or("")),
                type_of(&p["schema"]),
                code_spans(p["description"].as_str().unwrap_or(""))
            ));
        }
        out.push_str("</table>");
    }
    if let Some(body) = op["requestBody"]["content"].as_object() {
        for (kind, content) in body {
            out.push_str(&format!(
                "<p>Body ({}): {}</p>",
                text(kind),
                type_of(&content["schema"])
            ));
        }
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<table><tr><th>Answer</th><th>Body</th><th>When</th></tr>");
        for (code, response) in responses {
            let body = response["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| type_of(&c["schema"]))
                .unwrap_or_default();
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(code),
                body,
                code_spans(response["description"].as_str().unwrap_or(""))
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</section>");
}

fn schema_section(out: &mut String, name: &str, schema: &Value) {
    out.push_str(&format!(
        "<section id=\"schema-{0}\"><h3>{0}</h3>",
        text(name)
    ));
    if let Some(description) = schema["description"].as_str() {
        out.push_str(&format!("<p>{}</p>", code_spans(description)));
    }
    match schema["properties"].as_object() {
        Some(properties) => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            out.push_str("<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>");
            for (field, property) in properties {
                out.push_str(&format!(
                    "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                    text(field),
                    if required.contains(&field.as_str()) {
                        " (required)"
                    } else {
                        ""
                    },
                    type_of(property),
                    code_spans(property["description"].as_str().unwrap_or(""))
                ));
            }
            out.push_str("</table>");
        }
        None => out.push_str(&format!("<p>{}</p>", type_of(schema))),
    }
    out.push_str("</section>");
}
