package records

import "github.com/pacer-sales/pacer/ui/common"

// Selected is the ref of the record under the cursor of a Records screen ("" for none).
func Selected(s common.Screen) string {
	r, ok := s.(*Model).selected()
	if !ok {
		return ""
	}
	return r.Ref()
}

// Column is the title of the selected column of a Records screen.
func Column(s common.Screen) string { return s.(*Model).grid.SelectedColumn().Title }

// IsPage reports whether msg is a page the Records screen loaded.
func IsPage(msg any) bool { _, ok := msg.(pageMsg); return ok }
