package tail

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/record"
)

// TestRawLinesAnySplit: --raw prints the same lines wherever the reads
// split the body, a CRLF split between two reads included.
func TestRawLinesAnySplit(t *testing.T) {
	body := "\xef\xbb\xbf: hi\r\nid: 1\r\nevent: a\tb\r\n\r\ndata: x\rdata: y\r\r\nid: 2\ndata: z\n\ndata: cut\r"
	show := func(chunks ...string) string {
		var out bytes.Buffer
		w := &writer{out: bufio.NewWriter(&out), p: newHumanPrinter([]string{"s"}, time.UTC, false, false)}
		e := record.Entry{Channel: "s", Time: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		for _, c := range chunks {
			w.takeRaw(&item{e: e, raw: []byte(c)})
		}
		w.flushRaw(&e)
		w.out.Flush()
		return out.String()
	}
	want := show(body)
	for _, line := range []string{"id: 1␍␊\n", "data: x␍\n", "data: y␍\n", "␍␊\n", "data: cut␍\n"} {
		if !bytes.Contains([]byte(want), []byte(line)) {
			t.Fatalf("whole body: no line %q in\n%s", line, want)
		}
	}
	for i := 1; i < len(body); i++ {
		if got := show(body[:i], body[i:]); got != want {
			t.Fatalf("split at %d (%q | %q):\n%s\nwant\n%s", i, body[:i], body[i:], got, want)
		}
	}
	// One byte at a time.
	var bytesOne []string
	for i := range len(body) {
		bytesOne = append(bytesOne, body[i:i+1])
	}
	if got := show(bytesOne...); got != want {
		t.Fatalf("byte by byte:\n%s\nwant\n%s", got, want)
	}
}
