package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// ConnectResult says what Connect did for each record.
type ConnectResult struct {
	Record string `json:"record"`
	Step   string `json:"step"`
	State  string `json:"state"`
}

// Connect attaches records ("entity/id") to the newest version of an active sequence and
// enters their first step (SPEC §4.1). It is all or nothing: every refused record is
// reported and none is connected. Managers and admins connect any record, sellers the
// records they own.
func (e *Engine) Connect(ctx context.Context, by, seqName string, refs []string) ([]ConnectResult, error) {
	var out []ConnectResult
	err := e.update(ctx, func(tx store.Tx) error {
		out = nil // a transaction the store runs again starts over
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		if seq.State != store.Active {
			return invalid("sequence %q is %s; only active sequences take new connections", seq.Name, seq.State)
		}
		if err := prefetchRecords(tx, refs); err != nil {
			return err
		}
		var recs []store.Record
		var problems []string
		seen := map[string]bool{}
		for _, ref := range refs {
			rec, err := e.recordFor(tx, ref)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if seen[rec.Ref()] {
				continue
			}
			seen[rec.Ref()] = true
			if why := connectable(tx, u, seq, rec); why != "" {
				problems = append(problems, why)
				continue
			}
			recs = append(recs, rec)
		}
		if len(problems) > 0 {
			return invalid("nothing connected:\n  %s", strings.Join(problems, "\n  "))
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		for _, rec := range recs {
			// Each record is in recs once, and connecting one changes no other.
			res, err := e.stepRecord(tx, o, newConn(rec, seq, "manual", now), &rec, flow.Input{Kind: flow.Connect, By: u.Username}, now)
			if err != nil {
				return err
			}
			out = append(out, ConnectResult{rec.Ref(), res.Conn.Step, string(res.Conn.State)})
		}
		return nil
	})
	return out, err
}

func (e *Engine) recordFor(tx store.Tx, ref string) (store.Record, error) {
	entity, id, err := ParseRef(ref)
	if err != nil {
		return store.Record{}, err
	}
	rec, err := tx.Record(entity, id)
	if err != nil {
		return rec, notFound(err, "there is no record %s", ref)
	}
	return rec, nil
}

// ownedRecord loads the acting user and a record they may act on: managers and admins any,
// sellers the records they own. what names the action for the refusal.
func (e *Engine) ownedRecord(tx store.Tx, by, ref, what string) (store.User, store.Record, error) {
	u, err := actor(tx, by)
	if err != nil {
		return u, store.Record{}, err
	}
	rec, err := e.recordFor(tx, ref)
	if err != nil {
		return u, rec, err
	}
	if !isManager(u) && !ownsRecord(tx, u, rec) {
		return u, rec, forbidden("%s can only %s records they own", u.Username, what)
	}
	return u, rec, nil
}

// connectable says why a record can't be connected to a sequence, or "".
func connectable(tx store.Tx, u store.User, seq store.Sequence, rec store.Record) string {
	if rec.Entity != seq.Entity {
		return fmt.Sprintf("%s: sequence %q is for %s records", rec.Ref(), seq.Name, seq.Entity)
	}
	if !isManager(u) && !ownsRecord(tx, u, rec) {
		return fmt.Sprintf("%s: %s can only connect records they own (owner: %s)", rec.Ref(), u.Username, rec.Owner)
	}
	if c, err := activeConn(tx, rec.Key, seq.ID); err != nil {
		return err.Error()
	} else if c != nil {
		return fmt.Sprintf("%s is already connected to %q", rec.Ref(), seq.Name)
	}
	return ""
}

// ownsRecord: the user is the owner, or a member of the owning team.
func ownsRecord(tx store.Tx, u store.User, rec store.Record) bool {
	if rec.Owner == u.Username {
		return true
	}
	if team, ok := strings.CutPrefix(rec.Owner, "team:"); ok {
		members, _ := teamMembers(tx, team, "", nil)
		return slices.Contains(members, u.Username)
	}
	return false
}

// ConnectedTo lists which of refs are active in sequence seqName now (the records a Connect
// of them would refuse as already connected), in the order given; refs that name no record
// are left out (Connect reports them). A bulk connect's preview reads it just before asking,
// so what it promises to leave out is what stands at that moment. Any user may.
func (e *Engine) ConnectedTo(ctx context.Context, by, seqName string, refs []string) ([]string, error) {
	var out []string
	err := e.view(ctx, func(tx store.Tx) error {
		out = nil
		if _, err := actor(tx, by); err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		if err := prefetchRecords(tx, refs); err != nil {
			return err
		}
		for _, ref := range refs {
			rec, err := e.recordFor(tx, ref)
			if err != nil {
				continue
			}
			c, err := activeConn(tx, rec.Key, seq.ID)
			if err != nil {
				return err
			}
			if c != nil {
				out = append(out, rec.Ref())
			}
		}
		return nil
	})
	return out, err
}

// ConnectWhere connects every record of the sequence's entity whose field equals value
// (ignoring case), skipping those already connected.
func (e *Engine) ConnectWhere(ctx context.Context, by, seqName, field, value string) ([]ConnectResult, error) {
	var refs []string
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		return tx.Records(seq.Entity, func(r store.Record) bool {
			v, ok := flow.FieldOf(r, field)
			if ok && strings.EqualFold(fmt.Sprint(v), value) && connectable(tx, u, seq, r) == "" {
				refs = append(refs, r.Ref())
			}
			return true
		})
	})
	if err != nil || len(refs) == 0 {
		return nil, err
	}
	return e.Connect(ctx, by, seqName, refs)
}

