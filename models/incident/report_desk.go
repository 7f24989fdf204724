package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
)

// SignReport signs for (签收) a submitted report. The first signature on an incident gives it its
// yearly serial number (期号); a signed report of severity I–III (by the rules) must then be
// forwarded; signing the final report closes the incident. It returns the report and the
// incident. Only the desk may.
// Errors: forbidden, not_found, conflict (a draft, a phone report, or already signed).
func (s *Store) SignReport(ctx context.Context, actor *models.User, incidentID, reportID int64) (*Report, *Incident, error) {
	if !actor.Can(models.HandleIncidents) {
		return nil, nil, models.ErrForbidden
	}
	var r Report
	var inc *Incident
	err := s.transact(ctx, func(tx *Store) error {
		var err error
		inc, err = tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Where("id = ? AND incident_id = ?", reportID, inc.ID).Take(&r).Error; err != nil {
			return models.NotFound("报告", err)
		}
		switch r.Status {
		case ReportDraft:
			return models.Errorf(models.ECONFLICT, "报告尚未提交，不能签收")
		case ReportRecorded:
			return models.Errorf(models.ECONFLICT, "电话首报由值班员记录，无需签收")
		case ReportSigned:
			return models.Errorf(models.ECONFLICT, "报告已签收")
		}
		now := tx.db.Now()
		res := tx.db.Conn(ctx).Model(&Report{}).Where("id = ? AND status = ?", r.ID, ReportSubmitted).
			Updates(map[string]any{"status": ReportSigned, "signed_at": now, "signed_by": actor.ID})
		if res.Error != nil {
			return fmt.Errorf("sign report %d: %w", r.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ECONFLICT, "报告已签收")
		}
		r.Status, r.SignedAt, r.SignedBy = ReportSigned, &now, &actor.ID
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineSignature, models.SubjectReport, r.ID, tx.db.Now()); err != nil {
			return err
		}
		if inc.Serial == nil {
			serial, err := tx.nextSerial(ctx, now.In(tx.db.Location()).Year())
			if err != nil {
				return err
			}
			inc.Serial = &serial
		}
		if _, err := tx.openReportDeadline(ctx, inc, &r, models.DeadlineForward, now); err != nil {
			return err
		}
		if r.Kind == ReportFinal {
			inc.Status, inc.ClosedAt = IncidentClosed, &now
		}
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "report.sign", models.SubjectReport, r.ID, fmt.Sprintf("事件%d（期号%s）%s", inc.ID, *inc.Serial, r.Title()))
	})
	if err != nil {
		return nil, nil, err
	}
	return &r, inc, nil
}

// ForwardMethod is how the desk forwarded a report upward.
type ForwardMethod string

// The forward methods.
const (
	ForwardPhone    ForwardMethod = "phone"    // 电话
	ForwardFax      ForwardMethod = "fax"      // 传真
	ForwardEmail    ForwardMethod = "email"    // 电子邮件
	ForwardDocument ForwardMethod = "document" // 公文
	ForwardPlatform ForwardMethod = "platform" // 信息报送系统
)

// forwardMethodNames are the methods in Chinese.
var forwardMethodNames = map[ForwardMethod]string{
	ForwardPhone: "电话", ForwardFax: "传真", ForwardEmail: "电子邮件", ForwardDocument: "公文", ForwardPlatform: "信息报送系统",
}

// Valid tells whether m is a known method.
func (m ForwardMethod) Valid() bool { return forwardMethodNames[m] != "" }

// Name returns the method in Chinese.
func (m ForwardMethod) Name() string {
	if name, ok := forwardMethodNames[m]; ok {
		return name
	}
	return string(m)
}

// Forward records the desk forwarding (上报) a report upward: to whom, how and when.
type Forward struct {
	ID          int64         `json:"id"`
	ReportID    int64         `json:"report_id"`
	IncidentID  int64         `json:"incident_id"`
	Recipient   string        `json:"recipient"`
	Method      ForwardMethod `json:"method"`
	Note        string        `json:"note"`
	ForwardedBy int64         `json:"forwarded_by"`
	ForwardedAt time.Time     `json:"forwarded_at"`
}

// TableName names the forwards' table.
func (Forward) TableName() string { return "report_forwards" }

// ForwardInput records a forward.
type ForwardInput struct {
	// Recipient is to whom: e.g. 市政府总值班室, 省教育厅.
	Recipient string        `json:"recipient"`
	Method    ForwardMethod `json:"method"`
	Note      string        `json:"note"`
}

