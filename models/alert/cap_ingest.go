package alert

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
)

// CAPOptions say which CAP warnings concern the bureau.
type CAPOptions struct {
	// CityCode is the city's 6-digit administrative code (e.g. 330100): a geocode equal to it, or an
	// identifier whose area code is it, covers the whole city. District codes come from the directory.
	CityCode string
	// CityName, when it appears in areaDesc, also covers the whole city (e.g. "杭州市").
	CityName string
}

// CAPResult says what ingesting one CAP message did.
type CAPResult struct {
	Identifier string `json:"identifier"`
	Action     string `json:"action"` // created, updated, lifted, unchanged, ignored
	Reason     string `json:"reason,omitempty"`
	AlertID    int64  `json:"alert_id,omitempty"`
	Drill      bool   `json:"drill,omitempty"`
}

// CAPMessage records one ingested CAP message and what it did.
type CAPMessage struct {
	ID         int64
	CAPKey     string
	AlertID    *int64
	MsgType    string
	Action     string
	Reason     string
	ReceivedAt time.Time
}

// IngestCAP turns a CAP 1.2 message into an alert: a new typhoon or rainstorm warning for the
// configured area is issued, an Update (found through references) updates it, a Cancel lifts it.
// Exercise and Test messages are kept as drills that send nothing; System and Draft are ignored,
// as are other events and other areas. Every message is remembered by sender and identifier, so a
// feed that repeats itself changes nothing. Only staff who issue alerts may upload; the feed job
// runs as System. Errors: forbidden, invalid (unparseable CAP).
func (s *Store) IngestCAP(ctx context.Context, actor *models.User, raw []byte) (*CAPResult, error) {
	if !actor.Can(models.IssueAlerts) {
		return nil, models.ErrForbidden
	}
	msg, err := ParseCAP(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	key := msg.Sender + "," + msg.Identifier
	var res *CAPResult
	err = s.transact(ctx, func(tx *Store) error {
		var seen CAPMessage
		if err := tx.db.DB().Where("cap_key = ?", key).Limit(1).Find(&seen).Error; err != nil {
			return err
		}
		if seen.ID != 0 {
			res = &CAPResult{Identifier: msg.Identifier, Action: "unchanged", Reason: "already ingested"}
			if seen.AlertID != nil {
				res.AlertID = *seen.AlertID
			}
			return nil
		}
		if res, err = tx.applyCAP(ctx, actor, msg); err != nil {
			return err
		}
		rec := CAPMessage{CAPKey: key, MsgType: msg.MsgType, Action: res.Action, Reason: res.Reason, ReceivedAt: tx.db.Now()}
		if res.AlertID != 0 {
			rec.AlertID = &res.AlertID
		}
		if err := tx.db.DB().Create(&rec).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return models.Errorf(models.ECONFLICT, "该 CAP 消息正在处理中")
			}
			return fmt.Errorf("record CAP message: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// applyCAP acts on a message not seen before, inside IngestCAP's transaction.
func (s *Store) applyCAP(ctx context.Context, actor *models.User, msg *CAPAlert) (*CAPResult, error) {
	res := &CAPResult{Identifier: msg.Identifier}
	ignore := func(reason string) (*CAPResult, error) {
		res.Action, res.Reason = "ignored", reason
		return res, nil
	}
	switch msg.Status {
	case "Actual":
	case "Exercise", "Test":
		res.Drill = true
	default:
		return ignore("status " + msg.Status)
	}
	info := msg.PreferredInfo()
	if info == nil {
		return ignore("no info block")
	}
	var target *Alert
	if msg.MsgType == "Update" || msg.MsgType == "Cancel" {
		var err error
		if target, err = s.referencedAlert(ctx, msg); err != nil {
			return nil, err
		}
	}
	if msg.MsgType == "Cancel" {
		if target == nil {
			return ignore("references no known alert")
		}
		res.AlertID, res.Action = target.ID, "unchanged"
		if target.Status == AlertActive {
			if _, err := s.liftAlert(ctx, actor, target.ID, info.Headline); err != nil {
				return nil, err
			}
			res.Action = "lifted"
		}
		return res, nil
	}
	if msg.MsgType != "Alert" && msg.MsgType != "Update" {
		return ignore("msgType " + msg.MsgType)
	}
	typ, ok := capAlertType(info)
	if !ok {
		return ignore("event " + info.Event + " is not a typhoon or rainstorm warning")
	}
	level, ok := capLevel(info)
	if !ok {
		return ignore("no warning level")
	}
	whole, districts, err := s.capRegion(ctx, msg, info)
	if err != nil {
		return nil, err
	}
	if !whole && len(districts) == 0 {
		return ignore("area outside the city")
	}
	in := AlertInput{Level: strPtr(string(level)), WholeCity: &whole, DistrictIDs: &districts, Headline: strPtr(strings.TrimSpace(info.Headline))}
	if text := strings.Join(nonEmpty(info.Description, info.Instruction), "\n"); text != "" {
		defaults := DefaultInstructions(s.opts.SuspensionRules, typ, level, msg.Sent.In(s.db.Location()))
		in.Instructions = strPtr(defaults + "\n\n气象部门发布内容：" + models.Truncate(text, 3000))
	}
	if target != nil {
		res.AlertID, res.Action = target.ID, "unchanged"
		if target.Status == AlertActive {
			if _, err := s.updateAlert(ctx, actor, target.ID, in); err != nil {
				return nil, err
			}
			res.Action = "updated"
		}
		return res, nil
	}
	in.Type = strPtr(string(typ))
	a, err := s.issueAlert(ctx, actor, in, "cap", res.Drill)
	if err != nil {
		return nil, err
	}
	res.Action, res.AlertID = "created", a.ID
	return res, nil
}

// referencedAlert finds the alert that a message named in references created or changed.
func (s *Store) referencedAlert(ctx context.Context, msg *CAPAlert) (*Alert, error) {
	refs := msg.ReferenceList()
	for i := len(refs) - 1; i >= 0; i-- {
		var rec CAPMessage
		if err := s.db.Conn(ctx).Where("cap_key = ? AND alert_id IS NOT NULL", refs[i].Sender+","+refs[i].Identifier).Limit(1).Find(&rec).Error; err != nil {
			return nil, err
		}
		if rec.ID != 0 {
			return s.loadAlert(ctx, *rec.AlertID)
		}
	}
	return nil, nil
}

// capAlertType recognises typhoon and rainstorm warnings by their event name.
func capAlertType(info *CAPInfo) (AlertType, bool) {
	e := strings.ToLower(info.Event + " " + info.Headline)
	switch {
	case strings.Contains(e, "台风") || strings.Contains(e, "typhoon"):
		return AlertTyphoon, true
	case strings.Contains(e, "暴雨") || strings.Contains(e, "rainstorm"):
		return AlertRainstorm, true
	}
	return "", false
}

var levelWords = []struct {
	level AlertLevel
	words []string
}{
	{LevelRed, []string{"红色", "red"}}, {LevelOrange, []string{"橙色", "orange"}},
	{LevelYellow, []string{"黄色", "yellow"}}, {LevelBlue, []string{"蓝色", "blue"}},
}

// capLevel reads the signal colour from the headline or event codes, falling back to the severity.
func capLevel(info *CAPInfo) (AlertLevel, bool) {
	texts := []string{info.Headline, info.Event}
	for _, c := range info.EventCodes {
		texts = append(texts, c.Value)
	}
	hay := strings.ToLower(strings.Join(texts, " "))
	for _, lw := range levelWords {
		for _, w := range lw.words {
			if strings.Contains(hay, w) {
				return lw.level, true
			}
		}
	}
	return LevelFromCAPSeverity(info.Severity)
}

var sixDigits = regexp.MustCompile(`\d{6}`)

// capRegion matches the message's areas to the city or its districts: by geocode where an area
// has one, else by the names in areaDesc; failing both, by the area code of a GB/T 35965.1 identifier.
func (s *Store) capRegion(ctx context.Context, msg *CAPAlert, info *CAPInfo) (bool, []int64, error) {
	districts, err := s.dir.Districts(ctx)
	if err != nil {
		return false, nil, err
	}
	city := s.opts.CAP
	var ids []int64
	add := func(id int64) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, area := range info.Areas {
		codes := []string{}
		for _, g := range area.Geocodes {
			codes = append(codes, sixDigits.FindAllString(g.Value, -1)...)
		}
		for _, code := range codes {
			if city.CityCode != "" && code == city.CityCode {
				return true, nil, nil
			}
			for _, d := range districts {
				if d.Code == code {
					add(d.ID)
				}
			}
		}
		if len(codes) > 0 {
			continue // codes are exact; names in areaDesc could be another city's (南昌 has a 东湖区 too)
		}
		if city.CityName != "" && strings.Contains(area.Desc, city.CityName) {
			return true, nil, nil
		}
		for _, d := range districts {
			if strings.Contains(area.Desc, d.Name) {
				add(d.ID)
			}
		}
	}
	if len(ids) == 0 && city.CityCode != "" {
		if code, _, ok := GBIdentifier(msg.Identifier); ok && code == city.CityCode {
			return true, nil, nil
		}
	}
	return false, uniqueIDs(ids), nil
}

func strPtr(s string) *string { return &s }

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}
