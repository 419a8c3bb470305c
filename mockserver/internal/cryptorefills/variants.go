package cryptorefills

import (
	"fmt"
	"hash/fnv"
	"math/big"
	"strconv"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
)

// Shapes a seam can take (openapi/README.md, "Seams where production varies").
const (
	ShapeString = "string" // epochs "1787679708"; range bounds "50.00"
	ShapeNumber = "number" // epochs 1787679708 (and, mixed, 1787679999.75)
	ShapeObject = "object" // range bounds {amount, currency}
	ShapeMixed  = "mixed"  // every shape in turn, chosen per value from the seed
)

// Variants chooses, for each place where production answers in more than one shape, which
// shape the mock sends. The defaults follow the most recent dated evidence.
type Variants struct {
	Epoch       string // string, number or mixed
	RangeBounds string // string, object or mixed
}

// DefaultVariants are the shapes sent by default: epochs as strings (the dated live captures),
// range bounds as strings (the observation of 2026-10, later than the capture of 2026-08 with
// objects).
var DefaultVariants = Variants{Epoch: ShapeString, RangeBounds: ShapeString}

// VariantShapes lists the shapes each seam accepts, for configuration checks.
var VariantShapes = map[string][]string{
	"epoch":        {ShapeString, ShapeNumber, ShapeMixed},
	"range_bounds": {ShapeString, ShapeObject, ShapeMixed},
}

// seams renders the values whose shape varies.
type seams struct {
	v    Variants
	seed int64
}

// pick chooses one of n shapes for a value, the same every time for the same seed and key.
func (s seams) pick(key string, n int) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d|%s", s.seed, key)
	return int(h.Sum32() % uint32(n))
}

// epochs writes one time for two fields: the same bytes for both unless the shapes are mixed
// (each field then draws its own).
func (s seams) epochs(t time.Time, id, field1, field2 string) (gen.EpochSeconds, gen.EpochSeconds) {
	first := s.epoch(t, id, field1)
	if s.v.Epoch != ShapeMixed {
		return first, first // only ever encoded, never written through
	}
	return first, s.epoch(t, id, field2)
}

// epoch writes a time as the configured shape; id and field name the value so that a mixed
// mock answers the same value the same way every time.
func (s seams) epoch(t time.Time, id, field string) gen.EpochSeconds {
	shape := s.v.Epoch
	fractional := false
	if shape == ShapeMixed {
		switch s.pick(id+"|"+field, 3) {
		case 0:
			shape = ShapeString
		case 1:
			shape = ShapeNumber
		default:
			shape, fractional = ShapeNumber, true
		}
	}
	b := make([]byte, 0, 24)
	if shape != ShapeNumber {
		b = append(b, '"') // digits and a point only: nothing to escape
	}
	b = strconv.AppendInt(b, t.Unix(), 10)
	if fractional {
		b = append(b, '.', byte('0'+t.Nanosecond()/1e8), byte('0'+t.Nanosecond()/1e7%10))
	}
	if shape != ShapeNumber {
		b = append(b, '"')
	}
	return gen.EpochSeconds(b)
}

// rangeBound writes a range product's bound as the configured shape.
func (s seams) rangeBound(v *big.Rat, currency, key string) *gen.RangeBound {
	shape := s.v.RangeBounds
	if shape == ShapeMixed {
		shape = []string{ShapeString, ShapeObject}[s.pick(key, 2)]
	}
	var b gen.RangeBound
	if shape == ShapeObject {
		_ = b.FromMoneyAmount(gen.MoneyAmount{Amount: money.Float(v), Currency: currency})
	} else {
		_ = b.FromDecimal(money.Format(v, 2))
	}
	return &b
}
