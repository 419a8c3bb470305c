// Package contract will hold the Ginkgo contract suites that run the scenarios against the
// in-process mock, a running mock, or a live upstream: issue #5. The conformance checker they
// will use already exists (openapi/conformance). See README.md, "Status".
package contract
