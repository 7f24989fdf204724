// Package faults holds DutyDesk's fault tests: the service under an SMTP outage, a SIGKILL, a second
// replica, and a database that goes away. They run with the rest of the suite (go test ./...);
// RELIABILITY.md lists what each proves. The package has no code of its own.
package faults
