package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// result is one measured figure beside its same-run baseline and its target.
type result struct {
	scenario, measure string
	value, baseline   string
	target            string
	ok                *bool // nil: a figure reported without a target
}

type report struct {
	header  string
	results []result
	notes   []string
}

func (r *report) add(res result) {
	r.results = append(r.results, res)
	status := ""
	if res.ok != nil {
		status = map[bool]string{true: "  [met]", false: "  [MISSED]"}[*res.ok]
	}
	fmt.Printf("%-8s %-55s %-22s baseline %-22s target %s%s\n", res.scenario, res.measure, res.value, res.baseline, res.target, status)
}

func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
	fmt.Printf("  note: %s\n", r.notes[len(r.notes)-1])
}

// print writes the results as a Markdown table, for BENCHMARKS.md.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nRun: %s\n\n", r.header)
	fmt.Fprintln(w, "| scenario | measure | value | same-run baseline | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, res := range r.results {
		met := "–"
		if res.ok != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[*res.ok]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", res.scenario, res.measure, orDash(res.value), orDash(res.baseline), orDash(res.target), met)
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range r.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}

func check(ok bool) *bool { return &ok }

// latencies collects request durations for percentiles.
type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func median(ds []time.Duration) time.Duration { return latencies(ds).percentile(50) }
