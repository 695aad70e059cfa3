//go:build !unix

package main

// withFyneCache does nothing where a process cannot replace itself: Fyne's
// default cache time (1 minute) applies; set FYNE_CACHE=10s to shorten it.
func withFyneCache() {}
