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
INC = P("id", "Incident id.", "uuid")
def Q(name, desc, schema):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}

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

def op(oid, summary, responses, errs, params=(), req=None, auth="bearerAuth"):
    """`responses` may also hold error responses specific to the operation; `auth` None: no HTTP auth (no 401)."""
    o = {"operationId": oid, "summary": summary}
    if params: o["parameters"] = list(params)
    if req: o["requestBody"] = req
    rs = dict(responses)
    names = {400: "BadRequest", 401: {"bearerAuth": "Unauthorized", "eventKey": "EventKeyUnauthorized"}.get(auth),
             403: "Forbidden", 404: "NotFound", 409: "Conflict",
             413: "PayloadTooLarge", 415: "UnsupportedMediaType", 422: "UnprocessableContent"}
    for e in sorted(set(errs) | ({401} if auth else set())): rs[str(e)] = R(names[e])
    o["responses"] = dict(sorted(rs.items()))
    o["security"] = [{auth: []}] if auth else []
    return o

BODY = [400, 413, 415, 422]
DELIVERY_STATES = ["pending", "sending", "sent", "failed", "dead"]
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
  "/api/v1/events": {
    "post": op("sendEvent", "Send an event with a project event key: a notification, or an incident action on the incident with its `key`.",
               {"202": ok("Stored and applied; its deliveries are queued. Nothing is stored when the event is refused with 4xx.", "EventAccepted"),
                "404": R("NoOpenIncident"), "409": R("EventRefused")},
               BODY, req=body("EventBody"), auth="eventKey")},
  "/api/v1/alertmanager": {
    "post": op("receiveAlertmanager", "Receive a Prometheus Alertmanager webhook (payload version 4): a firing alert triggers "
               "the incident keyed `alertmanager:<fingerprint>`, a resolved one resolves it.",
               {"200": ok("Every alert was applied, in order; one result per alert.", "AlertmanagerResult")}, BODY,
               [Q("key", "The event key, for senders that cannot set `Authorization`; ignored when the header is sent.", {"type": "string"})],
               body("AlertmanagerWebhook"), auth="eventKey")},
  "/v2/enqueue": {
    "post": op("enqueuePagerDutyEvent", "PagerDuty Events API v2: existing PagerDuty senders work unchanged. The `routing_key` "
               "is a Herald project event key; there is no HTTP authentication. Answers as PagerDuty does.",
               {"202": ok("Accepted. Acknowledging or resolving an unknown or resolved `dedup_key` is accepted too, and changes nothing.",
                          "PagerDutySuccess"),
                "400": ok("The event is invalid, the routing key is unknown, or the body is not JSON, not application/json or "
                          "not an object (PagerDuty's shape, not a problem).", "PagerDutyInvalid")},
               [413], req=body("PagerDutyEvent"), auth=None)},
  "/api/v1/projects/{p}/incidents": {
    "get": op("listIncidents", "List the project's incidents, newest first (at most 500), without timeline and messages.",
              {"200": ok("The incidents, by `openedAt` descending.", "Incident", True)}, [404, 422],
              [PRJ, Q("status", "Only incidents in this status; `open` is triggered or acknowledged. Empty: all.",
                      {"type": "string", "enum": ["triggered", "acknowledged", "resolved", "open"]})]),
    "post": op("createIncident", "Open an incident by hand (key `herald-<uuid>`); needs the responder role or project admin.",
               {"201": ok("The new incident, with timeline and messages.", "Incident")}, BODY + [403, 404], [PRJ],
               body("CreateIncidentBody"))},
  "/api/v1/incidents/{id}": {
    "get": op("getIncident", "Get an incident with its timeline and where its messages are.",
              {"200": ok("The incident, with timeline and messages.", "Incident")}, [404], [INC])},
  "/api/v1/incidents/{id}/acknowledge": {
    "post": op("acknowledgeIncident", "Acknowledge an incident (no body); acknowledging an acknowledged one changes nothing.",
               {"200": ok("The incident after the action, with timeline and messages.", "Incident"), "409": R("IncidentRefused")},
               [403, 404], [INC])},
  "/api/v1/incidents/{id}/resolve": {
    "post": op("resolveIncident", "Resolve an incident (no body); resolving a resolved one changes nothing.",
               {"200": ok("The incident after the action, with timeline and messages.", "Incident"), "409": R("IncidentRefused")},
               [403, 404], [INC])},
  "/api/v1/incidents/{id}/reassign": {
    "post": op("reassignIncident", "Assign an open incident to a member of its organization.",
               {"200": ok("The incident after the action, with timeline and messages.", "Incident"), "409": R("IncidentRefused")},
               BODY + [403, 404], [INC], body("ReassignBody"))},
  "/api/v1/deliveries": {
    "get": op("listDeliveries", "The delivery log, newest first, of the projects the caller can see.",
              {"200": ok("The deliveries, by `createdAt` descending.", "Delivery", True)}, [404, 422],
              [Q("state", "Only deliveries in this state.", {"type": "string", "enum": DELIVERY_STATES}),
               Q("project", "Only this project's deliveries; unknown or hidden: 404 with `field` `project`.", {"type": "string", "format": "uuid"}),
               Q("limit", "At most this many; clamped to 1–1000; not an integer: 100.",
                 {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100})])},
}

