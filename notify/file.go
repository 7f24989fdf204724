package notify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileSender writes each e-mail as an .eml file into Dir instead of sending it: the embedded
// default, so a first run shows exactly what would have gone out. A retry of the same message
// overwrites its file.
type FileSender struct {
	Dir  string
	From string
}

// Send writes m to Dir/<time>-<kind>-<id>.eml, atomically.
func (f *FileSender) Send(_ context.Context, m Message) error {
	raw, err := Compose(f.From, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return fmt.Errorf("mail dir: %w", err)
	}
	path := filepath.Join(f.Dir, f.FileName(m))
	tmp, err := os.CreateTemp(f.Dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// FileName is the name Send gives m's file: sortable by time, and the same for every retry.
func (f *FileSender) FileName(m Message) string {
	id := strings.Trim(m.ID, "<>")
	id, _, _ = strings.Cut(id, "@")
	return m.CreatedAt.UTC().Format("20060102T150405Z") + "-" + string(m.Kind) + "-" + id + ".eml"
}
