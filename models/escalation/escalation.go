package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"dutydesk/models"
	"dutydesk/models/store"
	"dutydesk/notify"
)

// Escalation records one fired step of a deadline's ladder (design.md, mechanism 2): which step,
// whom it reached and when. The unique (deadline_id, step) key makes each step fire exactly once,
// however many replicas sweep.
type Escalation struct {
	ID         int64
	DeadlineID int64
	Step       int
	Target     string // the step's audiences, comma-separated
	Recipients string // one "Name <address>" per line
	FiredAt    time.Time
}

// SweepResult tells what one sweep did.
type SweepResult struct {
	Overdue  int // open overdue deadlines looked at
	Fired    int // steps fired by this sweep
	Messages int // messages queued
}

// sweepPage is how many overdue deadlines a sweep reads at a time.
const sweepPage = 200

// Sweep fires every escalation step that is due at now: for each open deadline past its due time,
// each step of its kind's ladder whose time (due_at + delay) has come and that has not fired yet.
// The due steps of deadlines of one kind on one subject (the schools that have not acknowledged
// one alert) fire together, so each person gets one message listing the schools, not one per
// school. Each such group fires in its own transaction that records every step and queues the
// messages; a step another replica fired first is skipped. A closed deadline fires nothing more.
// An error with one group does not stop the others; the errors are returned together.
func (s *Store) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	now = now.UTC() // stored times are UTC; SQLite compares them as text
	var res SweepResult
	policies, err := s.escalationPolicies(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	var last *models.Deadline
	for {
		// Like OverdueDeadlines, in due order through the partial index of open deadlines, but
		// paged (keyset on due_at, id) so that old deadlines whose ladders are complete cannot
		// crowd out newer ones.
		q := s.db.Conn(ctx).Where("done_at IS NULL AND due_at <= ?", now)
		if last != nil {
			q = q.Where("(due_at > ? OR (due_at = ? AND id > ?))", last.DueAt.UTC(), last.DueAt.UTC(), last.ID)
		}
		var page []models.Deadline
		if err := q.Order("due_at, id").Limit(sweepPage).Find(&page).Error; err != nil {
			return res, errors.Join(append(errs, fmt.Errorf("sweep: overdue deadlines: %w", err))...)
		}
		res.Overdue += len(page)
		fired, err := s.firedSteps(ctx, page)
		if err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		for _, g := range dueSteps(page, fired, policies, now) {
			n, queued, err := s.fireSteps(ctx, g, now)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			res.Fired += n
			res.Messages += queued
		}
		if len(page) < sweepPage {
			break
		}
		last = &page[len(page)-1]
	}
	return res, errors.Join(errs...)
}

// stepGroup is one step of one ladder, due for deadlines of one kind on one subject.
type stepGroup struct {
	step      int
	ladder    []EscalationStep
	deadlines []models.Deadline
}

// dueSteps groups the steps due at now and not yet fired, lower steps first.
func dueSteps(ds []models.Deadline, fired map[int64]map[int]bool, policies map[models.DeadlineKind]EscalationPolicy, now time.Time) []*stepGroup {
	type key struct {
		kind        models.DeadlineKind
		subjectType models.SubjectType
		subjectID   int64
		step        int
	}
	groups := map[key]*stepGroup{}
	var order []*stepGroup
	for _, d := range ds {
		ladder := policies[d.Kind].Steps
		for i, st := range ladder {
			if fired[d.ID][i] || d.DueAt.Add(st.Delay()).After(now) {
				continue
			}
			k := key{d.Kind, d.SubjectType, d.SubjectID, i}
			if groups[k] == nil {
				groups[k] = &stepGroup{step: i, ladder: ladder}
				order = append(order, groups[k])
			}
			groups[k].deadlines = append(groups[k].deadlines, d)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a].step < order[b].step })
	return order
}

// firedSteps returns the steps already fired for the deadlines, by deadline id.
func (s *Store) firedSteps(ctx context.Context, ds []models.Deadline) (map[int64]map[int]bool, error) {
	fired := map[int64]map[int]bool{}
	if len(ds) == 0 {
		return fired, nil
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	var rows []Escalation
	if err := s.db.Conn(ctx).Select("deadline_id, step").Where("deadline_id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sweep: fired steps: %w", err)
	}
	for _, r := range rows {
		if fired[r.DeadlineID] == nil {
			fired[r.DeadlineID] = map[int]bool{}
		}
		fired[r.DeadlineID][r.Step] = true
	}
	return fired, nil
}