UUID = {"type": "string", "format": "uuid", "description": "Lower-case UUID."}
DT = {"type": "string", "format": "date-time"}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "description": "Trimmed; 1–200 characters, no control characters."}
ROLES = {"type": "string", "enum": ["owner", "admin", "responder", "stakeholder"]}
SEVERITIES = ["critical", "error", "warning", "info"]
INCIDENT_STATUSES = ["triggered", "acknowledged", "resolved"]
STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}
SEVERITY_IN = {"type": "string", "examples": SEVERITIES,
    "description": "critical, error, warning or info; other spellings are read too, case-insensitive (crit, page, high, major, "
                   "warn, minor, low, none, p1–p5, sev1–sev4…). Unknown: 422."}
TAGS_IN = {"type": "object", "maxProperties": 50, "additionalProperties": {"type": ["string", "number", "boolean"]},
    "description": "Keys 1–100 characters, values at most 500; numbers and booleans become strings."}
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
  "EventBody": obj({
      "type": {"type": "string", "enum": ["notification", "incident"]},
      "action": {"type": "string", "enum": ["trigger", "update", "acknowledge", "resolve"], "description": "Required for `incident`."},
      "key": {"type": "string", "minLength": 1, "maxLength": 255,
              "description": "Required for `incident`: the dedup key. A trigger opens an incident unless one with this key is open, "
                             "which it updates instead. Trimmed."},
      "title": {"type": "string", "maxLength": 1000, "description": "Required for `notification` and to open an incident. Trimmed."},
      "text": {"type": "string", "maxLength": 40000, "description": "The notification's text or the incident's description."},
      "description": {"type": "string", "maxLength": 40000, "description": "Same as `text`; used when `text` is absent."},
      "severity": SEVERITY_IN,
      "service": {"type": "string", "maxLength": 200, "description": "A service of the project, by id or name (case-insensitive); unknown: 422."},
      "tags": TAGS_IN,
      "rule": {"type": "string", "maxLength": 200, "description": "The alert rule the event names, for routing."},
      "link": {"type": "string", "format": "uri", "maxLength": 2000, "description": "An http(s) URL."},
      "at": dict(DT, description="When it happened, ISO 8601 (fractional seconds allowed); default: when Herald received it.")},
      ["type"]),
  "EventAccepted": obj({"id": dict(UUID, description="The stored event's id."),
      "incidentId": dict(UUID, description="The incident the event applied to; absent for notifications."),
      "outcome": {"type": "string", "enum": ["notified", "opened", "appended", "acknowledged", "resolved", "unchanged"],
                  "description": "`appended`: added to the open incident; `unchanged`: already in that status (recorded in its timeline)."}},
      ["id", "outcome"]),
  "AlertmanagerWebhook": obj({
      "version": {"type": "string", "const": "4", "description": "Any other version: 422."},
      "groupKey": {"type": "string"}, "truncatedAlerts": {"type": "integer"},
      "status": {"type": "string", "enum": ["firing", "resolved"]}, "receiver": {"type": "string"},
      "groupLabels": STRMAP, "commonLabels": STRMAP, "commonAnnotations": STRMAP, "externalURL": {"type": "string"},
      "alerts": {"type": "array", "items": S("AlertmanagerAlert")}},
      ["alerts"], "Prometheus Alertmanager's webhook payload, version 4; Herald reads only `version` and `alerts`."),
  "AlertmanagerAlert": obj({
      "status": {"type": "string", "enum": ["firing", "resolved"]},
      "labels": dict(STRMAP, description="All become the incident's tags; `severity`, `service` (a service name in the project; "
                     "otherwise ignored) and `herald_rule` are read too; `alertname` is the title without a `summary` annotation."),
      "annotations": dict(STRMAP, description="`summary` (or `title`) is the title; `description` (or `message`) the description."),
      "startsAt": dict(DT, description="When a firing alert happened."), "endsAt": dict(DT, description="When a resolved alert happened."),
      "generatorURL": {"type": "string", "description": "The incident's link, if an http(s) URL."},
      "fingerprint": {"type": "string", "description": "Part of the key; without it, a hash of the labels is."}},
      ["status", "labels"]),
  "AlertmanagerResult": obj({"status": {"type": "string", "const": "success"},
      "alerts": {"type": "integer", "description": "How many alerts were applied (all of them)."},
      "results": {"type": "array", "items": obj({
          "id": {"type": "string", "description": "The stored event's id (lower-case UUID); empty when ignored or refused."},
          "incidentId": UUID,
          "outcome": {"type": "string", "enum": ["opened", "appended", "resolved", "unchanged", "ignored", "refused"],
                      "description": "`ignored`: a resolved alert with no open incident."}}, ["id", "outcome"]),
          "description": "One per alert, in order."}},
      ["status", "alerts", "results"]),
  "PagerDutyEvent": obj({
      "routing_key": {"type": "string", "description": "A Herald project event key."},
      "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
      "dedup_key": {"type": "string", "maxLength": 255,
                    "description": "The incident key; required for acknowledge and resolve; generated for a trigger without it."},
      "payload": obj({"summary": {"type": "string", "minLength": 1, "maxLength": 1024, "description": "The title (its first 1000 characters)."},
          "source": {"type": "string", "minLength": 1, "description": "A tag, and the actor in the timeline."},
          "severity": {"type": "string", "enum": SEVERITIES},
          "timestamp": dict(DT, description="When it happened, ISO 8601."),
          "component": {"type": "string"}, "group": {"type": "string"}, "class": {"type": "string"},
          "custom_details": {"description": "Any JSON; shown as `key: value` lines in the description."}},
          ["summary", "source", "severity"], "Required for trigger, and read only for it (summary, source, component, group and "
          "class become tags)."),
      "links": {"type": "array", "items": obj({"href": {"type": "string"}, "text": {"type": "string"}}, []),
                "description": "The first http(s) `href` is the incident's link."}},
      ["routing_key", "event_action"], "A PagerDuty Events API v2 event; other PagerDuty fields are ignored."),
  "PagerDutySuccess": obj({"status": {"type": "string", "const": "success"}, "message": {"type": "string", "const": "Event processed"},
      "dedup_key": {"type": "string"}}, ["status", "message", "dedup_key"]),
  "PagerDutyInvalid": obj({"status": {"type": "string", "const": "invalid event"},
      "message": {"type": "string", "const": "Event object is invalid"}, "errors": {"type": "array", "items": {"type": "string"}}},
      ["status", "message", "errors"]),
  "CreateIncidentBody": obj({"service": {"type": "string", "maxLength": 200, "description": "A service of the project, by id or name."},
      "title": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "Trimmed; must not be blank."},
      "description": {"type": "string", "maxLength": 40000}, "tags": TAGS_IN, "severity": SEVERITY_IN}, ["title"]),
  "ReassignBody": obj({"assignee": {"type": "string", "format": "email", "description": "A member of the incident's organization."}},
      ["assignee"]),
  "Incident": obj({"id": UUID, "projectId": UUID, "key": {"type": "string", "description": "The dedup key."},
      "title": {"type": "string"}, "description": {"type": "string"}, "status": {"type": "string", "enum": INCIDENT_STATUSES},
      "severity": {"type": "string", "enum": SEVERITIES}, "service": {"type": "string", "description": "The service's name."},
      "serviceId": UUID, "tags": STRMAP, "assignee": {"type": "string", "format": "email"},
      "version": {"type": "integer", "description": "Grows with every change its messages show."},
      "openedAt": DT, "acknowledgedAt": DT, "resolvedAt": DT, "lastEventAt": DT,
      "timeline": {"type": "array", "items": S("TimelineEntry"), "description": "Oldest first; only on single-incident answers."},
      "messages": {"type": "array", "items": S("IncidentMessage"), "description": "Only on single-incident answers."}},
      ["id", "projectId", "key", "title", "status", "tags", "version", "openedAt", "lastEventAt"],
      "Absent optional fields are unset."),
  "TimelineEntry": obj({"kind": {"type": "string", "enum": ["trigger", "update", "acknowledge", "resolve", "reassign", "refused"]},
      "summary": {"type": "string"}, "actor": {"type": "string", "description": "A person's email, or the sender."}, "at": DT},
      ["kind", "summary", "at"]),
  "IncidentMessage": obj({"sink": {"type": "string", "examples": ["slack"]},
      "target": {"type": "string", "description": "The channel as configured."},
      "channelId": {"type": "string", "description": "Slack's, once posted."}, "ts": {"type": "string", "description": "Slack's, once posted."},
      "shownVersion": {"type": "integer", "description": "The incident version the message shows."}, "lastSentAt": DT,
      "lastDelivery": obj({"id": UUID, "kind": {"type": "string", "enum": ["post", "update"]},
          "state": {"type": "string", "enum": DELIVERY_STATES},
          "error": {"type": "string", "description": "The last error code, e.g. Slack's channel_not_found."}},
          ["id", "kind", "state"])},
      ["sink", "target", "shownVersion"], "Where the incident's living message is at one destination."),
  "Delivery": obj({"id": UUID, "projectId": UUID, "incidentId": UUID, "eventId": UUID,
      "kind": {"type": "string", "enum": ["post", "update"]}, "sink": {"type": "string", "examples": ["slack"]},
      "target": {"type": "string"}, "state": {"type": "string", "enum": DELIVERY_STATES}, "attempts": {"type": "integer"},
      "nextAttemptAt": DT, "lastError": {"type": "string"}, "lastErrorCode": {"type": "string"},
      "createdAt": DT, "updatedAt": DT, "sentAt": DT,
      "channelId": {"type": "string"}, "ts": {"type": "string"}},
      ["id", "projectId", "kind", "sink", "target", "state", "attempts", "nextAttemptAt", "createdAt", "updatedAt"],
      "One post or update of a message to one destination."),
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
  "EventKeyUnauthorized": prob("No valid project event key was sent.",
      {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer realm=\"herald-events\"`"}}),
  "NoOpenIncident": prob("An update, acknowledge or resolve found no open incident with the `key`; `field` is `key`."),
  "EventRefused": prob("Refused, and recorded in the incident's timeline: e.g. acknowledging a resolved incident; `field` is `action`."),
  "IncidentRefused": prob("Refused, and recorded in the timeline: acknowledging or reassigning a resolved incident."),
}
doc = {"openapi": "3.1.0",
  "info": {"title": "Herald", "version": "1",
           "description": "Herald's HTTP API. Routes under /api/v1 need `Authorization: Bearer <personal API token>`, except event "
                          "intake (`/api/v1/events`, `/api/v1/alertmanager`), which takes a project event key the same way; "
                          "`/v2/enqueue` takes it as the PagerDuty `routing_key`. Errors are RFC 9457 `application/problem+json`, "
                          "except `/v2/enqueue`'s 400, which is PagerDuty's."},
  "paths": paths,
  "components": {"schemas": schemas, "responses": responses,
     "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal API token."},
                         "eventKey": {"type": "http", "scheme": "bearer", "description": "A project event key."}}}}
js = json.dumps(doc, indent=2, ensure_ascii=False)
assert '"""#' not in js and '\\#' not in js
header = '''/// The OpenAPI 3.1 document served at `GET /openapi.json`. A test checks that its paths and
/// methods are exactly the router's.
enum OpenAPIDocument {
    static let json = #"""
'''
target = pathlib.Path(__file__).resolve().parents[2] / "Sources/HeraldServer/Controllers/OpenAPIDocument.swift"
target.open("w").write(header + js + '\n"""#\n}\n')
