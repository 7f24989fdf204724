package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dutydesk/handlers/api"
	"dutydesk/models"
	"dutydesk/models/directory"
	"dutydesk/models/incident"
)

// Incident pages: the list (desk and schools alike, each within its scope), one incident with its
// timeline and the desk's actions (sign, forward, instruct), and the schools' report forms.

// incidentRow is an incident in the list, with its school's name.
type incidentRow struct {
	incident.Incident
	School, StatusName string
}

// incidentList is the list page's data.
type incidentList struct {
	Items     []incidentRow
	Total     int64
	Next      string // the query string of the next page, if any
	Deadlines []incident.OpenDeadlineItem
	CanFile   bool
	Statuses  []option
	Category  []option
	Severity  []option
}

var incidentStatusOptions = []option{
	{string(incident.IncidentDraft), "草稿"}, {string(incident.IncidentOpen), "处置中"},
	{string(incident.IncidentResolved), "处置完毕待终报"}, {string(incident.IncidentClosed), "已结案"},
}

// incidentStatusName names a status in Chinese.
func incidentStatusName(s incident.IncidentStatus) string {
	for _, o := range incidentStatusOptions {
		if o.Value == string(s) {
			return o.Label
		}
	}
	return string(s)
}

func categoryOptions() []option {
	var opts []option
	for _, c := range incident.Categories {
		opts = append(opts, option{string(c.Code), c.Name})
	}
	return opts
}

func subtypeOptions() []option {
	var opts []option
	for _, c := range incident.Categories {
		for _, s := range c.Subtypes {
			opts = append(opts, option{s.Code, c.Name + " · " + s.Name})
		}
	}
	return opts
}

func severityOptions() []option {
	var opts []option
	for s := incident.SeverityI; s <= incident.SeverityIV; s++ {
		opts = append(opts, option{strconv.Itoa(int(s)), s.Name()})
	}
	return opts
}

// schoolNames looks up school names once per request.
type schoolNames struct {
	con   *Console
	ctx   context.Context
	actor *models.User
	names map[int64]string
}

func (n *schoolNames) name(id int64) string {
	if name, ok := n.names[id]; ok {
		return name
	}
	name := "学校" + models.FormatID(id)
	if sc, err := n.con.Store.Directory.School(n.ctx, n.actor, id); err == nil {
		name = sc.Name
	}
	n.names[id] = name
	return name
}

func (con *Console) Incidents(c *gin.Context) {
	user := api.CurrentUser(c)
	ctx := c.Request.Context()
	v := &view{Title: "突发事件", Nav: "incidents", Form: c.Request.URL.Query()}
	f, err := api.IncidentFilter(c, con.Store.Location())
	if err != nil {
		con.fail(c, err, "", v)
		return
	}
	items, next, total, err := con.Store.Incidents.Incidents(ctx, user, f)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	list := &incidentList{Total: total, CanFile: user.Can(models.FileIncidents), Statuses: incidentStatusOptions,
		Category: categoryOptions(), Severity: severityOptions()}
	names := &schoolNames{con: con, ctx: ctx, actor: user, names: map[int64]string{}}
	for _, inc := range items {
		list.Items = append(list.Items, incidentRow{Incident: inc, School: names.name(inc.SchoolID), StatusName: incidentStatusName(inc.Status)})
	}
	if next > 0 {
		q := c.Request.URL.Query()
		q.Set("cursor", strconv.FormatInt(next, 10))
		list.Next = q.Encode()
	}
	if !user.Can(models.ReadRoster) {
		// A school sees what it owes (not what the desk owes) right above its incidents.
		owed := []models.DeadlineKind{models.DeadlineInitialReport, models.DeadlineWrittenReport, models.DeadlineFollowUp,
			models.DeadlineFinalReport, models.DeadlineInstruction}
		if list.Deadlines, err = con.Store.Incidents.OpenDeadlines(ctx, user, incident.OpenDeadlineFilter{Kinds: owed, IncidentsOnly: true}); err != nil {
			con.errorPage(c, err)
			return
		}
	}
	v.Data = list
	con.render(c, http.StatusOK, "incidents", v)
}

