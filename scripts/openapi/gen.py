"""Generates Sources/HeraldServer/Controllers/OpenAPIDocument.swift. Edit this file, run it, commit both.
A Swift test checks that the document's paths and methods are exactly the router's."""
import json
import pathlib
R = lambda n: {"$ref": f"#/components/responses/{n}"}
S = lambda n: {"$ref": f"#/components/schemas/{n}"}
def P(name, desc, fmt=None):
    sch = {"type": "string"}
    if fmt: sch["format"] = fmt
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": sch}
ORG = P("org", "Organization id.", "uuid"); PRJ = P("p", "Project id.", "uuid")
SVC = P("s", "Service id.", "uuid"); EMAIL = P("email", "The member's email address (case-insensitive).", "email")
KEY = P("id", "Event key id.", "uuid"); TOK = P("id", "API token id.", "uuid")

def body(schema, required=True, desc=None):
    b = {"required": required, "content": {"application/json": {"schema": S(schema)}}}
    if desc: b["description"] = desc
    return b
def ok(desc, schema=None, array=False):
    r = {"description": desc}
    if schema:
        sch = {"type": "array", "items": S(schema)} if array else S(schema)
        r["content"] = {"application/json": {"schema": sch}}
    return r

def op(oid, summary, responses, errs, params=(), req=None):
    o = {"operationId": oid, "summary": summary}
    if params: o["parameters"] = list(params)
    if req: o["requestBody"] = req
    rs = dict(responses)
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "UnprocessableContent"}
    for e in sorted(set(errs) | {401}): rs[str(e)] = R(names[e])
    o["responses"] = rs
    o["security"] = [{"bearerAuth": []}]
    return o

