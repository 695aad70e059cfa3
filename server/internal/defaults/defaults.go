// Package defaults merges defaults into the servers' configurations and
// checks their bounds, by one rule for every server: a zero field takes
// its default, a negative one is refused (durations may allow it, meaning
// "off"), and an int above its cap is refused.
package defaults

import (
	"fmt"
	"time"
)

// Duration is a duration field to merge.
type Duration struct {
	// Name names the field in errors.
	Name string
	// V points at the field.
	V *time.Duration
	// Def is taken when the field is 0.
	Def time.Duration
	// Neg allows a negative value (meaning "off").
	Neg bool
}

// Int is an int field to merge.
type Int struct {
	// Name names the field in errors.
	Name string
	// V points at the field.
	V *int
	// Def is taken when the field is 0; Max caps it.
	Def, Max int
}

// Durations merges ds in order; an invalid one ends it with its name and
// what is wrong.
func Durations(ds ...Duration) (field string, err error) {
	for _, d := range ds {
		switch {
		case *d.V == 0:
			*d.V = d.Def
		case *d.V < 0 && !d.Neg:
			return d.Name, fmt.Errorf("negative duration %v", *d.V)
		}
	}
	return "", nil
}

// Ints merges ns in order; an invalid one ends it with its name and what
// is wrong.
func Ints(ns ...Int) (field string, err error) {
	for _, n := range ns {
		switch {
		case *n.V == 0:
			*n.V = n.Def
		case *n.V < 0:
			return n.Name, fmt.Errorf("negative value %d", *n.V)
		case *n.V > n.Max:
			return n.Name, fmt.Errorf("%d exceeds %d", *n.V, n.Max)
		}
	}
	return "", nil
}
