import Foundation
@testable import HeraldServer
import HeraldCore
import Testing

/// The decisions of the one intake write path (``IntakePlan``), in memory, without a database:
/// each case is a batch applied in order, over what the database held before it.
@Suite("Intake plan: a batch decided in order")
struct IntakePlanTests {
    static let project = UUID()
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let entry = ProjectRoutingCache.Entry(
        orgID: UUID(), projectName: "Shop",
        slack: ResolvedSlackSettings(effective: SlackSettingsPolicy.effective(
                                         org: nil, project: SlackSettingsLevel(enabled: true, hasToken: true, channels: ["#alerts"])),
                                     token: "xoxb", tokenFingerprint: "f"),
        services: [:], serviceIDs: [:], loadedAt: now)

    /// An editing sink (`slack`) and one that cannot edit (`hook`).
    static func plan(_ state: IntakeState = IntakeState()) -> IntakePlan {
        IntakePlan(state: state, entries: [project: entry], now: now, updateInterval: 300, canEdit: { $0 == "slack" },
                   route: { _, _ in
                       IntakePlan.PlannedRoute(posts: [
                           (Destination(sink: "slack", target: "#alerts", credential: "settings"), "slack|f|#alerts"),
                           (Destination(sink: "hook", target: "room", credential: "none"), "hook|room"),
                       ])
                   })
    }

    static func item(_ action: IncidentAction, _ key: String = "k", title: String? = nil) -> IntakeItem {
        IntakeItem(event: IncomingEvent(kind: .incident(action), key: key, title: title, source: "api"), projectID: project, eventKeyID: nil)
    }

    static func outcome(_ result: Result<IntakeResult, any Error>) -> String {
        switch result {
        case .success(let r): r.outcome
        case .failure(IntakeError.noOpenIncident): "noOpenIncident"
        case .failure(let e as FieldError): "field:\(e.field)"
        case .failure(let e): "error:\(e)"
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var items: [IntakeItem]
        var outcomes: [String]
        /// Incidents written: inserted ones (with their final status), updated ones.
        var inserted: [IncidentStatus]
        /// Deliveries written, by sink and kind.
        var deliveries: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a trigger opens; a second trigger appends; only the editing sink gets a content update, folded into its pending post",
             items: [item(.trigger, title: "Disk"), item(.trigger, title: "Disk again")],
             outcomes: ["opened", "appended"], inserted: [.triggered],
             deliveries: ["slack:post", "hook:post"]),
        Case(name: "trigger, resolve, trigger in one batch: two incidents, the first inserted already resolved",
             items: [item(.trigger, title: "A"), item(.resolve), item(.trigger, title: "B")],
             outcomes: ["opened", "resolved", "opened"], inserted: [.resolved, .triggered],
             deliveries: ["slack:post", "hook:post", "slack:post", "hook:post"]),
        Case(name: "actions with no incident are refused alone and write nothing",
             items: [item(.update), item(.acknowledge), item(.resolve), item(.trigger), item(.trigger, title: "")],
             outcomes: ["noOpenIncident", "noOpenIncident", "noOpenIncident", "field:title", "field:title"], inserted: [], deliveries: []),
        Case(name: "after a resolve in the batch, a late acknowledge is refused (recorded) and a second resolve is unchanged",
             items: [item(.trigger, title: "A"), item(.resolve), item(.acknowledge), item(.resolve), item(.update)],
             outcomes: ["opened", "resolved", "refused", "unchanged", "noOpenIncident"], inserted: [.resolved],
             deliveries: ["slack:post", "hook:post"]),
    ]

    @Test("batches decided in order", arguments: cases)
    func batches(_ c: Case) throws {
        var plan = Self.plan()
        let results = c.items.map { item in Result { try plan.apply(item) } }
        #expect(results.map(Self.outcome) == c.outcomes)
        #expect(plan.insertedIncidents.map(\.status) == c.inserted)
        #expect(plan.deliveries.map { "\($0.sink):\($0.kind)" } == c.deliveries)
        // One event row per event that did something; none for the failures.
        #expect(plan.events.count == c.outcomes.filter { !$0.contains(":") && $0 != "noOpenIncident" }.count)
        // Timeline numbers of each incident run 1, 2, 3… in order.
        for (_, entries) in Dictionary(grouping: plan.timeline, by: \.incidentID) {
            #expect(entries.map(\.seq) == Array(1...entries.count))
        }
    }

    /// An open incident whose Slack message was posted 100 s ago and whose hook message too, no delivery pending.
    static func posted() -> (IntakeState, UUID) {
        let id = UUID()
        var state = IntakeState()
        let incident = IncidentRow(id: id, projectID: project, key: "k", title: "Disk", tags: [:], status: .triggered, version: 3,
                                   openedAt: now.addingTimeInterval(-600), lastEventAt: now.addingTimeInterval(-100))
        state.open[ProjectKey(project: project, key: "k")] = incident
        state.lastSeq[id] = 7
        state.messages[id] = ["slack", "hook"].map { sink in
            IntakePlan.LivingMessage(id: UUID(), projectID: project, sink: sink, target: "t", pacingKey: sink,
                                     lastSentAt: now.addingTimeInterval(-100), onClear: .notify, pending: nil)
        }
        return (state, id)
    }

