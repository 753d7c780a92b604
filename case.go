package beian

import (
	"time"
)

// CaseType is the kind of filing application (备案类型), R-TY.
type CaseType string

// The five filing types of R-TY.
const (
	TypeNew          CaseType = "new"           // 新增
	TypeChange       CaseType = "change"        // 变更
	TypeCancel       CaseType = "cancel"        // 注销
	TypeTransferIn   CaseType = "transfer_in"   // 转移/接入
	TypeCancelAccess CaseType = "cancel_access" // 取消接入
)

// Valid reports whether t is one of the five filing types.
func (t CaseType) Valid() bool {
	switch t {
	case TypeNew, TypeChange, TypeCancel, TypeTransferIn, TypeCancelAccess:
		return true
	}
	return false
}

// Title is the Chinese name staff use for the filing type (R-BR-5 column 备案类型).
func (t CaseType) Title() string {
	switch t {
	case TypeNew:
		return "新增备案"
	case TypeChange:
		return "变更备案"
	case TypeCancel:
		return "注销备案"
	case TypeTransferIn:
		return "接入备案"
	case TypeCancelAccess:
		return "取消接入"
	}
	return string(t)
}

// NeedsFilingNumber reports whether the type works on an existing filing and
// so needs its number and password (R-TY: any change needs them).
func (t CaseType) NeedsFilingNumber() bool {
	return t == TypeChange || t == TypeCancel || t == TypeTransferIn || t == TypeCancelAccess
}

// NeedsBureau reports whether the case goes to the bureau after our review.
// cancel_access is our own act and needs no bureau review.
func (t CaseType) NeedsBureau() bool { return t != TypeCancelAccess }

// SponsorKind says whether the sponsor (主办者) is a person or an organisation.
type SponsorKind string

// Sponsor kinds.
const (
	SponsorPerson       SponsorKind = "person"       // 个人
	SponsorOrganisation SponsorKind = "organisation" // 单位/企业
)

// Certificate types of a sponsor.
const (
	CertIDCard = "id_card" // 居民身份证
	CertUSCC   = "uscc"    // 统一社会信用代码
)

// Person is a named person with an ID number, e.g. the legal representative (法定代表人).
type Person struct {
	Name     string
	IDNumber string
}

// Sponsor is the filer (主办者 / 主办单位).
type Sponsor struct {
	Kind       SponsorKind
	Name       string
	CertType   string
	CertNumber string
	Province   string // residence (属地); decides the reviewing bureau, R-ENT-3
	City       string
	Address    string
	LegalRep   *Person
}

// Principal is the site principal (网站负责人).
type Principal struct {
	Name     string
	IDNumber string
	Mobile   string
	Landline string
	Email    string
	QQ       string
}

// PreApproval is a pre-approval document (前置审批) for a regulated category.
type PreApproval struct {
	Category   string
	DocumentNo string
}

// Website is the site being filed. Domains may be empty for a site reached by IP only (R-IN-7).
type Website struct {
	Name         string
	Domains      []string
	ServerIPs    []string
	Categories   []string
	PreApprovals []PreApproval
	Interactive  bool // 电子公告: needs the special filing
}

// Routing is where a case goes: the provincial system and access-provider name
// given by the server IP (R-ENT-1), and the bureau of the sponsor's province (R-ENT-3).
type Routing struct {
	Province       string // system province (from the server IP)
	DataCentre     string
	AccessProvider string
	Mailbox        string
	BureauProvince string // the reviewing bureau: the sponsor's province
}

// ChecklistItem is one item of the materials checklist (R-IN-2).
type ChecklistItem struct {
	Code     string
	Title    string
	Note     string
	Required bool
	Received bool
}

// Deadlines are the durable deadlines of a case.
type Deadlines struct {
	PurgeAt     *time.Time // R-RV-5
	BureauDueAt *time.Time // R-BR-1
	RectifyBy   *time.Time // R-PA-3 / R-VC-4
}

// SMS check statuses (R-BR-6).
const (
	SMSPending  = "pending"
	SMSVerified = "verified"
	SMSExpired  = "expired"
)

