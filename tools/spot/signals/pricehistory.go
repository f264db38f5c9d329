package signals

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/spot/internal/jsonpos"
)

// PricePoint is one row of AWS's spot price history: from Time on, spot
// instances of the type and product in the zone cost USDPerHour.
type PricePoint struct {
	// Zone is the availability zone's name (us-east-1a) when the source
	// gives names; ZoneID its ID (use1-az6) when the source gives IDs.
	// Names are mapped to IDs differently in every AWS account; IDs are
	// the same for all accounts.
	Zone, ZoneID string
	InstanceType string
	// Product is the product description: Linux/UNIX, Windows, ...
	Product    string
	USDPerHour float64
	Time       time.Time
	// Line is the row's line in its file.
	Line int
}

var zoneIDRE = regexp.MustCompile(`^[a-z]{2,5}[0-9]+-az[0-9]+$`)

// IsZoneID says whether s looks like an availability zone ID (use1-az6)
// rather than a name (us-east-1a).
func IsZoneID(s string) bool { return zoneIDRE.MatchString(s) }

// ReadPriceHistoryJSON reads the output of `aws ec2
// describe-spot-price-history` (JSON): {"SpotPriceHistory": [{
// "AvailabilityZone", "InstanceType", "ProductDescription", "SpotPrice",
// "Timestamp"}]}, with AvailabilityZoneId accepted beside or instead of
// AvailabilityZone. SpotPrice is a decimal string, as AWS returns it.
func ReadPriceHistoryJSON(file string, data []byte) ([]PricePoint, error) {
	root, err := jsonpos.Parse(data)
	if err != nil {
		return nil, syntaxErr(file, err)
	}
	e := &errs{file: file}
	hist := root.Get("SpotPriceHistory")
	if root.Kind != jsonpos.Object || hist == nil || hist.Kind != jsonpos.Array {
		e.add(root.Pos, "SpotPriceHistory", "missing: the output of describe-spot-price-history is an object with a SpotPriceHistory array")
		return nil, e.err()
	}
	out := make([]PricePoint, 0, len(hist.Items))
	for i, row := range hist.Items {
		f := fmt.Sprintf("SpotPriceHistory[%d]", i)
		if row.Kind != jsonpos.Object {
			e.add(row.Pos, f, "must be an object, not a %s", row.Kind)
			continue
		}
		p := PricePoint{Line: row.Pos.Line}
		ok := true
		str := func(key string, required bool) string {
			v := row.Get(key)
			if v == nil {
				if required {
					e.add(row.Pos, f+"."+key, "missing")
					ok = false
				}
				return ""
			}
			if v.Kind != jsonpos.String || v.Text == "" {
				e.add(v.Pos, f+"."+key, "must be a non-empty string, got %s", show(v))
				ok = false
				return ""
			}
			return v.Text
		}
		p.Zone = str("AvailabilityZone", false)
		p.ZoneID = str("AvailabilityZoneId", false)
		if p.Zone == "" && p.ZoneID == "" && row.Get("AvailabilityZone") == nil && row.Get("AvailabilityZoneId") == nil {
			e.add(row.Pos, f+".AvailabilityZone", "missing: a price belongs to a zone")
			ok = false
		}
		p.InstanceType = str("InstanceType", true)
		p.Product = str("ProductDescription", true)
		if price := str("SpotPrice", true); price != "" {
			v, err := parsePrice(price)
			if err != nil {
				e.add(row.Get("SpotPrice").Pos, f+".SpotPrice", "%v", err)
				ok = false
			}
			p.USDPerHour = v
		}
		if ts := str("Timestamp", true); ts != "" {
			t, err := time.Parse(time.RFC3339, ts)
			if err != nil {
				e.add(row.Get("Timestamp").Pos, f+".Timestamp", "must be an RFC 3339 time such as 2022-05-31T21:13:42+00:00, got %q", ts)
				ok = false
			}
			p.Time = t.UTC()
		}
		if ok {
			out = append(out, p)
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parsePrice(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("must be a positive price in USD per hour, got %q", s)
	}
	return v, nil
}

// ReadPriceHistoryTSV reads spot price history as tab-separated lines
// without a header: availability zone (name or ID), instance type, product
// description, price in USD per hour, RFC 3339 time. Blank lines are
// skipped. Every bad line is reported with its line number.
func ReadPriceHistoryTSV(file string, r io.Reader) ([]PricePoint, error) {
	e := &errs{file: file}
	var out []PricePoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		pos := jsonpos.Pos{Line: line, Column: 1}
		cols := strings.Split(text, "\t")
		if len(cols) != 5 {
			e.add(pos, "", "has %d tab-separated columns, want 5 (zone, instance type, product, price, time)", len(cols))
			continue
		}
		p := PricePoint{InstanceType: cols[1], Product: cols[2], Line: line}
		if IsZoneID(cols[0]) {
			p.ZoneID = cols[0]
		} else {
			p.Zone = cols[0]
		}
		ok := true
		col := func(i int) jsonpos.Pos {
			c := 1
			for j := 0; j < i; j++ {
				c += len(cols[j]) + 1
			}
			return jsonpos.Pos{Line: line, Column: c}
		}
		for i, name := range []string{"zone", "instance type", "product"} {
			if strings.TrimSpace(cols[i]) == "" {
				e.add(col(i), name, "is empty")
				ok = false
			}
		}
		v, err := parsePrice(cols[3])
		if err != nil {
			e.add(col(3), "price", "%v", err)
			ok = false
		}
		p.USDPerHour = v
		t, err := time.Parse(time.RFC3339, cols[4])
		if err != nil {
			e.add(col(4), "time", "must be an RFC 3339 time such as 2022-05-31T21:13:42+00:00, got %q", cols[4])
			ok = false
		}
		p.Time = t.UTC()
		if ok {
			out = append(out, p)
		}
	}
	if err := sc.Err(); err != nil {
		e.list = append(e.list, &diag.Error{File: file, Line: line + 1, Msg: "reading: " + err.Error(), Err: err})
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// maxDecompressed bounds what a zstd price file may expand to: a month of
// every region's prices is about 200 MB.
const maxDecompressed = 1 << 30

// ReadPriceHistory reads a price history file by its name: .json is the
// describe-spot-price-history output; .tsv, or .tsv.zst compressed with
// zstd, the tab-separated shape.
func ReadPriceHistory(file string, data []byte) ([]PricePoint, error) {
	switch {
	case strings.HasSuffix(file, ".json"):
		return ReadPriceHistoryJSON(file, data)
	case strings.HasSuffix(file, ".tsv"):
		return ReadPriceHistoryTSV(file, bytes.NewReader(data))
	case strings.HasSuffix(file, ".tsv.zst"):
		dec, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecompressed))
		if err != nil {
			return nil, diag.List{{File: file, Msg: "zstd: " + err.Error(), Err: err}}
		}
		defer dec.Close()
		// A truncated or corrupt stream surfaces as a read error, which the
		// TSV reader reports with the line it reached.
		return ReadPriceHistoryTSV(file, io.LimitReader(dec, maxDecompressed))
	}
	return nil, diag.List{{File: file, Msg: "unknown price history format: the name must end in .json, .tsv or .tsv.zst"}}
}
