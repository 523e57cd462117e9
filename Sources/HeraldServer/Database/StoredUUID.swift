import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import HeraldCore

/// A UUID bound to a statement or read from a column. SQLite stores ids as their text, and this
/// writes and reads that text directly (``HeraldCore/Foundation/UUID/text``) instead of through
/// `Codable`, Foundation's `snprintf` and `sscanf`: 3 % of Herald's CPU at one alert per request.
/// PostgreSQL gets and gives the UUID itself, as before.
struct StoredUUID: Codable, Sendable, SQLiteDataConvertible {
    var value: UUID

    init(_ value: UUID) {
        self.value = value
    }

    init?(sqliteData: SQLiteData) {
        guard case .text(let text) = sqliteData, let value = UUID(text: text) else { return nil }
        self.value = value
    }

    var sqliteData: SQLiteData? { .text(value.text) }

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(UUID.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension StoredUUID: PostgresNonThrowingEncodable, PostgresDecodable {
    static var psqlType: PostgresDataType { UUID.psqlType }
    static var psqlFormat: PostgresFormat { UUID.psqlFormat }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        value.encode(into: &byteBuffer, context: context)
    }

    init<JSONDecoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                           context: PostgresDecodingContext<JSONDecoder>) throws {
        value = try UUID(from: &buffer, type: type, format: format, context: context)
    }
}

extension SQLRow {
    /// The UUID in `column` (see ``StoredUUID``).
    func decodeUUID(column: String) throws -> UUID {
        try decode(column: column, as: StoredUUID.self).value
    }

    /// The UUID in `column`, or nil for NULL (see ``StoredUUID``).
    func decodeUUIDIfPresent(column: String) throws -> UUID? {
        try decode(column: column, as: StoredUUID?.self)?.value
    }
}

extension SQLQueryString {
    /// Ids as binds, comma-separated (see ``StoredUUID``).
    mutating func appendInterpolation(ids: some Sequence<UUID>) {
        appendInterpolation(binds: ids.map(StoredUUID.init))
    }

    /// An id as a bind (see ``StoredUUID``).
    mutating func appendInterpolation(id: UUID) {
        appendInterpolation(bind: StoredUUID(id))
    }
}
