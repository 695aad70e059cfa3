package client

import (
	"testing"
	"unicode/utf8"
)

// whatwgUTF8Decode is the WHATWG Encoding standard's UTF-8 decoder written
// out step by step (§ 8.1.1 "UTF-8 decoder", with the end-of-queue step), as
// the reference for appendUTF8Decode.
func whatwgUTF8Decode(in []byte) []rune {
	var out []rune
	codePoint, bytesSeen, bytesNeeded := rune(0), 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; ; i++ {
		if i == len(in) {
			if bytesNeeded != 0 {
				out = append(out, utf8.RuneError)
			}
			return out
		}
		b := in[i]
		if bytesNeeded == 0 {
			switch {
			case b <= 0x7F:
				out = append(out, rune(b))
			case b >= 0xC2 && b <= 0xDF:
				bytesNeeded = 1
				codePoint = rune(b & 0x1F)
			case b >= 0xE0 && b <= 0xEF:
				if b == 0xE0 {
					lower = 0xA0
				}
				if b == 0xED {
					upper = 0x9F
				}
				bytesNeeded = 2
				codePoint = rune(b & 0xF)
			case b >= 0xF0 && b <= 0xF4:
				if b == 0xF0 {
					lower = 0x90
				}
				if b == 0xF4 {
					upper = 0x8F
				}
				bytesNeeded = 3
				codePoint = rune(b & 0x7)
			default:
				out = append(out, utf8.RuneError)
			}
			continue
		}
		if b < lower || b > upper {
			codePoint, bytesNeeded, bytesSeen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			i-- // restore the byte to the stream
			out = append(out, utf8.RuneError)
			continue
		}
		lower, upper = 0x80, 0xBF
		codePoint = codePoint<<6 | rune(b&0x3F)
		bytesSeen++
		if bytesSeen != bytesNeeded {
			continue
		}
		out = append(out, codePoint)
		codePoint, bytesNeeded, bytesSeen = 0, 0, 0
	}
}

var utf8Cases = []struct{ in, want string }{
	{"", ""},
	{"plain ASCII", "plain ASCII"},
	{"ok\u2026 \U0001F600 \u00e9", "ok\u2026 \U0001F600 \u00e9"},
	{"\xF0\x9F\x98A", "\uFFFDA"},           // truncated sequence: one U+FFFD
	{"\xC0\x80", "\uFFFD\uFFFD"},           // C0 never starts a sequence
	{"\xC1\xBF", "\uFFFD\uFFFD"},           // nor C1
	{"\xE0\x80\x80", "\uFFFD\uFFFD\uFFFD"}, // overlong 3-byte
	{"\xE0\xA0\x80", "\u0800"},             // smallest 3-byte
	{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate
	{"\xED\x9F\xBF", "\uD7FF"},             // last before surrogates
	{"\xF0\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	{"\xF0\x90\x80\x80", "\U00010000"},
	{"\xF4\x8F\xBF\xBF", "\U0010FFFF"},
	{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
	{"\xF5\x80", "\uFFFD\uFFFD"},
	{"\xFF\xFE", "\uFFFD\uFFFD"},
	{"\x80", "\uFFFD"},
	{"a\xE2\x82", "a\uFFFD"}, // truncated at the end
	{"\xE2\x82\xE2\x82\xAC", "\uFFFD\u20AC"},
	{"\xF0\x9F\x98\xF0\x9F\x98\x80", "\uFFFD\U0001F600"},
	{"\xE2\x41", "\uFFFDA"},
}

func TestAppendUTF8Decode(t *testing.T) {
	for _, tc := range utf8Cases {
		got := string(appendUTF8Decode([]byte("prefix:"), []byte(tc.in)))
		if got != "prefix:"+tc.want {
			t.Errorf("%+q: got %+q, want %+q", tc.in, got[len("prefix:"):], tc.want)
		}
		if ref := string(whatwgUTF8Decode([]byte(tc.in))); ref != tc.want {
			t.Errorf("%+q: reference gives %+q, table says %+q", tc.in, ref, tc.want)
		}
	}
}

func FuzzAppendUTF8Decode(f *testing.F) {
	for _, tc := range utf8Cases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := appendUTF8Decode(nil, in)
		if want := string(whatwgUTF8Decode(in)); string(got) != want {
			t.Fatalf("%+q: got %+q, want %+q", in, got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%+q: output not valid UTF-8", in)
		}
		if utf8.Valid(in) && string(got) != string(in) {
			t.Fatalf("%+q: valid input changed", in)
		}
	})
}
