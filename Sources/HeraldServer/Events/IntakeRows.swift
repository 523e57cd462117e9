import Foundation
import HeraldCore
import NIOConcurrencyHelpers
import SQLKit

/// One column of a row intake writes: its name, its PostgreSQL type (for the casts a
/// `VALUES` list needs in an `UPDATE … FROM`), and its value.
struct Column {
    var name: String
    var postgresType: String
    var bind: any Encodable & Sendable

    init<Value: Encodable & Sendable>(_ name: String, _ postgresType: String, _ value: Value) {
        self.name = name
        self.postgresType = postgresType
        self.bind = value
    }

    /// An id, bound as a ``StoredUUID``.
    init(_ name: String, _ postgresType: String, _ value: UUID) {
        self.init(name, postgresType, StoredUUID(value))
    }

    init(_ name: String, _ postgresType: String, _ value: UUID?) {
        self.init(name, postgresType, value.map(StoredUUID.init))
    }
}

/// A row intake writes. Each table's columns are named once, beside their values, in `columns`.
protocol IntakeRow {
    static var table: String { get }
    var columns: [Column] { get }
}

/// An `events` row: every accepted event, as received (normalised).
struct EventRow: IntakeRow {
    static let table = Event.schema
    var id: UUID
    var projectID: UUID
    var incidentID: UUID?
    var event: IncomingEvent
    var serviceID: UUID?
    var outcome: String
    var received: Date

    var columns: [Column] {
        let (kind, action): (String, String?) = switch event.kind {
        case .notification: ("notification", nil)
        case .incident(let action): ("incident", action.rawValue)
        }
        return [
            Column("id", "uuid", id), Column("project_id", "uuid", projectID), Column("incident_id", "uuid", incidentID),
            Column("kind", "text", kind), Column("action", "text", action), Column("dedup_key", "text", event.key),
            Column("title", "text", event.title), Column("text", "text", event.text), Column("severity", "text", event.severity?.rawValue),
            Column("service_id", "uuid", serviceID), Column("tags", "text", TagsJSON.encode(event.tags)), Column("link", "text", event.link),
            Column("rule", "text", event.rule), Column("source", "text", event.source), Column("outcome", "text", outcome),
            Column("occurred_at", "timestamptz", event.at ?? received), Column("received_at", "timestamptz", received),
        ]
    }
}

/// An `incidents` row, as intake reads it, changes it in memory, and writes it back.
struct IncidentRow: IntakeRow {
    static let table = Incident.schema
    var id: UUID
    var projectID: UUID
    var serviceID: UUID?
    var key: String
    var title: String
    var details: String?
    var severity: String?
    var tags: [String: String]
    var status: IncidentStatus
    var assignee: String?
    var version: Int
    var link: String?
    var openedAt: Date
    var acknowledgedAt: Date?
    var resolvedAt: Date?
    var lastEventAt: Date

    var columns: [Column] {
        [
            Column("id", "uuid", id), Column("project_id", "uuid", projectID), Column("service_id", "uuid", serviceID),
            Column("dedup_key", "text", key), Column("title", "text", title), Column("description", "text", details),
            Column("severity", "text", severity), Column("tags", "text", TagsJSON.encode(tags)), Column("status", "text", status.rawValue),
            Column("assignee", "text", assignee), Column("version", "bigint", version), Column("link", "text", link),
            Column("opened_at", "timestamptz", openedAt), Column("acknowledged_at", "timestamptz", acknowledgedAt),
            Column("resolved_at", "timestamptz", resolvedAt), Column("last_event_at", "timestamptz", lastEventAt),
        ]
    }

    /// The columns to select to read one back (the same names, in the same order).
    static let selection = SQLRaw(IncidentRow.placeholder.columns.map { "\"\($0.name)\"" }.joined(separator: ", "))
    private static let placeholder = IncidentRow(id: UUID(), projectID: UUID(), key: "", title: "", tags: [:], status: .triggered,
                                                 version: 0, openedAt: Date(), lastEventAt: Date())

