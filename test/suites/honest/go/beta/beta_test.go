package beta

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

// TestShared has the same name as alpha's; it fails on request (SAMPLE_FAIL=1).
func TestShared(t *testing.T) {
	ran("beta.shared")
	if os.Getenv("SAMPLE_FAIL") == "1" {
		t.Fatal("broken on request")
	}
}

func TestOther(t *testing.T) { ran("beta.other") }
