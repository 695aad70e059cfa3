package tail

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	if err := os.WriteFile(bodyFile, []byte(`{"q":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	u := "http://127.0.0.1:8080/api/stream/deploy"
	cases := []struct {
		name  string
		args  []string
		stdin string
		check func(t *testing.T, o *Options)
	}{
		{"one URL", []string{u}, "", func(t *testing.T, o *Options) {
			if len(o.Targets) != 1 || o.Targets[0].Name != "deploy" || o.Targets[0].URL != u || o.Targets[0].Method != "" || o.Color != ColorAuto {
				t.Fatalf("%+v", o.Targets)
			}
		}},
		{"flags after URLs, curl style", []string{u, "-H", "X-A: 1", "--max-events", "3", "logs=" + u, "--json"}, "", func(t *testing.T, o *Options) {
			if len(o.Targets) != 2 || o.MaxEvents != 3 || !o.JSON {
				t.Fatalf("%+v", o)
			}
			for _, tg := range o.Targets {
				if tg.Headers.Get("X-A") != "1" {
					t.Fatalf("header not applied to %s: %v", tg.Name, tg.Headers)
				}
			}
			if o.Targets[1].Name != "logs" {
				t.Fatalf("names %q %q", o.Targets[0].Name, o.Targets[1].Name)
			}
		}},
		{"names made unique", []string{u, u, u + "/"}, "", func(t *testing.T, o *Options) {
			var got []string
			for _, tg := range o.Targets {
				got = append(got, tg.Name)
			}
			if !reflect.DeepEqual(got, []string{"deploy", "deploy-2", "deploy-3"}) {
				t.Fatalf("names %v", got)
			}
		}},
		{"host name when no path", []string{"http://127.0.0.1:9/"}, "", func(t *testing.T, o *Options) {
			if o.Targets[0].Name != "127.0.0.1" {
				t.Fatalf("name %q", o.Targets[0].Name)
			}
		}},
		{"data implies POST", []string{"-d", "hello", u}, "", func(t *testing.T, o *Options) {
			if tg := o.Targets[0]; tg.Method != http.MethodPost || string(tg.Body) != "hello" {
				t.Fatalf("%+v", tg)
			}
		}},
		{"data from file, explicit method", []string{"-X", "PUT", "-d", "@" + bodyFile, u}, "", func(t *testing.T, o *Options) {
			if tg := o.Targets[0]; tg.Method != "PUT" || string(tg.Body) != `{"q":1}` {
				t.Fatalf("%+v", tg)
			}
		}},
		{"data from stdin", []string{"--data", "@-", u}, "from stdin", func(t *testing.T, o *Options) {
			if string(o.Targets[0].Body) != "from stdin" {
				t.Fatalf("%q", o.Targets[0].Body)
			}
		}},
		{"filters and connection flags", []string{"--event", "a,b", "--event", "c", "--grep", "fail(ed)?", "--retry", "2s", "--stall", "-1s",
			"--no-reconnect", "-k", "--last-event-id", "41", "--timeout", "1m", "--max-event-size", "1024", u}, "", func(t *testing.T, o *Options) {
			tg := o.Targets[0]
			if !reflect.DeepEqual(o.Events, []string{"a", "b", "c"}) || !o.Grep.MatchString("failed") || tg.Retry != 2*time.Second ||
				tg.StallTimeout != -time.Second || !o.NoReconnect || !tg.Insecure || tg.LastEventID != "41" || o.Timeout != time.Minute || tg.MaxEventBytes != 1024 {
				t.Fatalf("%+v %+v", o, tg)
			}
		}},
		{"-- ends flags", []string{"--", u}, "", func(t *testing.T, o *Options) {
			if len(o.Targets) != 1 {
				t.Fatalf("%+v", o.Targets)
			}
		}},
		{"curl habits: combined short flags and attached values", []string{"-vkH", "X-A: 1", "-HX-B: 2", "-dfoo", "-m5", "-sN", u}, "", func(t *testing.T, o *Options) {
			tg := o.Targets[0]
			if !o.Verbose || !tg.Insecure || tg.Headers.Get("X-A") != "1" || tg.Headers.Get("X-B") != "2" || string(tg.Body) != "foo" ||
				tg.Method != http.MethodPost || o.Timeout != 5*time.Second || !o.Silent {
				t.Fatalf("%+v %+v", o, tg)
			}
		}},
		{"a value that looks like a flag stays a value", []string{"--stall", "-1s", "-d", "-vk", u}, "", func(t *testing.T, o *Options) {
			if tg := o.Targets[0]; tg.StallTimeout != -time.Second || string(tg.Body) != "-vk" || o.Verbose {
				t.Fatalf("%+v %+v", o, tg)
			}
		}},
		{"default scheme http://", []string{"localhost:8080/x", "b=127.0.0.1:9/y", "//h/z"}, "", func(t *testing.T, o *Options) {
			var got []string
			for _, tg := range o.Targets {
				got = append(got, tg.Name+" "+tg.URL)
			}
			want := []string{"x http://localhost:8080/x", "b http://127.0.0.1:9/y", "z http://h/z"}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		}},
		{"curl's timeouts: seconds or durations, --max-time alias", []string{"--connect-timeout", "2.5", "--max-time", "1m", "--max-events", "3", u}, "", func(t *testing.T, o *Options) {
			if tg := o.Targets[0]; tg.ConnectTimeout != 2500*time.Millisecond || o.Timeout != time.Minute || o.Expect != 3 {
				t.Fatalf("%+v %+v", o, tg)
			}
		}},
		{"max-events alone expects nothing", []string{"--max-events", "3", u}, "", func(t *testing.T, o *Options) {
			if o.Expect != 0 {
				t.Fatalf("expect %d", o.Expect)
			}
		}},
		{"explicit expect", []string{"--expect", "2", "--max-events", "5", "--timeout=3s", u}, "", func(t *testing.T, o *Options) {
			if o.Expect != 2 || o.MaxEvents != 5 || o.Timeout != 3*time.Second {
				t.Fatalf("%+v", o)
			}
		}},
		{"basic auth and user agent", []string{"-u", "bob:pw", "-A", "probe/1", u}, "", func(t *testing.T, o *Options) {
			if h := o.Targets[0].Headers; h.Get("Authorization") != "Basic Ym9iOnB3" || h.Get("User-Agent") != "probe/1" {
				t.Fatalf("%v", h)
			}
		}},
		{"help", []string{"--help"}, "", func(t *testing.T, o *Options) {
			if !o.Help {
				t.Fatal("Help not set")
			}
		}},
		{"version", []string{"--version"}, "", func(t *testing.T, o *Options) {
			if !o.Version {
				t.Fatal("Version not set")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := Parse(c.args, strings.NewReader(c.stdin), nil)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, o)
		})
	}
}

func TestParseErrors(t *testing.T) {
	u := "http://127.0.0.1:8080/s"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no URL", nil, "no URL given"},
		{"unknown short flag in a cluster", []string{"-vz", u}, "unknown flag -z (in -vz"},
		{"unknown long flag", []string{"--frob", u}, "unknown flag --frob"},
		{"missing value", []string{u, "-H"}, "-H needs a value"},
		{"bare number with a unit typo", []string{"--max-time", "3 s", u}, `--max-time: "3 s" is not a duration; use e.g. 500ms, 3s, 2m`},
		{"bad whole number", []string{"--max-events", "ten", u}, `--max-events: "ten" is not a whole number`},
		{"user without password", []string{"-u", "bob", u}, "want USER:PASSWORD"},
		{"negative connect timeout", []string{"--connect-timeout", "-1", u}, "--connect-timeout must not be negative"},
		{"bad scheme", []string{"ftp://h/s"}, `scheme "ftp" is not supported`},
		{"no host", []string{"http:///s"}, "no host"},
		{"unparsable", []string{"http://h/%zz"}, "bad URL"},
		{"bad header", []string{"-H", "NoColon", u}, "want 'Name: value'"},
		{"bad regexp", []string{"--grep", "(", u}, "not a valid regular expression"},
		{"bad color", []string{"--color", "sometimes", u}, "--color must be"},
		{"unknown flag", []string{"--frobnicate", u}, "frobnicate"},
		{"bad duration", []string{"--timeout", "soon", u}, `--timeout: "soon" is not a duration; use e.g. 500ms, 3s, 2m`},
		{"negative max", []string{"--max-events", "-1", u}, "must not be negative"},
		{"missing body file", []string{"-d", "@/nonexistent/body", u}, "cannot read the file"},
		{"missing workspace", []string{"--workspace", "/nonexistent/ws.json"}, "workspace"},
		{"duplicate names", []string{"a=" + u, "a=" + u + "2"}, `two streams are named "a"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.args, nil, nil)
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a *UsageError containing %q", err, c.want)
			}
		})
	}
}

