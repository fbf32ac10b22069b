package artifact

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestIndent(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`{"a":[1,2,3]}`, "{\n    \"a\": [1, 2, 3]\n  }"},
		{`{"a":{}}`, "{\n    \"a\": {}\n  }"},
		{`[[1],[2]]`, "[\n    [1],\n    [2]\n  ]"},
		{`{"s":"a,b:[c]{\"d\"}\\"}`, "{\n    \"s\": \"a,b:[c]{\\\"d\\\"}\\\\\"\n  }"},
		{`["x,y","]"]`, `["x,y", "]"]`},
		{`[{"a":1}]`, "[\n    {\n      \"a\": 1\n    }\n  ]"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		indent(&b, []byte(tt.in), 1)
		if b.String() != tt.want {
			t.Errorf("indent(%s): got %q; want %q", tt.in, b.String(), tt.want)
		}
	}
}

// FuzzIndent checks that indenting changes only whitespace.
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"x\"]"}],"c":{}}`, `[[],[[]],"\\",1e3]`, `"s"`, `{"k":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c bytes.Buffer
		if json.Compact(&c, []byte(s)) != nil {
			return
		}
		var out bytes.Buffer
		indent(&out, c.Bytes(), 1)
		var again bytes.Buffer
		if err := json.Compact(&again, out.Bytes()); err != nil {
			t.Fatalf("indent(%s) = %s: not JSON: %v", c.Bytes(), out.Bytes(), err)
		}
		if !bytes.Equal(again.Bytes(), c.Bytes()) {
			t.Fatalf("indent(%s) = %s: compacts to %s", c.Bytes(), out.Bytes(), again.Bytes())
		}
	})
}
