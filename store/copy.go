package store

import (
	"context"
	"errors"
	"fmt"
)

// CopyCounts says how much Copy moved.
type CopyCounts struct {
	Users, Teams, Records, Templates, Sequences, Versions, Segments int
	// Removed counts the removed records (not in Records), kept for their connections.
	Removed                        int
	Conns, Events, Tasks, Messages int
}

// copyBatch is how many entities Copy writes per transaction of the destination.
const copyBatch = 2000

// ErrNotEmpty is returned (wrapped) by Copy when the destination already holds an org.
var ErrNotEmpty = errors.New("the destination is not empty")

// Copy moves a whole org from src to dst through the store port alone, so it works between
// any two backends: settings, users and their preferences, teams, records, templates,
// sequences and their versions, segments, connections with their history, tasks (open and
// closed) and the outbox. Removed records are copied removed, so their connections (also
// those of deleted sequences) keep their names. Records get new keys in dst (PutRecord
// assigns them); connections, tasks and messages are rewritten to point at them. Everything
// else keeps its ID.
//
// It reads src in one snapshot and writes dst in batches, so an org of millions of
// connections fits in memory. dst must be empty (no users, records or sequences): Copy
// refuses with ErrNotEmpty otherwise. A copy that fails part-way leaves dst partly written,
// to be discarded.
func Copy(ctx context.Context, dst, src Store) (CopyCounts, error) {
	var n CopyCounts
	if err := dst.View(ctx, func(tx Tx) error {
		users, err := tx.Users()
		if err != nil {
			return err
		}
		seqs, err := tx.Sequences()
		if err != nil {
			return err
		}
		records := 0
		err = tx.Records("", func(Record) bool { records++; return false })
		if err == nil && len(users)+len(seqs)+records > 0 {
			err = fmt.Errorf("%w: it has %d users, %d sequences and records (%d seen); copy into a new database", ErrNotEmpty, len(users), len(seqs), records)
		}
		return err
	}); err != nil {
		return n, err
	}
	c := &copier{ctx: ctx, dst: dst, keys: map[ID]ID{}, n: &n}
	err := src.View(ctx, func(tx Tx) error {
		for _, step := range []func(Tx) error{c.org, c.records, c.sequences, c.conns, c.messages} {
			if err := step(tx); err != nil {
				return err
			}
		}
		return c.flush()
	})
	return n, err
}

// copier carries a Copy: the record keys of dst by those of src, and the writes not yet made.
type copier struct {
	ctx     context.Context
	dst     Store
	keys    map[ID]ID
	n       *CopyCounts
	pending []func(Tx) error
}

// add queues a write, writing the queue when it is full.
func (c *copier) add(w func(Tx) error) error {
	c.pending = append(c.pending, w)
	if len(c.pending) >= copyBatch {
		return c.flush()
	}
	return nil
}

