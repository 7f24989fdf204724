package incident

import "dutydesk/models"

// Which report an incident takes next is one rule, used by the store when a report is filed and
// by the console when it offers the next report (一事一报: 首报 → 续报 → 终报).

// filed is what an incident's reports so far allow next.
type filed struct {
	writtenInitial bool // a written initial report is in (a phone report alone does not count)
	submittedFinal bool // the final report is in: nothing follows it
}

func filedOf(reports []Report) filed {
	var f filed
	for _, r := range reports {
		switch {
		case r.Kind == ReportInitial && r.Channel == ChannelWritten:
			f.writtenInitial = f.writtenInitial || r.Status != ReportDraft
		case r.Kind == ReportFinal:
			f.submittedFinal = f.submittedFinal || r.Status != ReportDraft
		}
	}
	return f
}

// Fileable tells whether an incident in status with these reports takes a new report of kind:
// the written initial report once (after the desk took one by phone), then follow-ups and the
// final report, and nothing after the final report. Errors: invalid (no such kind), conflict.
func Fileable(status IncidentStatus, reports []Report, kind ReportKind) error {
	switch kind {
	case ReportInitial, ReportFollowUp, ReportFinal:
	default:
		return models.Problems{"kind": "报告类型须为 initial（首报）、follow_up（续报）或 final（终报）"}.Err()
	}
	switch status {
	case IncidentDraft:
		return models.Errorf(models.ECONFLICT, "首报尚未提交，请先提交首报")
	case IncidentClosed:
		return models.Errorf(models.ECONFLICT, "事件已结案，不能再报送")
	}
	f := filedOf(reports)
	switch {
	case f.submittedFinal:
		return models.Errorf(models.ECONFLICT, "终报已提交，不能再报送")
	case kind == ReportInitial && f.writtenInitial:
		return models.Errorf(models.ECONFLICT, "本事件已有书面首报，请报送续报")
	case kind != ReportInitial && !f.writtenInitial:
		return models.Errorf(models.ECONFLICT, "请先提交书面首报")
	}
	return nil
}

// NextReport is the report a school files next on an incident in status with these reports: the
// written initial report after the desk took one by phone, follow-ups while it is open, the final
// report once resolved; "" when it takes none. Fileable accepts whatever it answers.
func NextReport(status IncidentStatus, reports []Report) ReportKind {
	if status != IncidentOpen && status != IncidentResolved {
		return ""
	}
	switch f := filedOf(reports); {
	case f.submittedFinal:
		return ""
	case !f.writtenInitial:
		return ReportInitial
	case status == IncidentResolved:
		return ReportFinal
	}
	return ReportFollowUp
}
