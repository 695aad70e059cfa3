package tail

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture reads a model-stream fixture of package transcript.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "transcript", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTranscript(t *testing.T) {
	for _, tt := range []struct {
		name, fixture, stdout string
		stderr                []string
	}{
		{"openai", "openai-chat.sse", "Let me check.\n", []string{
			"The user wants the weather.",
			"── openai · run 1 · OpenAI chat completions · gpt-demo · finish tool_calls\n" +
				"tool call get_weather (call_1)\n{\n  \"city\": \"Paris\",\n  \"unit\": \"c\"\n}\n" +
				"usage: in 12 · out 9 (reasoning 4) tokens\nTTFB ",
		}},
		{"anthropic", "anthropic-error.sse", "Partial\n", []string{
			"── anthropic · run 1 · Anthropic Messages · claude-demo · error: overloaded_error: Overloaded\n",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs := sseServer(t, fixture(t, tt.fixture))
			r := start(t, []string{"--transcript", "--no-reconnect", "--color", "never", tt.name + "=" + hs.URL}, Env{})
			res := r.wait(t)
			if res.code != ExitOK || res.stdout != tt.stdout {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", res.code, res.stdout, res.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
		})
	}
}

// The summary's longest stall counts the silence between the last chunk
// and the cut, as the window's Transcript tab does (one Assembler).
func TestTranscriptStallBeforeACut(t *testing.T) {
	events := strings.SplitAfter(fixture(t, "openai-chat.sse"), "\n\n")[:5] // up to "check.", no finish
	cut := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, strings.Join(events, ""))
		w.(http.Flusher).Flush()
		select { // then silence, then the connection ends
		case <-cut:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hs.Close)
	r := start(t, []string{"--transcript", "--no-reconnect", "--color", "never", "openai=" + hs.URL}, Env{})
	r.stdout.waitFor(t, "Let me check.")
	r.fake.Advance(7 * time.Second) // below the stall timeout
	close(cut)
	res := r.wait(t)
	if !strings.Contains(res.stderr, "longest stall 7 s") {
		t.Fatalf("exit %d, stderr lacks the 7 s silence before the cut:\n%s", res.code, res.stderr)
	}
}

func TestTranscriptFallsBack(t *testing.T) {
	// A stream of another shape is printed as usual, even when it ends
	// before the detection window.
	hs := sseServer(t, fixture(t, "unknown.sse"))
	r := start(t, []string{"--transcript", "--no-reconnect", "--color", "never", hs.URL}, Env{})
	res := r.wait(t)
	if res.code != ExitOK || !strings.Contains(res.stdout, "status_update") || !strings.Contains(res.stdout, "plain text line") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
}

func TestModelOptions(t *testing.T) {
	if _, err := Parse([]string{"--transcript", "--json", "http://127.0.0.1:1/"}, nil, nil); err == nil {
		t.Error("--transcript --json accepted")
	}
	if _, err := Parse([]string{"--format", "xml", "http://127.0.0.1:1/"}, nil, nil); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("--format xml: %v", err)
	}
	o, err := Parse([]string{"--format", "ndjson", "--transcript", "http://127.0.0.1:1/"}, nil, nil)
	if err != nil || !o.Model.Transcript || o.Model.Format != "ndjson" {
		t.Errorf("%+v %v", o, err)
	}
}

// A method other than GET is a request, as in the window: its response's
// end ends it, unless --mode says otherwise.
func TestModeOfCommandLineTargets(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		once bool
	}{
		{"GET subscribes", nil, false},
		{"POST is a request", []string{"-d", "{}"}, true},
		{"POST with --transcript", []string{"-d", "{}", "--transcript"}, true},
		{"POST subscribed", []string{"-d", "{}", "--mode", "subscribe"}, false},
		{"GET as a request", []string{"--mode", "request"}, true},
		{"explicit method", []string{"-X", "PUT"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse(append(tc.args, "http://127.0.0.1:1/x"), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Targets[0].Once; got != tc.once {
				t.Errorf("Once = %v, want %v", got, tc.once)
			}
		})
	}
	if _, err := Parse([]string{"--mode", "often", "http://127.0.0.1:1/x"}, nil, nil); err == nil || !strings.Contains(err.Error(), "--mode must be request or subscribe") {
		t.Errorf("--mode often: %v", err)
	}
}
