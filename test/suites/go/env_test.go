package samples

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Environment contract of the sample suites (see ../README.md), Go side.

// ran appends key to $SAMPLE_STATE_DIR/ran.log in one O_APPEND write, so parallel tests never interleave.
func ran(key string) {
	dir := os.Getenv("SAMPLE_STATE_DIR")
	if dir == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, "ran.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(key + "\n")); err != nil {
		panic(err)
	}
}

// firstRun is true once per state dir: the marker is created with O_EXCL, so exactly one run sees it missing.
func firstRun(key string) bool {
	dir := os.Getenv("SAMPLE_STATE_DIR")
	if dir == "" {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, "flaky-"+key+".marker"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false
	}
	if err != nil {
		panic(err)
	}
	f.Close()
	return true
}

func requested(name string) bool { return os.Getenv(name) == "1" }