// incidentPage is one incident's page data.
type incidentPage struct {
	*incident.IncidentDetail
	School       string
	StatusName   string
	CanHandle    bool // sign and forward
	CanInstruct  bool
	CanFile      bool // file follow-ups, the final report, answer instructions
	Methods      []option
	NextKind     incident.ReportKind // the report the school files next ("" for none)
	Draft        *incident.Report    // a report saved as a draft, to go on with
	FinalFiled   bool                // the final report is in: the incident can no longer be reopened
	OpenDeadline []incident.IncidentDeadline
}

func (con *Console) Incident(c *gin.Context) {
	con.showIncident(c, http.StatusOK, &view{})
}

// showIncident renders the incident of the :id path with v's form state (after a failed action).
func (con *Console) showIncident(c *gin.Context, status int, v *view) {
	user := api.CurrentUser(c)
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	d, err := con.Store.Incidents.IncidentDetail(c.Request.Context(), user, id)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	p := &incidentPage{IncidentDetail: d, StatusName: incidentStatusName(d.Status),
		CanHandle: user.Can(models.HandleIncidents), CanInstruct: user.Can(models.InstructIncidents),
		CanFile: user.Can(models.FileIncidents),
		Methods: []option{{string(incident.ForwardPlatform), incident.ForwardPlatform.Name()}, {string(incident.ForwardPhone), incident.ForwardPhone.Name()},
			{string(incident.ForwardFax), incident.ForwardFax.Name()}, {string(incident.ForwardEmail), incident.ForwardEmail.Name()},
			{string(incident.ForwardDocument), incident.ForwardDocument.Name()}}}
	p.School = (&schoolNames{con: con, ctx: c.Request.Context(), actor: user, names: map[int64]string{}}).name(d.SchoolID)
	for _, dl := range d.Deadlines {
		if dl.DoneAt == nil && !dl.Missed {
			p.OpenDeadline = append(p.OpenDeadline, dl)
		}
	}
	p.NextKind = incident.NextReport(d.Status, d.Reports)
	for i := range d.Reports {
		if d.Reports[i].Status == incident.ReportDraft {
			p.Draft = &d.Reports[i]
		} else if d.Reports[i].Kind == incident.ReportFinal {
			p.FinalFiled = true
		}
	}
	v.Title, v.Nav, v.Data = d.Title, "incidents", p
	con.render(c, status, "incident", v)
}

// reportAction runs a desk action on the report of the :id/:report_id path and returns to the incident.
func (con *Console) reportAction(c *gin.Context, act func(ctx context.Context, user *models.User, incidentID, reportID int64) (string, error)) {
	id, reportID, err := api.ReportPath(c)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	msg, err := act(c.Request.Context(), api.CurrentUser(c), id, reportID)
	con.done(c, "/console/incidents/"+models.FormatID(id), err, msg)
}

func (con *Console) SignReport(c *gin.Context) {
	con.reportAction(c, func(ctx context.Context, user *models.User, id, reportID int64) (string, error) {
		r, inc, err := con.Store.Incidents.SignReport(ctx, user, id, reportID)
		if err != nil {
			return "", err
		}
		msg := "已签收" + r.Title()
		if inc.Serial != nil {
			msg += "（期号 " + *inc.Serial + "）"
		}
		return msg, nil
	})
}

func (con *Console) ForwardReport(c *gin.Context) {
	con.reportAction(c, func(ctx context.Context, user *models.User, id, reportID int64) (string, error) {
		in := incident.ForwardInput{Recipient: c.PostForm("recipient"), Method: incident.ForwardMethod(c.PostForm("method")), Note: c.PostForm("note")}
		if _, err := con.Store.Incidents.ForwardReport(ctx, user, id, reportID, in); err != nil {
			return "", err
		}
		return "已记录上报", nil
	})
}

func (con *Console) AddInstruction(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	_, err = con.Store.Incidents.AddInstruction(c.Request.Context(), api.CurrentUser(c), id, incident.InstructionInput{Text: c.PostForm("text")})
	con.done(c, "/console/incidents/"+models.FormatID(id), err, "批示已送达学校")
}

// ResolveIncident marks the incident resolved (处置完毕) at the time given, or now: its final
// report is due from then.
func (con *Console) ResolveIncident(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	at, ok := con.localInput(c.PostForm("resolved_at"))
	if !ok {
		err = models.Problems{"resolved_at": "请按“年-月-日 时:分”填写处置完毕时间"}.Err()
	} else {
		_, err = con.Store.Incidents.ResolveIncident(c.Request.Context(), api.CurrentUser(c), id, at)
	}
	con.done(c, "/console/incidents/"+models.FormatID(id), err, "已标记为处置完毕，终报时限自处置完毕起算")
}

