package handlers

import (
	"dutydesk/models/directory"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

func (a *api) listUsers(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		respondError(c, err)
		return
	}
	district, err := queryInt64(c, "district_id")
	if err != nil {
		respondError(c, err)
		return
	}
	school, err := queryInt64(c, "school_id")
	if err != nil {
		respondError(c, err)
		return
	}
	users, next, err := a.store.Directory.Users(c.Request.Context(), currentUser(c),
		directory.UserFilter{Role: models.Role(c.Query("role")), DistrictID: district, SchoolID: school, Page: page})
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(users, next))
}

func (a *api) getUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	u, err := a.store.Directory.User(c.Request.Context(), currentUser(c), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (a *api) createUser(c *gin.Context) {
	var in directory.UserInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	u, err := a.store.Directory.CreateUser(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (a *api) updateUser(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in directory.UserInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	u, err := a.store.Directory.UpdateUser(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}
