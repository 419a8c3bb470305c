// Package scenarios will hold the catalogue of situations (one YAML file per scenario,
// embedded and decoded strictly) that the mock and the contract suites share: issue #5.
// Nothing is here yet; see README.md, "Status".
package scenarios
