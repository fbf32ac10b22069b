package datasets

import "testing"

func TestShardPath(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"dir/scores.parquet", "dir/scores-00002-of-00010.parquet"},
		{"s.csv.gz", "s-00002-of-00010.csv.gz"},
		{"a.b/s.csv", "a.b/s-00002-of-00010.csv"},
	} {
		if got, err := ShardPath(c.out, 2, 10); err != nil || got != c.want {
			t.Errorf("ShardPath(%q, 2, 10) = %q, %v; want %q", c.out, got, err, c.want)
		}
	}
	if _, err := ShardPath("scores.txt", 0, 1); err == nil {
		t.Error("an unknown format has shards")
	}
	if _, err := ShardPath("scores.csv", 3, 3); err == nil {
		t.Error("shard 3 of 3 exists")
	}
}