// ForwardReport records that the desk forwarded a signed report upward; the first forward meets
// the report's forward deadline. A report may be forwarded to several recipients. Only the desk may.
// Errors: forbidden, not_found, invalid, conflict (not signed yet).
func (s *Store) ForwardReport(ctx context.Context, actor *models.User, incidentID, reportID int64, in ForwardInput) (*Forward, error) {
	if !actor.Can(models.HandleIncidents) {
		return nil, models.ErrForbidden
	}
	f := &Forward{Recipient: strings.TrimSpace(in.Recipient), Method: in.Method, Note: strings.TrimSpace(in.Note)}
	p := models.Problems{}
	if f.Recipient == "" || utf8.RuneCountInString(f.Recipient) > 100 {
		p.Add("recipient", "请填写上报对象（不超过100字）")
	}
	if !f.Method.Valid() {
		p.Add("method", "上报方式须为 phone（电话）、fax（传真）、email（电子邮件）、document（公文）或 platform（信息报送系统）")
	}
	if utf8.RuneCountInString(f.Note) > 2000 {
		p.Add("note", "不超过2000字")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		var r Report
		if err := tx.db.Conn(ctx).Where("id = ? AND incident_id = ?", reportID, inc.ID).Take(&r).Error; err != nil {
			return models.NotFound("报告", err)
		}
		if r.Status != ReportSigned && r.Status != ReportRecorded {
			return models.Errorf(models.ECONFLICT, "请先签收报告再上报")
		}
		f.ReportID, f.IncidentID, f.ForwardedBy, f.ForwardedAt = r.ID, inc.ID, actor.ID, tx.db.Now()
		if err := tx.db.Conn(ctx).Create(f).Error; err != nil {
			return fmt.Errorf("forward report %d: %w", r.ID, err)
		}
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineForward, models.SubjectReport, r.ID, tx.db.Now()); err != nil {
			return err
		}
		// What goes upward is one 期 of information, signed for or not (a phone report is only
		// recorded): it has its serial from the first forward if no signature gave it one.
		if inc.Serial == nil {
			serial, err := tx.nextSerial(ctx, f.ForwardedAt.In(tx.db.Location()).Year())
			if err != nil {
				return err
			}
			inc.Serial = &serial
			if err := tx.saveIncident(ctx, inc); err != nil {
				return err
			}
		}
		return tx.db.Audit(ctx, actor, "report.forward", models.SubjectReport, r.ID, fmt.Sprintf("事件%d %s → %s（%s）", inc.ID, r.Title(), f.Recipient, f.Method.Name()))
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PhoneReportInput is an initial report the desk takes down from a call (电话接报).
type PhoneReportInput struct {
	ReportInput
	// ReceivedAt is when the call came; empty means now.
	ReceivedAt   *time.Time `json:"received_at"`
	CallerUnit   string     `json:"caller_unit"`
	CallerName   string     `json:"caller_name"`
	CallerTitle  string     `json:"caller_title"`
	CallerPhone  string     `json:"caller_phone"`
	AlsoNotified string     `json:"also_notified"`
}

// RecordPhoneReport opens an incident from a phone call on behalf of a school. It meets the
// incident's phone deadline (judged at the time the call came); the written initial report stays
// due from the school. Only the desk may. Errors: forbidden, invalid.
func (s *Store) RecordPhoneReport(ctx context.Context, actor *models.User, in PhoneReportInput) (*Incident, *Report, error) {
	if !actor.Can(models.HandleIncidents) {
		return nil, nil, models.ErrForbidden
	}
	if in.Draft {
		return nil, nil, models.Problems{"draft": "电话接报须当即记录，不能保存为草稿"}.Err()
	}
	sc, err := s.fileableSchool(ctx, actor, in.SchoolID)
	if err != nil {
		return nil, nil, err
	}
	now := s.db.Now()
	inc := &Incident{SchoolID: sc.ID, DistrictID: sc.DistrictID, Status: IncidentDraft, CreatedBy: actor.ID}
	r := &Report{SchoolID: sc.ID, DistrictID: sc.DistrictID, Kind: ReportInitial, Channel: ChannelPhone,
		Status: ReportDraft, CreatedBy: actor.ID, ReceivedAt: &now}
	in.SchoolID = nil
	p := in.apply(inc, r)
	if in.ReceivedAt != nil {
		at := in.ReceivedAt.UTC().Truncate(time.Microsecond)
		r.ReceivedAt = &at
		if at.After(now) {
			p.Add("received_at", "接报时间不能晚于当前时间")
		}
		if !inc.OccurredAt.IsZero() && at.Before(inc.OccurredAt) {
			p.Add("received_at", "接报时间不能早于事发时间")
		}
	}
	text := func(field string, dst *string, value string, max int, required bool) {
		*dst = strings.TrimSpace(value)
		switch {
		case required && *dst == "":
			p.Add(field, "请填写")
		case utf8.RuneCountInString(*dst) > max:
			p.Add(field, fmt.Sprintf("不超过%d字", max))
		}
	}
	text("caller_unit", &r.CallerUnit, in.CallerUnit, 100, true)
	text("caller_name", &r.CallerName, in.CallerName, 64, true)
	text("caller_title", &r.CallerTitle, in.CallerTitle, 64, false)
	text("caller_phone", &r.CallerPhone, in.CallerPhone, 20, true)
	text("also_notified", &r.AlsoNotified, in.AlsoNotified, 500, false)
	if r.CallerPhone != "" && !phonePattern.MatchString(r.CallerPhone) {
		p.Add("caller_phone", "电话号码格式不正确")
	}
	checkComplete(inc, r, now, p)
	if err := p.Err(); err != nil {
		return nil, nil, err
	}
	err = s.transact(ctx, func(tx *Store) error {
		if err := tx.db.Conn(ctx).Create(inc).Error; err != nil {
			return fmt.Errorf("create incident: %w", err)
		}
		r.IncidentID = inc.ID
		if err := tx.db.Conn(ctx).Create(r).Error; err != nil {
			return fmt.Errorf("create phone report: %w", err)
		}
		if err := tx.submitReport(ctx, inc, r, inc.class()); err != nil {
			return err
		}
		if err := tx.saveIncident(ctx, inc); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "incident.phone_intake", models.SubjectIncident, inc.ID,
			fmt.Sprintf("%s %s（%s，来电：%s %s）", inc.Title, inc.Severity.Name(), sc.Name, r.CallerUnit, r.CallerName))
	})
	if err != nil {
		return nil, nil, err
	}
	return inc, r, nil
}
