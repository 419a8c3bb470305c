// Package mockadmin holds the Go types, std-http strict server interface and client that
// oapi-codegen generates from openapi/mockadmin.yaml, the mock's control API. Nothing here is
// written by hand: change the spec and run `make generate`.
package mockadmin

//go:generate go tool oapi-codegen -config cfg.yaml ../../openapi/mockadmin.yaml
//go:generate go run ../internal/rebind mockadmin.gen.go
