package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/store"
)

// AckLink is what an acknowledgement link shows before and after confirming.
type AckLink struct {
	Alert          *Alert     `json:"alert"`
	School         string     `json:"school"`
	Contact        string     `json:"contact"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AckByName      string     `json:"ack_by_name"`
}

// AckLinkInfo checks an acknowledgement token and says what it is about, without acting on it.
// Errors: not_found (bad, expired or foreign token; contact no longer at the school).
func (s *Store) AckLinkInfo(ctx context.Context, token string) (*AckLink, *directory.Contact, error) {
	claims, c, err := s.dir.LinkContact(ctx, token, directory.LinkAlertAck)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.loadAlert(ctx, claims.SubjectID)
	if err != nil {
		return nil, nil, models.Errorf(models.ENOTFOUND, "链接无效或已失效")
	}
	var st AlertSchool
	if err := s.db.Conn(ctx).Where("alert_id = ? AND school_id = ?", a.ID, claims.SchoolID).Take(&st).Error; err != nil {
		return nil, nil, models.Errorf(models.ENOTFOUND, "链接无效或已失效")
	}
	var school directory.School
	if err := s.db.Conn(ctx).Select("id", "name").Take(&school, claims.SchoolID).Error; err != nil {
		return nil, nil, err
	}
	return &AckLink{Alert: a, School: school.Name, Contact: c.Name, AcknowledgedAt: st.AcknowledgedAt, AckByName: st.AckByName}, c, nil
}

// AcknowledgeByLink confirms receipt of a warning for the school of the link's contact. It is
// idempotent: confirming again (by any contact of the school) changes nothing and answers with
// the first confirmation. Errors: not_found (bad link).
func (s *Store) AcknowledgeByLink(ctx context.Context, token string) (*AckLink, error) {
	info, c, err := s.AckLinkInfo(ctx, token)
	if err != nil {
		return nil, err
	}
	actor := &models.User{Username: "contact:" + models.FormatID(c.ID), DisplayName: c.Name}
	if err := s.acknowledge(ctx, actor, info.Alert, c.SchoolID, &c.ID, nil, c.Name); err != nil {
		return nil, err
	}
	info, _, err = s.AckLinkInfo(ctx, token)
	return info, err
}

// AcknowledgeAlert confirms receipt for a school through the API: a school reporter for its own
// school; the desk (duty officers, admins) for any school of the region, e.g. after a phone call.
// Errors: not_found (alert, or school outside the region or the actor's scope), forbidden.
func (s *Store) AcknowledgeAlert(ctx context.Context, actor *models.User, alertID, schoolID int64) (*AlertSchool, error) {
	if actor.Role == models.RoleSchoolReporter {
		if actor.SchoolID == nil || (schoolID != 0 && schoolID != *actor.SchoolID) {
			return nil, models.Errorf(models.ENOTFOUND, "预警不存在")
		}
		schoolID = *actor.SchoolID
	} else if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	if schoolID == 0 {
		return nil, &models.Error{Code: models.EINVALID, Message: "请指定学校", Fields: map[string]string{"school_id": "请指定学校"}}
	}
	a, err := s.loadAlert(ctx, alertID)
	if err != nil {
		return nil, err
	}
	if err := s.acknowledge(ctx, actor, a, schoolID, nil, &actor.ID, actor.DisplayName); err != nil {
		return nil, err
	}
	var st AlertSchool
	if err := s.db.Conn(ctx).Where("alert_id = ? AND school_id = ?", alertID, schoolID).Take(&st).Error; err != nil {
		return nil, err
	}
	return &st, nil
}

// acknowledge marks the school's state acknowledged unless it already is, and closes the
// acknowledgement deadline once every school of the region has confirmed.
func (s *Store) acknowledge(ctx context.Context, actor *models.User, a *Alert, schoolID int64, contactID, userID *int64, name string) error {
	return s.transact(ctx, func(tx *Store) error {
		var st AlertSchool
		if err := tx.db.DB().Where("alert_id = ? AND school_id = ?", a.ID, schoolID).Take(&st).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.ENOTFOUND, "该学校不在预警范围内")
			}
			return err
		}
		if st.AcknowledgedAt != nil {
			return nil
		}
		now := tx.db.Now()
		res := tx.db.DB().Model(&AlertSchool{}).Where("id = ? AND acknowledged_at IS NULL", st.ID).
			Updates(map[string]any{"acknowledged_at": now, "ack_contact_id": contactID, "ack_user_id": userID, "ack_by_name": name})
		if res.Error != nil {
			return fmt.Errorf("acknowledge alert %d school %d: %w", a.ID, schoolID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // a concurrent confirmation got there first
		}
		var open int64
		if err := tx.db.DB().Model(&AlertSchool{}).Where("alert_id = ? AND acknowledged_at IS NULL", a.ID).Count(&open).Error; err != nil {
			return err
		}
		if open == 0 {
			if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineAlertAck, models.SubjectAlert, a.ID, tx.db.Now()); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "alert.acknowledge", models.SubjectAlert, a.ID, fmt.Sprintf("school %d by %s", schoolID, name))
	})
}

// ContactDelivery is the state of one contact's message for an alert.
type ContactDelivery struct {
	ContactID int64      `json:"contact_id"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	Status    string     `json:"status"` // pending, sent, failed, or none
	SentAt    *time.Time `json:"sent_at"`
	LastError string     `json:"last_error,omitempty"`
}