// Disconnect ends records' active connections to a sequence (reason manual) and cancels
// their open tasks. All or nothing, like Connect.
func (e *Engine) Disconnect(ctx context.Context, by, seqName string, refs []string) error {
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		conns, problems, err := e.namedConns(tx, u, seq, refs, "disconnect", nil)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return invalid("nothing disconnected:\n  %s", strings.Join(problems, "\n  "))
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if _, err := e.step(tx, o, c, flow.Input{Kind: flow.Disconnect, Reason: store.ReasonManual, By: u.Username}, e.clock.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// namedConns finds the active connections of the records refs to seq that u may act on to
// verb them (managers any record, sellers their own), collecting a problem for every record
// that can't be: unknown, not u's, not connected, or unfit (when unfit is given and says why).
func (e *Engine) namedConns(tx store.Tx, u store.User, seq store.Sequence, refs []string, verb string, unfit func(store.Connection) string) ([]store.Connection, []string, error) {
	var conns []store.Connection
	var problems []string
	for _, ref := range refs {
		rec, err := e.recordFor(tx, ref)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if !isManager(u) && !ownsRecord(tx, u, rec) {
			problems = append(problems, fmt.Sprintf("%s: %s can only %s records they own", ref, u.Username, verb))
			continue
		}
		c, err := activeConn(tx, rec.Key, seq.ID)
		if err != nil {
			return nil, nil, err
		}
		if c == nil {
			problems = append(problems, fmt.Sprintf("%s is not connected to %q", ref, seq.Name))
			continue
		}
		if unfit != nil {
			if why := unfit(*c); why != "" {
				problems = append(problems, fmt.Sprintf("%s %s", ref, why))
				continue
			}
		}
		conns = append(conns, *c)
	}
	return conns, problems, nil
}

// SkipWait ends the wait a record is at in a sequence now. The record's owner, its
// assignees' managers and admins may.
func (e *Engine) SkipWait(ctx context.Context, by, seqName, ref string) error {
	err := e.update(ctx, func(tx store.Tx) error {
		u, rec, err := e.ownedRecord(tx, by, ref, "skip waits of")
		if err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		c, err := activeConn(tx, rec.Key, seq.ID)
		if err != nil {
			return err
		}
		if c == nil {
			return invalid("%s is not connected to %q", ref, seq.Name)
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		overdue := !c.WakeAt.IsZero() && !c.WakeAt.After(now)
		res, err := e.step(tx, o, *c, flow.Input{Kind: flow.SkipWait, Visit: c.Visit, By: u.Username}, now)
		if err != nil {
			return err
		}
		if res.Ignored != "" && overdue && res.Conn.Visit != c.Visit {
			return nil // the wait was over: it ended when it was due, as the skip asked
		}
		if res.Ignored != "" {
			return invalid("%s in %q is not waiting (%s)", ref, seq.Name, res.Ignored)
		}
		return nil
	})
	return err
}

// RecordEvent records an email event for a record (SPEC §4.5): against the message of the
// given step, or without one, the message sent to the record. at zero means now. An event
// that could belong to the emails of several sequences is refused, listing them; use
// RecordEventIn to say which. Managers, admins and the record's owner may.
func (e *Engine) RecordEvent(ctx context.Context, by, ref string, kind sequence.Kind, stepID string, at time.Time) error {
	return e.RecordEventIn(ctx, by, ref, kind, EventTarget{Step: stepID}, at)
}

// EventTarget narrows which email of a record an event belongs to: the sequence (by name,
// ignoring case) and the step id, either or both.
type EventTarget struct {
	Seq, Step string
}

// RecordEventIn is RecordEvent for the email of one sequence and/or step. Among the
// record's emails that match, the event belongs to the latest one sent; when they come
// from the connections of more than one sequence (several sequences, or one step id in
// several) the event is refused with the candidates listed, since guessing would move the
// wrong record along. Connections of one sequence (a record connected again after an
// earlier run ended) are no ambiguity: the latest email is the one meant.
func (e *Engine) RecordEventIn(ctx context.Context, by, ref string, kind sequence.Kind, where EventTarget, at time.Time) error {
	stepID := where.Step
	if !slices.Contains(sequence.EventKinds, kind) {
		return invalid("event %q: want one of email_opened, email_replied, link_clicked, attachment_downloaded", kind)
	}
	err := e.update(ctx, func(tx store.Tx) error {
		_, rec, err := e.ownedRecord(tx, by, ref, "record events of")
		if err != nil {
			return err
		}
		all, err := tx.ConnsByRecord(rec.Key)
		if err != nil {
			return err
		}
		var conns []store.Connection
		if where.Seq != "" {
			seq, err := tx.SequenceByName(where.Seq)
			if err != nil {
				return notFound(err, "sequence %q", where.Seq)
			}
			for _, c := range all {
				if c.Sequence == seq.ID {
					conns = append(conns, c)
				}
			}
			if len(conns) == 0 {
				return invalid("%s has never been connected to sequence %q", ref, seq.Name)
			}
		} else {
			conns = all
		}
		var target *store.Connection
		var step string
		var latest time.Time
		// The candidates: per connection, its latest email that matches.
		var candidates []EventCandidate
		seqs := map[store.ID]bool{}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for i := range conns {
			var cand *EventCandidate
			for sid, s := range conns[i].Sent {
				if stepID != "" && sid != stepID {
					continue
				}
				if cand == nil || s.At.After(cand.SentAt) || s.At.Equal(cand.SentAt) && sid < cand.Step {
					cand = &EventCandidate{Seq: o.seqName(tx, conns[i].Sequence), Step: sid, SentAt: s.At.UTC(), State: string(conns[i].State)}
				}
				if target == nil || s.At.After(latest) {
					target, step, latest = &conns[i], sid, s.At
				}
			}
			if cand != nil {
				candidates = append(candidates, *cand)
				seqs[conns[i].Sequence] = true
			}
		}
		if len(seqs) > 1 {
			slices.SortFunc(candidates, func(a, b EventCandidate) int {
				return cmp.Or(strings.Compare(a.Seq, b.Seq), strings.Compare(a.Step, b.Step), a.SentAt.Compare(b.SentAt))
			})
			return &AmbiguousEventError{Ref: ref, Kind: kind, Step: stepID, Candidates: candidates}
		}
		if target == nil && stepID != "" {
			// An event can come before the step's task is done (a seller's email opened
			// before it was marked sent): it belongs to the active connection with that step.
			for i := range conns {
				if conns[i].State != store.ConnActive {
					continue
				}
				pl, err := e.plans.get(tx, conns[i].Sequence, conns[i].Version)
				if err != nil {
					return err
				}
				if pl.Step(stepID) != nil {
					target, step = &conns[i], stepID
					break
				}
			}
		}
		if target == nil {
			if stepID != "" {
				return invalid("%s has no message sent by step %q", ref, stepID)
			}
			return invalid("%s has been sent no message yet", ref)
		}
		now := e.clock.Now()
		if at.IsZero() {
			at = now
		}
		if err := limits.Time("the time of the event", at); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalid, ref, err)
		}
		c := *target
		if c.State != store.ConnActive {
			// The connection has ended; the event is still part of its history.
			if why := flow.EventTimeProblem(at, c.Sent[step].At, now); why != "" {
				return invalid("%s: %s not recorded: %s", ref, kind, why)
			}
			return tx.AppendHistory(c.ID, store.Event{At: at, Type: store.EventEmail, StepID: step, Event: string(kind)})
		}
		res, err := e.step(tx, o, c, flow.Input{Kind: flow.EmailEvent, StepID: step, Event: kind, At: at}, now)
		if err == nil && res.Ignored != "" {
			return invalid("%s: %s not recorded: %s", ref, kind, res.Ignored)
		}
		return err
	})
	return err
}

// prefetchRecords reads ahead, on a store that reads ahead (store.Prefetcher), the records
// refs name and their connections, so that checking and connecting them costs no round
// trip each; refs that do not parse are left to the checks.
func prefetchRecords(tx store.Tx, refs []string) error {
	for {
		switch t := tx.(type) {
		case checkedTx:
			tx = t.Tx
			continue
		case *orgTx:
			tx = t.Tx
			continue
		}
		break
	}
	p, ok := tx.(store.Prefetcher)
	if !ok {
		return nil
	}
	ids := map[string][]string{}
	var entities []string
	for _, ref := range refs {
		entity, id, err := ParseRef(ref)
		if err != nil {
			continue
		}
		if _, ok := ids[entity]; !ok {
			entities = append(entities, entity)
		}
		ids[entity] = append(ids[entity], id)
	}
	for _, entity := range entities {
		if err := p.PrefetchRecords(entity, ids[entity]); err != nil {
			return err
		}
	}
	return nil
}
