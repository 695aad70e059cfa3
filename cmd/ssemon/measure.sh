#!/usr/bin/env bash
# measure.sh — CPU and memory of the real SSE Monitor window under Xvfb.
#
# Runs cases one after the other, each for DURATION seconds after WARMUP
# seconds, sampling the process once a second from /proc (CPU % of one core,
# RSS), and prints each case's CPU above the empty window's:
#   baseline  an empty Fyne window (the same Fyne version, same build flags)
#   demo      ssemon --demo: the demo dashboard (7 channels, the busiest at
#             1 000 events/s, the demo's charts and alert rules on)
#   hidden    ssemon --demo with its window unmapped (xdotool windowunmap),
#             as a minimised window: it should draw nothing
#   detail    ssemon --demo --show firehose: the firehose's detail view
#   load      ssemon with CHANNELS streams of RATE events/s each, every one
#             charting a field (a workspace with "charts"), for
#             LOAD_DURATION seconds; its last RSS is the RSS after that long
#   idle      ssemon with CHANNELS open streams that send nothing but
#             heartbeats (the demo server's "quiet" scenario)
#   firehose  ssemon with CHANNELS streams of RATE events/s each, no charts
#
# Usage: cmd/ssemon/measure.sh [baseline|demo|hidden|detail|load|idle|firehose]...
#        (default: baseline demo hidden detail load)
# Environment: CHANNELS=100 RATE=100 DURATION=60 WARMUP=10 LOAD_DURATION=600
# ROUNDS=1: with N > 1 the cases run N times, interleaved (all cases, then
# all again), and a summary gives per case the median over the rounds of
# its median CPU, of its CPU above the same round's empty window (when
# baseline is one of the cases) and of its median RSS, and its largest RSS.
# Each line ends with the 1-minute load average when the case ended: the
# machine's other work inflates every figure alike; on a shared machine
# prefer several short rounds to one long run.
# Needs: Xvfb, xdotool (hidden), and bin/ssemon built with exactly `go build -o bin/ssemon
# ./cmd/ssemon` (other flags redo the multi-minute cgo build).
set -euo pipefail

CHANNELS=${CHANNELS:-100}
RATE=${RATE:-100}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-10}
LOAD_DURATION=${LOAD_DURATION:-600}
ROUNDS=${ROUNDS:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

go build -o bin/ssemon ./cmd/ssemon # warm: seconds; never a stale binary
go build -o "$WORK/ssemon-demo" ./cmd/ssemon-demo

# The baseline: an empty Fyne window, built from a throw-away module that
# requires the same Fyne version (the cgo part comes from the build cache).
mkdir -p "$WORK/blank"
cat >"$WORK/blank/main.go" <<'GO'
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("dev.ssemon.baseline")
	w := a.NewWindow("Baseline")
	w.SetContent(widget.NewLabel("empty Fyne window"))
	w.Resize(fyne.NewSize(1180, 760))
	w.ShowAndRun()
}
GO
FYNE_VERSION=$(go list -m -f '{{.Version}}' fyne.io/fyne/v2)
printf 'module baseline\n\ngo 1.26\n\nrequire fyne.io/fyne/v2 %s\n' "$FYNE_VERSION" >"$WORK/blank/go.mod"
cp go.sum "$WORK/blank/go.sum"
(cd "$WORK/blank" && GOFLAGS=-mod=mod go build -o "$WORK/blank/blank" .)

# A private X server on a free display.
exec 3>"$WORK/display"
Xvfb -displayfd 3 -noreset -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$WORK/display")"
export LANG=en_US.UTF-8 XDG_CONFIG_HOME="$WORK/config"

# demo KIND: start the demo server with CHANNELS channels of KIND on a free
# port; sets BASE to its base URL. (Not called in $(...): the server's pid
# must reach PIDS for the cleanup.)
demo() {
	local kind=$1 port
	{
		printf '{"scenarios":['
		for i in $(seq "$CHANNELS"); do
			[ "$i" -gt 1 ] && printf ','
			if [ "$kind" = firehose ]; then
				printf '{"channel":"c%d","scenario":"firehose","rate":%d,"interval":"100ms"}' "$i" "$RATE"
			else
				printf '{"channel":"c%d","scenario":"quiet"}' "$i"
			fi
		done
		printf ']}\n'
	} >"$WORK/$kind.json"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$WORK/ssemon-demo" --listen "127.0.0.1:$port" --scenarios "$WORK/$kind.json" --log-level warn \
		--max-subscribers $((CHANNELS * 2)) >"$WORK/demo-$kind.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
	BASE="http://127.0.0.1:$port"
}

