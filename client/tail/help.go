package tail

// Usage is the text of ssemon-tail --help.
const Usage = `ssemon-tail — watch Server-Sent-Events streams from the terminal.

Usage:
  ssemon-tail [flags] URL...
  ssemon-tail [flags] NAME=URL...
  ssemon-tail [flags] --workspace FILE
  ssemon-tail [flags] --play RECORDING
  ssemon-tail --check [--check-for D] [--origin URL] [--json] URL

Every URL is a stream, watched at once; with several, lines carry the
stream's name (NAME=URL, else the last part of the URL path). Streams
reconnect by themselves and resume with Last-Event-ID, as in the GUI.

A URL without a scheme is http:// (localhost:8080/x). Flags go before or
after URLs; short ones combine (-vk) and take attached values
(-H'X-A: b', -dfoo). Durations are 500ms, 3s, 2m... or bare seconds (10).

Request (curl-style):
  -H, --header 'Name: value'   add a request header (repeatable)
  -X, --request METHOD         HTTP method (default GET; POST with -d)
  -d, --data BODY|@FILE|@-     request body, re-sent on every reconnect
                               (also --data-raw, --data-binary)
  -u, --user USER:PASSWORD     HTTP basic authentication
  -A, --user-agent NAME        User-Agent (default ssemon/VERSION)
      --last-event-id ID       Last-Event-ID of the first connection
      --cacert FILE            trust the PEM certificates in FILE too
  -k, --insecure               do not verify TLS certificates
      --workspace FILE         watch the channels of a GUI workspace file

Connection:
      --retry D                reconnection time until the server sends
                               retry: (default 3s)
      --stall D                reconnect when nothing arrives for D
                               (default 45s; negative: never)
      --connect-timeout D      give up an attempt that has no response
                               headers after D (default 30s)
      --no-reconnect           stop a stream instead of reconnecting
      --max-event-size BYTES   cap of an event and of a line (default 16 MiB);
                               a larger one is skipped and shown, the stream
                               goes on
  -N, --no-buffer              accepted for curl's habit (output is never
                               buffered)

Output:
      --json                   JSON Lines: one object per event, comment,
                               retry and state change (schema: docs/tail.md)
      --compact                one line per event (JSON data compacted)
      --comments               show comments (heartbeats)
      --color auto|always|never  colours (auto: only on a terminal, not
                               with NO_COLOR)
      --show-secrets           do not mask Authorization/Cookie values and
                               token=, key=... query values
  -v, --verbose                every attempt on stderr, curl -v style: the
                               request as sent (Last-Event-ID included,
                               secrets masked), the response status line and
                               headers, TLS, timings and how it ended (JSON
                               objects of kind "exchange" with --json)
      --raw                    the bytes as they came, line by line, with
                               line ends (␍␊ ␊ ␍), BOM and tabs made visible,
                               between the state lines (not with --json)
  -s, --silent                 no summary line on stderr at the end
                               (failures are still reported)

Filters and limits:
      --event TYPE             only events of this type (repeatable, or
                               comma-separated)
      --grep RE                only events whose data matches RE
      --max-events N           stop after N shown events
  -m, --timeout D              stop after D (e.g. 30s, 5m; also --max-time)
      --expect N               fail (exit 6) when the run ends with fewer
                               than N events shown; --max-events N with
                               --timeout implies --expect N

Alerts (rules: docs/alerts.md):
      --alert RULE             print a line (or a JSON record with --json)
                               when RULE fires or recovers, on every
                               stream (repeatable): 'cpu>90 for 30s',
                               'progress stuck 60s', 'silent 30s',
                               'no events 30s', 'state failed for 10s',
                               'type error'
      --exit-on-alert          stop with exit code 5 when a rule fires

Recording:
      --record FILE            record the whole session (every stream,
                               event, comment and state, with arrival
                               times; filters do not apply) as JSON Lines;
                               replay it with: ssemon-demo --replay FILE
      --play FILE              print a recording (or - for stdin) with the
                               output flags and filters above, at once

Stream doctor:
      --check                  examine one stream instead of watching it:
                               headers, buffering, heartbeats, ids and
                               resume, retry, concurrency, framing; prints
                               each finding with its evidence and fix
                               (docs/doctor.md); exit 1 when one is an error
      --check-for D            how long to watch (default 20s)
      --origin URL             send Origin and check CORS for that page

Model streams:
      --transcript             for a model API stream (OpenAI chat or
                               Responses, Anthropic Messages, Ollama),
                               print the answer's text as it streams on
                               stdout; reasoning, tool calls, usage and
                               timings (TTFB, TTFT, tok/s, gaps) on stderr;
                               other streams print as usual
      --format F               framing of the response: auto (by
                               Content-Type, default), sse or ndjson
      --mode M                 request: the response's end ends the
                               stream; subscribe: sent again after it
                               ends (default: request for a method
                               other than GET, as in the window)

  -h, --help                   this help
      --version                print the version

Exit codes:
  0    ended by --max-events, --timeout, or by the server (HTTP 204, or the
       end of the stream with --no-reconnect)
  1    a stream failed: HTTP error status, wrong Content-Type, TLS
       certificate, redirect loop, oversized event; with --check: a
       finding is an error
  2    bad command line: flag, URL, header, pattern, file or workspace
  3    with --no-reconnect: the connection failed (unreachable, refused,
       reset, timed out, stalled)
  4    the output or the recording could not be written
  5    with --exit-on-alert: an alert rule fired
  6    fewer events than expected (--expect, or --max-events with
       --timeout): one line says what happened instead
  130  interrupted (Ctrl-C)
A failure prints one line on stderr: ssemon-tail: NAME: what happened.
Otherwise the run ends with a summary line on stderr (events, bytes,
reconnects, gaps, duplicates, time); with --json, the last line is a
"summary" object. Gaps, duplicates, ids going backwards or starting over
are marked before their event (▲ gap: 5 events missing (4 → 10)).

Examples:
  ssemon-tail http://127.0.0.1:8080/api/stream/deploy
  ssemon-tail --json http://127.0.0.1:8080/api/stream/metrics | jq -r 'select(.kind=="event") | .data'
  ssemon-tail --compact deploy=http://127.0.0.1:8080/api/stream/deploy logs=http://127.0.0.1:8080/api/stream/logs
  ssemon-tail -H 'Authorization: Bearer $TOKEN' --event status_update --grep '"failed"' https://api.example.com/events
  ssemon-tail -X POST -d @prompt.json -H 'Content-Type: application/json' https://llm.example.com/v1/stream
  ssemon-tail --no-reconnect --max-events 1 --timeout 3s http://127.0.0.1:8080/api/stream/deploy  # CI check
  ssemon-tail --record bug.jsonl http://127.0.0.1:8080/api/stream/flaky
  ssemon-tail --play bug.jsonl --event status_update --compact
  ssemon-tail --check --check-for 30s https://api.example.com/events
  ssemon-demo --replay bug.jsonl --speed 2 && ssemon-tail http://127.0.0.1:8080/api/stream/flaky
`
