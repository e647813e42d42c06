package engine_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
)

func gridRows() []engine.SeqRow {
	mk := func(name, desc, entity string, state store.SeqState, owner string, steps int, tags []string, day int) engine.SeqRow {
		return engine.NewSeqRow(store.Sequence{
			ID: store.NewID(t0.Add(time.Duration(day) * time.Hour)), Name: name, Description: desc, Entity: entity,
			State: state, Owner: owner, Steps: steps, Tags: tags, ModifiedAt: t0.AddDate(0, 0, day),
		}, 0)
	}
	return []engine.SeqRow{
		mk("Webinar follow-up", "After the webinar", "lead", store.Active, "max", 7, []string{"events"}, 3),
		mk("account renewal", "Ninety days before renewal", "account", store.Active, "ada", 9, []string{"renewal", "customers"}, 1),
		mk("Cold outreach", "Prospecting by phone", "lead", store.Draft, "sam", 4, nil, 2),
		mk("Demo request", "Book the webinar demo", "opportunity", store.Inactive, "sam", 5, []string{"events"}, 4),
	}
}

func names(rows []engine.SeqRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Name
	}
	return out
}

func TestQueryApply(t *testing.T) {
	rows := gridRows()
	before := names(rows)
	cases := []struct {
		name string
		q    engine.Query
		want []string
	}{
		{"default sort is name, ignoring case", engine.Query{}, []string{"account renewal", "Cold outreach", "Demo request", "Webinar follow-up"}},
		{"sort by steps", engine.Query{Sort: "steps"}, []string{"Cold outreach", "Demo request", "Webinar follow-up", "account renewal"}},
		{"reverse", engine.Query{Sort: "steps", Desc: true}, []string{"account renewal", "Webinar follow-up", "Demo request", "Cold outreach"}},
		{"sort by modified", engine.Query{Sort: "modified"}, []string{"account renewal", "Cold outreach", "Webinar follow-up", "Demo request"}},
		{"ties break by name", engine.Query{Sort: "entity"}, []string{"account renewal", "Cold outreach", "Webinar follow-up", "Demo request"}},
		{"sort by status title", engine.Query{Sort: "Status"}, []string{"account renewal", "Webinar follow-up", "Cold outreach", "Demo request"}},
		{"filter one value", engine.Query{Filters: map[string][]string{"entity": {"lead"}}}, []string{"Cold outreach", "Webinar follow-up"}},
		{"filter values are alternatives", engine.Query{Filters: map[string][]string{"state": {"draft", "INACTIVE"}}}, []string{"Cold outreach", "Demo request"}},
		{"filters on two columns both hold", engine.Query{Filters: map[string][]string{"state": {"active"}, "owner": {"max"}}}, []string{"Webinar follow-up"}},
		{"filter by tag", engine.Query{Filters: map[string][]string{"tags": {"events"}}}, []string{"Demo request", "Webinar follow-up"}},
		{"search name", engine.Query{Search: "OUTREACH"}, []string{"Cold outreach"}},
		{"search description", engine.Query{Search: "webinar"}, []string{"Demo request", "Webinar follow-up"}},
		{"search ignores owner and tags", engine.Query{Search: "sam"}, []string{}},
		{"search ignores tags", engine.Query{Search: "customers"}, []string{}},
		{"search and filter", engine.Query{Search: "webinar", Filters: map[string][]string{"entity": {"opportunity"}}}, []string{"Demo request"}},
	}
	for _, c := range cases {
		got := names(c.q.Apply(rows))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	if !slices.Equal(names(rows), before) {
		t.Error("Apply reordered its input")
	}
}

func TestValues(t *testing.T) {
	rows := gridRows()
	c, _ := engine.ColumnByKey("tags")
	if got := engine.Values(c, rows); !slices.Equal(got, []string{"customers", "events", "renewal"}) {
		t.Errorf("tag values = %q", got)
	}
	c, _ = engine.ColumnByKey("record type")
	if got := engine.Values(c, rows); !slices.Equal(got, []string{"account", "lead", "opportunity"}) {
		t.Errorf("entity values = %q", got)
	}
}
