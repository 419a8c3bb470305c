package certify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
)

// Passive checks judge the partner's own traffic to the mock during the observation window,
// from the mock's journal. Only the partner's requests count: Cryptorefills requests naming
// its X-Cr-Application (or naming none, which CR-API-1 then reports), Payscrypt requests of
// its merchant (or with no valid apikey), never certify's own.

// pollTolerance forgives timer jitter in CR-API-4 (a 5 s interval that fires at 4.9 s).
const pollTolerance = 250 * time.Millisecond

var crPrefixes = []string{"/v2/", "/v3/", "/v4/", "/v5/", "/api/"}

// traffic is the partner's share of a journal window.
type traffic struct {
	cr, psCreates []admingen.JournalEntry
}

func (c *run) partnerTraffic(entries []admingen.JournalEntry) traffic {
	var t traffic
	mine := "pg_wallet_id:" + strconv.FormatInt(c.cfg.WalletID, 10)
	for _, e := range entries {
		if e.Headers["User-Agent"] == UserAgent {
			continue
		}
		switch {
		case hasAnyPrefix(e.Path, crPrefixes):
			if app := e.Headers["X-Cr-Application"]; c.cfg.Partner != "" && (app == c.cfg.Partner || app == "") {
				t.cr = append(t.cr, e)
			}
		case e.Method == "POST" && e.Path == "/apis/pg/create_order":
			if e.Partner == mine || !strings.HasPrefix(e.Partner, "pg_wallet_id:") {
				t.psCreates = append(t.psCreates, e)
			}
		}
	}
	return t
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// judgePassive sets the passive requirements from the partner's traffic.
func (c *run) judgePassive(t traffic, window string) {
	if c.cfg.Partner != "" {
		c.headersRule(t.cr, window)
		c.validationRules(t.cr, window)
		c.pollingRule(t.cr, window)
		c.recipientsRule(t.cr, window)
		c.subscriptionRule(t.cr, window)
	}
	c.createOrderRule(t.psCreates, window)
}

// verdict sets a passive requirement: failed with the first examples when there are
// violations, not exercised when nothing was judged, passed otherwise.
func (c *run) verdict(id string, judged int, what string, bad []string, window string) {
	switch {
	case judged == 0:
		c.report.set(id, NotExercised, fmt.Sprintf("no %s from your app %s", what, window))
	case len(bad) > 0:
		ev := bad
		if len(bad) > 8 {
			ev = append(bad[:8:8], fmt.Sprintf("… and %d more", len(bad)-8))
		}
		c.report.set(id, Failed, append([]string{fmt.Sprintf("%d of %d %s %s break it:", len(bad), judged, what, window)}, ev...)...)
	default:
		c.report.set(id, Passed, fmt.Sprintf("%d %s %s, all as required", judged, what, window))
	}
}

func exchange(e admingen.JournalEntry) string {
	s := fmt.Sprintf("#%d %s %s %s → %d", e.Seq, clock(e.ReceivedAt), e.Method, e.Path, e.Status)
	if e.Refusal != nil {
		s += " (" + cut(*e.Refusal, 120) + ")"
	}
	return s
}

// CR-API-1
func (c *run) headersRule(cr []admingen.JournalEntry, window string) {
	var bad []string
	for _, e := range cr {
		h := e.Headers
		var miss []string
		for _, k := range []string{"X-Cr-Application", "X-Cr-Version"} {
			if h[k] == "" {
				miss = append(miss, k)
			}
		}
		if h["X-Country-Iso-Code"] == "" && (h["X-Forwarded-For"] == "" || h["User-Agent"] == "") {
			miss = append(miss, "X-Country-ISO-Code (or X-Forwarded-For with User-Agent)")
		}
		if len(miss) > 0 {
			bad = append(bad, exchange(e)+" lacks "+strings.Join(miss, ", "))
		}
	}
	c.verdict("CR-API-1", len(cr), "Cryptorefills requests", bad, window)
}

func isCreate(e admingen.JournalEntry) bool { return e.Method == "POST" && e.Path == "/v5/orders" }
func isValidate(e admingen.JournalEntry) bool {
	return e.Method == "POST" && e.Path == "/v5/orders/validations"
}

// cartOf is what identifies a cart: its deliveries and payment, canonically encoded (a body the
// journal cut short is compared as it was kept).
func cartOf(e admingen.JournalEntry) string {
	raw := deref(e.RequestBody)
	var body map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &body) != nil {
		return raw
	}
	var parts []any
	for _, k := range []string{"deliveries", "payment"} {
		var v any
		_ = json.Unmarshal(body[k], &v)
		parts = append(parts, v)
	}
	b, _ := json.Marshal(parts) // maps encode with sorted keys
	return string(b)
}

