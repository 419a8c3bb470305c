// Package jsonstr finds where the plain run of a JSON string's bytes ends, eight bytes at a
// time: the scanners of request bodies (specvalidate's and the Cryptorefills decoder) spend
// most of their time inside strings, looking for the closing quote.
package jsonstr

import "math/bits"

// Stop returns the index of the first byte of s from i on that a string's plain run cannot
// hold: a quote, a backslash or a control character (below 0x20); len(s) when there is none.
// Bytes from 0x80 up (parts of longer runes) are plain.
func Stop(s string, i int) int {
	for ; i <= len(s)-8; i += 8 {
		if m := stops(Word(s[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8 // the lowest flagged byte is always a stop
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// Word is s's first eight bytes as one number, the first byte lowest.
func Word(s string) uint64 {
	_ = s[7] // one bounds check
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// stops flags (with its high bit) each byte of x that is a quote, a backslash or below 0x20,
// by the usual exact "has a zero byte" and "has a byte below n" tests: bytes from 0x80 up are
// kept out by the "and not" masks, and a difference borrows only from a byte below it that is
// flagged, so the lowest flag is always a stop (flags above it may not be).
func stops(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(ones*'"'), x^(ones*'\\')
	return ((x-ones*0x20)&^x | (q-ones)&^q | (bs-ones)&^bs) & highs
}
