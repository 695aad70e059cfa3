package client

// Event is one dispatched server-sent event.
type Event struct {
	// ID is the stream's last event ID at dispatch time (the spec's
	// MessageEvent.lastEventId): the value of the most recent id field,
	// which persists across events that carry none.
	ID string
	// Type is the event type; "message" when the event had no event field
	// or an empty one.
	Type string
	// Data is the event's data lines joined with LF.
	Data string
}
