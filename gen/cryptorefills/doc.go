// Package cryptorefills holds the Go types, std-http strict server interface and client that
// oapi-codegen generates from openapi/cryptorefills.yaml. Nothing here is written by hand:
// change the spec and run `make generate`.
package cryptorefills

//go:generate go tool oapi-codegen -config cfg.yaml ../../openapi/cryptorefills.yaml
//go:generate go run ../internal/rebind cryptorefills.gen.go
