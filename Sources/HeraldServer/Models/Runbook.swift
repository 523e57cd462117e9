import Fluent
import Foundation

/// A runbook (SPEC §7): in `live` mode its tasks act; in `rehearsal` mode Slack tasks are skipped
/// unless they say `runInRehearsal`.
final class Runbook: Model, @unchecked Sendable {
    static let schema = "runbooks"

    enum Mode: String, Codable, CaseIterable, Sendable {
        case live, rehearsal
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Field(key: "name") var name: String
    @Field(key: "mode") var mode: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A runbook task of type `slack_message`: its message goes through the outbox like every other,
/// and its state follows its delivery (``TaskCompletionHook``).
final class RunbookTask: Model, @unchecked Sendable {
    static let schema = "runbook_tasks"

    /// `idle` until started; then `sending`, and `sent` or `failed` as its delivery ends; `skipped`
    /// in a rehearsal.
    enum State: String, Codable, CaseIterable, Sendable {
        case idle, sending, sent, failed, skipped
    }

    @ID(key: .id) var id: UUID?
    @Parent(key: "runbook_id") var runbook: Runbook
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "type") var type: String
    @Field(key: "channel") var channel: String
    @Field(key: "message") var message: String
    @Field(key: "run_in_rehearsal") var runInRehearsal: Bool
    @Field(key: "as_user") var asUser: Bool
    @Field(key: "state") var state: String
    @OptionalField(key: "message_id") var messageID: UUID?
    /// The sink's reference to the posted message (Slack's channel and ts).
    @OptionalField(key: "external_ref") var externalRef: String?
    @OptionalField(key: "error_code") var errorCode: String?
    @OptionalField(key: "error") var error: String?
    @OptionalField(key: "started_by") var startedBy: UUID?
    @OptionalField(key: "started_at") var startedAt: Date?
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