// fireSteps records the group's step for each of its deadlines that is still open and not fired
// by another replica, and queues one message per recipient covering that recipient's deadlines,
// all in one transaction. It returns how many deadlines' steps fired and how many messages were
// queued.
func (s *Store) fireSteps(ctx context.Context, g *stepGroup, now time.Time) (fired, queued int, err error) {
	first, st := g.deadlines[0], g.ladder[g.step]
	ids := make([]int64, len(g.deadlines))
	for i, d := range g.deadlines {
		ids[i] = d.ID
	}
	err = s.transact(ctx, func(tx *Store) error {
		var open []int64
		if err := tx.db.DB().Model(&models.Deadline{}).Where("id IN ? AND done_at IS NULL", ids).Pluck("id", &open).Error; err != nil {
			return err
		}
		stillOpen := map[int64]bool{}
		for _, id := range open {
			stillOpen[id] = true
		}
		type notice struct {
			to        models.Recipient
			deadlines []models.Deadline
		}
		var notices []*notice
		byAddress := map[string]*notice{}
		var firedDeadlines []models.Deadline
		reached := 0
		for _, d := range g.deadlines {
			if !stillOpen[d.ID] {
				continue // closed since the sweep read it
			}
			to, err := tx.Recipients(ctx, tx.db, d, st.Targets, now)
			if err != nil {
				return err
			}
			lines := make([]string, len(to))
			for j, r := range to {
				lines[j] = r.String()
			}
			esc := Escalation{DeadlineID: d.ID, Step: g.step, Target: models.JoinAudiences(st.Targets), Recipients: strings.Join(lines, "\n"), FiredAt: now}
			res := tx.db.DB().Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "deadline_id"}, {Name: "step"}}, DoNothing: true}).Create(&esc)
			if res.Error != nil {
				return fmt.Errorf("record escalation of deadline %d: %w", d.ID, res.Error)
			}
			if res.RowsAffected == 0 {
				continue // another replica fired this step
			}
			firedDeadlines = append(firedDeadlines, d)
			reached += len(to)
			for _, r := range to {
				key := strings.ToLower(r.Email)
				if byAddress[key] == nil {
					byAddress[key] = &notice{to: r}
					notices = append(notices, byAddress[key])
				}
				byAddress[key].deadlines = append(byAddress[key].deadlines, d)
			}
		}
		if len(firedDeadlines) == 0 {
			return nil
		}
		fired = len(firedDeadlines)
		if reached == 0 {
			slog.WarnContext(ctx, "escalation step reached nobody", "kind", first.Kind, "subject", first.SubjectType, "subject_id", first.SubjectID,
				"step", g.step, "targets", models.JoinAudiences(st.Targets))
		}
		// One subject per group: what it is is asked once, for every recipient's message.
		about, err := tx.describeSubject(ctx, first)
		if err != nil {
			return err
		}
		var links map[string]string // each recipient's own link to act, if the subject has them
		if tx.linker != nil {
			if links, err = tx.linker.ActionLinks(ctx, tx.db, first); err != nil {
				return err
			}
		}
		idParts := func(ds []models.Deadline) []string {
			parts := []string{"escalation", string(first.Kind), string(first.SubjectType) + "/" + models.FormatID(first.SubjectID), fmt.Sprintf("step/%d", g.step)}
			for _, d := range ds {
				parts = append(parts, models.FormatID(d.ID))
			}
			return parts
		}
		for _, n := range notices {
			content, err := tx.renderEscalation(ctx, n.deadlines, g, about, links[strings.ToLower(n.to.Email)], now)
			if err != nil {
				return err
			}
			added, err := tx.db.EnqueueEmails(ctx, notify.KindEscalation, content, []models.Recipient{n.to}, first.SubjectType, first.SubjectID, idParts(n.deadlines)...)
			if err != nil {
				return err
			}
			queued += added
		}
		content, err := tx.renderEscalation(ctx, firedDeadlines, g, about, "", now)
		if err != nil {
			return err
		}
		added, err := tx.db.EnqueueWebhook(ctx, notify.KindEscalation, content, first.SubjectType, first.SubjectID, idParts(firedDeadlines)...)
		if err != nil {
			return err
		}
		queued += added
		return tx.db.Audit(ctx, models.System, "escalation.fire", first.SubjectType, first.SubjectID,
			fmt.Sprintf("%s 第%d级 → %s：%d项时限，%d人次", first.Kind.Name(), g.step+1, models.AudienceNames(st.Targets), fired, reached))
	})
	if err != nil {
		return 0, 0, fmt.Errorf("escalate %s %s/%d step %d: %w", first.Kind, first.SubjectType, first.SubjectID, g.step, err)
	}
	return fired, queued, nil
}

