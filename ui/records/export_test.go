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
