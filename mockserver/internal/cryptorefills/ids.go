package cryptorefills

import (
	"crypto/rand"
	"unsafe"
)

// freshIDs returns n fresh random UUIDs (version 4, RFC 9562) in their text form, as the
// upstream's order, payment and delivery ids are (api-facts A4.7), in room when they fit (an
// array on the caller's stack): one read of the system's random source for all of them, and
// one allocation for all of their text.
func freshIDs(room []string, n int) []string {
	const size, text = 16, 36
	if n > len(room) {
		room = make([]string, n)
	}
	ids := room[:n]
	var buf [16 * size]byte
	rnd := buf[:]
	if n > len(buf)/size {
		rnd = make([]byte, n*size)
	}
	rnd = rnd[:n*size]
	_, _ = rand.Read(rnd) // crypto/rand.Read never fails on supported platforms
	out := make([]byte, 0, n*text)
	for i := range ids {
		u := rnd[i*size : (i+1)*size]
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // the RFC's variant
		for j, c := range u {
			if j == 4 || j == 6 || j == 8 || j == 10 {
				out = append(out, '-')
			}
			out = append(out, hex[c>>4], hex[c&0xf])
		}
	}
	all := unsafe.String(unsafe.SliceData(out), len(out)) // never written again
	for i := range ids {
		ids[i] = all[i*text : (i+1)*text]
	}
	return ids
}