// problemsOf reads a validation's answer: its problem codes, or why it was no clean answer.
// The journal keeps the first 4 KiB of a body, so a long answer is read from what was kept:
// the codes are found in the text when the whole cannot be decoded; known is false when the
// part kept does not reach the problems.
func problemsOf(e admingen.JournalEntry) (codes []string, known bool) {
	if e.Status != 200 {
		return []string{fmt.Sprintf("answered %d", e.Status)}, true
	}
	body := deref(e.ResponseBody)
	var v struct {
		Problems []struct {
			Problem string `json:"problem"`
		} `json:"problems"`
	}
	var out []string
	if json.Unmarshal([]byte(body), &v) == nil {
		for _, p := range v.Problems {
			out = append(out, p.Problem)
		}
		return out, true
	}
	_, rest, ok := strings.Cut(body, `"problems":`)
	for _, m := range problemCode.FindAllStringSubmatch(rest, -1) {
		out = append(out, m[1])
	}
	return out, ok
}

var problemCode = regexp.MustCompile(`"problem":\s*"([A-Z_]+)"`)

// CR-API-2 and CR-API-3
func (c *run) validationRules(cr []admingen.JournalEntry, window string) {
	last := map[string]admingen.JournalEntry{} // cart -> its latest validation so far
	var creations, unread int
	var unvalidated, withProblems []string
	for _, e := range cr {
		switch {
		case isValidate(e):
			last[cartOf(e)] = e
		case isCreate(e):
			creations++
			v, ok := last[cartOf(e)]
			if !ok {
				unvalidated = append(unvalidated, exchange(e)+": no validation of this cart came before it")
				continue
			}
			p, known := problemsOf(v)
			if len(p) > 0 {
				withProblems = append(withProblems, fmt.Sprintf("%s: the cart's last validation (#%d) reported %s", exchange(e), v.Seq, strings.Join(p, ", ")))
			} else if !known {
				unread++
			}
		}
	}
	c.verdict("CR-API-2", creations, "order creations", unvalidated, window)
	c.verdict("CR-API-3", creations, "order creations", withProblems, window)
	if r := c.report.result("CR-API-3"); unread > 0 && r.Status == Passed {
		r.Evidence = append(r.Evidence, fmt.Sprintf("%d validation answers were longer than the 4 KiB the journal keeps and showed no problems in that part", unread))
	}
}

var (
	orderPath     = regexp.MustCompile(`^/v5/orders/([^/]+)$`)
	subscribePath = regexp.MustCompile(`^/v5/orders/([^/]+)/subscribe$`)
)

// orderGroup is one order's requests of a kind, in arrival order.
type orderGroup struct {
	id      string
	entries []admingen.JournalEntry
}

// perOrder groups the entries that idOf names an order for ("" for none), in the order the
// orders were first seen, and counts them.
func perOrder(entries []admingen.JournalEntry, idOf func(admingen.JournalEntry) string) ([]orderGroup, int) {
	index := map[string]int{}
	var groups []orderGroup
	n := 0
	for _, e := range entries {
		id := idOf(e)
		if id == "" {
			continue
		}
		i, ok := index[id]
		if !ok {
			i = len(groups)
			index[id] = i
			groups = append(groups, orderGroup{id: id})
		}
		groups[i].entries = append(groups[i].entries, e)
		n++
	}
	for _, g := range groups {
		sort.SliceStable(g.entries, func(i, j int) bool { return g.entries[i].ReceivedAt.Before(g.entries[j].ReceivedAt) })
	}
	return groups, n
}

