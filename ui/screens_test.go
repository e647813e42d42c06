package ui

// realScreens are the screens of the product, for the benchmarks.
var realScreens = Screens{}