// renderEscalation renders the group's step for the deadlines ds (all of one kind and subject),
// saying of the subject what about tells, with the recipient's own link to act (action, if any).
func (s *Store) renderEscalation(ctx context.Context, ds []models.Deadline, g *stepGroup, about *notify.SubjectFacts, action string, now time.Time) (notify.Rendered, error) {
	names := make([]string, len(g.ladder[g.step].Targets))
	for j, a := range g.ladder[g.step].Targets {
		names[j] = a.Name()
	}
	earliest := ds[0]
	var schoolIDs []int64
	for _, d := range ds {
		if d.DueAt.Before(earliest.DueAt) {
			earliest = d
		}
		if d.SchoolID != nil {
			schoolIDs = append(schoolIDs, *d.SchoolID)
		}
	}
	data := notify.EscalationData{
		Step: g.step, StepCount: len(g.ladder), Audience: strings.Join(names, "、"), What: earliest.Kind.Name(), Label: earliest.Label,
		DueAt: earliest.DueAt.In(s.db.Location()), Overdue: now.Sub(earliest.DueAt), Reference: string(earliest.SubjectType) + "/" + models.FormatID(earliest.SubjectID),
	}
	if len(schoolIDs) == 0 && len(ds) == 1 {
		// One deadline awaiting many schools (a warning's acknowledgement, a safety round): list
		// the schools that still have not acted.
		pending, err := s.subjects.PendingSchools(ctx, s.db, ds[0])
		if err != nil {
			return notify.Rendered{}, err
		}
		schoolIDs = append(schoolIDs, pending...)
	}
	if len(schoolIDs) > 0 {
		schools, err := s.dir.SchoolRefs(ctx, s.db, schoolIDs)
		if err != nil {
			return notify.Rendered{}, err
		}
		for _, sc := range schools {
			data.Schools = append(data.Schools, sc.Name)
		}
	}
	data.Action = action
	if data.About = about; about != nil && about.Path != "" {
		data.Link = strings.TrimRight(s.opts.BaseURL, "/") + about.Path
	}
	return notify.Render(notify.KindEscalation, data)
}

// describeSubject asks the domains what d's subject is; nil when none knows it, or its row is
// gone (a message without the facts is better than no message).
func (s *Store) describeSubject(ctx context.Context, d models.Deadline) (*notify.SubjectFacts, error) {
	for _, describer := range s.describe {
		facts, err := describer.Describe(ctx, s.db, d)
		if models.ErrCode(err) == models.ENOTFOUND {
			return nil, nil
		}
		if err != nil || facts != nil {
			return facts, err
		}
	}
	return nil, nil
}

// Recipients resolves the audiences of a step for deadline d at now, each address once, reading
// in tx (a transaction of any domain's Store, or the escalation Store's own).
func (s *Store) Recipients(ctx context.Context, tx *store.Store, d models.Deadline, audiences []models.Audience, now time.Time) ([]models.Recipient, error) {
	s = s.WithTx(tx)
	var out []models.Recipient
	seen := map[string]bool{}
	add := func(name, email string) {
		key := strings.ToLower(strings.TrimSpace(email))
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, models.Recipient{Name: name, Email: strings.TrimSpace(email)})
	}
	addUsers := func(users []models.User) {
		for _, u := range users {
			if !u.Disabled {
				add(u.DisplayName, u.Email)
			}
		}
	}
	for _, a := range audiences {
		switch a {
		case models.AudienceSchoolContacts:
			schoolIDs, err := s.responsibleSchools(ctx, d)
			if err != nil {
				return nil, err
			}
			if len(schoolIDs) == 0 {
				continue
			}
			contacts, err := s.dir.ContactRecipients(ctx, s.db, schoolIDs)
			if err != nil {
				return nil, err
			}
			for _, c := range contacts {
				add(c.Name, c.Email)
			}
		case models.AudienceOfficersOnDuty, models.AudienceLeaderOnDuty:
			leaders, officers, err := s.duty.OnDutyAt(ctx, s.db, now)
			if err != nil {
				return nil, err
			}
			if a == models.AudienceLeaderOnDuty {
				addUsers(leaders)
			} else {
				addUsers(officers)
			}
		case models.AudienceDistrictOfficers:
			districtIDs, err := s.responsibleDistricts(ctx, d)
			if err != nil {
				return nil, err
			}
			if len(districtIDs) == 0 {
				continue
			}
			users, err := s.dir.DistrictOfficers(ctx, s.db, districtIDs)
			if err != nil {
				return nil, err
			}
			addUsers(users)
		case models.AudienceLeadership:
			leadership, err := s.leadership(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range leadership {
				add(r.Name, r.Email)
			}
		}
	}
	return out, nil
}

