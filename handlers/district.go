package handlers

import (
	"dutydesk/models/directory"
	"net/http"

	"github.com/gin-gonic/gin"
)

func (a *api) listDistricts(c *gin.Context) {
	ds, err := a.store.Directory.Districts(c.Request.Context())
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(ds, 0))
}

func (a *api) getDistrict(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	d, err := a.store.Directory.District(c.Request.Context(), id)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (a *api) createDistrict(c *gin.Context) {
	var in directory.DistrictInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	d, err := a.store.Directory.CreateDistrict(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

func (a *api) updateDistrict(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in directory.DistrictInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	d, err := a.store.Directory.UpdateDistrict(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
