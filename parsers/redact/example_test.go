package redact_test

import (
	"fmt"

	"github.com/corral-logs/corral/parsers/redact"
)

func Example() {
	r, err := redact.New([]string{redact.JWT}, []redact.UserRule{
		{Name: "card", Pattern: `\b(\d{4})\d{8}(\d{4})\b`, Replacement: "$1[REDACTED:card]$2"},
	})
	if err != nil {
		panic(err)
	}
	var buf []byte
	for _, line := range []string{
		"GET /orders?id=42&token=FAKE-QUERY-TOKEN-123 200",
		"charged card 4111111111111111",
		"request completed in 12ms",
	} {
		out, changed := r.Redact(buf, []byte(line))
		if changed {
			buf = out // out is buf, grown if needed: keep its memory
		}
		fmt.Printf("%q %v\n", out, changed)
	}
	for _, c := range r.Counts() {
		if c.Redacted > 0 {
			fmt.Println(c.Rule, c.Redacted)
		}
	}
	// Output:
	// "GET /orders?id=42&token=[REDACTED:password_field] 200" true
	// "charged card 4111[REDACTED:card]1111" true
	// "request completed in 12ms" false
	// password_field 1
	// card 1
}
