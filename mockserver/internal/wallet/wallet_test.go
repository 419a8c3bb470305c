package wallet

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEIP55Vectors(t *testing.T) {
	// Test vectors from EIP-55.
	for _, want := range []string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		if got := Checksum(strings.ToLower(want)); got != want {
			t.Errorf("Checksum = %s, want %s", got, want)
		}
	}
}

func TestBech32Vector(t *testing.T) {
	// BIP-173: P2WPKH of 751e76e8199196d454941c45d1b3a323f1433bd6.
	prog, _ := hex.DecodeString("751e76e8199196d454941c45d1b3a323f1433bd6")
	got, err := segwit("bc", prog)
	if err != nil || got != "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" {
		t.Fatalf("segwit = %s, %v", got, err)
	}
}

func TestEveryFormatIsWellFormed(t *testing.T) {
	inv := Invoice{AmountSats: 32833, Created: time.Unix(1787679708, 0), Expiry: 30 * time.Minute}
	cases := map[Format]func(string) bool{
		Solana: func(s string) bool { b, ok := Base58Decode(s); return ok && len(b) == 32 },
		EVM: func(s string) bool {
			return regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`).MatchString(s) && Checksum(strings.ToLower(s)) == s
		},
		Bitcoin:  func(s string) bool { hrp, ok := Bech32Verify(s); return ok && hrp == "bc" && len(s) == 42 },
		Litecoin: func(s string) bool { hrp, ok := Bech32Verify(s); return ok && hrp == "ltc" },
		Tron:     func(s string) bool { return s[0] == 'T' && len(s) == 34 && base58CheckOK(s) },
		Dogecoin: func(s string) bool { return s[0] == 'D' && base58CheckOK(s) },
		Lightning: func(s string) bool {
			hrp, ok := Bech32Verify(s)
			return ok && hrp == "lnbc328330n"
		},
	}
	for f, ok := range cases {
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			addr, err := New(f, inv)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if !ok(addr) {
				t.Fatalf("%s: malformed address %q", f, addr)
			}
			seen[addr] = true
		}
		if len(seen) != 20 {
			t.Errorf("%s: addresses repeat", f)
		}
	}
	if _, err := New("nope", inv); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := New(Lightning, Invoice{}); err == nil {
		t.Error("lightning invoice without amount accepted")
	}
}

func base58CheckOK(s string) bool {
	b, ok := Base58Decode(s)
	if !ok || len(b) != 25 {
		return false
	}
	first := sha256.Sum256(b[:21])
	second := sha256.Sum256(first[:])
	return string(second[:4]) == string(b[21:])
}

func TestTONAndSuiAddresses(t *testing.T) {
	a, err := New(TON, Invoice{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(a)
	if err != nil || len(raw) != 36 || raw[0] != 0x11 || raw[1] != 0 {
		t.Fatalf("TON address %q: %x %v", a, raw, err)
	}
	if crc := crc16XModem(raw[:34]); byte(crc>>8) != raw[34] || byte(crc) != raw[35] {
		t.Fatalf("TON address %q: bad CRC", a)
	}
	if crc16XModem([]byte("123456789")) != 0x31C3 { // the CRC-16/XMODEM check value
		t.Fatal("CRC-16/XMODEM check value")
	}
	s, _ := New(Sui, Invoice{})
	if len(s) != 66 || s[:2] != "0x" {
		t.Fatalf("Sui address %q", s)
	}
}

// TestBase58SameAsBigInt: the in-place division gives what repeated division of a big.Int
// gives, leading zero bytes included.
func TestBase58SameAsBigInt(t *testing.T) {
	reference := func(b []byte) string {
		n := new(big.Int).SetBytes(b)
		var out []byte
		mod := new(big.Int)
		for n.Sign() > 0 {
			n.DivMod(n, big.NewInt(58), mod)
			out = append(out, base58Alphabet[mod.Int64()])
		}
		for _, c := range b {
			if c != 0 {
				break
			}
			out = append(out, '1')
		}
		slices.Reverse(out)
		return string(out)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cases := [][]byte{nil, {0}, {0, 0}, {0, 0, 1}, {255}, {0, 255, 255}, bytes.Repeat([]byte{255}, 32)}
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(5) > 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		cases = append(cases, b)
	}
	for _, b := range cases {
		if got, want := base58(b), reference(b); got != want {
			t.Fatalf("base58(%x) = %s, want %s", b, got, want)
		}
	}
}
