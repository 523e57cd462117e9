import Fluent
import Vapor

extension Application {
    /// Registers every migration in order. Add new schema versions at the end; never edit a shipped block.
    func registerMigrations() {
        do { // Migration 001 - tenancy, users, API tokens and event keys
            migrations.add(CreateOrganizations())
            migrations.add(CreateUsers())
            migrations.add(CreateMemberships())
            migrations.add(CreateProjects())
            migrations.add(CreateProjectMembers())
            migrations.add(CreateServices())
            migrations.add(CreateAPITokens())
            migrations.add(CreateEventKeys())
        }
        do { // Migration 002 - Slack settings per organization and project, Slack channel per service
            migrations.add(CreateSlackSettings())
            migrations.add(AddServiceSlackChannel())
        }
        do { // Migration 003 - events, incidents, timeline, living messages, delivery outbox, pacing
            migrations.add(CreateIncidents())
            migrations.add(CreateEvents())
            migrations.add(CreateIncidentTimeline())
            migrations.add(CreateMessages())
            migrations.add(CreateDeliveries())
            migrations.add(CreateChannelPacing())
        }
        do { // Migration 004 - organization names unique per owner only, member names per organization, unique timeline order
            migrations.add(OrganizationNamesNotUnique())
            migrations.add(AddMembershipName())
            migrations.add(UniqueTimelineSequence())
        }
    }
}
