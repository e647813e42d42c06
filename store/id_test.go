package store_test

import (
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// TestVisitNames: the names of a step visit are those databases already hold (the task and
// notice ids, the message keys of earlier releases), and differ from one visit to the next.
func TestVisitNames(t *testing.T) {
	conn, err := store.ParseID("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	v := store.Visit{Conn: conn, Step: "call-1", N: 12}
	if got, want := v.Key(), "0123456789abcdef0123456789abcdef/call-1/12"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
	if got, want := v.TaskID(), store.DerivedID("task", conn.String(), "call-1", "12"); got != want {
		t.Errorf("TaskID = %s, want %s", got, want)
	}
	if got, want := v.NoticeID(), store.DerivedID("notice", conn.String(), "call-1", "12"); got != want {
		t.Errorf("NoticeID = %s, want %s", got, want)
	}
	next := v
	next.N++
	if next.TaskID() == v.TaskID() || next.NoticeID() == v.NoticeID() || v.TaskID() == v.NoticeID() {
		t.Error("two visits, or a task and a notice, share an id")
	}
}
