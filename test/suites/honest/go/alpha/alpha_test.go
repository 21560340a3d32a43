package alpha

import (
	"os"
	"path/filepath"
	"testing"
)

// ran appends key to $SAMPLE_STATE_DIR/ran.log (one O_APPEND write).
func ran(key string) {
	if dir := os.Getenv("SAMPLE_STATE_DIR"); dir != "" {
		f, err := os.OpenFile(filepath.Join(dir, "ran.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		f.Write([]byte(key + "\n"))
	}
}

// firstRun is true once per state dir (marker created with O_EXCL).
func firstRun(key string) bool {
	dir := os.Getenv("SAMPLE_STATE_DIR")
	if dir == "" {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, "flaky-"+key+".marker"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// TestPaths has a subtest whose own name contains "/" next to a nested subtest of the same spelling.
func TestPaths(t *testing.T) {
	t.Run("a/b", func(t *testing.T) {
		ran("alpha.paths.slash")
		if firstRun("alpha.slash") {
			t.Fatal("flaky: first run fails")
		}
	})
	t.Run("a", func(t *testing.T) {
		ran("alpha.paths.a")
		t.Run("c", func(t *testing.T) { ran("alpha.paths.a.c") })
	})
	t.Run("plain", func(t *testing.T) { ran("alpha.paths.plain") })
}

func TestShared(t *testing.T) { ran("alpha.shared") }
