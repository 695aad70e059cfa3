package ui

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// TestPasteCurl: a pasted curl command fills the add form — URL, name,
// method, headers (replacing the form's), body, TLS options — and what the
// form cannot hold is said; a bad command leaves the form alone.
func TestPasteCurl(t *testing.T) {
	test.NewTempApp(t)
	f := newChannelForm(nil, client.ChannelConfig{Headers: []client.Header{{Name: "X-Old", Value: "1"}}}, false)
	cmd := "curl -N -X POST 'https://llm.example.com/v1/chat' \\\n  -H 'Authorization: Bearer ${TOKEN}' \\\n  -H 'Last-Event-ID: 41' \\\n  --data-raw '{\"q\":1}' -k --cacert ca.pem --compressed"
	if err := f.applyCurl(cmd, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	if f.url.Text != "https://llm.example.com/v1/chat" || f.name.Text != "chat" || f.method.Selected != "POST" || f.body.Text != `{"q":1}` ||
		!f.insecure.Checked || f.caFile.Text != "ca.pem" || len(f.headers) != 1 || f.headers[0].name.Text != "Authorization" || f.headers[0].value.Text != "Bearer ${TOKEN}" {
		t.Fatalf("form: url %q name %q method %q body %q insecure %v ca %q headers %d", f.url.Text, f.name.Text, f.method.Selected, f.body.Text, f.insecure.Checked, f.caFile.Text, len(f.headers))
	}
	if !strings.Contains(f.status.Text, "Last-Event-ID (41)") || !strings.Contains(f.status.Text, "--compressed") {
		t.Fatalf("status %q", f.status.Text)
	}
	// The form reads back as the channel.
	if err := f.applyCurl("curl -X DELETE http://h/s", nil); err != nil {
		t.Fatal(err)
	}
	if f.method.Selected != "DELETE" || len(f.headers) != 0 || f.body.Text != "" || f.insecure.Checked {
		t.Fatalf("second paste: method %q headers %d body %q", f.method.Selected, len(f.headers), f.body.Text)
	}
	if err := f.applyCurl("curl 'http://h/s", nil); err == nil || f.url.Text != "http://h/s" {
		t.Fatalf("bad command: err %v, url %q", err, f.url.Text)
	}
}