    init(id: UUID, projectID: UUID, serviceID: UUID? = nil, key: String, title: String, details: String? = nil, severity: String? = nil,
         tags: [String: String], status: IncidentStatus, assignee: String? = nil, version: Int, link: String? = nil, openedAt: Date,
         acknowledgedAt: Date? = nil, resolvedAt: Date? = nil, lastEventAt: Date) {
        self.id = id
        self.projectID = projectID
        self.serviceID = serviceID
        self.key = key
        self.title = title
        self.details = details
        self.severity = severity
        self.tags = tags
        self.status = status
        self.assignee = assignee
        self.version = version
        self.link = link
        self.openedAt = openedAt
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
        self.lastEventAt = lastEventAt
    }

    init(_ row: any SQLRow) throws {
        let tags = try row.decode(column: "tags", as: String.self)
        self.init(
            id: try row.decodeUUID(column: "id"), projectID: try row.decodeUUID(column: "project_id"),
            serviceID: try row.decodeUUIDIfPresent(column: "service_id"), key: try row.decode(column: "dedup_key", as: String.self),
            title: try row.decode(column: "title", as: String.self), details: try row.decode(column: "description", as: String?.self),
            severity: try row.decode(column: "severity", as: String?.self),
            tags: TagsJSON.decode(tags),
            status: IncidentStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .triggered,
            assignee: try row.decode(column: "assignee", as: String?.self), version: try row.decode(column: "version", as: Int.self),
            link: try row.decode(column: "link", as: String?.self), openedAt: try row.decode(column: "opened_at", as: Date.self),
            acknowledgedAt: try row.decode(column: "acknowledged_at", as: Date?.self),
            resolvedAt: try row.decode(column: "resolved_at", as: Date?.self), lastEventAt: try row.decode(column: "last_event_at", as: Date.self))
    }
}

/// An `incident_timeline` row.
struct TimelineRow: IntakeRow {
    static let table = TimelineEntry.schema
    var id: UUID
    var incidentID: UUID
    var eventID: UUID?
    var kind: String
    var summary: String
    var actor: String?
    var at: Date
    var seq: Int

    var columns: [Column] {
        [
            Column("id", "uuid", id), Column("incident_id", "uuid", incidentID), Column("event_id", "uuid", eventID),
            Column("kind", "text", kind), Column("summary", "text", EventValidation.cut(summary, max: TimelineEntry.maxSummary)),
            Column("actor", "text", actor), Column("at", "timestamptz", at), Column("seq", "bigint", seq),
        ]
    }
}

/// A `messages` row: an incident's living message, or a notification's message, at one destination.
struct MessageRow: IntakeRow {
    static let table = Message.schema
    var id: UUID
    var projectID: UUID
    var incidentID: UUID?
    var eventID: UUID?
    var destination: Destination
    var pacingKey: String
    var onClear: ClearPolicy
    var createdAt: Date
    /// The runbook task the message is, when it is one (then it has no incident or event).
    var taskID: UUID? = nil

    var columns: [Column] {
        [
            Column("id", "uuid", id), Column("project_id", "uuid", projectID), Column("incident_id", "uuid", incidentID),
            Column("event_id", "uuid", eventID), Column("sink", "text", destination.sink), Column("target", "text", destination.target),
            Column("credential", "text", destination.credential), Column("pacing_key", "text", pacingKey),
            Column("on_clear", "text", onClear.rawValue), Column("task_id", "uuid", taskID),
            Column("thread_updates", "boolean", destination.threads),
            Column("rendered_version", "bigint", 0), Column("created_at", "timestamptz", createdAt),
        ]
    }
}

/// A `deliveries` row: one post or update of one message, pending.
struct DeliveryRow: IntakeRow {
    static let table = Delivery.schema
    var id: UUID
    var projectID: UUID
    var messageID: UUID
    /// `post` or `update`.
    var kind: String
    var sink: String
    var target: String
    var pacingKey: String
    var notBefore: Date
    var createdAt: Date

