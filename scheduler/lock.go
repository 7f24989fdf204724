package scheduler

import (
	"context"
	"fmt"
	"hash/fnv"

	"gorm.io/gorm"

	"dutydesk/models/store"
)

// Locker lets one replica at a time run a job: Do runs fn unless another holder has the job's
// lock, and reports whether it ran.
type Locker interface {
	Do(ctx context.Context, job string, fn func(ctx context.Context) error) (ran bool, err error)
}

// NewLock returns the lock for the database: a PostgreSQL advisory lock when replicas may share
// it, LocalLock for SQLite (one process; cron's SkipIfStillRunning already keeps runs apart).
func NewLock(db *store.DB) Locker {
	if db.Dialect == store.Postgres {
		return &PostgresLock{db: db.DB}
	}
	return LocalLock{}
}

// LocalLock always runs the job.
type LocalLock struct{}

// Do runs fn.
func (LocalLock) Do(ctx context.Context, _ string, fn func(ctx context.Context) error) (bool, error) {
	return true, fn(ctx)
}

// PostgresLock takes pg_try_advisory_xact_lock in a transaction held open while the job runs, so
// the lock lives exactly as long as that transaction: it is released by the rollback at the end,
// or by the server if the connection dies. (A session-level advisory lock on a pooled *sql.DB
// would stay with whichever pooled connection took it.) The job's own work uses other
// connections; the lock transaction writes nothing.
type PostgresLock struct {
	db *gorm.DB
}

// Do runs fn if no other replica holds the job's lock; otherwise it returns at once.
func (l *PostgresLock) Do(ctx context.Context, job string, fn func(ctx context.Context) error) (bool, error) {
	tx := l.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return false, fmt.Errorf("lock %s: %w", job, tx.Error)
	}
	defer tx.Rollback()
	var got bool
	if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", lockKey(job)).Scan(&got).Error; err != nil {
		return false, fmt.Errorf("lock %s: %w", job, err)
	}
	if !got {
		return false, nil
	}
	return true, fn(ctx)
}

// lockKey maps a job name to its advisory lock key.
func lockKey(job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("dutydesk job " + job))
	return int64(h.Sum64())
}
