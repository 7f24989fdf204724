package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/escalation"
)

// ListEscalations shows the escalation steps that fired: when, for which deadline, to whom.
func (a *API) ListEscalations(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	f := escalation.EscalationFilter{Page: page, Kind: models.DeadlineKind(c.Query("kind"))}
	if f.DeadlineID, err = queryInt64(c, "deadline"); err != nil {
		RespondError(c, err)
		return
	}
	if f.From, f.To, err = queryTimeRange(c, a.Store.Location()); err != nil {
		RespondError(c, err)
		return
	}
	records, next, err := a.Store.Escalation.Escalations(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(records, next))
}

// ListEscalationPolicies shows the ladder of every deadline kind.
func (a *API) ListEscalationPolicies(c *gin.Context) {
	policies, err := a.Store.Escalation.EscalationPolicies(c.Request.Context(), CurrentUser(c))
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(policies, 0))
}

// SetEscalationPolicy replaces the ladder of one deadline kind; {"steps": []} restores the default.
func (a *API) SetEscalationPolicy(c *gin.Context) {
	var body struct {
		Steps []escalation.EscalationStep `json:"steps"`
	}
	if err := bindJSON(c, &body); err != nil {
		RespondError(c, err)
		return
	}
	policy, err := a.Store.Escalation.SetEscalationPolicy(c.Request.Context(), CurrentUser(c), models.DeadlineKind(c.Param("kind")), body.Steps)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, policy)
}
