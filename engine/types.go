package engine

import "github.com/pacer-sales/pacer/store"

// The shapes the engine hands to front ends. They are the store's, named here so the
// screens depend on the engine alone.
type (
	// User is a person who signs in.
	User = store.User
	// Role is what a user may do.
	Role = store.Role
	// Team is a named group of users.
	Team = store.Team
	// Member is a user in a team, with an optional member role.
	Member = store.Member
	// Record is a lead, opportunity, account, contact or custom record.
	Record = store.Record
	// Template is an email or SMS template.
	Template = store.Template
	// Sequence is a stored sequence's summary and working definition.
	Sequence = store.Sequence
	// Version is a published version of a sequence.
	Version = store.Version
	// Settings are the org settings.
	Settings = store.Settings
	// Event is one entry of a connection's history.
	Event = store.Event
	// ID is a stored entity's key.
	ID = store.ID
	// TemplateKind says whether a template is an email or a text message.
	TemplateKind = store.TemplateKind
	// TeamType says whether a team owns records or is an access team.
	TeamType = store.TeamType
	// Segment is a saved filter whose matching records join a sequence.
	Segment = store.Segment
	// SegmentMatch is one FIELD=VALUE test of a segment.
	SegmentMatch = store.SegmentMatch
)

// The template kinds.
const (
	EmailTemplate = store.EmailTemplate
	SMSTemplate   = store.SMSTemplate
)

// History event types the front ends read (the whole set is store.EventTypes).
const (
	EventStageSet     = store.EventStageSet
	EventFieldUpdated = store.EventFieldUpdated
)

// The team types.
const (
	OwnerTeam  = store.OwnerTeam
	AccessTeam = store.AccessTeam
)

// The roles.
const (
	RoleAdmin   = store.RoleAdmin
	RoleManager = store.RoleManager
	RoleSeller  = store.RoleSeller
)

// The sequence states.
const (
	StateDraft    = store.Draft
	StateActive   = store.Active
	StateInactive = store.Inactive
)

// IsManager reports whether a user may manage every sequence (managers and admins).
func IsManager(u User) bool { return isManager(u) }

// CanEdit reports whether a user may change a sequence: managers and admins any, sellers
// their own.
func CanEdit(u User, s Sequence) bool { return canManageSequence(u, s) == nil }