func (c *copier) flush() error {
	if len(c.pending) == 0 {
		return nil
	}
	ws := c.pending
	c.pending = nil
	return c.dst.Update(c.ctx, func(tx Tx) error {
		for _, w := range ws {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// org copies settings, users with their preferences, teams, templates and segments.
func (c *copier) org(tx Tx) error {
	settings, err := tx.Settings()
	if err != nil {
		return err
	}
	users, err := tx.Users()
	if err != nil {
		return err
	}
	teams, err := tx.Teams()
	if err != nil {
		return err
	}
	templates, err := tx.Templates()
	if err != nil {
		return err
	}
	segments, err := tx.Segments()
	if err != nil {
		return err
	}
	prefs := map[string]Prefs{}
	for _, u := range users {
		if prefs[u.Username], err = tx.Prefs(u.Username); err != nil {
			return err
		}
	}
	c.n.Users, c.n.Teams, c.n.Templates, c.n.Segments = len(users), len(teams), len(templates), len(segments)
	return c.add(func(d Tx) error {
		errs := []error{d.PutSettings(settings)}
		for _, u := range users {
			errs = append(errs, d.PutUser(u))
			if len(prefs[u.Username]) > 0 {
				errs = append(errs, d.PutPrefs(u.Username, prefs[u.Username]))
			}
		}
		for _, tm := range teams {
			errs = append(errs, d.PutTeam(tm))
		}
		for _, tp := range templates {
			errs = append(errs, d.PutTemplate(tp))
		}
		for _, s := range segments {
			errs = append(errs, d.PutSegment(s))
		}
		return errors.Join(errs...)
	})
}

// records copies every record, noting its key in dst: the removed ones first (put, then
// removed, so a live record of the same entity and id is put apart from them).
func (c *copier) records(tx Tx) error {
	var werr error
	err := tx.RemovedRecords(func(r Record) bool {
		c.n.Removed++
		old := r.Key
		werr = c.add(func(d Tx) error {
			got, err := d.PutRecord(r)
			if err != nil {
				return err
			}
			c.keys[old] = got.Key
			_, err = d.RemoveRecord(r.Entity, r.ID)
			return err
		})
		return werr == nil
	})
	if err != nil || werr != nil {
		return errors.Join(err, werr)
	}
	err = tx.Records("", func(r Record) bool {
		c.n.Records++
		old := r.Key
		werr = c.add(func(d Tx) error {
			got, err := d.PutRecord(r)
			c.keys[old] = got.Key
			return err
		})
		return werr == nil
	})
	return errors.Join(err, werr)
}

// sequences copies sequences and their versions, keeping their IDs.
func (c *copier) sequences(tx Tx) error {
	seqs, err := tx.Sequences()
	if err != nil {
		return err
	}
	for _, sum := range seqs {
		s, err := tx.Sequence(sum.ID)
		if err != nil {
			return err
		}
		vs, err := tx.Versions(s.ID)
		if err != nil {
			return err
		}
		c.n.Sequences++
		c.n.Versions += len(vs)
		if err := c.add(func(d Tx) error {
			if _, err := d.PutSequence(s); err != nil {
				return err
			}
			for _, v := range vs {
				if err := d.PutVersion(v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// conns copies every connection reachable from a sequence or a record, with its history
// and every task its history names.
func (c *copier) conns(tx Tx) error {
	seqs, err := tx.Sequences()
	if err != nil {
		return err
	}
	live := map[ID]bool{}
	var werr error
	each := func(cn Connection) bool {
		werr = c.conn(tx, cn)
		return werr == nil
	}
	for _, s := range seqs {
		live[s.ID] = true
		if err := tx.ConnsBySequence(s.ID, each); err != nil || werr != nil {
			return errors.Join(err, werr)
		}
	}
	// Connections of deleted sequences are found through their records, removed or not.
	ofRecord := func(r Record) bool {
		cs, err := tx.ConnsByRecord(r.Key)
		if err != nil {
			werr = err
			return false
		}
		for _, cn := range cs {
			if !live[cn.Sequence] && !each(cn) {
				return false
			}
		}
		return true
	}
	if err := tx.Records("", ofRecord); err != nil || werr != nil {
		return errors.Join(err, werr)
	}
	err = tx.RemovedRecords(ofRecord)
	return errors.Join(err, werr)
}

func (c *copier) conn(tx Tx, cn Connection) error {
	hist, err := tx.History(cn.ID)
	if err != nil {
		return err
	}
	taskIDs := map[ID]bool{}
	if !cn.Task.IsZero() {
		taskIDs[cn.Task] = true
	}
	for _, ev := range hist {
		if ev.Task != "" {
			if id, err := ParseID(ev.Task); err == nil {
				taskIDs[id] = true
			}
		}
	}
	var tasks []Task
	for id := range taskIDs {
		tk, err := tx.Task(id)
		if errors.Is(err, ErrNotFound) {
			continue // named by an event of a task never stored
		}
		if err != nil {
			return err
		}
		tasks = append(tasks, tk)
	}
	c.n.Conns++
	c.n.Events += len(hist)
	c.n.Tasks += len(tasks)
	return c.add(func(d Tx) error {
		cn.Record = c.key(cn.Record)
		if err := d.PutConn(cn); err != nil {
			return err
		}
		if err := d.AppendHistory(cn.ID, hist...); err != nil {
			return err
		}
		for _, tk := range tasks {
			tk.Record = c.key(tk.Record)
			if err := d.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
}

// key is the dst key of a src record key; a key of no record stays as it is.
func (c *copier) key(k ID) ID {
	if nk, ok := c.keys[k]; ok {
		return nk
	}
	return k
}

// messages copies the outbox.
func (c *copier) messages(tx Tx) error {
	var werr error
	err := tx.Messages(func(m Message) bool {
		c.n.Messages++
		werr = c.add(func(d Tx) error {
			m.Record = c.key(m.Record)
			return d.PutMessage(m)
		})
		return werr == nil
	})
	return errors.Join(err, werr)
}
