import Fluent
import Vapor

extension Application {
    /// Registers every migration in order. Add new schema versions at the end; never edit a shipped block.
    /// Only `versions` when given: tests build a database as an older Herald left it, then add the rest.
    func registerMigrations(_ versions: ClosedRange<Int> = 1...Int.max) {
        func wanted(_ version: Int) -> Bool { versions.contains(version) }
        if wanted(1) { // Migration 001 - tenancy, users, API tokens and event keys
            migrations.add(CreateOrganizations())
            migrations.add(CreateUsers())
            migrations.add(CreateMemberships())
            migrations.add(CreateProjects())
            migrations.add(CreateProjectMembers())
            migrations.add(CreateServices())
            migrations.add(CreateAPITokens())
            migrations.add(CreateEventKeys())
        }
        if wanted(2) { // Migration 002 - Slack settings per organization and project, Slack channel per service
            migrations.add(CreateSlackSettings())
            migrations.add(AddServiceSlackChannel())
        }
        if wanted(3) { // Migration 003 - events, incidents, timeline, living messages, delivery outbox, pacing
            migrations.add(CreateIncidents())
            migrations.add(CreateEvents())
            migrations.add(CreateIncidentTimeline())
            migrations.add(CreateMessages())
            migrations.add(CreateDeliveries())
            migrations.add(CreateChannelPacing())
        }
        if wanted(4) { // Migration 004 - organization names unique per owner only, member names per organization, unique timeline order
            migrations.add(OrganizationNamesNotUnique())
            migrations.add(AddMembershipName())
            migrations.add(UniqueTimelineSequence())
        }
        if wanted(5) { // Migration 005 - messages keep a sink-neutral reference (external_ref) instead of Slack's channel_id and ts
            migrations.add(NeutralMessageReference())
        }
        if wanted(6) { // Migration 006 - integrations, alert rules, message clear policy and task owner, runbooks, personal Slack tokens
            migrations.add(CreateIntegrations())
            migrations.add(CreateAlertRules())
            migrations.add(CreateRunbooks())
            migrations.add(AddMessagePolicyAndTask())
            migrations.add(AddUserSlackToken())
        }
        if wanted(7) { // Migration 007 - Slack app installations, OAuth states, receipts of Slack's requests, watched channels, threaded updates
            migrations.add(CreateSlackInstallations())
            migrations.add(CreateSlackOAuthStates())
            migrations.add(CreateSlackReceipts())
            migrations.add(AddWatchedChannelsAndThreads())
        }
        if wanted(8) { // Migration 008 - web sign-in: passwords, sessions, failed sign-ins for throttling
            migrations.add(CreateUserPasswords())
            migrations.add(CreateWebSessions())
            migrations.add(CreateLoginThrottle())
        }
    }
}
