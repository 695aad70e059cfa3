// Package ui is the desktop interface of SSE Monitor, built with Fyne.
//
// It shows every channel of a client.Manager as a tile on a dashboard (state
// in colour and words, progress with ETA, latest message, an events-per-second
// sparkline, last-event age, reconnects, gaps and duplicates) and one channel
// at a time in a detail view (transition timeline, statistics, the event log
// as a list over the engine's ring, JSON/raw inspection, export). It also
// hosts the add/edit dialog, workspace persistence, the demo server's
// scenarios and fault injections, presentation mode and notifications.
//
// The engine never waits for the interface: a Bridge polls snapshots on one
// ticker (30–60 Hz), works out which channels changed, and hands the result to
// the UI goroutine with a single fyne.Do per tick. This package is the only
// one that calls fyne.Do (App.Run turns a signal into a quit on the UI
// goroutine). It never imports fyne.io/fyne/v2/app: the caller
// creates the fyne.App and window and passes them in, so tests run on Fyne's
// in-memory test driver.
//
// It never imports the demo server either: the command passes a
// DemoStarter, and the app sees a DemoServer (its channels, its model
// endpoints with their requests, its heartbeat, fault injection), whether
// it runs in-process or as an ssemon-demo child process.
package ui
