// Package web holds the duty console's templates and static assets, embedded in the binary so
// that the console needs no build step and no files beside the executable.
package web

import "embed"

// FS holds templates/*.html (one page each, all sharing layout.html) and static/ (CSS and JS).
//
//go:embed templates static
var FS embed.FS
