// Package payscrypt holds the Go types, std-http strict server interface and client that
// oapi-codegen generates from openapi/payscrypt.yaml. Nothing here is written by hand:
// change the spec and run `make generate`.
package payscrypt

//go:generate go tool oapi-codegen -config cfg.yaml ../../openapi/payscrypt.yaml
//go:generate go run ../internal/rebind payscrypt.gen.go