// ReopenIncident reopens a resolved incident whose final report has not come: follow-ups are due
// again.
func (con *Console) ReopenIncident(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	_, err = con.Store.Incidents.ReopenIncident(c.Request.Context(), api.CurrentUser(c), id, c.PostForm("reason"))
	con.done(c, "/console/incidents/"+models.FormatID(id), err, "事件已重新打开，续报时限恢复")
}

func (con *Console) ReplyInstruction(c *gin.Context) {
	id, err := api.PathID(c, "id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	instructionID, err := api.PathID(c, "instruction_id")
	if err != nil {
		con.errorPage(c, err)
		return
	}
	_, err = con.Store.Incidents.ReplyInstruction(c.Request.Context(), api.CurrentUser(c), id, instructionID, incident.ReplyInput{Reply: c.PostForm("reply")})
	con.done(c, "/console/incidents/"+models.FormatID(id), err, "已回复批示")
}

// reportForm is the data of the report form (a new incident, or a follow-up/final report).
type reportForm struct {
	Kind       incident.ReportKind
	KindName   string
	Phone      bool               // the desk takes the initial report down from a call (电话接报)
	Action     string             // where the form posts
	Incident   *incident.Incident // nil for a new incident (or a draft one, whose facts are open)
	Schools    []option           // for district officers, who file for any school of their district
	Categories []option
	Subtypes   []option
	Severities []option
}

func (con *Console) newReportForm(c *gin.Context, kind incident.ReportKind, inc *incident.Incident) (*reportForm, error) {
	form := &reportForm{Kind: kind, KindName: kind.Name(), Incident: inc, Categories: categoryOptions(),
		Subtypes: subtypeOptions(), Severities: severityOptions()}
	user := api.CurrentUser(c)
	if inc == nil && user.SchoolID == nil {
		// Every school in the user's scope: a city has about a thousand, more than one page.
		f := directory.SchoolFilter{Page: models.Page{Limit: models.MaxPageSize}}
		for {
			schools, next, _, err := con.Store.Directory.Schools(c.Request.Context(), user, f)
			if err != nil {
				return nil, err
			}
			for _, sc := range schools {
				form.Schools = append(form.Schools, option{models.FormatID(sc.ID), sc.Name})
			}
			if next == 0 {
				break
			}
			f.Page.Cursor = next
		}
	}
	return form, nil
}

// ReportPage shows the form for a new incident (no :id) or for the next report of incident :id.
func (con *Console) ReportPage(c *gin.Context) {
	con.showReportForm(c, http.StatusOK, &view{Form: c.Request.URL.Query()})
}

func (con *Console) showReportForm(c *gin.Context, status int, v *view) {
	kind := incident.ReportInitial
	var inc *incident.Incident
	if c.Param("id") != "" {
		id, err := api.PathID(c, "id")
		if err != nil {
			con.errorPage(c, err)
			return
		}
		d, err := con.Store.Incidents.IncidentDetail(c.Request.Context(), api.CurrentUser(c), id)
		if err != nil {
			con.errorPage(c, err)
			return
		}
		inc = &d.Incident
		if kind = incident.NextReport(d.Status, d.Reports); kind == "" {
			con.errorPage(c, models.Errorf(models.ECONFLICT, "该事件现在不接受新的报告"))
			return
		}
		if v.Form.Get("severity") == "" {
			v.Form.Set("severity", strconv.Itoa(int(inc.Severity)))
		}
	}
	f, err := con.newReportForm(c, kind, inc)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	f.Action = "/console/report"
	if inc != nil {
		f.Action = "/console/incidents/" + models.FormatID(inc.ID) + "/reports"
	}
	v.Title, v.Nav, v.Data = "报送"+f.KindName, "report", f
	con.render(c, status, "report", v)
}

// FileReport files the form: a new incident with its initial report, or the next report of :id.
func (con *Console) FileReport(c *gin.Context) {
	user := api.CurrentUser(c)
	ctx := c.Request.Context()
	in, p := reportInputFromForm(c, con)
	var incidentID int64
	err := p.Err()
	if err == nil && c.Param("id") == "" {
		var d *incident.IncidentDetail
		if d, err = con.Store.Incidents.CreateIncident(ctx, user, in); err == nil {
			incidentID = d.ID
		}
	} else if err == nil {
		if incidentID, err = api.PathID(c, "id"); err == nil {
			_, err = con.Store.Incidents.FileReport(ctx, user, incidentID, incident.ReportKind(c.PostForm("kind")), in)
		}
	}
	if err != nil {
		con.refused(c, err, con.showReportForm)
		return
	}
	con.redirect(c, "/console/incidents/"+models.FormatID(incidentID), filedFlash(in.Draft))
}

func filedFlash(draft bool) *flash {
	if draft {
		return &flash{Text: "草稿已保存，可随时继续填写并提交"}
	}
	return &flash{Text: "报告已提交，请留意值班室签收"}
}

// DraftPage shows the form of the draft report :report_id of incident :id, filled in as saved.
func (con *Console) DraftPage(c *gin.Context) {
	con.showDraftForm(c, http.StatusOK, nil)
}

func (con *Console) showDraftForm(c *gin.Context, status int, v *view) {
	id, reportID, err := api.ReportPath(c)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	d, err := con.Store.Incidents.IncidentDetail(c.Request.Context(), api.CurrentUser(c), id)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	var r *incident.Report
	for i := range d.Reports {
		if d.Reports[i].ID == reportID && d.Reports[i].Status == incident.ReportDraft {
			r = &d.Reports[i]
		}
	}
	if r == nil || !api.CurrentUser(c).Can(models.FileIncidents) { // the desk sees drafts, but does not edit them
		con.errorPage(c, models.Errorf(models.ENOTFOUND, "草稿不存在或已提交"))
		return
	}
	var inc *incident.Incident // a draft incident's facts stay open
	if d.Status != incident.IncidentDraft {
		inc = &d.Incident
	}
	f := &reportForm{Kind: r.Kind, KindName: r.Kind.Name() + "（草稿）", Incident: inc, Categories: categoryOptions(),
		Subtypes: subtypeOptions(), Severities: severityOptions(),
		Action: "/console/incidents/" + models.FormatID(id) + "/reports/" + models.FormatID(reportID)}
	if v == nil {
		v = &view{Form: con.draftValues(&d.Incident, r)}
	}
	v.Title, v.Nav, v.Data = "继续填写"+f.KindName, "report", f
	con.render(c, status, "report", v)
}

// draftValues fills the report form with a saved draft.
func (con *Console) draftValues(inc *incident.Incident, r *incident.Report) url.Values {
	n := func(i int64) string { return strconv.FormatInt(i, 10) }
	form := url.Values{"kind": {string(r.Kind)}, "title": {inc.Title}, "category": {string(inc.Category)}, "subtype": {inc.Subtype},
		"place": {inc.Place}, "severity": {n(int64(r.Severity))}, "summary": {r.Summary},
		"dead": {n(int64(r.Dead))}, "injured": {n(int64(r.Injured))}, "missing": {n(int64(r.Missing))}, "property_loss": {n(r.PropertyLoss)},
		"cause": {r.Cause}, "measures": {r.Measures}, "leaders_on_site": {r.LeadersOnSite}, "next_steps": {r.NextSteps},
		"reporter_name": {r.ReporterName}, "reporter_phone": {r.ReporterPhone}, "late_reason": {r.LateReason}}
	if !inc.OccurredAt.IsZero() {
		form.Set("occurred_at", inc.OccurredAt.In(con.Store.Location()).Format("2006-01-02T15:04"))
	}
	if r.Severity == 0 {
		form.Del("severity")
	}
	if r.Resolved {
		form.Set("resolved", "true")
	}
	return form
}

// SaveDraft saves the draft report :report_id again, or submits it.
func (con *Console) SaveDraft(c *gin.Context) {
	in, p := reportInputFromForm(c, con)
	id, reportID, err := api.ReportPath(c)
	if err == nil {
		err = p.Err()
	}
	if err == nil {
		_, err = con.Store.Incidents.UpdateDraft(c.Request.Context(), api.CurrentUser(c), id, reportID, in, !in.Draft)
	}
	if err != nil {
		con.refused(c, err, con.showDraftForm)
		return
	}
	con.redirect(c, "/console/incidents/"+models.FormatID(id), filedFlash(in.Draft))
}

// PhoneIntakePage shows the desk's form for an initial report taken down from a call.
func (con *Console) PhoneIntakePage(c *gin.Context) {
	if !api.CurrentUser(c).Can(models.HandleIncidents) {
		con.errorPage(c, models.Errorf(models.EFORBIDDEN, "只有值班室可以记录电话接报"))
		return
	}
	con.showPhoneIntakeForm(c, http.StatusOK, &view{Form: c.Request.URL.Query()})
}

func (con *Console) showPhoneIntakeForm(c *gin.Context, status int, v *view) {
	f, err := con.newReportForm(c, incident.ReportInitial, nil)
	if err != nil {
		con.errorPage(c, err)
		return
	}
	f.Phone, f.KindName, f.Action = true, "电话接报", "/console/phone-intake"
	v.Title, v.Nav, v.Data = "电话接报", "phone", f
	con.render(c, status, "report", v)
}

// RecordPhoneIntake records the call as the API's POST /phone-intakes does; the school still
// owes the written initial report.
func (con *Console) RecordPhoneIntake(c *gin.Context) {
	in, p := reportInputFromForm(c, con)
	form := formValues(c)
	phone := incident.PhoneReportInput{ReportInput: in, CallerUnit: form.Get("caller_unit"), CallerName: form.Get("caller_name"),
		CallerTitle: form.Get("caller_title"), CallerPhone: form.Get("caller_phone"), AlsoNotified: form.Get("also_notified")}
	received, ok := con.localInput(form.Get("received_at"))
	if !ok {
		p.Add("received_at", "请按“年-月-日 时:分”填写来电时间")
	}
	phone.ReceivedAt = received
	err := p.Err()
	var inc *incident.Incident
	if err == nil {
		inc, _, err = con.Store.Incidents.RecordPhoneReport(c.Request.Context(), api.CurrentUser(c), phone)
	}
	if err != nil {
		con.refused(c, err, con.showPhoneIntakeForm)
		return
	}
	con.redirect(c, "/console/incidents/"+models.FormatID(inc.ID), &flash{Text: "电话接报已记录，学校仍须报送书面首报"})
}

// reportInputFromForm reads the report form into the same input the API takes; numbers that do
// not parse are reported on their fields.
func reportInputFromForm(c *gin.Context, con *Console) (incident.ReportInput, models.Problems) {
	form := formValues(c)
	p := models.Problems{}
	var in incident.ReportInput
	text := func(name string) *string {
		if _, ok := form[name]; !ok {
			return nil
		}
		s := form.Get(name)
		return &s
	}
	number := func(name string) *int64 {
		raw := strings.TrimSpace(form.Get(name))
		if raw == "" {
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			p.Add(name, "请填写整数")
			return nil
		}
		return &n
	}
	count := func(name string) *int {
		if n := number(name); n != nil {
			i := int(*n)
			return &i
		}
		return nil
	}
	if raw := form.Get("school_id"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			p.Add("school_id", "请选择学校")
		}
		in.SchoolID = &id
	} else if c.Param("id") == "" && api.CurrentUser(c).SchoolID != nil {
		in.SchoolID = api.CurrentUser(c).SchoolID
	}
	in.Title, in.Place = text("title"), text("place")
	if cat := form.Get("category"); cat != "" {
		in.Category = &cat
	}
	if sub := form.Get("subtype"); sub != "" {
		in.Subtype = &sub
	}
	if sev := number("severity"); sev != nil {
		s := incident.Severity(*sev)
		in.Severity = &s
	}
	if _, ok := form["occurred_at"]; ok {
		t, ok := con.localInput(form.Get("occurred_at"))
		if !ok {
			p.Add("occurred_at", "请按“年-月-日 时:分”填写事发时间")
		}
		in.OccurredAt = t
	}
	in.Summary, in.Cause, in.Measures = text("summary"), text("cause"), text("measures")
	in.LeadersOnSite, in.NextSteps = text("leaders_on_site"), text("next_steps")
	in.ReporterName, in.ReporterPhone, in.LateReason = text("reporter_name"), text("reporter_phone"), text("late_reason")
	in.Dead, in.Injured, in.Missing = count("dead"), count("injured"), count("missing")
	in.PropertyLoss = number("property_loss")
	in.Draft = form.Get("draft") == "true"
	if form.Get("kind") == string(incident.ReportFollowUp) {
		resolved := form.Get("resolved") == "true"
		in.Resolved = &resolved
	}
	return in, p
}