    @Test("updates of posted messages: content waits one interval since the last send (editing sinks only); a status change goes at once to every sink")
    func livingMessages() throws {
        let (state, id) = Self.posted()
        var plan = Self.plan(state)
        #expect(try plan.apply(Self.item(.update)).outcome == "appended")
        #expect(try plan.apply(Self.item(.update)).outcome == "appended")
        #expect(plan.deliveries.map { "\($0.sink):\($0.kind):\($0.notBefore.timeIntervalSince(Self.now))" } == ["slack:update:200.0"])
        #expect(try plan.apply(Self.item(.acknowledge)).outcome == "acknowledged")
        // The pending Slack update is now due at once; the hook gets its first update (a new message).
        #expect(plan.deliveries.map { "\($0.sink):\($0.kind):\($0.notBefore.timeIntervalSince(Self.now))" } == ["slack:update:0.0", "hook:update:0.0"])
        #expect(plan.updatedIncidents.map(\.id) == [id])
        #expect(plan.updatedIncidents.first?.version == 6)
        #expect(plan.updatedIncidents.first?.status == .acknowledged)
        #expect(plan.timeline.map(\.seq) == [8, 9, 10])
    }

    @Test("the clear policy stored with each message: a silent message gets the acknowledge but not the resolve; a notify one gets both")
    func clearPolicy() throws {
        var (state, id) = Self.posted()
        state.messages[id]?[1].onClear = .silent
        var plan = Self.plan(state)
        #expect(try plan.apply(Self.item(.acknowledge)).outcome == "acknowledged")
        #expect(plan.deliveries.map { "\($0.sink):\($0.kind)" } == ["slack:update", "hook:update"])
        var (resolving, other) = Self.posted()
        resolving.messages[other]?[1].onClear = .silent
        var clear = Self.plan(resolving)
        #expect(try clear.apply(Self.item(.resolve)).outcome == "resolved")
        #expect(clear.deliveries.map { "\($0.sink):\($0.kind)" } == ["slack:update"], "the silent hook message is not told of the clear")
    }

    @Test("new messages take their route's clear policy; an unknown rule named by a compatibility sender is noted on the timeline, by the API refused")
    func routePolicy() throws {
        func plan(unknownRule: String?) -> IntakePlan {
            IntakePlan(state: IntakeState(), entries: [Self.project: Self.entry], now: Self.now, updateInterval: 300, canEdit: { $0 == "slack" },
                       route: { _, _ in
                           IntakePlan.PlannedRoute(posts: [
                               (Destination(sink: "hook", target: "a", credential: "none", onClear: .silent), "hook|a"),
                               (Destination(sink: "hook", target: "b", credential: "none"), "hook|b"),
                           ], unknownRule: unknownRule)
                       })
        }
        var known = plan(unknownRule: nil)
        #expect(try known.apply(Self.item(.trigger, title: "Disk")).outcome == "opened")
        #expect(known.messages.map(\.onClear) == [.silent, .notify])
        #expect(known.timeline.map(\.kind) == ["trigger"])
        var compat = plan(unknownRule: "nope")
        let alert = IntakeItem(event: IncomingEvent(kind: .incident(.trigger), key: "k", title: "Disk", rule: "nope", source: "alertmanager"),
                               projectID: Self.project, eventKeyID: nil)
        #expect(try compat.apply(alert).outcome == "opened")
        #expect(compat.timeline.map(\.kind) == ["trigger", "rule_unknown"])
        #expect(compat.timeline.last?.summary.contains("nope") == true)
        var api = plan(unknownRule: "nope")
        let refused = IntakeItem(event: IncomingEvent(kind: .incident(.trigger), key: "k", title: "Disk", rule: "nope", source: "api"),
                                 projectID: Self.project, eventKeyID: nil)
        #expect(throws: IntakeError.self) { try api.apply(refused) }
        #expect(api.messages.isEmpty && api.timeline.isEmpty && api.insertedIncidents.isEmpty, "a refused event records nothing")
    }

    @Test("a status change makes a delivery already pending in the database due now, instead of adding one")
    func pendingInTheDatabase() throws {
        var (state, id) = Self.posted()
        let pending = UUID()
        state.messages[id]?[0].pending = .stored(id: pending, at: Self.now.addingTimeInterval(200))
        var plan = Self.plan(state)
        #expect(try plan.apply(Self.item(.resolve)).outcome == "resolved")
        #expect(plan.dueNowDeliveries == [pending])
        #expect(plan.deliveries.map { "\($0.sink):\($0.kind)" } == ["hook:update"])
    }

    @Test("a reassign by incident id changes an open incident's assignee; on a resolved one it is refused and recorded; an unknown id is not found")
    func actionsByID() throws {
        let (state, id) = Self.posted()
        var plan = Self.plan(state)
        var byID = IntakeState()
        byID.byID[id] = state.open.values.first
        byID.lastSeq[id] = 7
        var reassign = IntakeItem(event: IncomingEvent(kind: .incident(.update), source: "herald", actor: "ana@example.com"),
                                  projectID: Self.project, eventKeyID: nil, incidentID: id, assignee: "bo@example.com")
        var other = Self.plan(byID)
        #expect(try other.apply(reassign).outcome == "reassigned")
        #expect(other.updatedIncidents.first?.assignee == "bo@example.com")
        #expect(try plan.apply(Self.item(.resolve)).outcome == "resolved")
        reassign.incidentID = nil
        reassign.event.key = "k"
        #expect(try plan.apply(reassign).outcome == "refused")
        #expect(plan.timeline.last?.kind == "refused")
        #expect(plan.updatedIncidents.first?.assignee == nil)
        var unknown = reassign
        unknown.incidentID = UUID()
        #expect(throws: DomainError.notFound("Incident")) { try plan.apply(unknown) }
    }
}
