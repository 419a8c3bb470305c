// Package wallet makes receiving addresses that are well-formed for their network: base58
// Solana keys, EIP-55 checksummed EVM addresses, bech32 segwit addresses (BTC, LTC),
// base58check Tron and Dogecoin addresses, BOLT11-shaped Lightning invoices, TON user-friendly
// addresses with their CRC16 and Sui's 32-byte hex addresses. The keys
// behind them are random: nobody holds them, so nothing sent there can be spent.
package wallet

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/sha3"
)

// Format names an address format.
type Format string

// The formats the mock can produce.
const (
	Solana    Format = "solana"
	EVM       Format = "evm"
	Bitcoin   Format = "bitcoin"
	Litecoin  Format = "litecoin"
	Tron      Format = "tron"
	Dogecoin  Format = "dogecoin"
	Lightning Format = "lightning"
	TON       Format = "ton" // user-friendly: base64url of flags, workchain, 32-byte hash, CRC16
	Sui       Format = "sui" // 0x and 64 hex digits
)

// Invoice is what a Lightning payment needs besides the format.
type Invoice struct {
	AmountSats int64
	Created    time.Time
	Expiry     time.Duration
}

// New returns a fresh address in format f. inv is used only for Lightning.
func New(f Format, inv Invoice) (string, error) {
	if f == Lightning {
		return bolt11(inv)
	}
	var key [32]byte // every other format's randomness, read once (and kept off the heap)
	_, _ = rand.Read(key[:])
	switch f {
	case Solana:
		return base58(key[:]), nil
	case EVM:
		return Checksum(hex.EncodeToString(key[:20])), nil
	case Bitcoin:
		return segwit("bc", key[:20])
	case Litecoin:
		return segwit("ltc", key[:20])
	case Tron:
		return base58Check(0x41, key[:20]), nil
	case Dogecoin:
		return base58Check(0x1e, key[:20]), nil
	case TON:
		return tonAddress(key[:]), nil
	case Sui:
		return "0x" + hex.EncodeToString(key[:]), nil
	}
	return "", fmt.Errorf("wallet: unknown address format %q", f)
}

// tonAddress is a bounceable mainnet address of workchain 0 in TON's user-friendly form.
func tonAddress(hash []byte) string {
	raw := append([]byte{0x11, 0x00}, hash...)
	crc := crc16XModem(raw)
	raw = append(raw, byte(crc>>8), byte(crc))
	return base64.URLEncoding.EncodeToString(raw)
}

