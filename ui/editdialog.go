package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// fieldError is a form field's value that cannot be used.
type fieldError struct {
	// Field is the form label ("URL", "Name", "Header 2").
	Field string
	// Err says what is wrong and how to fix it.
	Err error
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *fieldError) Unwrap() error { return e.Err }

// testTimeout bounds "Test connection".
const testTimeout = 10 * time.Second

// validateURL checks a stream URL the way a user needs to hear it.
func validateURL(raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return errors.New("enter the stream's URL, e.g. http://127.0.0.1:8080/api/stream/deploy")
	}
	if strings.Contains(raw, "${") {
		// Expanded from the environment when the channel connects; the
		// engine checks the result then.
		if strings.HasPrefix(raw, "${") || strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
			return nil
		}
	}
	if !strings.Contains(raw, "://") {
		return errors.New("add the scheme: http:// or https://")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	switch {
	case u.Scheme == "":
		return errors.New("add the scheme: http:// or https://")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme %q is not supported: use http or https", u.Scheme)
	case u.Host == "":
		return errors.New("the URL has no host")
	}
	return nil
}

// parseTimeout reads a stall timeout field: "" is the default, "off"
// disables, else a Go duration ("45s", "2m").
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "off", "never", "0":
		return -1, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration: write e.g. 30s, 2m, or off", s)
	}
	return d, nil
}

// headerRow is one key/value row of the headers editor.
type headerRow struct {
	name, value *guardedEntry
	row         *fyne.Container
}

// channelForm is the add/edit channel form.
type channelForm struct {
	x    *App
	orig string // the channel's name when editing, "" when adding
	dlg  dialog.Dialog

	url, name, group, body, types, progress, message, stall, caFile *guardedEntry
	method                                                          *guardedSelect
	insecure                                                        *guardedCheck
	model                                                           modelFields // editmodel.go
	headers                                                         []*headerRow
	headerBox                                                       *fyne.Container
	status                                                          *widget.Label
	save, test                                                      *guardedButton

	cancelTest context.CancelFunc
}

