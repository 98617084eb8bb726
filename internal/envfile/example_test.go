package envfile_test

import (
	"fmt"
	"strings"

	"github.com/tendhq/tend/internal/envfile"
)

func ExampleParse() {
	const file = `# database
export DB_URL=postgres://localhost/app   # local only
GREETING='hello, $USER'
MOTD="two\nlines"
`
	env, err := envfile.Parse(strings.NewReader(file), ".env")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range env {
		fmt.Printf("%q\n", kv)
	}
	_, err = envfile.Parse(strings.NewReader("A=1\n\nFOO\n"), ".env")
	fmt.Println(err)
	// Output:
	// "DB_URL=postgres://localhost/app"
	// "GREETING=hello, $USER"
	// "MOTD=two\nlines"
	// envfile: .env:3: missing '=' after "FOO"
}
