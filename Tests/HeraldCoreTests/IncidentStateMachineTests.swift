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

    @Test("status never goes back: every transition moves forward, and the table has some")
    func neverBack() {
        let order: [IncidentStatus] = [.triggered, .acknowledged, .resolved]
        var transitions = 0
        for action in IncidentAction.allCases {
            for current in IncidentStatus.allCases {
                let outcome = IncidentStateMachine.decide(action, current: current)
                let target: IncidentStatus? = if case .transition(let to) = outcome { to } else { nil }
                guard let target else { continue }
                transitions += 1
                #expect(order.firstIndex(of: target)! > order.firstIndex(of: current)!, "\(action) moved \(current) back to \(target)")
            }
        }
        // acknowledge of triggered, resolve of triggered, resolve of acknowledged.
        #expect(transitions == 3)
    }
}
