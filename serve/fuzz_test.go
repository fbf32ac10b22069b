package serve

import (
	"testing"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/serve/creditpb"
)

// dayOf accepts exactly the full calendar dates from minDateYear to 9999,
// each read as itself, and every error names the field.
func FuzzDayOf(f *testing.F) {
	for _, d := range [][3]int32{{2024, 2, 29}, {2023, 2, 29}, {2024, 13, 1}, {0, 0, 0}, {24, 2, 1}, {1, 1, 1}, {2024, 4, 31}, {9999, 12, 31}, {2024, 1, 0}, {-5, 1, 1}} {
		f.Add(d[0], d[1], d[2])
	}
	f.Fuzz(func(t *testing.T, y, m, d int32) {
		in := &date.Date{Year: y, Month: m, Day: d}
		got, err := dayOf("as_of", in)
		if err != nil {
			if fe, ok := err.(*FieldError); !ok || fe.Field != "as_of" {
				t.Fatalf("%v: error %v does not name as_of", in, err)
			}
			return
		}
		if y < minDateYear || !proto.Equal(creditpb.DateOf(got), in) {
			t.Fatalf("%v read as %s", in, got)
		}
	})
}
