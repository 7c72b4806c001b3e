package redact

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzRedact checks, for any message: Redact does not panic; a valid UTF-8
// message stays valid; an unchanged message comes back as it was;
// redacting the result again changes nothing; and the anchors change
// nothing either: the result is the one of running every pattern over the
// whole message, and the one-pass search finds the anchors the per-byte
// passes do.
func FuzzRedact(f *testing.F) {
	for _, c := range secretCases {
		f.Add([]byte(c.in))
	}
	for _, m := range nearMisses {
		f.Add([]byte(m))
	}
	f.Add([]byte("password=[REDACTED:jwt] x://u:[REDACTED:x]@h Bearer [REDACTED:bearer_token]"))
	f.Add([]byte("token=a\xffb password=\xe2\x82 AKIA\xe2\x82\xacTESTKEYID1234"))
	r, ref := mustNew(f, nil, nil), reference(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		in := bytes.Clone(msg)
		out, changed := r.Redact(make([]byte, 0, 8), msg)
		if !bytes.Equal(msg, in) {
			t.Fatalf("Redact changed its input %q to %q", in, msg)
		}
		if !changed && !bytes.Equal(out, msg) {
			t.Fatalf("Redact(%q) = %q but reported no change", msg, out)
		}
		if changed && bytes.Equal(out, msg) {
			t.Fatalf("Redact(%q) reported a change but returned it as it was", msg)
		}
		if utf8.Valid(msg) && !utf8.Valid(out) {
			t.Fatalf("Redact(%q) = %q, not valid UTF-8", msg, out)
		}
		if want, _ := ref.Redact(nil, msg); !bytes.Equal(out, want) {
			t.Fatalf("Redact(%q) = %q, without anchors %q", msg, out, want)
		}
		if r.pre.stops != nil {
			if one, each := r.pre.scanMarked(msg, 0), r.pre.scanGroups(msg, 0); one != each {
				t.Fatalf("%q: anchors of rules %b in one pass, %b a byte at a time", msg, one, each)
			}
			// Across a window's end: the stops of the next window are
			// told apart by their own groups.
			long := append(bytes.Repeat([]byte{'.'}, markWindow-min(len(msg), markWindow)/2), msg...)
			if one, each := r.pre.scanMarked(long, 0), r.pre.scanGroups(long, 0); one != each {
				t.Fatalf("%q after %d dots: anchors of rules %b in one pass, %b a byte at a time",
					msg, len(long)-len(msg), one, each)
			}
		}
		again, changedAgain := r.Redact(nil, out)
		if changedAgain || !bytes.Equal(again, out) {
			t.Fatalf("Redact(%q) = %q, but redacting that gives %q", msg, out, again)
		}
	})
}
