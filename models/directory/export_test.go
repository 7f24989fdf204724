package directory

// Internals that tests in directory_test look at.

// CachedSession tells whether s's read cache holds the session of token.
func CachedSession(s *Store, token string) bool {
	_, ok := s.sessions.get(HashToken(token))
	return ok
}
