package handlers

import (
	"dutydesk/models/escalation"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

// listEscalations shows the escalation steps that fired: when, for which deadline, to whom.
func (a *api) listEscalations(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		respondError(c, err)
		return
	}
	f := escalation.EscalationFilter{Page: page, Kind: models.DeadlineKind(c.Query("kind"))}
	if f.DeadlineID, err = queryInt64(c, "deadline"); err != nil {
		respondError(c, err)
		return
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		respondError(c, err)
		return
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		respondError(c, err)
		return
	}
	records, next, err := a.store.Escalation.Escalations(c.Request.Context(), currentUser(c), f)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(records, next))
}

// listEscalationPolicies shows the ladder of every deadline kind.
func (a *api) listEscalationPolicies(c *gin.Context) {
	policies, err := a.store.Escalation.EscalationPolicies(c.Request.Context(), currentUser(c))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(policies, 0))
}

// setEscalationPolicy replaces the ladder of one deadline kind; {"steps": []} restores the default.
func (a *api) setEscalationPolicy(c *gin.Context) {
	var body struct {
		Steps []escalation.EscalationStep `json:"steps"`
	}
	if err := bindJSON(c, &body); err != nil {
		respondError(c, err)
		return
	}
	policy, err := a.store.Escalation.SetEscalationPolicy(c.Request.Context(), currentUser(c), models.DeadlineKind(c.Param("kind")), body.Steps)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, policy)
}
