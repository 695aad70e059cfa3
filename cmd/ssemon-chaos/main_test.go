package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/hostile"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-run", "nope"}, `unknown scenario "nope"`},
		{[]string{"-channels", "0"}, "-channels: 0 is not between 1 and 1000"},
		{[]string{"-resumes", "9999"}, "-resumes: 9999"},
		{[]string{"-duration", "-1s"}, "must be positive"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-run", "soak", "-demo", "/nonexistent/ssemon-demo"}, "-demo:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestRunHostileTable runs the hostile scenario (it needs no demo server)
// and checks the table lists every case as holding.
func TestRunHostileTable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-run", "hostile"}, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	table := out.String()
	for _, c := range hostile.Cases() {
		found := false
		for line := range strings.SplitSeq(table, "\n") {
			if strings.HasPrefix(line, "| "+c.Sends+" |") {
				found = true
				if !strings.HasSuffix(line, "| yes |") {
					t.Errorf("%s does not hold: %s", c.Name, line)
				}
			}
		}
		if !found {
			t.Errorf("no row for %s in:\n%s", c.Name, table)
		}
	}
}
