package store

import "strings"

// ContainsPattern turns text a user typed into a LIKE pattern matching it anywhere, with the
// wildcards % and _ (and the escape character \) taken literally; use it with ESCAPE '\'.
func ContainsPattern(text string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
}
