package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3 document of the API. TestOpenAPIDocument validates it and checks that
// it lists exactly the router's routes.
//
//go:embed openapi.yaml
var OpenAPI []byte

// OpenAPI serves the document.
func (a *API) OpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", OpenAPI)
}
