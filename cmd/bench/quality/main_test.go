package main

import (
	"fmt"
	"testing"
)

// The customer hash holds out close to the share asked, even for ids
// that differ only in their last characters.
func TestUnitSpreadsSequentialIDs(t *testing.T) {
	held := 0
	for i := range 10000 {
		if unit(1, "held", fmt.Sprintf("C%05d", i)) < 0.2 {
			held++
		}
	}
	if held < 1900 || held > 2100 {
		t.Errorf("held %d of 10000; want about 2000", held)
	}
}
