package ui

import "fyne.io/fyne/v2/container"

// Tab bars cannot take the keyboard focus in Fyne, so the detail view's
// tabs are switched with Ctrl+Tab (next) and Ctrl+Shift+Tab (previous):
// the inspector's tabs (Data, Raw frame, Charts, Alerts, Connection) in
// turn, then the Transcript tab when the stream has one.

// detailTab is one stop of the Ctrl+Tab cycle: a tab of one of the detail
// view's tab bars.
type detailTab struct {
	tabs *container.AppTabs
	item *container.TabItem
}

// tabStops lists the detail view's tabs in Ctrl+Tab order, and which of
// them is shown.
func (d *detailView) tabStops() (stops []detailTab, shown int) {
	outer, inner := d.tt.tabs, d.watch.tabs
	for _, it := range inner.Items {
		stops = append(stops, detailTab{inner, it})
	}
	shown = inner.SelectedIndex()
	for _, it := range outer.Items[1:] { // [0] holds the events and the inspector
		if outer.Selected() == it {
			shown = len(stops)
		}
		stops = append(stops, detailTab{outer, it})
	}
	return stops, shown
}

// cycleTab shows the next tab (step 1) or the previous one (step -1).
func (d *detailView) cycleTab(step int) {
	stops, shown := d.tabStops()
	next := stops[((shown+step)%len(stops)+len(stops))%len(stops)]
	if next.tabs == d.watch.tabs {
		d.tt.tabs.SelectIndex(0) // the inspector is on the first outer tab
	}
	next.tabs.Select(next.item)
}

// selectedTab names the detail view's tab on screen.
func (d *detailView) selectedTab() string {
	stops, shown := d.tabStops()
	return stops[shown].item.Text
}
