package ui

import (
	"strconv"
	"strings"

	"github.com/ssemon/ssemon/client"
)

// Anomalies of a channel: what its ids say went wrong (gaps, lost and
// reset notices, restarts, duplicates, ids going backwards) and ids that
// cannot serve to resume. Each is marked on its row of the event log, on
// the detail timeline, and counted by the detail view's anomalies button,
// which filters the log to them.

// isAnomaly reports whether rec is an anomalous event, or the report of
// an oversized one (skipped).
func isAnomaly(rec *client.Record) bool {
	switch rec.Kind {
	case client.RecordOversized:
		return true
	case client.RecordEvent:
		return rec.Finding.Kind != client.FindingNone || rec.InvalidID || rec.Gap > 0 || rec.Duplicate
	}
	return false
}

// markTone is how a row's marker is coloured.
type markTone uint8

const (
	toneNone    markTone = iota
	toneWarning          // gaps, duplicates and the like
	toneError            // an id that cannot serve to resume
	toneState            // a connection opened (the state's colour)
)

// recordMark is the marker column of a log row: the event's finding
// ("gap 5", "lost 12", "reset", "restart", "dup", "backwards"), "bad id",
// "oversized" for an event skipped, or for an opened connection that
// resumed, "resumed".
func recordMark(rec *client.Record) (string, markTone) {
	switch rec.Kind {
	case client.RecordOversized:
		return "oversized", toneError
	case client.RecordEvent:
	case client.RecordState:
		if rec.Type == client.Open.String() && rec.ID != "" {
			return "resumed", toneState
		}
		return "", toneNone
	default:
		return "", toneNone
	}
	switch rec.Finding.Kind {
	case client.FindingGap:
		return "gap " + strconv.FormatInt(rec.Finding.Missed, 10), toneWarning
	case client.FindingLost:
		return "lost " + strconv.FormatInt(rec.Finding.Missed, 10), toneWarning
	case client.FindingReset, client.FindingRestart, client.FindingBackwards:
		return rec.Finding.Kind.String(), toneWarning
	case client.FindingDuplicate:
		return "dup", toneWarning
	}
	switch {
	case rec.InvalidID:
		return "bad id", toneError
	case rec.Gap > 0: // a record without a finding (an older recording)
		return "gap " + strconv.FormatInt(rec.Gap, 10), toneWarning
	case rec.Duplicate:
		return "dup", toneWarning
	}
	return "", toneNone
}

// recordAnomalyText says in one line what is anomalous about rec ("" for
// nothing): the finding's words and, for an unusable id, why.
func recordAnomalyText(rec *client.Record) string {
	var parts []string
	if o := rec.Oversized; o != nil {
		parts = append(parts, o.String())
	}
	if s := rec.Finding.String(); s != "" {
		parts = append(parts, s)
	} else if rec.Gap > 0 {
		parts = append(parts, "gap: "+strconv.FormatInt(rec.Gap, 10)+plural(uint64(rec.Gap), " event", " events")+" missing")
	} else if rec.Duplicate {
		parts = append(parts, "duplicate: id "+rec.ID+" again")
	}
	if rec.InvalidID {
		parts = append(parts, "invalid id "+strconv.Quote(rec.ID)+": "+client.IDProblem(rec.ID))
	}
	return strings.Join(parts, " · ")
}

// anomalyTotal counts a channel's anomalies since its counters started:
// those of its events (which the log marks) and those of its wire format
// (framing, oversized events), which leave no record.
func anomalyTotal(st *client.Stats) uint64 {
	return st.Gaps + st.Duplicates + st.InvalidIDs + st.Framing.Total() + st.Oversized
}
