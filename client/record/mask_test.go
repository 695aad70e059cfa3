package record

import (
	"net/http"
	"reflect"
	"testing"
)

func TestMaskHeaderValue(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"Authorization", "Bearer abc.def", "Bearer ***"},
		{"authorization", "Basic dXNlcjpwYXNz", "Basic ***"},
		{"Authorization", "rawtoken", "***"},
		{"Proxy-Authorization", "Bearer x", "Bearer ***"},
		{"Cookie", "session=abc; theme=dark", "session=***; theme=***"},
		{"Set-Cookie", "id=abc; Path=/; HttpOnly", "id=***; Path=/; HttpOnly"},
		{"X-Api-Key", "k123", "***"},
		{"X-Auth-Token", "t", "***"},
		{"Accept", "text/event-stream", "text/event-stream"},
		{"X-Request-Id", "42", "42"},
		{"Authorization", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			if got := MaskHeaderValue(c.name, c.value); got != c.want {
				t.Fatalf("MaskHeaderValue(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
			}
		})
	}
}

func TestMaskHeaders(t *testing.T) {
	in := http.Header{"Authorization": {"Bearer s3cret"}, "Accept": {"text/event-stream"}}
	got := MaskHeaders(in)
	want := http.Header{"Authorization": {"Bearer ***"}, "Accept": {"text/event-stream"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if in.Get("Authorization") != "Bearer s3cret" {
		t.Fatal("MaskHeaders changed its input")
	}
	if MaskHeaders(nil) != nil {
		t.Fatal("MaskHeaders(nil) != nil")
	}
}

func TestMaskURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:8080/api/stream/deploy", "http://127.0.0.1:8080/api/stream/deploy"},
		{"http://h/s?token=abc&x=1", "http://h/s?token=***&x=1"},
		{"http://h/s?x=1&access_token=abc&api_key=k&key=v&KEY=w", "http://h/s?x=1&access_token=***&api_key=***&key=***&KEY=***"},
		{"http://h/s?X-Amz-Signature=abc&X-Amz-Security-Token=t", "http://h/s?X-Amz-Signature=***&X-Amz-Security-Token=***"},
		{"http://h/s?monkey=banana&keys=2&token=", "http://h/s?monkey=banana&keys=2&token="},
		{"https://user:pa55@h/s", "https://user:***@h/s"},
		{"https://ghp_abc@h/s", "https://***@h/s"},
		{"http://h/cb#access_token=abc&state=1", "http://h/cb#access_token=***&state=1"},
		{"http://h/s?q=a%20b&token=x", "http://h/s?q=a%20b&token=***"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := MaskURL(c.in); got != c.want {
				t.Fatalf("MaskURL(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestMaskText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"no secrets here", "no secrets here"},
		{`Get "http://h/s?token=abc&x=1": EOF`, `Get "http://h/s?token=***&x=1": EOF`},
		{"stopped after 10 redirects (last to http://h/?api_key=k)", "stopped after 10 redirects (last to http://h/?api_key=***)"},
		{"Authorization: Bearer abc.def rest", "Authorization: Bearer *** rest"},
		{"basic dXNl", "basic ***"},
		{"dial http://u:p@h/x", "dial http://u:***@h/x"},
		{"a=b c=d", "a=b c=d"},
		{"email me@example.com", "email me@example.com"},
		{"bearer", "bearer"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := MaskText(c.in); got != c.want {
				t.Fatalf("MaskText(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
