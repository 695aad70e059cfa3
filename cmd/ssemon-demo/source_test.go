package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestSourceFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"streams without source", []string{"--streams", "team:*"}, "need --source"},
		{"publish-scenarios without source", []string{"--publish-scenarios"}, "need --source"},
		{"bad source", []string{"--source", "http://127.0.0.1:1"}, "Source"},
		{"scenarios not published", []string{"--source", "redis://127.0.0.1:1", "--seed", "3"}, "need --publish-scenarios"},
		{"faults with source", []string{"--source", "redis://127.0.0.1:1", "--fail-next", "deploy=503"}, "not with --source"},
		{"replay with source", []string{"--replay", "x.jsonl", "--source", "redis://127.0.0.1:1"}, "do not apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append(tc.args, "--listen", "127.0.0.1:0"), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"--help"}, &out, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"-source", "-streams", "-publish-scenarios", "ssemon-demo publish"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
