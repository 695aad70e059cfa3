package curlcmd

import (
	"errors"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/ssemon/ssemon/client"
)

func TestBuild(t *testing.T) {
	cases := []struct {
		name   string
		c      client.ChannelConfig
		reveal bool
		want   string
	}{
		{"plain GET", client.ChannelConfig{URL: "http://127.0.0.1:8080/api/stream/deploy"}, false,
			"curl -N \\\n  -H 'Accept: text/event-stream' \\\n  -H 'Cache-Control: no-cache' \\\n  http://127.0.0.1:8080/api/stream/deploy"},
		{"secrets as variables", client.ChannelConfig{URL: "https://bob:pw@api.example.com/v1/stream?model=x&api_key=k3y",
			Method: "POST", Body: `{"q":"it's"}`, LastEventID: "41", Insecure: true, CAFile: "/etc/ca.pem",
			Headers: []client.Header{{Name: "Authorization", Value: "Bearer s3cret"}, {Name: "X-Api-Key", Value: "abc"}, {Name: "X-Trace", Value: "a$b"}}}, false,
			"curl -N \\\n  -H \"Authorization: Bearer $AUTHORIZATION\" \\\n  -H \"X-Api-Key: $X_API_KEY\" \\\n  -H 'X-Trace: a$b' \\\n" +
				"  -H 'Accept: text/event-stream' \\\n  -H 'Cache-Control: no-cache' \\\n  -H 'Last-Event-ID: 41' \\\n" +
				"  --data-raw '{\"q\":\"it'\\''s\"}' \\\n  -k \\\n  --cacert /etc/ca.pem \\\n  \"https://bob:$PASSWORD@api.example.com/v1/stream?model=x&api_key=$API_KEY\""},
		{"revealed", client.ChannelConfig{URL: "http://h/s?token=t0k", Method: "PUT",
			Headers: []client.Header{{Name: "Authorization", Value: "Bearer s3cret"}, {Name: "Accept", Value: "text/event-stream"}}}, true,
			"curl -N \\\n  -X PUT \\\n  -H 'Authorization: Bearer s3cret' \\\n  -H 'Accept: text/event-stream' \\\n  -H 'Cache-Control: no-cache' \\\n  'http://h/s?token=t0k'"},
		{"workspace references stay references", client.ChannelConfig{URL: "http://h/s",
			Headers: []client.Header{{Name: "Authorization", Value: "Bearer ${TOKEN}"}}}, false,
			"curl -N \\\n  -H \"Authorization: Bearer ${TOKEN}\" \\\n  -H 'Accept: text/event-stream' \\\n  -H 'Cache-Control: no-cache' \\\n  http://h/s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Build(c.c, c.reveal)
			if got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// TestBuildShell runs the built commands through a real shell (echoing the
// words instead of running curl): the words are the request, the
// variables expand.
func TestBuildShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	c := client.ChannelConfig{URL: "http://h/s?api_key=k", Method: "POST", Body: "a 'b' \"c\" $d `e` \\f",
		Headers: []client.Header{{Name: "Authorization", Value: "Bearer s3cret"}}}
	cmd := Build(c, false)
	script := "curl() { for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }\n" + cmd
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	_ = out
	env := []string{"AUTHORIZATION=tok", "API_KEY=kk"}
	run := exec.Command(sh, "-c", script)
	run.Env = append(os.Environ(), env...)
	out, err = run.Output()
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{"-N", "-H", "Authorization: Bearer tok", "-H", "Accept: text/event-stream", "-H", "Cache-Control: no-cache",
		"--data-raw", c.Body, "http://h/s?api_key=kk"}
	if !reflect.DeepEqual(words, want) {
		t.Fatalf("shell words\n%q\nwant\n%q", words, want)
	}
	// And back: the command, parsed, is the channel (secrets revealed).
	res, err := Parse(Build(c, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Name = "s"
	if !reflect.DeepEqual(res.Channel, c) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", res.Channel, c)
	}
}

func TestParse(t *testing.T) {
	files := map[string]string{"prompt.json": "{\"q\":\n1}\n"}
	readFile := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return []byte(b), nil
		}
		return nil, os.ErrNotExist
	}
	cases := []struct {
		name    string
		cmd     string
		want    client.ChannelConfig
		ignored []string
	}{
		{"simple", "curl -N http://127.0.0.1:8080/api/stream/deploy",
			client.ChannelConfig{Name: "deploy", URL: "http://127.0.0.1:8080/api/stream/deploy"}, []string{"-N"}},
		{"no scheme, combined flags", "curl -sNk localhost:8080/x/",
			client.ChannelConfig{Name: "x", URL: "http://localhost:8080/x/", Insecure: true}, []string{"-s", "-N"}},
		{"POST with headers over lines", "curl -X POST \\\n  -H 'Authorization: Bearer abc' \\\n  -H \"Content-Type: application/json\" \\\n  --data-raw '{\"model\":\"m\"}' \\\n  https://llm.example.com/v1/chat",
			client.ChannelConfig{Name: "chat", URL: "https://llm.example.com/v1/chat", Method: "POST", Body: `{"model":"m"}`,
				Headers: []client.Header{{Name: "Authorization", Value: "Bearer abc"}, {Name: "Content-Type", Value: "application/json"}}}, nil},
		{"data implies POST, @file", "curl -d @prompt.json http://h/s",
			client.ChannelConfig{Name: "s", URL: "http://h/s", Method: "POST", Body: `{"q":1}`}, nil},
		{"binary data keeps newlines", "curl --data-binary @prompt.json http://h/s",
			client.ChannelConfig{Name: "s", URL: "http://h/s", Method: "POST", Body: "{\"q\":\n1}\n"}, nil},
		{"attached values, user, cacert, last id", "curl -HX-A:1 -dfoo -u bob:pw --cacert ca.pem -H 'Last-Event-ID: 41' -H 'Accept: text/event-stream' http://h/s",
			client.ChannelConfig{Name: "s", URL: "http://h/s", Method: "POST", Body: "foo", LastEventID: "41", CAFile: "ca.pem",
				Headers: []client.Header{{Name: "X-A", Value: "1"}, {Name: "Authorization", Value: "Basic Ym9iOnB3"}}}, nil},
		{"browser copy as cURL (bash)", "curl 'https://app.example.com/api/events' \\\n  -H 'accept: text/event-stream' \\\n  -H $'cookie: sid=a\\'b' \\\n  --compressed",
			client.ChannelConfig{Name: "events", URL: "https://app.example.com/api/events", Headers: []client.Header{{Name: "cookie", Value: "sid=a'b"}}}, []string{"--compressed"}},
		{"Windows cmd continuation", "curl \"http://h/s\" ^\n  -H \"X-A: 1\" ^\n  -X GET",
			client.ChannelConfig{Name: "s", URL: "http://h/s", Headers: []client.Header{{Name: "X-A", Value: "1"}}}, nil},
		{"options of no use are skipped with their value", "curl -m 10 --connect-timeout=5 -o out.txt -L http://h/s",
			client.ChannelConfig{Name: "s", URL: "http://h/s"}, []string{"-m 10", "--connect-timeout 5", "-o out.txt", "-L"}},
		{"url-encoded data", "curl --data-urlencode 'q=a b&c' http://h/s",
			client.ChannelConfig{Name: "s", URL: "http://h/s", Method: "POST", Body: "q=a+b%26c"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Parse(c.cmd, readFile)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Channel, c.want) || !reflect.DeepEqual(res.Ignored, c.ignored) {
				t.Fatalf("got %+v ignored %q\nwant %+v ignored %q", res.Channel, res.Ignored, c.want, c.ignored)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{"curl", "no URL"},
		{"curl -H", "-H needs a value"},
		{"curl 'http://h/s", "' is not closed"},
		{"curl -H NoColon http://h/s", "want 'Name: value'"},
		{"curl --frobnicate http://h/s", "unknown option --frobnicate"},
		{"curl ftp://h/s", "bad URL"},
		{"curl http://a/1 http://b/2", "two URLs"},
		{"curl -d @missing.json http://h/s", "cannot read the file"},
	} {
		_, err := Parse(c.cmd, func(string) ([]byte, error) { return nil, os.ErrNotExist })
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want a ParseError with %q", c.cmd, err, c.want)
		}
	}
}
