// Package tail is the engine of ssemon-tail, SSE Monitor's terminal client:
// it parses the command line, runs one client.Stream per URL (the same
// engine as the GUI), prints events, comments and connection states as
// human-readable lines or JSON Lines, filters them, records the session in
// the format of package record, and maps how the session ended to an exit
// code.
//
// The package never imports a UI toolkit. cmd/ssemon-tail only calls Main.
package tail
