package client

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecoderCountsFramingAnomalies(t *testing.T) {
	const stream = "data: a\rdata: b\r\nfoo: x\nbar\nid: a\x00b\nretry: 1x\n\ufeffdata: c\n\n" +
		"data: well\r\n\r\n"
	want := FramingCounts{LoneCR: 1, Unknown: 2, NoColon: 1, NULInID: 1, BadRetry: 1}
	for _, tc := range []struct {
		name string
		r    func() io.Reader
	}{
		{"whole", func() io.Reader { return strings.NewReader(stream) }},
		{"byte by byte", func() io.Reader { return iotest.OneByteReader(strings.NewReader(stream)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.r(), DecoderConfig{})
			var data []string
			for {
				f, err := d.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if f.Kind == FrameEvent {
					data = append(data, f.Event.Data)
				}
			}
			if got := strings.Join(data, "|"); got != "a\nb|well" {
				t.Errorf("events %q: the anomalies must not change what is decoded", got)
			}
			if got := d.Framing(); got != want {
				t.Errorf("Framing() = %+v, want %+v", got, want)
			}
			d.Reset(strings.NewReader("data: x\r\r\n"))
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
			if got := d.Framing(); got.LoneCR != 2 || got.Total() != want.Total()+1 {
				t.Errorf("after Reset: %+v, want the counts kept and one more lone CR", got)
			}
		})
	}
}

func TestFramingCountsString(t *testing.T) {
	for _, tc := range []struct {
		f    FramingCounts
		want string
	}{
		{FramingCounts{}, ""},
		{FramingCounts{LoneCR: 3, Unknown: 1}, "3 lines end in a lone CR · 1 unknown field"},
		{FramingCounts{NoColon: 1, NULInID: 2, BadRetry: 1}, "1 line without a colon · 2 ids with NUL · 1 invalid retry"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
}
