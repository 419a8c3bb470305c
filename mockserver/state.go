package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// The state file keeps what a restart must not lose: Cryptorefills orders, Payscrypt
// merchants (keys and webhooks included) and invoices, webhook deliveries waiting for a retry,
// and the virtual clock's offset. It is written at most once a second when something changed,
// and at shutdown; always to a temporary file that is synced and then renamed over the old
// one, so a crash mid-write leaves the previous state whole.

const stateVersion = 1

type state struct {
	Version     int           `json:"version"`
	SavedAt     time.Time     `json:"saved_at"`
	ClockOffset time.Duration `json:"clock_offset_ns"`
	// TenantOffsets are the tenants' own offsets on top of ClockOffset.
	TenantOffsets map[string]time.Duration `json:"tenant_clock_offsets_ns,omitempty"`
	Orders        []lifecycle.Order        `json:"cryptorefills_orders"`
	Merchants     []invoices.Merchant      `json:"payscrypt_merchants"`
	Invoices      []invoices.Order         `json:"payscrypt_orders"`
	PendingHooks  []webhook.Pending        `json:"pending_webhooks"`
}

func (s *Server) snapshot() state {
	ms, inv := s.book.Snapshot()
	global, own := s.clock.Offsets()
	return state{Version: stateVersion, ClockOffset: global, TenantOffsets: own, Orders: s.cr.Engine().Snapshot(),
		Merchants: ms, Invoices: inv, PendingHooks: s.hooks.PendingDeliveries()}
}

// loadState restores a saved state, if the file exists. A state file the mock could not
// write later (its directory missing or read-only, the path a directory) is refused now, at
// start-up, rather than failing every second while the mock runs.
func (s *Server) loadState(path string) error {
	if err := checkStateDir(path); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: state file %s cannot be read: %v", ErrConfig, path, err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: state file %s is not a saved state: %v", ErrConfig, path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("%w: state file %s has version %d, this mock reads %d", ErrConfig, path, st.Version, stateVersion)
	}
	if err := s.clock.SetOffsets(st.ClockOffset, st.TenantOffsets); err != nil {
		return fmt.Errorf("%w: state file %s: clock offset %v: %v", ErrConfig, path, st.ClockOffset, err)
	}
	s.cr.Engine().Restore(st.Orders)
	s.book.Restore(st.Merchants, st.Invoices)
	s.hooks.Restore(st.PendingHooks)
	return nil
}

// checkStateDir proves the state file can be written: the path is not a directory and a file
// can be created beside it (which is how writeState saves).
func checkStateDir(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: state file %s is a directory; name a file in it", ErrConfig, path)
	}
	dir := filepath.Dir(path)
	probe, err := os.CreateTemp(dir, ".cryptomock-probe-*")
	if err != nil {
		hint := "is it writable?"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "create the directory first"
		}
		return fmt.Errorf("%w: state file %s cannot be written in %s (%v): %s", ErrConfig, path, dir, err, hint)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// writeState saves an encoded state atomically (temp file in the same directory, fsync,
// rename, fsync dir), with at as its saved_at.
func writeState(path string, b []byte, at time.Time) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := writeStamped(tmp, b, at); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// unstamped is how an encoded state's saved_at reads while it is the zero time (the second
// member: the encoding follows the struct's order).
var unstamped = []byte(`"saved_at":"0001-01-01T00:00:00Z"`)

// writeStamped writes an encoded state with at in place of its zero saved_at, without
// copying the rest.
func writeStamped(w io.Writer, b []byte, at time.Time) error {
	i := bytes.Index(b[:min(len(b), 64)], unstamped)
	if i < 0 {
		return errors.New("state encoding: no saved_at member at the start")
	}
	stamp, _ := json.Marshal(at.UTC())
	for _, part := range [][]byte{b[:i], []byte(`"saved_at":`), stamp, b[i+len(unstamped):]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// persist writes the state whenever it changed, every interval, until ctx ends; then once more.
// The state is encoded once a tick with saved_at left zero, and a hash of those bytes tells
// whether anything changed since the last write (no second encoding to compare, no copy of
// the last state kept); the time goes in as the bytes are written.
func (s *Server) persist(ctx context.Context, path string, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	seed := maphash.MakeSeed()
	var last uint64
	written := false
	save := func() {
		b, err := json.Marshal(s.snapshot())
		if err != nil {
			s.log.Error("state file", "path", path, "err", err)
			return
		}
		h := maphash.Bytes(seed, b)
		if written && h == last {
			return
		}
		if err := writeState(path, b, time.Now()); err != nil {
			s.log.Error("state file", "path", path, "err", err)
			return
		}
		last, written = h, true
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			save()
		case <-ctx.Done():
			save()
			return
		}
	}
}