    var columns: [Column] {
        [
            Column("id", "uuid", id), Column("project_id", "uuid", projectID), Column("message_id", "uuid", messageID),
            Column("kind", "text", kind), Column("sink", "text", sink), Column("target", "text", target),
            Column("pacing_key", "text", pacingKey), Column("state", "text", DeliveryState.pending.rawValue), Column("attempts", "bigint", 0),
            Column("next_attempt_at", "timestamptz", notBefore), Column("created_at", "timestamptz", createdAt),
            Column("updated_at", "timestamptz", createdAt),
        ]
    }
}

/// Multi-row statements for intake's rows, split to stay under the databases' limits on bound values.
enum IntakeStatements {
    /// SQLite allows 32,766 bound values per statement, PostgreSQL 65,535: stay well under both.
    static let maxBindsPerStatement = 30_000

    static func insert<Row: IntakeRow>(_ rows: [Row], on sql: any SQLDatabase, ignoringConflictsWith conflict: String? = nil) async throws {
        guard let first = rows.first else { return }
        let names = first.columns.map(\.name)
        for chunk in rows.chunked(into: max(1, maxBindsPerStatement / names.count)) {
            let binds = Self.binds(chunk, width: names.count)
            let statement = ShapedStatement.make("insert \(Row.table) \(conflict ?? "") \(chunk.count)", on: sql, binds: binds) { binds in
                var insert = sql.insert(into: Row.table).columns(names)
                for start in stride(from: 0, to: binds.count, by: names.count) { insert = insert.values(Array(binds[start..<start + names.count])) }
                if let conflict { insert = insert.ignoringConflicts(with: conflict) }
                return insert.query
            }
            try await sql.execute(sql: statement) { _ in }
        }
    }

    /// The rows' values (`width` columns each), row by row in column order: the binds of their `VALUES` list.
    private static func binds<Row: IntakeRow>(_ rows: ArraySlice<Row>, width: Int) -> [any Encodable & Sendable] {
        var binds: [any Encodable & Sendable] = []
        binds.reserveCapacity(rows.count * width)
        for row in rows { for column in row.columns { binds.append(column.bind) } }
        return binds
    }

    /// `(?, ?, …), (?, ?, …)`: the binds in groups of `width`, one group per row.
    private static func valuesList(_ binds: [any Encodable & Sendable], width: Int) -> SQLList {
        SQLList(stride(from: 0, to: binds.count, by: width).map { SQLGroupExpression(binds[$0..<$0 + width].map(SQLBind.init)) })
    }

    /// Inserts incidents unless their key already has an open incident (the partial unique index
    /// on open keys); returns the ids inserted.
    static func insertIncidentsUnlessOpen(_ rows: [IncidentRow], on sql: any SQLDatabase) async throws -> Set<UUID> {
        guard let first = rows.first else { return [] }
        let names = first.columns.map(\.name)
        var inserted: Set<UUID> = []
        for chunk in rows.chunked(into: max(1, maxBindsPerStatement / names.count)) {
            let binds = Self.binds(chunk, width: names.count)
            let statement = ShapedStatement.make("insert open incidents \(chunk.count)", on: sql, binds: binds) { binds in
                SQLQueryString("""
                    INSERT INTO \(ident: IncidentRow.table) (\(SQLList(names.map { SQLIdentifier($0) }))) VALUES \(valuesList(binds, width: names.count))
                    ON CONFLICT (project_id, dedup_key) WHERE status <> 'resolved' DO NOTHING
                    RETURNING id
                    """)
            }
            for row in try await sql.raw("\(statement)").all() { inserted.insert(try row.decodeUUID(column: "id")) }
        }
        return inserted
    }

