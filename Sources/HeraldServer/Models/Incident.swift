import Fluent
import Foundation
import HeraldCore

/// A stateful event with a dedup key (SPEC §1). `version` grows with every change a message shows.
final class Incident: Model, @unchecked Sendable {
    static let schema = "incidents"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @OptionalParent(key: "service_id") var service: Service?
    @Field(key: "dedup_key") var key: String
    @Field(key: "title") var title: String
    @OptionalField(key: "description") var details: String?
    @OptionalField(key: "severity") var severity: String?
    @Field(key: "tags") var tagsJSON: String
    @Field(key: "status") var status: String
    @OptionalField(key: "assignee") var assignee: String?
    @Field(key: "version") var version: Int
    @OptionalField(key: "link") var link: String?
    @Field(key: "opened_at") var openedAt: Date
    @OptionalField(key: "acknowledged_at") var acknowledgedAt: Date?
    @OptionalField(key: "resolved_at") var resolvedAt: Date?
    @Field(key: "last_event_at") var lastEventAt: Date

    init() {}

    var incidentStatus: IncidentStatus { IncidentStatus(rawValue: status) ?? .triggered }

    var tags: [String: String] {
        get { TagsJSON.decode(tagsJSON) }
        set { tagsJSON = TagsJSON.encode(newValue) }
    }
}

/// One entry of an incident's timeline.
final class TimelineEntry: Model, @unchecked Sendable {
    static let schema = "incident_timeline"

    @ID(key: .id) var id: UUID?
    @Parent(key: "incident_id") var incident: Incident
    @OptionalParent(key: "event_id") var event: Event?
    @Field(key: "kind") var kind: String
    @Field(key: "summary") var summary: String
    @OptionalField(key: "actor") var actor: String?
    @Field(key: "at") var at: Date
    /// Order within the incident (timestamps can tie).
    @Field(key: "seq") var seq: Int

    /// The longest summary kept, in Unicode scalars (longer ones are cut with an ellipsis).
    static let maxSummary = 4_000

    init() {}

    init(incidentID: UUID, eventID: UUID?, kind: String, summary: String, actor: String?, at: Date, seq: Int) {
        self.id = .timeOrdered()
        self.$incident.id = incidentID
        self.$event.id = eventID
        self.kind = kind
        self.summary = summary
        self.actor = actor
        self.at = at
        self.seq = seq
    }
}

/// Every accepted event, as received (normalised).
final class Event: Model, @unchecked Sendable {
    static let schema = "events"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @OptionalParent(key: "incident_id") var incident: Incident?
    @Field(key: "kind") var kind: String
    @OptionalField(key: "action") var action: String?
    @OptionalField(key: "dedup_key") var key: String?
    @OptionalField(key: "title") var title: String?
    @OptionalField(key: "text") var text: String?
    @OptionalField(key: "severity") var severity: String?
    @OptionalParent(key: "service_id") var service: Service?
    @Field(key: "tags") var tagsJSON: String
    @OptionalField(key: "link") var link: String?
    @OptionalField(key: "rule") var rule: String?
    @Field(key: "source") var source: String
    @OptionalField(key: "outcome") var outcome: String?
    @Field(key: "occurred_at") var occurredAt: Date
    @Field(key: "received_at") var receivedAt: Date

    init() {}
}

/// A living message (incident) or a one-off message (notification) at one destination; once
/// posted, `external_ref` is the sink's own reference to it (see ``Sink``).
final class Message: Model, @unchecked Sendable {
    static let schema = "messages"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @OptionalParent(key: "incident_id") var incident: Incident?
    @OptionalParent(key: "event_id") var event: Event?
    @Field(key: "sink") var sink: String
    @Field(key: "target") var target: String
    @Field(key: "credential") var credential: String
    /// Deliveries of this message share this channel's pacing.
    @Field(key: "pacing_key") var pacingKey: String
    /// Opaque to all but the message's sink; nil until posted, or when the sink gives none.
    @OptionalField(key: "external_ref") var reference: String?
    /// The incident version the message shows.
    @Field(key: "rendered_version") var renderedVersion: Int
    @OptionalField(key: "last_sent_at") var lastSentAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// The state of one delivery (SPEC §1).
enum DeliveryState: String, Codable, CaseIterable, Sendable {
    case pending, sending, sent, failed, dead
    /// Its integration was deleted: never sent, never retried.
    case cancelled
}

/// One message (post or update) to one destination: the durable outbox.
final class Delivery: Model, @unchecked Sendable {
    static let schema = "deliveries"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Parent(key: "message_id") var message: Message
    /// `post` or `update`.
    @Field(key: "kind") var kind: String
    @Field(key: "sink") var sink: String
    @Field(key: "target") var target: String
    /// Deliveries with the same key share one channel's pacing.
    @Field(key: "pacing_key") var pacingKey: String
    @Field(key: "state") var state: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "lease_expires_at") var leaseExpiresAt: Date?
    @OptionalField(key: "claimed_by") var claimedBy: String?
    @OptionalField(key: "last_error") var lastError: String?
    @OptionalField(key: "last_error_code") var lastErrorCode: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "sent_at") var sentAt: Date?

    init() {}
}
