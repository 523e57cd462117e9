/// The OpenAPI 3.1 document served at `GET /openapi.json`. A test checks that its paths and
/// methods are exactly the router's.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Herald",
    "version": "1",
    "description": "Herald's HTTP API. Routes under /api/v1 need `Authorization: Bearer <personal API token>`, except event intake (`/api/v1/events`, `/api/v1/alertmanager`), which takes a project event key the same way; `/v2/enqueue` takes it as the PagerDuty `routing_key`. Errors are RFC 9457 `application/problem+json`, except `/v2/enqueue`'s 400, which is PagerDuty's."
  },
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "getHealth",
        "summary": "Health check: whether the server and its database answer.",
        "security": [],
        "responses": {
          "200": {
            "description": "The server and database are up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          },
          "503": {
            "description": "The database does not answer.",
            "content": {
              "application/problem+json": {
                "schema": {
                  "$ref": "#/components/schemas/Problem"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "summary": "Prometheus metrics in the text exposition format.",
        "security": [],
        "responses": {
          "200": {
            "description": "Metrics (text/plain; version=0.0.4).",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenAPI",
        "summary": "This OpenAPI 3.1 document.",
        "security": [],
        "responses": {
          "200": {
            "description": "The OpenAPI document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/orgs": {
      "post": {
        "operationId": "createOrg",
        "summary": "Create an organization; the caller becomes its owner.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NameBody"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new organization.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Org"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listOrgs",
        "summary": "List the organizations the caller belongs to.",
        "responses": {
          "200": {
            "description": "The caller's organizations, by name.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Org"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}": {
      "get": {
        "operationId": "getOrg",
        "summary": "Get an organization.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The organization.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Org"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}/members": {
      "post": {
        "operationId": "addOrgMember",
        "summary": "Add a user (created if new) to the organization with a role.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/AddMemberBody"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new member.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Member"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listOrgMembers",
        "summary": "List the organization's members.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The members, by email.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Member"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}/members/{email}": {
      "patch": {
        "operationId": "updateOrgMember",
        "summary": "Change a member's role; the last owner cannot be demoted.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "email",
            "in": "path",
            "required": true,
            "description": "The member's email address (case-insensitive).",
            "schema": {
              "type": "string",
              "format": "email"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OrgRoleBody"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The updated member.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Member"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "delete": {
        "operationId": "removeOrgMember",
        "summary": "Remove a member from the organization and its projects; the last owner cannot be removed.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "email",
            "in": "path",
            "required": true,
            "description": "The member's email address (case-insensitive).",
            "schema": {
              "type": "string",
              "format": "email"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}/projects": {
      "post": {
        "operationId": "createProject",
        "summary": "Create a project in the organization.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NameBody"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new project.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Project"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listProjects",
        "summary": "List the organization's projects.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The projects, by name.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Project"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}": {
      "get": {
        "operationId": "getProject",
        "summary": "Get a project.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The project.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Project"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/members": {
      "get": {
        "operationId": "listProjectMembers",
        "summary": "List the project's admins.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The project members, by email.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ProjectMember"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/members/{email}": {
      "put": {
        "operationId": "setProjectMember",
        "summary": "Make an organization member an admin of the project.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "email",
            "in": "path",
            "required": true,
            "description": "The member's email address (case-insensitive).",
            "schema": {
              "type": "string",
              "format": "email"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ProjectRoleBody"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The project member.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ProjectMember"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "delete": {
        "operationId": "removeProjectMember",
        "summary": "Remove a project admin.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "email",
            "in": "path",
            "required": true,
            "description": "The member's email address (case-insensitive).",
            "schema": {
              "type": "string",
              "format": "email"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/services": {
      "post": {
        "operationId": "createService",
        "summary": "Create a service in the project.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/NameBody"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new service.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Service"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listServices",
        "summary": "List the project's services.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The services, by name.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Service"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/services/{s}": {
      "get": {
        "operationId": "getService",
        "summary": "Get a service.",
        "parameters": [
          {
            "name": "s",
            "in": "path",
            "required": true,
            "description": "Service id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The service.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Service"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/keys": {
      "post": {
        "operationId": "createEventKey",
        "summary": "Create a project event key; the key is shown only in this response.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OptionalNameBody"
              }
            }
          },
          "description": "Optional; an empty body names the key \"event key\"."
        },
        "responses": {
          "201": {
            "description": "The new event key, with its secret.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NewEventKey"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listEventKeys",
        "summary": "List the project's event keys, without their secrets.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The event keys, oldest first.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Credential"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/keys/{id}": {
      "delete": {
        "operationId": "revokeEventKey",
        "summary": "Revoke an event key (idempotent).",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Event key id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/me": {
      "get": {
        "operationId": "getMe",
        "summary": "Get the calling user.",
        "responses": {
          "200": {
            "description": "The caller.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/User"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/me/tokens": {
      "post": {
        "operationId": "createAPIToken",
        "summary": "Create a personal API token; the token is shown only in this response.",
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OptionalNameBody"
              }
            }
          },
          "description": "Optional; an empty body names the token \"api token\"."
        },
        "responses": {
          "201": {
            "description": "The new API token, with its secret.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/NewAPIToken"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "get": {
        "operationId": "listAPITokens",
        "summary": "List the caller's API tokens, without their secrets.",
        "responses": {
          "200": {
            "description": "The API tokens, oldest first.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Credential"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}/settings/slack": {
      "get": {
        "operationId": "getOrgSlackSettings",
        "summary": "The organization's Slack settings; the token is never shown.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Own and effective settings with their levels.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackSettings"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "put": {
        "operationId": "updateOrgSlackSettings",
        "summary": "Change the organization's Slack settings; absent fields stay as they are.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SlackSettingsUpdate"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The settings after the change.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackSettings"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "delete": {
        "operationId": "deleteOrgSlackSettings",
        "summary": "Remove the organization's Slack settings and token.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/orgs/{org}/settings/slack/test": {
      "post": {
        "operationId": "testOrgSlackSettings",
        "summary": "Send a test message to every effective channel.",
        "parameters": [
          {
            "name": "org",
            "in": "path",
            "required": true,
            "description": "Organization id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Each channel's outcome, with Slack's error code.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackTestResults"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/settings/slack": {
      "get": {
        "operationId": "getProjectSlackSettings",
        "summary": "The project's Slack settings and the effective ones, inherited from the organization.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Own and effective settings with their levels.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackSettings"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "put": {
        "operationId": "updateProjectSlackSettings",
        "summary": "Change the project's Slack settings; absent fields stay as they are. A project with settings uses its own `enabled`.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SlackSettingsUpdate"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The settings after the change.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackSettings"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "delete": {
        "operationId": "deleteProjectSlackSettings",
        "summary": "Remove the project's own settings and token: it inherits everything again.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/projects/{p}/settings/slack/test": {
      "post": {
        "operationId": "testProjectSlackSettings",
        "summary": "Send a test message to every effective channel; refused while Slack is disabled for the project.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "Each channel's outcome, with Slack's error code.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SlackTestResults"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/services/{s}/settings/slack": {
      "get": {
        "operationId": "getServiceSlackSettings",
        "summary": "The service's own Slack channel and where its incidents go.",
        "parameters": [
          {
            "name": "s",
            "in": "path",
            "required": true,
            "description": "Service id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The service channel and the effective incident channels.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ServiceSlackSettings"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "put": {
        "operationId": "updateServiceSlackSettings",
        "summary": "Set (or clear, with null or \"\") the service's Slack channel.",
        "parameters": [
          {
            "name": "s",
            "in": "path",
            "required": true,
            "description": "Service id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ServiceSlackSettingsUpdate"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The service settings after the change.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ServiceSlackSettings"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/me/tokens/{id}": {
      "delete": {
        "operationId": "revokeAPIToken",
        "summary": "Revoke one of the caller's API tokens (idempotent).",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "API token id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "204": {
            "description": "No content."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/events": {
      "post": {
        "operationId": "sendEvent",
        "summary": "Send an event with a project event key: a notification, or an incident action on the incident with its `key`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/EventBody"
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "Stored and applied; its deliveries are queued. Nothing is stored when the event is refused with 4xx.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EventAccepted"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/EventKeyUnauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NoOpenIncident"
          },
          "409": {
            "$ref": "#/components/responses/EventRefused"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "eventKey": []
          }
        ]
      }
    },
    "/api/v1/alertmanager": {
      "post": {
        "operationId": "receiveAlertmanager",
        "summary": "Receive a Prometheus Alertmanager webhook (payload version 4): a firing alert triggers the incident keyed `alertmanager:<fingerprint>`, a resolved one resolves it.",
        "parameters": [
          {
            "name": "key",
            "in": "query",
            "required": false,
            "description": "The event key, for senders that cannot set `Authorization`; ignored when the header is sent.",
            "schema": {
              "type": "string"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/AlertmanagerWebhook"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Every alert was applied, in order; one result per alert.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AlertmanagerResult"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/EventKeyUnauthorized"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "eventKey": []
          }
        ]
      }
    },
    "/v2/enqueue": {
      "post": {
        "operationId": "enqueuePagerDutyEvent",
        "summary": "PagerDuty Events API v2: existing PagerDuty senders work unchanged. The `routing_key` is a Herald project event key; there is no HTTP authentication. Answers as PagerDuty does.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/PagerDutyEvent"
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "Accepted. Acknowledging or resolving an unknown or resolved `dedup_key` is accepted too, and changes nothing.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PagerDutySuccess"
                }
              }
            }
          },
          "400": {
            "description": "The event is invalid, the routing key is unknown, or the body is not JSON, not application/json or not an object (PagerDuty's shape, not a problem).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PagerDutyInvalid"
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          }
        },
        "security": []
      }
    },
    "/api/v1/projects/{p}/incidents": {
      "get": {
        "operationId": "listIncidents",
        "summary": "List the project's incidents, newest first (at most 500), without timeline and messages.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "status",
            "in": "query",
            "required": false,
            "description": "Only incidents in this status; `open` is triggered or acknowledged. Empty: all.",
            "schema": {
              "type": "string",
              "enum": [
                "triggered",
                "acknowledged",
                "resolved",
                "open"
              ]
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The incidents, by `openedAt` descending.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Incident"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      },
      "post": {
        "operationId": "createIncident",
        "summary": "Open an incident by hand (key `herald-<uuid>`); needs the responder role or project admin.",
        "parameters": [
          {
            "name": "p",
            "in": "path",
            "required": true,
            "description": "Project id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CreateIncidentBody"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The new incident, with timeline and messages.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Incident"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/incidents/{id}": {
      "get": {
        "operationId": "getIncident",
        "summary": "Get an incident with its timeline and where its messages are.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Incident id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The incident, with timeline and messages.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Incident"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/incidents/{id}/acknowledge": {
      "post": {
        "operationId": "acknowledgeIncident",
        "summary": "Acknowledge an incident (no body); acknowledging an acknowledged one changes nothing.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Incident id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The incident after the action, with timeline and messages.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Incident"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/IncidentRefused"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/incidents/{id}/resolve": {
      "post": {
        "operationId": "resolveIncident",
        "summary": "Resolve an incident (no body); resolving a resolved one changes nothing.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Incident id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The incident after the action, with timeline and messages.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Incident"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/IncidentRefused"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/incidents/{id}/reassign": {
      "post": {
        "operationId": "reassignIncident",
        "summary": "Assign an open incident to a member of its organization.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Incident id.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReassignBody"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The incident after the action, with timeline and messages.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Incident"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/IncidentRefused"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    },
    "/api/v1/deliveries": {
      "get": {
        "operationId": "listDeliveries",
        "summary": "The delivery log, newest first, of the projects the caller can see.",
        "parameters": [
          {
            "name": "state",
            "in": "query",
            "required": false,
            "description": "Only deliveries in this state.",
            "schema": {
              "type": "string",
              "enum": [
                "pending",
                "sending",
                "sent",
                "failed",
                "dead"
              ]
            }
          },
          {
            "name": "project",
            "in": "query",
            "required": false,
            "description": "Only this project's deliveries; unknown or hidden: 404 with `field` `project`.",
            "schema": {
              "type": "string",
              "format": "uuid"
            }
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "At most this many; clamped to 1–1000; not an integer: 100.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 1000,
              "default": 100
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The deliveries, by `createdAt` descending.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/Delivery"
                  }
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/UnprocessableContent"
          }
        },
        "security": [
          {
            "bearerAuth": []
          }
        ]
      }
    }
  },
  "components": {
    "schemas": {
      "Problem": {
        "type": "object",
        "description": "An RFC 9457 problem.",
        "required": [
          "type",
          "title",
          "status",
          "detail"
        ],
        "properties": {
          "type": {
            "type": "string",
            "examples": [
              "about:blank"
            ]
          },
          "title": {
            "type": "string"
          },
          "status": {
            "type": "integer"
          },
          "detail": {
            "type": "string"
          },
          "instance": {
            "type": "string",
            "description": "The request path."
          },
          "field": {
            "type": "string",
            "description": "The input at fault, as a JSON path (e.g. `name`)."
          },
          "errors": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/FieldError"
            }
          }
        }
      },
      "FieldError": {
        "type": "object",
        "required": [
          "field",
          "detail"
        ],
        "properties": {
          "field": {
            "type": "string"
          },
          "detail": {
            "type": "string"
          }
        }
      },
      "Health": {
        "type": "object",
        "required": [
          "status",
          "database"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "ok"
          },
          "database": {
            "type": "string",
            "const": "ok"
          }
        }
      },
      "NameBody": {
        "type": "object",
        "required": [
          "name"
        ],
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Trimmed; 1–200 characters, no control characters."
          }
        }
      },
      "OptionalNameBody": {
        "type": "object",
        "required": [],
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Trimmed; 1–200 characters, no control characters."
          }
        }
      },
      "AddMemberBody": {
        "type": "object",
        "required": [
          "email",
          "role"
        ],
        "properties": {
          "email": {
            "type": "string",
            "format": "email"
          },
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Used only when the user is new; defaults to the email's local part."
          },
          "role": {
            "type": "string",
            "enum": [
              "owner",
              "admin",
              "responder",
              "stakeholder"
            ]
          }
        }
      },
      "OrgRoleBody": {
        "type": "object",
        "required": [
          "role"
        ],
        "properties": {
          "role": {
            "type": "string",
            "enum": [
              "owner",
              "admin",
              "responder",
              "stakeholder"
            ]
          }
        }
      },
      "ProjectRoleBody": {
        "type": "object",
        "required": [
          "role"
        ],
        "properties": {
          "role": {
            "type": "string",
            "const": "admin"
          }
        }
      },
      "Org": {
        "type": "object",
        "required": [
          "id",
          "name",
          "createdAt",
          "role"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "role": {
            "type": "string",
            "enum": [
              "owner",
              "admin",
              "responder",
              "stakeholder"
            ],
            "description": "The caller's role in the organization."
          }
        }
      },
      "Member": {
        "type": "object",
        "required": [
          "userId",
          "email",
          "name",
          "role",
          "createdAt"
        ],
        "properties": {
          "userId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "email": {
            "type": "string",
            "format": "email"
          },
          "name": {
            "type": "string"
          },
          "role": {
            "type": "string",
            "enum": [
              "owner",
              "admin",
              "responder",
              "stakeholder"
            ]
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "ProjectMember": {
        "type": "object",
        "required": [
          "userId",
          "email",
          "name",
          "role"
        ],
        "properties": {
          "userId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "email": {
            "type": "string",
            "format": "email"
          },
          "name": {
            "type": "string"
          },
          "role": {
            "type": "string",
            "const": "admin"
          }
        }
      },
      "Project": {
        "type": "object",
        "required": [
          "id",
          "orgId",
          "name",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "orgId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "Service": {
        "type": "object",
        "required": [
          "id",
          "projectId",
          "name",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "projectId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "Credential": {
        "type": "object",
        "description": "An event key or API token as listed; never the secret.",
        "required": [
          "id",
          "name",
          "prefix",
          "createdAt"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "prefix": {
            "type": "string",
            "description": "The first characters of the secret, to recognise it."
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastUsedAt": {
            "type": "string",
            "format": "date-time"
          },
          "revokedAt": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "NewEventKey": {
        "type": "object",
        "required": [
          "id",
          "name",
          "prefix",
          "createdAt",
          "key"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "prefix": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "key": {
            "type": "string",
            "description": "The event key; shown only once."
          }
        }
      },
      "NewAPIToken": {
        "type": "object",
        "required": [
          "id",
          "name",
          "prefix",
          "createdAt",
          "token"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "name": {
            "type": "string"
          },
          "prefix": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "token": {
            "type": "string",
            "description": "The API token; shown only once."
          }
        }
      },
      "SlackSettingsUpdate": {
        "type": "object",
        "required": [],
        "properties": {
          "enabled": {
            "type": "boolean"
          },
          "token": {
            "type": "string",
            "writeOnly": true,
            "description": "A bot token; stored encrypted, never returned. Surrounding whitespace is trimmed; inner whitespace is refused."
          },
          "removeToken": {
            "type": "boolean",
            "description": "Erase this level's token; ignored when `token` is given."
          },
          "channels": {
            "oneOf": [
              {
                "type": "string",
                "description": "Names or ids separated by spaces."
              },
              {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            ],
            "description": "Channel names (#alerts) or ids (C0123); at most 100. Empty inherits the organization's."
          }
        }
      },
      "SlackSettings": {
        "type": "object",
        "required": [
          "hasSettings",
          "enabled",
          "channels",
          "tokenConfigured",
          "effective"
        ],
        "properties": {
          "hasSettings": {
            "type": "boolean",
            "description": "Whether this level has settings at all."
          },
          "enabled": {
            "type": "boolean"
          },
          "channels": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "tokenConfigured": {
            "type": "boolean"
          },
          "tokenFingerprint": {
            "type": "string",
            "description": "8 hex characters; reveals nothing of the token."
          },
          "effective": {
            "$ref": "#/components/schemas/EffectiveSlackSettings"
          }
        }
      },
      "EffectiveSlackSettings": {
        "type": "object",
        "required": [
          "enabled",
          "channels",
          "tokenConfigured",
          "complete",
          "missing",
          "from"
        ],
        "properties": {
          "enabled": {
            "type": "boolean"
          },
          "channels": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "tokenConfigured": {
            "type": "boolean"
          },
          "tokenFingerprint": {
            "type": "string"
          },
          "complete": {
            "type": "boolean",
            "description": "A token and at least one channel."
          },
          "missing": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "token",
                "channels"
              ]
            }
          },
          "from": {
            "type": "object",
            "description": "The level each effective field came from.",
            "required": [
              "enabled",
              "token",
              "channels"
            ],
            "properties": {
              "enabled": {
                "type": [
                  "string",
                  "null"
                ],
                "enum": [
                  "org",
                  "project",
                  null
                ]
              },
              "token": {
                "type": [
                  "string",
                  "null"
                ],
                "enum": [
                  "org",
                  "project",
                  null
                ]
              },
              "channels": {
                "type": [
                  "string",
                  "null"
                ],
                "enum": [
                  "org",
                  "project",
                  null
                ]
              }
            }
          }
        }
      },
      "SlackTestResults": {
        "type": "object",
        "required": [
          "results"
        ],
        "properties": {
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "channel",
                "ok"
              ],
              "properties": {
                "channel": {
                  "type": "string"
                },
                "ok": {
                  "type": "boolean"
                },
                "error": {
                  "type": "string",
                  "description": "Slack's error code, e.g. channel_not_found."
                },
                "ts": {
                  "type": "string"
                }
              }
            }
          }
        }
      },
      "ServiceSlackSettings": {
        "type": "object",
        "required": [
          "channel",
          "effective"
        ],
        "properties": {
          "channel": {
            "type": [
              "string",
              "null"
            ]
          },
          "effective": {
            "type": "object",
            "required": [
              "channels",
              "from"
            ],
            "properties": {
              "channels": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "from": {
                "type": [
                  "string",
                  "null"
                ],
                "enum": [
                  "service",
                  "project",
                  "org",
                  null
                ]
              }
            }
          }
        }
      },
      "ServiceSlackSettingsUpdate": {
        "type": "object",
        "required": [],
        "properties": {
          "channel": {
            "type": [
              "string",
              "null"
            ]
          }
        }
      },
      "User": {
        "type": "object",
        "required": [
          "id",
          "email",
          "name"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "email": {
            "type": "string",
            "format": "email"
          },
          "name": {
            "type": "string"
          }
        }
      },
      "EventBody": {
        "type": "object",
        "required": [
          "type"
        ],
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "notification",
              "incident"
            ]
          },
          "action": {
            "type": "string",
            "enum": [
              "trigger",
              "update",
              "acknowledge",
              "resolve"
            ],
            "description": "Required for `incident`."
          },
          "key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "description": "Required for `incident`: the dedup key. A trigger opens an incident unless one with this key is open, which it updates instead. Trimmed."
          },
          "title": {
            "type": "string",
            "maxLength": 1000,
            "description": "Required for `notification` and to open an incident. Trimmed."
          },
          "text": {
            "type": "string",
            "maxLength": 40000,
            "description": "The notification's text or the incident's description."
          },
          "description": {
            "type": "string",
            "maxLength": 40000,
            "description": "Same as `text`; used when `text` is absent."
          },
          "severity": {
            "type": "string",
            "examples": [
              "critical",
              "error",
              "warning",
              "info"
            ],
            "description": "critical, error, warning or info; other spellings are read too, case-insensitive (crit, page, high, major, warn, minor, low, none, p1–p5, sev1–sev4…). Unknown: 422."
          },
          "service": {
            "type": "string",
            "maxLength": 200,
            "description": "A service of the project, by id or name (case-insensitive); unknown: 422."
          },
          "tags": {
            "type": "object",
            "maxProperties": 50,
            "additionalProperties": {
              "type": [
                "string",
                "number",
                "boolean"
              ]
            },
            "description": "Keys 1–100 characters, values at most 500; numbers and booleans become strings."
          },
          "rule": {
            "type": "string",
            "maxLength": 200,
            "description": "The alert rule the event names, for routing."
          },
          "link": {
            "type": "string",
            "format": "uri",
            "maxLength": 2000,
            "description": "An http(s) URL."
          },
          "at": {
            "type": "string",
            "format": "date-time",
            "description": "When it happened, ISO 8601 (fractional seconds allowed); default: when Herald received it."
          }
        }
      },
      "EventAccepted": {
        "type": "object",
        "required": [
          "id",
          "outcome"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "The stored event's id."
          },
          "incidentId": {
            "type": "string",
            "format": "uuid",
            "description": "The incident the event applied to; absent for notifications."
          },
          "outcome": {
            "type": "string",
            "enum": [
              "notified",
              "opened",
              "appended",
              "acknowledged",
              "resolved",
              "unchanged"
            ],
            "description": "`appended`: added to the open incident; `unchanged`: already in that status (recorded in its timeline)."
          }
        }
      },
      "AlertmanagerWebhook": {
        "type": "object",
        "description": "Prometheus Alertmanager's webhook payload, version 4; Herald reads only `version` and `alerts`.",
        "required": [
          "alerts"
        ],
        "properties": {
          "version": {
            "type": "string",
            "const": "4",
            "description": "Any other version: 422."
          },
          "groupKey": {
            "type": "string"
          },
          "truncatedAlerts": {
            "type": "integer"
          },
          "status": {
            "type": "string",
            "enum": [
              "firing",
              "resolved"
            ]
          },
          "receiver": {
            "type": "string"
          },
          "groupLabels": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "commonLabels": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "commonAnnotations": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "externalURL": {
            "type": "string"
          },
          "alerts": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AlertmanagerAlert"
            }
          }
        }
      },
      "AlertmanagerAlert": {
        "type": "object",
        "required": [
          "status",
          "labels"
        ],
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "firing",
              "resolved"
            ]
          },
          "labels": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "All become the incident's tags; `severity`, `service` (a service name in the project; otherwise ignored) and `herald_rule` are read too; `alertname` is the title without a `summary` annotation."
          },
          "annotations": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "`summary` (or `title`) is the title; `description` (or `message`) the description."
          },
          "startsAt": {
            "type": "string",
            "format": "date-time",
            "description": "When a firing alert happened."
          },
          "endsAt": {
            "type": "string",
            "format": "date-time",
            "description": "When a resolved alert happened."
          },
          "generatorURL": {
            "type": "string",
            "description": "The incident's link, if an http(s) URL."
          },
          "fingerprint": {
            "type": "string",
            "description": "Part of the key; without it, a hash of the labels is."
          }
        }
      },
      "AlertmanagerResult": {
        "type": "object",
        "required": [
          "status",
          "alerts",
          "results"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "success"
          },
          "alerts": {
            "type": "integer",
            "description": "How many alerts were applied (all of them)."
          },
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "id",
                "outcome"
              ],
              "properties": {
                "id": {
                  "type": "string",
                  "description": "The stored event's id (lower-case UUID); empty when ignored or refused."
                },
                "incidentId": {
                  "type": "string",
                  "format": "uuid",
                  "description": "Lower-case UUID."
                },
                "outcome": {
                  "type": "string",
                  "enum": [
                    "opened",
                    "appended",
                    "resolved",
                    "unchanged",
                    "ignored",
                    "refused"
                  ],
                  "description": "`ignored`: a resolved alert with no open incident."
                }
              }
            },
            "description": "One per alert, in order."
          }
        }
      },
      "PagerDutyEvent": {
        "type": "object",
        "description": "A PagerDuty Events API v2 event; other PagerDuty fields are ignored.",
        "required": [
          "routing_key",
          "event_action"
        ],
        "properties": {
          "routing_key": {
            "type": "string",
            "description": "A Herald project event key."
          },
          "event_action": {
            "type": "string",
            "enum": [
              "trigger",
              "acknowledge",
              "resolve"
            ]
          },
          "dedup_key": {
            "type": "string",
            "maxLength": 255,
            "description": "The incident key; required for acknowledge and resolve; generated for a trigger without it."
          },
          "payload": {
            "type": "object",
            "description": "Required for trigger, and read only for it (summary, source, component, group and class become tags).",
            "required": [
              "summary",
              "source",
              "severity"
            ],
            "properties": {
              "summary": {
                "type": "string",
                "minLength": 1,
                "maxLength": 1024,
                "description": "The title (its first 1000 characters)."
              },
              "source": {
                "type": "string",
                "minLength": 1,
                "description": "A tag, and the actor in the timeline."
              },
              "severity": {
                "type": "string",
                "enum": [
                  "critical",
                  "error",
                  "warning",
                  "info"
                ]
              },
              "timestamp": {
                "type": "string",
                "format": "date-time",
                "description": "When it happened, ISO 8601."
              },
              "component": {
                "type": "string"
              },
              "group": {
                "type": "string"
              },
              "class": {
                "type": "string"
              },
              "custom_details": {
                "description": "Any JSON; shown as `key: value` lines in the description."
              }
            }
          },
          "links": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [],
              "properties": {
                "href": {
                  "type": "string"
                },
                "text": {
                  "type": "string"
                }
              }
            },
            "description": "The first http(s) `href` is the incident's link."
          }
        }
      },
      "PagerDutySuccess": {
        "type": "object",
        "required": [
          "status",
          "message",
          "dedup_key"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "success"
          },
          "message": {
            "type": "string",
            "const": "Event processed"
          },
          "dedup_key": {
            "type": "string"
          }
        }
      },
      "PagerDutyInvalid": {
        "type": "object",
        "required": [
          "status",
          "message",
          "errors"
        ],
        "properties": {
          "status": {
            "type": "string",
            "const": "invalid event"
          },
          "message": {
            "type": "string",
            "const": "Event object is invalid"
          },
          "errors": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "CreateIncidentBody": {
        "type": "object",
        "required": [
          "title"
        ],
        "properties": {
          "service": {
            "type": "string",
            "maxLength": 200,
            "description": "A service of the project, by id or name."
          },
          "title": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1000,
            "description": "Trimmed; must not be blank."
          },
          "description": {
            "type": "string",
            "maxLength": 40000
          },
          "tags": {
            "type": "object",
            "maxProperties": 50,
            "additionalProperties": {
              "type": [
                "string",
                "number",
                "boolean"
              ]
            },
            "description": "Keys 1–100 characters, values at most 500; numbers and booleans become strings."
          },
          "severity": {
            "type": "string",
            "examples": [
              "critical",
              "error",
              "warning",
              "info"
            ],
            "description": "critical, error, warning or info; other spellings are read too, case-insensitive (crit, page, high, major, warn, minor, low, none, p1–p5, sev1–sev4…). Unknown: 422."
          }
        }
      },
      "ReassignBody": {
        "type": "object",
        "required": [
          "assignee"
        ],
        "properties": {
          "assignee": {
            "type": "string",
            "format": "email",
            "description": "A member of the incident's organization."
          }
        }
      },
      "Incident": {
        "type": "object",
        "description": "Absent optional fields are unset.",
        "required": [
          "id",
          "projectId",
          "key",
          "title",
          "status",
          "tags",
          "version",
          "openedAt",
          "lastEventAt"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "projectId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "key": {
            "type": "string",
            "description": "The dedup key."
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "triggered",
              "acknowledged",
              "resolved"
            ]
          },
          "severity": {
            "type": "string",
            "enum": [
              "critical",
              "error",
              "warning",
              "info"
            ]
          },
          "service": {
            "type": "string",
            "description": "The service's name."
          },
          "serviceId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "tags": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            }
          },
          "assignee": {
            "type": "string",
            "format": "email"
          },
          "version": {
            "type": "integer",
            "description": "Grows with every change its messages show."
          },
          "openedAt": {
            "type": "string",
            "format": "date-time"
          },
          "acknowledgedAt": {
            "type": "string",
            "format": "date-time"
          },
          "resolvedAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastEventAt": {
            "type": "string",
            "format": "date-time"
          },
          "timeline": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/TimelineEntry"
            },
            "description": "Oldest first; only on single-incident answers."
          },
          "messages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/IncidentMessage"
            },
            "description": "Only on single-incident answers."
          }
        }
      },
      "TimelineEntry": {
        "type": "object",
        "required": [
          "kind",
          "summary",
          "at"
        ],
        "properties": {
          "kind": {
            "type": "string",
            "enum": [
              "trigger",
              "update",
              "acknowledge",
              "resolve",
              "reassign",
              "refused"
            ]
          },
          "summary": {
            "type": "string"
          },
          "actor": {
            "type": "string",
            "description": "A person's email, or the sender."
          },
          "at": {
            "type": "string",
            "format": "date-time"
          }
        }
      },
      "IncidentMessage": {
        "type": "object",
        "description": "Where the incident's living message is at one destination.",
        "required": [
          "sink",
          "target",
          "shownVersion"
        ],
        "properties": {
          "sink": {
            "type": "string",
            "examples": [
              "slack"
            ]
          },
          "target": {
            "type": "string",
            "description": "The channel as configured."
          },
          "channelId": {
            "type": "string",
            "description": "Slack's, once posted."
          },
          "ts": {
            "type": "string",
            "description": "Slack's, once posted."
          },
          "shownVersion": {
            "type": "integer",
            "description": "The incident version the message shows."
          },
          "lastSentAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastDelivery": {
            "type": "object",
            "required": [
              "id",
              "kind",
              "state"
            ],
            "properties": {
              "id": {
                "type": "string",
                "format": "uuid",
                "description": "Lower-case UUID."
              },
              "kind": {
                "type": "string",
                "enum": [
                  "post",
                  "update"
                ]
              },
              "state": {
                "type": "string",
                "enum": [
                  "pending",
                  "sending",
                  "sent",
                  "failed",
                  "dead"
                ]
              },
              "error": {
                "type": "string",
                "description": "The last error code, e.g. Slack's channel_not_found."
              }
            }
          }
        }
      },
      "Delivery": {
        "type": "object",
        "description": "One post or update of a message to one destination.",
        "required": [
          "id",
          "projectId",
          "kind",
          "sink",
          "target",
          "state",
          "attempts",
          "nextAttemptAt",
          "createdAt",
          "updatedAt"
        ],
        "properties": {
          "id": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "projectId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "incidentId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "eventId": {
            "type": "string",
            "format": "uuid",
            "description": "Lower-case UUID."
          },
          "kind": {
            "type": "string",
            "enum": [
              "post",
              "update"
            ]
          },
          "sink": {
            "type": "string",
            "examples": [
              "slack"
            ]
          },
          "target": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "pending",
              "sending",
              "sent",
              "failed",
              "dead"
            ]
          },
          "attempts": {
            "type": "integer"
          },
          "nextAttemptAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastError": {
            "type": "string"
          },
          "lastErrorCode": {
            "type": "string"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          },
          "sentAt": {
            "type": "string",
            "format": "date-time"
          },
          "channelId": {
            "type": "string"
          },
          "ts": {
            "type": "string"
          }
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The body is empty (where required), not valid JSON, or not a JSON object.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "No valid API token was sent.",
        "headers": {
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            },
            "description": "`Bearer realm=\"herald\"`"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Forbidden": {
        "description": "The caller can see the resource but lacks the role to change it.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "NotFound": {
        "description": "No such resource, or the caller may not see it.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "Conflict": {
        "description": "The name or member already exists, or the change would leave no owner.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "PayloadTooLarge": {
        "description": "The body is larger than 1 MiB.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is not application/json.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "UnprocessableContent": {
        "description": "A field is missing, null, of the wrong type, or invalid; `field` and `errors` name it.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "EventKeyUnauthorized": {
        "description": "No valid project event key was sent.",
        "headers": {
          "WWW-Authenticate": {
            "schema": {
              "type": "string"
            },
            "description": "`Bearer realm=\"herald-events\"`"
          }
        },
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "NoOpenIncident": {
        "description": "An update, acknowledge or resolve found no open incident with the `key`; `field` is `key`.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "EventRefused": {
        "description": "Refused, and recorded in the incident's timeline: e.g. acknowledging a resolved incident; `field` is `action`.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      },
      "IncidentRefused": {
        "description": "Refused, and recorded in the timeline: acknowledging or reassigning a resolved incident.",
        "content": {
          "application/problem+json": {
            "schema": {
              "$ref": "#/components/schemas/Problem"
            }
          }
        }
      }
    },
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token."
      },
      "eventKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A project event key."
      }
    }
  }
}
"""#
}
