// Package store defines the storage port of pacer: the persisted shapes of the org (users,
// teams, records, templates, sequences and their versions, settings, preferences) and the
// transactional interface every backend implements. bbolt (store/bolt) is the embedded
// backend; the conformance suite in store/storetest holds every backend to the same contract.
//
// The port speaks only of pacer's data: no cursors, buckets or driver types cross it, so a
// PostgreSQL backend can implement it with ordinary tables.
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when an entity does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write would break a uniqueness rule, such as a
// second sequence with the same name ignoring case.
var ErrConflict = errors.New("conflict")

// ErrDamaged is returned (wrapped) when the database turns out to be damaged while in use: a
// page that can't be read. The transaction is rolled back; the file should be restored from a
// backup.
var ErrDamaged = errors.New("the database file is damaged")

// Store is an open pacer database.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction; all its writes commit together or not at
	// all (an error from fn rolls back). A backend may run fn again, in a new transaction,
	// after a conflict with another one (PostgreSQL: a deadlock or serialization failure), so
	// what fn counts or collects outside itself must start over at its start.
	Update(ctx context.Context, fn func(Tx) error) error
	// Backup writes a consistent copy of the whole database to w while it stays in use.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	// Close releases the database.
	Close() error
}

// Watcher is a Store that other processes may change at the same time (PostgreSQL shared
// by several nodes). Watch returns a channel that receives a signal (coalesced) after
// changes commit, whichever process made them, until ctx ends; it is closed then.
type Watcher interface {
	Watch(ctx context.Context) <-chan struct{}
}

// Tx is one transaction. Values returned by a Tx are copies the caller owns.
// Methods that look one thing up return an error wrapping ErrNotFound when it is missing.
// Names are ordered by their bytes. A zero timestamp given to a Put method is set to the
// current time. A Tx is valid only inside the function it was passed to.
type Tx interface {
	RuntimeTx
	MailTx
	MailboxUseTx

	Settings() (Settings, error)
	PutSettings(Settings) error

	User(username string) (User, error)
	// Users returns every user ordered by username.
	Users() ([]User, error)
	PutUser(User) error
	// DeleteUser removes a user and the user's preferences.
	DeleteUser(username string) error

	Team(name string) (Team, error)
	// Teams returns every team ordered by name.
	Teams() ([]Team, error)
	PutTeam(Team) error
	DeleteTeam(name string) error

	// Record looks a record up by its entity and id.
	Record(entity, id string) (Record, error)
	// RecordByKey looks a record up by its internal key.
	RecordByKey(key ID) (Record, error)
	// PutRecord inserts or updates a record (by entity and id) and returns it with its key
	// and timestamps set. The Key given is ignored; an existing record keeps its Key and
	// CreatedAt, and its fields are replaced as a whole. A new record's zero CreatedAt
	// becomes its ModifiedAt. Field values must be string, float64 or bool.
	PutRecord(Record) (Record, error)
	// Records calls fn for every record of entity (every entity when empty) in (entity, id)
	// order until fn returns false. In an Update, fn may write records.
	Records(entity string, fn func(Record) bool) error
	// RecordsAfter calls fn for the records of entity (required) whose id sorts after
	// after ("" for the first), in id order, until fn returns false: a page of records
	// starts where the last one ended, whatever the number of records.
	RecordsAfter(entity, after string, fn func(Record) bool) error
	// RecordsSorted calls fn for the records of entity (required) in the order o, starting
	// after the record after when it is set (only its sort value and id count: it need not
	// exist any more), until fn returns false. Every backend keeps an index per order, so a
	// page of a million records is a seek, not a sort. In an Update, fn must not write
	// records.
	RecordsSorted(entity string, o RecordOrder, after *Record, fn func(Record) bool) error
	// RemoveRecord takes a record out of use and returns it: Record and Records no longer
	// find it, but RecordByKey does, so the connections, tasks and messages it had keep
	// its name. A record put later with the same entity and id is a new record.
	RemoveRecord(entity, id string) (Record, error)
	// RemovedRecords calls fn for every removed record in key order until fn returns false.
	RemovedRecords(fn func(Record) bool) error

	Template(name string) (Template, error)
	// Templates returns every template ordered by name.
	Templates() ([]Template, error)
	PutTemplate(Template) error
	// DeleteTemplate removes a template and its body (ErrNotFound when there is none).
	DeleteTemplate(name string) error

	Sequence(id ID) (Sequence, error)
	// SequenceByName finds a sequence by name, ignoring case.
	SequenceByName(name string) (Sequence, error)
	// Sequences returns every sequence's summary (all but Definition) in creation order.
	Sequences() ([]Sequence, error)
	// PutSequence inserts or updates a sequence; a zero ID gets a new one. It fails with
	// ErrConflict when another sequence has the same name ignoring case (an empty name, an
	// unfinished draft, is exempt). An existing sequence keeps its CreatedAt; a new one's
	// zero CreatedAt becomes its ModifiedAt.
	PutSequence(Sequence) (Sequence, error)
	// DeleteSequence removes a sequence and all its versions.
	DeleteSequence(id ID) error
	// Version returns published version n of a sequence.
	Version(seq ID, n int) (Version, error)
	// Versions returns every published version of a sequence, oldest first.
	Versions(seq ID) ([]Version, error)
	// PutVersion stores a new published version (n ≥ 1) of an existing sequence
	// (ErrNotFound otherwise). Versions are immutable: storing a number that exists fails
	// with ErrConflict.
	PutVersion(Version) error

	// Prefs returns a user's preferences, empty when none are stored.
	Prefs(username string) (Prefs, error)
	// PutPrefs replaces all of a user's preferences with p.
	PutPrefs(username string, p Prefs) error
}

