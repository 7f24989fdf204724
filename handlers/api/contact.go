package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models/directory"
)

func (a *API) ListContacts(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	sc, err := a.Store.Directory.School(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(sc.Contacts, 0))
}

func (a *API) CreateContact(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in directory.ContactInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	contact, err := a.Store.Directory.CreateContact(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, contact)
}

func (a *API) UpdateContact(c *gin.Context) {
	schoolID, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	id, err := PathID(c, "contact_id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in directory.ContactInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	contact, err := a.Store.Directory.UpdateContact(c.Request.Context(), CurrentUser(c), schoolID, id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, contact)
}

func (a *API) DeleteContact(c *gin.Context) {
	schoolID, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	id, err := PathID(c, "contact_id")
	if err != nil {
		RespondError(c, err)
		return
	}
	if err := a.Store.Directory.DeleteContact(c.Request.Context(), CurrentUser(c), schoolID, id); err != nil {
		RespondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
