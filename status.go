package beian

// Status is where a case stands. The transitions are those of api.md.
type Status string

// Statuses of a filing case.
const (
	StatusAwaitingMaterials Status = "AWAITING_MATERIALS" // 待收材料
	StatusUnderReview       Status = "UNDER_REVIEW"       // 接入商审核中
	StatusNeedsCorrection   Status = "NEEDS_CORRECTION"   // 待整改资料
	StatusBureauReview      Status = "BUREAU_REVIEW"      // 管局审核中
	StatusApproved          Status = "APPROVED"           // 备案成功
	StatusBureauReturned    Status = "BUREAU_RETURNED"    // 管局退回
	StatusPurged            Status = "PURGED"             // 超期删除 (R-RV-5)
	StatusWithdrawn         Status = "WITHDRAWN"          // 已撤回
	StatusCancelled         Status = "CANCELLED"          // 备案号已注销
	StatusRectifying        Status = "RECTIFYING"         // 整改中 (24 h)
	StatusAccessCancelled   Status = "ACCESS_CANCELLED"   // 已取消接入
	StatusSuperseded        Status = "SUPERSEDED"         // 已被变更取代: a change of this filing was approved
)

// AllStatuses lists every status, in lifecycle order.
var AllStatuses = []Status{
	StatusAwaitingMaterials, StatusUnderReview, StatusNeedsCorrection, StatusBureauReview,
	StatusApproved, StatusBureauReturned, StatusPurged, StatusWithdrawn, StatusCancelled,
	StatusRectifying, StatusAccessCancelled, StatusSuperseded,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range AllStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Terminal reports whether the case has ended; its workflow completes and its
// domains are free to be filed again.
func (s Status) Terminal() bool {
	return s == StatusPurged || s == StatusWithdrawn || s == StatusCancelled || s == StatusSuperseded
}

// OnRecord reports whether a case in status s is a live filing: approved,
// possibly under rectification or with our access cancelled.
func (s Status) OnRecord() bool {
	return s == StatusApproved || s == StatusRectifying || s == StatusAccessCancelled
}

// Title is the Chinese name of the status shown to staff.
func (s Status) Title() string {
	switch s {
	case StatusAwaitingMaterials:
		return "待收材料"
	case StatusUnderReview:
		return "接入商审核中"
	case StatusNeedsCorrection:
		return "待用户更正"
	case StatusBureauReview:
		return "管局审核中"
	case StatusApproved:
		return "备案成功"
	case StatusBureauReturned:
		return "管局退回"
	case StatusPurged:
		return "超期已删除"
	case StatusWithdrawn:
		return "已撤回"
	case StatusCancelled:
		return "备案已注销"
	case StatusRectifying:
		return "整改中"
	case StatusAccessCancelled:
		return "已取消接入"
	case StatusSuperseded:
		return "已被变更取代"
	}
	return string(s)
}

// Action is a staff or bureau action on a case.
type Action string

// Actions on a case; each is an Update of the filing workflow.
const (
	ActionMaterials      Action = "materials"
	ActionReview         Action = "review"
	ActionCorrections    Action = "corrections"
	ActionBureauReceived Action = "bureau-received"
	ActionBureauDecision Action = "bureau-decision"
	ActionWithdraw       Action = "withdraw"
	ActionRequireRectify Action = "require-rectification"
	ActionRectified      Action = "rectified"
	ActionRestoreAccess  Action = "restore-access"
	// ActionVerificationCall asks for a verification call on demand (R-VC).
	ActionVerificationCall Action = "verification-call"
	// ActionVerificationResult records what a verification call found (R-VC-1, R-VC-3).
	ActionVerificationResult Action = "verification-result"
	// ActionCancelAccess cancels our access to a live filing at once: the
	// security sheet found it illegal or off our IPs (R-PA-2).
	ActionCancelAccess Action = "cancel-access"
	// ActionSMSVerified records that the filer entered the MIIT's SMS code
	// (R-BR-6): the bureau has the case from then on.
	ActionSMSVerified Action = "sms-verified"
	// ActionPublicSecurity records the site's public-security filing number
	// (公安联网备案号, R-PA-6).
	ActionPublicSecurity Action = "public-security"
)

// callable are the statuses in which a case gets verification calls: under
// our review (R-RV-2) and afterwards, while the filing lives (R-PA-1).
var callable = []Status{
	StatusUnderReview, StatusNeedsCorrection, StatusBureauReview, StatusBureauReturned,
	StatusApproved, StatusRectifying, StatusAccessCancelled,
}

// allowed maps each action to the statuses it may be taken in.
var allowed = map[Action][]Status{
	ActionMaterials:      {StatusAwaitingMaterials},
	ActionReview:         {StatusUnderReview},
	ActionCorrections:    {StatusNeedsCorrection, StatusBureauReturned},
	ActionBureauReceived: {StatusBureauReview},
	ActionBureauDecision: {StatusBureauReview},
	ActionWithdraw:       {StatusAwaitingMaterials, StatusUnderReview, StatusNeedsCorrection, StatusBureauReview, StatusBureauReturned},
	ActionRequireRectify: {StatusApproved},
	ActionRectified:      {StatusRectifying},
	ActionRestoreAccess:  {StatusAccessCancelled},
	ActionCancelAccess:   {StatusApproved, StatusRectifying},
	ActionSMSVerified:    {StatusBureauReview},
	ActionPublicSecurity: {StatusApproved, StatusRectifying, StatusAccessCancelled},

	ActionVerificationCall:   callable,
	ActionVerificationResult: callable,
}

// Allows reports whether action a may be taken on a case in status s. When it
// may not, the error is a CodeInvalidState error explained in Chinese.
func (s Status) Allows(a Action) error {
	for _, x := range allowed[a] {
		if x == s {
			return nil
		}
	}
	return Errorf(CodeInvalidState, "当前状态「%s」(%s)不允许执行操作 %s", s.Title(), s, a)
}
