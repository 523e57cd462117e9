import HeraldCore
import Testing

@Suite("SPEC §1/§2 incident state machine")
struct IncidentStateMachineTests {
    typealias Outcome = IncidentStateMachine.Outcome

    /// Every action against every state: none open, each open status, and the latest resolved one.
    static let rows: [(IncidentAction, IncidentStatus?, Outcome)] = [
        (.trigger, nil, .open),
        (.trigger, .triggered, .append),
        (.trigger, .acknowledged, .append),
        (.trigger, .resolved, .open),
        (.update, nil, .noOpenIncident),
        (.update, .triggered, .append),
        (.update, .acknowledged, .append),
        (.update, .resolved, .noOpenIncident),
        (.acknowledge, nil, .noOpenIncident),
        (.acknowledge, .triggered, .transition(to: .acknowledged)),
        (.acknowledge, .acknowledged, .unchanged),
        (.acknowledge, .resolved, .refused(reason: "the incident is already resolved")),
        (.resolve, nil, .noOpenIncident),
        (.resolve, .triggered, .transition(to: .resolved)),
        (.resolve, .acknowledged, .transition(to: .resolved)),
        (.resolve, .resolved, .unchanged),
    ]

    @Test("decide", arguments: rows)
    func decide(_ action: IncidentAction, _ current: IncidentStatus?, _ expected: Outcome) {
        // MUT
        let outcome = IncidentStateMachine.decide(action, current: current)
        // validate
        #expect(outcome == expected)
    }

    @Test("the table covers every action and state")
    func complete() {
        let covered = Set(Self.rows.map { "\($0.0)/\(String(describing: $0.1))" })
        #expect(covered.count == IncidentAction.allCases.count * (IncidentStatus.allCases.count + 1))
    }

    @Test("status never goes back")
    func neverBack() {
        for action in IncidentAction.allCases {
            if case .transition(let to) = IncidentStateMachine.decide(action, current: .acknowledged) {
                #expect(to == .resolved)
            }
            if case .transition = IncidentStateMachine.decide(action, current: .resolved) {
                Issue.record("\(action) moved a resolved incident")
            }
        }
    }
}
