package client

import "strings"

// IDProblem says why an event id cannot serve to resume a stream, or ""
// when it can: "looks like a JavaScript bug" (NaN, undefined, null...),
// "is not valid UTF-8", "contains a control character (it cannot be sent
// back as a header)". The empty id is no problem (no id).
func IDProblem(id string) string {
	switch id {
	case "NaN", "undefined", "null", "[object Object]", "Infinity", "-Infinity":
		return "looks like a JavaScript bug"
	}
	if strings.ContainsRune(id, '\uFFFD') {
		return "is not valid UTF-8"
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c == 0x7f {
			return "contains a control character (it cannot be sent back as a header)"
		}
	}
	return ""
}
