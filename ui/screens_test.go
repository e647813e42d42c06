package ui

import (
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/designer"
	"github.com/pacer-sales/pacer/ui/home"
)

// realScreens are the screens of the product, for the benchmarks.
var realScreens = Screens{Home: home.New, Sequence: designer.New, WorkList: console.New}
