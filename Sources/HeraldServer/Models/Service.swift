import Fluent
import Foundation

/// A service inside a project; incidents may name one.
final class Service: Model, @unchecked Sendable {
    static let schema = "services"

    @ID(key: .id) var id: UUID?
    @Parent(key: "project_id") var project: Project
    @Field(key: "name") var name: String
    @Field(key: "name_key") var nameKey: String
    /// Incidents of this service go to this Slack channel instead of the project's (SPEC §3).
    @OptionalField(key: "slack_channel") var slackChannel: String?
    /// A Slack channel id whose messages open incidents on this service (SPEC §6).
    @OptionalField(key: "watch_channel") var watchChannel: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID? = nil, projectID: UUID, name: String) {
        self.id = id
        self.$project.id = projectID
        self.name = name
        self.nameKey = name.lowercased()
    }
}
