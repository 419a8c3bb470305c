// Package tenant names the mock's tenants, the owners of state and of a clock of their own: a
// Cryptorefills partner (its X-Cr-Application) and a Payscrypt merchant (its pg_wallet_id).
package tenant

import "strconv"

// The kinds of tenant: a tenant's name is its kind followed by its id.
const (
	PartnerKind  = "cryptorefills:"
	MerchantKind = "payscrypt:"
)

// Partner names a Cryptorefills partner.
func Partner(id string) string { return PartnerKind + id }

// Merchant names a Payscrypt merchant.
func Merchant(walletID int64) string { return MerchantKind + strconv.FormatInt(walletID, 10) }
