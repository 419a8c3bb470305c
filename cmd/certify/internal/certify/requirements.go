// Package certify checks a partner's own integration: the mock plays the upstream (and the
// browser) against the partner's app and reports, requirement by requirement, what the app
// does right and wrong. Requirements are one table; each check fills in the results of the
// requirements it covers, with the evidence when one fails.
package certify

// Group names the inputs a requirement needs; a run without them reports it as not run.
type Group string

const (
	StreamRoute   Group = "stream route"     // -sse-route and -partner
	WebhookRoute  Group = "webhook receiver" // -webhook-url
	CryptoTraffic Group = "your Cryptorefills traffic"
	PayTraffic    Group = "your Payscrypt traffic"
)

// enable says which flags make a group's requirements run.
var enable = map[Group]string{
	StreamRoute:   "-sse-route TEMPLATE with -partner ID",
	WebhookRoute:  "-webhook-url URL",
	CryptoTraffic: "-observe DURATION or -- COMMAND, with -partner ID",
	PayTraffic:    "-observe DURATION or -- COMMAND",
}

// Requirement is one thing the documents ask of a partner's integration.
type Requirement struct {
	ID     string `json:"id"`
	Group  Group  `json:"group"`
	Title  string `json:"title"`
	Source string `json:"source"`
	Fix    string `json:"-"` // what to change when it fails, in a line or two
}

