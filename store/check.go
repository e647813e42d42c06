package store

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// CheckName checks a name that a backend keeps as a key (username, team, template, entity,
// record id): not empty and without a NUL byte. Every backend refuses other names the same
// way.
func CheckName(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	return nil
}

// CheckRecord checks what PutRecord needs of r: an entity and id usable as a key, and fields
// of the three value types the port allows (string, a finite float64, bool).
func CheckRecord(r Record) error {
	if err := CheckName("record entity", r.Entity); err != nil {
		return err
	}
	if err := CheckName("record id", r.ID); err != nil {
		return err
	}
	for k, v := range r.Fields {
		switch v := v.(type) {
		case string, bool:
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("record %s: field %q: %v is not a number that can be stored", r.Ref(), k, v)
			}
		default:
			return fmt.Errorf("record %s: field %q holds a %T; fields hold a string, a float64 or a bool", r.Ref(), k, v)
		}
	}
	return nil
}

// CheckSuppression checks what PutSuppression needs of s (a known kind and an address) and
// returns the address as every backend keys it: trimmed and in lower case.
func CheckSuppression(s Suppression) (string, error) {
	if s.Kind != SuppressBounced && s.Kind != SuppressUnsubscribed {
		return "", fmt.Errorf("suppression of %q: kind %q is not bounced or unsubscribed", s.Address, s.Kind)
	}
	addr := strings.ToLower(strings.TrimSpace(s.Address))
	if addr == "" {
		return "", fmt.Errorf("suppression: no address")
	}
	return addr, nil
}

// CheckConn checks what PutConn needs of c: its own ID, its record's and its sequence's.
func CheckConn(c Connection) error {
	switch {
	case c.ID.IsZero():
		return errors.New("connection has no ID")
	case c.Record.IsZero():
		return fmt.Errorf("connection %s has no record", c.ID)
	case c.Sequence.IsZero():
		return fmt.Errorf("connection %s has no sequence", c.ID)
	}
	return nil
}
