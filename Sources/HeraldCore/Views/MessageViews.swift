import Foundation

/// What a message shows of an incident, as the renderer needs it (no database types).
public struct IncidentView: Sendable, Equatable {
    public var id: String
    public var key: String
    public var title: String
    public var description: String?
    public var status: IncidentStatus
    public var severity: Severity?
    public var serviceName: String?
    public var tags: [String: String]
    public var assignee: String?
    public var projectName: String
    /// The latest timeline event, shown in the message.
    public var latest: TimelineView?
    /// Herald's page for the incident at the time of the latest event, or the event's own link.
    public var link: URL
    public var openedAt: Date
    public var resolvedAt: Date?
    /// Emails offered in the Reassign select (at most 100 are shown).
    public var assignees: [String]
    /// Grows with every change of the incident: a receiver orders what it gets by it.
    public var version: Int
    /// Its organization's chat app can receive actions: the message carries Acknowledge, Resolve
    /// and Reassign while the incident is open (SPEC §6).
    public var interactive: Bool

    public init(id: String, key: String, title: String, description: String? = nil, status: IncidentStatus,
                severity: Severity? = nil, serviceName: String? = nil, tags: [String: String] = [:], assignee: String? = nil,
                projectName: String, latest: TimelineView? = nil, link: URL, openedAt: Date, resolvedAt: Date? = nil,
                assignees: [String] = [], version: Int = 1, interactive: Bool = false) {
        self.id = id
        self.key = key
        self.title = title
        self.description = description
        self.status = status
        self.severity = severity
        self.serviceName = serviceName
        self.tags = tags
        self.assignee = assignee
        self.projectName = projectName
        self.latest = latest
        self.link = link
        self.openedAt = openedAt
        self.resolvedAt = resolvedAt
        self.assignees = assignees
        self.version = version
        self.interactive = interactive
    }
}

/// One timeline entry as shown in a message.
public struct TimelineView: Sendable, Equatable {
    /// trigger, update, acknowledge, resolve, reassign, refused…
    public var kind: String
    public var summary: String
    public var actor: String?
    public var at: Date

    public init(kind: String, summary: String, actor: String? = nil, at: Date) {
        self.kind = kind
        self.summary = summary
        self.actor = actor
        self.at = at
    }
}

/// A stateless notification as shown in a message.
public struct NotificationView: Sendable, Equatable {
    public var title: String
    public var text: String?
    public var severity: Severity?
    public var serviceName: String?
    public var projectName: String
    public var link: URL
    public var at: Date

    public init(title: String, text: String? = nil, severity: Severity? = nil, serviceName: String? = nil,
                projectName: String, link: URL, at: Date) {
        self.title = title
        self.text = text
        self.severity = severity
        self.serviceName = serviceName
        self.projectName = projectName
        self.link = link
        self.at = at
    }
}

/// A runbook task's message (SPEC §7): the text a person wrote, posted as it is.
public struct TaskView: Sendable, Equatable {
    /// The message, in Slack's mrkdwn.
    public var text: String
    public var runbookName: String
    public var projectName: String
    public var link: URL

    public init(text: String, runbookName: String, projectName: String, link: URL) {
        self.text = text
        self.runbookName = runbookName
        self.projectName = projectName
        self.link = link
    }
}

/// A reply in a living message's thread (`threadUpdates`): the timeline entries since the last
/// reply, newest last.
public struct ThreadReplyView: Sendable, Equatable {
    public var incidentTitle: String
    /// The incident's status now.
    public var status: IncidentStatus
    /// At most ``maxEntries`` entries, the newest; `omitted` earlier ones are only counted.
    public var entries: [TimelineView]
    public var omitted: Int
    public var link: URL

    public static let maxEntries = 5

    public init(incidentTitle: String, status: IncidentStatus, entries: [TimelineView], omitted: Int = 0, link: URL) {
        self.incidentTitle = incidentTitle
        self.status = status
        self.entries = entries
        self.omitted = omitted
        self.link = link
    }
}

/// What a message shows, neutral of any sink: each sink renders it into its own payload.
public enum MessageContent: Sendable, Equatable {
    case incident(IncidentView)
    case notification(NotificationView)
    case task(TaskView)
    /// Only sent to sinks that can thread, as a reply to the incident's living message.
    case reply(ThreadReplyView)
}
