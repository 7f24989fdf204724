//go:build !unix

package main

import "dutydesk/config"

// lockDataDir is a no-op where flock is not available: stop the service before a restore.
func lockDataDir(config.Config) (func(), error) { return func() {}, nil }
