package main

import (
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/designer"
	"github.com/pacer-sales/pacer/ui/home"
)

// screens are the constructors of the terminal screens.
func screens() ui.Screens {
	return ui.Screens{Home: home.New, Sequence: designer.New, WorkList: console.New}
}
