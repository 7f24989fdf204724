package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Report filing reads its school and writes its rows through pgx directly when it runs in a
// PostgreSQL transaction: profiled under load, GORM and database/sql took about a fifth of the
// server's CPU per filing (BENCHMARKS.md). take and insert do what GORM's Take and Create do,
// with statements built once per model from GORM's own parsed schema, so that a column added to
// a model is read and written without anything here changing. Outside a PostgreSQL transaction,
// and for the tables the read cache watches (whose GORM callbacks must see every write), they
// are GORM's Take and Create.

// take reads the row with the given id into dest, a pointer to a model. Errors:
// gorm.ErrRecordNotFound.
func (s *Store) take(ctx context.Context, dest any, id int64) error {
	m, err := s.viaPGX(dest)
	if err != nil || m == nil {
		if err == nil {
			err = s.conn(ctx).Take(dest, id).Error
		}
		return err
	}
	rv := reflect.ValueOf(dest).Elem()
	targets := make([]any, len(m.columns))
	for i, f := range m.columns {
		targets[i] = f.ReflectValueOf(ctx, rv).Addr().Interface()
	}
	return s.withPGX(ctx, func(conn *pgx.Conn) error {
		err := conn.QueryRow(ctx, m.selectByID, id).Scan(targets...)
		if errors.Is(err, pgx.ErrNoRows) {
			return gorm.ErrRecordNotFound
		}
		return err
	})
}

// insert writes rows — a pointer to a model, or to a slice of them — and sets their IDs and
// their zero creation and update times, as GORM's Create does.
func (s *Store) insert(ctx context.Context, rows any) error {
	m, err := s.viaPGX(rows)
	if err != nil || m == nil {
		if err == nil {
			err = s.conn(ctx).Create(rows).Error
		}
		return err
	}
	if m.insertErr != nil {
		return m.insertErr
	}
	rv := reflect.ValueOf(rows).Elem()
	var elems []reflect.Value
	if rv.Kind() == reflect.Slice {
		for i := range rv.Len() {
			elems = append(elems, reflect.Indirect(rv.Index(i)))
		}
	} else {
		elems = []reflect.Value{rv}
	}
	if len(elems) == 0 {
		return gorm.ErrEmptySlice
	}
	if len(elems)*len(m.written) > maxBindParams {
		return fmt.Errorf("insert %d rows into %s: more than %d parameters", len(elems), m.table, maxBindParams)
	}
	now := s.db.NowFunc()
	args := make([]any, 0, len(elems)*len(m.written))
	for _, e := range elems {
		for _, f := range m.written {
			v, zero := f.ValueOf(ctx, e)
			if zero && (f.AutoCreateTime > 0 || f.AutoUpdateTime > 0) {
				if err := f.Set(ctx, e, now); err != nil {
					return err
				}
				v, _ = f.ValueOf(ctx, e)
			}
			args = append(args, v)
		}
	}
	return s.withPGX(ctx, func(conn *pgx.Conn) error {
		got, err := conn.Query(ctx, m.insertStatement(len(elems)), args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(got, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(ids) != len(elems) {
			return fmt.Errorf("%d ids returned for %d rows", len(ids), len(elems))
		}
		for i, e := range elems {
			if err := m.id.Set(ctx, e, ids[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxBindParams is PostgreSQL's limit on the parameters of one statement.
const maxBindParams = 65535

// withPGX runs fn on the pgx connection of the Store's transaction.
func (s *Store) withPGX(ctx context.Context, fn func(conn *pgx.Conn) error) error {
	return s.txConn.Raw(func(driverConn any) error {
		conn, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is a %T, not pgx", driverConn)
		}
		return fn(conn.Conn())
	})
}

// pgxModel is what take and insert need of one model.
type pgxModel struct {
	table      string
	id         *schema.Field
	columns    []*schema.Field // every column, in the schema's order
	selectByID string
	written    []*schema.Field // the columns an insert writes: all but id
	insertOne  string          // the insert of one row
	insertErr  error           // why rows of this model cannot be inserted here, if they cannot
}

// pgxModels holds the pgxModel of each model type; nil for tables the read cache watches.
var pgxModels sync.Map // reflect.Type → *pgxModel

// viaPGX returns the pgxModel of the model v holds (a pointer to a model or to a slice of them),
// or nil when v is to go through GORM: outside a PostgreSQL transaction, or for a table the read
// cache watches. Only an auto-increment int64 id is supported.
func (s *Store) viaPGX(v any) (*pgxModel, error) {
	if s.dialect != Postgres || s.txConn == nil {
		return nil, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("%T: want a pointer to a model or to a slice of models", v)
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if m, ok := pgxModels.Load(t); ok {
		return m.(*pgxModel), nil
	}
	stmt := &gorm.Statement{DB: s.db}
	if err := stmt.Parse(v); err != nil {
		return nil, fmt.Errorf("%T: %w", v, err)
	}
	sc := stmt.Schema
	var m *pgxModel
	if !slices.Contains(cachedTables, sc.Table) {
		m = &pgxModel{table: sc.Table, id: sc.PrioritizedPrimaryField}
		if m.id == nil || m.id.DBName != "id" || !m.id.AutoIncrement || m.id.FieldType.Kind() != reflect.Int64 {
			return nil, fmt.Errorf("%T: no auto-increment int64 id", v)
		}
		for _, name := range sc.DBNames {
			m.columns = append(m.columns, sc.FieldsByDBName[name])
		}
		m.selectByID = `SELECT ` + quoted(m.columns) + ` FROM "` + m.table + `" WHERE "id" = $1`
		m.written = slices.DeleteFunc(slices.Clone(m.columns), func(f *schema.Field) bool { return f == m.id })
		for _, f := range m.written {
			// GORM leaves out a zero column with a database default, or writes a default of its
			// own; insert would write the zero value instead.
			if f.HasDefaultValue || f.DefaultValueInterface != nil ||
				((f.AutoCreateTime > 0 || f.AutoUpdateTime > 0) && f.DataType != schema.Time) {
				m.insertErr = fmt.Errorf("insert into %s: column %s has a default", m.table, f.DBName)
			}
		}
		m.insertOne = m.insertStatement(1)
	}
	actual, _ := pgxModels.LoadOrStore(t, m)
	return actual.(*pgxModel), nil
}

// insertStatement is INSERT INTO table (columns) VALUES ($1, …), … RETURNING id, for n rows.
func (m *pgxModel) insertStatement(n int) string {
	if n == 1 && m.insertOne != "" {
		return m.insertOne
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO "` + m.table + `" (` + quoted(m.written) + `) VALUES `)
	p := 0
	for r := range n {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for i := range m.written {
			if i > 0 {
				b.WriteByte(',')
			}
			p++
			b.WriteString("$" + strconv.Itoa(p))
		}
		b.WriteByte(')')
	}
	b.WriteString(` RETURNING "id"`)
	return b.String()
}

// quoted is the fields' column names, quoted and separated by commas.
func quoted(fields []*schema.Field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = `"` + f.DBName + `"`
	}
	return strings.Join(names, ",")
}
