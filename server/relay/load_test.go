package relay

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/relay/redistest"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/server"
)

// TestLoad measures delivery to many subscribers: through one relay,
// through two relays sharing the subscribers, and from the in-memory demo
// server, in the same run. It is a measurement, not a check, and runs only
// when asked:
//
//	SSEMON_RELAY_LOAD=1 go test -run TestLoad -v -timeout 10m ./server/relay/
//
// SSEMON_RELAY_LOAD_SUBS (1000), _RATE (events/s of the latency phase,
// 100) and _BURST (events of the throughput phase, 2000) change the load.
func TestLoad(t *testing.T) {
	if os.Getenv("SSEMON_RELAY_LOAD") == "" {
		t.Skip("a measurement: SSEMON_RELAY_LOAD=1 go test -run TestLoad -v ./server/relay/")
	}
	subs := envInt("SSEMON_RELAY_LOAD_SUBS", 1000)
	rate := envInt("SSEMON_RELAY_LOAD_RATE", 100)
	burst := envInt("SSEMON_RELAY_LOAD_BURST", 2000)
	const phase = 3 * time.Second

	url, addr := loadRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "load", Values: []any{"data", "{}"}}).Err(); err != nil {
		t.Fatal(err)
	}
	redisPub := func(data []byte) error {
		return rdb.XAdd(ctx, &redis.XAddArgs{Stream: "load", MaxLen: 10000, Approx: true, Values: []any{"data", data}}).Err()
	}

	newRelay := func() *httptest.Server {
		r, err := New(Config{Source: url, MaxSubscribers: subs + 10, Heartbeat: -1, CacheSize: 2*burst + 1000})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(r.Handler())
		t.Cleanup(func() { r.Close(); ts.Close() })
		return ts
	}
	r1, r2 := newRelay(), newRelay()
	mem, err := server.New(server.Config{Scenarios: []server.Scenario{{Channel: "load", Kind: server.KindQuiet}},
		MaxSubscribers: subs + 10, Heartbeat: -1, RingSize: 2*burst + 1000, QueueSize: server.MaxQueueSize})
	if err != nil {
		t.Fatal(err)
	}
	memTS := httptest.NewServer(mem.Handler())
	t.Cleanup(func() { mem.Close(); memTS.Close() })
	memPub := func(data []byte) error { _, err := mem.Publish("load", "", data); return err }

	cpu, _ := os.ReadFile("/proc/cpuinfo")
	t.Logf("%d subscribers, latency phase %d events/s for %v, throughput phase %d events; GOMAXPROCS %d; cpuinfo %d bytes",
		subs, rate, phase, burst, runtimeProcs(), len(cpu))
	for _, mode := range []struct {
		name  string
		urls  []string
		pub   func([]byte) error
		batch func(n int) error
	}{
		{"redis, 1 relay", []string{r1.URL}, redisPub, func(n int) error { return redisBurst(ctx, rdb, n) }},
		{"redis, 2 relays", []string{r1.URL, r2.URL}, redisPub, func(n int) error { return redisBurst(ctx, rdb, n) }},
		{"in-memory server", []string{memTS.URL}, memPub, func(n int) error {
			for range n {
				if err := memPub(stamp()); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		res := runLoad(t, mode.urls, subs, rate, phase, burst, mode.pub, mode.batch)
		t.Logf("%-17s latency at %d ev/s: p50 %v p99 %v max %v (%d deliveries, %d lost) | burst of %d: %.0f events/s per subscriber, %.0f deliveries/s",
			mode.name, rate, res.p50, res.p99, res.max, res.n, res.lost, burst, res.evps, res.dps)
	}
}

type loadResult struct {
	p50, p99, max time.Duration
	n, lost       int
	evps, dps     float64
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func runtimeProcs() int { return int(envInt("GOMAXPROCS", 2)) }

// endMarker is the data of the event that ends a burst.
const endMarker = `"end"`

// stamp is an event's data: the time it was published.
func stamp() []byte { return strconv.AppendInt([]byte(`{"t":`), time.Now().UnixNano(), 10) }

func redisBurst(ctx context.Context, rdb *redis.Client, n int) error {
	for done := 0; done < n; {
		k := min(500, n-done)
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range k {
				p.XAdd(ctx, &redis.XAddArgs{Stream: "load", MaxLen: 10000, Approx: true, Values: []any{"data", stamp()}})
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += k
	}
	return nil
}

// runLoad connects subs subscribers spread over urls, publishes rate
// events/s for d (latency), then burst events at once (throughput).
func runLoad(t *testing.T, urls []string, subs, rate int, d time.Duration, burst int, pub func([]byte) error, batch func(int) error) loadResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: subs, DialContext: (&net.Dialer{}).DialContext}
	defer tr.CloseIdleConnections()
	var (
		mu      sync.Mutex
		lat     []time.Duration
		counted atomic.Int64
		opened  sync.WaitGroup
		done    sync.WaitGroup
		measure atomic.Bool
		ended   atomic.Int64 // subscribers that got the end of the burst
	)
	opened.Add(subs)
	for i := range subs {
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[i%len(urls)]+"/api/stream/load", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("subscriber %d: %v %v", i, err, resp)
				opened.Done()
				return
			}
			defer resp.Body.Close()
			dec := client.NewDecoder(resp.Body, client.DecoderConfig{})
			first := true
			local := make([]time.Duration, 0, 1024)
			for {
				f, err := dec.Next()
				if err != nil {
					break
				}
				if first {
					first = false
					opened.Done()
				}
				if f.Kind != client.FrameEvent {
					continue
				}
				now := time.Now()
				counted.Add(1)
				if f.Event.Data == endMarker {
					ended.Add(1)
					continue
				}
				if !measure.Load() {
					continue
				}
				if rest, ok := strings.CutPrefix(f.Event.Data, `{"t":`); ok {
					if ns, err := strconv.ParseInt(strings.TrimSuffix(rest, "}"), 10, 64); err == nil {
						local = append(local, now.Sub(time.Unix(0, ns)))
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	opened.Wait() // every subscriber got its retry: line
	time.Sleep(200 * time.Millisecond)

	// Latency phase.
	measure.Store(true)
	counted.Store(0)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	sent := 0
	for end := time.Now().Add(d); time.Now().Before(end); sent++ {
		<-tick.C
		if err := pub(stamp()); err != nil {
			t.Fatal(err)
		}
	}
	tick.Stop()
	want := int64(sent * subs)
	deadline := time.Now().Add(30 * time.Second)
	for counted.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	n := int(counted.Load())
	measure.Store(false)

	// Throughput phase: burst events, then an end marker; timed until
	// every subscriber has the marker.
	counted.Store(0)
	start := time.Now()
	if err := batch(burst); err != nil {
		t.Fatal(err)
	}
	if err := pub([]byte(endMarker)); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(2 * time.Minute)
	for ended.Load() < int64(subs) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(start)
	got2 := counted.Load()
	if ended.Load() < int64(subs) {
		t.Logf("burst: %d of %d subscribers got the end within the deadline", ended.Load(), subs)
	}
	cancel()
	done.Wait()

	slices.Sort(lat)
	res := loadResult{n: n, lost: int(want) - n, evps: float64(got2) / float64(subs) / el.Seconds(), dps: float64(got2) / el.Seconds()}
	if len(lat) > 0 {
		res.p50, res.p99, res.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	if want2 := int64((burst + 1) * subs); got2 != want2 {
		t.Logf("burst: %d deliveries, %d expected", got2, want2)
	}
	return res
}

// loadRedis starts a redis-server for the measurement: nothing kept on
// disk.
func loadRedis(t *testing.T) (url, addr string) {
	t.Helper()
	rs := redistest.StartVolatile(t)
	return rs.URL, rs.Addr()
}
