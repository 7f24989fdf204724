package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// Describe tells what the incident behind d is (escalation.Describer), for the message that
// chases d: its school, class, the latest casualties and summary, whom to call and its page. It
// reads in tx and checks no permissions (the caller is the system); nil for a deadline that is
// not an incident's, its report's or its instruction's.
func (s *Store) Describe(ctx context.Context, tx *store.Store, d models.Deadline) (*notify.SubjectFacts, error) {
	s = s.WithTx(tx)
	var id int64
	switch d.SubjectType {
	case models.SubjectIncident:
		id = d.SubjectID
	case models.SubjectReport:
		if err := s.db.Conn(ctx).Model(&Report{}).Where("id = ?", d.SubjectID).Pluck("incident_id", &id).Error; err != nil {
			return nil, fmt.Errorf("incident of report %d: %w", d.SubjectID, err)
		}
	case models.SubjectInstruction:
		if err := s.db.Conn(ctx).Model(&Instruction{}).Where("id = ?", d.SubjectID).Pluck("incident_id", &id).Error; err != nil {
			return nil, fmt.Errorf("incident of instruction %d: %w", d.SubjectID, err)
		}
	default:
		return nil, nil
	}
	if id == 0 {
		return nil, nil // the report or instruction is gone
	}
	var inc Incident
	if err := s.db.Conn(ctx).Take(&inc, id).Error; err != nil {
		return nil, fmt.Errorf("describe incident %d: %w", id, err)
	}
	school, _, err := s.schoolName(ctx, inc.SchoolID)
	if err != nil {
		return nil, err
	}
	facts := &notify.SubjectFacts{Title: inc.Title, Path: "/console/incidents/" + models.FormatID(inc.ID)}
	facts.Facts = append(facts.Facts, "事件："+inc.Title, "学校："+school,
		"类别与等级："+inc.Category.Name()+"，"+inc.Severity.Name(), inc.occurredLine(s.db.Location()))
	// The latest report that came in says how things stand now, and who can be called about it.
	var latest Report
	err = s.db.Conn(ctx).Where("incident_id = ? AND status <> ?", inc.ID, ReportDraft).Order("id DESC").Take(&latest).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return facts, nil
	case err != nil:
		return nil, fmt.Errorf("latest report of incident %d: %w", inc.ID, err)
	}
	facts.Facts = append(facts.Facts, latest.casualtiesLine())
	if latest.Summary != "" {
		facts.Facts = append(facts.Facts, "最新情况（"+latest.Title()+"）："+models.Truncate(latest.Summary, 200))
	}
	if who := latest.reporter(); who != "" {
		facts.Facts = append(facts.Facts, "报送人："+who)
	}
	facts.Phone = latest.reporterPhone()
	return facts, nil
}

// occurredLine says when and where the incident happened, as messages write it.
func (inc *Incident) occurredLine(loc *time.Location) string {
	line := "发生：" + inc.OccurredAt.In(loc).Format("1月2日 15:04")
	if inc.Place != "" {
		line += "，" + inc.Place
	}
	return line
}

// casualtiesLine says the casualties the report counts, as messages write it.
func (r *Report) casualtiesLine() string {
	return fmt.Sprintf("伤亡：死亡%d人、受伤%d人、失踪%d人", r.Dead, r.Injured, r.Missing)
}

// reporter is who reported: the written report's reporter, or the caller of a phone report.
func (r *Report) reporter() string {
	if r.ReporterName != "" {
		return r.ReporterName
	}
	return strings.TrimSpace(r.CallerUnit + " " + r.CallerName)
}

// reporterPhone is the number to call back: the reporter's, or the phone report's caller's.
func (r *Report) reporterPhone() string {
	if r.ReporterPhone != "" {
		return r.ReporterPhone
	}
	return r.CallerPhone
}

// schoolName is the name of the school with id, for the messages about its incidents; found is
// false when there is none.
func (s *Store) schoolName(ctx context.Context, id int64) (name string, found bool, err error) {
	schools, err := s.dir.SchoolRefs(ctx, s.db, []int64{id})
	if err != nil || len(schools) == 0 {
		return "", false, err
	}
	return schools[0].Name, true, nil
}