// Requirements are the requirements in report order. The sources are sections of the documents in ../docs (the
// Cryptorefills reference in every language version, and payscrypt.txt).
var Requirements = []Requirement{
	{ID: "CR-SSE-1", Group: StreamRoute, Title: "The stream route answers 200 text/event-stream with Cache-Control: no-cache, no-transform and X-Accel-Buffering: no",
		Source: `documents section 9a "Track order (stream API)", the Next.js route's Response headers`,
		Fix:    "Answer the stream with Content-Type: text/event-stream, Cache-Control: no-cache, no-transform and X-Accel-Buffering: no, so no proxy buffers or rewrites it."},
	{ID: "CR-SSE-2", Group: StreamRoute, Title: "The route calls /v5/orders/{orderId}/subscribe with the partner's X-Cr-Application, an X-Cr-Version, Accept: text/event-stream and a User-Agent",
		Source: `documents section 9a, the route's fetch (genHeader.server(session), User-Agent, Accept); "Required headers for every API request"`,
		Fix:    "Send the server headers (X-Cr-Application, X-Cr-Version) with Accept: text/event-stream and the end user's User-Agent on the upstream subscription."},
	{ID: "CR-SSE-3", Group: StreamRoute, Title: "Every message is relayed unchanged, in order, within 1 s of the upstream sending it",
		Source: `documents section 9a: "stream = ReadableStream that proxies upstream SSE events"`,
		Fix:    "Pipe the upstream body through as it arrives (no buffering, no re-encoding of frames); flush after every write."},
	{ID: "CR-SSE-4", Group: StreamRoute, Title: "The stop event is relayed and the response then ends",
		Source: `documents section 9a: the client hook closes on "stop"; the upstream ends the stream after it`,
		Fix:    "Relay the stop event like any other and end the response when the upstream stream ends."},
	{ID: "CR-SSE-5", Group: StreamRoute, Title: "When the upstream cannot be reached the route answers 502 with a JSON body",
		Source: `documents section 9a: "catch (err) { return NextResponse.json({ error: ... }, { status: 502 }) }"`,
		Fix:    "Catch a failed upstream connection and answer 502 with a JSON error body."},
	{ID: "CR-SSE-6", Group: StreamRoute, Title: "When the upstream answers an error the route answers that status",
		Source: `documents section 9a: "if (!upstream.ok ...) return NextResponse.json(..., { status: upstream.status || 502 })"`,
		Fix:    "When the upstream answers an error, answer the same status (404 for an unknown order, 503 when it is unavailable), not 200 or a blanket 500/502."},
	{ID: "CR-SSE-7", Group: StreamRoute, Title: "When the browser goes away the route closes its upstream stream within 5 s",
		Source: `documents section 9a: the route proxies one browser's stream; an upstream subscription left open holds a connection and counts against the partner's stream limit`,
		Fix:    "Abort the upstream fetch when the browser's request is aborted (e.g. pass request.signal, or cancel the reader on close)."},

	{ID: "CR-API-1", Group: CryptoTraffic, Title: "Every request carries X-Cr-Application, X-Cr-Version and either X-Country-ISO-Code or X-Forwarded-For with User-Agent",
		Source: `documents "Required headers for every API request" (variant A: X-Country-ISO-Code; variant B, long-form text: X-Forwarded-For and User-Agent)`,
		Fix:    "Send X-Cr-Application and X-Cr-Version on every call, and the end user's country (X-Country-ISO-Code) or IP and user agent (X-Forwarded-For, User-Agent)."},
	{ID: "CR-API-2", Group: CryptoTraffic, Title: "Every order creation is preceded by a validation of the same cart",
		Source: `documents section 7 "Validate order" ("Recommended") before section 8 "Create order"`,
		Fix:    "Call POST /v5/orders/validations with the same deliveries and payment before POST /v5/orders."},
	{ID: "CR-API-3", Group: CryptoTraffic, Title: "No order is created for a cart whose last validation reported problems",
		Source: `documents section 7 "Validate order" and "Possible errors": problems must be resolved before ordering`,
		Fix:    "Stop at a validation that reports problems: show them to the user and let them change the cart before creating the order."},
	{ID: "CR-API-4", Group: CryptoTraffic, Title: "An order is polled no more often than every 5 s, and not after a terminal state",
		Source: `documents section 9b "Track order (polling)": "poll every 5-10 seconds"; terminal states end tracking`,
		Fix:    "Poll GET /v5/orders/{orderId} at most every 5 s (or use the stream) and stop once the order is Done, Expired, Canceled, PaymentFailed or Refunded."},
	{ID: "CR-API-5", Group: CryptoTraffic, Title: "User emails and beneficiary accounts are real-looking: emails for gift cards and eSIMs, E.164 for top-ups, never the documents' placeholders",
		Source: `documents sections 7-8 and "Beneficiary account": "use the end user's real email"; top-ups take the phone number`,
		Fix:    "Send the end user's own email (gift cards, eSIMs) or phone number in E.164 form (+14155551234, top-ups); never END_USER_EMAIL or other placeholders."},
	{ID: "CR-API-6", Group: CryptoTraffic, Title: "No subscription after the stream sent stop; reconnections after a dropped stream back off (no two attempts within 1 s)",
		Source: `documents section 9a/9b: the client hook "handles stop events and reconnects with exponential backoff"`,
		Fix:    "Close the EventSource for good on stop, and wait (1 s, then longer) before reconnecting after an error."},

	{ID: "PS-WH-1", Group: WebhookRoute, Title: "A genuine webhook is answered 2xx within 5 s",
		Source: `payscrypt.txt "Webhook": the gateway POSTs every status change; anything but 2xx is retried`,
		Fix:    "Acknowledge webhooks with a 2xx at once; do slow work after answering."},
	{ID: "PS-WH-2", Group: WebhookRoute, Title: "Every webhook is followed by get_public_order for that id within 10 s",
		Source: `payscrypt.txt "Webhook": "Always do a getPublicOrderById after a webhook"`,
		Fix:    "On every webhook, call POST /apis/pg/get_public_order with its id and act only on that answer."},
	{ID: "PS-WH-3", Group: WebhookRoute, Title: "A forged webhook (SUCCESSFUL for a PENDING invoice) is re-checked and not answered 5xx",
		Source: `payscrypt.txt "Webhook": "Public urls can be accessed by anyone and exploited"`,
		Fix:    "Never trust a webhook's status: re-check it, ignore what get_public_order does not confirm, and still answer 2xx (or 4xx)."},
	{ID: "PS-WH-4", Group: WebhookRoute, Title: "Duplicated and out-of-order deliveries are answered 2xx and re-checked",
		Source: `payscrypt.txt "Webhook": deliveries are retried, so the same status can arrive twice and late`,
		Fix:    "Make the webhook handler idempotent: answer 2xx to repeats and older statuses, re-check, and never move an order backwards."},
	{ID: "PS-WH-5", Group: WebhookRoute, Title: "A webhook about an invoice the merchant does not have is answered 2xx or 4xx, never 5xx",
		Source: `payscrypt.txt "Webhook"; the retry policy is unknown (api-facts), so a 5xx invites retries, the mock's for as long as its schedule runs`,
		Fix:    "When get_public_order or your own store does not know the id, answer 2xx or 4xx, not an error."},
	{ID: "PS-API-1", Group: PayTraffic, Title: "Every create_order carries the apikey header, the merchant's pg_wallet_id, an integer-string amount in the smallest unit and an absolute callback_url",
		Source: `payscrypt.txt "Authentication", "create_order" (target_value in the asset's smallest unit, int64 fields as strings)`,
		Fix:    "Send apikey as a header, your pg_wallet_id, target_value as a string of digits (wei, satoshi...) and an absolute https callback_url."},
}
