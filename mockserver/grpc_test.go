package mockserver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/cryptomock/cryptomock/gen/payscryptpb"
)

// cloneReq copies a request, to change one field.
func cloneReq(r *pb.CreateOrderRequest) *pb.CreateOrderRequest {
	return proto.Clone(r).(*pb.CreateOrderRequest)
}

func (h *harness) grpcClient(t *testing.T) (*grpc.ClientConn, pb.PaymentGatewayClient) {
	t.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(h.url, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, pb.NewPaymentGatewayClient(conn)
}

// TestGRPCFlavour: the generated Go client over cleartext HTTP/2 on the mock's own port: the
// apikey metadata, the REST mapping's status codes, and the same invoices as REST in both
// directions, paid and confirmed on the same book.
func TestGRPCFlavour(t *testing.T) {
	h := start(t)
	_, client := h.grpcClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withKey := metadata.AppendToOutgoingContext(ctx, "apikey", "test-apikey")
	req := &pb.CreateOrderRequest{MerchantOrderId: "1234", AssetName: "ETH", TargetValue: "1500000000000000000", PgWalletId: 1,
		CallbackUrl: "https://shop.example/thanks", MerchantName: "Hoodie Shop", Description: "1 x Hoodie"}
	created, err := client.CreateOrder(withKey, req)
	if err != nil || created.GetOrder().GetStatus() != pb.Order_PENDING || len(created.GetOrder().GetVariants()) == 0 || created.GetOrder().GetCode() == "" {
		t.Fatalf("create over gRPC: %v %v", created, err)
	}
	id := created.GetOrder().GetId()

	// Read over REST what gRPC created, pay it, and read it back over gRPC.
	status200, _, b := call{method: "POST", url: h.url + "/apis/pg/get_public_order", body: `{"id":"` + id + `"}`}.do(t)
	if status200 != 200 || !strings.Contains(b, `"merchant_order_id":"1234"`) {
		t.Fatalf("REST reading a gRPC invoice: %d %s", status200, b)
	}
	h.admin("POST", "/__mock/payscrypt/orders/"+id+"/payments", nil)
	got, err := client.GetPublicOrder(ctx, &pb.GetPublicOrderRequest{Id: id, WithPayments: true})
	if err != nil || got.GetOrder().GetStatus() != pb.Order_SUCCESSFUL || len(got.GetOrder().GetPayments()) == 0 {
		t.Fatalf("gRPC reading the paid invoice: %v %v", got, err)
	}
	_, rest, _, _ := h.createInvoice("test-apikey", hoodie)
	if got, err := client.GetPublicOrder(ctx, &pb.GetPublicOrderRequest{Id: rest.ID}); err != nil || got.GetOrder().GetMerchantOrderId() != "1234" {
		t.Fatalf("gRPC reading a REST invoice: %v %v", got, err)
	}

	// The status codes of the REST mapping.
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"no apikey": {func() error { _, err := client.CreateOrder(ctx, req); return err }, codes.Unauthenticated},
		"unknown apikey": {func() error {
			_, err := client.CreateOrder(metadata.AppendToOutgoingContext(ctx, "apikey", "nope"), req)
			return err
		}, codes.Unauthenticated},
		"another wallet": {func() error {
			r := cloneReq(req)
			r.PgWalletId = 2
			_, err := client.CreateOrder(withKey, r)
			return err
		}, codes.PermissionDenied},
		"bad target": {func() error {
			r := cloneReq(req)
			r.TargetValue = "lots"
			_, err := client.CreateOrder(withKey, r)
			return err
		}, codes.InvalidArgument},
		"unknown invoice": {func() error {
			_, err := client.GetPublicOrder(ctx, &pb.GetPublicOrderRequest{Id: "999999"})
			return err
		}, codes.NotFound},
	} {
		if got := status.Code(c.call()); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

// TestGRPCReflection: server reflection lists the service, so tools need no proto file.
func TestGRPCReflection(t *testing.T) {
	h := start(t)
	conn, _ := h.grpcClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "payscrypt.pg.v1.PaymentGateway") {
		t.Fatalf("reflection lists %v", names)
	}
}

// grpcurlPath finds grpcurl (.ci/run installs it from the Go module proxy into .cache/bin):
// $GRPCURL, then ../.cache/bin, then PATH.
func grpcurlPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GRPCURL"), filepath.Join("..", ".cache", "bin", "grpcurl")} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("grpcurl"); err == nil {
		return p
	}
	why := "grpcurl is not installed (.ci/run installs it: GOBIN=$PWD/.cache/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3)"
	if os.Getenv("CRYPTOMOCK_REQUIRE_CLIENTS") == "1" {
		t.Fatal(why)
	}
	t.Skip("skipped: " + why)
	return ""
}

// TestGRPCWithGrpcurl: grpcurl, a client nobody here wrote, with no proto file at hand (server
// reflection): list, describe, create an invoice with the apikey metadata, read it back, and
// the error of a missing key.
func TestGRPCWithGrpcurl(t *testing.T) {
	bin := grpcurlPath(t)
	h := start(t)
	addr := strings.TrimPrefix(h.url, "http://")
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, append([]string{"-plaintext"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := run(addr, "list"); err != nil || !strings.Contains(out, "payscrypt.pg.v1.PaymentGateway") {
		t.Fatalf("grpcurl list: %v\n%s", err, out)
	}
	if out, err := run(addr, "describe", "payscrypt.pg.v1.PaymentGateway"); err != nil || !strings.Contains(out, "rpc CreateOrder") {
		t.Fatalf("grpcurl describe: %v\n%s", err, out)
	}
	body := `{"merchant_order_id":"1234","asset_name":"ETH","target_value":"1500000000000000000","pg_wallet_id":"1"}`
	out, err := run("-H", "apikey: test-apikey", "-d", body, addr, "payscrypt.pg.v1.PaymentGateway/CreateOrder")
	id := regexp.MustCompile(`"id": "(\d+)"`).FindStringSubmatch(out)
	if err != nil || id == nil || !strings.Contains(out, `"code"`) {
		t.Fatalf("grpcurl CreateOrder: %v\n%s", err, out)
	}
	if out, err := run("-d", `{"id":"`+id[1]+`"}`, addr, "payscrypt.pg.v1.PaymentGateway/GetPublicOrder"); err != nil || !strings.Contains(out, `"merchantOrderId": "1234"`) {
		t.Fatalf("grpcurl GetPublicOrder: %v\n%s", err, out)
	}
	if out, err := run("-d", body, addr, "payscrypt.pg.v1.PaymentGateway/CreateOrder"); err == nil || !strings.Contains(out, "Unauthenticated") {
		t.Fatalf("grpcurl without apikey: %v\n%s", err, out)
	}
}
