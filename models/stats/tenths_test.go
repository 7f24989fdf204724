package stats

import "testing"

// TestTenths: hours on duty are written to a tenth (issue 18: the duty table printed
// 52.333333333333336).
func TestTenths(t *testing.T) {
	for in, want := range map[float64]float64{52.333333333333336: 52.3, 15.25: 15.3, 33: 33, 0.04: 0, 8.96: 9} {
		if got := tenths(in); got != want {
			t.Errorf("tenths(%v) = %v, want %v", in, got, want)
		}
	}
}
