package alert

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/notify"
)

// regionSchool is a school of an alert's region with its contacts, as the fan-out needs them.
type regionSchool struct {
	directory.School
	DistrictName string
}

// regionSchools returns every school in the alert's region with its contacts.
func (s *Store) regionSchools(ctx context.Context, a *Alert) ([]regionSchool, error) {
	q := s.db.Conn(ctx).Table("schools").Select("schools.*, districts.name AS district_name").
		Joins("JOIN districts ON districts.id = schools.district_id").Order("schools.id")
	if !a.WholeCity {
		q = q.Where("schools.district_id IN ?", a.DistrictIDs)
	}
	var schools []regionSchool
	if err := q.Scan(&schools).Error; err != nil {
		return nil, fmt.Errorf("schools of alert %d: %w", a.ID, err)
	}
	byID := make(map[int64]*regionSchool, len(schools))
	for i := range schools {
		byID[schools[i].ID] = &schools[i]
	}
	var contacts []directory.Contact
	cq := s.db.Conn(ctx).Order("school_id, is_primary DESC, id")
	if !a.WholeCity {
		cq = cq.Where("school_id IN (SELECT id FROM schools WHERE district_id IN ?)", a.DistrictIDs)
	}
	if err := cq.Find(&contacts).Error; err != nil {
		return nil, fmt.Errorf("contacts of alert %d: %w", a.ID, err)
	}
	for _, c := range contacts {
		if sc := byID[c.SchoolID]; sc != nil {
			sc.Contacts = append(sc.Contacts, c)
		}
	}
	return schools, nil
}

// regionName describes the alert's region in Chinese.
func (s *Store) regionName(ctx context.Context, a *Alert) (string, error) {
	if a.WholeCity {
		return "全市", nil
	}
	var names []string
	if err := s.db.Conn(ctx).Model(&directory.District{}).Where("id IN ?", a.DistrictIDs).Order("code").Pluck("name", &names).Error; err != nil {
		return "", err
	}
	return strings.Join(names, "、"), nil
}

// notifyAlert records every school of the region in alert_schools, (re)opens the acknowledgement
// deadline while the alert is active, and queues one message per contact: the warning with a
// personal acknowledgement link, its update, or its lifting. Drills send nothing. It returns the
// number of messages queued and the region's schools, which a safety round opened in the same
// transaction reuses rather than reading them again.
func (s *Store) notifyAlert(ctx context.Context, a *Alert, action string, now time.Time) (int, []regionSchool, error) {
	opts := s.opts
	schools, err := s.regionSchools(ctx, a)
	if err != nil {
		return 0, nil, err
	}
	if action != "lifted" {
		if err := s.ensureAlertSchools(ctx, a, schools, now); err != nil {
			return 0, nil, err
		}
		open, err := s.db.HasOpenDeadline(ctx, models.DeadlineAlertAck, models.SubjectAlert, a.ID)
		if err != nil {
			return 0, nil, err
		}
		if !open && !a.Drill {
			d := &models.Deadline{Kind: models.DeadlineAlertAck, SubjectType: models.SubjectAlert, SubjectID: a.ID, Label: a.Title() + "（" + a.Headline + "）", DueAt: now.Add(opts.AckDue)}
			if err := s.db.OpenDeadline(ctx, d); err != nil {
				return 0, nil, err
			}
		}
	}
	if a.Drill {
		return 0, schools, nil
	}
	region, err := s.regionName(ctx, a)
	if err != nil {
		return 0, nil, err
	}
	acked, err := s.acknowledgedSchools(ctx, a.ID)
	if err != nil {
		return 0, nil, err
	}
	loc := s.db.Location()
	ackBy := now.Add(opts.AckDue)
	// Rendered as they are queued, so the fan-out holds a few of its messages at a time, not all;
	// the renderer runs the templates once for the whole alert and fills in each contact.
	renderers := map[bool]*notify.AlertRenderer{} // by whether the school has acknowledged
	for _, acknowledged := range []bool{false, true} {
		renderers[acknowledged] = notify.NewAlertRenderer(notify.AlertData{Action: action, Title: a.Title(), Headline: a.Headline,
			Region: region, Instructions: a.Instructions, IssuedAt: now.In(loc), AckBy: ackBy.In(loc), Acknowledged: acknowledged})
	}
	msgs := func(yield func(notify.Message, error) bool) {
		for _, sc := range schools {
			renderer := renderers[acked[sc.ID]]
			for _, c := range sc.Contacts {
				if c.Email == "" {
					continue
				}
				link := ""
				if action != "lifted" && !acked[sc.ID] {
					link = s.link("/a/", directory.LinkClaims{Purpose: directory.LinkAlertAck, RecipientID: c.ID, SchoolID: sc.ID, SubjectID: a.ID, ExpiresAt: now.Add(opts.LinkTTL)})
				}
				r, err := renderer.Render(c.Name, sc.Name, link)
				if err != nil {
					yield(notify.Message{}, err)
					return
				}
				if !yield(notify.Message{
					ID:      s.db.MessageID("alert", models.FormatID(a.ID), fmt.Sprint(a.Version), action, "contact", models.FormatID(c.ID)),
					Channel: notify.ChannelEmail, Kind: notify.KindAlertIssued, To: c.Email, ToName: c.Name,
					Subject: r.Subject, Text: r.Text, HTML: r.HTML, SubjectType: string(models.SubjectAlert), SubjectID: a.ID,
				}, nil) {
					return
				}
			}
		}
	}
	queued, err := s.db.EnqueueSeq(ctx, msgs)
	return queued, schools, err
}

// link returns the absolute URL of a signed link under path.
func (s *Store) link(path string, c directory.LinkClaims) string {
	return strings.TrimRight(s.opts.BaseURL, "/") + path + s.dir.Links().Sign(c)
}

// ensureAlertSchools adds the region's schools that the alert does not track yet.
func (s *Store) ensureAlertSchools(ctx context.Context, a *Alert, schools []regionSchool, now time.Time) error {
	var known []int64
	if err := s.db.Conn(ctx).Model(&AlertSchool{}).Where("alert_id = ?", a.ID).Pluck("school_id", &known).Error; err != nil {
		return err
	}
	have := make(map[int64]bool, len(known))
	for _, id := range known {
		have[id] = true
	}
	var rows []AlertSchool
	for _, sc := range schools {
		if !have[sc.ID] {
			rows = append(rows, AlertSchool{AlertID: a.ID, SchoolID: sc.ID, DistrictID: sc.DistrictID, NotifiedAt: now})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.db.Conn(ctx).CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("alert %d schools: %w", a.ID, err)
	}
	return nil
}

func (s *Store) acknowledgedSchools(ctx context.Context, alertID int64) (map[int64]bool, error) {
	var ids []int64
	if err := s.db.Conn(ctx).Model(&AlertSchool{}).Where("alert_id = ? AND acknowledged_at IS NOT NULL", alertID).Pluck("school_id", &ids).Error; err != nil {
		return nil, err
	}
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}
