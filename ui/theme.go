package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// ThemeMode chooses between the system's light/dark preference and a fixed
// variant.
type ThemeMode uint8

// The theme modes.
const (
	// ThemeSystem follows the desktop's light/dark preference.
	ThemeSystem ThemeMode = iota
	// ThemeLight is always light.
	ThemeLight
	// ThemeDark is always dark.
	ThemeDark
)

// String returns "system", "light" or "dark".
func (m ThemeMode) String() string {
	switch m {
	case ThemeLight:
		return "light"
	case ThemeDark:
		return "dark"
	}
	return "system"
}

// appTheme is the application theme: Fyne's default look, with the variant
// fixed when the user chose one.
type appTheme struct {
	mode ThemeMode
}

func (t appTheme) variant(v fyne.ThemeVariant) fyne.ThemeVariant {
	switch t.mode {
	case ThemeLight:
		return theme.VariantLight
	case ThemeDark:
		return theme.VariantDark
	}
	return v
}

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, t.variant(v))
}

func (t appTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t appTheme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }

// PresentationScale is how much larger presentation mode draws text,
// padding and icons.
const PresentationScale = 1.6

// scaledTheme enlarges every size of the theme in effect (read from the
// settings at each call, so a variant change shows at once).
type scaledTheme struct {
	settings fyne.Settings
	scale    float32
}

func (t scaledTheme) base() fyne.Theme {
	if th := t.settings.Theme(); th != nil {
		return th
	}
	return theme.DefaultTheme()
}

func (t scaledTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}

func (t scaledTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base().Font(s) }

func (t scaledTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

func (t scaledTheme) Size(n fyne.ThemeSizeName) float32 { return t.base().Size(n) * t.scale }
