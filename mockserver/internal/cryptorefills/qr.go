package cryptorefills

import (
	"bytes"
	"context"
	"errors"

	"rsc.io/qr"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
)

// GetOrderQR answers the PNG QR code of an order's payment URI (its qr_text). Any partner's
// order: the image is loaded by browsers, which send no partner headers.
func (h *Handlers) GetOrderQR(_ context.Context, req gen.GetOrderQRRequestObject) (gen.GetOrderQRResponseObject, error) {
	o, err := h.engine.Lookup(req.OrderId)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return gen.GetOrderQR404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(orderNotFound(req.OrderId))}, nil
	}
	code, err := qr.Encode(o.QRText, qr.M)
	if err != nil {
		return nil, err // a payment URI always fits a QR code; this would be a bug
	}
	png := code.PNG()
	return gen.GetOrderQR200ImagepngResponse{Body: bytes.NewReader(png), ContentLength: int64(len(png))}, nil
}
