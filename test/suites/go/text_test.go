package samples

import (
	"strings"
	"testing"
)

func TestJoin(t *testing.T) {
	ran("text.join")
	if got := Join([]string{"a", "b"}); got != "a-b" {
		t.Fatalf("Join = %q, want a-b", got)
	}
}

func TestUpper(t *testing.T) {
	ran("text.upper")
	if got := strings.ToUpper("abc"); got != "ABC" {
		t.Fatalf("ToUpper = %q, want ABC", got)
	}
}

func TestReconnects(t *testing.T) {
	ran("text.flaky")
	if firstRun("text.flaky") {
		t.Fatal("connection dropped")
	}
}

// Go rewrites subtest names (spaces become underscores); no '/' since that separates subtest levels.
func TestHostile(t *testing.T) {
	t.Run(`hostile "double" 'single' [param-1] ünïcødé ✓ .*+?^$()|{}\`, func(t *testing.T) {
		ran("text.hostile")
		if firstRun("text.hostile") {
			t.Fatal("connection dropped")
		}
	})
}
