package client

import (
	"errors"
	"io"
)

// framing returns the format of a response with Content-Type ct under the
// configured Format: FormatAuto when the response cannot be read as
// configured (a ContentTypeError).
func (s *Stream) framing(ct string) Format {
	switch s.cfg.Format {
	case FormatNDJSON:
		return FormatNDJSON // whatever the type: the user said so
	case FormatSSE:
		if FormatOf(ct) == FormatSSE {
			return FormatSSE
		}
		return FormatAuto
	}
	return FormatOf(ct)
}

// frames returns the frame reader of a response: the SSE decoder (which
// keeps the last event ID across connections) or the NDJSON decoder. Both
// report oversized events as FrameOversized.
func (s *Stream) frames(ct string, body io.Reader) func(*Frame) error {
	if s.framing(ct) == FormatNDJSON {
		if s.nd == nil {
			s.nd = NewNDJSONDecoder(body, s.cfg.Decoder)
		} else {
			s.nd.Reset(body)
		}
		return s.nd.next
	}
	s.dec.Reset(body)
	return s.dec.next
}

// finishRequest ends a request (StreamConfig.Once) whose response ended:
// Closed after a clean end, Failed with the reason otherwise. The run is
// over either way; it reports false when a Run again (Reconnect) is
// pending: Run then goes on with the next run.
func (s *Stream) finishRequest(out outcome) (error, bool) {
	end := s.stopAccepting()
	if errors.Is(out.err, ErrStreamEnded) {
		s.transition(Status{State: Closed, Err: out.err, Detail: "request complete: the response ended (Run again repeats it)"})
		return nil, end
	}
	s.log.Warn("request failed", "url", s.logURL, "err", out.err)
	s.transition(Status{State: Failed, Err: out.err, HTTPStatus: out.httpStatus, BodyPreview: out.body,
		Detail: out.err.Error() + " (a request: not retried; Run again repeats it)"})
	return out.err, end
}