// endOf is when a journaled request ended (wall time).
func endOf(e admingen.JournalEntry) time.Time {
	return e.ReceivedAt.Add(time.Duration(e.DurationMs * float64(time.Millisecond)))
}

var terminal = map[string]bool{"Done": true, "Expired": true, "Canceled": true, "PaymentFailed": true, "PaymentSetupFailed": true, "Refunded": true}

// CR-API-4
func (c *run) pollingRule(cr []admingen.JournalEntry, window string) {
	groups, polls := perOrder(cr, func(e admingen.JournalEntry) string {
		if m := orderPath.FindStringSubmatch(e.Path); m != nil && e.Method == "GET" && m[1] != "validations" {
			return m[1]
		}
		return ""
	})
	var bad []string
	for _, g := range groups {
		id, list := g.id, g.entries
		final := ""
		for i, e := range list {
			if final != "" {
				bad = append(bad, fmt.Sprintf("%s: order %s was already %s", exchange(e), id, final))
			} else if i > 0 {
				if gap := e.ReceivedAt.Sub(list[i-1].ReceivedAt); gap < 5*time.Second-pollTolerance {
					bad = append(bad, fmt.Sprintf("%s: %s after the previous poll of order %s (want 5 s or more)", exchange(e), gap.Round(time.Millisecond), id))
				}
			}
			var o struct {
				State string `json:"order_state"`
			}
			if json.Unmarshal([]byte(deref(e.ResponseBody)), &o) == nil && terminal[o.State] {
				final = o.State
			}
		}
	}
	c.verdict("CR-API-4", polls, "order polls", bad, window)
}

var (
	emailRe       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$`)
	e164Re        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	placeholderRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$|YOUR_|END_USER|<|\{\{`)
	emailKinds    = map[string]bool{"giftcard": true, "nft_giftcard": true, "esim": true}
)

// recipientProblem says what is wrong with an email or beneficiary account ("" when nothing).
func recipientProblem(v, kind string, emailOnly bool) string {
	switch {
	case v == "":
		return ""
	case placeholderRe.MatchString(v):
		return "a placeholder of the documents"
	case emailRe.MatchString(v):
		return ""
	case emailOnly || emailKinds[kind]:
		return "not an email"
	case e164Re.MatchString(v):
		return ""
	case strings.ContainsAny(v, "0123456789") && !strings.Contains(v, "@"):
		return "a phone number not in E.164 form (+14155551234)"
	}
	return "neither an email nor an E.164 phone number"
}

// CR-API-5
func (c *run) recipientsRule(cr []admingen.JournalEntry, window string) {
	var bad []string
	judged := 0
	for _, e := range cr {
		if !isCreate(e) && !isValidate(e) {
			continue
		}
		judged++
		var body struct {
			Email string `json:"email"`
			User  struct {
				Email string `json:"email"`
			} `json:"user"`
			Deliveries []struct {
				Beneficiary string `json:"beneficiary_account"`
				Kind        string `json:"kind"`
				Deliverable struct {
					Beneficiary string `json:"beneficiary_account"`
				} `json:"deliverable"`
			} `json:"deliveries"`
		}
		_ = json.Unmarshal([]byte(deref(e.RequestBody)), &body)
		var wrong []string
		for field, v := range map[string]string{"email": body.Email, "user.email": body.User.Email} {
			if p := recipientProblem(v, "", true); p != "" {
				wrong = append(wrong, fmt.Sprintf("%s %q is %s", field, v, p))
			}
		}
		for i, d := range body.Deliveries {
			for _, v := range []string{d.Beneficiary, d.Deliverable.Beneficiary} {
				if p := recipientProblem(v, d.Kind, false); p != "" {
					wrong = append(wrong, fmt.Sprintf("deliveries[%d] beneficiary_account %q is %s", i, v, p))
				}
			}
		}
		if len(wrong) > 0 {
			sort.Strings(wrong)
			bad = append(bad, exchange(e)+": "+strings.Join(wrong, "; "))
		}
	}
	c.verdict("CR-API-5", judged, "validations and creations", bad, window)
}

