package openapi_test

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/cryptomock/cryptomock/gen/payscryptpb"
	"github.com/cryptomock/cryptomock/openapi"
)

// TestProtoMatchesPayscryptSpec: openapi/payscrypt.proto and openapi/payscrypt.yaml describe
// the same messages, fields, types (under the proto3 JSON mapping grpc-gateway uses, original
// names) and enums, in both directions, so the two flavours cannot drift apart.
func TestProtoMatchesPayscryptSpec(t *testing.T) {
	doc := load(t, openapi.Payscrypt)
	schemas := doc.Components.Schemas
	file := pb.File_payscrypt_proto
	messages := map[string]string{"Order": "Order", "PublicOrder": "PublicOrder", "Payment": "Payment", "WebhookOrder": "WebhookOrder",
		"CreateOrderRequest": "CreateOrderRequest", "CreateOrderReply": "CreateOrderReply",
		"GetPublicOrderRequest": "GetPublicOrderRequest", "GetPublicOrderReply": "GetPublicOrderReply"}
	enums := map[protoreflect.FullName]string{"payscrypt.pg.v1.Order.Status": "OrderStatus", "payscrypt.pg.v1.Order.Type": "OrderType"}
	if file.Messages().Len() != len(messages) {
		t.Errorf("the proto has %d messages, the check knows %d", file.Messages().Len(), len(messages))
	}
	fields := 0
	for msg, schema := range messages {
		md := file.Messages().ByName(protoreflect.Name(msg))
		s := schemas[schema]
		if md == nil || s == nil {
			t.Fatalf("%s: missing in the proto (%v) or the spec (%v)", msg, md != nil, s != nil)
		}
		props := s.Value.Properties
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			fields++
			p := props[string(f.Name())]
			if p == nil {
				t.Errorf("%s.%s is in the proto, not in the spec", msg, f.Name())
				continue
			}
			if want, got := jsonKind(f, enums, messages), specKind(p); want != got {
				t.Errorf("%s.%s: the proto says %s, the spec %s", msg, f.Name(), want, got)
			}
		}
		for name := range props {
			if md.Fields().ByName(protoreflect.Name(name)) == nil {
				t.Errorf("%s.%s is in the spec, not in the proto", msg, name)
			}
		}
	}
	for full, schema := range enums {
		ed := file.Enums().ByName(protoreflect.Name(full.Name()))
		if ed == nil {
			ed = file.Messages().ByName("Order").Enums().ByName(protoreflect.Name(full.Name()))
		}
		var names []string
		for i := 0; i < ed.Values().Len(); i++ {
			names = append(names, string(ed.Values().Get(i).Name()))
		}
		var spec []string
		for _, v := range schemas[schema].Value.Enum {
			spec = append(spec, v.(string))
		}
		if strings.Join(names, ",") != strings.Join(spec, ",") {
			t.Errorf("%s: the proto has %v, the spec %v", full, names, spec)
		}
	}
	if fields < 50 {
		t.Fatalf("only %d fields compared", fields)
	}
}

// jsonKind is how proto3 JSON writes a field: int64 as a string, enums by name, messages as
// objects, repeated as arrays.
func jsonKind(f protoreflect.FieldDescriptor, enums map[protoreflect.FullName]string, messages map[string]string) string {
	var k string
	switch f.Kind() {
	case protoreflect.Int64Kind:
		k = "int64"
	case protoreflect.StringKind:
		k = "string"
	case protoreflect.BoolKind:
		k = "boolean"
	case protoreflect.EnumKind:
		k = "enum " + enums[f.Enum().FullName()]
	case protoreflect.MessageKind:
		k = "object " + messages[string(f.Message().Name())]
	default:
		k = f.Kind().String()
	}
	if f.Cardinality() == protoreflect.Repeated {
		return "array of " + k
	}
	return k
}

// specKind reads the same from a schema.
func specKind(ref *openapi3.SchemaRef) string {
	name := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	s := ref.Value
	if len(s.AllOf) == 1 { // a $ref with a description beside it
		return specKind(s.AllOf[0])
	}
	switch {
	case name == "Int64String" || name == "Int64Input":
		return "int64"
	case len(s.Enum) > 0:
		return "enum " + name
	case s.Type.Is("array"):
		return "array of " + specKind(s.Items)
	case s.Type.Is("object"):
		return "object " + name
	case s.Type.Is("boolean"):
		return "boolean"
	case s.Type.Is("string"):
		return "string"
	}
	return "unknown " + name
}
