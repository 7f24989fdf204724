package store

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
// with statements built once per model from GORM's parsed schema, so that a plain column added to
// a model is read and written without anything here changing, and errors translated as GORM
// translates them. Everything else is GORM's Take and Create: outside a PostgreSQL transaction,
// the tables the read cache watches (whose GORM callbacks must see every write), and models with
// anything pgx would not do as GORM does (hooks, defaults, associations, serializers, soft
// deletion, read-only or write-only fields, an id other than an auto-increment int64).
//
// take scans as pgx does: a NULL read into a field that is not a pointer is an error, where GORM
// would leave the zero value; the models it reads keep nullable columns in pointers.

// Take reads the row with the given id into dest, a pointer to a model. Errors:
// gorm.ErrRecordNotFound.
func (s *Store) Take(ctx context.Context, dest any, id int64) error {
	m, err := s.viaPGX(dest)
	if err != nil {
		return err
	}
	if m == nil || !m.takeable {
		return s.Conn(ctx).Take(dest, id).Error
	}
	rv := reflect.ValueOf(dest).Elem()
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("take %T: want a pointer to a model", dest)
	}
	targets := make([]any, len(m.columns))
	for i, f := range m.columns {
		targets[i] = f.ReflectValueOf(ctx, rv).Addr().Interface()
	}
	return s.withPGX(func(conn *pgx.Conn) error {
		err := conn.QueryRow(ctx, m.selectByID, id).Scan(targets...)
		if errors.Is(err, pgx.ErrNoRows) {
			return gorm.ErrRecordNotFound
		}
		return err
	})
}

// Insert writes rows — a pointer to a model, or to a slice of them — and sets their IDs and
// their zero creation and update times, as GORM's Create does.
func (s *Store) Insert(ctx context.Context, rows any) error {
	m, err := s.viaPGX(rows)
	if err != nil {
		return err
	}
	if m == nil || !m.insertable {
		return s.Conn(ctx).Create(rows).Error
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
	return s.withPGX(func(conn *pgx.Conn) error {
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

// withPGX runs fn on the pgx connection of the Store's PostgreSQL transaction, and translates
// its error as GORM would (a duplicate key is gorm.ErrDuplicatedKey; the PostgreSQL error stays
// in the chain), then as the store does (errors.go).
func (s *Store) withPGX(fn func(conn *pgx.Conn) error) error {
	err := s.txConn.Raw(func(driverConn any) error {
		conn, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is a %T, not pgx", driverConn)
		}
		return fn(conn.Conn())
	})
	if t, ok := s.db.Dialector.(gorm.ErrorTranslator); ok && err != nil && s.db.TranslateError {
		err = t.Translate(err)
	}
	return Translate(err)
}

// pgxModel is what take and insert need of one model.
type pgxModel struct {
	table      string
	id         *schema.Field
	columns    []*schema.Field // every column, in the schema's order
	selectByID string
	written    []*schema.Field // the columns an insert writes: all but id
	insertOne  string          // the insert of one row
	// takeable and insertable: pgx reads (writes) rows of this model as GORM would.
	takeable, insertable bool
}

// pgxModels holds the pgxModel of each model type, nil for one that always goes through GORM. It
// is keyed by type alone: every database is opened with gormConfig, so a type names the same
// table everywhere (unqualified: each connection's search_path decides the schema).
var pgxModels sync.Map // reflect.Type → *pgxModel

// viaPGX returns the pgxModel of the model v holds (a pointer to a model, or to a slice of models
// or of pointers to them), or nil when v is to go through GORM anyway: outside a PostgreSQL
// transaction, for a table the read cache watches, or for a model without an auto-increment
// int64 id.
func (s *Store) viaPGX(v any) (*pgxModel, error) {
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("%T: want a pointer to a model or to a slice of models", v)
	}
	if s.dialect != Postgres || s.txConn == nil {
		return nil, nil
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
	actual, _ := pgxModels.LoadOrStore(t, newPGXModel(stmt.Schema))
	return actual.(*pgxModel), nil
}

// newPGXModel builds the statements of a model and tells what pgx may do with its rows as GORM
// would; nil when nothing.
func newPGXModel(sc *schema.Schema) *pgxModel {
	id := sc.PrioritizedPrimaryField
	if slices.Contains(cachedTables, sc.Table) || id == nil || id.DBName != "id" || !id.AutoIncrement ||
		id.FieldType.Kind() != reflect.Int64 || len(sc.PrimaryFields) != 1 {
		return nil
	}
	m := &pgxModel{table: sc.Table, id: id, takeable: !sc.AfterFind && len(sc.QueryClauses) == 0,
		insertable: !sc.BeforeCreate && !sc.AfterCreate && !sc.BeforeSave && !sc.AfterSave &&
			len(sc.CreateClauses) == 0 && len(sc.Relationships.Relations) == 0}
	for _, name := range sc.DBNames {
		f := sc.FieldsByDBName[name]
		m.columns = append(m.columns, f)
		m.takeable = m.takeable && f.Readable && f.Serializer == nil
		if f != id {
			m.written = append(m.written, f)
			// GORM leaves out a zero column with a database default, or writes a default of
			// its own, or fills a zero creation time of another type than time.Time.
			m.insertable = m.insertable && f.Creatable && f.Serializer == nil &&
				!f.HasDefaultValue && f.DefaultValueInterface == nil &&
				(f.AutoCreateTime == 0 && f.AutoUpdateTime == 0 || f.DataType == schema.Time)
		}
	}
	m.selectByID = `SELECT ` + quoted(m.columns) + ` FROM "` + m.table + `" WHERE "id" = $1`
	m.insertOne = m.insertStatement(1)
	return m
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