// CR-API-6
func (c *run) subscriptionRule(cr []admingen.JournalEntry, window string) {
	groups, subs := perOrder(cr, func(e admingen.JournalEntry) string {
		if m := subscribePath.FindStringSubmatch(e.Path); m != nil && e.Method == "GET" {
			return m[1]
		}
		return ""
	})
	var bad []string
	for _, g := range groups {
		id, list := g.id, g.entries
		var stopped *admingen.JournalEntry
		for i, e := range list {
			if stopped != nil && e.ReceivedAt.After(endOf(*stopped)) {
				bad = append(bad, fmt.Sprintf("%s: the stream of order %s sent stop at %s (#%d)", exchange(e), id, clock(endOf(*stopped)), stopped.Seq))
				continue
			}
			if i > 0 {
				prev := list[i-1]
				dropped := prev.Stream == nil || !prev.Stream.Stop
				// A reconnection the mock saw arrive just before it noticed the previous stream end
				// (the client let go first; the mock learns of it a moment later) is as fast as
				// they come: a gap within 1 s either way counts. Streams of one order overlapping
				// longer than that are parallel subscriptions (two tabs), not reconnections.
				switch gap := e.ReceivedAt.Sub(endOf(prev)); {
				case !dropped || gap <= -time.Second || gap >= time.Second:
				case gap < 0:
					bad = append(bad, fmt.Sprintf("%s: reconnected as the previous stream of order %s, which ended without stop, was still closing (%s before the mock saw it end; want 1 s or more after)", exchange(e), id, (-gap).Round(time.Millisecond)))
				default:
					bad = append(bad, fmt.Sprintf("%s: reconnected %s after the previous stream of order %s ended without stop (want 1 s or more)", exchange(e), gap.Round(time.Millisecond), id))
				}
			}
			if e.Stream != nil && e.Stream.Stop && stopped == nil {
				stopped = &list[i]
			}
		}
	}
	c.verdict("CR-API-6", subs, "stream subscriptions (ended ones: an open stream is journaled when it ends)", bad, window)
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// PS-API-1
func (c *run) createOrderRule(creates []admingen.JournalEntry, window string) {
	var bad []string
	for _, e := range creates {
		var body map[string]any
		_ = json.Unmarshal([]byte(deref(e.RequestBody)), &body)
		field := func(names ...string) (any, bool) {
			for _, n := range names {
				if v, ok := body[n]; ok {
					return v, true
				}
			}
			return nil, false
		}
		var wrong []string
		if e.Headers["Apikey"] == "" {
			wrong = append(wrong, "no apikey header")
		}
		switch w, _ := field("pg_wallet_id", "pgWalletId"); v := w.(type) {
		case string:
			if v != strconv.FormatInt(c.cfg.WalletID, 10) {
				wrong = append(wrong, fmt.Sprintf("pg_wallet_id %q, want %d", v, c.cfg.WalletID))
			}
		case float64:
			if v != float64(c.cfg.WalletID) {
				wrong = append(wrong, fmt.Sprintf("pg_wallet_id %v, want %d", v, c.cfg.WalletID))
			}
		default:
			wrong = append(wrong, "no pg_wallet_id")
		}
		if v, _ := field("target_value", "targetValue"); !isDigits(v) {
			wrong = append(wrong, fmt.Sprintf("target_value %v is not an integer string in the smallest unit", jsonText(v)))
		}
		if v, _ := field("callback_url", "callbackUrl"); !absoluteURL(v) {
			wrong = append(wrong, fmt.Sprintf("callback_url %v is not an absolute http(s) URL", jsonText(v)))
		}
		if len(wrong) > 0 {
			bad = append(bad, exchange(e)+": "+strings.Join(wrong, "; "))
		}
	}
	c.verdict("PS-API-1", len(creates), "create_order calls", bad, window)
}

func isDigits(v any) bool {
	s, ok := v.(string)
	return ok && digits.MatchString(s)
}

func absoluteURL(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
