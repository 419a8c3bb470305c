// Command certify checks a partner's own integration against the mock: the mock plays the
// upstream (Cryptorefills and Payscrypt) and certify plays the browser and the gateway against
// the partner's app, then writes a certification report.
//
//	go run ./cmd/certify -partner my-shop -sse-route 'http://127.0.0.1:3000/api/orders/{orderId}/subscribe' \
//	    -webhook-url http://127.0.0.1:3000/webhooks/payscrypt -- npm run e2e
//
// Exit codes: 0 when every requirement that ran passed, 1 when any failed, 2 for a usage error
// (no check inputs at all included) or an unreachable mock. Reports go to -report-dir:
// certification.json, certification-junit.xml and certification.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cryptomock/cryptomock/cmd/certify/internal/certify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("certify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg certify.Config
	fs.StringVar(&cfg.Mock, "mock", or(os.Getenv("CERTIFY_MOCK_URL"), "http://127.0.0.1:8080"), "the running mock your app uses as its upstream (`URL`; env CERTIFY_MOCK_URL)")
	fs.StringVar(&cfg.ControlToken, "control-token", os.Getenv("CRYPTOMOCK_CONTROL_TOKEN"), "the mock's control `token`, when it needs one (env CRYPTOMOCK_CONTROL_TOKEN, or a file named by CRYPTOMOCK_CONTROL_TOKEN_FILE)")
	fs.StringVar(&cfg.Partner, "partner", "", "the X-Cr-Application your app sends (`ID`)")
	fs.StringVar(&cfg.SSERoute, "sse-route", "", "your app's stream route with {orderId}, e.g. http://127.0.0.1:3000/api/orders/{orderId}/subscribe (`TEMPLATE`)")
	fs.StringVar(&cfg.WebhookURL, "webhook-url", "", "your Payscrypt webhook receiver (`URL`)")
	fs.Int64Var(&cfg.WalletID, "pg-wallet-id", 1, "the Payscrypt merchant your app uses (`N`; default: the mock's default merchant)")
	fs.StringVar(&cfg.APIKey, "apikey", "test-apikey", "that merchant's apikey (`KEY`; default: the mock's default merchant's)")
	fs.DurationVar(&cfg.Observe, "observe", 0, "watch your app's own traffic to the mock for this long (`DURATION`, e.g. 2m); with a command: its time limit")
	reportDir := fs.String("report-dir", "reports", "where the reports go (`DIR`)")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			usage(fs)
			return 0
		}
		return 2
	}
	if cfg.ControlToken == "" {
		if f := os.Getenv("CRYPTOMOCK_CONTROL_TOKEN_FILE"); f != "" {
			if b, err := os.ReadFile(f); err == nil { // absent: the mock may need no token
				cfg.ControlToken = strings.TrimSpace(string(b))
			}
		}
	}
	cfg.Command = fs.Args()
	if len(cfg.Command) > 0 && !dashDash(args) {
		fmt.Fprintf(stderr, "certify: unexpected argument %q: put your command after --\n", cfg.Command[0])
		return 2
	}
	cfg.Progress, cfg.Stdout, cfg.Stderr = stderr, stdout, stderr
	start := time.Now()
	report, err := certify.Run(ctx, cfg)
	if report == nil {
		fmt.Fprintf(stderr, "certify: %v\n", err)
		return 2
	}
	if err != nil {
		// The mock stopped answering as it should mid-run: what ran is reported, and the run fails.
		fmt.Fprintf(stderr, "certify: could not finish: %v\n", err)
	}
	if werr := report.Write(*reportDir); werr != nil {
		fmt.Fprintf(stderr, "certify: write the reports: %v\n", werr)
		return 2
	}
	summary(stderr, report, *reportDir, time.Since(start))
	if err != nil || report.Failed() {
		return 1
	}
	return 0
}

// dashDash reports whether the command was given after "--" (flag stops at the first
// non-flag argument too, which would silently run a typo as a command).
func or(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

func dashDash(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return true
		}
	}
	return false
}

func summary(w io.Writer, r *certify.Report, dir string, took time.Duration) {
	counts := map[certify.Status]int{}
	fmt.Fprintln(w)
	for _, res := range r.Results {
		counts[res.Status]++
		mark := map[certify.Status]string{certify.Passed: "PASS", certify.Failed: "FAIL", certify.NotRun: "----", certify.NotExercised: "n/e "}[res.Status]
		line := fmt.Sprintf("%s  %-9s %s", mark, res.ID, res.Title)
		if res.Status == certify.Failed && len(res.Evidence) > 0 {
			line += "\n                 " + res.Evidence[0]
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "\n%d passed, %d failed, %d not exercised, %d not run (%.1f s). Reports: %s\n",
		counts[certify.Passed], counts[certify.Failed], counts[certify.NotExercised], counts[certify.NotRun], took.Seconds(),
		filepath.Join(dir, "certification.md"))
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `certify: certify your integration against the mock.

Start the mock, point your app at it, then run certify. It plays the browser against your
stream route and the Payscrypt gateway against your webhook receiver, and judges your app's
own traffic while -observe runs or while your command after -- runs (your e2e tests get
CERTIFY_MOCK_URL, CERTIFY_PARTNER, CERTIFY_PG_WALLET_ID, CERTIFY_APIKEY and
CERTIFY_PAYSCRYPT_URL).
Only the checks whose inputs are given run; the report names the flags of the others.

Usage: certify [flags] [-- COMMAND ARGS...]

`)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit codes: 0 every requirement that ran passed; 1 one failed; 2 usage error or unreachable mock.
Reports in -report-dir: certification.json, certification-junit.xml, certification.md.
README "Certify your integration" has the walk-through and the requirements.
`)
}
