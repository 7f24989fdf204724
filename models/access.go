package models

// Permission is something a role may do regardless of which school or district it concerns.
// Which records a user may touch is decided by the scope methods below; together they are the
// one place where DutyDesk decides who may do what.
type Permission string

// The permissions.
const (
	ManageUsers       Permission = "manage_users"       // create, change and list accounts
	ManageDirectory   Permission = "manage_directory"   // create districts and schools, import
	EditSchools       Permission = "edit_schools"       // change school details (within scope)
	EditContacts      Permission = "edit_contacts"      // change school contacts (within scope)
	ReadAudit         Permission = "read_audit"         // read the audit log
	SeeAll            Permission = "see_all"            // read every school's and district's records
	ReadOutbox        Permission = "read_outbox"        // see queued and failed messages, resend failed ones
	ManagePolicies    Permission = "manage_policies"    // change escalation ladders
	IssueAlerts       Permission = "issue_alerts"       // issue, update and lift warnings; ingest CAP; act for schools by phone
	FileIncidents     Permission = "file_incidents"     // file incident reports and answer 批示 (within scope)
	HandleIncidents   Permission = "handle_incidents"   // the desk: sign for, forward, take phone reports
	InstructIncidents Permission = "instruct_incidents" // give instructions (批示) on incidents
	ReadOnDuty        Permission = "read_on_duty"       // see who is on duty now and the desk's phones
	ReadRoster        Permission = "read_roster"        // read the 值班表, its checks, exports, log and handovers
	ManageRoster      Permission = "manage_roster"      // templates, rotations, leave, holidays, generation, overrides
	RequestSwaps      Permission = "request_swaps"      // request and accept swaps (调班) of one's own shifts
	ApproveSwaps      Permission = "approve_swaps"      // approve or reject swaps
	KeepDutyLog       Permission = "keep_duty_log"      // write the 值班日志 and handovers while on shift
	ReadStats         Permission = "read_stats"         // statistics and the annual summary (within scope)
)

var rolePermissions = map[Role][]Permission{
	RoleAdmin: {ManageUsers, ManageDirectory, EditSchools, EditContacts, ReadAudit, SeeAll, ReadOutbox, ManagePolicies,
		IssueAlerts, FileIncidents, HandleIncidents, InstructIncidents, ReadOnDuty, ReadRoster, ManageRoster, ApproveSwaps, ReadStats},
	RoleDutyOfficer: {EditContacts, SeeAll, ReadOutbox, IssueAlerts, HandleIncidents,
		ReadOnDuty, ReadRoster, RequestSwaps, KeepDutyLog, ReadStats},
	RoleLeader:          {SeeAll, InstructIncidents, ReadOnDuty, ReadRoster, RequestSwaps, ApproveSwaps, KeepDutyLog, ReadStats},
	RoleDistrictOfficer: {EditSchools, EditContacts, FileIncidents, ReadOnDuty, ReadStats},
	RoleSchoolReporter:  {EditContacts, FileIncidents, ReadOnDuty},
}

// Can tells whether u's role grants p. A nil or disabled user can do nothing.
func (u *User) Can(p Permission) bool {
	if u == nil || u.Disabled {
		return false
	}
	for _, granted := range rolePermissions[u.Role] {
		if granted == p {
			return true
		}
	}
	return false
}

// CanSeeSchool tells whether u may read the records of the school with the given id and district.
func (u *User) CanSeeSchool(schoolID, districtID int64) bool {
	switch {
	case u == nil || u.Disabled:
		return false
	case u.Can(SeeAll):
		return true
	case u.Role == RoleDistrictOfficer:
		return u.DistrictID != nil && *u.DistrictID == districtID
	case u.Role == RoleSchoolReporter:
		return u.SchoolID != nil && *u.SchoolID == schoolID
	}
	return false
}

// CanSeeDistrict tells whether u may read records of a whole district.
func (u *User) CanSeeDistrict(districtID int64) bool {
	switch {
	case u == nil || u.Disabled:
		return false
	case u.Can(SeeAll):
		return true
	case u.Role == RoleDistrictOfficer:
		return u.DistrictID != nil && *u.DistrictID == districtID
	}
	return false
}
