package config

import (
	"testing"
	"time"
)

func TestByteSizeDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{"1048576", 1 << 20, ""},
		{"0", 0, ""},
		{"512B", 512, ""},
		{"512KiB", 512 << 10, ""},
		{"32MiB", 32 << 20, ""},
		{"32 MiB", 32 << 20, ""},
		{"32mib", 32 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"2TiB", 2 << 40, ""},
		{"32MB", 32_000_000, ""},
		{"1KB", 1000, ""},
		{"5GB", 5_000_000_000, ""},
		{"", 0, `want a size like "32MiB" or 1048576, got ""`},
		{"MiB", 0, `want a size like "32MiB" or 1048576, got "MiB"`},
		{"32M", 0, `want a size like "32MiB" or 1048576, got "32M"`},
		{"1.5GiB", 0, `want a size like "32MiB" or 1048576, got "1.5GiB"`},
		{"-1", 0, `want a size like "32MiB" or 1048576, got "-1"`},
		{"9223372036854775808", 0, `size "9223372036854775808" is too large`},
		{"8388608TiB", 0, `size "8388608TiB" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got ByteSize
			err := got.decodeScalar(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("decode %q: got error %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode %q: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("decode %q: got %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{0, "0"},
		{1000, "1000"},
		{1024, "1KiB"},
		{32 * MiB, "32MiB"},
		{3 * GiB / 2, "1536MiB"},
		{GiB, "1GiB"},
		{2 * TiB, "2TiB"},
		{1_048_550, "1048550"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestDurationDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantErr string
	}{
		{"1s", Duration(time.Second), ""},
		{"100ms", Duration(100 * time.Millisecond), ""},
		{"1m30s", Duration(90 * time.Second), ""},
		{"-1s", Duration(-time.Second), ""},
		{"0", 0, ""},
		{"abc", 0, `want a duration like "1s", got "abc"`},
		{"10", 0, `want a duration like "1s", got "10"`},
		{"1d", 0, `want a duration like "1s", got "1d"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Duration
			err := got.decodeScalar(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("decode %q: got error %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode %q: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("decode %q: got %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"flush_intervall", "flush_interval", 1},
		{"statedir", "state_dir", 1},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