// SchoolAckState is one school's acknowledgement state for an alert.
type SchoolAckState struct {
	SchoolID       int64             `json:"school_id"`
	School         string            `json:"school"`
	DistrictID     int64             `json:"district_id"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at"`
	AckByName      string            `json:"ack_by_name"`
	Contacts       []ContactDelivery `json:"contacts"`
}

// AlertStatusReport gives totals and per-school state of an alert.
type AlertStatusReport struct {
	AlertID        int64            `json:"alert_id"`
	Schools        int              `json:"schools"`
	Acknowledged   int              `json:"acknowledged"`
	Unacknowledged int              `json:"unacknowledged"`
	Messages       map[string]int   `json:"messages"` // outbox rows by status
	PerSchool      []SchoolAckState `json:"per_school"`
}

// AlertStatus reports who has been sent, who delivered and who acknowledged an alert, within the
// schools actor may see. Errors: not_found.
func (s *Store) AlertStatus(ctx context.Context, actor *models.User, alertID int64) (*AlertStatusReport, error) {
	if _, err := s.Alert(ctx, actor, alertID); err != nil {
		return nil, err
	}
	var rows []struct {
		AlertSchool
		Name string
	}
	q := s.db.Conn(ctx).Table("alert_schools").Select("alert_schools.*, schools.name").
		Joins("JOIN schools ON schools.id = alert_schools.school_id").
		Where("alert_schools.alert_id = ?", alertID).Order("alert_schools.school_id")
	if err := store.ScopeSchools(actor, q, "alert_schools.school_id", "alert_schools.district_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("alert %d status: %w", alertID, err)
	}
	rep := &AlertStatusReport{AlertID: alertID, Messages: map[string]int{}}
	index := map[int64]int{}
	var schoolIDs []int64
	for _, r := range rows {
		index[r.SchoolID] = len(rep.PerSchool)
		schoolIDs = append(schoolIDs, r.SchoolID)
		rep.PerSchool = append(rep.PerSchool, SchoolAckState{SchoolID: r.SchoolID, School: r.Name, DistrictID: r.DistrictID,
			AcknowledgedAt: r.AcknowledgedAt, AckByName: r.AckByName, Contacts: []ContactDelivery{}})
		if r.AcknowledgedAt != nil {
			rep.Acknowledged++
		}
	}
	rep.Schools = len(rows)
	rep.Unacknowledged = rep.Schools - rep.Acknowledged
	if len(schoolIDs) == 0 {
		return rep, nil
	}
	// The latest message to each address decides its contacts' delivery state: one grouped query
	// over the alert's messages, not one per contact.
	var latest []struct {
		Recipient string
		Status    string
		SentAt    *time.Time
		LastError string
	}
	err := s.db.Conn(ctx).Table("outbox_messages o").Select("o.recipient, o.status, o.sent_at, o.last_error").
		Joins(`JOIN (SELECT MAX(id) AS id FROM outbox_messages WHERE subject_type = 'alert' AND subject_id = ? AND channel = 'email'
			GROUP BY recipient) latest ON latest.id = o.id`, alertID).Scan(&latest).Error
	if err != nil {
		return nil, fmt.Errorf("alert %d deliveries: %w", alertID, err)
	}
	byAddress := make(map[string]int, len(latest))
	for i, l := range latest {
		byAddress[l.Recipient] = i
	}
	var contacts []directory.Contact
	if err := s.db.Conn(ctx).Where("school_id IN ?", schoolIDs).Order("school_id, id").Find(&contacts).Error; err != nil {
		return nil, fmt.Errorf("alert %d contacts: %w", alertID, err)
	}
	for _, c := range contacts {
		d := ContactDelivery{ContactID: c.ID, Name: c.Name, Email: c.Email, Status: "none"}
		if i, ok := byAddress[c.Email]; ok && c.Email != "" {
			d.Status, d.SentAt, d.LastError = latest[i].Status, latest[i].SentAt, latest[i].LastError
		}
		rep.Messages[d.Status]++
		st := &rep.PerSchool[index[c.SchoolID]]
		st.Contacts = append(st.Contacts, d)
	}
	return rep, nil
}

