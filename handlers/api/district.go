package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models/directory"
)

func (a *API) ListDistricts(c *gin.Context) {
	ds, err := a.Store.Directory.Districts(c.Request.Context())
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ds, 0))
}

func (a *API) GetDistrict(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Directory.District(c.Request.Context(), id)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (a *API) CreateDistrict(c *gin.Context) {
	var in directory.DistrictInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Directory.CreateDistrict(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

func (a *API) UpdateDistrict(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in directory.DistrictInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	d, err := a.Store.Directory.UpdateDistrict(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
