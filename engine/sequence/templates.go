package sequence

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Template is a built-in sequence template: a ready-made sequence file that `pacer seq new
// NAME --template KEY` and the designer's "new from template" start from.
type Template struct {
	// Key is the short slug that names the template on the command line, e.g.
	// "outbound-prospecting".
	Key string
	// Name, Entity and Description are those of the sequence in Source.
	Name        string
	Entity      string
	Description string
	// Source is the sequence file (SPEC §2 format).
	Source []byte
}

// Sequence parses the template's source into a new sequence.
func (t Template) Sequence() (*Sequence, error) {
	return Parse(t.Source, "template:"+t.Key)
}

//go:embed templates/*.yaml
var templateFiles embed.FS

// templateKeys fixes the order in which templates are listed; each key names the file
// templates/KEY.yaml.
var templateKeys = []string{
	"outbound-prospecting",
	"webinar-follow-up",
	"event-invitation",
	"no-show-follow-up",
	"product-demo",
	"account-renewal",
}

// emailTemplateNames are the email templates the built-in sequences send or suggest. The
// demo org ships a template for each, so its sequences can be activated as they are.
var emailTemplateNames = []string{
	"prospecting-intro",
	"prospecting-follow-up",
	"prospecting-last-try",
	"webinar-thank-you",
	"webinar-follow-up",
	"webinar-resources",
	"event-invitation",
	"event-reminder",
	"meeting-missed",
	"meeting-new-times",
	"demo-scheduling",
	"demo-reminder",
	"demo-recap",
	"renewal-notice",
	"renewal-reminder",
	"renewal-quote",
}

// EmailTemplateNames returns the names of the email templates that the built-in sequence
// templates refer to (in `email` and `auto_email` steps). An org needs templates of these
// names before it can activate sequences made from the built-in templates unchanged.
func EmailTemplateNames() []string { return slices.Clone(emailTemplateNames) }

var loadTemplates = sync.OnceValue(func() []Template {
	out := make([]Template, 0, len(templateKeys))
	for _, key := range templateKeys {
		src, err := templateFiles.ReadFile("templates/" + key + ".yaml")
		if err != nil {
			panic(fmt.Sprintf("sequence: built-in template %s: %v", key, err))
		}
		seq, err := Parse(src, "template:"+key)
		if err != nil {
			panic(fmt.Sprintf("sequence: built-in template %s: %v", key, err))
		}
		out = append(out, Template{Key: key, Name: seq.Name, Entity: seq.RecordType(), Description: seq.Description, Source: src})
	}
	return out
})

// Templates returns the built-in sequence templates in a fixed order. The result is the
// caller's to change.
func Templates() []Template {
	ts := slices.Clone(loadTemplates())
	for i := range ts {
		ts[i].Source = bytes.Clone(ts[i].Source)
	}
	return ts
}

// TemplateByKey finds a built-in template by its key, or by its name; both ignore case and
// surrounding spaces.
func TemplateByKey(key string) (Template, bool) {
	key = strings.TrimSpace(key)
	for _, t := range loadTemplates() {
		if strings.EqualFold(t.Key, key) || strings.EqualFold(t.Name, key) {
			t.Source = bytes.Clone(t.Source)
			return t, true
		}
	}
	return Template{}, false
}
