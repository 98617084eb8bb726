package definition

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"100": 100, "10K": 10 << 10, "10k": 10 << 10, "512M": 512 << 20, "512MiB": 512 << 20, "1.5G": 3 << 29, "2T": 2 << 40, "64MB": 64 << 20,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if got, _ := ParseSize(FormatSize(want)); got != want {
			t.Errorf("FormatSize(%d) = %q does not read back", want, FormatSize(want))
		}
	}
	for _, in := range []string{"", "M", "-1", "10X", "1e3", "10 MM"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
}
