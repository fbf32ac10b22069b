package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A pipeline that writes an output on many workers (scores, a feature
// matrix, a training sample) writes it as a shard set: --out
// DIR/scores.parquet becomes DIR/scores-00000-of-00008.parquet …
// DIR/scores-00007-of-00008.parquet, the rows of the set in book order
// when the shards are read in order. Everything that reads an output takes
// either the file or its set (Shards).

// outputExts are the output formats, the longer suffix first.
var outputExts = []string{".parquet", ".csv.gz", ".csv"}

// splitExt splits path into its stem and format extension.
func splitExt(path string) (stem, ext string, err error) {
	for _, e := range outputExts {
		if s, ok := strings.CutSuffix(path, e); ok {
			return s, e, nil
		}
	}
	return "", "", fmt.Errorf("%s: unknown output format (want .parquet, .csv or .csv.gz)", path)
}

// ShardPath is shard k (from 0) of n of the output out.
func ShardPath(out string, k, n int) (string, error) {
	stem, ext, err := splitExt(out)
	if err != nil {
		return "", err
	}
	if n < 1 || k < 0 || k >= n || n > 99999 {
		return "", fmt.Errorf("%s: no shard %d of %d", out, k, n)
	}
	return fmt.Sprintf("%s-%05d-of-%05d%s", stem, k, n, ext), nil
}

// Shards lists the files of the output at path, in book order: path itself
// when it is a file, else its shard set, which must be complete (every
// shard k of n, all with the same n) so that a set still being written, or
// left by a failed run, is not taken for the whole output.
func Shards(path string) ([]string, error) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return []string{path}, nil
	}
	stem, ext, err := splitExt(path)
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(globEscape(stem) + "-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]" + globEscape(ext))
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("%s: no such file, nor shards %s", path, filepath.Base(stem)+"-NNNNN-of-NNNNN"+ext)
	}
	slices.Sort(matches)
	var n int
	if _, err := fmt.Sscanf(matches[0][len(stem):], "-%05d-of-%05d", new(int), &n); err != nil {
		return nil, fmt.Errorf("%s: %w", matches[0], err)
	}
	for k := range n {
		want, err := ShardPath(path, k, n)
		if err != nil {
			return nil, err
		}
		if k >= len(matches) || matches[k] != want {
			return nil, fmt.Errorf("%s: shard set incomplete: %s is missing", path, filepath.Base(want))
		}
	}
	if len(matches) != n {
		return nil, fmt.Errorf("%s: shards of different sets beside each other: %s and %s", path,
			filepath.Base(matches[0]), filepath.Base(matches[len(matches)-1]))
	}
	return matches, nil
}

// globEscape quotes the pattern characters of a literal path.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
