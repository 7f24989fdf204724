package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"dutydesk/models"
	"dutydesk/models/directory"
)

func (a *API) ListSchools(c *gin.Context) {
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
	f := directory.SchoolFilter{DistrictID: district, Query: c.Query("q"), Page: page}
	if raw := c.Query("type"); raw != "" {
		t, ok := directory.ParseSchoolType(raw)
		if !ok {
			RespondError(c, &models.Error{Code: models.EMALFORMED, Message: "查询参数有误", Fields: map[string]string{"type": "未知的学校类型"}})
			return
		}
		f.Type = t
	}
	schools, next, total, err := a.Store.Directory.Schools(c.Request.Context(), CurrentUser(c), f)
	if err != nil {
		RespondError(c, err)
		return
	}
	list := newList(schools, next)
	list.Total = &total
	c.JSON(http.StatusOK, list)
}

func (a *API) GetSchool(c *gin.Context) {
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
	c.JSON(http.StatusOK, sc)
}

func (a *API) CreateSchool(c *gin.Context) {
	var in directory.SchoolInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	sc, err := a.Store.Directory.CreateSchool(c.Request.Context(), CurrentUser(c), in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sc)
}

func (a *API) UpdateSchool(c *gin.Context) {
	id, err := PathID(c, "id")
	if err != nil {
		RespondError(c, err)
		return
	}
	var in directory.SchoolInput
	if err := bindJSON(c, &in); err != nil {
		RespondError(c, err)
		return
	}
	sc, err := a.Store.Directory.UpdateSchool(c.Request.Context(), CurrentUser(c), id, in)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

// ImportSchools takes a CSV or XLSX upload (multipart field "file") and imports it whole or not at
// all; a bad file answers 422 with every problem by row and column.
func (a *API) ImportSchools(c *gin.Context) {
	user := CurrentUser(c)
	if !user.Can(models.ManageDirectory) {
		RespondError(c, models.Errorf(models.EFORBIDDEN, "无权进行此操作"))
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		RespondError(c, bodyOrFieldError(err, "file", "请上传 .csv 或 .xlsx 文件（字段名 file）"))
		return
	}
	f, err := fh.Open()
	if err != nil {
		RespondError(c, err)
		return
	}
	defer f.Close()
	rows, err := directory.ReadImportRows(fh.Filename, f)
	if err != nil {
		RespondError(c, err)
		return
	}
	result, err := a.Store.Directory.ImportSchools(c.Request.Context(), user, rows)
	if err != nil {
		RespondError(c, err)
		return
	}
	c.JSON(http.StatusOK, result)
}
