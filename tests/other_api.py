"""A made-up second RPC operation, unrelated to the main spec: its own names, pagination and value sets.

Generating it with no change to the generator is the proof that the generator is generic.
"""

OTHER_SPEC = """
openapi: 3.1.0
info: {title: Widget Store ListWidgets, version: "2031-07-01"}
servers: [{url: "https://widgets.example.test"}]
x-service:
  product: Widgets
  api_version: "2031-07-01"
  package: widget_store
  client_class: WidgetClient
  style: rpc
  endpoints:
    regions: {moon-1: widgets.example.test}
    fallback: "widgets.{region_id}.example.test"
  signing: {default: v2, supported: [v2]}
  credentials_env: {access_key_id: WIDGET_KEY, access_key_secret: WIDGET_SECRET}
  retry: {max_attempts: 2, base_delay_ms: 10, max_delay_ms: 100, deadline_s: 5}
  errors:
    schema: {$ref: "#/components/schemas/Failure"}
    base_class: WidgetError
    code_field: Code
    message_field: Message
    request_id_field: RequestId
    success_field: Ok
    codes:
      - {code: Busy, http_status: [503], retryable: true, class: BusyError}
  lenient: {integer_from_string: true, boolean_from_string: ["TRUE", "FALSE"], null_from_string: ["nil"]}
paths:
  /:
    get:
      operationId: ListWidgets
      summary: Lists widgets.
      x-rpc: {action: ListWidgets, methods: [GET]}
      x-pagination:
        style: page-number
        page_param: Page
        size_param: Limit
        page_field: Page
        total_field: Count
        items_field: Widgets
      x-waiters:
        built:
          field: Phase
          success: [Built]
          failure: [Broken]
          failed_items: {field: Widgets, when: {Color: [black]}, show: [Name]}
          error_class: WidgetBrokenError
          min_interval_s: 1
          default_interval_s: 2
          default_timeout_s: 30
      parameters:
        - {name: Shelf, in: query, required: true, schema: {type: string}}
        - {name: Page, in: query, schema: {type: integer, minimum: 0, default: 0}}
        - {name: Limit, in: query, schema: {type: integer, minimum: 1, maximum: 7, default: 3}}
        - {name: Tint, in: query, schema: {$ref: "#/components/schemas/Color"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WidgetPage"}
        default:
          description: failure
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Failure"}
components:
  schemas:
    Color:
      type: string
      enum: [red, green, black]
      x-open-enum: true
    Phase:
      type: string
      enum: [Building, Built, Broken]
      x-open-enum: true
    Widget:
      type: object
      additionalProperties: false
      properties:
        Name: {type: [string, "null"]}
        Color: {anyOf: [{$ref: "#/components/schemas/Color"}, {type: "null"}]}
        Weight: {type: [number, "null"]}
        Shiny: {type: [boolean, "null"]}
        Tags: {type: [array, "null"], items: {type: string}}
    WidgetPage:
      type: object
      additionalProperties: false
      properties:
        Ok: {type: [boolean, "null"]}
        Phase: {anyOf: [{$ref: "#/components/schemas/Phase"}, {type: "null"}]}
        Page: {type: [integer, "null"], format: int32}
        Count: {type: [integer, "null"], format: int64}
        Widgets: {type: [array, "null"], items: {$ref: "#/components/schemas/Widget"}}
    Failure:
      type: object
      properties:
        Code: {type: string}
        Message: {type: string}
        RequestId: {type: string}
"""
