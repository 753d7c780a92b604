package intake

// Violation codes. The first group is the contract of api.md; the others are
// this package's own, equally stable.
const (
	CodeSuspendedResidence     = "SUSPENDED_RESIDENCE"          // R-IN-1
	CodeIPNotOurs              = "IP_NOT_OURS"                  // R-ENT-2
	CodeInvalidIDNumber        = "INVALID_ID_NUMBER"            // R-IN-4
	CodeInvalidCreditCode      = "INVALID_CREDIT_CODE"          // R-IN-4
	CodeInvalidMobile          = "INVALID_MOBILE"               // R-IN-4
	CodeInvalidDomain          = "INVALID_DOMAIN"               // R-IN-4
	CodeTLDNotFileable         = "TLD_NOT_FILEABLE"             // R-IN-4
	CodeRegionNameInPersonal   = "REGION_NAME_IN_PERSONAL_SITE" // R-IN-4
	CodeNationalWordInSiteName = "NATIONAL_WORD_IN_SITE_NAME"   // R-IN-4
	CodePreApprovalRequired    = "PRE_APPROVAL_REQUIRED"        // R-IN-4
	CodeLandlineRequired       = "LANDLINE_REQUIRED"            // R-IN-2
	CodeFilingNumberRequired   = "FILING_NUMBER_REQUIRED"       // R-TY
	CodeRequired               = "REQUIRED"                     // a required field is empty
	CodeInvalidType            = "INVALID_TYPE"                 // R-TY: not one of the five filing types
	CodeInvalidSponsorKind     = "INVALID_SPONSOR_KIND"         // R-IN-4: neither person nor organisation
	CodeCertTypeMismatch       = "CERT_TYPE_MISMATCH"           // R-IN-4: person ↔ id_card, organisation ↔ uscc
	CodeSponsorKindMismatch    = "SPONSOR_KIND_MISMATCH"        // R-IN-4: personal site under an organisation or vice versa
	CodePrincipalNotSponsor    = "PRINCIPAL_NOT_SPONSOR"        // R-IN-4: a personal site's principal is the sponsor
	CodeInvalidProvince        = "INVALID_PROVINCE"             // R-ENT-3: not a mainland province
	CodeInvalidIP              = "INVALID_IP"                   // R-ENT-1
	CodeDuplicateIP            = "DUPLICATE_IP"                 // R-ENT-1
	CodeIPsInDifferentProvince = "IPS_IN_DIFFERENT_PROVINCES"   // R-ENT-1
	CodeDuplicateDomain        = "DUPLICATE_DOMAIN"             // R-IN-4: the same registrable domain twice in one case
	CodeInvalidLandline        = "INVALID_LANDLINE"             // R-IN-2
	CodeInvalidEmail           = "INVALID_EMAIL"                // R-IN-4
	CodeInvalidFilingNumber    = "INVALID_FILING_NUMBER"        // R-TY
)

// Checklist item codes (R-IN-2). Pre-approval items are
// ItemPreApprovalPrefix + category code, e.g. "pre_approval_news".
const (
	ItemRegistrationForm           = "registration_form"
	ItemVerificationSheet          = "verification_sheet"
	ItemVerificationSheetGuangdong = "verification_sheet_guangdong"
	ItemSecurityCommitment         = "security_commitment"
	ItemDomainCertificate          = "domain_certificate"
	ItemPrincipalID                = "principal_id"
	ItemCurtainPhoto               = "curtain_photo"
	ItemBusinessLicence            = "business_licence"
	ItemLegalRepID                 = "legal_rep_id"
	ItemAuthorisationLetter        = "authorisation_letter"
	ItemFilingNumberAndPassword    = "filing_number_and_password"
	ItemInteractiveSpecialFiling   = "interactive_special_filing"
	ItemPreApprovalPrefix          = "pre_approval_"
)