func crc16XModem(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// Checksum applies EIP-55 mixed-case checksumming to a 40-digit hex address (with or
// without 0x) and returns it with the 0x prefix.
func Checksum(hexAddr string) string {
	addr := strings.ToLower(strings.TrimPrefix(hexAddr, "0x"))
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(addr))
	digest := hex.EncodeToString(h.Sum(nil))
	out := []byte(addr)
	for i, c := range out {
		if c >= 'a' && c <= 'f' && digest[i] >= '8' {
			out[i] = c - 32
		}
	}
	return "0x" + string(out)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58 encodes b (Bitcoin's alphabet; each leading zero byte is a '1'), by long division
// in limbs of five base-58 digits, taking the bytes four at a time: no big.Int, and a
// twentieth of the digit-by-digit steps (wallet_test.go checks it against big.Int).
func base58(b []byte) string {
	const limb = 58 * 58 * 58 * 58 * 58 // 656,356,768 < 2^30: limb<<32 fits in 64 bits
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	rest := b[zeros:]
	var room [16]uint32
	limbs := room[:0] // least significant first
	for len(rest) > 0 {
		n := len(rest) % 4 // a shorter first group leaves whole groups of four
		if n == 0 {
			n = 4
		}
		var carry uint64
		for _, c := range rest[:n] {
			carry = carry<<8 | uint64(c)
		}
		rest = rest[n:]
		for i := range limbs {
			carry += uint64(limbs[i]) << (8 * n)
			limbs[i] = uint32(carry % limb)
			carry /= limb
		}
		for carry > 0 {
			limbs = append(limbs, uint32(carry%limb))
			carry /= limb
		}
	}
	digits := make([]byte, 0, zeros+5*len(limbs))
	for range zeros {
		digits = append(digits, '1')
	}
	for i := len(limbs) - 1; i >= 0; i-- {
		var five [5]byte
		v := limbs[i]
		for k := 4; k >= 0; k-- {
			five[k] = base58Alphabet[v%58]
			v /= 58
		}
		if i == len(limbs)-1 { // no leading zero digits on the most significant limb
			k := 0
			for k < 4 && five[k] == base58Alphabet[0] {
				k++
			}
			digits = append(digits, five[k:]...)
			continue
		}
		digits = append(digits, five[:]...)
	}
	return string(digits)
}

func base58Check(version byte, payload []byte) string {
	data := append([]byte{version}, payload...)
	first := sha256.Sum256(data)
	second := sha256.Sum256(first[:])
	return base58(append(data, second[:4]...))
}

// segwit encodes a version-0 witness program as a bech32 address (BIP-173).
func segwit(hrp string, program []byte) (string, error) {
	data, err := convertBits(program, 8, 5, true)
	if err != nil {
		return "", err
	}
	return Bech32Encode(hrp, append([]byte{0}, data...)), nil
}

// bolt11 writes an invoice shaped as BOLT11 describes it: hrp lnbc<amount><multiplier>, a
// 35-bit timestamp, tagged fields (p: payment hash, d: description, x: expiry) and a
// 520-bit signature, bech32-checksummed. The signature is random: it verifies against no key.
func bolt11(inv Invoice) (string, error) {
	if inv.AmountSats <= 0 {
		return "", fmt.Errorf("wallet: a lightning invoice needs a positive amount")
	}
	// Amount in nano-bitcoin: 1 sat = 10 n.
	hrp := fmt.Sprintf("lnbc%dn", inv.AmountSats*10)
	var data []byte
	data = append(data, uintTo5(uint64(inv.Created.Unix()), 7)...)
	hash, _ := convertBits(random(32), 8, 5, true)
	data = append(data, tagged('p', hash)...)
	desc, _ := convertBits([]byte("cryptomock order"), 8, 5, true)
	data = append(data, tagged('d', desc)...)
	expiry := uint64(inv.Expiry / time.Second)
	if expiry == 0 {
		expiry = 3600
	}
	data = append(data, tagged('x', uintTo5(expiry, 0))...)
	sig, _ := convertBits(random(65), 8, 5, true)
	data = append(data, sig...)
	return Bech32Encode(hrp, data), nil
}

func tagged(tag byte, value []byte) []byte {
	code := byte(strings.IndexByte(bech32Charset, tag))
	return append([]byte{code, byte(len(value) >> 5), byte(len(value) & 31)}, value...)
}

// uintTo5 writes v in 5-bit groups, big-endian, in at least width groups.
func uintTo5(v uint64, width int) []byte {
	var out []byte
	for v > 0 || len(out) < width || len(out) == 0 {
		out = append([]byte{byte(v & 31)}, out...)
		v >>= 5
	}
	return out
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Bech32Encode encodes 5-bit data with hrp and a bech32 checksum (no length limit, as BOLT11
// needs).
func Bech32Encode(hrp string, data []byte) string {
	values := append(hrpExpand(hrp), data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := polymod(values) ^ 1
	var b strings.Builder
	b.WriteString(hrp)
	b.WriteByte('1')
	for _, d := range data {
		b.WriteByte(bech32Charset[d])
	}
	for i := 0; i < 6; i++ {
		b.WriteByte(bech32Charset[(mod>>uint(5*(5-i)))&31])
	}
	return b.String()
}

// Bech32Verify reports whether s carries a valid bech32 checksum; it returns the hrp.
func Bech32Verify(s string) (string, bool) {
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) || strings.ToLower(s) != s {
		return "", false
	}
	hrp := s[:pos]
	var data []byte
	for _, c := range s[pos+1:] {
		i := strings.IndexRune(bech32Charset, c)
		if i < 0 {
			return "", false
		}
		data = append(data, byte(i))
	}
	return hrp, polymod(append(hrpExpand(hrp), data...)) == 1
}

func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, len(hrp)*2+1)
	for _, c := range hrp {
		out = append(out, byte(c>>5))
	}
	out = append(out, 0)
	for _, c := range hrp {
		out = append(out, byte(c&31))
	}
	return out
}

func polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>uint(i))&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func convertBits(data []byte, from, to uint, pad bool) ([]byte, error) {
	acc, bits := uint32(0), uint(0)
	maxv := uint32(1)<<to - 1
	var out []byte
	for _, b := range data {
		acc = acc<<from | uint32(b)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte((acc>>bits)&maxv))
		}
	}
	if pad && bits > 0 {
		out = append(out, byte((acc<<(to-bits))&maxv))
	} else if !pad && (bits >= from || (acc<<(to-bits))&maxv != 0) {
		return nil, fmt.Errorf("wallet: invalid padding")
	}
	return out, nil
}

// Base58Decode decodes a base58 string (for tests and validators).
func Base58Decode(s string) ([]byte, bool) {
	n := new(big.Int)
	for _, c := range s {
		i := strings.IndexRune(base58Alphabet, c)
		if i < 0 {
			return nil, false
		}
		n.Mul(n, big.NewInt(58))
		n.Add(n, big.NewInt(int64(i)))
	}
	out := n.Bytes()
	for _, c := range s {
		if c != '1' {
			break
		}
		out = append([]byte{0}, out...)
	}
	return out, true
}
