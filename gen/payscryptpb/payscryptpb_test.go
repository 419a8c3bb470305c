package payscryptpb

import (
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// TestHTTPAnnotations: the service's methods carry the REST paths, read back through the
// real google.api.http extension (the generated code registers against genproto's).
func TestHTTPAnnotations(t *testing.T) {
	methods := File_payscrypt_proto.Services().ByName("PaymentGateway").Methods()
	for name, want := range map[string]string{"CreateOrder": "/apis/pg/create_order", "GetPublicOrder": "/apis/pg/get_public_order"} {
		opts := methods.ByName(protoreflect.Name(name)).Options().(*descriptorpb.MethodOptions)
		rule := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
		if rule.GetPost() != want || rule.GetBody() != "*" {
			t.Errorf("%s: POST %q body %q, want POST %q body \"*\"", name, rule.GetPost(), rule.GetBody(), want)
		}
	}
}