func TestParseWorkspace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	ws := `{"version":1,"channels":[
	  {"name":"deploy","url":"http://127.0.0.1:8080/api/stream/deploy","headers":[{"name":"Authorization","value":"Bearer ${TOKEN}"}],"eventTypes":["status_update"],"retry":"2s","connectTimeout":"5s","maxBackoff":"1m","maxRedirects":3,"maxLineBytes":4096,"maxEventBytes":8192},
	  {"name":"llm","url":"http://127.0.0.1:8080/api/stream/llm","method":"POST","body":"{\"cost\":\"$${literal}\"}","stallTimeout":"off"}
	]}`
	if err := os.WriteFile(path, []byte(ws), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TOKEN": "s3cret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o, err := Parse([]string{"--workspace", path, "-H", "X-Extra: 1", "extra=http://127.0.0.1:8080/x"}, nil, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Targets) != 3 {
		t.Fatalf("%d targets", len(o.Targets))
	}
	d, l := o.Targets[0], o.Targets[1]
	if d.Name != "deploy" || d.Headers.Get("Authorization") != "Bearer s3cret" || d.Headers.Get("X-Extra") != "1" ||
		!reflect.DeepEqual(d.EventTypes, []string{"status_update"}) || d.Retry != 2*time.Second ||
		d.ConnectTimeout != 5*time.Second || d.MaxBackoff != time.Minute || d.MaxRedirects != 3 || d.MaxEventBytes != 8192 {
		t.Fatalf("deploy: %+v", d)
	}
	if l.Method != "POST" || string(l.Body) != `{"cost":"${literal}"}` || l.StallTimeout >= 0 {
		t.Fatalf("llm: %+v body %s", l, l.Body)
	}
	delete(env, "TOKEN")
	if _, err := Parse([]string{"--workspace", path}, nil, lookup); err == nil || !strings.Contains(err.Error(), "TOKEN is not set") {
		t.Fatalf("unset variable: %v", err)
	}
}
