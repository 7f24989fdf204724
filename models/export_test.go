package models

// Internals that tests in models_test look at.

// CachedSession tells whether s's read cache holds the session of token.
func CachedSession(s *Store, token string) bool {
	_, ok := s.cache.session(hashToken(token))
	return ok
}

// ChangeListenerPID is the backend PID of db's change listener's connection, 0 before it connects.
func ChangeListenerPID(db *DB) uint32 {
	if db.cache == nil {
		return 0
	}
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	return db.cache.listener
}

// SilenceChangeListener makes db's change listener look as if it had heard nothing for too long.
func SilenceChangeListener(db *DB) {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	db.cache.heard = db.cache.heard.Add(-maxSilence)
}
