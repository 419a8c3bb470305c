// Package payscryptpb is the Go code protoc-gen-go and protoc-gen-go-grpc generate from
// openapi/payscrypt.proto: the messages and the PaymentGateway service of the Payscrypt API's
// gRPC flavour. Regenerate with `make generate`.
package payscryptpb

//go:generate go run ../internal/protogen -root ../../openapi -out .
