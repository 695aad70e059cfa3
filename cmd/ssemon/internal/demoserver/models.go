package demoserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/ui"
)

// The question every demo model request asks, and the tool it offers: the
// demo server's canned answer calls that tool.
const (
	demoQuestion = "What is the weather in Paris right now?"
	toolName     = "get_weather"
	toolDesc     = "Current weather for a city"
)

// toolParams is the JSON schema of the tool's arguments.
var toolParams = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"city": map[string]any{"type": "string"},
		"unit": map[string]any{"type": "string", "enum": []string{"celsius", "fahrenheit"}},
	},
	"required": []string{"city"},
}

// models returns the model endpoints of the demo server at base, each with
// a request as its API's documentation shows one: streaming, one user
// message, one tool.
func models(base string) []ui.DemoModel {
	jsonType := client.Header{Name: "Content-Type", Value: "application/json"}
	user := []any{map[string]any{"role": "user", "content": demoQuestion}}
	openAITool := []any{map[string]any{"type": "function", "function": map[string]any{
		"name": toolName, "description": toolDesc, "parameters": toolParams}}}
	ms := []ui.DemoModel{
		{
			Name: "openai-chat", Title: "OpenAI chat completions", URL: base + "/v1/chat/completions",
			Headers: []client.Header{jsonType},
			Body: body(map[string]any{"model": server.DefaultModelName, "stream": true,
				"stream_options": map[string]any{"include_usage": true}, "messages": user, "tools": openAITool}),
		},
		{
			Name: "anthropic-messages", Title: "Anthropic Messages", URL: base + "/v1/messages",
			Headers: []client.Header{jsonType, {Name: "anthropic-version", Value: "2023-06-01"}},
			Body: body(map[string]any{"model": server.DefaultModelName, "max_tokens": 1024, "stream": true,
				"thinking": map[string]any{"type": "enabled", "budget_tokens": 512}, "messages": user,
				"tools": []any{map[string]any{"name": toolName, "description": toolDesc, "input_schema": toolParams}}}),
		},
		{
			Name: "ollama-chat", Title: "Ollama chat (NDJSON)", URL: base + "/api/chat",
			Headers: []client.Header{jsonType},
			Body:    body(map[string]any{"model": server.DefaultModelName, "stream": true, "think": true, "messages": user, "tools": openAITool}),
		},
	}
	for i := range ms {
		ms[i].FaultChannel = server.ModelsChannel
	}
	return ms
}

// body encodes a request body.
func body(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the literals above always encode
	}
	return string(b)
}

// postFault applies f through the admin endpoint of the demo server at
// base (POST /admin/fault), which the server answers from loopback.
func postFault(ctx context.Context, hc *http.Client, base string, f ui.DemoFault) error {
	body := map[string]any{"action": f.Kind.String(), "channel": f.Channel}
	switch f.Kind {
	case ui.FaultStall, ui.FaultRetry:
		body["duration"] = f.Duration.String()
	case ui.FaultBurst:
		body["n"] = f.N
	case ui.FaultFailNext:
		body["status"] = f.Status
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/fault", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