# sample NAME PID [SECONDS]: CPU % (of one core) and RSS once a second.
sample() {
	local name=$1 pid=$2 secs=${3:-$DURATION} hz t0 c0 t1 c1 rss cpus=() rsss=()
	hz=$(getconf CLK_TCK)
	sleep "$WARMUP"
	read -r c0 < <(awk '{print $14+$15}' "/proc/$pid/stat")
	t0=$(date +%s.%N)
	for _ in $(seq "$secs"); do
		sleep 1
		read -r c1 < <(awk '{print $14+$15}' "/proc/$pid/stat")
		t1=$(date +%s.%N)
		rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
		cpus+=("$(echo "($c1 - $c0) / $hz / ($t1 - $t0) * 100" | bc -l)")
		rsss+=("$rss")
		c0=$c1 t0=$t1
	done
	printf '%s\n' "${cpus[@]}" | sort -g >"$WORK/cpu"
	printf '%s\n' "${rsss[@]}" | sort -g >"$WORK/rss"
	awk -v name="$name" -v n="${#cpus[@]}" -v last="${rsss[-1]}" -v base="${BASE_CPU:-}" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
		FNR==NR { c[FNR]=$1; s+=$1; next } { r[FNR]=$1 }
		END {
			above = (base == "") ? "" : sprintf("  above empty %+5.1f", c[int((n+1)/2)] - base)
			printf "%-9s cpu%% median %5.1f  mean %5.1f  max %5.1f%s   rss MB median %5.0f  max %5.0f  last %5.0f   (%d samples, load %s)\n",
				name, c[int((n+1)/2)], s/n, c[n], above, r[int((n+1)/2)]/1024, r[n]/1024, last/1024, n, load }' "$WORK/cpu" "$WORK/rss"
	if [ "$name" = baseline ]; then BASE_CPU=$(awk -v n="${#cpus[@]}" '{c[NR]=$1} END {print c[int((n+1)/2)]}' "$WORK/cpu"); fi
	# name, median CPU, above the empty window ("-" without one), median RSS, max RSS, load
	awk -v name="$name" -v n="${#cpus[@]}" -v base="${BASE_CPU:-}" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
		FNR==NR { c[FNR]=$1; next } { r[FNR]=$1 }
		END { m = c[int((n+1)/2)]; printf "%s %.2f %s %.0f %.0f %s\n", name, m, (base == "") ? "-" : sprintf("%.2f", m - base), r[int((n+1)/2)]/1024, r[n]/1024, load }' \
		"$WORK/cpu" "$WORK/rss" >>"$WORK/results"
}

run() {
	local name=$1 urls=() pid
	case $name in
	baseline)
		"$WORK/blank/blank" >"$WORK/app-$name.log" 2>&1 &
		;;
	demo | hidden)
		bin/ssemon --demo >"$WORK/app-$name.log" 2>&1 &
		;;
	detail)
		bin/ssemon --demo --show firehose >"$WORK/app-$name.log" 2>&1 &
		;;
	load)
		demo firehose
		{
			printf '{"version":1,"channels":['
			for i in $(seq "$CHANNELS"); do
				[ "$i" -gt 1 ] && printf ','
				printf '{"name":"c%d","url":"%s/api/stream/c%d","charts":["seq"]}' "$i" "$BASE" "$i"
			done
			printf ']}\n'
		} >"$WORK/load-workspace.json"
		bin/ssemon --workspace "$WORK/load-workspace.json" >"$WORK/app-$name.log" 2>&1 &
		;;
	idle | firehose)
		local kind=quiet
		[ "$name" = firehose ] && kind=firehose
		demo "$kind"
		for i in $(seq "$CHANNELS"); do urls+=("$BASE/api/stream/c$i"); done
		bin/ssemon "${urls[@]}" >"$WORK/app-$name.log" 2>&1 &
		;;
	esac
	pid=$!
	PIDS+=("$pid")
	if [ "$name" = hidden ]; then
		local wid=""
		for _ in $(seq 300); do
			wid=$(xdotool search --all --onlyvisible --pid "$pid" --name 'SSE Monitor' 2>/dev/null | head -1) && [ -n "$wid" ] && break
			sleep 0.1
		done
		[ -n "$wid" ] || { echo "hidden: no window" >&2; return 1; }
		xdotool windowunmap "$wid"
	fi
	if [ "$name" = load ]; then
		sample "$name" "$pid" "$LOAD_DURATION"
	else
		sample "$name" "$pid"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	if grep -q -e 'panic:' -e 'Error in Fyne call thread' "$WORK/app-$name.log"; then
		echo "$name: the app logged errors:" >&2
		cat "$WORK/app-$name.log" >&2
	fi
}

echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) cores; CHANNELS=$CHANNELS RATE=$RATE/s DURATION=${DURATION}s WARMUP=${WARMUP}s"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(baseline demo hidden detail load)
echo "# load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min averages)"
for r in $(seq "$ROUNDS"); do
	[ "$ROUNDS" -gt 1 ] && echo "# round $r of $ROUNDS"
	unset BASE_CPU
	for c in "${cases[@]}"; do run "$c"; done
done
echo "# load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$ROUNDS" -gt 1 ]; then
	echo "# medians over $ROUNDS rounds (CPU % of one core; RSS MB; load: the 1-minute averages seen)"
	for c in "${cases[@]}"; do
		awk -v name="$c" '
			function median(a, n,   i, j, t) {
				for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
				return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
			}
			$1 == name { n++; cpu[n] = $2; if ($3 != "-") above[++na] = $3; rss[n] = $4; if ($5 > top) top = $5; loads = loads sep $6; sep = "/" }
			END {
				if (n == 0) exit
				printf "%-9s cpu%% %5.1f", name, median(cpu, n)
				if (na > 0 && name != "baseline") printf "  above empty %+5.1f", median(above, na)
				printf "   rss MB median %5.0f  max %5.0f   (%d rounds, load %s)\n", median(rss, n), top, n, loads
			}' "$WORK/results"
	done
fi
