package ui

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/ssemon/ssemon/client"
)

// exportRecord is the JSONL form of a log record.
type exportRecord struct {
	Seq       uint64 `json:"seq"`
	At        string `json:"at"`
	Kind      string `json:"kind"`
	ID        string `json:"id,omitempty"`
	Type      string `json:"type,omitempty"`
	Data      string `json:"data"`
	Size      int    `json:"size,omitempty"`
	Gap       int64  `json:"gap,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// writeJSONL writes n records from at, one JSON object a line.
func writeJSONL(w io.Writer, n int, at func(int) client.Record) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range n {
		r := at(i)
		if err := enc.Encode(exportRecord{
			Seq: r.Seq, At: r.At.UTC().Format(time.RFC3339Nano), Kind: r.Kind.String(),
			ID: r.ID, Type: r.Type, Data: r.Data, Size: r.Size, Gap: r.Gap, Duplicate: r.Duplicate,
		}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvHeader is the first row of a CSV export.
var csvHeader = []string{"seq", "at", "kind", "id", "type", "data", "size", "gap", "duplicate"}

// writeCSV writes n records from at as RFC 4180 CSV with a header row.
func writeCSV(w io.Writer, n int, at func(int) client.Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	row := make([]string, len(csvHeader))
	for i := range n {
		r := at(i)
		row[0] = strconv.FormatUint(r.Seq, 10)
		row[1] = r.At.UTC().Format(time.RFC3339Nano)
		row[2] = r.Kind.String()
		row[3], row[4], row[5] = r.ID, r.Type, r.Data
		row[6] = strconv.Itoa(r.Size)
		row[7] = strconv.FormatInt(r.Gap, 10)
		row[8] = strconv.FormatBool(r.Duplicate)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
