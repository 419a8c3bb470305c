package payscrypt

import (
	"context"
	"net/http"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	pb "github.com/cryptomock/cryptomock/gen/payscryptpb"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
)

// The gRPC flavour of the Payscrypt API ("We provide API in two different flavors: REST and
// gRPC"): the PaymentGateway service of openapi/payscrypt.proto, on the same listener as REST
// (cleartext HTTP/2 with prior knowledge, as grpcurl -plaintext speaks), with server
// reflection, over the same invoices: an invoice created in either flavour is read in the
// other, pays and expires on the same clock, and fires the same webhooks.

// gatewayPaths are the gRPC paths the flavour serves.
var gatewayPaths = []string{"/" + pb.PaymentGateway_ServiceDesc.ServiceName + "/",
	"/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"}

// GRPCAPI is the gRPC flavour's definition for the registry.
func (h *Handlers) GRPCAPI() *upstream.API {
	rest := h.API(nil) // the same tenant: the merchant of the apikey metadata (an HTTP/2 header)
	return &upstream.API{
		Name: "payscrypt-grpc", Spec: "", Prefixes: gatewayPaths, Tenant: rest.Tenant,
		Error: apierror.WriteGRPCStatus,
		Mount: func(o upstream.MountOptions) {
			srv := grpc.NewServer()
			pb.RegisterPaymentGatewayServer(srv, gateway{h: h})
			reflection.Register(srv)
			for _, p := range gatewayPaths {
				o.Mux.Handle(p, grpcOnly(srv))
			}
		},
	}
}

// grpcOnly answers with the gRPC server only what is gRPC (HTTP/2, application/grpc).
func grpcOnly(srv *grpc.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || r.Header.Get("Content-Type") == "" || r.Method != http.MethodPost {
			apierror.WriteGRPCStatus(w, http.StatusBadRequest, "this is the gRPC flavour: call it with a gRPC client over HTTP/2 (grpcurl -plaintext)")
			return
		}
		srv.ServeHTTP(w, r)
	})
}

type gateway struct {
	pb.UnimplementedPaymentGatewayServer
	h *Handlers
}

func (e grpcError) status() error { return status.Error(codes.Code(e.code), e.msg) }

func (g gateway) CreateOrder(ctx context.Context, req *pb.CreateOrderRequest) (*pb.CreateOrderReply, error) {
	key := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("apikey")) > 0 {
		key = md.Get("apikey")[0]
	}
	o, e := g.h.createFor(key, invoices.CreateInput{WalletID: req.GetPgWalletId(), MerchantOrderID: req.GetMerchantOrderId(),
		MerchantName: req.GetMerchantName(), Description: req.GetDescription(), AssetName: req.GetAssetName(),
		TargetValue: req.GetTargetValue(), CallbackURL: req.GetCallbackUrl()})
	if e != nil {
		return nil, e.status()
	}
	return &pb.CreateOrderReply{Order: g.order(o)}, nil
}

func (g gateway) GetPublicOrder(_ context.Context, req *pb.GetPublicOrderRequest) (*pb.GetPublicOrderReply, error) {
	o, e := g.h.lookup(req.GetId())
	if e != nil {
		return nil, e.status()
	}
	full := g.order(o)
	out := &pb.PublicOrder{Id: full.Id, Type: full.Type, AssetName: full.AssetName, TargetValue: full.TargetValue,
		TargetConfirmations: full.TargetConfirmations, Variants: full.Variants, ExpiredAt: full.ExpiredAt,
		MerchantOrderId: full.MerchantOrderId, Status: full.Status, Value: full.Value, Confirmations: full.Confirmations,
		CreatedAt: full.CreatedAt, UpdatedAt: full.UpdatedAt, Chain: full.Chain, Network: full.Network,
		CallbackUrl: full.CallbackUrl, RedirectUrl: full.RedirectUrl}
	if req.GetWithPayments() {
		for _, p := range o.Payments {
			out.Payments = append(out.Payments, &pb.Payment{TxHash: p.TxHash, Value: p.Value.String(), Confirmations: p.Confirmations,
				CreatedAt: p.At.Unix()})
		}
	}
	return &pb.GetPublicOrderReply{Order: out}, nil
}

// order is an invoice as the proto's Order message.
func (g gateway) order(o invoices.Order) *pb.Order {
	return &pb.Order{Id: strconv.FormatInt(o.ID, 10), Code: code(o.ID), Type: pb.Order_NORMAL, AssetName: o.Asset.Name,
		TargetValue: o.Target.String(), TargetConfirmations: o.TargetConfirmations, Variants: o.Variants,
		ExpiredAt: o.ExpiredAt.Unix(), MerchantOrderId: o.MerchantOrderID, Description: o.Description,
		Status: pb.Order_Status(pb.Order_Status_value[o.Status]), Value: o.Value.String(), Confirmations: o.Confirmations,
		CreatedAt: o.CreatedAt.Unix(), UpdatedAt: o.UpdatedAt.Unix(), Chain: o.Asset.Chain, Network: o.Asset.Network,
		CallbackUrl: o.CallbackURL, RedirectUrl: g.h.redirectURL(o)}
}
