package mockserver_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cryptomock/cryptomock/mockserver"
)

// Clients written against one shape of each seam, as third-party clients are: each must read
// the mock's answers in the variant it was written for. (The harness checks every answer
// against the spec as well.)
type (
	epochAsString struct {
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	epochAsNumber struct {
		CreatedAt float64 `json:"created_at"`
		UpdatedAt float64 `json:"updated_at"`
	}
	// A tolerant client, for the mixed variant: either shape.
	epochEither struct {
		CreatedAt json.Number `json:"created_at"`
		UpdatedAt json.Number `json:"updated_at"`
	}
	boundsAsString []struct {
		Products []struct {
			FaceValue struct {
				Amount struct{ Min, Max string }
			} `json:"face_value"`
		}
	}
	boundsAsObject []struct {
		Products []struct {
			FaceValue struct {
				Amount struct {
					Min, Max *struct {
						Amount   float64
						Currency string
					}
				}
			} `json:"face_value"`
		}
	}
)

func TestSeamVariants(t *testing.T) {
	for _, tc := range []struct {
		epoch, bounds string
		order, prods  any
	}{
		{"string", "string", &epochAsString{}, &boundsAsString{}},
		{"number", "object", &epochAsNumber{}, &boundsAsObject{}},
		{"mixed", "mixed", &epochEither{}, nil},
	} {
		t.Run(tc.epoch+"/"+tc.bounds, func(t *testing.T) {
			h := start(t, func(c *mockserver.Config) {
				c.Cryptorefills.Variants.Epoch, c.Cryptorefills.Variants.RangeBounds = tc.epoch, tc.bounds
			})
			o := h.create(orderBody())
			_, b := h.req("GET", "/v5/orders/"+o.OrderID, nil)
			if err := json.Unmarshal(b, tc.order); err != nil {
				t.Fatalf("a client written for %s epochs cannot read the order: %v\n%s", tc.epoch, err, b)
			}
			status, b := h.req("GET", "/v5/products/country/US?family_name=Amazon.com&coin=USDC", nil)
			if status != http.StatusOK {
				t.Fatalf("products: %d %s", status, b)
			}
			if tc.prods != nil {
				if err := json.Unmarshal(b, tc.prods); err != nil {
					t.Fatalf("a client written for %s range bounds cannot read the products: %v\n%s", tc.bounds, err, b)
				}
			}
		})
	}
	// Mixed sends every shape: over a few orders, both epoch shapes appear.
	h := start(t, func(c *mockserver.Config) { c.Cryptorefills.Variants.Epoch = "mixed" })
	shapes := map[string]bool{}
	for i := 0; i < 12; i++ {
		o := h.create(orderBody(withField("email", "m"+string(rune('a'+i))+"@example.com")))
		_, b := h.req("GET", "/v5/orders/"+o.OrderID, nil)
		var raw struct {
			CreatedAt json.RawMessage `json:"created_at"`
		}
		_ = json.Unmarshal(b, &raw)
		if len(raw.CreatedAt) > 0 && raw.CreatedAt[0] == '"' {
			shapes["string"] = true
		} else {
			shapes["number"] = true
		}
	}
	if !shapes["string"] || !shapes["number"] {
		t.Fatalf("mixed epochs sent only %v over 12 orders", shapes)
	}
}
