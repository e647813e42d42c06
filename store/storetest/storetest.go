// Package storetest is the conformance suite of the storage port: every backend of
// store.Store runs Run and must pass it. It checks the contract written on the port —
// round trips of every entity, the documented orderings, not-found and conflict errors,
// upserts, rollback, and that returned values are copies — and nothing of any backend's
// internals.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// Run runs the suite. open must return a new, empty store for each call and close it when
// the test it is given ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Settings", testSettings},
		{"Users", testUsers},
		{"Teams", testTeams},
		{"Records", testRecords},
		{"RecordsUpsert", testRecordsUpsert},
		{"RecordsRemove", testRecordsRemove},
		{"RecordsOrder", testRecordsOrder},
		{"RecordsSorted", testRecordsSorted},
		{"RecordsWalkAndWrite", testRecordsWalkAndWrite},
		{"RecordsInvalid", testRecordsInvalid},
		{"Templates", testTemplates},
		{"Sequences", testSequences},
		{"SequenceNames", testSequenceNames},
		{"SequenceCreationOrder", testSequenceCreationOrder},
		{"DeleteSequence", testDeleteSequence},
		{"Versions", testVersions},
		{"Prefs", testPrefs},
		{"Rollback", testRollback},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"Backup", testBackup},

		{"Conns", testConns},
		{"ConnIndexes", testConnIndexes},
		{"ConnsWalkAndWrite", testConnsWalkAndWrite},
		{"CountConns", testCountConns},
		{"DueIndex", testDueIndex},
		{"DueBefore", testDueBefore},
		{"History", testHistory},
		{"Tasks", testTasks},
		{"TaskIndexes", testTaskIndexes},
		{"TasksWalkAndWrite", testTasksWalkAndWrite},
		{"Messages", testMessages},
		{"Outbox", testOutbox},
		{"Segments", testSegments},
		{"RuntimeRollback", testRuntimeRollback},
		{"ConnsOutliveSequence", testConnsOutliveSequence},

		{"MessageIndexes", testMessageIndexes},
		{"Suppressions", testSuppressions},
		{"MailboxPos", testMailboxPos},
		{"MessageHTML", testMessageHTML},
		{"RecordsByEmail", testRecordsByEmail},
		{"MailboxUse", testMailboxUse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// at returns a test time n minutes after a fixed instant. Times carry milliseconds only, so
// backends that keep microseconds compare equal.
func at(n int) time.Time {
	return time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC).Add(time.Duration(n)*time.Minute + 250*time.Millisecond)
}

func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get runs fn in a View and returns its result.
func get[T any](t *testing.T, s store.Store, fn func(store.Tx) (T, error)) T {
	t.Helper()
	var v T
	view(t, s, func(tx store.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

// wantEqual fails the test unless got and want are equal: times compare as instants, and a
// nil slice or map equals an empty one.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equal(reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func equal(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equal(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	}
	return a.Equal(b)
}

// names returns f of every element of xs, for comparing orders.
func names[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func wantOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Errorf("%s: got order %q, want %q", what, got, want)
	}
}
