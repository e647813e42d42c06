package main

import "github.com/pacer-sales/pacer/ui"

// screens are the constructors of the terminal screens in this build.
func screens() ui.Screens {
	return ui.Screens{}
}
