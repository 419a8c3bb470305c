package payscrypt

import "testing"

func TestSnakeKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"merchant_order_id":"1","asset_name":"ETH"}`, `{"merchant_order_id":"1","asset_name":"ETH"}`},
		{`{"merchantOrderId":"1","asset_name":"ETH"}`, `{"asset_name":"ETH","merchant_order_id":"1"}`},
		{`{ "pgWalletId" : 1 }`, `{"pg_wallet_id":1}`},
		{`{"pgWalletId":1,"pg_wallet_id":2}`, `{"pg_wallet_id":2}`}, // the original name wins
		{`{"description":"see \"aB\": here"}`, `{"description":"see \"aB\": here"}`},
		{`["notAnObject"]`, `["notAnObject"]`},
	} {
		if got := string(snakeKeys([]byte(tc.in))); got != tc.want {
			t.Errorf("snakeKeys(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for in, want := range map[string]bool{`{"withPayments":true}`: true, `{"with_payments":true}`: false, `{"a":"camelCase"}`: false, `{"a":"ETH"}`: false} {
		if got := camelKeyIn([]byte(in)); got != want {
			t.Errorf("camelKeyIn(%s) = %v", in, got)
		}
	}
}