// Settings are the org-wide settings of SPEC §1.
type Settings struct {
	ActiveLimit int            `json:"active_limit"`
	MaxWait     time.Duration  `json:"max_wait"`
	Workdays    []time.Weekday `json:"workdays"`
	// WorkStart and WorkEnd are minutes after midnight in TimeZone.
	WorkStart    int      `json:"work_start"`
	WorkEnd      int      `json:"work_end"`
	TimeZone     string   `json:"timezone"`
	CallOutcomes []string `json:"call_outcomes"`
	SMTPURL      string   `json:"smtp_url,omitempty"`
	FromAddress  string   `json:"from_address,omitempty"`
	TrackingURL  string   `json:"tracking_url,omitempty"`
	// IMAPURL is the org mailbox pacer watches for replies and bounces.
	IMAPURL string `json:"imap_url,omitempty"`
	// BounceDomain, when set, makes each automated email's envelope sender
	// bounce+ID@BounceDomain (VERP), so a bounce names its message.
	BounceDomain string `json:"bounce_domain,omitempty"`
	// DKIMDomain and DKIMSelector name the DKIM key automated emails are signed with (its
	// public half at SELECTOR._domainkey.DOMAIN); DKIMKeyFile is the path of its private
	// half, a PEM file readable by its owner only, on every node. The key itself is never
	// stored.
	DKIMDomain   string `json:"dkim_domain,omitempty"`
	DKIMSelector string `json:"dkim_selector,omitempty"`
	DKIMKeyFile  string `json:"dkim_key_file,omitempty"`
	// Holidays is the public holiday list the calendar skips: a lowercase country code, or
	// country-region ("de-by"); empty for none.
	Holidays string `json:"holidays,omitempty"`
	// OrgHolidays are the org's own days off, ordered by date.
	OrgHolidays []Holiday `json:"org_holidays,omitempty"`
	// MaxPerHour and MaxPerDay limit the automated emails one sender mailbox sends in a
	// clock hour and a day of the org's calendar (0: no limit); MinSpacing is the least time
	// between two of them.
	MaxPerHour int           `json:"max_per_hour,omitempty"`
	MaxPerDay  int           `json:"max_per_day,omitempty"`
	MinSpacing time.Duration `json:"min_spacing,omitempty"`
}

// Holiday is one of the org's own days off.
type Holiday struct {
	// Date is the day, YYYY-MM-DD, in the org's time zone.
	Date string `json:"date"`
	Name string `json:"name"`
}

// DefaultSettings are the settings of a new org.
func DefaultSettings() Settings {
	return Settings{
		ActiveLimit:  250,
		MaxWait:      30 * 24 * time.Hour,
		Workdays:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		WorkStart:    9 * 60,
		WorkEnd:      17 * 60,
		TimeZone:     "UTC",
		CallOutcomes: []string{"connected", "left_voicemail", "no_answer", "busy", "wrong_number"},
	}
}

// Role is what a user may do (SPEC §6).
type Role string

// The three roles.
const (
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleSeller  Role = "seller"
)

// User is a person who signs in to pacer.
type User struct {
	Username  string   `json:"username"`
	Name      string   `json:"name,omitempty"`
	Email     string   `json:"email,omitempty"`
	Roles     []Role   `json:"roles"`
	Title     string   `json:"title,omitempty"`
	Territory string   `json:"territory,omitempty"`
	TimeZone  string   `json:"timezone,omitempty"`
	SSHKeys   []string `json:"ssh_keys,omitempty"`
	// From is the sender address for this user's automated emails.
	From string `json:"from,omitempty"`
	// Hours is the user's own working time; zero: the org's.
	Hours WorkHours `json:"hours,omitzero"`
	// Away lists the user's time off, ordered by start.
	Away []TimeOff `json:"away,omitempty"`
	// MaxPerHour and MaxPerDay override the org's sending limits for the user's mailbox
	// (0: the org's).
	MaxPerHour int `json:"max_per_hour,omitempty"`
	MaxPerDay  int `json:"max_per_day,omitempty"`
	// IMAPURL is the user's own mailbox pacer watches for replies and bounces, beside the
	// org's (settings imap_url); a secret, like the settings' URLs.
	IMAPURL string `json:"imap_url,omitempty"`
}

