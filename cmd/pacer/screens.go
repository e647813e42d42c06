package main

import (
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/designer"
)

// screens are the constructors of the terminal screens in this build.
func screens() ui.Screens {
	return ui.Screens{Sequence: designer.New, WorkList: console.New}
}
