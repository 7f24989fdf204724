package scheduler_test

import (
	"context"
	"mime"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"dutydesk/notify"
)

type mimeDecoder = mime.WordDecoder

// senderFunc is a Sender made of a function.
type senderFunc func(ctx context.Context, m notify.Message) error

func (f senderFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

// gaugeValue reads the gauge series name{status=status} from reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, status string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && l.GetValue() == status {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{status=%q}", name, status)
	return 0
}
