package client

import "unicode/utf8"

// appendUTF8Decode appends src to dst decoded the way the WHATWG Encoding
// standard's "UTF-8 decode" does, without BOM handling: every valid sequence
// is copied, and every maximal subpart of an ill-formed sequence becomes one
// U+FFFD. So "\xF0\x9F\x98" followed by "A" gives one U+FFFD then "A", and
// "\xC0\x80" gives two (0xC0 can never start a sequence). utf8.DecodeRune
// differs: it replaces one byte at a time.
//
// An ill-formed sequence cut short by the end of src gives one U+FFFD, as
// at the end of a stream. The event stream is decoded line by line, which is
// the same as decoding it whole because CR and LF are never continuation
// bytes.
func appendUTF8Decode(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		b := src[i]
		if b < utf8.RuneSelf {
			dst = append(dst, b)
			i++
			continue
		}
		// Number of continuation bytes needed and the range allowed for the
		// first of them (the rest are always 80..BF).
		var need int
		lo, hi := byte(0x80), byte(0xBF)
		switch {
		case b >= 0xC2 && b <= 0xDF:
			need = 1
		case b >= 0xE0 && b <= 0xEF:
			need = 2
			if b == 0xE0 {
				lo = 0xA0
			} else if b == 0xED {
				hi = 0x9F
			}
		case b >= 0xF0 && b <= 0xF4:
			need = 3
			if b == 0xF0 {
				lo = 0x90
			} else if b == 0xF4 {
				hi = 0x8F
			}
		default: // 80..C1, F5..FF: never a valid first byte
			dst = utf8.AppendRune(dst, utf8.RuneError)
			i++
			continue
		}
		j := i + 1
		for seen := 0; seen < need; seen++ {
			if j >= len(src) || src[j] < lo || src[j] > hi {
				break
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if j-i == need+1 {
			dst = append(dst, src[i:j]...)
		} else {
			// The maximal subpart src[i:j] is replaced; the byte that broke
			// it (if any) is decoded afresh.
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
		i = j
	}
	return dst
}

// utf8Prefix returns the length of the longest prefix of b that is valid
// UTF-8 made of whole characters, and whether what follows it starts with
// an ill-formed sequence (rather than being empty or a character cut short
// by the end of b).
func utf8Prefix(b []byte) (int, bool) {
	// Fast path: all valid but for a character cut short at the end.
	k := len(b)
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				k = j
			}
			break
		}
	}
	if utf8.Valid(b[:k]) {
		return k, false
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i, utf8.FullRune(b[i:])
		}
		i += size
	}
	return len(b), false
}
