package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/alert"
)

// The pages the e-mailed links open on a phone: /a/{token} confirms a warning, /s/{token} files a
// 平安报. They need no login; the signed token is the credential.

func (con *Console) AckPage(c *gin.Context) {
	info, _, err := con.Store.Alerts.AckLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		con.errorPage(c, err)
		return
	}
	con.render(c, http.StatusOK, "ack", &view{Title: "确认收到预警", Data: info})
}

func (con *Console) Acknowledge(c *gin.Context) {
	info, err := con.Store.Alerts.AcknowledgeByLink(c.Request.Context(), c.Param("token"))
	if err != nil {
		con.errorPage(c, err)
		return
	}
	con.render(c, http.StatusOK, "ack", &view{Title: "已确认收到预警", Data: info})
}

// safetyPage is the data of the safety-report page.
type safetyPage struct {
	*alert.SafetyLink
	States []option
}

var safetyStates = []option{
	{string(alert.SafetySafe), "平安（零报告）"},
	{string(alert.SafetySuspended), "已停课，无损失"},
	{string(alert.SafetyDamage), "有人员受伤或财产损失"},
}

func (con *Console) SafetyPage(c *gin.Context) { con.showSafety(c, http.StatusOK, &view{}) }

func (con *Console) showSafety(c *gin.Context, status int, v *view) {
	info, _, err := con.Store.Alerts.SafetyLinkInfo(c.Request.Context(), c.Param("token"))
	if err != nil {
		con.errorPage(c, err)
		return
	}
	v.Title, v.Data = "报平安", &safetyPage{SafetyLink: info, States: safetyStates}
	con.render(c, status, "safety", v)
}

func (con *Console) FileSafety(c *gin.Context) {
	in := alert.SafetyReportInput{State: c.PostForm("state"), Description: c.PostForm("description"), ReporterName: c.PostForm("reporter_name")}
	p := models.Problems{}
	if raw := strings.TrimSpace(c.PostForm("injured")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			p.Add("injured", "请填写整数")
		}
		in.Injured = n
	}
	if raw := strings.TrimSpace(c.PostForm("property_loss")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			p.Add("property_loss", "请填写整数（元）")
		}
		in.PropertyLoss = n
	}
	err := p.Err()
	if err == nil {
		_, err = con.Store.Alerts.FileSafetyReportByLink(c.Request.Context(), c.Param("token"), in)
	}
	if err != nil {
		con.refused(c, err, con.showSafety)
		return
	}
	con.redirect(c, "/s/"+c.Param("token"), &flash{Text: "平安报已提交，谢谢！"})
}
