package certify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
)

// Timings of the webhook checks.
const (
	answerWithin  = 5 * time.Second  // PS-WH-1
	recheckWithin = 10 * time.Second // PS-WH-2..4
	deliveryWait  = 8 * time.Second  // the mock's delivery timeout is 5 s by default
)

// webhookChecks runs PS-WH-1 to PS-WH-5 against the partner's receiver: certify registers it
// for the merchant for the run, creates invoices, pays one, replays webhooks (forged,
// duplicated, out of order) and sends one about an invoice that does not exist.
func (c *run) webhookChecks(ctx context.Context) error {
	wallet, hook := c.cfg.WalletID, c.cfg.WebhookURL
	if err := c.mock.addWebhook(ctx, wallet, hook); err != nil {
		return err
	}
	defer func() {
		if err := c.mock.removeWebhook(context.WithoutCancel(ctx), wallet, hook); err != nil {
			c.progress("PS-WH", "could not remove the webhook URL again: %v", err)
		}
	}()
	paid, err := c.mock.createInvoice(ctx, c.cfg.APIKey, wallet)
	if err != nil {
		return err
	}
	c.progress("PS-WH-1,2", "paying invoice %s of pg_wallet_id %d; its webhooks go to %s", paid, wallet, hook)
	if err := c.mock.payInvoice(ctx, paid); err != nil {
		return err
	}
	genuine, err := c.waitDeliveries(ctx, paid, hook, func(a []admingen.DeliveryAttempt) bool {
		return some(a, func(x admingen.DeliveryAttempt) bool { return x.OrderStatus == "SUCCESSFUL" })
	})
	if err != nil {
		return err
	}
	pending, err := c.mock.createInvoice(ctx, c.cfg.APIKey, wallet)
	if err != nil {
		return err
	}
	c.progress("PS-WH-3,4", "a forged SUCCESSFUL for pending invoice %s; a duplicate and an out-of-order webhook for %s", pending, paid)
	for _, r := range []struct {
		id   string
		mode admingen.ReplayRequestMode
	}{{pending, admingen.ReplayRequestModeForged}, {paid, admingen.ReplayRequestModeDuplicate}, {paid, admingen.ReplayRequestModeOutOfOrder}} {
		if err := c.mock.replay(ctx, r.id, r.mode); err != nil {
			return err
		}
	}
	forged, err := c.waitDeliveries(ctx, pending, hook, func(a []admingen.DeliveryAttempt) bool { return len(kind(a, "forged")) > 0 })
	if err != nil {
		return err
	}
	replays, err := c.waitDeliveries(ctx, paid, hook, func(a []admingen.DeliveryAttempt) bool {
		return len(kind(a, "duplicate")) >= 2 && len(kind(a, "out_of_order")) >= 1
	})
	if err != nil {
		return err
	}
	c.unknownInvoice(ctx)

	genuine = kind(genuine, "status_change")
	forged = kind(forged, "forged")
	replays = append(kind(replays, "duplicate"), kind(replays, "out_of_order")...)
	c.judgeAnswers("PS-WH-1", genuine, func(a admingen.DeliveryAttempt) bool {
		return a.Status >= 200 && a.Status < 300 && a.LatencyMs <= float64(answerWithin.Milliseconds())
	}, fmt.Sprintf("2xx within %s", answerWithin))
	c.progress("PS-WH-2..4", "waiting up to %s after each webhook for its get_public_order", recheckWithin)
	rechecked := c.rechecks(ctx, append(append(append([]admingen.DeliveryAttempt(nil), genuine...), forged...), replays...))
	c.judgeRechecks("PS-WH-2", genuine, rechecked, nil, "")
	c.judgeRechecks("PS-WH-3", forged, rechecked, func(a admingen.DeliveryAttempt) bool { return a.Status > 0 && a.Status < 500 }, "an answer below 500")
	c.judgeRechecks("PS-WH-4", replays, rechecked, func(a admingen.DeliveryAttempt) bool { return a.Status >= 200 && a.Status < 300 }, "2xx")
	return nil
}

func some[T any](list []T, f func(T) bool) bool {
	for _, x := range list {
		if f(x) {
			return true
		}
	}
	return false
}

func kind(list []admingen.DeliveryAttempt, k string) []admingen.DeliveryAttempt {
	var out []admingen.DeliveryAttempt
	for _, a := range list {
		if string(a.Kind) == k {
			out = append(out, a)
		}
	}
	return out
}

