package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// scalarValue is a config type that parses itself from one YAML scalar.
type scalarValue interface {
	// describe names the accepted form for messages, as in
	// `want a duration like "1s"`.
	describe() string
	// decodeScalar sets the value from s, or returns the reason it cannot
	// as a complete lowercase phrase.
	decodeScalar(s string) error
}

// Duration is a time.Duration written as a Go duration string such as
// "1s", "1m30s" or "100ms". Plain numbers are refused, so "1" is never
// silently one nanosecond or one second.
type Duration time.Duration

// String formats d like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d as a duration string, so a marshalled Config parses
// back to the same value.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d *Duration) describe() string { return `a duration like "1s"` }

func (d *Duration) decodeScalar(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want %s, got %s", d.describe(), quote(s))
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a number of bytes, written as a plain integer (1048576) or
// an integer with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB,
// GiB, TiB (powers of 1024). Units are case-insensitive; a space may
// separate number and unit.
type ByteSize int64

// Binary byte sizes.
const (
	KiB ByteSize = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// byteUnits maps lowercase unit names to their size.
var byteUnits = map[string]ByteSize{
	"b":  1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": KiB, "mib": MiB, "gib": GiB, "tib": TiB,
}

// String formats b with the largest binary unit that divides it exactly,
// such as "32MiB", or as a plain number of bytes.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		size ByteSize
	}{{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalYAML writes b as String does, so a marshalled Config parses back
// to the same value.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

func (b *ByteSize) describe() string { return `a size like "32MiB" or 1048576` }

func (b *ByteSize) decodeScalar(s string) error {
	v, err := parseByteSize(s)
	if errors.Is(err, errSizeTooLarge) {
		return fmt.Errorf("size %s is too large", quote(s))
	}
	if err != nil {
		return fmt.Errorf("want %s, got %s", b.describe(), quote(s))
	}
	*b = v
	return nil
}

var (
	errSizeTooLarge = errors.New("size too large")
	errSizeSyntax   = errors.New("not a size")
)

// parseByteSize parses an integer with an optional unit.
func parseByteSize(s string) (ByteSize, error) {
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits == 0 {
		return 0, errSizeSyntax
	}
	unit := strings.ToLower(strings.TrimSpace(s[digits:]))
	mult := ByteSize(1)
	if unit != "" {
		var ok bool
		if mult, ok = byteUnits[unit]; !ok {
			return 0, errSizeSyntax
		}
	}
	n, err := strconv.ParseInt(s[:digits], 10, 64)
	if err != nil || n > math.MaxInt64/int64(mult) {
		return 0, errSizeTooLarge
	}
	return ByteSize(n) * mult, nil
}

// quote quotes a value for a message, shortening long values so that one
// problem stays on one readable line.
func quote(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return strconv.Quote(s)
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
