package agent

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type fixedCreds struct{ c aws.Credentials }

func (f fixedCreds) Retrieve(context.Context) (aws.Credentials, error) { return f.c, nil }

func TestCredentialsRefreshEarly(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		life, want time.Duration // granted lifetime, and when the cache must refresh
	}{
		{time.Hour, 55 * time.Minute},         // 5 minutes early
		{900 * time.Second, 10 * time.Minute}, // case B35 phase 1
		{480 * time.Second, 4 * time.Minute},  // case B35 phase 2: half the lifetime
		{time.Minute, 30 * time.Second},
	}
	for _, tt := range tests {
		e := early{fixedCreds{aws.Credentials{CanExpire: true, Expires: now.Add(tt.life)}}, func() time.Time { return now }}
		c, err := e.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Expires.Sub(now); got != tt.want {
			t.Errorf("lifetime %v: refreshed after %v, want %v", tt.life, got, tt.want)
		}
	}
}
