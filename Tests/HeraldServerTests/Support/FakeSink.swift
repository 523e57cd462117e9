import Foundation
import HeraldCore
import HeraldSinks
import NIOConcurrencyHelpers

/// A second sink type for tests, going through the same delivery core as Slack. Like the Slack
/// sandbox, it checks what it receives and answers as a strict service would: it knows its rooms
/// (any other target is `unknown_room`, permanent), needs no secret, refuses a payload without a
/// title, and can edit only messages it posted and still has (else the message is gone).
final class FakeSink: Sink, Sendable {
    /// What the fake renders: the parts of the neutral view a chat message would show.
    struct Payload: Sendable, Equatable {
        var title: String
        var status: IncidentStatus?
        var latest: String?
        var assignee: String?
    }

    struct Message: Sendable, Equatable {
        var id: String
        var room: String
        var payload: Payload
        var edits: Int
    }

    let type: SinkType
    let capabilities: SinkCapabilities
    let rooms: Set<String>

    private struct State {
        var messages: [Message] = []
        var deleted: Set<String> = []
        var refusals: [String] = []
        var nextID = 1
        /// Answers to give instead of sending, per room, oldest first.
        var faults: [String: [SinkResult]] = [:]
        var calls = 0
        /// The send context of every post and edit, with its room, in order.
        var contexts: [(room: String, context: SendContext)] = []
        /// The calling thread's nice value at each post and edit (Linux; see ``callerPriorities``).
        var priorities: [Int32] = []
    }

    private let state = NIOLockedValueBox(State())

    init(type: String = "fake", canEdit: Bool, rooms: Set<String> = ["room-1", "room-2"]) {
        self.type = SinkType(type)
        self.capabilities = SinkCapabilities(canEdit: canEdit)
        self.rooms = rooms
    }

    func render(_ content: MessageContent) -> Payload {
        switch content {
        case .incident(let view):
            Payload(title: view.title, status: view.status, latest: view.latest?.summary, assignee: view.assignee)
        case .notification(let view):
            Payload(title: view.title, status: nil, latest: view.text, assignee: nil)
        case .task(let view):
            Payload(title: view.runbookName, status: nil, latest: view.text, assignee: nil)
        case .reply(let view):
            Payload(title: view.incidentTitle, status: view.status, latest: view.entries.last?.summary, assignee: nil)
        }
    }

    func pacingKey(target: String, credentialFingerprint: String) -> String {
        "\(type.rawValue)-room:\(target)"
    }

    func post(_ payload: Payload, to address: SinkAddress, context: SendContext) async -> SinkResult {
        let priority = Self.callerPriority()
        return state.withLockedValue { s in
            s.calls += 1
            s.contexts.append((address.target, context))
            s.priorities += priority.map { [$0] } ?? []
            if let refusal = check(payload, address, &s) { return refusal }
            let id = "m\(s.nextID)"
            s.nextID += 1
            s.messages.append(Message(id: id, room: address.target, payload: payload, edits: 0))
            return .sent(reference: id)
        }
    }

    func edit(_ reference: String, with payload: Payload, at address: SinkAddress, context: SendContext) async -> SinkResult {
        let priority = Self.callerPriority()
        return state.withLockedValue { s in
            s.calls += 1
            s.contexts.append((address.target, context))
            s.priorities += priority.map { [$0] } ?? []
            guard capabilities.canEdit else {
                s.refusals.append("edit on a sink that cannot edit")
                return .permanent(code: "cannot_edit", detail: "asked to edit")
            }
            if let refusal = check(payload, address, &s) { return refusal }
            guard let index = s.messages.firstIndex(where: { $0.id == reference && $0.room == address.target }),
                  !s.deleted.contains(reference) else {
                return .gone(code: "message_not_found", detail: "no message \(reference) in \(address.target)")
            }
            s.messages[index].payload = payload
            s.messages[index].edits += 1
            return .sent(reference: reference)
        }
    }

    private func check(_ payload: Payload, _ address: SinkAddress, _ s: inout State) -> SinkResult? {
        if let fault = s.faults[address.target]?.first {
            s.faults[address.target]?.removeFirst()
            return fault
        }
        guard rooms.contains(address.target) else { return .permanent(code: "unknown_room", detail: address.target) }
        guard address.credential == .none else {
            s.refusals.append("a secret was sent to a sink that needs none")
            return .permanent(code: "unexpected_secret", detail: "")
        }
        guard !payload.title.isEmpty else {
            s.refusals.append("a payload without a title")
            return .permanent(code: "no_title", detail: "")
        }
        return nil
    }

    func location(of reference: String) -> MessageLocation {
        MessageLocation(channel: nil, message: reference)
    }

    var messages: [Message] { state.withLockedValue { $0.messages.filter { !$0.id.isEmpty } } }
    func messages(in room: String) -> [Message] { messages.filter { $0.room == room } }
    /// What the fake refused as invalid; a correct core causes none.
    var refusals: [String] { state.withLockedValue { $0.refusals } }
    var calls: Int { state.withLockedValue { $0.calls } }
    var contexts: [(room: String, context: SendContext)] { state.withLockedValue { $0.contexts } }
    /// The nice value of the thread each post and edit ran on, in order (empty off Linux).
    var callerPriorities: [Int32] { state.withLockedValue { $0.priorities } }

    /// The calling thread's nice value: on Linux, PRIO_PROCESS with 0 is the calling thread.
    static func callerPriority() -> Int32? {
        #if os(Linux)
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return errno == 0 ? value : nil
        #else
        return nil
        #endif
    }

    /// The message vanishes, as if a person deleted it.
    func delete(_ id: String) {
        state.withLockedValue { s in
            s.deleted.insert(id)
            s.messages.removeAll { $0.id == id }
        }
    }

    /// The next sends to `room` answer these instead.
    func fail(_ room: String, with results: SinkResult...) {
        state.withLockedValue { $0.faults[room, default: []] += results }
    }
}

/// Routes every event of every project to `targets` of sink `sink` (with no credential), as an
/// integration will.
struct FixedDestinations: DestinationSource {
    var sink: String
    var targets: [String]

    func destinations(for input: RoutingInput) -> [Destination] {
        targets.map { Destination(sink: sink, target: $0, credential: "none") }
    }
}
