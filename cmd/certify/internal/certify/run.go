package certify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Config is what a run was given (the command's flags).
type Config struct {
	Mock, ControlToken, Partner string
	SSERoute, WebhookURL        string
	WalletID                    int64
	APIKey                      string
	Observe                     time.Duration
	Command                     []string // after "--"
	// Where progress goes, and the command's own output.
	Progress, Stdout, Stderr io.Writer
}

// ErrUsage is a run that cannot start: certify exits 2.
var ErrUsage = errors.New("usage")

var errNoInputs = errors.New("nothing to certify")

// check validates the inputs: at least one group of checks must be enabled.
func (cfg Config) check() error {
	if cfg.SSERoute == "" && cfg.WebhookURL == "" && cfg.Observe <= 0 && len(cfg.Command) == 0 {
		return fmt.Errorf("%w: %w: give -sse-route, -webhook-url, -observe DURATION or -- COMMAND", ErrUsage, errNoInputs)
	}
	if cfg.SSERoute != "" {
		if cfg.Partner == "" {
			return fmt.Errorf("%w: -sse-route needs -partner (the X-Cr-Application your app sends)", ErrUsage)
		}
		if !strings.Contains(cfg.SSERoute, "{orderId}") || !strings.HasPrefix(cfg.SSERoute, "http") {
			return fmt.Errorf("%w: -sse-route %q must be an http(s) URL with {orderId} in it", ErrUsage, cfg.SSERoute)
		}
	}
	if cfg.WebhookURL != "" && !absoluteURL(cfg.WebhookURL) {
		return fmt.Errorf("%w: -webhook-url %q is not an absolute http(s) URL", ErrUsage, cfg.WebhookURL)
	}
	if cfg.WalletID < 1 || cfg.APIKey == "" {
		return fmt.Errorf("%w: -pg-wallet-id must be 1 or more and -apikey not empty", ErrUsage)
	}
	return nil
}

// run is one certification in progress.
type run struct {
	cfg    Config
	mock   *mock
	stream *http.Client // no overall timeout: streams stay open
	report *Report
	open   []string // orders the stream checks left open
}

// Run certifies the partner's app and returns the report (write it with Report.Write). An
// error wrapping ErrUsage or an unreachable mock means nothing was certified (exit 2); any
// other error means certify could not finish driving the mock.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	m, err := newMock(cfg.Mock, cfg.ControlToken, cfg.Partner)
	if err != nil {
		return nil, fmt.Errorf("%w: -mock %q: %v", ErrUsage, cfg.Mock, err)
	}
	c := &run{cfg: cfg, mock: m, stream: &http.Client{}, report: newReport(time.Now())}
	c.report.Partner, c.report.WalletID = cfg.Partner, cfg.WalletID
	c.report.Inputs = cfg.inputs()
	if c.report.Mock, err = m.describe(ctx); err != nil {
		return nil, err
	}
	c.progress("certify", "%s, cryptomock %s; report %s", c.report.Mock.URL, c.report.Mock.Version, c.report.ID)
	if cfg.SSERoute != "" {
		if err := c.streamChecks(ctx); err != nil {
			return c.report, err
		}
	}
	if cfg.WebhookURL != "" {
		if err := c.webhookChecks(ctx); err != nil {
			return c.report, err
		}
	}
	if cfg.Observe > 0 || len(cfg.Command) > 0 {
		if err := c.observe(ctx); err != nil {
			return c.report, err
		}
	}
	return c.report, nil
}

// inputs records the flags a report was earned with (never the secrets).
func (cfg Config) inputs() map[string]string {
	in := map[string]string{"mock": cfg.Mock, "partner": cfg.Partner, "sse-route": cfg.SSERoute, "webhook-url": cfg.WebhookURL,
		"pg-wallet-id": strconv.FormatInt(cfg.WalletID, 10)}
	if cfg.Observe > 0 {
		in["observe"] = cfg.Observe.String()
	}
	for k, v := range in {
		if v == "" {
			delete(in, k)
		}
	}
	return in
}

// progress prints what certify is doing: which requirement, what it waits for.
func (c *run) progress(id, format string, args ...any) {
	fmt.Fprintf(c.cfg.Progress, "%s  %-10s %s\n", time.Now().Format("15:04:05"), id, fmt.Sprintf(format, args...))
}

// observe watches the partner's traffic for -observe, or while the command runs, and judges
// the passive requirements from the journal.
func (c *run) observe(ctx context.Context) error {
	from, err := c.mock.lastSeq(ctx)
	if err != nil {
		return err
	}
	var window string
	if len(c.cfg.Command) > 0 {
		window = "while `" + strings.Join(c.cfg.Command, " ") + "` ran"
		c.runCommand(ctx)
	} else {
		window = "in " + c.cfg.Observe.String() + " of observation"
		c.progress("CR-API", "watching your app's traffic to the mock for %s", c.cfg.Observe)
		t := time.NewTimer(c.cfg.Observe)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	entries, err := c.mock.journal(context.WithoutCancel(ctx), "")
	if err != nil {
		return err
	}
	kept := entries[:0]
	for _, e := range entries {
		if e.Seq > from {
			kept = append(kept, e)
		}
	}
	if len(kept) > 0 && kept[0].Seq > from+1 {
		c.progress("CR-API", "the journal forgot %d requests of the window (raise journal.capacity / journal.max_bytes)", kept[0].Seq-from-1)
		window += fmt.Sprintf(" (the mock's journal kept only the last %d requests of it)", len(kept))
	}
	c.judgePassive(c.partnerTraffic(kept), window)
	return nil
}

// runCommand runs the partner's command with the mock and the partner in its environment, and
// records how it ended. Its exit status is reported; the requirements alone decide certify's.
func (c *run) runCommand(ctx context.Context) {
	if c.cfg.Observe > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Observe)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, c.cfg.Command[0], c.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), "CERTIFY_MOCK_URL="+c.mock.base, "CERTIFY_PARTNER="+c.cfg.Partner,
		"CERTIFY_PG_WALLET_ID="+strconv.FormatInt(c.cfg.WalletID, 10), "CERTIFY_PAYSCRYPT_URL="+c.mock.psBase, "CERTIFY_APIKEY="+c.cfg.APIKey)
	cmd.Stdout, cmd.Stderr = c.cfg.Stdout, c.cfg.Stderr
	cmd.WaitDelay = 5 * time.Second
	c.progress("CR-API", "running `%s` and watching its traffic to the mock", strings.Join(c.cfg.Command, " "))
	start := time.Now()
	err := cmd.Run()
	res := &CommandResult{Args: c.cfg.Command, Seconds: time.Since(start).Round(time.Millisecond).Seconds()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		res.ExitCode, res.Error = -1, err.Error()
	}
	c.report.Command = res
	c.progress("CR-API", "`%s` exited %d after %.1f s", strings.Join(c.cfg.Command, " "), res.ExitCode, res.Seconds)
}