// responsibleSchools are the schools whose contacts a deadline's "school contacts" step reaches:
// the deadline's own school, or the schools still pending.
func (s *Store) responsibleSchools(ctx context.Context, d models.Deadline) ([]int64, error) {
	if d.SchoolID != nil {
		return []int64{*d.SchoolID}, nil
	}
	return s.subjects.PendingSchools(ctx, s.db, d)
}

// responsibleDistricts are the districts whose officers a deadline's "district officers" step
// reaches: the deadline's own district, or those of the schools still pending.
func (s *Store) responsibleDistricts(ctx context.Context, d models.Deadline) ([]int64, error) {
	if d.DistrictID != nil {
		return []int64{*d.DistrictID}, nil
	}
	pending, err := s.subjects.PendingSchools(ctx, s.db, d)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	schools, err := s.dir.SchoolRefs(ctx, s.db, pending)
	var ids []int64
	for _, sc := range schools {
		if !slices.Contains(ids, sc.DistrictID) {
			ids = append(ids, sc.DistrictID)
		}
	}
	return ids, err
}

// EscalationRecord is a fired step as the API shows it, with the deadline it belongs to.
type EscalationRecord struct {
	ID          int64               `json:"id"`
	DeadlineID  int64               `json:"deadline_id"`
	Kind        models.DeadlineKind `json:"kind"`
	KindName    string              `json:"kind_name"`
	Label       string              `json:"label"`
	SubjectType models.SubjectType  `json:"subject_type"`
	SubjectID   int64               `json:"subject_id"`
	SchoolID    *int64              `json:"school_id"`
	DistrictID  *int64              `json:"district_id"`
	DueAt       time.Time           `json:"due_at"`
	Step        int                 `json:"step"`
	Targets     []models.Audience   `json:"targets"`
	Recipients  []string            `json:"recipients"`
	FiredAt     time.Time           `json:"fired_at"`
}

// EscalationFilter narrows the list of fired steps.
type EscalationFilter struct {
	From, To   time.Time // fired in [From, To)
	Kind       models.DeadlineKind
	DeadlineID int64
	Page       models.Page
}

// Escalations lists fired escalation steps in the order they were recorded, limited to the
// schools and districts the actor may see. Errors: invalid (unknown kind).
func (s *Store) Escalations(ctx context.Context, actor *models.User, f EscalationFilter) ([]EscalationRecord, int64, error) {
	q := s.db.Conn(ctx).Table("escalations").
		Select("escalations.id, escalations.deadline_id, escalations.step, escalations.target, escalations.recipients, escalations.fired_at, " +
			"deadlines.kind, deadlines.label, deadlines.subject_type, deadlines.subject_id, deadlines.school_id, deadlines.district_id, deadlines.due_at").
		Joins("JOIN deadlines ON deadlines.id = escalations.deadline_id")
	q = store.ScopeSchools(actor, q, "deadlines.school_id", "deadlines.district_id")
	if f.Kind != "" {
		if !f.Kind.Valid() {
			return nil, 0, models.Problems{"kind": "没有这类时限"}.Err()
		}
		q = q.Where("deadlines.kind = ?", f.Kind)
	}
	if f.DeadlineID != 0 {
		q = q.Where("escalations.deadline_id = ?", f.DeadlineID)
	}
	if !f.From.IsZero() {
		q = q.Where("escalations.fired_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("escalations.fired_at < ?", f.To.UTC())
	}
	page := f.Page.Normalize()
	var rows []struct {
		Escalation
		Kind        models.DeadlineKind
		Label       string
		SubjectType models.SubjectType
		SubjectID   int64
		SchoolID    *int64
		DistrictID  *int64
		DueAt       time.Time
	}
	if err := store.PageQuery(page, q, "escalations").Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list escalations: %w", err)
	}
	out := make([]EscalationRecord, len(rows))
	for i, r := range rows {
		out[i] = EscalationRecord{
			ID: r.ID, DeadlineID: r.DeadlineID, Kind: r.Kind, KindName: r.Kind.Name(), Label: r.Label,
			SubjectType: r.SubjectType, SubjectID: r.SubjectID, SchoolID: r.SchoolID, DistrictID: r.DistrictID,
			DueAt: r.DueAt, Step: r.Step, Targets: models.ParseAudiences(r.Target), Recipients: []string{}, FiredAt: r.FiredAt,
		}
		if r.Recipients != "" {
			out[i].Recipients = strings.Split(r.Recipients, "\n")
		}
	}
	out, next := models.PageResult(out, page, func(e EscalationRecord) int64 { return e.ID })
	return out, next, nil
}