func newChannelForm(x *App, cfg client.ChannelConfig, editing bool) *channelForm {
	f := &channelForm{x: x}
	if editing {
		f.orig = cfg.Name
	}
	entry := func(text, hint string) *guardedEntry {
		e := newGuardedEntry(f.x.windowKey)
		e.SetText(text)
		e.SetPlaceHolder(hint)
		return e
	}
	f.url = entry(cfg.URL, "http://127.0.0.1:8080/api/stream/deploy")
	f.url.Validator = validateURL
	f.name = entry(cfg.Name, "derived from the URL")
	f.group = entry(cfg.Group, "optional, groups tiles")
	f.method = newGuardedSelect(f.x.windowKey, []string{"GET", "POST", "PUT", "PATCH"}, nil)
	f.model = newModelFields(f.x, cfg)
	f.method.SetSelected(orDefault(cfg.Method, "GET"))
	f.body = newGuardedMultiLineEntry(f.x.windowKey)
	f.body.SetText(cfg.Body)
	f.body.SetPlaceHolder(`request body, e.g. {"prompt":"hi"} (sent on every reconnect)`)
	f.body.SetMinRowsVisible(3)
	f.types = entry(strings.Join(cfg.EventTypes, ", "), "all types; or e.g. progress, done")
	f.progress = entry(cfg.ProgressField, "auto: progress, percent, pct, percentage")
	f.message = entry(cfg.MessageField, "auto: message, status, stage, msg")
	stall := ""
	switch {
	case cfg.StallTimeout < 0:
		stall = "off"
	case cfg.StallTimeout > 0:
		stall = cfg.StallTimeout.String()
	}
	f.stall = entry(stall, "default "+client.DefaultStallTimeout.String()+"; off to disable")
	f.caFile = entry(cfg.CAFile, "PEM file of extra trusted CAs (optional)")
	f.insecure = newGuardedCheck(f.x.windowKey, "Skip TLS certificate verification (insecure)", nil)
	f.insecure.SetChecked(cfg.Insecure)
	f.headerBox = container.NewVBox()
	for _, h := range cfg.Headers {
		f.addHeader(h.Name, h.Value)
	}
	f.status = widget.NewLabel("")
	f.status.Wrapping = fyne.TextWrapWord
	return f
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (f *channelForm) addHeader(name, value string) {
	h := &headerRow{name: newGuardedEntry(f.x.windowKey), value: newGuardedEntry(f.x.windowKey)}
	h.name.SetPlaceHolder("Header")
	h.name.SetText(name)
	h.value.SetPlaceHolder("value (${ENV} allowed)")
	h.value.SetText(value)
	del := newGuardedButton(f.x.windowKey, "", theme.DeleteIcon(), nil)
	h.row = container.NewBorder(nil, nil, nil, del, container.NewGridWithColumns(2, h.name, h.value))
	del.OnTapped = func() {
		for i, x := range f.headers {
			if x == h {
				f.headers = append(f.headers[:i], f.headers[i+1:]...)
				break
			}
		}
		f.headerBox.Remove(h.row)
	}
	f.headers = append(f.headers, h)
	f.headerBox.Add(h.row)
}

// config reads the form. Errors name the field and say how to fix it.
func (f *channelForm) config() (client.ChannelConfig, error) {
	var cfg client.ChannelConfig
	if f.orig != "" {
		if ch, ok := f.x.mgr.Get(f.orig); ok {
			cfg = ch.Config() // keep the fields the form does not show
		}
	}
	raw := strings.TrimSpace(f.url.Text)
	if err := validateURL(raw); err != nil {
		return cfg, &fieldError{"URL", err}
	}
	cfg.URL = raw
	cfg.Name = strings.TrimSpace(f.name.Text)
	if cfg.Name == "" {
		cfg.Name = f.x.channelName(raw)
	}
	if cfg.Name != f.orig {
		if _, taken := f.x.mgr.Get(cfg.Name); taken {
			return cfg, &fieldError{"Name", fmt.Errorf("another channel is called %q", cfg.Name)}
		}
	}
	cfg.Group = strings.TrimSpace(f.group.Text)
	cfg.Method = f.method.Selected
	if cfg.Method == "GET" {
		cfg.Method = ""
	}
	cfg.Body = f.body.Text
	cfg.Headers = nil
	for i, h := range f.headers {
		n, v := strings.TrimSpace(h.name.Text), h.value.Text
		if n == "" && v == "" {
			continue
		}
		if n == "" || strings.ContainsAny(n, " :\t\r\n") {
			return cfg, &fieldError{"Header " + strconv.Itoa(i+1), fmt.Errorf("%q is not a header name", n)}
		}
		cfg.Headers = append(cfg.Headers, client.Header{Name: n, Value: v})
	}
	cfg.EventTypes = nil
	for t := range strings.SplitSeq(f.types.Text, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.EventTypes = append(cfg.EventTypes, t)
		}
	}
	cfg.ProgressField = strings.TrimSpace(f.progress.Text)
	cfg.MessageField = strings.TrimSpace(f.message.Text)
	d, err := parseTimeout(f.stall.Text)
	if err != nil {
		return cfg, &fieldError{"Stall timeout", err}
	}
	cfg.StallTimeout = d
	cfg.CAFile = strings.TrimSpace(f.caFile.Text)
	cfg.Insecure = f.insecure.Checked
	f.model.apply(&cfg)
	return cfg, nil
}

func (f *channelForm) fail(err error) {
	f.status.Importance = widget.DangerImportance
	f.status.SetText(err.Error())
}

// submit adds or updates the channel; the dialog stays open on error.
func (f *channelForm) submit() {
	cfg, err := f.config()
	if err != nil {
		f.fail(err)
		return
	}
	if f.orig == "" {
		_, err = f.x.mgr.Add(cfg)
	} else {
		err = f.x.mgr.Update(f.orig, cfg)
	}
	if err != nil {
		f.fail(err)
		return
	}
	f.x.ws.changed()
	f.close()
	if f.orig != "" && f.x.detail != nil && f.x.detail.v.ch.Name() == f.orig {
		// The stream starts over: a fresh view, not paused, nothing
		// waiting, nothing selected from the old records.
		f.x.reopenDetail(cfg.Name)
	}
}

func (f *channelForm) close() {
	if f.cancelTest != nil {
		f.cancelTest()
	}
	f.dlg.Hide()
}

// runTest connects once with the form's settings and reports the status,
// the content type and the first event, or the error.
func (f *channelForm) runTest() {
	cfg, err := f.config()
	if err != nil {
		f.fail(err)
		return
	}
	if f.cancelTest != nil {
		f.cancelTest()
	}
	// The probe belongs to the app's background work: Close cancels it
	// and waits for it.
	bg := f.x.recs
	ctx, cancel := context.WithTimeout(bg.ctx, testTimeout)
	f.cancelTest = cancel
	f.status.Importance = widget.MediumImportance
	f.status.SetText("Connecting to " + cfg.URL + " …")
	f.test.Disable()
	bg.wg.Add(1)
	go func() {
		defer bg.wg.Done()
		res := testConnection(ctx, cfg, f.x.clk)
		cancel()
		if bg.ctx.Err() != nil {
			return // the app is closing
		}
		fyne.Do(func() {
			f.test.Enable()
			if res.err != nil {
				f.fail(res.err)
				return
			}
			f.status.Importance = widget.SuccessImportance
			f.status.SetText(res.text)
		})
	}()
}