    /// Writes every column of each row over the row with its id: one `UPDATE … FROM (VALUES …)`
    /// per chunk. Returns how many rows it changed.
    static func update<Row: IntakeRow>(_ rows: [Row], on sql: any SQLDatabase) async throws -> Int {
        guard let first = rows.first else { return 0 }
        let columns = first.columns
        let postgres = sql.dialect.name == "postgresql"
        // A VALUES list has positional columns (column1…); PostgreSQL needs their types spelt out
        // where a column is all NULLs or not text.
        func value(_ index: Int) -> String {
            postgres ? "v.column\(index + 1)::\(columns[index].postgresType)" : "v.column\(index + 1)"
        }
        var changed = 0
        for chunk in rows.chunked(into: max(1, maxBindsPerStatement / columns.count)) {
            let binds = Self.binds(chunk, width: columns.count)
            let statement = ShapedStatement.make("update \(Row.table) \(chunk.count)", on: sql, binds: binds) { binds in
                let assignments = columns.indices.dropFirst().map { "\"\(columns[$0].name)\" = \(value($0))" }.joined(separator: ", ")
                return SQLQueryString("""
                    UPDATE \(ident: Row.table) SET \(unsafeRaw: assignments)
                    FROM (VALUES \(valuesList(binds, width: columns.count))) AS v
                    WHERE \(ident: Row.table).id = \(unsafeRaw: value(0))
                    RETURNING \(ident: Row.table).id
                    """)
            }
            changed += try await sql.raw("\(statement)").all().count
        }
        return changed
    }
}

/// A whole statement whose text depends only on its shape (the table, the row count, the
/// dialect): SQLKit writes the text once per shape, and each later statement of that shape reuses
/// it with its own binds. Writing each multi-row statement afresh (quoting every identifier,
/// writing every placeholder) was 4 % of Herald's CPU, on the SQLite writer's thread.
struct ShapedStatement: SQLExpression {
    let text: String
    let binds: [any Encodable & Sendable]

    func serialize(to serializer: inout SQLSerializer) {
        // The text's placeholders count from the first: it must be the whole statement.
        precondition(serializer.binds.isEmpty && serializer.sql.isEmpty, "a shaped statement is written alone")
        serializer.write(text)
        serializer.binds.append(contentsOf: binds)
    }

    /// Texts by dialect and shape; a few dozen shapes in practice (bounded all the same).
    private static let texts = NIOLockedValueBox<[String: String]>([:])
    static let maxShapes = 1024

    /// The statement of `shape` with `binds`; the first time, `build` makes it from the same binds,
    /// and its text is kept.
    static func make(_ shape: String, on sql: any SQLDatabase, binds: [any Encodable & Sendable],
                     build: ([any Encodable & Sendable]) -> any SQLExpression) -> any SQLExpression {
        let key = "\(sql.dialect.name) \(shape)"
        if let text = texts.withLockedValue({ $0[key] }) { return ShapedStatement(text: text, binds: binds) }
        let expression = build(binds)
        var serializer = SQLSerializer(database: sql)
        expression.serialize(to: &serializer)
        // A shape that does not fix the bind count is not one: use the statement as built.
        guard serializer.binds.count == binds.count else { return expression }
        texts.withLockedValue { texts in
            if texts.count >= maxShapes { texts.removeAll() }
            texts[key] = serializer.sql
        }
        return expression
    }
}

/// Pacing keys whose `channel_pacing` row is known to be committed. Rows are never deleted, so a
/// key learnt once needs no insert again in this process.
final class PacingKeys: Sendable {
    private let keys = NIOLockedValueBox<Set<String>>([])

    func unknown(_ candidates: Set<String>) -> Set<String> {
        keys.withLockedValue { candidates.subtracting($0) }
    }

    /// Call only after the transaction that wrote them committed.
    func remember(_ committed: Set<String>) {
        guard !committed.isEmpty else { return }
        keys.withLockedValue { $0.formUnion(committed) }
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
