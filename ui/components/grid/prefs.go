package grid

import (
	"encoding/json"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/ui/common"
)

// Saver remembers a grid's State in the acting user's preferences under a screen's name,
// in order: commands run concurrently, and an older state must never overwrite a newer one.
type Saver struct {
	// Screen names the entry in the user's preferences.
	Screen string
	mu     sync.Mutex
	done   int
}

// Load reads the remembered State; nil when there is none or it can't be read (the
// defaults then apply).
func (p *Saver) Load(c *common.Common) (*State, error) {
	b, err := c.Engine.Prefs(c.Ctx, c.User.Username, p.Screen)
	if err != nil {
		return nil, err
	}
	var st State
	if len(b) == 0 || json.Unmarshal(b, &st) != nil {
		return nil, nil
	}
	return &st, nil
}

// SaveCmd remembers st, the gen-th change of the grid's State.
func (p *Saver) SaveCmd(c *common.Common, gen int, st State) tea.Cmd {
	ctx, e, user := c.Ctx, c.Engine, c.User.Username
	return func() tea.Msg {
		b, err := json.Marshal(st)
		if err != nil {
			return common.StatusMsg{Text: "remembering the grid layout: " + err.Error(), Err: true}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if gen <= p.done {
			return nil
		}
		if err := e.SetPrefs(ctx, user, p.Screen, b); err != nil {
			return common.StatusMsg{Text: "remembering the grid layout: " + err.Error(), Err: true}
		}
		p.done = gen
		return nil
	}
}
