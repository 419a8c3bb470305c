package payscrypt

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
)

func i64(n int64) string      { return strconv.FormatInt(n, 10) }
func unix(t time.Time) string { return i64(t.Unix()) }
func ptr[T any](v T) *T       { return &v }

// field returns a pointer to v, or nil when omitting defaults and v is its type's default
// (grpc-gateway's default marshaler leaves such fields out of the JSON).
func field[T comparable](omit bool, v T) *T {
	var zero T
	if omit && v == zero {
		return nil
	}
	return &v
}

// number is field for int64-as-string values, whose default is "0".
func number(omit bool, v string) *string {
	if omit && v == "0" {
		return nil
	}
	return &v
}

func (h *Handlers) redirectURL(o invoices.Order) string {
	return h.publicURL() + "/pay/" + i64(o.ID)
}

func (h *Handlers) order(o invoices.Order) gen.Order {
	omit := h.omitDefaults
	out := gen.Order{
		Id: ptr(i64(o.ID)), Code: ptr(code(o.ID)), Type: enumField(omit, gen.NORMAL), AssetName: field(omit, o.Asset.Name),
		TargetValue: number(omit, o.Target.String()), TargetConfirmations: number(omit, i64(o.TargetConfirmations)),
		ExpiredAt: number(omit, unix(o.ExpiredAt)), MerchantOrderId: field(omit, o.MerchantOrderID),
		Description: field(omit, o.Description), Status: enumField(omit, gen.OrderStatus(o.Status)),
		Value: number(omit, o.Value.String()), Confirmations: number(omit, i64(o.Confirmations)),
		CreatedAt: number(omit, unix(o.CreatedAt)), UpdatedAt: number(omit, unix(o.UpdatedAt)),
		Chain: field(omit, o.Asset.Chain), Network: field(omit, o.Asset.Network), CallbackUrl: field(omit, o.CallbackURL),
		RedirectUrl: ptr(h.redirectURL(o)), Variants: ptr(o.Variants),
	}
	if omit && len(o.Variants) == 0 {
		out.Variants = nil
	}
	return out
}

// enumField writes an enum by name, or nothing for value 0 of the enum (NORMAL, PENDING) when
// omitting defaults.
func enumField[T ~string](omit bool, v T) *T {
	if omit && (string(v) == string(gen.NORMAL) || string(v) == string(gen.PENDING)) {
		return nil
	}
	return &v
}

// code is an invoice's reference (Order.code, Invoice.code): the real form is not
// published, so the mock derives eight characters of [A-Z2-7] from the id.
func code(id int64) string {
	sum := sha256.Sum256([]byte("payscrypt-code|" + strconv.FormatInt(id, 10)))
	return base32.StdEncoding.EncodeToString(sum[:])[:8]
}

func (h *Handlers) publicOrder(o invoices.Order, withPayments bool) gen.PublicOrder {
	full := h.order(o)
	out := gen.PublicOrder{
		Id: full.Id, Type: full.Type, AssetName: full.AssetName, TargetValue: full.TargetValue,
		TargetConfirmations: full.TargetConfirmations, Variants: full.Variants, ExpiredAt: full.ExpiredAt,
		MerchantOrderId: full.MerchantOrderId, Status: full.Status, Value: full.Value, Confirmations: full.Confirmations,
		CreatedAt: full.CreatedAt, UpdatedAt: full.UpdatedAt, Chain: full.Chain, Network: full.Network,
		CallbackUrl: full.CallbackUrl, RedirectUrl: full.RedirectUrl,
	}
	if withPayments {
		payments := []gen.Payment{}
		for _, p := range o.Payments {
			payments = append(payments, gen.Payment{TxHash: ptr(p.TxHash), Value: ptr(p.Value.String()),
				Confirmations: number(h.omitDefaults, i64(p.Confirmations)), CreatedAt: ptr(unix(p.At))})
		}
		out.Payments = &payments
	}
	return out
}