// SMSVerification is the MIIT SMS check (工信部短信核验, R-BR-6) of one
// submission: the MIIT texts the principal a code, entered on the MIIT
// filing site within 24 hours, or the MIIT returns the filing by itself.
type SMSVerification struct {
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	DueAt       time.Time  `json:"due_at"`
	RemindAt    *time.Time `json:"remind_at,omitempty"` // the reminder still to send
	RemindedAt  *time.Time `json:"reminded_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// By is who recorded the check complete ("" for expiry; "bureau" when
	// the bureau's own answer closed it).
	By string `json:"by,omitempty"`
}

// Public-security filing statuses (R-PA-6).
const (
	PublicSecurityDue      = "due"
	PublicSecurityRecorded = "recorded"
	PublicSecurityOverdue  = "overdue"
)

// PublicSecurityDays is how long a site has to file with public security
// after it opens (R-PA-6); the filer is reminded on PublicSecurityReminderDays.
const PublicSecurityDays = 30

// PublicSecurityReminderDays are the days after opening on which the filer
// is reminded while no number is recorded (R-PA-6).
var PublicSecurityReminderDays = []int{20, 28}

// PublicSecurity is the public-security filing (公安联网备案, R-PA-6) a site
// owes within 30 days of opening.
type PublicSecurity struct {
	Status     string     `json:"status"`
	OpenedAt   time.Time  `json:"opened_at"`
	DueAt      time.Time  `json:"due_at"`
	Reminded   int        `json:"reminded"` // reminders sent so far
	Number     string     `json:"number,omitempty"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
	RecordedBy string     `json:"recorded_by,omitempty"`
}

// NextReminder is when the next public-security reminder goes, if one is
// still to go.
func (p *PublicSecurity) NextReminder() (time.Time, bool) {
	if p == nil || p.Status == PublicSecurityRecorded || p.Reminded >= len(PublicSecurityReminderDays) {
		return time.Time{}, false
	}
	return p.OpenedAt.AddDate(0, 0, PublicSecurityReminderDays[p.Reminded]), true
}

// Case is one filing case (备案申请): one application by one sponsor for one site.
type Case struct {
	ID           string
	CaseNo       string
	Type         CaseType
	Status       Status
	Routing      Routing
	Checklist    []ChecklistItem
	EmailSubject string // R-IN-3: <sponsor full name>+<domain>
	Deadlines    Deadlines

	Overdue        bool // R-BR-4
	BureauReceived bool
	Returned       bool
	ReturnReason   string
	ReviewReasons  []string
	// BureauDueProvisional is set when the bureau deadline crosses a year
	// without holiday data and was computed by the plain weekday rule.
	BureauDueProvisional bool

	FilingNumber string
	// FilingPasswordSealed is the filing password (备案密码) encrypted at rest
	// (R-BR-2); it is never kept or logged in clear.
	FilingPasswordSealed string

	RectifyReason string
	RectifySource string

	CustomerID string
	Sponsor    Sponsor
	Principal  Principal
	Website    Website

	WorkflowID string
	// LinkedCaseID is the live filing (our own earlier case) that a change,
	// cancel or cancel_access case works on; its domains stay with that case
	// until this one's outcome ends or replaces it.
	LinkedCaseID string
	// AcceptedOverrides are the judgement rules a supervisor accepted for
	// this case (e.g. REGION_NAME_IN_PERSONAL_SITE); later corrections keep them.
	AcceptedOverrides []string
	// LastVerifiedAt is when a verification call last found every answer
	// matching the record (R-VC-1); nil when none has yet.
	LastVerifiedAt *time.Time
	// SMS is the MIIT SMS check of the latest submission (R-BR-6); nil
	// before the first submission.
	SMS *SMSVerification
	// PublicSecurity is the public-security filing after the site opened
	// (R-PA-6); nil until access opens on approval.
	PublicSecurity *PublicSecurity
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Timeline       []Event
}

// PrimaryName is the site's first domain, or its first server IP for a site
// reached by IP only (R-IN-7).
func (c *Case) PrimaryName() string {
	if len(c.Website.Domains) > 0 {
		return c.Website.Domains[0]
	}
	if len(c.Website.ServerIPs) > 0 {
		return c.Website.ServerIPs[0]
	}
	return ""
}

// MaterialsComplete reports whether every required checklist item has arrived.
func (c *Case) MaterialsComplete() bool {
	for _, it := range c.Checklist {
		if it.Required && !it.Received {
			return false
		}
	}
	return true
}

// Event is one line of a case's timeline: every state change, who and when.
type Event struct {
	Seq    int // the workflow's transition number; 0 for events outside a transition
	At     time.Time
	Event  string
	Actor  string
	Detail string
}
