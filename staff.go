package beian

import (
	"context"
	"time"
)

// Roles of staff accounts and API callers.
const (
	RoleSpecialist = "specialist" // 备案专员
	RoleSupervisor = "supervisor" // 主管
	RoleTech       = "tech"       // 技术部
	RoleBureau     = "bureau"     // the system that reports bureau results
	RoleAdmin      = "admin"      // everything
)

// Roles lists the five roles, in the order staff pick them.
var Roles = []string{RoleSpecialist, RoleSupervisor, RoleTech, RoleBureau, RoleAdmin}

// RoleTitle is the Chinese name of a role.
func RoleTitle(role string) string {
	switch role {
	case RoleSpecialist:
		return "备案专员"
	case RoleSupervisor:
		return "主管"
	case RoleTech:
		return "技术部"
	case RoleBureau:
		return "管局接口"
	case RoleAdmin:
		return "管理员"
	}
	return role
}

// ValidRole reports whether r is one of the five roles.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Staff is a named staff account (员工账号) of the console. PasswordHash is
// an argon2id hash in PHC form; it is never returned by the API or logged.
type Staff struct {
	Username     string
	Name         string
	Role         string
	Email        string
	Disabled     bool
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is a signed-in console session. ID is the SHA-256 (hex) of the
// token in the browser's cookie: a stolen table holds no usable token.
// CSRF is the token every form and cookie-authenticated API write carries.
type Session struct {
	ID        string
	Username  string
	CSRF      string
	Addr      string
	UserAgent string
	CreatedAt time.Time
	LastSeen  time.Time
}

// StaffStore keeps staff accounts, their sessions and failed sign-ins
// (PostgreSQL in production). Every change to an account is audited as actor.
type StaffStore interface {
	// CountStaff returns how many accounts exist (the bootstrap creates
	// admin when there are none).
	CountStaff(ctx context.Context) (int, error)
	// ListStaff returns every account by username.
	ListStaff(ctx context.Context) ([]Staff, error)
	// GetStaff returns the account; CodeNotFound when there is none.
	GetStaff(ctx context.Context, username string) (*Staff, error)
	// CreateStaff adds s (CreatedAt, UpdatedAt set); CodeConflict when the
	// username is taken.
	CreateStaff(ctx context.Context, s *Staff, actor string) error
	// UpdateStaff changes name, role, email and disabled of s.Username;
	// disabling an account ends its sessions. CodeNotFound when absent.
	UpdateStaff(ctx context.Context, s *Staff, actor string) error
	// SetStaffPassword replaces the hash and ends the account's sessions.
	SetStaffPassword(ctx context.Context, username, hash, actor string) error
	// DeleteStaff removes the account and its sessions; CodeNotFound when absent.
	DeleteStaff(ctx context.Context, username, actor string) error

	// CreateSession stores s.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with id and its account, nil, nil, nil
	// when there is none.
	GetSession(ctx context.Context, id string) (*Session, *Staff, error)
	// TouchSession sets the session's LastSeen.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession removes the session (sign-out, timeout); no error when absent.
	DeleteSession(ctx context.Context, id string) error

	// LoginFailures returns how many failed sign-ins key ("user:<name>",
	// "addr:<ip>") has had since since, and when the last was.
	LoginFailures(ctx context.Context, key string, since time.Time) (n int, last time.Time, err error)
	// AddLoginFailure records a failed sign-in at at for each key.
	AddLoginFailure(ctx context.Context, keys []string, at time.Time) error
	// ClearLoginFailures forgets the failures of key (after a good sign-in).
	ClearLoginFailures(ctx context.Context, key string) error
	// PruneSessions deletes the sessions idle since idleBefore or opened
	// before openedBefore, and failed sign-ins older than failuresBefore.
	PruneSessions(ctx context.Context, idleBefore, openedBefore, failuresBefore time.Time) (int, error)
	// LockLogin serialises sign-ins of the keys across processes until
	// unlock is called, so the throttle's count-check-record is one step.
	LockLogin(ctx context.Context, keys []string) (unlock func(), err error)
}

// StatusCount is how many open cases one status, system province and bureau
// province have (the dashboard's open cases by status and by province).
type StatusCount struct {
	Status         Status
	Province       string
	BureauProvince string
	N              int
}

// BureauOutcome is one decision of a bureau: the event (bureau_approved,
// bureau_returned, filing_cancelled), when it came, and when the case was
// last submitted before it (nil when no submission is on record).
type BureauOutcome struct {
	CaseID         string
	Event          string
	At             time.Time
	SubmittedAt    *time.Time
	BureauProvince string
}

// StatsStore answers the dashboard's figures.
type StatsStore interface {
	// OpenCaseCounts counts the cases that have not ended, by status,
	// system province and bureau province.
	OpenCaseCounts(ctx context.Context) ([]StatusCount, error)
	// BureauOutcomes returns the bureau decisions recorded at or after since,
	// oldest first.
	BureauOutcomes(ctx context.Context, since time.Time) ([]BureauOutcome, error)
	// IntakeByWeek counts the cases created at or after since by week, each
	// week starting Monday 00:00 Asia/Shanghai, oldest week first; weeks
	// without a case are absent.
	IntakeByWeek(ctx context.Context, since time.Time) ([]WeekCount, error)
	// OpenTasksDue returns the open tasks due before before, soonest first,
	// at most limit, and how many there are in all.
	OpenTasksDue(ctx context.Context, before time.Time, limit int) ([]Task, int, error)
	// PendingAccessActions returns the oldest limit access actions not yet
	// confirmed by tech, and how many there are in all (R-AC-1).
	PendingAccessActions(ctx context.Context, limit int) ([]AccessAction, int, error)
	// RecentTasks returns the latest limit tasks of a status, newest first.
	RecentTasks(ctx context.Context, status string, limit int) ([]Task, error)
	// RecentAccessActions returns the latest limit access actions of a
	// status, newest request first.
	RecentAccessActions(ctx context.Context, status string, limit int) ([]AccessAction, error)
}

// WeekCount is how many of something one week had; Week is its Monday 00:00
// in Asia/Shanghai.
type WeekCount struct {
	Week time.Time
	N    int
}
