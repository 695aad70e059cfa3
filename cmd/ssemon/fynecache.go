//go:build unix

package main

import (
	"os"
	"syscall"
)

// fyneCache is how long Fyne keeps a texture (every distinct text drawn
// becomes one), a widget's renderer or a canvas entry after its last use:
// FYNE_CACHE, which Fyne reads once when its cache package initialises.
// Its default, 1 minute, keeps a minute of every text that changed: with
// the firehose's log open the window held about 45 MB of dead text
// textures in Mesa's software-rendered memory (docs/BENCHMARKS.md). Texts
// on screen are drawn every frame and never expire. Not shorter than 20 s:
// while nothing changes, Fyne walks the whole window to keep its caches
// alive every (FYNE_CACHE − 10 s), on every frame from 10 s down.
const fyneCache = "20s"

// withFyneCache starts ssemon again in its own process with FYNE_CACHE set
// when the environment does not set it: the variable must be there before
// Fyne initialises, which is before main runs. It returns only when that
// cannot be done; the app then runs with Fyne's default.
func withFyneCache() {
	if _, set := os.LookupEnv("FYNE_CACHE"); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "FYNE_CACHE="+fyneCache)
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure
}