// WorkHours are a user's own working days and hours (minutes after midnight in the user's
// time zone, else the org's). Days nil means the org's days; Start == End means the org's
// hours.
type WorkHours struct {
	Days       []time.Weekday `json:"days,omitempty"`
	Start, End int
}

// IsZero reports whether the org's working time applies.
func (h WorkHours) IsZero() bool { return h.Days == nil && h.Start == h.End }

// TimeOff is a period a user is away, [From, To), and who covers their tasks meanwhile
// (empty: the tasks wait for the return).
type TimeOff struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Cover string    `json:"cover,omitempty"`
}

// Has reports whether the user has role r.
func (u User) Has(r Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// TeamType distinguishes owner teams (which own records) from access teams.
type TeamType string

// The two team types.
const (
	OwnerTeam  TeamType = "owner"
	AccessTeam TeamType = "access"
)

// Member is a user in a team, with an optional member role such as "account manager".
type Member struct {
	Username string `json:"username"`
	Role     string `json:"role,omitempty"`
}

// Team is a named group of users.
type Team struct {
	Name    string   `json:"name"`
	Type    TeamType `json:"type"`
	Members []Member `json:"members"`
}

// Record is a lead, opportunity, account, contact or custom entity row.
type Record struct {
	// Key is the internal, time-ordered key; set by PutRecord.
	Key    ID     `json:"-"`
	Entity string `json:"entity"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	// Owner is a username or "team:NAME".
	Owner      string `json:"owner,omitempty"`
	Stage      string `json:"stage,omitempty"`
	AccessTeam string `json:"access_team,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	// Fields are free fields; values are string, float64 or bool.
	Fields     map[string]any `json:"fields,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	ModifiedAt time.Time      `json:"modified_at"`
}

// Ref is the record's written form, "entity/id".
func (r Record) Ref() string { return r.Entity + "/" + r.ID }

// TemplateKind says whether a template is an email or a text message.
type TemplateKind string

// The two template kinds.
const (
	EmailTemplate TemplateKind = "email"
	SMSTemplate   TemplateKind = "sms"
)

// Template is a named email or SMS template with placeholders.
type Template struct {
	Name    string       `json:"name"`
	Kind    TemplateKind `json:"kind"`
	Subject string       `json:"subject,omitempty"`
	Body    string       `json:"body"`
	// HTML is an email template's own HTML body, "" when the HTML part is made from Body.
	HTML       string    `json:"html,omitempty"`
	ModifiedAt time.Time `json:"modified_at"`
}

// SeqState is the lifecycle state of a sequence.
type SeqState string

// The lifecycle states: draft (never activated) → active ⇄ inactive.
const (
	Draft    SeqState = "draft"
	Active   SeqState = "active"
	Inactive SeqState = "inactive"
)

// Sequence is a sequence as stored: its summary columns (what the home grid shows) and the
// working definition. Published versions are stored apart and never change.
type Sequence struct {
	ID          ID       `json:"-"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Entity      string   `json:"entity"`
	Owner       string   `json:"owner"`
	State       SeqState `json:"state"`
	// Version is the newest published version, 0 when never activated.
	Version int      `json:"version"`
	Tags    []string `json:"tags,omitempty"`
	Steps   int      `json:"steps"`
	// Definition is the working definition in the sequence file format (YAML).
	Definition []byte    `json:"definition"`
	CreatedAt  time.Time `json:"created_at"`
	ModifiedAt time.Time `json:"modified_at"`
}

// Version is an immutable published version of a sequence.
type Version struct {
	Sequence ID  `json:"-"`
	N        int `json:"n"`
	// Definition is the sequence file (YAML) as published.
	Definition  []byte    `json:"definition"`
	PublishedAt time.Time `json:"published_at"`
	By          string    `json:"by"`
	Note        string    `json:"note,omitempty"`
}

// Prefs are one user's remembered screen settings, by screen name (for example "home").
// Each value is opaque to the store.
type Prefs map[string][]byte

// RecordSort names an order of records: by id, by name (ASCII letters folded to lower
// case, then bytes), by modification time or by owner. Ties go by id.
type RecordSort string

// The orders of RecordsSorted.
const (
	SortByID       RecordSort = "id"
	SortByName     RecordSort = "name"
	SortByModified RecordSort = "modified"
	SortByOwner    RecordSort = "owner"
)

// RecordSorts lists every RecordSort.
var RecordSorts = []RecordSort{SortByID, SortByName, SortByModified, SortByOwner}

// RecordOrder is an order of RecordsSorted: a sort, descending when Desc (the id of ties
// descending too).
type RecordOrder struct {
	By   RecordSort
	Desc bool
}

// FoldName is the sort form of a record's name: ASCII letters in lower case, every other
// byte as it is, the same in every backend.
func FoldName(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// CheckOrder refuses an order no backend knows.
func CheckOrder(o RecordOrder) error {
	for _, s := range RecordSorts {
		if o.By == s {
			return nil
		}
	}
	return errors.New("records sorted by " + string(o.By) + ": not an order (id, name, modified or owner)")
}
