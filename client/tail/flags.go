package tail

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// flagSet is the standard library's flag.FlagSet taught curl's habits:
//
//   - combined short flags: -vk is -v -k;
//   - attached values: -H'X: y' is -H 'X: y', -dfoo is -d foo, -m5 is -m 5;
//   - durations in Go's form (500ms, 3s, 2m) or, as curl takes them, bare
//     seconds (10, 2.5), with an error that shows the expected format;
//   - flags after URLs, and "--" to end the flags.
//
// Every flag of ssemon-tail is registered through one flagSet (see
// flagGroups), so the help, the pre-pass and the errors agree.
type flagSet struct {
	fs *flag.FlagSet
	// err is the first error of a value's Set, with the flag's name as the
	// user wrote it; Parse reports it instead of the flag package's wording.
	err error
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{fs: fs}
}

// dashed returns the flag name as typed: -H for one letter, --timeout else.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// Bool registers a flag without value under every name.
func (f *flagSet) Bool(p *bool, names ...string) {
	for _, n := range names {
		f.fs.BoolVar(p, n, *p, "")
	}
}

// String registers a string flag under every name.
func (f *flagSet) String(p *string, names ...string) {
	for _, n := range names {
		f.fs.StringVar(p, n, *p, "")
	}
}

// List registers a repeatable string flag under every name.
func (f *flagSet) List(p *[]string, names ...string) {
	for _, n := range names {
		f.fs.Var((*listFlag)(p), n, "")
	}
}

// Int registers an integer flag under every name.
func (f *flagSet) Int(p *int64, names ...string) {
	for _, n := range names {
		f.fs.Var(&intValue{p: p, name: dashed(n), f: f}, n, "")
	}
}

// Duration registers a duration flag under every name.
func (f *flagSet) Duration(p *time.Duration, names ...string) {
	for _, n := range names {
		f.fs.Var(&durationValue{p: p, name: dashed(n), f: f}, n, "")
	}
}

// fail records the first value error.
func (f *flagSet) fail(err error) error {
	if f.err == nil {
		f.err = err
	}
	return err
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

type intValue struct {
	p    *int64
	name string
	f    *flagSet
}

func (v *intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.FormatInt(*v.p, 10)
}

func (v *intValue) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return v.f.fail(usagef("%s: %q is not a whole number", v.name, s))
	}
	*v.p = n
	return nil
}

type durationValue struct {
	p    *time.Duration
	name string
	f    *flagSet
}

func (v *durationValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

func (v *durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return v.f.fail(usagef("%s: %q is not a duration; use e.g. 500ms, 3s, 2m (a bare number is seconds)", v.name, s))
	}
	*v.p = d
	return nil
}

// parseDuration reads a Go duration ("1m30s") or, as curl's --max-time and
// --connect-timeout do, a bare number of seconds ("10", "2.5", "-1").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs != secs || secs > float64(1<<63-1)/float64(time.Second) || secs < -float64(1<<63-1)/float64(time.Second) {
		return 0, errors.New("not a duration")
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// isBool reports whether the flag takes no value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// expand rewrites curl's short-flag habits into the standard library's
// form: "-vk" → "-v" "-k", "-HX: y" → "-H" "X: y", "-vH" "X: y" → "-v"
// "-H" "X: y". Values (the argument after a flag that takes one) and
// everything after "--" are left alone, so "--stall -1s" keeps its value.
func (f *flagSet) expand(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if fl := f.fs.Lookup(name); fl != nil || strings.HasPrefix(a, "--") {
			// A flag as the standard library reads it (or an unknown one,
			// reported by it): its value, if separate, is the next argument.
			out = append(out, a)
			if fl != nil && !hasValue && !isBool(fl) && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			continue
		}
		// A cluster of one-letter flags, the last of which may take the
		// rest of the cluster (or the next argument) as its value.
		rest := a[1:]
		for rest != "" {
			fl := f.fs.Lookup(rest[:1])
			if fl == nil {
				return nil, usagef("unknown flag %s (in %s; see --help)", dashed(rest[:1]), a)
			}
			out = append(out, "-"+rest[:1])
			rest = rest[1:]
			if isBool(fl) {
				continue
			}
			if rest != "" {
				out = append(out, rest)
			} else if i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			break
		}
	}
	return out, nil
}

// parse parses args with flags anywhere among the positional arguments,
// as curl does; "--" ends the flags. It returns the positional arguments.
func (f *flagSet) parse(args []string) (positional []string, help bool, err error) {
	rest, err := f.expand(args)
	if err != nil {
		return nil, false, err
	}
	for {
		if err := f.fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			if f.err != nil {
				return nil, false, f.err
			}
			return nil, false, &UsageError{Msg: flagError(err)}
		}
		remaining := f.fs.Args()
		if len(remaining) == 0 {
			return positional, false, nil
		}
		if consumed := len(rest) - len(remaining); consumed > 0 && rest[consumed-1] == "--" {
			return append(positional, remaining...), false, nil
		}
		positional = append(positional, remaining[0])
		rest = remaining[1:]
	}
}

// flagError rewords the flag package's errors with the dashes as typed.
func flagError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "flag: ")
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("%s needs a value", dashed(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Sprintf("unknown flag %s (see --help)", dashed(name))
	}
	return msg
}
