package certify

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Status is a requirement's outcome in one run.
type Status string

const (
	Passed       Status = "passed"
	Failed       Status = "failed"
	NotRun       Status = "not_run"       // its inputs were not given
	NotExercised Status = "not_exercised" // it ran, but the partner's app produced nothing to judge
)

// Result is one requirement's outcome with its evidence: for a failure the exchange, the
// timing and what was expected; for the others what was seen or why nothing was.
type Result struct {
	Requirement
	Status   Status   `json:"status"`
	Evidence []string `json:"evidence,omitempty"`
	Enable   string   `json:"enable,omitempty"` // for not_run: the flags that would run it
}

// Report is what one run of certify found.
type Report struct {
	ID       string            `json:"id"`
	Created  time.Time         `json:"created"`
	Expires  time.Time         `json:"expires"`
	Outcome  string            `json:"outcome"` // passed, failed
	Partner  string            `json:"partner,omitempty"`
	WalletID int64             `json:"pg_wallet_id,omitempty"`
	Mock     MockInfo          `json:"mock"`
	Inputs   map[string]string `json:"inputs"`
	Command  *CommandResult    `json:"command,omitempty"`
	Results  []Result          `json:"requirements"`
}

// MockInfo names the mock that played the upstream: its version and the digests of the specs it
// served, so a certificate says which contract it was earned against.
type MockInfo struct {
	URL     string            `json:"url"`
	Version string            `json:"version"`
	Specs   map[string]string `json:"specs"` // name -> sha256 of the served bytes
}

// CommandResult is what became of the partner's command after "--".
type CommandResult struct {
	Args     []string `json:"args"`
	ExitCode int      `json:"exit_code"`
	Error    string   `json:"error,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// validity is how long a certificate is meant to be shown: the upstream changes, so certify
// again before it runs out.
const validity = 90 * 24 * time.Hour

func newReport(now time.Time) *Report {
	var b [8]byte
	_, _ = rand.Read(b[:])
	r := &Report{ID: "cert-" + hex.EncodeToString(b[:]), Created: now.UTC().Truncate(time.Second), Inputs: map[string]string{}}
	r.Expires = r.Created.Add(validity)
	for _, req := range Requirements {
		r.Results = append(r.Results, Result{Requirement: req, Status: NotRun, Enable: enable[req.Group]})
	}
	return r
}

func (r *Report) result(id string) *Result {
	for i := range r.Results {
		if r.Results[i].ID == id {
			return &r.Results[i]
		}
	}
	panic("certify: no requirement " + id)
}

// set records a requirement's outcome (the evidence is kept either way).
func (r *Report) set(id string, s Status, evidence ...string) {
	res := r.result(id)
	res.Status, res.Evidence, res.Enable = s, evidence, ""
}

// Failed reports whether any requirement that ran failed.
func (r *Report) Failed() bool { return len(r.with(Failed)) > 0 }

// Write writes certification.json, certification-junit.xml and certification.md into dir.
func (r *Report) Write(dir string) error {
	r.Outcome = "passed"
	if r.Failed() {
		r.Outcome = "failed"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	for name, body := range map[string][]byte{
		"certification.json":      append(js, '\n'),
		"certification-junit.xml": r.junit(),
		"certification.md":        []byte(r.markdown()),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// JUnit: one testcase per requirement; not run and not exercised are skipped, with the reason.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"timestamp,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string     `xml:"name,attr"`
	ClassName string     `xml:"classname,attr"`
	Failure   *junitText `xml:"failure,omitempty"`
	Skipped   *junitText `xml:"skipped,omitempty"`
	Out       string     `xml:"system-out,omitempty"`
}

type junitText struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func (r *Report) junit() []byte {
	s := junitSuite{Name: "certification " + r.Partner, Time: r.Created.Format(time.RFC3339)}
	for _, res := range r.Results {
		c := junitCase{Name: res.ID, ClassName: "certify." + strings.ReplaceAll(string(res.Group), " ", "_")}
		ev := strings.Join(res.Evidence, "\n")
		switch res.Status {
		case Failed:
			s.Failures++
			c.Failure = &junitText{Message: res.Title, Body: ev + "\nTo change: " + res.Fix}
		case NotRun:
			s.Skipped++
			c.Skipped = &junitText{Message: "not run: give " + res.Enable}
		case NotExercised:
			s.Skipped++
			c.Skipped = &junitText{Message: "not exercised: " + ev}
		default:
			c.Out = ev
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	b, _ := xml.MarshalIndent(s, "", "  ")
	return append([]byte(xml.Header), append(b, '\n')...)
}

var statusWord = map[Status]string{Passed: "PASS", Failed: "FAIL", NotRun: "not run", NotExercised: "not exercised"}

// markdown is the certificate a partner attaches to a go-live request.
func (r *Report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Integration certificate %s\n\n", r.ID)
	who := r.Partner
	if who == "" {
		who = "(no Cryptorefills partner given)"
	}
	fmt.Fprintf(&b, "| | |\n|---|---|\n| Outcome | **%s** |\n| Partner (`X-Cr-Application`) | `%s` |\n", strings.ToUpper(r.Outcome), md(who))
	if r.WalletID != 0 {
		fmt.Fprintf(&b, "| Payscrypt merchant | `pg_wallet_id` %d |\n", r.WalletID)
	}
	fmt.Fprintf(&b, "| Created | %s |\n| Valid until | %s |\n| Upstream played by | cryptomock %s at %s |\n",
		r.Created.Format(time.RFC3339), r.Expires.Format("2006-01-02"), md(r.Mock.Version), md(r.Mock.URL))
	for _, name := range slices.Sorted(maps.Keys(r.Mock.Specs)) {
		fmt.Fprintf(&b, "| Spec `%s` | sha256 `%s` |\n", name, r.Mock.Specs[name])
	}
	if r.Command != nil {
		fmt.Fprintf(&b, "| Your command | `%s` exited %d |\n", md(strings.Join(r.Command.Args, " ")), r.Command.ExitCode)
	}
	b.WriteString("\n## Requirements\n\n| ID | Requirement | Source | Result |\n|---|---|---|---|\n")
	for _, res := range r.Results {
		word := statusWord[res.Status]
		if res.Status == NotRun {
			word += " (give " + res.Enable + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", res.ID, md(res.Title), md(res.Source), md(word))
	}
	if failed := r.with(Failed); len(failed) > 0 {
		b.WriteString("\n## What to change\n")
		for _, res := range failed {
			fmt.Fprintf(&b, "\n### %s\n\n%s\n\nEvidence:\n\n", res.ID, res.Fix)
			for _, e := range res.Evidence {
				fmt.Fprintf(&b, "- %s\n", md(e))
			}
		}
	}
	if quiet := r.with(NotExercised); len(quiet) > 0 {
		b.WriteString("\n## Not exercised\n\nThese ran, but your app sent nothing they could judge; exercise the flow (e.g. in the command after `--`) and certify again.\n\n")
		for _, res := range quiet {
			fmt.Fprintf(&b, "- %s: %s\n", res.ID, md(strings.Join(res.Evidence, "; ")))
		}
	}
	return b.String()
}

// with lists the results of one status.
func (r *Report) with(s Status) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == s {
			out = append(out, res)
		}
	}
	return out
}

// md keeps a value from breaking a Markdown table.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}
