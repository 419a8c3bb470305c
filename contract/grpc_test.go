package contract_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/cryptomock/cryptomock/gen/payscryptpb"
	"github.com/cryptomock/cryptomock/scenarios"
)

// The Payscrypt scenarios over the gRPC flavour: the same scenario data, the body decoded into
// the request message by the proto3 JSON mapping (which reads the original names), the apikey
// header as metadata, the answer judged by the same expectations (the gRPC code where REST has
// its grpc-code header and HTTP status). Every reply is checked against the proto's messages
// as REST answers are against the OpenAPI spec: a field or an enum number the proto does not
// declare is a violation.

// grpcOperations are the operations the gRPC flavour offers, by operationId.
var grpcOperations = map[string]bool{"createPaymentOrder": true, "getPublicOrder": true}

// bothFlavours declares a scenario's spec over REST, and over gRPC when its operation and
// request have a gRPC form.
func bothFlavours(id string, body func(ctx SpecContext, e *env)) {
	run(id, body)
	if s := scenario(id); s.API == "payscrypt" && grpcOperations[s.Operation] && s.Request.RawBody == "" {
		runGRPC(id, body)
	}
}

var _ = Describe("Payscrypt over gRPC, bad requests", Label("payscrypt", "grpc"), func() {
	runGRPC("ps.bad.missing-field", func(_ SpecContext, e *env) { e.expect(e.send(nil)) })
})

type grpcSide struct {
	conn   *grpc.ClientConn
	client pb.PaymentGatewayClient
}

func (e *env) gateway() pb.PaymentGatewayClient {
	if e.grpc == nil {
		conn, err := grpc.NewClient(tgt.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		e.grpc = &grpcSide{conn: conn, client: pb.NewPaymentGatewayClient(conn)}
	}
	return e.grpc.client
}

// call performs one RPC by operationId, with the apikey as metadata when given.
func (e *env) call(op string, body []byte, apikey string) (proto.Message, error) {
	ctx := e.ctx
	if apikey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "apikey", apikey)
	}
	var req, reply proto.Message
	var err error
	switch op {
	case "createPaymentOrder":
		r := &pb.CreateOrderRequest{}
		req = r
		if err = protojson.Unmarshal(body, r); err == nil {
			reply, err = e.gateway().CreateOrder(ctx, r)
		}
	case "getPublicOrder":
		r := &pb.GetPublicOrderRequest{}
		req = r
		if err = protojson.Unmarshal(body, r); err == nil {
			reply, err = e.gateway().GetPublicOrder(ctx, r)
		}
	default:
		Fail("no gRPC form of " + op)
	}
	e.note(fmt.Sprintf("> gRPC %s %s\n< %v %s", op, protojson.Format(req), grpcstatus.Code(err), formatReply(reply)))
	if err == nil {
		if v := protoViolations(reply.ProtoReflect(), ""); len(v) > 0 {
			e.violation(fmt.Errorf("gRPC %s answered what its proto message does not declare: %v", op, v))
		}
	}
	return reply, err
}

func formatReply(m proto.Message) string {
	if m == nil || !m.ProtoReflect().IsValid() {
		return ""
	}
	return protojson.Format(m)
}

// sendGRPC is send over gRPC: the scenario's body and headers, its answer as REST would have it
// for the expectations (the HTTP status grpc-gateway maps the code to, the grpc-code, the
// reply in proto3 JSON with the original names).
func (e *env) sendGRPC(vars scenarios.Vars) answer {
	body, err := e.s.Body(e.creds, vars)
	Expect(err).NotTo(HaveOccurred())
	apikey := ""
	if e.s.Operation == "createPaymentOrder" {
		apikey = e.creds.APIKey
	}
	if k, ok := e.s.Request.Headers["apikey"]; ok {
		apikey = k
	}
	if slices.Contains(e.s.Request.OmitHeaders, "apikey") {
		apikey = ""
	}
	reply, err := e.call(e.s.Operation, body, apikey)
	code := grpcstatus.Code(err)
	a := answer{status: httpStatus(code), header: map[string][]string{"Grpc-Code": {strconv.Itoa(int(code))},
		"Grpc-Message": {grpcstatus.Convert(err).Message()}}}
	if err == nil {
		a.body, _ = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(reply)
		_ = json.Unmarshal(a.body, &a.json)
	}
	return a
}

// httpStatus is grpc-gateway's mapping of the codes the API uses.
func httpStatus(c codes.Code) int {
	return map[codes.Code]int{codes.OK: 200, codes.InvalidArgument: 400, codes.Unauthenticated: 401, codes.PermissionDenied: 403,
		codes.NotFound: 404, codes.ResourceExhausted: 429, codes.Internal: 500, codes.Unavailable: 503, codes.DeadlineExceeded: 504}[c]
}

func (e *env) createInvoiceGRPC(body []byte) string {
	reply, err := e.call("createPaymentOrder", body, e.creds.APIKey)
	Expect(err).NotTo(HaveOccurred(), "create the set-up invoice over gRPC")
	return reply.(*pb.CreateOrderReply).GetOrder().GetId()
}

// invoiceStatus reads an invoice's status in the spec's flavour.
func (e *env) invoiceStatus(id string) string {
	if e.flavour != "grpc" {
		return status(e.publicOrder(id))
	}
	body, _ := json.Marshal(map[string]string{"id": id})
	reply, err := e.call("getPublicOrder", body, "")
	Expect(err).NotTo(HaveOccurred())
	return reply.(*pb.GetPublicOrderReply).GetOrder().GetStatus().String()
}

// protoViolations lists what a message holds that its proto does not declare: unknown fields,
// and enum numbers outside the enum.
func protoViolations(m protoreflect.Message, at string) []string {
	var out []string
	if len(m.GetUnknown()) > 0 {
		out = append(out, at+": fields the proto does not declare")
	}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		where := at + "." + string(f.Name())
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			for i := 0; i < v.List().Len(); i++ {
				out = append(out, protoViolations(v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", where, i))...)
			}
		case f.Kind() == protoreflect.MessageKind:
			out = append(out, protoViolations(v.Message(), where)...)
		case f.Kind() == protoreflect.EnumKind && !f.IsList():
			if f.Enum().Values().ByNumber(v.Enum()) == nil {
				out = append(out, fmt.Sprintf("%s: enum number %d is not in %s", where, v.Enum(), f.Enum().FullName()))
			}
		}
		return true
	})
	return out
}

// TestProtoViolations: the gRPC check finds fields and enum numbers a proto does not declare.
func TestProtoViolations(t *testing.T) {
	o := &pb.Order{Id: "1", Status: pb.Order_Status(42)}
	o.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 7))
	got := protoViolations((&pb.CreateOrderReply{Order: o}).ProtoReflect(), "")
	if len(got) != 2 {
		t.Fatalf("violations %v, want the unknown field and the enum number", got)
	}
	if v := protoViolations((&pb.CreateOrderReply{Order: &pb.Order{Id: "1", Status: pb.Order_SUCCESSFUL}}).ProtoReflect(), ""); len(v) != 0 {
		t.Fatalf("a valid reply: %v", v)
	}
}
