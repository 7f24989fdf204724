package handlers

import (
	"dutydesk/models/directory"
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
)

func (a *api) listSchools(c *gin.Context) {
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
	f := directory.SchoolFilter{DistrictID: district, Query: c.Query("q"), Page: page}
	if raw := c.Query("type"); raw != "" {
		t, ok := directory.ParseSchoolType(raw)
		if !ok {
			respondError(c, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{"type": "未知的学校类型"}})
			return
		}
		f.Type = t
	}
	schools, next, total, err := a.store.Directory.Schools(c.Request.Context(), currentUser(c), f)
	if err != nil {
		respondError(c, err)
		return
	}
	list := newList(schools, next)
	list.Total = &total
	c.JSON(http.StatusOK, list)
}

func (a *api) getSchool(c *gin.Context) {
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
	c.JSON(http.StatusOK, sc)
}

func (a *api) createSchool(c *gin.Context) {
	var in directory.SchoolInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	sc, err := a.store.Directory.CreateSchool(c.Request.Context(), currentUser(c), in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sc)
}

func (a *api) updateSchool(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		respondError(c, err)
		return
	}
	var in directory.SchoolInput
	if err := bindJSON(c, &in); err != nil {
		respondError(c, err)
		return
	}
	sc, err := a.store.Directory.UpdateSchool(c.Request.Context(), currentUser(c), id, in)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

// importSchools takes a CSV or XLSX upload (multipart field "file") and imports it whole or not at
// all; a bad file answers 422 with every problem by row and column.
func (a *api) importSchools(c *gin.Context) {
	user := currentUser(c)
	if !user.Can(models.ManageDirectory) {
		respondError(c, models.Errorf(models.EFORBIDDEN, "无权进行此操作"))
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		respondError(c, bodyOrFieldError(err, "file", "请上传 .csv 或 .xlsx 文件（字段名 file）"))
		return
	}
	f, err := fh.Open()
	if err != nil {
		respondError(c, err)
		return
	}
	defer f.Close()
	rows, err := directory.ReadImportRows(fh.Filename, f)
	if err != nil {
		respondError(c, err)
		return
	}
	result, err := a.store.Directory.ImportSchools(c.Request.Context(), user, rows)
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, result)
}
