package payscrypt

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/url"
	"strconv"

	"rsc.io/qr"

	"github.com/cryptomock/cryptomock/mockserver/internal/guard"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
)

// The payment page behind redirect_url: amount, address with its QR code, the status updated
// live (it polls get_public_order), and, because this is a mock, buttons that simulate a full,
// partial or late payment through the control API. When the control API needs a token the
// buttons are shown disabled: the page must not carry the token.
var pageTemplate = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay invoice {{.ID}}</title>
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
.amount{font-size:1.6rem;font-weight:600}.addr{font-family:monospace;word-break:break-all;background:#f3f4f6;padding:.5rem;border-radius:.3rem}
#status{font-weight:600}.mock{border-top:1px solid #ddd;margin-top:1.5rem;padding-top:1rem}button{margin:.2rem .4rem .2rem 0;padding:.5rem .8rem}
</style></head><body>
<h1>Invoice {{.ID}}</h1>
{{if .Merchant}}<p id="merchant">{{.Merchant}}</p>{{end}}
{{if .Description}}<p id="description">{{.Description}}</p>{{end}}
<p class="amount" id="amount">{{.Amount}} {{.Asset}}</p>
<p>Send it to this {{.Chain}} address:</p>
<p class="addr" id="address">{{.Address}}</p>
{{if .QR}}<img id="qr" alt="QR code of the payment address" width="220" height="220" src="data:image/png;base64,{{.QR}}">{{else}}<p id="qr">(No QR code: this payment request is too long to draw one.)</p>{{end}}
<p>Status: <span id="status">{{.Status}}</span> · received <span id="value">{{.Received}}</span> {{.Asset}} · confirmations <span id="conf">{{.Confirmations}}</span>/{{.TargetConfirmations}}</p>
<p>Expires in <span id="countdown">{{.ExpiresIn}} s</span> (on the merchant's clock).</p>
{{if .Callback}}<p id="back" hidden><a href="{{.Callback}}">Back to the shop</a></p>{{end}}
<div class="mock"><p><strong>cryptomock</strong>: simulate what the chain would do.{{if .Locked}} (Disabled: this mock's control API needs a token.){{end}}</p>
<button id="pay-full" {{if .Locked}}disabled{{end}}>Pay in full</button>
<button id="pay-partial" {{if .Locked}}disabled{{end}}>Pay half</button>
<button id="pay-late" {{if .Locked}}disabled{{end}}>Let it expire, then pay</button></div>
<script nonce="{{.Nonce}}">
const id = {{.ID}}, wallet = {{.Wallet}}, target = {{.Target}}, locked = {{.Locked}}, loaded = Date.now();
let expiresIn = {{.ExpiresIn}}, received = {{.Value}}, final = false;
const buttons = ['pay-full', 'pay-partial', 'pay-late'].map((b) => document.getElementById(b));
async function control(path, body) {
  await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  await refresh();
}
const payments = '/__mock/payscrypt/orders/' + id + '/payments';
// An empty body pays what is still due, fully confirmed.
buttons[0].onclick = () => control(payments, {});
buttons[1].onclick = () => control(payments, {value: ((BigInt(target) - BigInt(received)) / 2n).toString(), confirmations: 0});
buttons[2].onclick = async () => {
  await control('/__mock/clock/advance', {seconds: Math.max(expiresIn, 0) + 1, pg_wallet_id: wallet}); // this merchant's time only
  await control(payments, {});
};
async function refresh() {
  const r = await fetch('/apis/pg/get_public_order', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: String(id)})});
  if (!r.ok) return;
  const o = (await r.json()).order;
  const status = o.status || 'PENDING';
  received = o.value || '0';
  document.getElementById('status').textContent = status;
  document.getElementById('value').textContent = units(received);
  document.getElementById('conf').textContent = o.confirmations || '0';
  final = ['SUCCESSFUL', 'EXPIRED', 'CANCELED'].includes(status);
  for (const b of buttons) b.disabled = locked || final;
  const back = document.getElementById('back');
  if (back) back.hidden = !final;
}
function tick() {
  const left = expiresIn - Math.floor((Date.now() - loaded) / 1000);
  document.getElementById('countdown').textContent = final ? '(final)' : left > 0 ? left + ' s' : 'now';
}
const decimals = {{.Decimals}};
function units(v) { const s = v.padStart(decimals + 1, '0'); const whole = s.slice(0, -decimals), frac = s.slice(-decimals).replace(/0+$/, ''); return frac ? whole + '.' + frac : whole; }
refresh();
setInterval(() => { refresh(); tick(); }, 1000);
</script></body></html>`))

// PageHandler serves GET /pay/{id}. locked tells whether the control API needs a token for
// the request's listener.
func (h *Handlers) PageHandler(locked func(*http.Request) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		o, gerr := h.book.Get(id)
		if err != nil || gerr != nil {
			http.Error(w, "no such invoice", http.StatusNotFound)
			return
		}
		qrPNG := ""
		if code, err := qr.Encode(paymentURI(o), qr.M); err == nil { // too long to draw: the page goes without
			qrPNG = base64.StdEncoding.EncodeToString(code.PNG())
		}
		expiresIn := o.ExpiredAt.Unix() - h.book.Now(o.WalletID).Unix() // on the merchant's clock
		if expiresIn < 0 {
			expiresIn = 0
		}
		nonce := guard.SecureHTML(w)
		callback := "" // only an absolute http(s) URL becomes a link (create_order refuses others)
		if u, err := url.Parse(o.CallbackURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			callback = o.CallbackURL
		}
		_ = pageTemplate.Execute(w, map[string]any{"Nonce": nonce,
			"ID": o.ID, "Wallet": o.WalletID, "Asset": o.Asset.Name, "Chain": o.Asset.Chain, "Address": o.Variants[0],
			"Amount": units(o.Target, o.Asset.Decimals), "Received": units(o.Value, o.Asset.Decimals),
			"Target": o.Target.String(), "Value": o.Value.String(), "Status": o.Status, "Confirmations": o.Confirmations,
			"TargetConfirmations": o.TargetConfirmations, "Decimals": o.Asset.Decimals, "ExpiresIn": expiresIn,
			"QR": qrPNG, "Locked": locked(r), "Description": o.Description, "Merchant": o.MerchantName, "Callback": callback,
		})
	}
}

// units writes an amount of the smallest unit in whole units ("1.5" for 1.5e18 wei).
func units(v *big.Int, decimals int) string {
	r := new(big.Rat).SetFrac(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	s := r.FloatString(decimals)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func paymentURI(o invoices.Order) string {
	addr := o.Variants[0]
	switch o.Asset.Chain {
	case "ethereum":
		if o.Asset.Name == "ETH" {
			return fmt.Sprintf("ethereum:%s?value=%s", addr, o.Target)
		}
		return "ethereum:" + addr
	}
	return fmt.Sprintf("%s:%s?amount=%s", o.Asset.Chain, addr, units(o.Target, o.Asset.Decimals))
}