// testResult is what "Test connection" found.
type testResult struct {
	text string
	err  error
}

// testConnection runs cfg on a private manager until the first event, a
// failure, or ctx ends; then it closes the manager.
func testConnection(ctx context.Context, cfg client.ChannelConfig, clk clock.Clock) testResult {
	cfg.Name = "test"
	cfg.Paused = false
	cfg.Retry = time.Hour // one attempt: a failure is reported, not retried
	m := client.NewManager(client.ManagerConfig{Clock: clk})
	defer m.Close()
	ch, err := m.Add(cfg)
	if err != nil {
		return testResult{err: err}
	}
	var recs []client.Record
	for {
		st := ch.Status()
		switch st.State {
		case client.Open:
			recs = ch.Records(recs[:0], 0)
			for _, r := range recs {
				if r.Kind == client.RecordEvent {
					return testResult{text: fmt.Sprintf("Connected: %s, text/event-stream.\nFirst event: type %s, id %s, %s:\n%s",
						st.Detail, r.Type, orDash(r.ID), formatBytes(uint64(r.Size)), oneLine(r.Data, 300))}
				}
			}
		case client.Retrying, client.Failed, client.Closed, client.Stalled:
			msg := client.StatusReason(st)
			if st.HTTPStatus != 0 {
				if code := "HTTP " + strconv.Itoa(st.HTTPStatus); !strings.Contains(msg, code) {
					msg = code + ": " + msg // said once: the reason may name it already
				}
			}
			if st.BodyPreview != "" {
				msg += "\n" + oneLine(st.BodyPreview, 300)
			}
			return testResult{err: errors.New("connection failed — " + msg)}
		}
		select {
		case <-ctx.Done():
			if st.State == client.Open {
				return testResult{text: "Connected: " + st.Detail + ", text/event-stream.\nNo event within " + testTimeout.String() + "."}
			}
			return testResult{err: errors.New("no answer within " + testTimeout.String() + " (state: " + st.State.String() + ")")}
		case <-ch.Changed():
		}
	}
}

// showChannelForm opens the add or edit dialog.
func (x *App) showChannelForm(cfg client.ChannelConfig, editing bool) *channelForm {
	f := newChannelForm(x, cfg, editing)
	title, verb := "Add channel", "Add"
	if editing {
		title, verb = "Edit "+cfg.Name, "Save"
	}
	f.save = newGuardedButton(f.x.windowKey, verb, theme.ConfirmIcon(), f.submit)
	f.save.Importance = widget.HighImportance
	f.test = newGuardedButton(f.x.windowKey, "Test connection", theme.MediaPlayIcon(), f.runTest)
	cancel := newGuardedButton(f.x.windowKey, "Cancel", theme.CancelIcon(), f.close)
	addHeader := newGuardedButton(f.x.windowKey, "Add header", theme.ContentAddIcon(), func() { f.addHeader("", "") })
	form := widget.NewForm(
		widget.NewFormItem("URL", f.url),
		widget.NewFormItem("Name", f.name),
		widget.NewFormItem("Group", f.group),
		widget.NewFormItem("Method", f.method),
		widget.NewFormItem("Headers", container.NewVBox(f.headerBox, container.NewHBox(addHeader))),
		widget.NewFormItem("Body", f.body),
		widget.NewFormItem("Event types", f.types),
		widget.NewFormItem("Progress field", f.progress),
		widget.NewFormItem("Message field", f.message),
		widget.NewFormItem("Stall timeout", f.stall),
		widget.NewFormItem("CA file", f.caFile),
		widget.NewFormItem("TLS", f.insecure),
	)
	for _, it := range f.model.items() {
		form.AppendItem(it)
	}
	buttons := container.NewHBox(f.test, x.diagnoseButton(f.config), f.pasteCurlButton(), layoutSpacer(), cancel, f.save)
	content := container.NewBorder(nil, container.NewVBox(f.status, buttons), nil, nil, container.NewVScroll(form))
	f.dlg = dialog.NewCustomWithoutButtons(title, content, x.win)
	f.dlg.Resize(fyne.NewSize(640, 620))
	x.showDialog(f.dlg, f.submit, f.close)
	x.win.Canvas().Focus(f.url)
	return f
}

// showAdd opens the add-channel dialog (Ctrl+N).
func (x *App) showAdd() {
	if x.presentOn {
		return
	}
	x.showChannelForm(client.ChannelConfig{}, false)
}

// showEdit opens the edit dialog of ch.
func (x *App) showEdit(ch *client.Channel) {
	x.showChannelForm(ch.Config(), true)
}
