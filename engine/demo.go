package engine

import (
	"context"

	"github.com/pacer-sales/pacer/engine/demo"
	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// DemoResult counts what LoadDemo created.
type DemoResult struct {
	Users       int `json:"users"`
	Teams       int `json:"teams"`
	Records     int `json:"records"`
	Templates   int `json:"templates"`
	Sequences   int `json:"sequences"`
	Connections int `json:"connections"`
}

// demoConnections is how many records of its type each sample sequence starts with.
const demoConnections = 4

// LoadDemo fills an empty database with the sample org: users, teams, records, email
// templates and the built-in sequences, activated. It refuses a database that already has
// users, so it never mixes with real data. Everything is written in one transaction.
func (e *Engine) LoadDemo(ctx context.Context) (DemoResult, error) {
	org := demo.Org()
	var res DemoResult
	err := e.update(ctx, func(tx store.Tx) error {
		res = DemoResult{} // a transaction the store runs again starts over
		users, err := tx.Users()
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return invalid("the database already has users; the sample org loads only into an empty database")
		}
		now := e.clock.Now()
		var admin store.User
		for _, u := range org.Users {
			if err := checkUser(u); err != nil {
				return err
			}
			if err := tx.PutUser(u); err != nil {
				return err
			}
			if admin.Username == "" && u.Has(store.RoleAdmin) {
				admin = u
			}
		}
		for _, t := range org.Teams {
			if err := tx.PutTeam(t); err != nil {
				return err
			}
		}
		for _, t := range org.Templates {
			t.ModifiedAt = now
			if err := tx.PutTemplate(t); err != nil {
				return err
			}
		}
		for _, r := range org.Records {
			r.CreatedAt, r.ModifiedAt = now, now
			if _, err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for _, key := range org.Sequences {
			t, ok := sequence.TemplateByKey(key)
			if !ok {
				return invalid("sample org: no built-in template %q", key)
			}
			def, err := t.Sequence()
			if err != nil {
				return err
			}
			seq, err := e.save(tx, admin, store.Sequence{Owner: admin.Username, State: store.Draft}, def, SaveOptions{Activate: true, Note: "sample org"})
			if err != nil {
				return err
			}
			// A few records of each sequence's type start in it, so work lists have work.
			n := 0
			if err := tx.Records(seq.Entity, func(r store.Record) bool {
				if n >= demoConnections {
					return false
				}
				if _, err = e.step(tx, o, newConn(r, seq, "manual", now), flow.Input{Kind: flow.Connect, By: admin.Username}, now); err != nil {
					return false
				}
				n++
				res.Connections++
				return true
			}); err != nil {
				return err
			}
			if err != nil {
				return err
			}
		}
		res.Users, res.Teams, res.Records = len(org.Users), len(org.Teams), len(org.Records)
		res.Templates, res.Sequences = len(org.Templates), len(org.Sequences)
		return nil
	})
	return res, err
}