// waitDeliveries polls the delivery log until done holds for the invoice's attempts to the
// receiver (an attempt is logged once the receiver answered or timed out).
func (c *run) waitDeliveries(ctx context.Context, invoice, hook string, done func([]admingen.DeliveryAttempt) bool) ([]admingen.DeliveryAttempt, error) {
	deadline := time.Now().Add(deliveryWait)
	for {
		got, err := c.mock.deliveries(ctx, invoice, hook)
		if err != nil || done(got) || time.Now().After(deadline) {
			return got, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(a admingen.DeliveryAttempt) string {
	at := ""
	if a.SentAt != nil {
		at = " at " + clock(*a.SentAt)
	}
	answer := fmt.Sprintf("answered %d in %.0f ms", a.Status, a.LatencyMs)
	if a.Status == 0 {
		answer = "got no answer (" + deref(a.Error) + ")"
	}
	return fmt.Sprintf("%s webhook %s (invoice %s, status %s)%s %s", a.Kind, a.DeliveryId, a.OrderId, a.OrderStatus, at, answer)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// judgeAnswers sets a requirement from how the receiver answered some deliveries.
func (c *run) judgeAnswers(id string, attempts []admingen.DeliveryAttempt, ok func(admingen.DeliveryAttempt) bool, want string) {
	if len(attempts) == 0 {
		c.report.set(id, Failed, "the mock logged no delivery to the receiver within "+deliveryWait.String())
		return
	}
	var good, bad []string
	for _, a := range attempts {
		if ok(a) {
			good = append(good, describe(a))
		} else {
			bad = append(bad, describe(a)+"; want "+want)
		}
	}
	if len(bad) > 0 {
		c.report.set(id, Failed, bad...)
		return
	}
	c.report.set(id, Passed, good...)
}

// rechecks maps each delivery to the get_public_order calls for its invoice that followed it
// within 10 s, waiting until every delivery has one or its window closed. get_public_order is
// matched by the id in its request body, as the journal recorded it.
func (c *run) rechecks(ctx context.Context, attempts []admingen.DeliveryAttempt) map[string]time.Duration {
	found := map[string]time.Duration{}
	last := time.Time{}
	for _, a := range attempts {
		if a.SentAt != nil && a.SentAt.After(last) {
			last = *a.SentAt
		}
	}
	for {
		entries, err := c.mock.journal(ctx, "/apis/pg/get_public_order")
		if err != nil {
			return found
		}
		for _, a := range attempts {
			if _, ok := found[a.DeliveryId]; ok || a.SentAt == nil {
				continue
			}
			for _, e := range entries {
				var body struct {
					ID string `json:"id"`
				}
				if e.RequestBody == nil || json.Unmarshal([]byte(*e.RequestBody), &body) != nil || body.ID != a.OrderId {
					continue
				}
				if after := e.ReceivedAt.Sub(*a.SentAt); after >= -50*time.Millisecond && after <= recheckWithin {
					found[a.DeliveryId] = max(after, 0)
					break
				}
			}
		}
		if len(found) == len(attempts) || time.Since(last) > recheckWithin+500*time.Millisecond || ctx.Err() != nil {
			return found
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// judgeRechecks sets a requirement from whether each delivery was re-checked (and, with ok,
// answered as it should be).
func (c *run) judgeRechecks(id string, attempts []admingen.DeliveryAttempt, rechecked map[string]time.Duration, ok func(admingen.DeliveryAttempt) bool, want string) {
	if len(attempts) == 0 {
		c.report.set(id, Failed, "the mock logged no delivery to the receiver within "+deliveryWait.String())
		return
	}
	var good, bad []string
	for _, a := range attempts {
		after, found := rechecked[a.DeliveryId]
		switch {
		case ok != nil && !ok(a):
			bad = append(bad, describe(a)+"; want "+want)
		case !found:
			bad = append(bad, describe(a)+fmt.Sprintf("; no get_public_order for invoice %s followed within %s", a.OrderId, recheckWithin))
		default:
			good = append(good, describe(a)+fmt.Sprintf("; re-checked %s later", after.Round(time.Millisecond)))
		}
	}
	if len(bad) > 0 {
		c.report.set(id, Failed, bad...)
		return
	}
	c.report.set(id, Passed, good...)
}

// unknownInvoice is PS-WH-5: certify, as the gateway, sends the receiver a webhook about an
// invoice the merchant does not have, in the shape of the mock's own deliveries.
func (c *run) unknownInvoice(ctx context.Context) {
	id := strconv.FormatInt(9_000_000_000_000+rand.Int64N(999_999_999_999), 10)
	body, _ := json.Marshal(map[string]string{"id": id, "pg_wallet_id": strconv.FormatInt(c.cfg.WalletID, 10),
		"merchant_order_id": "certify-unknown-" + randomSuffix(), "status": "SUCCESSFUL"})
	c.progress("PS-WH-5", "sending a webhook about invoice %s, which does not exist", id)
	ctx, cancel := context.WithTimeout(ctx, answerWithin)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", c.cfg.WebhookURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cryptomock-webhook")
	start := time.Now()
	resp, err := c.stream.Do(req)
	what := fmt.Sprintf("POST %s %s", c.cfg.WebhookURL, body)
	if err != nil {
		c.report.set("PS-WH-5", Failed, fmt.Sprintf("%s: no answer within %s: %v", what, answerWithin, err))
		return
	}
	resp.Body.Close()
	took := time.Since(start).Round(time.Millisecond)
	if resp.StatusCode >= 500 {
		c.report.set("PS-WH-5", Failed, fmt.Sprintf("%s answered %d after %s; want 2xx or 4xx", what, resp.StatusCode, took))
		return
	}
	c.report.set("PS-WH-5", Passed, fmt.Sprintf("%s answered %d after %s", what, resp.StatusCode, took))
}
