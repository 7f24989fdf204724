package handlers

import (
	"dutydesk/models/directory"
	"net/http"

	"github.com/gin-gonic/gin"
)

func (a *api) listContacts(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	sc, err := a.store.Directory.School(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(sc.Contacts, 0))
}

func (a *api) createContact(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in directory.ContactInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	contact, err := a.store.Directory.CreateContact(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, contact)
}

func (a *api) updateContact(c *gin.Context) {
	schoolID, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	id, err := pathID(c, "contact_id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in directory.ContactInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	contact, err := a.store.Directory.UpdateContact(c.Request.Context(), currentUser(c), schoolID, id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, contact)
}

func (a *api) deleteContact(c *gin.Context) {
	schoolID, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	id, err := pathID(c, "contact_id")
	if err != nil {
		respondError(c, err)
		return
	}
	if err := a.store.Directory.DeleteContact(c.Request.Context(), currentUser(c), schoolID, id); err != nil {
		respondError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
