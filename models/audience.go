package models

import (
	"errors"
	"strings"
	"time"
)

// DutyAssignment is one person's duty: who, in what role, from when to when.
type DutyAssignment struct {
	User     User
	RoleName string // e.g. "带班领导", "值班员"
	Shift    string // e.g. "白班", "夜班"
	Start    time.Time
	End      time.Time
}

// ErrNoRoster means there are no duty assignments to remind anyone of yet.
var ErrNoRoster = errors.New("no roster yet")

// Audience is a circle of people an escalation step notifies.
type Audience string

// The audiences.
const (
	AudienceSchoolContacts   Audience = "school_contacts"   // the responsible school's contacts
	AudienceOfficersOnDuty   Audience = "officers_on_duty"  // duty officers on shift (值班员)
	AudienceLeaderOnDuty     Audience = "leader_on_duty"    // leader on duty (带班领导)
	AudienceDistrictOfficers Audience = "district_officers" // the school's district officer(s)
	AudienceLeadership       Audience = "leadership"        // bureau leadership (局领导), a configured list
)

// Recipient is a person a message goes to.
type Recipient struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// String writes the recipient as people read it: "Name <address>".
func (r Recipient) String() string {
	if r.Name == "" {
		return "<" + r.Email + ">"
	}
	return r.Name + " <" + r.Email + ">"
}

// audienceNames are the audiences as the messages address them.
var audienceNames = map[Audience]string{
	AudienceSchoolContacts:   "学校联系人",
	AudienceOfficersOnDuty:   "值班员",
	AudienceLeaderOnDuty:     "带班领导",
	AudienceDistrictOfficers: "区县教育局值班人员",
	AudienceLeadership:       "局领导",
}

// Name is the audience in Chinese, as the messages address it.
func (a Audience) Name() string {
	if n, ok := audienceNames[a]; ok {
		return n
	}
	return string(a)
}

// SchoolRef names a school as the domains that do not own schools see it.
type SchoolRef struct {
	ID         int64
	DistrictID int64
	Name       string
}

// Valid tells whether a is one of the audiences.
func (a Audience) Valid() bool {
	_, ok := audienceNames[a]
	return ok
}

// ParseAudiences reads audiences as a step stores them: comma-separated.
func ParseAudiences(s string) []Audience {
	var out []Audience
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, Audience(a))
		}
	}
	return out
}

// JoinAudiences writes audiences as a step stores them: comma-separated.
func JoinAudiences(as []Audience) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = string(a)
	}
	return strings.Join(parts, ",")
}

// AudienceNames writes audiences in Chinese, as people read them: "值班员、带班领导".
func AudienceNames(as []Audience) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.Name()
	}
	return strings.Join(parts, "、")
}
