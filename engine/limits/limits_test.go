package limits

import "testing"

func TestTooLargeNamesTheLimit(t *testing.T) {
	cases := []struct {
		what string
		n    int
		unit string
		want string
	}{
		{"the sequence file", SequenceFile, "bytes", "the sequence file is too large: the limit is 4 MiB"},
		{"the body", TemplateBody, "bytes", "the body is too large: the limit is 256 KiB"},
		{"the name", Name, "bytes", "the name is too large: the limit is 200 bytes"},
		{"the sequence", Steps, "steps", "the sequence is too large: the limit is 1000 steps"},
	}
	for _, c := range cases {
		if got := TooLarge(c.what, c.n, c.unit).Error(); got != c.want {
			t.Errorf("TooLarge(%q) = %q, want %q", c.what, got, c.want)
		}
	}
}