BODY = [400, 413, 415, 422]
NC = ok("No content.")
paths = {
  "/healthz": {"get": {"operationId": "getHealth", "summary": "Health check: whether the server and its database answer.",
      "security": [], "responses": {
        "200": ok("The server and database are up.", "Health"),
        "503": {"description": "The database does not answer.", "content": {"application/problem+json": {"schema": S("Problem")}}}}}},
  "/metrics": {"get": {"operationId": "getMetrics", "summary": "Prometheus metrics in the text exposition format.",
      "security": [], "responses": {"200": {"description": "Metrics (text/plain; version=0.0.4).",
        "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
  "/openapi.json": {"get": {"operationId": "getOpenAPI", "summary": "This OpenAPI 3.1 document.",
      "security": [], "responses": {"200": {"description": "The OpenAPI document.",
        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
  "/api/v1/orgs": {
    "post": op("createOrg", "Create an organization; the caller becomes its owner.",
               {"201": ok("The new organization.", "Org")}, BODY + [409], req=body("NameBody")),
    "get": op("listOrgs", "List the organizations the caller belongs to.",
              {"200": ok("The caller's organizations, by name.", "Org", True)}, [])},
  "/api/v1/orgs/{org}": {
    "get": op("getOrg", "Get an organization.", {"200": ok("The organization.", "Org")}, [404], [ORG])},
  "/api/v1/orgs/{org}/members": {
    "post": op("addOrgMember", "Add a user (created if new) to the organization with a role.",
               {"201": ok("The new member.", "Member")}, BODY + [403, 404, 409], [ORG], body("AddMemberBody")),
    "get": op("listOrgMembers", "List the organization's members.",
              {"200": ok("The members, by email.", "Member", True)}, [404], [ORG])},
  "/api/v1/orgs/{org}/members/{email}": {
    "patch": op("updateOrgMember", "Change a member's role; the last owner cannot be demoted.",
                {"200": ok("The updated member.", "Member")}, BODY + [403, 404, 409], [ORG, EMAIL], body("OrgRoleBody")),
    "delete": op("removeOrgMember", "Remove a member from the organization and its projects; the last owner cannot be removed.",
                 {"204": NC}, [403, 404, 409], [ORG, EMAIL])},
  "/api/v1/orgs/{org}/projects": {
    "post": op("createProject", "Create a project in the organization.",
               {"201": ok("The new project.", "Project")}, BODY + [403, 404, 409], [ORG], body("NameBody")),
    "get": op("listProjects", "List the organization's projects.",
              {"200": ok("The projects, by name.", "Project", True)}, [404], [ORG])},
  "/api/v1/projects/{p}": {
    "get": op("getProject", "Get a project.", {"200": ok("The project.", "Project")}, [404], [PRJ])},
  "/api/v1/projects/{p}/members": {
    "get": op("listProjectMembers", "List the project's admins.",
              {"200": ok("The project members, by email.", "ProjectMember", True)}, [404], [PRJ])},
  "/api/v1/projects/{p}/members/{email}": {
    "put": op("setProjectMember", "Make an organization member an admin of the project.",
              {"200": ok("The project member.", "ProjectMember")}, BODY + [403, 404], [PRJ, EMAIL], body("ProjectRoleBody")),
    "delete": op("removeProjectMember", "Remove a project admin.", {"204": NC}, [403, 404], [PRJ, EMAIL])},
  "/api/v1/projects/{p}/services": {
    "post": op("createService", "Create a service in the project.",
               {"201": ok("The new service.", "Service")}, BODY + [403, 404, 409], [PRJ], body("NameBody")),
    "get": op("listServices", "List the project's services.",
              {"200": ok("The services, by name.", "Service", True)}, [404], [PRJ])},
  "/api/v1/services/{s}": {
    "get": op("getService", "Get a service.", {"200": ok("The service.", "Service")}, [404], [SVC])},
  "/api/v1/projects/{p}/keys": {
    "post": op("createEventKey", "Create a project event key; the key is shown only in this response.",
               {"201": ok("The new event key, with its secret.", "NewEventKey")}, BODY + [403, 404], [PRJ],
               body("OptionalNameBody", False, "Optional; an empty body names the key \"event key\".")),
    "get": op("listEventKeys", "List the project's event keys, without their secrets.",
              {"200": ok("The event keys, oldest first.", "Credential", True)}, [403, 404], [PRJ])},
  "/api/v1/projects/{p}/keys/{id}": {
    "delete": op("revokeEventKey", "Revoke an event key (idempotent).", {"204": NC}, [403, 404], [PRJ, KEY])},
  "/api/v1/me": {
    "get": op("getMe", "Get the calling user.", {"200": ok("The caller.", "User")}, [])},
  "/api/v1/me/tokens": {
    "post": op("createAPIToken", "Create a personal API token; the token is shown only in this response.",
               {"201": ok("The new API token, with its secret.", "NewAPIToken")}, BODY,
               req=body("OptionalNameBody", False, "Optional; an empty body names the token \"api token\".")),
    "get": op("listAPITokens", "List the caller's API tokens, without their secrets.",
              {"200": ok("The API tokens, oldest first.", "Credential", True)}, [])},
  "/api/v1/orgs/{org}/settings/slack": {
    "get": op("getOrgSlackSettings", "The organization's Slack settings; the token is never shown.",
              {"200": ok("Own and effective settings with their levels.", "SlackSettings")}, [404], [ORG]),
    "put": op("updateOrgSlackSettings", "Change the organization's Slack settings; absent fields stay as they are.",
              {"200": ok("The settings after the change.", "SlackSettings")}, BODY + [403, 404], [ORG], body("SlackSettingsUpdate")),
    "delete": op("deleteOrgSlackSettings", "Remove the organization's Slack settings and token.", {"204": NC}, [403, 404], [ORG])},
  "/api/v1/orgs/{org}/settings/slack/test": {
    "post": op("testOrgSlackSettings", "Send a test message to every effective channel.",
               {"200": ok("Each channel's outcome, with Slack's error code.", "SlackTestResults")}, [403, 404, 422], [ORG])},
  "/api/v1/projects/{p}/settings/slack": {
    "get": op("getProjectSlackSettings", "The project's Slack settings and the effective ones, inherited from the organization.",
              {"200": ok("Own and effective settings with their levels.", "SlackSettings")}, [404], [PRJ]),
    "put": op("updateProjectSlackSettings", "Change the project's Slack settings; absent fields stay as they are. A project with settings uses its own `enabled`.",
              {"200": ok("The settings after the change.", "SlackSettings")}, BODY + [403, 404], [PRJ], body("SlackSettingsUpdate")),
    "delete": op("deleteProjectSlackSettings", "Remove the project's own settings and token: it inherits everything again.",
                 {"204": NC}, [403, 404], [PRJ])},
  "/api/v1/projects/{p}/settings/slack/test": {
    "post": op("testProjectSlackSettings", "Send a test message to every effective channel; refused while Slack is disabled for the project.",
               {"200": ok("Each channel's outcome, with Slack's error code.", "SlackTestResults")}, [403, 404, 422], [PRJ])},
  "/api/v1/services/{s}/settings/slack": {
    "get": op("getServiceSlackSettings", "The service's own Slack channel and where its incidents go.",
              {"200": ok("The service channel and the effective incident channels.", "ServiceSlackSettings")}, [404], [SVC]),
    "put": op("updateServiceSlackSettings", "Set (or clear, with null or \"\") the service's Slack channel.",
              {"200": ok("The service settings after the change.", "ServiceSlackSettings")}, BODY + [403, 404], [SVC],
              body("ServiceSlackSettingsUpdate"))},
  "/api/v1/me/tokens/{id}": {
    "delete": op("revokeAPIToken", "Revoke one of the caller's API tokens (idempotent).", {"204": NC}, [404], [TOK])},
}

UUID = {"type": "string", "format": "uuid", "description": "Lower-case UUID."}
DT = {"type": "string", "format": "date-time"}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "description": "Trimmed; 1–200 characters, no control characters."}
ROLES = {"type": "string", "enum": ["owner", "admin", "responder", "stakeholder"]}
def obj(props, required, desc=None):
    o = {"type": "object"}
    if desc: o["description"] = desc
    o["required"] = required; o["properties"] = props
    return o
schemas = {
  "Problem": obj({"type": {"type": "string", "examples": ["about:blank"]}, "title": {"type": "string"},
      "status": {"type": "integer"}, "detail": {"type": "string"},
      "instance": {"type": "string", "description": "The request path."},
      "field": {"type": "string", "description": "The input at fault, as a JSON path (e.g. `name`)."},
      "errors": {"type": "array", "items": S("FieldError")}},
      ["type", "title", "status", "detail"], "An RFC 9457 problem."),
  "FieldError": obj({"field": {"type": "string"}, "detail": {"type": "string"}}, ["field", "detail"]),
  "Health": obj({"status": {"type": "string", "const": "ok"}, "database": {"type": "string", "const": "ok"}}, ["status", "database"]),
  "NameBody": obj({"name": NAME}, ["name"]),
  "OptionalNameBody": obj({"name": NAME}, []),
  "AddMemberBody": obj({"email": {"type": "string", "format": "email"},
      "name": dict(NAME, description="Used only when the user is new; defaults to the email's local part."),
      "role": ROLES}, ["email", "role"]),
  "OrgRoleBody": obj({"role": ROLES}, ["role"]),
  "ProjectRoleBody": obj({"role": {"type": "string", "const": "admin"}}, ["role"]),
  "Org": obj({"id": UUID, "name": {"type": "string"}, "createdAt": DT,
      "role": dict(ROLES, description="The caller's role in the organization.")}, ["id", "name", "createdAt", "role"]),
  "Member": obj({"userId": UUID, "email": {"type": "string", "format": "email"}, "name": {"type": "string"},
      "role": ROLES, "createdAt": DT}, ["userId", "email", "name", "role", "createdAt"]),
  "ProjectMember": obj({"userId": UUID, "email": {"type": "string", "format": "email"}, "name": {"type": "string"},
      "role": {"type": "string", "const": "admin"}}, ["userId", "email", "name", "role"]),
  "Project": obj({"id": UUID, "orgId": UUID, "name": {"type": "string"}, "createdAt": DT}, ["id", "orgId", "name", "createdAt"]),
  "Service": obj({"id": UUID, "projectId": UUID, "name": {"type": "string"}, "createdAt": DT}, ["id", "projectId", "name", "createdAt"]),
  "Credential": obj({"id": UUID, "name": {"type": "string"}, "prefix": {"type": "string", "description": "The first characters of the secret, to recognise it."},
      "createdAt": DT, "lastUsedAt": DT, "revokedAt": DT}, ["id", "name", "prefix", "createdAt"],
      "An event key or API token as listed; never the secret."),
  "NewEventKey": obj({"id": UUID, "name": {"type": "string"}, "prefix": {"type": "string"}, "createdAt": DT,
      "key": {"type": "string", "description": "The event key; shown only once."}}, ["id", "name", "prefix", "createdAt", "key"]),
  "NewAPIToken": obj({"id": UUID, "name": {"type": "string"}, "prefix": {"type": "string"}, "createdAt": DT,
      "token": {"type": "string", "description": "The API token; shown only once."}}, ["id", "name", "prefix", "createdAt", "token"]),
  "SlackSettingsUpdate": obj({"enabled": {"type": "boolean"},
      "token": {"type": "string", "writeOnly": True, "description": "A bot token; stored encrypted, never returned. Surrounding whitespace is trimmed; inner whitespace is refused."},
      "removeToken": {"type": "boolean", "description": "Erase this level's token; ignored when `token` is given."},
      "channels": {"oneOf": [{"type": "string", "description": "Names or ids separated by spaces."}, {"type": "array", "items": {"type": "string"}}],
                   "description": "Channel names (#alerts) or ids (C0123); at most 100. Empty inherits the organization's."}}, []),
  "SlackSettings": obj({"hasSettings": {"type": "boolean", "description": "Whether this level has settings at all."},
      "enabled": {"type": "boolean"}, "channels": {"type": "array", "items": {"type": "string"}},
      "tokenConfigured": {"type": "boolean"}, "tokenFingerprint": {"type": "string", "description": "8 hex characters; reveals nothing of the token."},
      "effective": S("EffectiveSlackSettings")}, ["hasSettings", "enabled", "channels", "tokenConfigured", "effective"]),
  "EffectiveSlackSettings": obj({"enabled": {"type": "boolean"}, "channels": {"type": "array", "items": {"type": "string"}},
      "tokenConfigured": {"type": "boolean"}, "tokenFingerprint": {"type": "string"},
      "complete": {"type": "boolean", "description": "A token and at least one channel."},
      "missing": {"type": "array", "items": {"type": "string", "enum": ["token", "channels"]}},
      "from": obj({k: {"type": ["string", "null"], "enum": ["org", "project", None]} for k in ["enabled", "token", "channels"]},
                  ["enabled", "token", "channels"], "The level each effective field came from.")},
      ["enabled", "channels", "tokenConfigured", "complete", "missing", "from"]),
  "SlackTestResults": obj({"results": {"type": "array", "items": obj({"channel": {"type": "string"}, "ok": {"type": "boolean"},
      "error": {"type": "string", "description": "Slack's error code, e.g. channel_not_found."}, "ts": {"type": "string"}}, ["channel", "ok"])}}, ["results"]),
  "ServiceSlackSettings": obj({"channel": {"type": ["string", "null"]},
      "effective": obj({"channels": {"type": "array", "items": {"type": "string"}},
                        "from": {"type": ["string", "null"], "enum": ["service", "project", "org", None]}}, ["channels", "from"])},
      ["channel", "effective"]),
  "ServiceSlackSettingsUpdate": obj({"channel": {"type": ["string", "null"]}}, []),
  "User": obj({"id": UUID, "email": {"type": "string", "format": "email"}, "name": {"type": "string"}}, ["id", "email", "name"]),
}
def prob(desc, headers=None):
    r = {"description": desc}
    if headers: r["headers"] = headers
    r["content"] = {"application/problem+json": {"schema": S("Problem")}}
    return r
responses = {
  "BadRequest": prob("The body is empty (where required), not valid JSON, or not a JSON object."),
  "Unauthorized": prob("No valid API token was sent.", {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer realm=\"herald\"`"}}),
  "Forbidden": prob("The caller can see the resource but lacks the role to change it."),
  "NotFound": prob("No such resource, or the caller may not see it."),
  "Conflict": prob("The name or member already exists, or the change would leave no owner."),
  "PayloadTooLarge": prob("The body is larger than 1 MiB."),
  "UnsupportedMediaType": prob("The body is not application/json."),
  "UnprocessableContent": prob("A field is missing, null, of the wrong type, or invalid; `field` and `errors` name it."),
}
doc = {"openapi": "3.1.0",
  "info": {"title": "Herald", "version": "1",
           "description": "Herald's HTTP API. Routes under /api/v1 need `Authorization: Bearer <personal API token>`. Errors are RFC 9457 `application/problem+json`."},
  "paths": paths,
  "components": {"schemas": schemas, "responses": responses,
     "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal API token."}}}}
js = json.dumps(doc, indent=2, ensure_ascii=False)
assert '"""#' not in js and '\\#' not in js
header = '''/// The OpenAPI 3.1 document served at `GET /openapi.json`. A test checks that its paths and
/// methods are exactly the router's.
enum OpenAPIDocument {
    static let json = #"""
'''
target = pathlib.Path(__file__).resolve().parents[2] / "Sources/HeraldServer/Controllers/OpenAPIDocument.swift"
target.open("w").write(header + js + '\n"""#\n}\n')
