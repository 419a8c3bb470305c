package mockserver_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSSEFanOut opens N streams on one order (N = CRYPTOMOCK_FANOUT, default 10000) from
// a child process (both ends in one process would need 2N descriptors), changes the order
// once, and reports how long every subscriber took to receive the change and how much memory
// the mock holds per idle subscriber. Run it with -benchtime=1x; see BENCHMARKS.md.
func BenchmarkSSEFanOut(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("CRYPTOMOCK_FANOUT")); err == nil && v > 0 {
		n = v
	}
	h := start(b)
	o := h.create(orderBody())

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	cmd := exec.Command(os.Args[0], "-test.run=^TestSSEFleet$", "-test.v=false")
	cmd.Env = append(os.Environ(), "CRYPTOMOCK_FLEET_URL="+h.url+"/v5/orders/"+o.OrderID+"/subscribe",
		"CRYPTOMOCK_FLEET_N="+strconv.Itoa(n), "CRYPTOMOCK_FLEET_PARTNER="+h.partner)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	waitLine := func(prefix string) string {
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), prefix) {
				return strings.TrimPrefix(sc.Text(), prefix)
			}
		}
		b.Fatalf("fleet ended before %q", prefix)
		return ""
	}
	waitLine("READY")
	runtime.GC()
	var idle runtime.MemStats
	runtime.ReadMemStats(&idle)
	perSub := float64((idle.HeapInuse+idle.StackInuse)-(before.HeapInuse+before.StackInuse)) / float64(n)

	t0 := time.Now()
	h.pay(o.OrderID, "1") // one state change: a message to every subscriber
	var arrivals []int64
	if err := json.Unmarshal([]byte(waitLine("ARRIVALS")), &arrivals); err != nil {
		b.Fatal(err)
	}
	if len(arrivals) != n {
		b.Fatalf("%d of %d subscribers received the change", len(arrivals), n)
	}
	delays := make([]float64, len(arrivals))
	for i, a := range arrivals {
		delays[i] = float64(a-t0.UnixNano()) / 1e6
	}
	slices.Sort(delays)
	b.ReportMetric(float64(n), "subscribers")
	b.ReportMetric(delays[len(delays)/2], "p50-ms")
	b.ReportMetric(delays[len(delays)*99/100], "p99-ms")
	b.ReportMetric(delays[len(delays)-1], "max-ms")
	b.ReportMetric(perSub/1024, "KiB/idle-subscriber")
}

// TestSSEFleet is the child process of BenchmarkSSEFanOut; it does nothing in a normal run.
func TestSSEFleet(t *testing.T) {
	target := os.Getenv("CRYPTOMOCK_FLEET_URL")
	if target == "" {
		t.Skip("helper process of BenchmarkSSEFanOut: runs only when it starts it")
	}
	n, _ := strconv.Atoi(os.Getenv("CRYPTOMOCK_FLEET_N"))
	u, _ := url.Parse(target)
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nX-Cr-Application: %s\r\nX-Cr-Version: 1.0\r\nAccept: text/event-stream\r\n\r\n",
		u.Path, u.Host, os.Getenv("CRYPTOMOCK_FLEET_PARTNER"))
	arrivals := make([]int64, n)
	var ready, got sync.WaitGroup
	ready.Add(n)
	got.Add(n)
	sem := make(chan struct{}, 128) // dial in waves: the listen backlog is finite
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		go func(i int) {
			conn, err := net.Dial("tcp", u.Host)
			<-sem
			if err != nil {
				t.Errorf("dial %d: %v", i, err)
				ready.Done()
				got.Done()
				return
			}
			defer conn.Close()
			_, _ = conn.Write([]byte(req))
			r := bufio.NewReaderSize(conn, 4096)
			seen := 0
			for {
				line, err := r.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					if seen < 2 {
						ready.Done()
						got.Done()
					}
					return
				}
				if !bytes.HasPrefix(line, []byte("id: ")) {
					continue
				}
				seen++
				if seen == 1 {
					ready.Done()
				} else if seen == 2 {
					arrivals[i] = time.Now().UnixNano()
					got.Done()
					return
				}
			}
		}(i)
	}
	ready.Wait()
	fmt.Println("READY")
	got.Wait()
	var ok []int64
	for _, a := range arrivals {
		if a != 0 {
			ok = append(ok, a)
		}
	}
	b, _ := json.Marshal(ok)
	fmt.Println("ARRIVALS" + string(b))
}
