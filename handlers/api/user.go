package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/directory"
)

func (a *API) ListUsers(c *gin.Context) {
	page, err := queryPage(c)
	if err != nil {
		RespondError(c, err)
		return
	}
	district, err := queryInt64(c, "district_id")
	if err != nil {
		RespondError(c, err)
		return
	}
	school, err := queryInt64(c, "school_id")
	if err != nil {
		RespondError(c, err)
		return
	}
	users, next, err := a.Store.Directory.Users(c.Request.Context(), CurrentUser(c),
		directory.UserFilter{Role: models.Role(c.Query("role")), DistrictID: district, SchoolID: school, Page: page})
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(users, next))
}

func (a *API) GetUser(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	u, err := a.Store.Directory.User(c.Request.Context(), CurrentUser(c), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (a *API) CreateUser(c *gin.Context) {
	var in directory.UserInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	u, err := a.Store.Directory.CreateUser(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (a *API) UpdateUser(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in directory.UserInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	u, err := a.Store.Directory.UpdateUser(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}
