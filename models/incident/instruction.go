package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/notify"
)

// Instruction is a leader's instruction (批示) on an incident, which the school must answer.
type Instruction struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	ReportID   *int64 `json:"report_id"` // the report it responds to, if any
	SchoolID   int64  `json:"school_id"`
	DistrictID int64  `json:"district_id"`
	Text       string `json:"text"`
	GivenBy    int64  `json:"given_by"`
	// GivenAt is when the instruction was recorded.
	GivenAt   time.Time  `json:"given_at"`
	Reply     string     `json:"reply"`
	RepliedBy *int64     `json:"replied_by"`
	RepliedAt *time.Time `json:"replied_at"`
}

// TableName names the instructions' table.
func (Instruction) TableName() string { return "incident_instructions" }

// InstructionInput gives an instruction.
type InstructionInput struct {
	Text     string `json:"text"`
	ReportID *int64 `json:"report_id"`
}

// ReplyInput answers an instruction.
type ReplyInput struct {
	Reply string `json:"reply"`
}

// AddInstruction records a leader's instruction on an incident and makes the school's answer due.
// Leaders and admins may. Errors: forbidden, not_found, invalid.
func (s *Store) AddInstruction(ctx context.Context, actor *models.User, incidentID int64, in InstructionInput) (*Instruction, error) {
	if !actor.Can(models.InstructIncidents) {
		return nil, models.ErrForbidden
	}
	text := strings.TrimSpace(in.Text)
	if text == "" || utf8.RuneCountInString(text) > 2000 {
		return nil, models.Problems{"text": "请填写批示内容（不超过2000字）"}.Err()
	}
	var ins *Instruction
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		if inc.Status == IncidentDraft {
			return errIncidentNotFound
		}
		if in.ReportID != nil {
			var n int64
			if err := tx.db.Conn(ctx).Model(&Report{}).Where("id = ? AND incident_id = ?", *in.ReportID, inc.ID).Count(&n).Error; err != nil {
				return fmt.Errorf("instruction report: %w", err)
			}
			if n == 0 {
				return models.Problems{"report_id": "本事件没有此报告"}.Err()
			}
		}
		ins = &Instruction{IncidentID: inc.ID, ReportID: in.ReportID, SchoolID: inc.SchoolID, DistrictID: inc.DistrictID,
			Text: text, GivenBy: actor.ID, GivenAt: tx.db.Now()}
		if err := tx.db.Conn(ctx).Create(ins).Error; err != nil {
			return fmt.Errorf("create instruction: %w", err)
		}
		due, _ := NextDeadline(tx.opts.ReportRules, inc.class(), models.DeadlineInstruction, ins.GivenAt, tx.db.Location())
		err = tx.db.OpenDeadline(ctx, &models.Deadline{Kind: models.DeadlineInstruction, SubjectType: models.SubjectInstruction, SubjectID: ins.ID,
			SchoolID: &inc.SchoolID, DistrictID: &inc.DistrictID, Label: inc.Title + "：" + models.DeadlineInstruction.Label(), DueAt: due.UTC()})
		if err != nil {
			return err
		}
		tx.bestEffort(ctx, "instruction", func(sp *Store) error { return sp.noticeInstruction(ctx, actor, inc, ins, due) })
		return tx.db.Audit(ctx, actor, "instruction.create", models.SubjectInstruction, ins.ID, fmt.Sprintf("事件%d：%s", inc.ID, text))
	})
	if err != nil {
		return nil, err
	}
	return ins, nil
}

// ReplyInstruction records the school's answer to an instruction, meeting its deadline. Those who
// may file for the school may. Errors: forbidden, not_found, invalid, conflict (already answered).
func (s *Store) ReplyInstruction(ctx context.Context, actor *models.User, incidentID, instructionID int64, in ReplyInput) (*Instruction, error) {
	reply := strings.TrimSpace(in.Reply)
	if reply == "" || utf8.RuneCountInString(reply) > 5000 {
		return nil, models.Problems{"reply": "请填写答复内容（不超过5000字）"}.Err()
	}
	var ins Instruction
	err := s.transact(ctx, func(tx *Store) error {
		inc, err := tx.lockIncident(ctx, actor, incidentID)
		if err != nil {
			return err
		}
		if err := tx.db.Conn(ctx).Where("id = ? AND incident_id = ?", instructionID, inc.ID).Take(&ins).Error; err != nil {
			return models.NotFound("批示", err)
		}
		if !canFile(actor, inc.SchoolID, inc.DistrictID) {
			return models.ErrForbidden
		}
		if ins.RepliedAt != nil {
			return models.Errorf(models.ECONFLICT, "该批示已答复")
		}
		now := tx.db.Now()
		ins.Reply, ins.RepliedBy, ins.RepliedAt = reply, &actor.ID, &now
		if err := tx.db.Conn(ctx).Model(&ins).Select("reply", "replied_by", "replied_at").Updates(&ins).Error; err != nil {
			return fmt.Errorf("reply instruction %d: %w", ins.ID, err)
		}
		if _, err := tx.db.CloseDeadlines(ctx, models.DeadlineInstruction, models.SubjectInstruction, ins.ID, tx.db.Now()); err != nil {
			return err
		}
		return tx.db.Audit(ctx, actor, "instruction.reply", models.SubjectInstruction, ins.ID, fmt.Sprintf("事件%d：%s", inc.ID, reply))
	})
	if err != nil {
		return nil, err
	}
	return &ins, nil
}

// noticeInstruction sends the 批示 to the contacts of the school that must answer it, with the
// time the answer is due and the incident's page, where it is answered.
func (s *Store) noticeInstruction(ctx context.Context, leader *models.User, inc *Incident, ins *Instruction, due time.Time) error {
	contacts, err := s.dir.ContactRecipients(ctx, s.db, []int64{inc.SchoolID})
	if err != nil {
		return err
	}
	var to []models.Recipient
	for _, c := range contacts {
		if c.Email != "" {
			to = append(to, c)
		}
	}
	school, found, err := s.schoolName(ctx, inc.SchoolID)
	if err != nil || !found {
		return err
	}
	loc := s.db.Location()
	_, err = s.db.QueueNotice(ctx, notify.KindInstruction, notify.InstructionData{
		School: school, Incident: inc.Title, Leader: leader.DisplayName, Text: ins.Text,
		GivenAt: ins.GivenAt.In(loc), DueAt: due.In(loc),
		Link: strings.TrimRight(s.opts.BaseURL, "/") + "/console/incidents/" + models.FormatID(inc.ID),
	}, to, models.SubjectInstruction, ins.ID, "instruction", models.FormatID(ins.ID))
	return err
}
