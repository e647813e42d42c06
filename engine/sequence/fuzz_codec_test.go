package sequence

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pacer-sales/pacer/engine/limits"
)

// FuzzParse checks that Parse never fails badly and that what it accepts survives a round trip:
// every error is a FileErrors with lines, and Marshal then Parse gives back an equal sequence
// whose Marshal is the same text. Seeds are in testdata/fuzz/FuzzParse and testdata/*.yaml.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a sequence and an error: %v", err)
			}
			var fe FileErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("Parse error is %T (%v), want a non-empty FileErrors", err, err)
			}
			for _, e := range fe {
				if e.Line < 1 || e.File != "fuzz.yaml" || e.Msg == "" {
					t.Fatalf("error without a position or message: %#v", e)
				}
				if strings.HasPrefix(e.Msg, codecInternalError) {
					t.Fatalf("Parse panicked: %s\ninput: %q", e.Msg, data)
				}
			}
			return
		}
		if n := s.CountSteps(); n > limits.Steps {
			t.Fatalf("Parse accepted %d steps, over the limit", n)
		}
		_ = CheckSizes(s) // never panics, whatever Parse accepted
		out := Marshal(s)
		s2, err := Parse(out, "marshaled.yaml")
		if err != nil {
			t.Fatalf("Parse(Marshal(s)): %v\ninput: %q\nmarshaled:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed the sequence\ninput: %q\nmarshaled:\n%s\nbefore: %#v\nafter:  %#v", data, out, s, s2)
		}
		if again := Marshal(s2); !bytes.Equal(out, again) {
			t.Fatalf("Marshal is not canonical\nfirst:\n%s\nsecond:\n%s", out, again)
		}
	})
}

// FuzzMarshalStrings checks that Marshal quotes any valid UTF-8 string so that it reads back
// unchanged, wherever strings appear.
func FuzzMarshalStrings(f *testing.F) {
	for _, s := range codecTrickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		codecRoundTripString(t, s)
	})
}
