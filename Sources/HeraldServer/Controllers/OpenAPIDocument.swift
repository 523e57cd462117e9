/// The OpenAPI 3.1 document served at `GET /openapi.json`. A test checks that its paths and
/// methods are exactly the router's.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Herald",
    "version": "1",
    "description": "Herald's HTTP API. Routes under /api/v1 need `Authorization: Bearer <personal API token>`. Errors are RFC 9457 `application/problem+json`."
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
      }
    },
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token."
      }
    }
  }
}
"""#
}
