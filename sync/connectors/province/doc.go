// Package province holds the end-to-end test of a provincial deployment's
// connectors (issue 17): the provincial portal (`dvc`) and the provincial
// document axis (`vxp`, and the same packages as an `edxml-dir` archive)
// with by_code, over the simulators, into one warehouse whose root is the
// province. It has no code of its own.
package province