// Deadlines answers the escalation engine about the deadlines of warnings — which schools still
// owe the acknowledgement of a warning or the 平安报 of a round (escalation.Subjects), and what
// the warning is (escalation.Describer). It holds no state: it reads in the transaction it is
// given; Links, BaseURL and LinkTTL sign the contacts' own links (ActionLinks).
type Deadlines struct {
	Links   *directory.LinkSigner
	BaseURL string
	LinkTTL time.Duration
}

// NewDeadlines returns the escalation engine's view of the warnings' deadlines, signing links
// with links under the warnings' settings.
func NewDeadlines(links *directory.LinkSigner, opts Options) Deadlines {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://localhost:8080"
	}
	return Deadlines{Links: links, BaseURL: opts.BaseURL, LinkTTL: opts.withDefaults().LinkTTL}
}

// ActionLinks gives each contact of a school that still owes d its own link to act without a
// login (escalation.Linker), by lower-case e-mail: the acknowledgement link of a warning, the
// 平安报 link of a round; none for other deadlines.
func (dl Deadlines) ActionLinks(ctx context.Context, tx *store.Store, d models.Deadline) (map[string]string, error) {
	path, purpose := "/a/", directory.LinkAlertAck
	switch d.SubjectType {
	case models.SubjectAlert:
	case models.SubjectSafetyRound:
		path, purpose = "/s/", directory.LinkSafetyReport
	default:
		return nil, nil
	}
	if dl.Links == nil {
		return nil, nil
	}
	pending, err := dl.PendingSchools(ctx, tx, d)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	var contacts []directory.Contact
	if err := tx.Conn(ctx).Where("school_id IN ? AND email <> ''", pending).Order("school_id, id").Find(&contacts).Error; err != nil {
		return nil, fmt.Errorf("contacts of pending schools: %w", err)
	}
	expires := tx.Now().Add(dl.LinkTTL)
	links := make(map[string]string, len(contacts))
	for _, c := range contacts {
		key := strings.ToLower(strings.TrimSpace(c.Email))
		if _, ok := links[key]; ok {
			continue // one address at two schools: the first one's link
		}
		links[key] = strings.TrimRight(dl.BaseURL, "/") + path + dl.Links.Sign(directory.LinkClaims{
			Purpose: purpose, RecipientID: c.ID, SchoolID: c.SchoolID, SubjectID: d.SubjectID, ExpiresAt: expires})
	}
	return links, nil
}

// PendingSchools returns the ids of the schools that have not yet acted on d, by district; none
// for a deadline that awaits no schools of a warning.
func (Deadlines) PendingSchools(ctx context.Context, tx *store.Store, d models.Deadline) ([]int64, error) {
	var q string
	switch d.SubjectType {
	case models.SubjectAlert:
		q = "id IN (SELECT school_id FROM alert_schools WHERE alert_id = ? AND acknowledged_at IS NULL)"
	case models.SubjectSafetyRound:
		q = `id IN (SELECT als.school_id FROM alert_schools als JOIN safety_rounds r ON r.alert_id = als.alert_id
			WHERE r.id = ? AND als.school_id NOT IN (SELECT school_id FROM safety_reports WHERE round_id = r.id))`
	default:
		return nil, nil
	}
	var ids []int64
	if err := tx.Conn(ctx).Model(&directory.School{}).Where(q, d.SubjectID).Order("district_id, id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("pending schools of deadline %d: %w", d.ID, err)
	}
	return ids, nil
}
