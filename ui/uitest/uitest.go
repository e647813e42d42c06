// Package uitest helps the tests of the terminal screens: key presses by name, and the
// commands inside a batch or sequence message.
package uitest

import (
	"reflect"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// named are the keys Key knows by name.
var named = map[string]rune{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
	"down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight, "backspace": tea.KeyBackspace,
	"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
}

// Key is the press of a key: a name such as "enter", "esc", "up", "space", "shift+tab",
// "ctrl+s", or a single character (an upper-case letter is typed with shift).
func Key(k string) tea.KeyPressMsg {
	if r, ok := named[k]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	switch k {
	case "space", " ":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(c)[0], Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("uitest: unknown key " + k)
	}
	if unicode.IsUpper(r[0]) {
		return tea.KeyPressMsg{Code: unicode.ToLower(r[0]), ShiftedCode: r[0], Text: k, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// cmdType is the type of a command.
var cmdType = reflect.TypeFor[tea.Cmd]()

// Commands returns the commands of a tea.BatchMsg, or of the message of tea.Sequence (an
// unexported slice of commands), in order; ok is false for any other message.
func Commands(msg tea.Msg) (cmds []tea.Cmd, ok bool) {
	if b, isBatch := msg.(tea.BatchMsg); isBatch {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if !v.IsValid() || v.Kind() != reflect.Slice || v.Type().Elem() != cmdType {
		return nil, false
	}
	cmds = make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i] = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds, true
}
